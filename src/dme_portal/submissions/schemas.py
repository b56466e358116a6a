"""API schemas of authorization requests: strict on input, explicit on output."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

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


# Every date the hub accepts lies in these years: far enough for any birth date and any
# authorization period, and far from the calendar's ends, so that no date arithmetic (periods,
# windows, continuity) can overflow (9999-12-31 plus a day is an OverflowError, a 500).
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2199, 12, 31)


def _iso_date_only(value: Any) -> Any:
    # JSON has no date type: accept only YYYY-MM-DD strings (not numbers, timestamps, booleans).
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            value = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value} is not a calendar date") from exc
    if isinstance(value, date):
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValueError(
                f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"
            )
        return value
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
    """One item requested: a HCPCS code, how many, how often, for which period."""

    hcpcs: HcpcsCode = Field(
        description="HCPCS Level II code the hub knows (search `GET /v1/codes/hcpcs`), e.g. "
        "`L1960` (ankle-foot orthosis) or `E1161` (tilt-in-space wheelchair)."
    )
    modifiers: Annotated[list[Modifier], AfterValidator(_no_repeats)] = Field(
        default_factory=list,
        max_length=4,
        description="Up to four HCPCS modifiers, each once: `NU` new, `RR` rental, `UE` used, "
        "`LT`/`RT` left or right side...",
    )
    quantity: StrictInt = Field(
        gt=0, le=100_000, description="Units requested per `frequency`, counted in `unit`."
    )
    unit: Unit = Field(default=Unit.EACH, description="What one unit of `quantity` is.")
    frequency: Frequency = Field(
        default=Frequency.ONCE, description="How often `quantity` is supplied in the period."
    )
    start_date: IsoDate = Field(
        description="First day of the requested period (YYYY-MM-DD), between 1900-01-01 and "
        "2199-12-31 like every date the hub accepts (422 otherwise)."
    )
    end_date: IsoDate = Field(
        description="Last day of the requested period, inclusive; not before `start_date`; "
        "at the latest 2199-12-31."
    )
    acquisition: Acquisition = Field(
        default=Acquisition.PURCHASE, description="Whether the item is bought or rented."
    )
    brand: Text | None = Field(
        default=None,
        min_length=1,
        max_length=120,
        description="A specific brand the member needs, if any; most networks then ask for "
        "`brand_reason`.",
    )
    manufacturer: Text | None = Field(
        default=None, min_length=1, max_length=120, description="The brand's manufacturer."
    )
    brand_reason: Text | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Why this brand and no other (an allergy, a fit, a prior failure).",
    )


class AuthorizationRequestCreate(_Strict):
    """A vendor's request: the member, the diagnoses (primary first) and the lines.

    The same body asks `POST /v1/coverage-checks` what would happen, without storing anything.
    """

    member_cin: Cin = Field(
        description="The member's Medi-Cal CIN (client index number): 8 digits and a letter."
    )
    member_birth_date: IsoDate = Field(
        description="The member's date of birth (YYYY-MM-DD), as eligibility asks: a CIN "
        "alone finds no one. An unknown CIN and a birth date that does not match get the same "
        "404 (`member.not_found`), and count against the caller's member-lookup limit."
    )
    network_id: uuid.UUID | None = Field(
        default=None,
        description="Optional: the hub finds the member's network from their enrollment on "
        "the lines' start date; when given, it must agree (422 otherwise).",
    )
    prescriber_npi: Npi = Field(
        description="NPI of the prescribing physician: 10 digits with a valid check digit."
    )
    urgency: Urgency = Field(
        default=Urgency.STANDARD, description="`expedited` needs `expedited_reason`."
    )
    expedited_reason: Text | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="Required when urgency is expedited: why the standard timeframe could "
        "seriously jeopardize the member's health.",
    )
    kind: RequestKind = Field(
        default=RequestKind.INITIAL,
        description="`initial` for a new item; `renewal` or `change` where the member already "
        "has an authorization for it (an `initial` request overlapping one is a 409).",
    )
    diagnoses: list[Icd10Code] = Field(
        min_length=1,
        max_length=12,
        description="Billable ICD-10-CM codes, primary first (search `GET /v1/codes/icd10`); "
        "networks' condition-specific groups match on them.",
    )
    lines: list[LineCreate] = Field(
        min_length=1,
        max_length=50,
        description="The items, each decided on its own; no two lines for the same code and "
        "an overlapping period.",
    )
    notes: Text | None = Field(
        default=None, max_length=4000, description="Free text for the network's reviewer."
    )
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
    """Why the vendor withdraws the request (optional; the body may be omitted)."""

    reason: Text | None = Field(
        default=None, max_length=2000, description="Shown on the request's timeline."
    )


class RuleReason(BaseModel):
    """Why the rules did not approve a line, with a stable code."""

    code: str = Field(description="Stable reason code, e.g. `csag_quantity_limit`.")
    message: str = Field(description="The reason in words a vendor can act on.")


class RuleTraceStep(BaseModel):
    """One rule the engine applied to the line, in order."""

    rule: str = Field(description="The rule, e.g. `csag:cp-mobility` or `documentation`.")
    passed: bool = Field(description="Whether the line met the rule.")
    message: str = Field(description="What the rule found.")


class LineRules(BaseModel):
    """What the network's rules said about the line at submission."""

    outcome: str = Field(
        description="approved, not_required, needs_review, or awaiting_documents (the rules "
        "approve the line as soon as the documents in `documents_missing` are on file)"
    )
    decided_by: str | None = Field(description="The rule that decided, e.g. `csag:cp-orthotics`.")
    reasons: list[RuleReason] = Field(description="Why the line was not approved, if it was not.")
    trace: list[RuleTraceStep] = Field(description="Every rule applied, in order.")
    documents_required: list[str] = Field(
        description="Document types the network's rules ask for on this line."
    )
    documents_missing: list[str] = Field(
        description="Required documents not on file yet (empty once the line is decided)."
    )


