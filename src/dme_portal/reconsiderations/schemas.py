"""API schemas of reconsideration: the vendor's ask, the physician's decision, the reads."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from dme_portal.reconsiderations.models import ReconsiderationOutcome, ReconsiderationStatus
from dme_portal.review.schemas import DecidingPhysician
from dme_portal.submissions.models import LineOutcome
from dme_portal.submissions.schemas import DecidingPhysicianRead, IsoDate
from dme_portal.text import Text


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReconsiderationCreate(_Body):
    """Ask the network to reconsider denied or modified lines, on the family's behalf."""

    lines: list[StrictInt] = Field(
        min_length=1,
        max_length=50,
        description="The `line_number`s to reconsider: each denied or modified, within the "
        "network's reconsideration period after the decision, and not under reconsideration "
        "already.",
    )
    reason: Text = Field(
        min_length=1,
        max_length=4000,
        description="Why the decision should change, as the reconsidering physician will read it.",
    )
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=20,
        description="New documents, uploaded first with `POST /v1/attachments` (as for a "
        "submission); they become attachments of the request.",
    )
    expedited: StrictBool = Field(
        default=False,
        description="Ask for the expedited clock (the ruleset's `expedited_turnaround_hours`, "
        "72 by default) because waiting could seriously jeopardise the child's life, health or "
        "function; needs `expedited_reason`.",
    )
    expedited_reason: Text | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Required when `expedited`: why the standard clock would harm the child.",
    )


class LineVerdict(StrEnum):
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class ReconsiderationDecisionLine(_Body):
    """The outcome for one line under reconsideration."""

    line_number: StrictInt = Field(ge=1, le=50, description="The line (`line_number`).")
    outcome: LineVerdict = Field(
        description="`upheld` keeps the decision; `overturned` approves the line and issues "
        "(or amends) its authorization."
    )
    quantity: StrictInt | None = Field(
        default=None,
        gt=0,
        le=100_000,
        description="Overturned only: the approved quantity (the requested one by default; "
        "less makes the line `modified`).",
    )
    start_date: IsoDate | None = Field(
        default=None, description="Overturned only: the authorized period's start."
    )
    end_date: IsoDate | None = Field(
        default=None, description="Overturned only: the authorized period's end."
    )


class ReconsiderationDecision(_Body):
    """The reconsidering physician's decision on every line of the reconsideration."""

    lines: list[ReconsiderationDecisionLine] = Field(
        min_length=1, max_length=50, description="One entry per line under reconsideration."
    )
    note: Text | None = Field(
        default=None,
        max_length=4000,
        description="The decision explained to the vendor and the family.",
    )
    deciding_physician: DecidingPhysician | None = Field(
        default=None,
        description="Required from a network's UM system (`network_client`): the physician "
        "who reconsidered, with an NPI other than the original decision's. People leave it "
        "out: a medical director decides as themself.",
    )


class ReconsiderationLineRead(BaseModel):
    """A line under reconsideration and, once decided, what became of it."""

    line_number: int = Field(description="The request line.")
    outcome: LineVerdict | None = Field(description="`upheld` or `overturned`; null while open.")
    line_outcome: LineOutcome | None = Field(
        default=None, description="The line's outcome after an overturn (`approved`/`modified`)."
    )
    quantity: int | None = Field(default=None, description="The approved quantity if overturned.")
    start_date: date | None = Field(default=None, description="Authorized start if overturned.")
    end_date: date | None = Field(default=None, description="Authorized end if overturned.")
    authorization_number: str | None = Field(
        default=None, description="The authorization issued or amended, if overturned."
    )


class ReconsiderationRead(BaseModel):
    """A reconsideration as the vendor and the network read it."""

    view: Literal["full"] = Field(default="full", description="Always `full` here.")
    id: uuid.UUID = Field(description="The reconsideration.")
    request_id: uuid.UUID = Field(description="The authorization request it reconsiders.")
    lines: list[ReconsiderationLineRead] = Field(description="The lines under reconsideration.")
    status: ReconsiderationStatus = Field(description="`open` or `decided`.")
    outcome: ReconsiderationOutcome | None = Field(
        description="`upheld`, `overturned` or `partially_overturned`; null while open."
    )
    requested_at: datetime = Field(description="When the hub received it: its clock starts.")
    requested_by: str = Field(description="Who asked (the vendor's user or client).")
    reason: str = Field(description="The vendor's reason.")
    attachment_ids: list[uuid.UUID] = Field(description="Documents sent with it.")
    expedited: bool = Field(description="On the expedited clock.")
    expedited_reason: str | None = Field(description="Why expedited, when it is.")
    ruleset_version: int | None = Field(
        description="The network ruleset version whose period and turnaround applied."
    )
    due_at: datetime = Field(description="When the network must decide it (its own clock).")
    decided_at: datetime | None = Field(description="When it was decided.")
    decided_by: str | None = Field(description="Who recorded the decision.")
    deciding_physician: DecidingPhysicianRead | None = Field(
        description="The physician who reconsidered (never the one who made the decision)."
    )
    note: str | None = Field(description="The decision explained.")
    version: int = Field(description='Bumped on every change; the ETag is `"v<version>"`.')


class ReconsiderationStatusView(BaseModel):
    """A reconsideration as a status reader reads it: where it stands, nothing clinical
    (no reason, documents, note or physician)."""

    view: Literal["status"] = Field(description="Always `status`.")
    id: uuid.UUID = Field(description="The reconsideration.")
    request_id: uuid.UUID = Field(description="The authorization request it reconsiders.")
    lines: list[ReconsiderationLineRead] = Field(description="The lines under reconsideration.")
    status: ReconsiderationStatus = Field(description="`open` or `decided`.")
    outcome: ReconsiderationOutcome | None = Field(description="Null while open.")
    requested_at: datetime = Field(description="When the hub received it.")
    expedited: bool = Field(description="On the expedited clock.")
    due_at: datetime = Field(description="When the network must decide it.")
    decided_at: datetime | None = Field(description="When it was decided.")
    version: int = Field(description="The reconsideration's version.")


ReconsiderationView = ReconsiderationRead | ReconsiderationStatusView


class ReconsiderationList(BaseModel):
    """A request's reconsiderations, oldest first."""

    items: list[ReconsiderationView] = Field(
        description="`ReconsiderationStatusView` for status readers (network admins, care "
        "coordinators, the plan's admins and systems), `ReconsiderationRead` for the vendor "
        "and the network's review."
    )


class ReconsiderationPage(BaseModel):
    """One page of the network's reconsiderations, earliest due first."""

    items: list[ReconsiderationRead] = Field(description="The reconsiderations on this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )
