"""Submission use cases: submit, read, list, timeline, cancel."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.authorizations import service as authorization_service
from dme_portal.codes import hcpcs
from dme_portal.errors import (
    InvalidInput,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    etag_matches,
)
from dme_portal.members.age import age_on
from dme_portal.members.models import Member
from dme_portal.members.service import MemberNotFound
from dme_portal.networks.models import Network
from dme_portal.review import x12
from dme_portal.rules.compile import CompiledRuleSet
from dme_portal.rules.evaluate import Evaluation, LineEvaluation, RuleOutcome
from dme_portal.rules.facts import LineFacts
from dme_portal.rulesets import service as rulesets_service
from dme_portal.sla import policy
from dme_portal.sla import service as sla_service
from dme_portal.submissions import (
    changes,
    duplicates,
    information,
    repository,
    views,
    waiting,
)
from dme_portal.submissions import events as timeline
from dme_portal.submissions.events import actor_of
from dme_portal.submissions.exceptions import RequestClosed, RequestNotFound
from dme_portal.submissions.models import (
    ActorType,
    AuthorizationRequest,
    AuthorizationState,
    LineOutcome,
    RequestDiagnosis,
    RequestEvent,
    RequestLine,
    RequestStatus,
    Urgency,
)
from dme_portal.submissions.schemas import (
    AuthorizationRequestCreate,
    AuthorizationRequestRead,
    AuthorizationRequestStatusView,
    DecidingPhysicianRead,
    ExtendedPeriodRequested,
    InformationRequestRead,
    LineAuthorization,
    LineRead,
    LineRules,
    MemberSummary,
    NetworkRef,
    RuleReason,
    RuleTraceStep,
    VendorRef,
)
from dme_portal.vendors.models import ContractStatus, Vendor

if TYPE_CHECKING:
    from dme_portal.attachments.models import Attachment


def etag_of(request: AuthorizationRequest) -> str:
    return f'"v{request.version}"'


@dataclass(frozen=True, slots=True)
class RenewalOf:
    """What makes a submission a renewal: the authorization its lines renew, and the
    extended lifelong period asked for (days, reason), if any."""

    authorization_id: uuid.UUID
    extended: tuple[int, str] | None = None


@dataclass(frozen=True, slots=True)
class Routed:
    """Where a draft request goes and what the network's rules say about it."""

    member: Member
    network: Network
    contract_statuses: tuple[ContractStatus, ...]
    rules: CompiledRuleSet | None
    evaluation: Evaluation | None
    attachments: tuple[Attachment, ...] = ()

    def at_risk_fraction(self, default: float) -> float:
        return self.rules.sla.at_risk_fraction if self.rules is not None else default

    def turnaround_hours(self, urgency: Urgency) -> int:
        if self.rules is not None:
            sla = self.rules.sla
            return sla.expedited_hours if urgency is Urgency.EXPEDITED else sla.standard_hours
        if urgency is Urgency.EXPEDITED:
            return self.network.expedited_turnaround_hours
        return self.network.standard_turnaround_hours


