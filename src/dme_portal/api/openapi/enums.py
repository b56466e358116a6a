"""What every enum value means, for the document: ``x-enumDescriptions`` (rendered by ReDoc)
and the same list in the schema's description (for Swagger UI and generated clients)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dme_portal.attachments.sniff import MediaType
from dme_portal.audit.models import AccessAction, Outcome, ResourceType
from dme_portal.authorizations.renewals.schemas import RenewalOutcome
from dme_portal.members.schemas import EnrollmentOutcome
from dme_portal.reconsiderations.models import ReconsiderationOutcome, ReconsiderationStatus
from dme_portal.reconsiderations.schemas import LineVerdict
from dme_portal.review.reasons import REASONS, DecisionReason
from dme_portal.review.repository import Assigned
from dme_portal.review.schemas import DecisionOutcome
from dme_portal.rules.evaluate import RuleOutcome
from dme_portal.rules.ruleset import DocumentType
from dme_portal.sla.policy import SlaState
from dme_portal.submissions.models import (
    Acquisition,
    ActorType,
    AuthorizationState,
    LineOutcome,
    RequestKind,
    RequestStatus,
    Urgency,
)
from dme_portal.submissions.schemas import Frequency, Unit
from dme_portal.vendors.models import ContractStatus


@dataclass(frozen=True, slots=True)
class EnumText:
    summary: str
    values: dict[Any, str]


ENUMS: dict[type[StrEnum], EnumText] = {
    RequestStatus: EnumText(
        "Where a request stands; derived from its lines' outcomes.",
        {
            RequestStatus.IN_REVIEW: "Open: some line awaits the network's review (or, for "
            "`awaiting_documents` lines, the vendor's documents).",
            RequestStatus.PENDED: "Open: the network asked the vendor for information "
            "(`open_information_request`).",
            RequestStatus.APPROVED: "Every line approved (or needing no authorization).",
            RequestStatus.PARTIALLY_APPROVED: "Some lines denied, the others approved or modified.",
            RequestStatus.MODIFIED: "Approved, with less quantity or a shorter period on some "
            "line.",
            RequestStatus.DENIED: "Every line denied.",
            RequestStatus.CANCELLED: "Withdrawn by the vendor before a decision.",
        },
    ),
    Urgency: EnumText(
        "How fast the network must decide.",
        {
            Urgency.STANDARD: "The network's standard turnaround (72 hours by default).",
            Urgency.EXPEDITED: "The standard timeframe could seriously jeopardize the member's "
            "health: the expedited turnaround (at most 72 hours).",
        },
    ),
    RequestKind: EnumText(
        "Why the request is made.",
        {
            RequestKind.INITIAL: "A first request for the items.",
            RequestKind.RENEWAL: "Continues an authorization that ends.",
            RequestKind.CHANGE: "Changes an authorization in force (quantity, item, period).",
        },
    ),
    Acquisition: EnumText(
        "Whether the item is bought or rented.",
        {Acquisition.PURCHASE: "Bought for the member.", Acquisition.RENTAL: "Rented."},
    ),
    LineOutcome: EnumText(
        "The decision on a line.",
        {
            LineOutcome.APPROVED: "Authorized as requested (X12 A1).",
            LineOutcome.MODIFIED: "Authorized with less quantity or a shorter period (X12 A6).",
            LineOutcome.DENIED: "Not authorized; `decision_reason_code` says why (X12 A3).",
            LineOutcome.NOT_REQUIRED: "The network needs no authorization for it (X12 NA).",
        },
    ),
    AuthorizationState: EnumText(
        "Whether an issued authorization is in force.",
        {
            AuthorizationState.ACTIVE: "In force for its period.",
            AuthorizationState.EXPIRING: "In force, and ends within the issuing network's "
            "renewal window: a renewal may be filed now.",
            AuthorizationState.EXPIRED: "Its period has ended.",
            AuthorizationState.SUPERSEDED: "A renewal took over from the renewal's start "
            "(`superseded_by`).",
            AuthorizationState.VOID: "Its request was cancelled: do not bill against it.",
        },
    ),
    ActorType: EnumText(
        "What kind of actor made a change.",
        {
            ActorType.USER: "A person signed in with the password grant.",
            ActorType.CLIENT: "A machine client (client credentials).",
            ActorType.RULES: "The network's published rules.",
            ActorType.SYSTEM: "The hub itself, e.g. the SLA clock.",
        },
    ),
    SlaState: EnumText(
        "Where a request stands against its decision deadline (`due_at`).",
        {
            SlaState.ON_TIME: "Open, with time to spare.",
            SlaState.AT_RISK: "Open, with less than the network's at-risk share of the "
            "turnaround left.",
            SlaState.BREACHED: "Open, and past its deadline.",
            SlaState.MET: "Decided by the deadline.",
            SlaState.MISSED: "Decided after the deadline.",
            SlaState.CANCELLED: "Withdrawn before a decision: neither met nor missed.",
        },
    ),
    ContractStatus: EnumText(
        "The vendor's contract with the network.",
        {
            ContractStatus.IN_NETWORK: "The vendor is contracted with the network.",
            ContractStatus.OUT_OF_NETWORK: "Not contracted: the line goes to review and the "
            "network needs a letter of agreement with the vendor.",
        },
    ),
    Unit: EnumText(
        "What one unit of a line's quantity is.",
        {
            Unit.EACH: "One item.",
            Unit.PAIR: "A pair (e.g. two orthoses).",
            Unit.BOX: "A box.",
            Unit.CASE: "A case.",
            Unit.PACK: "A pack.",
            Unit.KIT: "A kit.",
            Unit.MONTH: "A month's supply or rental.",
            Unit.DAY: "A day's supply or rental.",
        },
    ),
    Frequency: EnumText(
        "How often a line's quantity is supplied over its period.",
        {
            Frequency.ONCE: "Once.",
            Frequency.DAILY: "Every day.",
            Frequency.WEEKLY: "Every week.",
            Frequency.MONTHLY: "Every month.",
            Frequency.QUARTERLY: "Every three months.",
        },
    ),
    DocumentType: EnumText(
        "What a document is.",
        {
            DocumentType.PRESCRIPTION: "The physician's prescription or order.",
            DocumentType.LETTER_OF_MEDICAL_NECESSITY: "A letter of medical necessity.",
            DocumentType.SEATING_EVALUATION: "A seating and mobility evaluation.",
            DocumentType.EVALUATION: "Another clinical evaluation (therapy, specialist).",
            DocumentType.OTHER: "Anything else that supports the request.",
        },
    ),
    MediaType: EnumText(
        "File types accepted as attachments, judged by the content.",
        {
            MediaType.PDF: "PDF document.",
            MediaType.PNG: "PNG image.",
            MediaType.JPEG: "JPEG image.",
            MediaType.TIFF: "TIFF image (e.g. a fax).",
        },
    ),
    RuleOutcome: EnumText(
        "What the network's rules decided about a line.",
        {
            RuleOutcome.APPROVED: "Approved by the rules (a CSAG covers it, within limits).",
            RuleOutcome.NOT_REQUIRED: "No authorization needed at this network.",
            RuleOutcome.NEEDS_REVIEW: "A reviewer decides; `reasons` says why.",
            RuleOutcome.AWAITING_DOCUMENTS: "Approved by the rules as soon as the documents in "
            "`documents_missing` are on file, with no reviewer.",
        },
    ),
    DecisionOutcome: EnumText(
        "A reviewer's decision on a line.",
        {
            DecisionOutcome.APPROVED: "Authorize as requested.",
            DecisionOutcome.MODIFIED: "Authorize less quantity or a shorter period; needs "
            "`reason_code`.",
            DecisionOutcome.DENIED: "Do not authorize; needs `reason_code`.",
        },
    ),
    DecisionReason: EnumText(
        "Why a line is denied or modified. Medical-necessity reasons need a medical director "
        "(California HSC 1367.01(e)).",
        {
            code: info.text
            + (
                " (a physician only: a medical director, or a network system that names the "
                "`deciding_physician`)"
                if info.medical_necessity
                else ""
            )
            for code, info in REASONS.items()
        },
    ),
    AccessAction: EnumText(
        "What the caller did with the PHI.",
        {
            AccessAction.READ: "Read one record (a request, its timeline, a report).",
            AccessAction.LIST: "Listed records (requests, the queue, attachments, assignments).",
            AccessAction.DOWNLOAD: "Downloaded a document's bytes.",
            AccessAction.SEARCH: "Looked a member up by CIN: a list filtered by `member_cin`, "
            "an enrollment history (a member lookup, counted in the limit).",
            AccessAction.ELIGIBILITY: "Looked a member's eligibility up by CIN and birth date.",
            AccessAction.COVERAGE_CHECK: "Checked coverage for a member (nothing stored).",
            AccessAction.CREATE: "Created a record (a request, an attachment, an answer).",
            AccessAction.CHANGE: "Changed a record (cancel, claim, decide, pend...).",
            AccessAction.AUDIT_READ: "Read this access log.",
            AccessAction.SIGN_IN: "A sign-in (token request or the portal's form) refused by a "
            "throttle or that began a delay: no PHI, recorded for the plan to see.",
        },
    ),
    ResourceType: EnumText(
        "What kind of record the call touched.",
        {
            ResourceType.REQUEST: "An authorization request.",
            ResourceType.TIMELINE: "A request's timeline (events).",
            ResourceType.INFORMATION_REQUEST: "The network's questions and the vendor's answers.",
            ResourceType.ATTACHMENT: "A document: its metadata or its bytes.",
            ResourceType.MEMBER: "A member's eligibility.",
            ResourceType.COVERAGE_CHECK: "A coverage check for a member.",
            ResourceType.CSAG_ASSIGNMENT: "A member's assignment to a CSAG.",
            ResourceType.REPORT: "A report (metrics name no member; breaches name requests).",
            ResourceType.ACCESS_LOG: "This access log.",
            ResourceType.RECONSIDERATION: "A reconsideration of denied or modified lines.",
            ResourceType.AUTHORIZATION: "An authorization in force (or once in force).",
            ResourceType.ACCOUNT: "A user's or machine client's account (sign-ins).",
        },
    ),
    Outcome: EnumText(
        "How the call ended.",
        {
            Outcome.SUCCESS: "Answered.",
            Outcome.FAILED: "A member lookup that was refused for another reason (the member "
            "found but, say, not enrolled on the date), or was invalid.",
            Outcome.THROTTLED: "Refused by the member-lookup rate limit or a sign-in "
            "throttle (429).",
            Outcome.LOCKED_OUT: "A failed sign-in that made its account and address, or its "
            "account from addresses it has not signed in from, wait.",
            Outcome.NOT_FOUND: "No member has this CIN and birth date (eligibility, a coverage "
            "check or a submit): counted against the caller's member-lookup limit.",
        },
    ),
    ReconsiderationStatus: EnumText(
        "Where a reconsideration stands.",
        {
            ReconsiderationStatus.OPEN: "Waiting for a physician other than the one who decided.",
            ReconsiderationStatus.DECIDED: "Decided: see `outcome`.",
        },
    ),
    ReconsiderationOutcome: EnumText(
        "What a reconsideration decided, over all its lines.",
        {
            ReconsiderationOutcome.UPHELD: "Every line's decision stands.",
            ReconsiderationOutcome.OVERTURNED: "Every line was approved (or approved with less).",
            ReconsiderationOutcome.PARTIALLY_OVERTURNED: "Some lines approved, others upheld.",
        },
    ),
    LineVerdict: EnumText(
        "What a reconsideration decided for one line.",
        {
            LineVerdict.UPHELD: "The denial or modification stands.",
            LineVerdict.OVERTURNED: "The line is approved and its authorization issued.",
        },
    ),
    Assigned: EnumText(
        "Filter the review queue by claim.",
        {
            Assigned.ANY: "Claimed or not.",
            Assigned.ME: "Claimed by you.",
            Assigned.UNASSIGNED: "Claimed by nobody.",
        },
    ),
    EnrollmentOutcome: EnumText(
        "What recording an enrollment did.",
        {
            EnrollmentOutcome.APPLIED: "The period was recorded now (the previous one closed, "
            "continuity given when the network changed).",
            EnrollmentOutcome.UNCHANGED: "Exactly this period was already on file: nothing "
            "changed.",
        },
    ),
    RenewalOutcome: EnumText(
        "What became of a renewal inside the call.",
        {
            RenewalOutcome.APPROVED: "Approved by the network's rules (a condition-specific "
            "group): the new authorization follows the old one.",
            RenewalOutcome.IN_REVIEW: "Waiting for the network's review (`waiting_on` says "
            "what for).",
        },
    ),
}


def describe(schemas: dict[str, Any]) -> None:
    """Give each enum's component schema its summary and each value's meaning."""
    for enum, text in ENUMS.items():
        schema = schemas.get(enum.__name__)
        if schema is None or "enum" not in schema:
            continue
        meanings = {str(value): text.values[value] for value in enum}
        listed = "\n".join(f"- `{value}`: {meaning}" for value, meaning in meanings.items())
        schema["description"] = f"{text.summary}\n\n{listed}"
        schema["x-enumDescriptions"] = meanings