class LineAuthorization(BaseModel):
    """The authorization an approved or modified line grants (`GET /v1/authorizations/{id}`)."""

    id: uuid.UUID | None = Field(
        description="The authorization's id, to follow with `GET /v1/authorizations/{id}` "
        "(null only where the hub has not issued the row yet)."
    )
    number: str = Field(description="The authorization number to bill against.")
    start_date: date = Field(description="First day authorized.")
    end_date: date = Field(description="Last day authorized, inclusive.")
    state: AuthorizationState = Field(
        description="Where the authorization stands now: `active`, `expiring` (within the "
        "renewal window), `expired`, `superseded` by a renewal, or `void` once its request was "
        "cancelled."
    )


class DecidingPhysicianRead(BaseModel):
    """The physician behind a medical-necessity denial or reduction (HSC 1367.01(e))."""

    subject: str | None = Field(
        description="The medical director who decided in the hub (`user:<username>`); null "
        "when a network's UM system decided and named the physician."
    )
    npi: str | None = Field(description="The physician's NPI, as the UM system sent it.")
    name: str | None = Field(description="The physician's name, as the UM system sent it.")


class LineRead(BaseModel):
    """A requested line as the hub holds it: the request, the rules' view, the decision."""

    id: uuid.UUID = Field(description="The line's id.")
    line_number: int = Field(description="1-based position in the request; decisions name it.")
    hcpcs: str = Field(description="HCPCS Level II code requested.")
    description: str = Field(description="The code's description.")
    category: str = Field(description="The code's DME category, e.g. `wheelchairs`.")
    modifiers: list[str] = Field(description="HCPCS modifiers as requested.")
    quantity: int = Field(description="Units requested per `frequency`.")
    unit: str = Field(description="What one unit is (see `Unit`).")
    frequency: str = Field(description="How often the quantity is supplied (see `Frequency`).")
    start_date: date = Field(description="First day of the requested period.")
    end_date: date = Field(description="Last day of the requested period, inclusive.")
    acquisition: Acquisition = Field(description="Bought or rented.")
    brand: str | None = Field(description="Brand requested, if any.")
    manufacturer: str | None = Field(description="Manufacturer of the brand, if given.")
    brand_reason: str | None = Field(description="Why the brand, if given.")
    contract_status: ContractStatus = Field(
        description="The vendor's contract with the network on the line's start date."
    )
    outcome: LineOutcome | None = Field(description="The decision; null while undecided.")
    x12_action_code: str = Field(
        description="X12 278 HCR01: A1, A3, A4 (pending), A6, NA, or C when the request was "
        "cancelled (its authorizations are void)."
    )
    approved_quantity: int | None = Field(
        description="The quantity authorized when less than requested (`modified`); else null."
    )
    decision_reason_code: str | None = Field(
        description="Reason code of a denial or modification (`GET /v1/review/reason-codes`)."
    )
    decision_reason: str | None = Field(description="The decider's words, if any.")
    deciding_physician: DecidingPhysicianRead | None = Field(
        description="Who made the medical-necessity determination of a line denied or modified "
        "for medical necessity (HSC 1367.01(h)(4): the notice names the professional responsible). "
        "Null for other lines, for status readers, and on lines decided before the hub "
        "recorded it."
    )
    rules: LineRules | None = Field(description="Null when the network had no ruleset.")
    authorization: LineAuthorization | None = Field(
        description="The authorization granted; null unless approved or modified."
    )
    renews_authorization_id: uuid.UUID | None = Field(
        default=None,
        description="On a renewal: the authorization this line renews (its own authorization "
        "supersedes it once approved).",
    )


