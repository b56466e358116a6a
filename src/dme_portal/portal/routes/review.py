"""Reviewers and medical directors: the queue, claim and release, the request for review,
its documents viewed inline, the decision form and pend with a question.

Every action goes through ``review.service``, as ``/v1/review`` does; the forms carry the
ETag the page was rendered with (If-Match), so a stale page gets 412, not a lost decision.
"""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from dme_portal.api.access import AccessLogDep
from dme_portal.api.deps import ClockDep, SessionDep, SettingsDep
from dme_portal.api.v1.attachments import BlobStoreDep
from dme_portal.attachments import service as attachment_service
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.errors import Forbidden, InvalidInput, PreconditionFailed, field_path
from dme_portal.portal import csrf
from dme_portal.portal.forms import FormErrors, text
from dme_portal.portal.session import PortalPrincipal
from dme_portal.portal.templating import render
from dme_portal.review import repository as review_repository
from dme_portal.review import service as review_service
from dme_portal.review.exceptions import AlreadyDecided, NotInReview
from dme_portal.review.reasons import REASONS, DecisionReason
from dme_portal.review.schemas import (
    DecisionCreate,
    DecisionLine,
    DecisionOutcome,
    InformationRequestCreate,
)
from dme_portal.rules.ruleset import DocumentType
from dme_portal.submissions import repository as request_repository
from dme_portal.submissions import service as submission_service
from dme_portal.submissions import views
from dme_portal.submissions.models import AuthorizationRequest, RequestStatus, Urgency

router = APIRouter(include_in_schema=False)

REVIEW_ROLES = (Role.REVIEWER, Role.MEDICAL_DIRECTOR)
QUEUE_ROWS = 100
STATUS_CHOICES = (RequestStatus.IN_REVIEW, RequestStatus.PENDED)
# What a document may be shown as: inline in the page, never run as a page of its own.
DOCUMENT_CSP = "default-src 'none'; frame-ancestors 'self'"


def _reviewer(principal: Principal) -> Principal:
    if principal.role not in REVIEW_ROLES:
        raise Forbidden("These pages are for the network's reviewers and medical directors.")
    return principal


def reasons_for(principal: Principal) -> list[tuple[DecisionReason, str]]:
    """The reason codes this person may use: medical necessity only for a medical director."""
    physician = principal.role is Role.MEDICAL_DIRECTOR
    return [
        (code, info.text)
        for code, info in REASONS.items()
        if physician or not info.medical_necessity
    ]


def _detail_url(request_id: uuid.UUID) -> str:
    return f"/portal/review/requests/{request_id}"


@router.get("/review")
async def queue(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    """The network's open requests, earliest due first, with filters."""
    _reviewer(principal)
    params = request.query_params
    status = [s for s in STATUS_CHOICES if s.value == params.get("status")]
    urgency = next((u for u in Urgency if u.value == params.get("urgency")), None)
    assigned = next(
        (a for a in review_repository.Assigned if a.value == params.get("assigned")),
        review_repository.Assigned.ANY,
    )
    now = clock.now()
    rows = await review_repository.queue(
        session,
        principal,
        review_repository.QueueFilter(
            status=tuple(status) or STATUS_CHOICES, urgency=urgency, assigned=assigned
        ),
        now=now,
        after=None,
        limit=QUEUE_ROWS,
    )
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.REQUEST,
        network_id=principal.network_id,
        requests=rows,
    )
    return render(
        request,
        "review/queue.html",
        settings=settings,
        principal=principal,
        now=now,
        items=[submission_service.to_read(r, now=now) for r in rows],
        chosen={
            "status": status[0].value if status else "",
            "urgency": urgency.value if urgency else "",
            "assigned": assigned.value,
        },
        statuses=STATUS_CHOICES,
        urgencies=list(Urgency),
        filtered=bool(status or urgency or assigned is not review_repository.Assigned.ANY),
    )


