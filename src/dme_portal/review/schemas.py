"""API schemas of review: decisions, information requests, the queue and the change feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from dme_portal.authorizations.schemas import ContinuityView
from dme_portal.review.reasons import DecisionReason
from dme_portal.rules.ruleset import DocumentType
from dme_portal.submissions.schemas import AuthorizationRequestRead, IsoDate, Npi
from dme_portal.submissions.schemas import (  # re-exported: it lives with its model
    InformationRequestRead as InformationRequestRead,
)
from dme_portal.text import Text


class DecisionOutcome(StrEnum):
    APPROVED = "approved"
    MODIFIED = "modified"
    DENIED = "denied"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionLine(_Body):
    """The decision on one open line."""

    line_number: StrictInt = Field(ge=1, le=50, description="The line decided (`line_number`).")
    outcome: DecisionOutcome = Field(description="Approve, modify or deny the line.")
    quantity: StrictInt | None = Field(
        default=None, gt=0, le=100_000, description="Approved quantity (less when modified)."
    )
    start_date: IsoDate | None = Field(default=None, description="Authorized period start.")
    end_date: IsoDate | None = Field(default=None, description="Authorized period end.")
    reason_code: DecisionReason | None = Field(
        default=None, description="Required to deny or modify; see the reason code list."
    )
    reason: Text | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="Required to deny or modify: the decision explained to the vendor and "
        "the family.",
    )


class DecidingPhysician(_Body):
    """The physician who made a medical-necessity determination, as a network's UM system
    names them (California HSC 1367.01(e))."""

    npi: Npi = Field(description="The physician's NPI: 10 digits with a valid check digit.")
    name: Text = Field(
        min_length=1, max_length=200, description="The physician's name, as they sign."
    )


class DecisionCreate(_Body):
    """A decision on every line still open; the same body for reviewers and network systems."""

    lines: list[DecisionLine] = Field(
        min_length=1, max_length=50, description="One entry for each open line, and only those."
    )
    note: Text | None = Field(
        default=None, max_length=4000, description="A note on the timeline's `decided` event."
    )
    network_reference: Text | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The network's own reference number (kept as given).",
    )
    deciding_physician: DecidingPhysician | None = Field(
        default=None,
        description="Required from a network's UM system (`network_client`) when a line is "
        "denied or modified for a medical-necessity reason (`medical_necessity: true` in "
        "`GET /v1/review/reason-codes`): the physician who made the determination. People "
        "leave it out: a medical director's decision records the signed-in medical director.",
    )


class UrgencyChange(_Body):
    """Downgrade an expedited request to standard; the standard clock runs from receipt."""

    urgency: Literal["standard"] = Field(description="Only a downgrade to standard.")
    reason: Text = Field(
        min_length=1, max_length=2000, description="Why expedited handling is not needed."
    )


class InformationRequestCreate(_Body):
    """Pend the request with a question or a list of documents for the vendor."""

    message: Text = Field(
        min_length=1, max_length=4000, description="The question, as the vendor will read it."
    )
    documents_requested: list[DocumentType] = Field(
        default_factory=list, max_length=10, description="Document types the vendor should send."
    )
    network_reference: Text | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The network's own reference number (kept as given).",
    )


class InformationResponseCreate(_Body):
    """The vendor's answer to the network's open question."""

    message: Text = Field(min_length=1, max_length=4000, description="The answer.")
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=20,
        description="Attachments of this request that go with the answer (upload them first "
        "with `POST /v1/authorization-requests/{request_id}/attachments`).",
    )


class QueuePage(BaseModel):
    """One page of the review queue, earliest due first."""

    items: list[AuthorizationRequestRead] = Field(description="The requests on this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class ChangeRead(BaseModel):
    """A change to one of the network's requests, with the request as it is now."""

    change_id: int = Field(description="Increasing position in the network's feed.")
    kind: str = Field(
        description="What changed: `submitted`, `rules_approved`, `decided`, "
        "`information_requested`, `information_received`, `urgency_downgraded`, "
        "`sla_at_risk`, `sla_breached`, `cancelled`, `reconsideration_requested`, "
        "`reconsideration_decided`, `member_moved_network` (the member changed network; its "
        "authorizations in force are honoured by the new one), `authorization_expiring`, "
        "`authorization_expired` or `authorization_superseded` (one of the request's "
        "authorizations changed state as its dates passed)."
    )
    changed_at: datetime = Field(description="When it changed.")
    request: AuthorizationRequestRead | None = Field(
        default=None,
        description="The request now (not at the change); absent (`null`) on a "
        "`member_moved_network` change that carries `continuity` instead.",
    )
    continuity: ContinuityView | None = Field(
        default=None,
        description="Only on `member_moved_network` in the feed of the network a member moved "
        "to, appended on the move's effective date (as they stood that day): the "
        "authorizations it now honours (number, item, period, vendor, source network, "
        "`continuity_until`), the member's CIN and name, nothing clinical; "
        "`GET /v1/authorizations/{id}` gives each as it is now. `request` is then absent: "
        "the old network's request is never returned.",
    )


class ChangePage(BaseModel):
    """The network's changes after the cursor, oldest first."""

    items: list[ChangeRead] = Field(description="Up to `limit` changes; empty when none is new.")
    next_cursor: str = Field(description="Pass back as `cursor` to continue; stable when empty.")


class ReasonCodeRead(BaseModel):
    """A reason a line may be denied or modified for."""

    code: DecisionReason = Field(description="The code to send as `reason_code`.")
    text: str = Field(description="The reason in words, as the vendor sees it.")
    medical_necessity: bool = Field(
        description="Only a physician may deny or reduce for it: a medical director, or a "
        "network system that names the `deciding_physician`."
    )


class ReasonCodeList(BaseModel):
    """Every decision reason code."""

    items: list[ReasonCodeRead] = Field(description="In a stable order.")