class NetworkRef(BaseModel):
    """The health network that decides the request."""

    id: uuid.UUID = Field(description="The network's id.")
    code: str = Field(description="Short stable code, e.g. `choc`.")
    name: str = Field(description="Display name, e.g. `CHOC Health Alliance`.")


class MemberSummary(BaseModel):
    """Whom the request is for. Names and birth date are PHI: never logged."""

    cin: str = Field(description="Medi-Cal CIN.")
    first_name: str = Field(description="Given name.")
    last_name: str = Field(description="Family name.")
    birth_date: date = Field(description="Date of birth.")
    age_years: int = Field(
        description="Age in whole years on the hub's current date (UTC) when the response was "
        "made (for a replayed submission: when it was first made)."
    )


class VendorRef(BaseModel):
    """The DME supplier that submitted the request."""

    id: uuid.UUID = Field(description="The vendor's id.")
    name: str = Field(description="The vendor's name.")
    npi: str = Field(description="The vendor's NPI.")


class InformationRequestRead(BaseModel):
    """A question the network asked the vendor, and the vendor's answer once given."""

    id: uuid.UUID = Field(description="The question's id.")
    request_id: uuid.UUID = Field(description="The authorization request it is about.")
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
    answered_by: str | None = Field(description="Who answered (`user:` or `client:`).")
    answer: str | None = Field(description="The vendor's answer.")
    attachment_ids: list[str] = Field(description="Attachments the vendor sent with the answer.")


class ExtendedPeriodRequested(BaseModel):
    """A renewal's request for the ruleset's extended lifelong period."""

    days: int = Field(
        description="The period asked for, in days (`renewals.extended_lifelong_days`)."
    )
    reason: str = Field(description="The vendor's reason, for the reviewer.")


