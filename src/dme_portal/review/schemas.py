"""API schemas of review: decisions, information requests, the queue and the change feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from dme_portal.review.reasons import DecisionReason
from dme_portal.rules.ruleset import DocumentType
from dme_portal.submissions.schemas import AuthorizationRequestRead, IsoDate
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
    line_number: StrictInt = Field(ge=1, le=50)
    outcome: DecisionOutcome
    quantity: StrictInt | None = Field(
        default=None, gt=0, le=100_000, description="Approved quantity (less when modified)."
    )
    start_date: IsoDate | None = Field(default=None, description="Authorized period start.")
    end_date: IsoDate | None = Field(default=None, description="Authorized period end.")
    reason_code: DecisionReason | None = Field(
        default=None, description="Required to deny or modify; see the reason code list."
    )
    reason: Text | None = Field(default=None, min_length=1, max_length=4000)


class DecisionCreate(_Body):
    """A decision on every line still open; the same body for reviewers and network systems."""

    lines: list[DecisionLine] = Field(min_length=1, max_length=50)
    note: Text | None = Field(default=None, max_length=4000)
    network_reference: Text | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The network's own reference number (kept as given).",
    )


class UrgencyChange(_Body):
    urgency: Literal["standard"] = Field(description="Only a downgrade to standard.")
    reason: Text = Field(min_length=1, max_length=2000)


class InformationRequestCreate(_Body):
    message: Text = Field(min_length=1, max_length=4000)
    documents_requested: list[DocumentType] = Field(default_factory=list, max_length=10)
    network_reference: Text | None = Field(default=None, min_length=1, max_length=100)


class InformationResponseCreate(_Body):
    message: Text = Field(min_length=1, max_length=4000)
    attachment_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class QueuePage(BaseModel):
    items: list[AuthorizationRequestRead]
    next_cursor: str | None


class ChangeRead(BaseModel):
    change_id: int
    kind: str
    changed_at: datetime
    request: AuthorizationRequestRead


class ChangePage(BaseModel):
    items: list[ChangeRead]
    next_cursor: str = Field(description="Pass back as `cursor` to continue; stable when empty.")


class ReasonCodeRead(BaseModel):
    code: DecisionReason
    text: str
    medical_necessity: bool = Field(description="Only a medical director may use it.")


class ReasonCodeList(BaseModel):
    items: list[ReasonCodeRead]
