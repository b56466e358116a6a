"""Review use cases: claim, release, ask for information, decide; the vendor's answer."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.authorizations import service as authorization_service
from dme_portal.errors import InvalidInput, PreconditionFailed, etag_matches
from dme_portal.review import physician
from dme_portal.review.exceptions import (
    AlreadyDecided,
    AlreadyStandard,
    ClaimedByOther,
    NotInReview,
    PreconditionRequired,
)
from dme_portal.review.schemas import (
    DecisionCreate,
    DecisionLine,
    DecisionOutcome,
    InformationRequestCreate,
    InformationResponseCreate,
)
from dme_portal.rulesets import repository as rulesets_repository
from dme_portal.sla import policy
from dme_portal.sla import service as sla_service
from dme_portal.submissions import changes, events, repository, waiting
from dme_portal.submissions.exceptions import RequestNotFound
from dme_portal.submissions.models import (
    AuthorizationRequest,
    InformationRequest,
    LineOutcome,
    RequestLine,
    RequestStatus,
    Urgency,
)
from dme_portal.submissions.service import authorization_number, etag_of, waiting_on

OPEN = (RequestStatus.IN_REVIEW, RequestStatus.PENDED)


# Claim and release lock the request for a reviewer and the vendor's answer arrives on the
# vendor's own schedule (it is guarded by its Idempotency-Key): none of them acts on a view.
_NO_VIEW = "*"


async def _locked(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, if_match: str | None
) -> AuthorizationRequest:
    # Every judgement a reviewer makes is made on a view: If-Match says which (DESIGN: "Updates
    # take If-Match"), so a document or answer that arrived since makes it a 412.
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag of the request you reviewed.")
    request = await repository.get_readable(session, principal, request_id, for_update=True)
    if request is None:
        raise RequestNotFound()
    if not etag_matches(if_match, etag_of(request)):
        raise PreconditionFailed(f"The request is now at {etag_of(request)}.")
    return request


async def _event(
    session: AsyncSession,
    request: AuthorizationRequest,
    principal: Principal,
    kind: str,
    now: datetime,
    *,
    previous: RequestStatus,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    await events.record(
        session,
        request,
        principal,
        kind,
        now,
        from_status=previous,
        to_status=request.status,
        reason=reason,
        data=data,
    )


async def claim(
    session: AsyncSession, *, principal: Principal, request_id: uuid.UUID, now: datetime
) -> AuthorizationRequest:
    """Take a request from the queue; claiming it again is a no-op, another's claim a 409."""
    request = await _locked(session, principal, request_id, _NO_VIEW)
    if request.status not in OPEN:
        raise AlreadyDecided()
    if request.assigned_to == principal.subject:
        return request  # already held: no event, no new version, the same ETag
    if request.assigned_to is not None:
        raise ClaimedByOther("Release it first, or ask the reviewer who holds it.")
    request.assigned_to = principal.subject
    request.assigned_at = now
    request.updated_at = now
    await _event(session, request, principal, "claimed", now, previous=request.status)
    await session.flush()
    return request


async def release(
    session: AsyncSession, *, principal: Principal, request_id: uuid.UUID, now: datetime
) -> AuthorizationRequest:
    """Give a claimed request back to the queue (its holder or a medical director)."""
    request = await _locked(session, principal, request_id, _NO_VIEW)
    if request.assigned_to is None:
        return request
    if request.assigned_to != principal.subject and principal.role is not Role.MEDICAL_DIRECTOR:
        raise ClaimedByOther("Only the reviewer who holds it, or a medical director, may release.")
    request.assigned_to = None
    request.assigned_at = None
    request.updated_at = now
    await _event(session, request, principal, "released", now, previous=request.status)
    await session.flush()
    return request


async def request_information(
    session: AsyncSession,
    *,
    principal: Principal,
    request_id: uuid.UUID,
    body: InformationRequestCreate,
    if_match: str | None,
    now: datetime,
) -> InformationRequest:
    """Pend the request: the vendor must answer before review goes on."""
    request = await _locked(session, principal, request_id, if_match)
    if request.status is not RequestStatus.IN_REVIEW:
        raise NotInReview(f"The request is {request.status.value}.")
    asked = InformationRequest(
        request=request,  # also joins the request's loaded list of questions
        request_id=request.id,
        requested_at=now,
        requested_by=principal.subject,
        message=body.message,
        documents_requested=[d.value for d in body.documents_requested],
        attachment_ids=[],
    )
    session.add(asked)
    previous = request.status
    request.status = RequestStatus.PENDED
    request.was_pended = True
    request.updated_at = now
    paused = sla_service.pause(request, now)
    if body.network_reference:
        request.network_reference = body.network_reference
    request.waiting_on = waiting.describe(
        request.status,
        network_name=request.network.name,
        documents_needed=asked.documents_requested,
    )
    await session.flush()
    await _event(
        session,
        request,
        principal,
        "information_requested",
        now,
        previous=previous,
        reason=body.message,
        data={
            "information_request_id": str(asked.id),
            "documents": asked.documents_requested,
            "sla_paused": paused,
        },
    )
    await changes.record(session, request, "information_requested", now)
    await session.flush()
    return asked


