"""Renewals of authorizations in one call, singly or in batches (issue 16 points 2 and 3)."""
