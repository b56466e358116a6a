"""API schemas of authorization requests: strict on input, explicit on output."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from dme_portal.codes import cin as cin_codes
from dme_portal.codes import hcpcs, icd10, npi
from dme_portal.sla.policy import SlaState
from dme_portal.submissions import validation
from dme_portal.submissions.models import (
    Acquisition,
    ActorType,
    AuthorizationState,
    LineOutcome,
    RequestKind,
    RequestStatus,
    Urgency,
)
from dme_portal.text import Text
from dme_portal.vendors.models import ContractStatus

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_only(value: Any) -> Any:
    # JSON has no date type: accept only YYYY-MM-DD strings (not numbers, timestamps, booleans).
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value} is not a calendar date") from exc
    raise ValueError("must be a date in ISO 8601 form (YYYY-MM-DD)")


IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


def _check_hcpcs(code: str) -> str:
    if hcpcs.lookup(code) is None:
        raise ValueError(f"{code} is not a DME HCPCS code known to the hub")
    return code


def _check_modifier(code: str) -> str:
    if not hcpcs.is_known_modifier(code):
        raise ValueError(f"{code} is not a known HCPCS modifier")
    return code


def _check_icd10(code: str) -> str:
    normalized = icd10.normalize(code)
    if not icd10.is_billable(normalized):
        raise ValueError(f"{code} is not a billable ICD-10-CM code")
    return normalized


def _check_npi(value: str) -> str:
    if not npi.is_valid_npi(value):
        raise ValueError("is not a valid NPI (check digit does not match)")
    return value


def _check_cin(value: str) -> str:
    if not cin_codes.is_valid_cin(value):
        raise ValueError("must be a Medi-Cal CIN: 8 digits followed by a letter")
    return value


HcpcsCode = Annotated[
    str,
    Field(pattern=r"^[A-Z][0-9]{4}$", examples=["E1161"]),
    AfterValidator(_check_hcpcs),
]
Modifier = Annotated[str, Field(pattern=r"^[A-Z0-9]{2}$"), AfterValidator(_check_modifier)]
Icd10Code = Annotated[
    str,
    Field(pattern=r"^[A-TV-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$", examples=["G80.0"]),
    AfterValidator(_check_icd10),
]
Npi = Annotated[
    str, Field(pattern=r"^[0-9]{10}$", examples=["1234567893"]), AfterValidator(_check_npi)
]
Cin = Annotated[
    str, Field(pattern=r"^[0-9]{8}[A-Z]$", examples=["91234567A"]), AfterValidator(_check_cin)
]


class Unit(StrEnum):
    EACH = "each"
    PAIR = "pair"
    BOX = "box"
    CASE = "case"
    PACK = "pack"
    KIT = "kit"
    MONTH = "month"
    DAY = "day"


class Frequency(StrEnum):
    ONCE = "once"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


def _no_repeats(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("lists the same modifier twice")
    return values


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class LineCreate(_Strict):
    hcpcs: HcpcsCode
    modifiers: Annotated[list[Modifier], AfterValidator(_no_repeats)] = Field(
        default_factory=list, max_length=4
    )
    quantity: StrictInt = Field(gt=0, le=100_000)
    unit: Unit = Unit.EACH
    frequency: Frequency = Frequency.ONCE
    start_date: IsoDate
    end_date: IsoDate
    acquisition: Acquisition = Acquisition.PURCHASE
    brand: Text | None = Field(default=None, min_length=1, max_length=120)
    manufacturer: Text | None = Field(default=None, min_length=1, max_length=120)
    brand_reason: Text | None = Field(default=None, min_length=1, max_length=2000)


class AuthorizationRequestCreate(_Strict):
    """A vendor's request: the member, the diagnoses (primary first) and the lines."""

    member_cin: Cin
    network_id: uuid.UUID | None = Field(
        default=None, description="Optional: must agree with the member's enrollment."
    )
    prescriber_npi: Npi
    urgency: Urgency = Urgency.STANDARD
    expedited_reason: Text | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Required when urgency is expedited: why the standard timeframe could "
        "seriously jeopardize the member's health.",
    )
    kind: RequestKind = RequestKind.INITIAL
    diagnoses: list[Icd10Code] = Field(min_length=1, max_length=12)
    lines: list[LineCreate] = Field(min_length=1, max_length=50)
    notes: Text | None = Field(default=None, max_length=4000)
    attachment_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=20,
        description="Documents uploaded first with `POST /v1/attachments`: they are attached "
        "to the new request and count for the network's documentation rules at once.",
    )

    @field_validator("attachment_ids")
    @classmethod
    def _distinct_attachments(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(value)) != len(value):
            raise ValueError("names the same attachment twice")
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem_at_once(
        cls, data: Any, handler: ModelWrapValidatorHandler[AuthorizationRequestCreate]
    ) -> AuthorizationRequestCreate:
        # Periods, duplicates and the expedited reason come with the field errors, not after.
        extra = validation.request_problems(data)
        try:
            model = handler(data)
        except ValidationError as exc:
            if not extra:
                raise
            raise validation.merged(cls.__name__, exc, extra) from None
        if extra:
            raise validation.merged(cls.__name__, None, extra)
        return model


class CancelBody(_Strict):
    reason: Text | None = Field(default=None, max_length=2000)


class RuleReason(BaseModel):
    code: str
    message: str


class RuleTraceStep(BaseModel):
    rule: str
    passed: bool
    message: str


