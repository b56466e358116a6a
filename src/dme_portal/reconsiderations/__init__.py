"""Reconsideration of denied or modified lines (DESIGN §8, issue 16 point 5)."""
