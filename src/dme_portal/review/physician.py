"""Who may deny or reduce for medical necessity, and the physician recorded on the decision.

California HSC 1367.01(e): only a licensed physician may deny, delay or modify a request for
reasons of medical necessity. In the hub that is a medical director deciding as themself, or a
network's UM system (``network_client``) that names the physician who made the determination.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.errors import InvalidInput
from dme_portal.review.exceptions import PhysicianRequired
from dme_portal.review.reasons import REASONS
from dme_portal.review.schemas import DecisionCreate, DecisionLine, DecisionOutcome
from dme_portal.submissions.models import RequestLine

_REFUSED = (
    "Only a medical director may deny or modify for medical necessity (California Health and "
    "Safety Code 1367.01(e)). Route it to your medical director."
)


@dataclass(frozen=True, slots=True)
class Physician:
    """The physician behind a medical-necessity determination."""

    subject: str | None
    npi: str | None
    name: str | None

    def as_data(self) -> dict[str, Any]:
        return {"subject": self.subject, "npi": self.npi, "name": self.name}


def is_medical_necessity(d: DecisionLine) -> bool:
    """A denial or reduction for a reason that needs a physician."""
    return (
        d.outcome is not DecisionOutcome.APPROVED
        and d.reason_code is not None
        and REASONS[d.reason_code].medical_necessity
    )


def check_line_role(d: DecisionLine, principal: Principal) -> None:
    """403 when the principal's role may never decide the line for medical necessity."""
    if is_medical_necessity(d) and principal.role not in (
        Role.MEDICAL_DIRECTOR,
        Role.NETWORK_CLIENT,
    ):
        raise PhysicianRequired(_REFUSED)


def deciding_physician(principal: Principal, body: DecisionCreate) -> Physician | None:
    """The physician to record, or None when no line is decided for medical necessity.

    A person never names a physician (a medical director is one); a network's UM system must
    name one, with a checked NPI, whenever a line is denied or reduced for medical necessity.
    """
    needed = any(is_medical_necessity(d) for d in body.lines)
    if principal.role is Role.NETWORK_CLIENT:
        if body.deciding_physician is None:
            if needed:
                raise InvalidInput(
                    "deciding_physician",
                    "is required to deny or modify for medical necessity: name the physician "
                    "(`npi`, `name`) who made the determination (California HSC 1367.01(e))",
                    code="physician_required",
                )
            return None
        named = body.deciding_physician
        return Physician(subject=None, npi=named.npi, name=named.name) if needed else None
    if body.deciding_physician is not None:
        raise InvalidInput(
            "deciding_physician",
            "is for a network's UM system; a medical director's decision records the "
            "signed-in medical director",
            code="not_allowed",
        )
    if not needed:
        return None
    if principal.role is not Role.MEDICAL_DIRECTOR:  # check_line_role refused it already
        raise PhysicianRequired(_REFUSED)
    return Physician(subject=principal.subject, npi=None, name=None)


def record(line: RequestLine, d: DecisionLine, physician: Physician | None) -> None:
    """Set the physician on a line decided for medical necessity (and only on those)."""
    if physician is None or not is_medical_necessity(d):
        return
    line.physician_subject = physician.subject
    line.physician_npi = physician.npi
    line.physician_name = physician.name


def event_data(physician: Physician | None, body: DecisionCreate) -> dict[str, Any]:
    """The ``decided`` event's ``deciding_physician`` entry (nothing when none decided)."""
    if physician is None:
        return {}
    lines = [d.line_number for d in body.lines if is_medical_necessity(d)]
    return {"deciding_physician": {**physician.as_data(), "line_numbers": lines}}
