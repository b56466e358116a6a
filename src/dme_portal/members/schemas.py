"""Eligibility answer: no names or birth dates, only what routing needs."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from dme_portal.submissions.schemas import IsoDate, NetworkRef


class Eligibility(BaseModel):
    """Which network decides for the member on a date, and whether CCS covers them."""

    cin: str = Field(description="The member's Medi-Cal CIN.")
    on: date = Field(description="The date asked about.")
    enrolled: bool = Field(description="Enrolled in a network of the plan on `on`.")
    network: NetworkRef | None = Field(
        description="The network that decides the member's requests on `on`; null when not "
        "enrolled."
    )
    enrollment_from: date | None = Field(description="First day of that enrollment.")
    enrollment_to: date | None = Field(
        description="Last day of that enrollment; null while open-ended."
    )
    ccs_eligible: bool = Field(description="CCS-eligible on `on` (annual redetermination).")
    ccs_eligible_from: date | None = Field(description="First day of the CCS eligibility.")
    ccs_eligible_to: date | None = Field(
        description="Last day of the CCS eligibility (the next redetermination is due)."
    )


# A network's id (a UUID) or its code (as in paths and filters, api/network_ref.py).
_NETWORK_REF = (
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[a-z0-9][a-z0-9_-]{0,31})$"
)


class EnrollmentCreate(BaseModel):
    """The member's enrollment in a network from a date (a move, or a first enrollment)."""

    model_config = ConfigDict(extra="forbid")

    network: str = Field(
        pattern=_NETWORK_REF,
        description="The network's `id` or `code` (a network of the caller's plan).",
        examples=["choc"],
    )
    effective_from: IsoDate = Field(
        description="First day in the network. Must be after the start of the member's latest "
        "enrollment; that enrollment is closed the day before."
    )
    effective_to: IsoDate | None = Field(
        default=None, description="Last day, inclusive; null while open-ended."
    )
    reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Why (e.g. `county transfer`, `family choice`); kept with the period and on "
        "the timelines of the authorizations it carries over. No PHI.",
    )


class EnrollmentRead(BaseModel):
    """One period of the member's enrollment."""

    id: uuid.UUID = Field(description="The enrollment's id.")
    network: NetworkRef = Field(description="The network the member is enrolled in.")
    effective_from: date = Field(description="First day.")
    effective_to: date | None = Field(description="Last day, inclusive; null while open-ended.")
    reason: str | None = Field(description="Why it was recorded, if said.")
    recorded_by: str | None = Field(
        description="Who recorded it (`user:...`, `client:...`, `cli:load-enrollments`); null "
        "for periods recorded before the hub kept this."
    )
    recorded_at: datetime | None = Field(description="When it was recorded.")


class ContinuityRead(BaseModel):
    """An authorization in force that the new network honours under continuity of care."""

    authorization_id: uuid.UUID = Field(description="The authorization's id.")
    authorization_number: str = Field(description="Its number.")
    request_id: uuid.UUID = Field(description="The request it came from.")
    hcpcs: str = Field(description="The item.")
    source_network: NetworkRef = Field(description="The network that issued it (unchanged).")
    continuity_network: NetworkRef = Field(description="The network the member moved to.")
    end_date: date = Field(description="The authorization's own end.")
    continuity_until: date = Field(
        description="Honoured until this day: its end, or the end of the plan's continuity "
        "period (`continuity_months` from the move, W&I Code 14094.13) if sooner."
    )


class EnrollmentOutcome(StrEnum):
    """What recording an enrollment did."""

    APPLIED = "applied"
    UNCHANGED = "unchanged"


class EnrollmentChange(BaseModel):
    """What recording an enrollment did."""

    cin: str = Field(description="The member's CIN.")
    outcome: EnrollmentOutcome = Field(description="Whether anything changed.")
    enrollment: EnrollmentRead = Field(description="The period recorded (or found).")
    closed: EnrollmentRead | None = Field(
        description="The previous period, now ending the day before; null when none was open."
    )
    continuity: list[ContinuityRead] = Field(
        description="Authorizations in force carried over to the new network (empty when the "
        "network did not change)."
    )


class EnrollmentHistory(BaseModel):
    """The member's enrollment periods, oldest first (in the caller's scope)."""

    cin: str = Field(description="The member's CIN.")
    items: list[EnrollmentRead] = Field(description="Oldest first.")
