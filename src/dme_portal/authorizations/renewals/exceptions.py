"""Renewal errors."""

from __future__ import annotations

from dme_portal.errors import Conflict, DomainError, NotFound


class AuthorizationNotFound(NotFound):
    code = "authorization.not_found"
    title = "Authorization not found"


class RenewalInvalid(DomainError):
    """One or more renewals are not valid; nothing was stored."""

    status = 422
    code = "renewal.invalid"
    title = "The renewal is not valid"


class NotRenewable(Conflict):
    """The authorization is no longer in force, or a renewal of it is open or approved."""

    code = "renewal.conflict"
    title = "The authorization cannot be renewed now"