async def route(
    session: AsyncSession,
    *,
    principal: Principal,
    body: AuthorizationRequestCreate,
    now: datetime,
    extended_days: int | None = None,
) -> Routed:
    """Validate, find the member's network on the start date, and run its rules.

    The documents named in ``attachment_ids`` count as on file for the rules;
    ``extended_days``: a renewal asks for the extended lifelong period (a reviewer decides).
    """
    from dme_portal.attachments import service as attachment_service

    assert principal.vendor_id is not None
    # Periods, duplicate lines and the expedited reason are checked with the body's fields
    # (submissions/validation.py): every one of those problems comes in one answer.
    member = await matched_member(session, cin=body.member_cin, birth_date=body.member_birth_date)
    start = min(line.start_date for line in body.lines)
    found = await repository.enrollment_on(session, member.id, start)
    if found is None:
        raise InvalidInput(
            "member_cin",
            f"the member is not enrolled in a network on {start.isoformat()}, "
            "the earliest requested start date",
            code="not_enrolled",
        )
    _, network = found
    if body.network_id is not None and body.network_id != network.id:
        raise InvalidInput(
            "network_id",
            f"the member is enrolled in {network.name} ({network.id}) on {start.isoformat()}",
            code="wrong_network",
        )
    if await session.get(Vendor, principal.vendor_id) is None:
        raise Unauthorized("The token's vendor is not known to the hub.")
    contracts = await repository.contracts_for(session, principal.vendor_id, network.id)
    statuses = tuple(repository.contract_status_on(contracts, ln.start_date) for ln in body.lines)
    continuing = await _continuity(session, principal.vendor_id, member.id, body, statuses)
    facts = tuple(
        LineFacts(
            line_number=i + 1,
            hcpcs=ln.hcpcs,
            category=category_of(ln.hcpcs),
            modifiers=tuple(ln.modifiers),
            quantity=ln.quantity,
            frequency=ln.frequency.value,
            start_date=ln.start_date,
            end_date=ln.end_date,
            in_network=status is ContractStatus.IN_NETWORK,
            brand=ln.brand,
            brand_reason=ln.brand_reason,
            continuity_until=continuing[i],
            extended_days=extended_days,
        )
        for i, (ln, status) in enumerate(zip(body.lines, statuses, strict=True))
    )
    attachments = await attachment_service.claim_for_submission(
        session, principal=principal, attachment_ids=body.attachment_ids, now=now
    )
    rules, evaluation = await rulesets_service.evaluate_request(
        session,
        network_id=network.id,
        member_id=member.id,
        on=start,
        diagnoses=tuple(body.diagnoses),
        lines=facts,
        documents=frozenset(a.document_type for a in attachments),
    )
    return Routed(member, network, statuses, rules, evaluation, tuple(attachments))


_NO_BIRTH_DATE = b"0000-00-00"


async def matched_member(session: AsyncSession, *, cin: str, birth_date: date) -> Member:
    """The member with this CIN and date of birth; else eligibility's very 404.

    An unknown CIN and a wrong birth date raise the same error after the same work (one
    query, one constant-time comparison), so neither the answer nor the path tells whether
    the CIN exists.
    """
    member = await repository.get_member_by_cin(session, cin)
    on_file = member.birth_date.isoformat().encode() if member is not None else _NO_BIRTH_DATE
    same = hmac.compare_digest(on_file, birth_date.isoformat().encode())
    if not same or member is None:
        raise MemberNotFound()
    return member


async def _continuity(
    session: AsyncSession,
    vendor_id: uuid.UUID,
    member_id: uuid.UUID,
    body: AuthorizationRequestCreate,
    statuses: tuple[ContractStatus, ...],
) -> list[date | None]:
    """Per line, the end of the vendor's continuity of care for the item (out-of-network
    lines only): the rules count such a line as in network until then (W&I Code 14094.13)."""
    from dme_portal.authorizations.continuity import continuity_for

    return [
        None
        if status is ContractStatus.IN_NETWORK
        else await continuity_for(
            session, member_id=member_id, vendor_id=vendor_id, hcpcs=ln.hcpcs, on=ln.start_date
        )
        for ln, status in zip(body.lines, statuses, strict=True)
    ]


def category_of(code: str) -> str:
    found = hcpcs.lookup(code)
    return found.category if found else "other"


def authorization_number(network: Network) -> str:
    """A new, unique-enough authorization number (unique in the database)."""
    return f"{network.code[:6].upper()}-{secrets.token_hex(5).upper()}"