class AuthorizationRequestRead(BaseModel):
    """An authorization request: its lines and their outcomes, its SLA clock, what it awaits.

    Send its `ETag` (`"v<version>"`) as `If-Match` to cancel or decide it.
    """

    id: uuid.UUID = Field(description="The request's id.")
    status: RequestStatus = Field(description="Derived from the lines' outcomes.")
    x12_action_code: str = Field(description="X12 278 HCR01: A1, A2, A3, A4, A6 or C.")
    urgency: Urgency = Field(description="Now (a reviewer may downgrade `expedited`).")
    kind: RequestKind = Field(description="Initial, renewal or change.")
    member_cin: str = Field(description="The member's Medi-Cal CIN.")
    vendor_id: uuid.UUID = Field(description="The submitting vendor's id.")
    network: NetworkRef = Field(description="The network that decides it.")
    prescriber_npi: str = Field(description="NPI of the prescribing physician.")
    diagnoses: list[str] = Field(description="ICD-10-CM codes, primary first.")
    lines: list[LineRead] = Field(description="The requested items, in line-number order.")
    notes: str | None = Field(description="The vendor's notes, if any.")
    received_at: datetime = Field(description="When the hub accepted it: the clock's start.")
    due_at: datetime = Field(
        description="Decision deadline: `received_at` plus the network's turnaround for the "
        "urgency, plus any time the clock stood still."
    )
    decided_at: datetime | None = Field(description="When the last open line was decided.")
    updated_at: datetime = Field(description="When anything about it last changed.")
    sla_state: SlaState = Field(description="Where the request stands against `due_at`.")
    waiting_on: str = Field(
        description="In plain words: what the request waits for, and from whom."
    )
    version: int = Field(description='Increases with every change; the ETag is `"v<version>"`.')
    ruleset_version: int | None = Field(description="The network ruleset version applied.")
    expedited_reason: str | None = Field(description="Why expedited, as the vendor gave it.")
    sla_paused: bool = Field(description="True while the clock stands still (pended).")
    paused_seconds: int = Field(description="Time the clock has stood still so far.")
    assigned_to: str | None = Field(description="The reviewer who has claimed it.")
    network_reference: str | None = Field(description="The network system's own number.")
    member: MemberSummary = Field(description="The member, with name and age.")
    vendor: VendorRef = Field(description="The submitting vendor.")
    open_information_request: InformationRequestRead | None = Field(
        description="The network's open question to the vendor; null when none is open. "
        "Always null for status readers (network admins, care coordinators, the plan's "
        "admins and systems): a question can carry clinical detail, so they see "
        "only that the request is `pended` and, in `waiting_on`, what it waits for."
    )
    vendor_answered_since_last_question: bool | None = Field(
        description="Whether the vendor has answered the network's latest question; null when "
        "the network never asked one."
    )
    extended_period_requested: ExtendedPeriodRequested | None = Field(
        default=None,
        description="On a renewal: the extended lifelong period the vendor asked for, and why; "
        "a reviewer decides it (the rules never grant it).",
    )


class StatusLineRead(BaseModel):
    """A line as a status reader sees it: the item, its status and its authorization."""

    line_number: int = Field(description="1-based position in the request.")
    hcpcs: str = Field(description="HCPCS Level II code requested.")
    description: str = Field(description="The code's description.")
    quantity: int = Field(description="Units requested per `frequency`.")
    unit: str = Field(description="What one unit is (see `Unit`).")
    frequency: str = Field(description="How often the quantity is supplied (see `Frequency`).")
    start_date: date = Field(description="First day of the requested period.")
    end_date: date = Field(description="Last day of the requested period, inclusive.")
    contract_status: ContractStatus = Field(
        description="The vendor's contract with the network on the line's start date."
    )
    outcome: LineOutcome | None = Field(description="The decision; null while undecided.")
    x12_action_code: str = Field(description="X12 278 HCR01 of the line (see `LineRead`).")
    approved_quantity: int | None = Field(
        description="The quantity authorized when less than requested (`modified`); else null."
    )
    decision_reason_code: str | None = Field(
        description="Reason code of a denial or modification; the decider's words are not "
        "part of the status view."
    )
    authorization: LineAuthorization | None = Field(
        description="The authorization granted; null unless approved or modified."
    )


