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
    """One published version of a network's ruleset: immutable once published."""

    network_id: uuid.UUID = Field(description="The network whose rules these are.")
    version: int = Field(description="1, 2, 3...; requests record the version that ruled them.")
    published_at: datetime = Field(description="When it was published.")
    published_by: str = Field(description="Who published it (`user:<username>`).")
    document: RuleSet = Field(description="The rules.")


class RulesetVersionSummary(BaseModel):
    """A published version, without its document."""

    version: int = Field(description="The version number.")
    published_at: datetime = Field(description="When it was published.")
    published_by: str = Field(description="Who published it.")


class RulesetVersionList(BaseModel):
    """The network's published versions."""

    items: list[RulesetVersionSummary] = Field(description="Newest first.")


class DraftWrite(BaseModel):
    """The draft to save; any JSON object is kept, and checked on validate and publish."""

    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] = Field(description="The ruleset being edited; validated on publish.")


class DraftRead(BaseModel):
    """The network's draft ruleset (one per network), as last saved.

    Its `ETag` is `"d<revision>"`: send it as `If-Match` when saving to avoid overwriting a
    colleague's edit.
    """

    network_id: uuid.UUID = Field(description="The network whose draft it is.")
    document: dict[str, Any] = Field(
        description="The draft ruleset as saved; it may not be valid yet (see `validate`)."
    )
    updated_at: datetime = Field(description="When it was last saved.")
    updated_by: str = Field(description="Who last saved it.")
    revision: int = Field(description="Increases with every save.")


class ValidationIssue(BaseModel):
    """One problem in a draft ruleset."""

    field: str = Field(description="Where, e.g. `csags[0].items[2].hcpcs`.")
    message: str = Field(description="What is wrong, and the rule it breaks where there is one.")


class DraftValidation(BaseModel):
    """Whether the draft would publish, and every problem that would stop it."""

    valid: bool = Field(description="True when `errors` is empty.")
    errors: list[ValidationIssue] = Field(description="Each problem with its field.")


class DiffEntry(BaseModel):
    """One value that differs between the two versions."""

    path: str = Field(description="Where in the document, e.g. `durations.lifelong_days`.")
    before: Any = Field(default=None, description="The value in `from`; null when added.")
    after: Any = Field(default=None, description="The value in `to`; null when removed.")


class RulesetDiff(BaseModel):
    """What changed between two published versions."""

    from_version: int = Field(description="The older version compared.")
    to_version: int = Field(description="The newer version compared.")
    changes: list[DiffEntry] = Field(description="Each changed value; empty when identical.")


class CsagAssignmentCreate(BaseModel):
    """Assign a member to a CSAG whose items need assignment by the network's case manager."""

    model_config = ConfigDict(extra="forbid")

    member_cin: Cin = Field(description="The member's Medi-Cal CIN.")
    csag_id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="The CSAG's `id` in the network's current ruleset, e.g. `trach-care`.",
    )
    effective_from: IsoDate = Field(description="First day the assignment counts.")
    effective_to: IsoDate | None = Field(
        default=None, description="Last day, inclusive; null while open-ended."
    )


class CsagAssignmentEnd(BaseModel):
    """End an assignment on a date."""

    model_config = ConfigDict(extra="forbid")

    effective_to: IsoDate = Field(description="Last day the assignment counts, inclusive.")


class CsagAssignmentRead(BaseModel):
    """A member's assignment to one of the network's CSAGs."""

    id: uuid.UUID = Field(description="The assignment's id.")
    network_id: uuid.UUID = Field(description="The network.")
    member_cin: str = Field(description="The member's Medi-Cal CIN.")
    csag_id: str = Field(description="The CSAG's id in the network's ruleset.")
    effective_from: date = Field(description="First day it counts.")
    effective_to: date | None = Field(description="Last day it counts; null while open-ended.")
    assigned_at: datetime = Field(description="When it was made.")
    assigned_by: str = Field(description="Who made it.")
    ended_at: datetime | None = Field(description="When it was ended, if it was.")
    ended_by: str | None = Field(description="Who ended it, if anyone.")


class CsagAssignmentPage(BaseModel):
    """One page of CSAG assignments, newest first."""

    items: list[CsagAssignmentRead] = Field(description="The assignments on this page.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class ReasonRead(BaseModel):
    """Why the rules would not approve the line."""

    code: str = Field(description="Stable reason code, e.g. `documents_missing`.")
    message: str = Field(description="The reason in words a vendor can act on.")


class TraceRead(BaseModel):
    """One rule applied to the line, in order."""

    rule: str = Field(description="The rule, e.g. `csag:t1d-supplies`.")
    passed: bool = Field(description="Whether the line met it.")
    message: str = Field(description="What the rule found.")


class CoverageLine(BaseModel):
    """What the network's rules would do with one line of the draft request."""

    line_number: int = Field(description="1-based position in the draft's `lines`.")
    hcpcs: str = Field(description="The line's HCPCS code.")
    authorization_required: bool = Field(
        description="False when the network needs no authorization for the code (within its "
        "quantity ceiling)."
    )
    would_be_approved: bool = Field(
        description="True when the rules would approve the line now, with the documents named "
        "in `attachment_ids`."
    )
    outcome: RuleOutcome = Field(description="The rules' outcome for the line.")
    decided_by: str | None = Field(description="The rule that would decide, if one would.")
    documents_required: list[DocumentType] = Field(
        description="Documents the network's rules ask for on this line."
    )
    documents_missing: list[DocumentType] = Field(
        description="Required documents not among `attachment_ids`: upload them first, or "
        "after submitting (an `awaiting_documents` line is approved when they arrive)."
    )
    reasons: list[ReasonRead] = Field(description="Why not approved now, if so.")
    trace: list[TraceRead] = Field(description="Every rule applied, in order.")
    authorized_start: date | None = Field(
        description="The period the rules would authorize: first day (null unless approved)."
    )
    authorized_end: date | None = Field(
        description="Last day of that period, inclusive (null unless approved)."
    )
    contract_status: str = Field(
        description="`in_network` or `out_of_network`: the vendor's contract with the network "
        "on the line's start date."
    )


class CoverageCheckResult(BaseModel):
    """What would happen to the draft request at the member's network; nothing was stored."""

    network: NetworkRef = Field(description="The member's network on the lines' start date.")
    ruleset_version: int | None = Field(
        description="The ruleset version applied; null when the network has none (every line "
        "then goes to review)."
    )
    lines: list[CoverageLine] = Field(description="One per line of the draft, in order.")