def apply_rules(line: RequestLine, result: LineEvaluation | None, network: Network) -> None:
    """Record the rules' outcome on a line; an approval issues its authorization."""
    if result is None:
        return
    line.rule_outcome = result.outcome.value
    line.rule_decided_by = result.decided_by
    line.rule_reasons = [{"code": r.code, "message": r.message} for r in result.reasons]
    line.rule_trace = [
        {"rule": t.rule, "passed": t.passed, "message": t.message} for t in result.trace
    ]
    line.documents_required = [d.value for d in result.documents_required]
    line.documents_missing = [d.value for d in result.documents_missing]
    if result.outcome is RuleOutcome.NOT_REQUIRED:
        line.outcome = LineOutcome.NOT_REQUIRED
    elif result.outcome is RuleOutcome.APPROVED:
        line.outcome = LineOutcome.APPROVED
        line.authorization_number = authorization_number(network)
        line.authorized_start = result.authorized_start
        line.authorized_end = result.authorized_end
        line.authorization_state = AuthorizationState.ACTIVE


async def submit(
    session: AsyncSession,
    *,
    principal: Principal,
    body: AuthorizationRequestCreate,
    now: datetime,
    default_at_risk_fraction: float,
    renewal: RenewalOf | None = None,
) -> AuthorizationRequest:
    """Route to the member's network, apply its rules, start the SLA clock, record events.

    ``renewal``: the request renews an authorization (its lines link to it), perhaps asking
    for the extended lifelong period (issue 16; see authorizations/renewals.py).
    """
    extended = renewal.extended if renewal else None
    routed = await route(
        session,
        principal=principal,
        body=body,
        now=now,
        extended_days=extended[0] if extended else None,
    )
    network = routed.network
    assert principal.vendor_id is not None
    await duplicates.refuse_overlaps(
        session, principal=principal, member_id=routed.member.id, body=body
    )
    request = AuthorizationRequest(
        id=uuid.uuid4(),
        vendor_id=principal.vendor_id,
        member_id=routed.member.id,
        network_id=network.id,
        status=RequestStatus.IN_REVIEW,
        urgency=body.urgency,
        kind=body.kind,
        prescriber_npi=body.prescriber_npi,
        notes=body.notes,
        received_at=now,
        updated_at=now,
        waiting_on="",
        ruleset_version=routed.rules.version if routed.rules else None,
        turnaround_hours=routed.turnaround_hours(body.urgency),
        sla_state="on_time",
        pauses_while_pended=bool(routed.rules and routed.rules.sla.pause_while_pended),
        paused_seconds=0,
        expedited_reason=body.expedited_reason,
        was_pended=False,
        extended_period_days=extended[0] if extended else None,
        extended_period_reason=extended[1] if extended else None,
    )
    request.member = routed.member
    request.network = network
    request.due_at = policy.due_at(now, request.turnaround_hours)
    request.at_risk_at = policy.at_risk_at(
        request.due_at,
        request.turnaround_hours,
        routed.at_risk_fraction(default_at_risk_fraction),
    )
    results = routed.evaluation.lines if routed.evaluation else (None,) * len(body.lines)
    request.lines = []
    for i, (line, status, result) in enumerate(
        zip(body.lines, routed.contract_statuses, results, strict=True)
    ):
        row = RequestLine(
            id=uuid.uuid4(),
            line_number=i + 1,
            hcpcs=line.hcpcs,
            modifiers=list(line.modifiers),
            quantity=line.quantity,
            unit=line.unit.value,
            frequency=line.frequency.value,
            start_date=line.start_date,
            end_date=line.end_date,
            acquisition=line.acquisition,
            brand=line.brand,
            manufacturer=line.manufacturer,
            brand_reason=line.brand_reason,
            contract_status=status,
            outcome=None,
            rule_reasons=[],
            rule_trace=[],
            documents_required=[],
            documents_missing=[],
            renews_authorization_id=renewal.authorization_id if renewal else None,
        )
        apply_rules(row, result, network)
        request.lines.append(row)
    request.diagnoses = [
        RequestDiagnosis(sequence=i + 1, code=code) for i, code in enumerate(body.diagnoses)
    ]
    if all(line.outcome is not None for line in request.lines):
        request.status = RequestStatus.APPROVED
        request.decided_at = now
        request.decided_by = ActorType.RULES.value
        request.sla_state = "met"
    request.waiting_on = describe_waiting(
        request, documents_on_file=frozenset(a.document_type.value for a in routed.attachments)
    )
    session.add(request)
    await session.flush()  # the events and attachments reference the request row
    for attachment in routed.attachments:
        attachment.request_id = request.id
        attachment.expires_at = None
    session.add_all(_submission_events(request, principal, now, body.attachment_ids))
    await changes.record(session, request, "submitted", now)
    await session.flush()
    await authorization_service.sync_from_lines(
        session, request=request, now=now, issued_by=ActorType.RULES.value
    )
    return request