async def respond(
    session: AsyncSession,
    *,
    principal: Principal,
    request_id: uuid.UUID,
    body: InformationResponseCreate,
    now: datetime,
) -> InformationRequest:
    """The vendor answers the open information request; the request returns to review."""
    request = await _locked(session, principal, request_id, _NO_VIEW)
    if request.status is not RequestStatus.PENDED:
        raise NotInReview("The network has not asked for information.", extra={})
    asked = (
        await session.execute(
            select(InformationRequest)
            .options(joinedload(InformationRequest.request))  # the request is already loaded
            .where(
                InformationRequest.request_id == request.id,
                InformationRequest.answered_at.is_(None),
            )
            .order_by(InformationRequest.requested_at.desc())
            .limit(1)
        )
    ).scalar_one()
    attached = await _attached_ids(session, request.id)
    for i, attachment_id in enumerate(body.attachment_ids):
        if attachment_id not in attached:
            raise InvalidInput(f"attachment_ids[{i}]", "is not an attachment of this request")
    asked.answered_at = now
    asked.answered_by = principal.subject
    asked.answer = body.message
    asked.attachment_ids = [str(a) for a in body.attachment_ids]
    previous = request.status
    request.status = RequestStatus.IN_REVIEW
    request.updated_at = now
    paused = sla_service.resume(request, now)
    request.waiting_on = await waiting_on(session, request)
    await _event(
        session,
        request,
        principal,
        "information_received",
        now,
        previous=previous,
        data={
            "information_request_id": str(asked.id),
            "attachment_ids": asked.attachment_ids,
            "sla_paused_seconds": int(paused.total_seconds()),
            "due_at": request.due_at.isoformat(),
        },
    )
    await changes.record(session, request, "information_received", now)
    await session.flush()
    return asked


async def _attached_ids(session: AsyncSession, request_id: uuid.UUID) -> set[uuid.UUID]:
    from dme_portal.attachments.models import Attachment

    rows = await session.execute(select(Attachment.id).where(Attachment.request_id == request_id))
    return set(rows.scalars().all())


def _check_line(line: RequestLine, d: DecisionLine, principal: Principal) -> None:
    where = f"lines[line_number={d.line_number}]"
    start = d.start_date or line.start_date
    end = d.end_date or line.end_date
    quantity = d.quantity if d.quantity is not None else line.quantity
    if end < start:
        raise InvalidInput(f"{where}.end_date", "must not be before start_date")
    if start < line.start_date or end > line.end_date or quantity > line.quantity:
        raise InvalidInput(where, "cannot authorize more, or longer, than was requested")
    reduced = quantity < line.quantity or (start, end) != (line.start_date, line.end_date)
    if d.outcome is DecisionOutcome.APPROVED and reduced:
        raise InvalidInput(where, "a smaller quantity or shorter period is a `modified` outcome")
    if d.outcome is DecisionOutcome.MODIFIED and not reduced:
        raise InvalidInput(where, "`modified` needs a smaller quantity or a shorter period")
    if d.outcome is not DecisionOutcome.APPROVED:
        if d.reason_code is None:
            raise InvalidInput(f"{where}.reason_code", "is required to deny or modify")
        if d.reason is None:
            raise InvalidInput(f"{where}.reason", "explain the decision to the vendor and family")
        physician.check_line_role(d, principal)


def status_of(outcomes: list[LineOutcome]) -> RequestStatus:
    """A decided request's status from its lines' outcomes (decisions and reconsiderations)."""
    granted = {LineOutcome.APPROVED, LineOutcome.NOT_REQUIRED}
    if all(o in granted for o in outcomes):
        return RequestStatus.APPROVED
    if all(o is LineOutcome.DENIED for o in outcomes):
        return RequestStatus.DENIED
    if LineOutcome.DENIED not in outcomes:
        return RequestStatus.MODIFIED
    return RequestStatus.PARTIALLY_APPROVED


