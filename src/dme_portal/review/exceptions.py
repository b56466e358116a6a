"""Errors of the review use cases."""

from dme_portal.errors import Conflict, Forbidden
from dme_portal.errors import PreconditionRequired as PreconditionRequired


class AlreadyDecided(Conflict):
    code = "authorization_request.decided"
    title = "The request is already decided"


class NotInReview(Conflict):
    code = "authorization_request.not_in_review"
    title = "The request is not waiting for review"


class ClaimedByOther(Conflict):
    code = "authorization_request.claimed"
    title = "Another reviewer has claimed the request"


class PhysicianRequired(Forbidden):
    code = "review.physician_required"
    title = "Only a medical director may do this"


class AlreadyStandard(Conflict):
    code = "authorization_request.not_expedited"
    title = "The request is not expedited"