class AuthorizationRequestStatusView(BaseModel):
    """A request as a status reader (network admin, coordinator, the plan) reads it: status,
    clock, `waiting_on`, authorizations.

    The minimum necessary for telling a family where a request stands (DESIGN §3): no
    diagnoses, notes, justifications, decision texts, rule traces, prescriber, questions or
    documents. Every other role reads `AuthorizationRequestRead`.
    """

    view: Literal["status"] = Field(
        description="Always `status`: tells this view from the full `AuthorizationRequestRead`."
    )
    id: uuid.UUID = Field(description="The request's id.")
    status: RequestStatus = Field(description="Derived from the lines' outcomes.")
    x12_action_code: str = Field(description="X12 278 HCR01: A1, A2, A3, A4, A6 or C.")
    urgency: Urgency = Field(description="Now (a reviewer may downgrade `expedited`).")
    kind: RequestKind = Field(description="Initial, renewal or change.")
    member_cin: str = Field(description="The member's Medi-Cal CIN.")
    member: MemberSummary = Field(description="Whom the request is for: name and age.")
    network: NetworkRef = Field(description="The network that decides it.")
    vendor: VendorRef = Field(description="The submitting vendor.")
    lines: list[StatusLineRead] = Field(description="The items, in line-number order.")
    received_at: datetime = Field(description="When the hub accepted it: the clock's start.")
    due_at: datetime = Field(description="Decision deadline (see `AuthorizationRequestRead`).")
    decided_at: datetime | None = Field(description="When the last open line was decided.")
    updated_at: datetime = Field(description="When anything about it last changed.")
    sla_state: SlaState = Field(description="Where the request stands against `due_at`.")
    sla_paused: bool = Field(description="True while the clock stands still (pended).")
    waiting_on: str = Field(
        description="In plain words: what the request waits for, and from whom."
    )
    vendor_answered_since_last_question: bool | None = Field(
        description="Whether the vendor has answered the network's latest question; null when "
        "the network never asked one."
    )
    version: int = Field(description='Increases with every change; the ETag is `"v<version>"`.')


AuthorizationRequestView = AuthorizationRequestRead | AuthorizationRequestStatusView


class AuthorizationRequestPage(BaseModel):
    """One page of requests, newest first."""

    items: list[AuthorizationRequestView] = Field(
        description="The requests on this page: `AuthorizationRequestStatusView` for "
        "status readers (network admins, care coordinators, the plan's admins and systems), "
        "`AuthorizationRequestRead` for the vendor and the network's review."
    )
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class InformationRequestList(BaseModel):
    """The network's questions about one request."""

    items: list[InformationRequestRead] = Field(description="Oldest first.")


class EventRead(BaseModel):
    """One entry of a request's timeline; entries are never changed or removed."""

    id: uuid.UUID = Field(description="The event's id.")
    sequence: int = Field(description="1, 2, 3... within the request.")
    occurred_at: datetime = Field(description="When it happened.")
    kind: str = Field(
        description="What happened: `submitted`, `rules_evaluated`, `rules_approved`, "
        "`decided`, `claimed`, `released`, `information_requested`, `information_received`, "
        "`attachment_added`, `urgency_downgraded`, `sla_at_risk`, `sla_breached`, "
        "`cancelled`, `authorization_expiring`, `authorization_expired`, "
        "`authorization_superseded`..."
    )
    actor_type: ActorType = Field(description="What kind of actor did it.")
    actor_id: str | None = Field(
        description="Who: `user:<username>`, `client:<id>`, `ruleset:v<version>`; null for "
        "the hub itself."
    )
    actor_role: str | None = Field(description="The actor's role, e.g. `vendor` or `rules`.")
    from_status: RequestStatus | None = Field(description="Status before, if it changed.")
    to_status: RequestStatus | None = Field(description="Status after, if it changed.")
    reason: str | None = Field(description="Why, in the actor's words, if given.")
    data: dict[str, Any] = Field(
        description="Details that depend on `kind`, e.g. the lines' outcomes for `decided`."
    )


class EventList(BaseModel):
    """A request's timeline."""

    items: list[EventRead] = Field(description="Oldest first.")