async def decide(
    session: AsyncSession,
    *,
    principal: Principal,
    request_id: uuid.UUID,
    body: DecisionCreate,
    if_match: str | None,
    now: datetime,
) -> AuthorizationRequest:
    """Decide every open line; one decision wins, a stale If-Match gets 412."""
    request = await _locked(session, principal, request_id, if_match)
    if request.status not in OPEN:
        raise AlreadyDecided(f"The request is {request.status.value}.")
    open_lines = {ln.line_number: ln for ln in request.lines if ln.outcome is None}
    given = [d.line_number for d in body.lines]
    if len(set(given)) != len(given):
        raise InvalidInput("lines", "decides the same line twice")
    if set(given) != set(open_lines):
        missing = sorted(set(open_lines) - set(given))
        extra = sorted(set(given) - set(open_lines))
        raise InvalidInput(
            "lines",
            f"must decide exactly the open lines {sorted(open_lines)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; not open {extra}" if extra else ""),
        )
    for d in body.lines:
        _check_line(open_lines[d.line_number], d, principal)
    deciding = physician.deciding_physician(principal, body)
    for d in body.lines:
        line = open_lines[d.line_number]
        physician.record(line, d, deciding)
        line.outcome = LineOutcome(d.outcome.value)
        line.decision_reason_code = d.reason_code.value if d.reason_code else None
        line.decision_reason = d.reason
        if d.outcome is not DecisionOutcome.DENIED:
            line.approved_quantity = d.quantity if d.quantity is not None else line.quantity
            line.authorized_start = d.start_date or line.start_date
            line.authorized_end = d.end_date or line.end_date
            line.authorization_number = authorization_number(request.network)
    previous = request.status
    request.status = status_of([ln.outcome for ln in request.lines if ln.outcome is not None])
    request.decided_at = now
    request.decided_by = events.actor_of(principal).value
    request.updated_at = now
    await sla_service.close(session, request, now)
    if body.network_reference:
        request.network_reference = body.network_reference
    request.waiting_on = await waiting_on(session, request)
    await _event(
        session,
        request,
        principal,
        "decided",
        now,
        previous=previous,
        reason=body.note,
        data={
            "network_reference": request.network_reference,
            "lines": [d.model_dump(mode="json", exclude_none=True) for d in body.lines],
            **physician.event_data(deciding, body),
        },
    )
    await changes.record(session, request, "decided", now)
    await session.flush()
    await authorization_service.sync_from_lines(
        session, request=request, now=now, issued_by=principal.subject
    )
    return request


async def downgrade(
    session: AsyncSession,
    *,
    principal: Principal,
    request_id: uuid.UUID,
    reason: str,
    if_match: str | None,
    now: datetime,
) -> AuthorizationRequest:
    """An expedited request does not meet the expedited criteria: the standard clock applies."""
    request = await _locked(session, principal, request_id, if_match)
    if request.status not in OPEN:
        raise AlreadyDecided()
    if request.urgency is not Urgency.EXPEDITED:
        raise AlreadyStandard("The request is already standard.")
    hours = await standard_turnaround_hours(session, request)
    paused = timedelta(seconds=request.paused_seconds)
    fraction = (request.due_at - request.at_risk_at) / timedelta(hours=request.turnaround_hours)
    request.urgency = Urgency.STANDARD
    request.turnaround_hours = hours
    request.due_at = policy.due_at(request.received_at, hours, paused)
    request.at_risk_at = policy.at_risk_at(request.due_at, hours, fraction)
    if request.sla_state in ("at_risk", "breached") and now < request.at_risk_at:
        request.sla_state = "on_time"
    request.updated_at = now
    await _event(
        session,
        request,
        principal,
        "urgency_downgraded",
        now,
        previous=request.status,
        reason=reason,
        data={"urgency": "standard", "due_at": request.due_at.isoformat()},
    )
    await changes.record(session, request, "urgency_downgraded", now)
    await session.flush()
    return request


async def standard_turnaround_hours(session: AsyncSession, request: AuthorizationRequest) -> int:
    """The standard turnaround of the ruleset version the request was received under."""
    if request.ruleset_version is not None:
        found = await rulesets_repository.get_version(
            session, request.network_id, request.ruleset_version
        )
        if found is not None:
            return int(found.document.get("sla", {}).get("standard_hours", 72))
    return request.network.standard_turnaround_hours
