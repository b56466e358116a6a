"""Errors of the ruleset use cases."""

from typing import Any

from dme_portal.errors import Conflict, NotFound, PreconditionRequired


class NetworkNotFound(NotFound):
    code = "network.not_found"
    title = "Network not found"


class RulesetNotFound(NotFound):
    code = "ruleset.not_found"
    title = "Ruleset not found"


class DraftInvalid(Conflict):
    code = "ruleset.draft_invalid"
    title = "The draft is not a valid ruleset"


class AssignmentNotFound(NotFound):
    code = "csag_assignment.not_found"
    title = "CSAG assignment not found"


class AssignmentEnded(Conflict):
    code = "csag_assignment.ended"
    title = "The assignment has already ended"


class ConcurrentChange(Conflict):
    """Another admin saved or published the same network's rules at the same moment."""

    code = "ruleset.concurrent_change"
    title = "Changed by a concurrent request"

    def __init__(self, detail: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": "1"})
        super().__init__(detail, **kwargs)


class DraftPreconditionRequired(PreconditionRequired):
    title = "A precondition header is required"
