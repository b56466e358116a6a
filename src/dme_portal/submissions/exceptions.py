"""Errors of the submission use cases."""

from dme_portal.errors import Conflict, NotFound


class RequestNotFound(NotFound):
    code = "authorization_request.not_found"
    title = "Authorization request not found"


class RequestClosed(Conflict):
    code = "authorization_request.closed"
    title = "The request is already closed"