class LineRules(BaseModel):
    """What the network's rules said about the line at submission."""

    outcome: str = Field(
        description="approved, not_required, needs_review, or awaiting_documents (the rules "
        "approve the line as soon as the documents in `documents_missing` are on file)"
    )
    decided_by: str | None = Field(description="The rule that decided, e.g. `csag:cp-orthotics`.")
    reasons: list[RuleReason]
    trace: list[RuleTraceStep]
    documents_required: list[str]
    documents_missing: list[str] = Field(
        description="Required documents not on file yet (empty once the line is decided)."
    )


class LineAuthorization(BaseModel):
    number: str
    start_date: date
    end_date: date
    state: AuthorizationState = Field(
        description="`active` while in force; `void` once its request was cancelled."
    )


class LineRead(BaseModel):
    id: uuid.UUID
    line_number: int
    hcpcs: str
    description: str
    category: str
    modifiers: list[str]
    quantity: int
    unit: str
    frequency: str
    start_date: date
    end_date: date
    acquisition: Acquisition
    brand: str | None
    manufacturer: str | None
    brand_reason: str | None
    contract_status: ContractStatus = Field(
        description="The vendor's contract with the network on the line's start date."
    )
    outcome: LineOutcome | None
    x12_action_code: str = Field(
        description="X12 278 HCR01: A1, A3, A4 (pending), A6, NA, or C when the request was "
        "cancelled (its authorizations are void)."
    )
    approved_quantity: int | None
    decision_reason_code: str | None
    decision_reason: str | None
    rules: LineRules | None = Field(description="Null when the network had no ruleset.")
    authorization: LineAuthorization | None


class NetworkRef(BaseModel):
    id: uuid.UUID
    code: str
    name: str


class MemberSummary(BaseModel):
    """Whom the request is for. Names and birth date are PHI: never logged."""

    cin: str
    first_name: str
    last_name: str
    birth_date: date
    age_years: int = Field(
        description="Age in whole years on the hub's current date (UTC) when the response was "
        "made (for a replayed submission: when it was first made)."
    )


class VendorRef(BaseModel):
    id: uuid.UUID
    name: str
    npi: str


class InformationRequestRead(BaseModel):
    """A question the network asked the vendor, and the vendor's answer once given."""

    id: uuid.UUID
    request_id: uuid.UUID
    requested_at: datetime = Field(description="When the network asked.")
    requested_by: str = Field(
        description="Who asked, as their token named them: `user:<username>` for a reviewer "
        "or medical director, `client:<id>` for the network's own UM system (or the subject "
        "given by the network's identity provider)."
    )
    requested_by_role: str = Field(
        description="Always `network_reviewer`: only the network's review staff or UM system "
        "asks for information; the hub keeps no person's name.",
        examples=["network_reviewer"],
    )
    message: str = Field(description="The question, as the network wrote it.")
    documents_requested: list[str] = Field(description="Document types asked for.")
    due_at: datetime | None = Field(
        description="While the question is open and the SLA clock keeps running, the time by "
        "which the network must decide (the request's `due_at`): answer well before it, or the "
        "network decides on what it has. Null once answered, and while the network's policy "
        "stops the clock during the question (the hub sets the vendor no separate deadline)."
    )
    answered_at: datetime | None = Field(description="Null while the question is open.")
    answered_by: str | None
    answer: str | None = Field(description="The vendor's answer.")
    attachment_ids: list[str] = Field(description="Attachments the vendor sent with the answer.")


class AuthorizationRequestRead(BaseModel):
    id: uuid.UUID
    status: RequestStatus
    x12_action_code: str = Field(description="X12 278 HCR01: A1, A2, A3, A4, A6 or C.")
    urgency: Urgency
    kind: RequestKind
    member_cin: str
    vendor_id: uuid.UUID
    network: NetworkRef
    prescriber_npi: str
    diagnoses: list[str]
    lines: list[LineRead]
    notes: str | None
    received_at: datetime
    due_at: datetime
    decided_at: datetime | None
    updated_at: datetime
    sla_state: SlaState
    waiting_on: str = Field(
        description="In plain words: what the request waits for, and from whom."
    )
    version: int
    ruleset_version: int | None = Field(description="The network ruleset version applied.")
    expedited_reason: str | None
    sla_paused: bool = Field(description="True while the clock stands still (pended).")
    paused_seconds: int = Field(description="Time the clock has stood still so far.")
    assigned_to: str | None = Field(description="The reviewer who has claimed it.")
    network_reference: str | None = Field(description="The network system's own number.")
    member: MemberSummary
    vendor: VendorRef
    open_information_request: InformationRequestRead | None = Field(
        description="The network's open question to the vendor; null when none is open. "
        "Always null for care coordinators: a question can carry clinical detail, so they see "
        "only that the request is `pended` and, in `waiting_on`, what it waits for."
    )
    vendor_answered_since_last_question: bool | None = Field(
        description="Whether the vendor has answered the network's latest question; null when "
        "the network never asked one."
    )


class AuthorizationRequestPage(BaseModel):
    items: list[AuthorizationRequestRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class InformationRequestList(BaseModel):
    items: list[InformationRequestRead] = Field(description="Oldest first.")


class EventRead(BaseModel):
    id: uuid.UUID
    sequence: int
    occurred_at: datetime
    kind: str
    actor_type: ActorType
    actor_id: str | None
    actor_role: str | None
    from_status: RequestStatus | None
    to_status: RequestStatus | None
    reason: str | None
    data: dict[str, Any]


class EventList(BaseModel):
    items: list[EventRead]