async def waiting_on(session: AsyncSession, request: AuthorizationRequest) -> str:
    """``waiting_on`` for the request's current state, counting documents already attached."""
    from dme_portal.attachments.repository import document_types_for

    on_file = frozenset(d.value for d in await document_types_for(session, request.id))
    return describe_waiting(request, documents_on_file=on_file)


def describe_waiting(request: AuthorizationRequest, *, documents_on_file: frozenset[str]) -> str:
    """Who must act next: open lines' missing documents and out-of-network lines named."""
    open_lines = [ln for ln in request.lines if ln.outcome is None]
    missing = sorted(
        {d for ln in open_lines for d in ln.documents_required} - set(documents_on_file)
    )
    return waiting.describe(
        request.status,
        network_name=request.network.name,
        extended_period_days=request.extended_period_days if open_lines else None,
        rules_approve_on_documents=bool(open_lines)
        and all(ln.rule_outcome == RuleOutcome.AWAITING_DOCUMENTS.value for ln in open_lines),
        out_of_network_lines=sum(
            1 for ln in open_lines if ln.contract_status is ContractStatus.OUT_OF_NETWORK
        ),
        documents_needed=missing,
    )


def _submission_events(
    request: AuthorizationRequest,
    principal: Principal,
    now: datetime,
    attachment_ids: list[uuid.UUID],
) -> list[RequestEvent]:
    events = [
        RequestEvent(
            request_id=request.id,
            sequence=1,
            occurred_at=now,
            kind="submitted",
            actor_type=actor_of(principal),
            actor_id=principal.subject,
            actor_role=principal.role.value,
            from_status=None,
            to_status=RequestStatus.IN_REVIEW,
            reason=None,
            data={
                "network_id": str(request.network_id),
                "due_at": request.due_at.isoformat(),
                "attachment_ids": [str(a) for a in attachment_ids],
                "out_of_network_lines": [
                    ln.line_number
                    for ln in request.lines
                    if ln.contract_status is ContractStatus.OUT_OF_NETWORK
                ],
            },
        )
    ]
    if request.ruleset_version is None:
        return events
    events.append(
        RequestEvent(
            request_id=request.id,
            sequence=2,
            occurred_at=now,
            kind="rules_evaluated" if request.decided_at is None else "decided",
            actor_type=ActorType.RULES,
            actor_id=f"ruleset:v{request.ruleset_version}",
            actor_role="rules",
            from_status=RequestStatus.IN_REVIEW,
            to_status=request.status,
            reason=None,
            data={
                "ruleset_version": request.ruleset_version,
                "lines": [
                    {
                        "line_number": ln.line_number,
                        "outcome": ln.rule_outcome,
                        "decided_by": ln.rule_decided_by,
                    }
                    for ln in request.lines
                ],
            },
        )
    )
    return events


async def get(
    session: AsyncSession, *, principal: Principal, request_id: uuid.UUID
) -> AuthorizationRequest:
    """One request the principal may see (404 otherwise)."""
    request = await repository.get_readable(session, principal, request_id)
    if request is None:
        raise RequestNotFound()
    return request


async def events(
    session: AsyncSession, *, principal: Principal, request_id: uuid.UUID
) -> list[RequestEvent]:
    """The timeline of a request the principal may see."""
    await get(session, principal=principal, request_id=request_id)
    return await repository.list_events(session, request_id)


