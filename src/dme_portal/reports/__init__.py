"""Transparency reports: prior-authorization metrics per network and the SLA breach list."""
