"""Idempotency keys for creating POSTs: a replay returns the first answer."""