async def cancel(
    session: AsyncSession,
    *,
    principal: Principal,
    request_id: uuid.UUID,
    if_match: str | None,
    reason: str | None,
    now: datetime,
) -> AuthorizationRequest:
    """The vendor withdraws a request that is not decided yet; what it authorized is void.

    Lines the rules approved before the withdrawal lose their authorization (``void``): a
    cancelled request has nothing in force, and its SLA clock is neither met nor missed.
    """
    if if_match is None:
        raise PreconditionRequired(
            "Send If-Match with the ETag of the request you read (GET it first)."
        )
    request = await repository.get_readable(session, principal, request_id, for_update=True)
    if request is None:
        raise RequestNotFound()
    if not etag_matches(if_match, etag_of(request)):
        raise PreconditionFailed(f"The request is now at {etag_of(request)}.")
    if not request.status.is_open:
        raise RequestClosed(f"The request is {request.status.value} and cannot be cancelled.")
    previous = request.status
    request.status = RequestStatus.CANCELLED
    request.updated_at = now
    request.sla_state = policy.SlaState.CANCELLED.value
    voided = []
    for line in request.lines:
        if line.authorization_state is AuthorizationState.ACTIVE:
            line.authorization_state = AuthorizationState.VOID
            voided.append(line.authorization_number)
    sla_service.resume(request, now)
    await sla_service.resolve_escalations(session, request, now)
    request.waiting_on = waiting.describe(request.status, network_name=request.network.name)
    await timeline.record(
        session,
        request,
        principal,
        "cancelled",
        now,
        from_status=previous,
        to_status=request.status,
        reason=reason,
        data={"voided_authorizations": voided},
    )
    await changes.record(session, request, "cancelled", now)
    await session.flush()
    await authorization_service.sync_from_lines(
        session, request=request, now=now, issued_by=principal.subject
    )
    return request


def view(
    request: AuthorizationRequest, *, now: datetime, viewer: Role
) -> AuthorizationRequestRead | AuthorizationRequestStatusView:
    """What ``viewer`` reads of a request: the status view (nothing clinical) for every role
    ``auth.policies.clinical_access`` refuses, the full read for the vendor and the review."""
    full = to_read(request, now=now, viewer=viewer)
    return views.status_view(full) if views.status_only(viewer) else full


