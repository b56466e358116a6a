"""Audit trail and PHI-safe logging."""
