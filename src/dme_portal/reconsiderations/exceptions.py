"""Errors of reconsideration."""

from dme_portal.errors import Conflict, Forbidden, NotFound


class ReconsiderationNotFound(NotFound):
    code = "reconsideration.not_found"
    title = "Reconsideration not found"


class AlreadyOpen(Conflict):
    code = "reconsideration.already_open"
    title = "A reconsideration of this line is already open"


class AlreadyDecided(Conflict):
    code = "reconsideration.decided"
    title = "The reconsideration is already decided"


class SamePhysician(Forbidden):
    code = "reconsideration.same_physician"
    title = "The physician who made the decision may not reconsider it"


class PhysicianRequired(Forbidden):
    code = "reconsideration.physician_required"
    title = "Only a medical director may decide a reconsideration"