def to_read(
    request: AuthorizationRequest, *, now: datetime, viewer: Role | None = None
) -> AuthorizationRequestRead:
    """The API view of a request, with its SLA state and the member's age at ``now``.

    ``viewer`` is the reader's role on routes that status readers reach (they read neither
    the physician of a decision nor the network's questions); the network's review routes
    leave it out. Status readers get ``view``'s status view.
    """
    # A cancelled request's clock is neither met nor missed: nothing was decided.
    sla_state = (
        policy.SlaState.CANCELLED
        if request.status is RequestStatus.CANCELLED
        else policy.state_at(
            now=request.paused_since or now,
            due=request.due_at,
            at_risk=request.at_risk_at,
            decided_at=request.decided_at,
        )
    )
    cancelled = request.status is RequestStatus.CANCELLED
    lines = []
    for line in request.lines:
        code = hcpcs.lookup(line.hcpcs)
        lines.append(
            LineRead(
                id=line.id,
                line_number=line.line_number,
                hcpcs=line.hcpcs,
                description=code.description if code else "",
                category=code.category if code else "other",
                modifiers=list(line.modifiers),
                quantity=line.quantity,
                unit=line.unit,
                frequency=line.frequency,
                start_date=line.start_date,
                end_date=line.end_date,
                acquisition=line.acquisition,
                brand=line.brand,
                manufacturer=line.manufacturer,
                brand_reason=line.brand_reason,
                contract_status=line.contract_status,
                outcome=line.outcome,
                x12_action_code=x12.line_code(line.outcome, cancelled=cancelled),
                approved_quantity=line.approved_quantity,
                decision_reason_code=line.decision_reason_code,
                decision_reason=line.decision_reason,
                deciding_physician=_physician(line) if views.shows_physician(viewer) else None,
                rules=_line_rules(line),
                authorization=_line_authorization(line),
                renews_authorization_id=line.renews_authorization_id,
            )
        )
    network = request.network
    return AuthorizationRequestRead(
        id=request.id,
        status=request.status,
        x12_action_code=x12.request_code(request.status),
        urgency=request.urgency,
        kind=request.kind,
        member_cin=request.member.cin,
        vendor_id=request.vendor_id,
        network=NetworkRef(id=network.id, code=network.code, name=network.name),
        prescriber_npi=request.prescriber_npi,
        diagnoses=[d.code for d in request.diagnoses],
        lines=lines,
        notes=request.notes,
        received_at=request.received_at,
        due_at=request.due_at,
        decided_at=request.decided_at,
        updated_at=request.updated_at,
        sla_state=sla_state,
        waiting_on=request.waiting_on,
        version=request.version,
        ruleset_version=request.ruleset_version,
        expedited_reason=request.expedited_reason,
        sla_paused=request.paused_since is not None,
        paused_seconds=request.paused_seconds,
        assigned_to=request.assigned_to,
        network_reference=request.network_reference,
        member=_member_summary(request.member, now),
        vendor=VendorRef(id=request.vendor.id, name=request.vendor.name, npi=request.vendor.npi),
        open_information_request=_open_question(request, viewer),
        vendor_answered_since_last_question=information.answered_since_last_question(request),
        extended_period_requested=ExtendedPeriodRequested(
            days=request.extended_period_days, reason=request.extended_period_reason or ""
        )
        if request.extended_period_days
        else None,
    )


def _line_authorization(line: RequestLine) -> LineAuthorization | None:
    """The line's authorization, its state from the ``authorization`` row (issue 16); from
    the line's own columns only where the row is not loaded (or not issued yet)."""
    row = None if "authorization" in inspect(line).unloaded else line.authorization
    if row is not None:
        return LineAuthorization(
            id=row.id,
            number=row.number,
            start_date=row.start_date,
            end_date=row.end_date,
            state=AuthorizationState(row.state.value),
        )
    if line.authorization_number and line.authorized_start and line.authorized_end:
        return LineAuthorization(
            id=None,
            number=line.authorization_number,
            start_date=line.authorized_start,
            end_date=line.authorized_end,
            state=line.authorization_state or AuthorizationState.ACTIVE,
        )
    return None


def _member_summary(member: Member, now: datetime) -> MemberSummary:
    return MemberSummary(
        cin=member.cin,
        first_name=member.first_name,
        last_name=member.last_name,
        birth_date=member.birth_date,
        age_years=age_on(member.birth_date, now.astimezone(UTC).date()),
    )


def _open_question(
    request: AuthorizationRequest, viewer: Role | None
) -> InformationRequestRead | None:
    question = information.open_question(request)
    if question is None or (viewer is not None and not information.may_read_questions(viewer)):
        return None
    return information.to_read(question, request)


def _physician(line: RequestLine) -> DecidingPhysicianRead | None:
    if line.physician_subject is None and line.physician_npi is None:
        return None
    return DecidingPhysicianRead(
        subject=line.physician_subject, npi=line.physician_npi, name=line.physician_name
    )


def _line_rules(line: RequestLine) -> LineRules | None:
    if line.rule_outcome is None:
        return None
    return LineRules(
        outcome=line.rule_outcome,
        decided_by=line.rule_decided_by,
        reasons=[RuleReason.model_validate(r) for r in line.rule_reasons],
        trace=[RuleTraceStep.model_validate(t) for t in line.rule_trace],
        documents_required=list(line.documents_required),
        documents_missing=list(line.documents_missing) if line.outcome is None else [],
    )
