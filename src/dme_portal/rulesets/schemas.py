"""API schemas of rulesets, CSAG assignments and coverage checks."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dme_portal.rules.evaluate import RuleOutcome
from dme_portal.rules.ruleset import DocumentType, RuleSet
from dme_portal.submissions.schemas import Cin, IsoDate, NetworkRef


class RulesetVersionRead(BaseModel):
    network_id: uuid.UUID
    version: int
    published_at: datetime
    published_by: str
    document: RuleSet


class RulesetVersionSummary(BaseModel):
    version: int
    published_at: datetime
    published_by: str


class RulesetVersionList(BaseModel):
    items: list[RulesetVersionSummary]


class DraftWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] = Field(description="The ruleset being edited; validated on publish.")


class DraftRead(BaseModel):
    network_id: uuid.UUID
    document: dict[str, Any]
    updated_at: datetime
    updated_by: str
    revision: int


class ValidationIssue(BaseModel):
    field: str
    message: str


class DraftValidation(BaseModel):
    valid: bool
    errors: list[ValidationIssue]


class DiffEntry(BaseModel):
    path: str
    before: Any = None
    after: Any = None


class RulesetDiff(BaseModel):
    from_version: int
    to_version: int
    changes: list[DiffEntry]


class CsagAssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_cin: Cin
    csag_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    effective_from: IsoDate
    effective_to: IsoDate | None = None


class CsagAssignmentEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_to: IsoDate


class CsagAssignmentRead(BaseModel):
    id: uuid.UUID
    network_id: uuid.UUID
    member_cin: str
    csag_id: str
    effective_from: date
    effective_to: date | None
    assigned_at: datetime
    assigned_by: str
    ended_at: datetime | None
    ended_by: str | None


class CsagAssignmentPage(BaseModel):
    items: list[CsagAssignmentRead]
    next_cursor: str | None


class ReasonRead(BaseModel):
    code: str
    message: str


class TraceRead(BaseModel):
    rule: str
    passed: bool
    message: str


class CoverageLine(BaseModel):
    line_number: int
    hcpcs: str
    authorization_required: bool
    would_be_approved: bool = Field(
        description="True when the rules would approve the line now, with the documents named "
        "in `attachment_ids`."
    )
    outcome: RuleOutcome
    decided_by: str | None
    documents_required: list[DocumentType]
    documents_missing: list[DocumentType] = Field(
        description="Required documents not among `attachment_ids`: upload them first, or "
        "after submitting (an `awaiting_documents` line is approved when they arrive)."
    )
    reasons: list[ReasonRead]
    trace: list[TraceRead]
    authorized_start: date | None
    authorized_end: date | None
    contract_status: str


class CoverageCheckResult(BaseModel):
    network: NetworkRef
    ruleset_version: int | None
    lines: list[CoverageLine]
