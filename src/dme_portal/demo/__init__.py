"""Synthetic demo data: the plan, its networks, vendors and members (illustrative only)."""
