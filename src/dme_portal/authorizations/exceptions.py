"""Errors of the authorization use cases."""

from dme_portal.errors import NotFound


class AuthorizationNotFound(NotFound):
    code = "authorization.not_found"
    title = "Authorization not found"
