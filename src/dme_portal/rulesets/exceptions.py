"""Errors of the ruleset use cases."""

from dme_portal.errors import Conflict, NotFound


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
