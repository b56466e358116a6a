"""Errors of the demo data commands."""

from __future__ import annotations

from dme_portal.errors import DomainError


class DemoRefused(DomainError):
    status = 409
    code = "demo.refused_in_prod"
    title = "Demo data is refused in production"