async def _claim_or_release(
    request: Request,
    request_id: uuid.UUID,
    principal: Principal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    *,
    claim: bool,
) -> Response:
    _reviewer(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    action = review_service.claim if claim else review_service.release
    found = await action(session, principal=principal, request_id=request_id, now=clock.now())
    await access.record(
        principal,
        action=AccessAction.CHANGE,
        resource_type=ResourceType.REQUEST,
        resource_id=found.id,
        requests=[found],
    )
    back = _detail_url(found.id) if form.get("back") == "detail" else "/portal/review"
    return RedirectResponse(back, status_code=303)


@router.post("/review/requests/{request_id}/claim")
async def claim(
    request_id: uuid.UUID,
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    return await _claim_or_release(
        request, request_id, principal, settings, session, clock, access, claim=True
    )


@router.post("/review/requests/{request_id}/release")
async def release(
    request_id: uuid.UUID,
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    return await _claim_or_release(
        request, request_id, principal, settings, session, clock, access, claim=False
    )


async def _detail_page(
    request: Request,
    request_id: uuid.UUID,
    principal: Principal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    *,
    status_code: int = 200,
    decision_errors: FormErrors | None = None,
    pend_errors: FormErrors | None = None,
    form: FormData | None = None,
) -> Response:
    found = await submission_service.get(session, principal=principal, request_id=request_id)
    now = clock.now()
    read = submission_service.to_read(found, now=now)
    events = [
        views.event_read(e, principal.role)
        for e in await request_repository.list_events(session, found.id)
    ]
    documents = await attachment_service.list_attachments(
        session, principal=principal, request_id=found.id
    )
    for resource in (ResourceType.REQUEST, ResourceType.TIMELINE):
        await access.record(
            principal,
            action=AccessAction.READ,
            resource_type=resource,
            resource_id=found.id,
            requests=[found],
        )
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.ATTACHMENT,
        resource_id=found.id,
        requests=[found],
    )
    return render(
        request,
        "review/detail.html",
        settings=settings,
        principal=principal,
        status_code=status_code,
        now=now,
        item=read,
        etag=submission_service.etag_of(found),
        ccs=_ccs(found, now.date()),
        events=events,
        documents=documents,
        reasons=reasons_for(principal),
        document_types=list(DocumentType),
        decision_errors=decision_errors or FormErrors(),
        pend_errors=pend_errors or FormErrors(),
        form=form or {},
        mine=found.assigned_to == principal.subject,
    )


def _ccs(found: AuthorizationRequest, today: date) -> str:
    member = found.member
    start, end = member.ccs_eligible_from, member.ccs_eligible_to
    if start is None:
        return "Not CCS-eligible on record"
    if start <= today and (end is None or today <= end):
        return f"CCS-eligible since {start.isoformat()}" + (
            f", until {end.isoformat()}" if end else ""
        )
    return f"Not CCS-eligible today (eligible {start.isoformat()} to {end or 'open'})"


@router.get("/review/requests/{request_id}")
async def detail(
    request_id: uuid.UUID,
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    """A request in the network's scope (the 404 page for any other id)."""
    _reviewer(principal)
    return await _detail_page(request, request_id, principal, settings, session, clock, access)


@router.get("/review/requests/{request_id}/documents/{attachment_id}")
async def document(
    request_id: uuid.UUID,
    attachment_id: uuid.UUID,
    principal: PortalPrincipal,
    session: SessionDep,
    store: BlobStoreDep,
    access: AccessLogDep,
) -> Response:
    """A document of a request in scope, to view inline in the request page."""
    _reviewer(principal)
    attachment, data = await attachment_service.content(
        session,
        store=store,
        principal=principal,
        request_id=request_id,
        attachment_id=attachment_id,
    )
    await access.record(
        principal,
        action=AccessAction.DOWNLOAD,
        resource_type=ResourceType.ATTACHMENT,
        resource_id=attachment.id,
        request_ids=[request_id],
    )
    return Response(
        content=data,
        media_type=attachment.content_type.value,
        headers={
            "Content-Disposition": f'inline; filename="{attachment.filename}"',
            "Content-Security-Policy": DOCUMENT_CSP,
            "Cache-Control": "private, no-store",
        },
    )


def _stale(
    request: Request,
    principal: Principal,
    settings: SettingsDep,
    request_id: uuid.UUID,
    *,
    status: int,
) -> Response:
    return render(
        request,
        "review/stale.html",
        settings=settings,
        principal=principal,
        status_code=status,
        status=status,
        reload_url=_detail_url(request_id),
    )


def _date(form: FormData, name: str, errors: FormErrors) -> date | None:
    raw = text(form, name, max_length=20)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.add(name, "Enter a date as YYYY-MM-DD.")
        return None


def parse_decision(
    form: FormData, line_numbers: list[int], principal: Principal
) -> tuple[DecisionCreate | None, FormErrors]:
    """The decision form into the API's body; errors keyed by the form's field names."""
    errors = FormErrors()
    allowed = {code.value for code, _ in reasons_for(principal)}
    lines = []
    for n in line_numbers:
        p = f"line-{n}-"
        outcome = text(form, p + "outcome", max_length=20)
        if outcome not in ("approved", "modified", "denied"):
            errors.add(p + "outcome", "Choose approve, modify or deny.")
            continue
        quantity_raw = text(form, p + "quantity", max_length=10)
        quantity = None
        if outcome == "modified" and quantity_raw:
            if not quantity_raw.isdigit() or int(quantity_raw) < 1:
                errors.add(p + "quantity", "Enter a whole number of at least 1.")
            else:
                quantity = int(quantity_raw)
        start = _date(form, p + "start", errors) if outcome == "modified" else None
        end = _date(form, p + "end", errors) if outcome == "modified" else None
        code = text(form, p + "reason_code", max_length=60) if outcome != "approved" else ""
        reason = text(form, p + "reason", max_length=4000) if outcome != "approved" else ""
        if outcome != "approved":
            if code not in allowed:
                errors.add(p + "reason_code", "Choose a reason code.")
            if not reason:
                errors.add(p + "reason", "Explain the decision to the vendor and family.")
        if errors:
            continue
        lines.append(
            DecisionLine(
                line_number=n,
                outcome=DecisionOutcome(outcome),
                quantity=quantity,
                start_date=start,
                end_date=end,
                reason_code=DecisionReason(code) if code else None,
                reason=reason or None,
            )
        )
    if errors:
        return None, errors
    try:
        return DecisionCreate(lines=lines), errors
    except ValidationError as exc:
        for e in exc.errors():
            errors.add("decision", f"{field_path(e['loc'])}: {e['msg']}")
        return None, errors


def _field_of(exc: InvalidInput) -> str:
    """``lines[line_number=2].reason`` -> ``line-2-reason``; anything else: the whole form."""
    field = str((exc.errors or [{}])[0].get("field", ""))
    if field.startswith("lines[line_number="):
        number, _, rest = field.removeprefix("lines[line_number=").partition("]")
        return f"line-{number}-{rest.lstrip('.') or 'outcome'}".replace("end_date", "end")
    return "decision"


@router.post("/review/requests/{request_id}/decision")
async def decide(
    request_id: uuid.UUID,
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    _reviewer(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    found = await submission_service.get(session, principal=principal, request_id=request_id)
    etag = text(form, "etag", max_length=40)
    if etag != submission_service.etag_of(found):
        return _stale(request, principal, settings, request_id, status=412)
    open_lines = [ln.line_number for ln in found.lines if ln.outcome is None]
    body, errors = parse_decision(form, open_lines, principal)
    if body is not None:
        try:
            decided = await review_service.decide(
                session,
                principal=principal,
                request_id=request_id,
                body=body,
                if_match=etag,
                now=clock.now(),
            )
        except PreconditionFailed:
            return _stale(request, principal, settings, request_id, status=412)
        except AlreadyDecided:
            return _stale(request, principal, settings, request_id, status=409)
        except InvalidInput as exc:
            errors.add(_field_of(exc), str((exc.errors or [{}])[0].get("message", exc.detail)))
        else:
            await access.record(
                principal,
                action=AccessAction.CHANGE,
                resource_type=ResourceType.REQUEST,
                resource_id=decided.id,
                requests=[decided],
            )
            return RedirectResponse(_detail_url(request_id), status_code=303)
    return await _detail_page(
        request,
        request_id,
        principal,
        settings,
        session,
        clock,
        access,
        status_code=422,
        decision_errors=errors,
        form=form,
    )


@router.post("/review/requests/{request_id}/information-request")
async def pend(
    request_id: uuid.UUID,
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    _reviewer(principal)
    form = await request.form()
    csrf.verify(request, form, settings)
    errors = FormErrors()
    message = text(form, "message", max_length=4000)
    if not message:
        errors.add("message", "Write the question the vendor should answer.")
    wanted = {str(v) for v in form.getlist("documents")}
    documents = [d for d in DocumentType if d.value in wanted]
    if not errors:
        try:
            asked = await review_service.request_information(
                session,
                principal=principal,
                request_id=request_id,
                body=InformationRequestCreate(message=message, documents_requested=documents),
                if_match=text(form, "etag", max_length=40) or None,
                now=clock.now(),
            )
        except PreconditionFailed:
            return _stale(request, principal, settings, request_id, status=412)
        except (AlreadyDecided, NotInReview):
            return _stale(request, principal, settings, request_id, status=409)
        await access.record(
            principal,
            action=AccessAction.CREATE,
            resource_type=ResourceType.INFORMATION_REQUEST,
            resource_id=asked.id,
            requests=[asked.request],
        )
        return RedirectResponse(_detail_url(request_id), status_code=303)
    return await _detail_page(
        request,
        request_id,
        principal,
        settings,
        session,
        clock,
        access,
        status_code=422,
        pend_errors=errors,
        form=form,
    )
