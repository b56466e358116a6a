"""Reconsideration use cases: ask (the vendor), list and read, decide (another physician).

A vendor asks, on the family's behalf, for another look at denied or modified lines within the
period the network's ruleset sets (``reconsideration.request_within_days`` after the decision).
The ruleset is the version the request was decided under (``request.ruleset_version``): the
family's rights are those in force when the decision was made, whatever the network published
since; a request decided without a ruleset falls back to the network's current version, then to
the defaults (60 days, 30 days, 72 hours). The reconsideration runs on its own clock from its
receipt, and only a physician other than the one who decided may decide it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.attachments import service as attachment_service
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.authorizations import service as authorization_service
from dme_portal.authorizations.models import Authorization
from dme_portal.errors import InvalidInput, PreconditionFailed, PreconditionRequired, etag_matches
from dme_portal.reconsiderations import repository
from dme_portal.reconsiderations.exceptions import (
    AlreadyDecided,
    AlreadyOpen,
    PhysicianRequired,
    ReconsiderationNotFound,
    SamePhysician,
)
from dme_portal.reconsiderations.models import (
    Reconsideration,
    ReconsiderationOutcome,
    ReconsiderationStatus,
)
from dme_portal.reconsiderations.schemas import (
    LineVerdict,
    ReconsiderationCreate,
    ReconsiderationDecision,
    ReconsiderationDecisionLine,
    ReconsiderationLineRead,
    ReconsiderationRead,
    ReconsiderationStatusView,
    ReconsiderationView,
)
from dme_portal.review import service as review_service
from dme_portal.rules.ruleset import Reconsideration as ReconsiderationPolicy
from dme_portal.rulesets import repository as rulesets_repository
from dme_portal.submissions import changes, events, views
from dme_portal.submissions import repository as submissions_repository
from dme_portal.submissions.exceptions import RequestNotFound
from dme_portal.submissions.models import (
    AuthorizationRequest,
    AuthorizationState,
    LineOutcome,
    RequestLine,
)
from dme_portal.submissions.schemas import DecidingPhysicianRead
from dme_portal.submissions.service import authorization_number

RECONSIDERABLE = (LineOutcome.DENIED, LineOutcome.MODIFIED)
DECIDERS = frozenset({Role.MEDICAL_DIRECTOR, Role.NETWORK_CLIENT})
_EVENT_LINE_KEYS = ("quantity", "start_date", "end_date", "authorization_number")


def etag_of(reconsideration: Reconsideration) -> str:
    return f'"v{reconsideration.version}"'


async def policy_for(
    session: AsyncSession, request: AuthorizationRequest
) -> tuple[ReconsiderationPolicy, int | None]:
    """The reconsideration section of the ruleset the request was decided under (see above)."""
    found = None
    if request.ruleset_version is not None:
        found = await rulesets_repository.get_version(
            session, request.network_id, request.ruleset_version
        )
    if found is None:
        found = await rulesets_repository.current_version(session, request.network_id)
    if found is None:
        return ReconsiderationPolicy(), None
    section = found.document.get("reconsideration") or {}
    return ReconsiderationPolicy.model_validate(section), found.version


def last_day(decided_at: datetime, policy: ReconsiderationPolicy) -> date:
    """The last (UTC) day a reconsideration may be asked: the decision's day plus the period."""
    return decided_at.date() + timedelta(days=policy.request_within_days)


def due_at(now: datetime, policy: ReconsiderationPolicy, *, expedited: bool) -> datetime:
    if expedited:
        return now + timedelta(hours=policy.expedited_turnaround_hours)
    return now + timedelta(days=policy.turnaround_days)


async def _readable_request(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, *, for_update: bool
) -> AuthorizationRequest:
    request = await submissions_repository.get_readable(
        session, principal, request_id, for_update=for_update
    )
    if request is None:
        raise RequestNotFound()
    return request


def _open_lines(reconsiderations: list[Reconsideration]) -> set[int]:
    return {
        n
        for r in reconsiderations
        if r.status is ReconsiderationStatus.OPEN
        for n in r.line_numbers
    }


async def request_reconsideration(
    session: AsyncSession,
    *,
    principal: Principal,
    request_id: uuid.UUID,
    body: ReconsiderationCreate,
    now: datetime,
) -> tuple[Reconsideration, AuthorizationRequest]:
    """Open a reconsideration of the named lines (the vendor of the request only)."""
    request = await _readable_request(session, principal, request_id, for_update=True)
    if len(set(body.lines)) != len(body.lines):
        raise InvalidInput("lines", "names the same line twice")
    if body.expedited and body.expedited_reason is None:
        raise InvalidInput(
            "expedited_reason",
            "is required when `expedited` is true: say why the standard timeframe could "
            "seriously jeopardize the child's health",
            code="expedited_reason_required",
        )
    if not body.expedited and body.expedited_reason is not None:
        raise InvalidInput("expedited_reason", "is only for an expedited reconsideration")
    by_number = {ln.line_number: ln for ln in request.lines}
    for i, number in enumerate(body.lines):
        line = by_number.get(number)
        if line is None:
            raise InvalidInput(f"lines[{i}]", f"the request has no line {number}")
        if line.outcome not in RECONSIDERABLE:
            state = line.outcome.value if line.outcome is not None else "not decided yet"
            raise InvalidInput(
                f"lines[{i}]",
                f"line {number} is {state}: only denied or modified lines can be reconsidered",
                code="not_reconsiderable",
            )
    policy, version = await policy_for(session, request)
    assert request.decided_at is not None  # a denied or modified line has a decision
    last = last_day(request.decided_at, policy)
    if now.date() > last:
        raise InvalidInput(
            "lines",
            f"the reconsideration period ({policy.request_within_days} days after the decision "
            f"of {request.decided_at.date().isoformat()}) ended on {last.isoformat()}",
            code="period_ended",
        )
    existing = await repository.for_request(session, request.id)
    taken = _open_lines(existing) & set(body.lines)
    if taken:
        raise AlreadyOpen(
            f"Line(s) {sorted(taken)} are under reconsideration already; wait for its decision.",
            extra={"line_numbers": sorted(taken)},
        )
    attachments = await attachment_service.claim_for_submission(
        session, principal=principal, attachment_ids=body.attachment_ids, now=now
    )
    for attachment in attachments:
        attachment.request_id = request.id
        attachment.expires_at = None
    created = Reconsideration(
        id=uuid.uuid4(),
        request_id=request.id,
        network_id=request.network_id,
        line_numbers=list(body.lines),
        requested_at=now,
        requested_by=principal.subject,
        reason=body.reason,
        attachment_ids=[str(a.id) for a in attachments],
        expedited=body.expedited,
        expedited_reason=body.expedited_reason,
        ruleset_version=version,
        due_at=due_at(now, policy, expedited=body.expedited),
        status=ReconsiderationStatus.OPEN,
        outcome=None,
        line_outcomes=[],
    )
    session.add(created)
    request.updated_at = now
    await session.flush()
    await events.record(
        session,
        request,
        principal,
        "reconsideration_requested",
        now,
        from_status=request.status,
        to_status=request.status,
        reason=body.reason,
        data={
            "reconsideration_id": str(created.id),
            "line_numbers": created.line_numbers,
            "expedited": created.expedited,
            "due_at": created.due_at.isoformat(),
            "attachment_ids": created.attachment_ids,
        },
    )
    await changes.record(session, request, "reconsideration_requested", now)
    await session.flush()
    return created, request


async def list_for_request(
    session: AsyncSession, *, principal: Principal, request_id: uuid.UUID
) -> tuple[AuthorizationRequest, list[Reconsideration]]:
    request = await _readable_request(session, principal, request_id, for_update=False)
    return request, await repository.for_request(session, request.id)


async def get(
    session: AsyncSession, *, principal: Principal, reconsideration_id: uuid.UUID
) -> tuple[Reconsideration, AuthorizationRequest]:
    """One reconsideration whose request the principal may read (404 otherwise)."""
    found = await repository.get(session, reconsideration_id)
    if found is None:
        raise ReconsiderationNotFound()
    request = await submissions_repository.get_readable(session, principal, found.request_id)
    if request is None:
        raise ReconsiderationNotFound()
    return found, request


def _original_physicians(
    request: AuthorizationRequest, lines: list[RequestLine], decided: list[Any]
) -> tuple[set[str], set[str]]:
    """Subjects and NPIs of whoever decided ``lines``: the line's recorded physician, and the
    person (and named physician) on each ``decided`` event that covers one of the lines."""
    numbers = {ln.line_number for ln in lines}
    subjects = {ln.physician_subject for ln in lines if ln.physician_subject}
    npis = {ln.physician_npi for ln in lines if ln.physician_npi}
    for event in decided:
        data = event.data or {}
        covered = {d.get("line_number") for d in data.get("lines") or [] if isinstance(d, dict)}
        if not covered & numbers:
            continue
        if event.actor_role == Role.MEDICAL_DIRECTOR.value and event.actor_id:
            subjects.add(event.actor_id)
        named = data.get("deciding_physician") or {}
        if isinstance(named, dict):
            if named.get("subject"):
                subjects.add(str(named["subject"]))
            if named.get("npi"):
                npis.add(str(named["npi"]))
    return subjects, npis


def _check_physician(
    principal: Principal, body: ReconsiderationDecision, subjects: set[str], npis: set[str]
) -> tuple[str | None, str | None, str | None]:
    """The reconsidering physician (subject, npi, name), or 403 / 422."""
    if principal.role not in DECIDERS:
        raise PhysicianRequired(
            "A reconsideration is decided by a medical director other than the one who made "
            "the decision, or by the network's UM system naming that physician."
        )
    if principal.role is Role.NETWORK_CLIENT:
        named = body.deciding_physician
        if named is None:
            raise InvalidInput(
                "deciding_physician",
                "is required: name the physician (`npi`, `name`) who reconsidered; it must "
                "not be the physician who made the decision",
                code="physician_required",
            )
        if named.npi in npis:
            raise SamePhysician(
                "The physician named made the original decision; another physician must "
                "reconsider it."
            )
        return None, named.npi, named.name
    if body.deciding_physician is not None:
        raise InvalidInput(
            "deciding_physician",
            "is for a network's UM system; a medical director decides as themself",
            code="not_allowed",
        )
    if principal.subject in subjects:
        raise SamePhysician(
            "You made the original decision: another medical director must reconsider it."
        )
    return principal.subject, None, None


def _overturn(
    request: AuthorizationRequest, line: RequestLine, d: ReconsiderationDecisionLine, i: int
) -> None:
    where = f"lines[{i}]"
    start = d.start_date or line.start_date
    end = d.end_date or line.end_date
    quantity = d.quantity if d.quantity is not None else line.quantity
    if end < start:
        raise InvalidInput(f"{where}.end_date", "must not be before start_date")
    if start < line.start_date or end > line.end_date or quantity > line.quantity:
        raise InvalidInput(where, "cannot authorize more, or longer, than was requested")
    reduced = quantity < line.quantity or (start, end) != (line.start_date, line.end_date)
    line.outcome = LineOutcome.MODIFIED if reduced else LineOutcome.APPROVED
    if not reduced:
        line.decision_reason_code = None
        line.decision_reason = None
    line.approved_quantity = quantity
    line.authorized_start = start
    line.authorized_end = end
    if line.authorization_number is None:
        line.authorization_number = authorization_number(request.network)
    line.authorization_state = AuthorizationState.ACTIVE


async def _amend_authorizations(
    session: AsyncSession, request: AuthorizationRequest, lines: list[RequestLine], now: datetime
) -> None:
    """A modified line overturned keeps its authorization number; its row takes the new terms."""
    ids = {ln.id: ln for ln in lines}
    rows = (
        await session.execute(select(Authorization).where(Authorization.line_id.in_(list(ids))))
    ).scalars()
    for row in rows:
        line = ids[row.line_id]
        assert line.authorized_start is not None
        assert line.authorized_end is not None
        row.quantity = line.approved_quantity or line.quantity
        row.start_date = line.authorized_start
        row.end_date = line.authorized_end
        row.state_changed_at = now


async def decide(
    session: AsyncSession,
    *,
    principal: Principal,
    reconsideration_id: uuid.UUID,
    body: ReconsiderationDecision,
    if_match: str | None,
    now: datetime,
) -> tuple[Reconsideration, AuthorizationRequest]:
    """Uphold or overturn each line; an overturn approves the line and issues its authorization."""
    if if_match is None:
        raise PreconditionRequired(
            "Send If-Match with the ETag of the reconsideration you reviewed."
        )
    found = await repository.get(session, reconsideration_id)
    if found is None or principal.network_id is None or found.network_id != principal.network_id:
        raise ReconsiderationNotFound()
    request = await _readable_request(session, principal, found.request_id, for_update=True)
    recon = await repository.get(session, reconsideration_id, for_update=True)
    assert recon is not None
    await session.refresh(recon)
    if not etag_matches(if_match, etag_of(recon)):
        raise PreconditionFailed(f"The reconsideration is now at {etag_of(recon)}.")
    if recon.status is not ReconsiderationStatus.OPEN:
        raise AlreadyDecided()
    given = [d.line_number for d in body.lines]
    if len(set(given)) != len(given) or set(given) != set(recon.line_numbers):
        raise InvalidInput(
            "lines",
            f"must decide exactly the lines under reconsideration {sorted(recon.line_numbers)}",
        )
    by_number = {ln.line_number: ln for ln in request.lines}
    lines = [by_number[n] for n in recon.line_numbers]
    subjects, npis = _original_physicians(
        request, lines, await repository.decision_events(session, request.id)
    )
    subject, npi, name = _check_physician(principal, body, subjects, npis)
    overturned: list[RequestLine] = []
    results: list[dict[str, Any]] = []
    for i, d in enumerate(body.lines):
        line = by_number[d.line_number]
        if d.outcome is LineVerdict.UPHELD:
            if d.quantity is not None or d.start_date or d.end_date:
                raise InvalidInput(f"lines[{i}]", "an upheld line takes no quantity or period")
            results.append({"line_number": line.line_number, "outcome": "upheld"})
            continue
        _overturn(request, line, d, i)
        if line.outcome is LineOutcome.APPROVED:
            line.physician_subject = line.physician_npi = line.physician_name = None
        else:
            line.physician_subject, line.physician_npi, line.physician_name = subject, npi, name
        overturned.append(line)
        results.append(
            {
                "line_number": line.line_number,
                "outcome": "overturned",
                "line_outcome": line.outcome.value if line.outcome else None,
                "quantity": line.approved_quantity,
                "start_date": line.authorized_start.isoformat() if line.authorized_start else None,
                "end_date": line.authorized_end.isoformat() if line.authorized_end else None,
                "authorization_number": line.authorization_number,
            }
        )
    if not overturned:
        recon.outcome = ReconsiderationOutcome.UPHELD
    elif len(overturned) == len(lines):
        recon.outcome = ReconsiderationOutcome.OVERTURNED
    else:
        recon.outcome = ReconsiderationOutcome.PARTIALLY_OVERTURNED
    recon.status = ReconsiderationStatus.DECIDED
    recon.line_outcomes = results
    recon.decided_at = now
    recon.decided_by = principal.subject
    recon.physician_subject, recon.physician_npi, recon.physician_name = subject, npi, name
    recon.note = body.note
    previous = request.status
    outcomes = [ln.outcome for ln in request.lines if ln.outcome is not None]
    request.status = review_service.status_of(outcomes)
    request.updated_at = now
    await session.flush()
    await events.record(
        session,
        request,
        principal,
        "reconsideration_decided",
        now,
        from_status=previous,
        to_status=request.status,
        reason=body.note,
        data={
            "reconsideration_id": str(recon.id),
            "outcome": recon.outcome.value,
            "lines": [
                {
                    "line_number": r["line_number"],
                    "outcome": r.get("line_outcome") or "upheld",
                    **{k: r[k] for k in _EVENT_LINE_KEYS if r.get(k) is not None},
                }
                for r in results
            ],
            "deciding_physician": {
                "subject": subject,
                "npi": npi,
                "name": name,
                "line_numbers": list(recon.line_numbers),
            },
        },
    )
    await changes.record(session, request, "reconsideration_decided", now)
    await session.flush()
    if overturned:
        await _amend_authorizations(session, request, overturned, now)
        await authorization_service.sync_from_lines(
            session, request=request, now=now, issued_by=principal.subject
        )
    return recon, request


def _lines(recon: Reconsideration) -> list[ReconsiderationLineRead]:
    decided = {r["line_number"]: r for r in recon.line_outcomes or []}
    out = []
    for n in recon.line_numbers:
        r = decided.get(n, {})
        out.append(
            ReconsiderationLineRead(
                line_number=n,
                outcome=LineVerdict(r["outcome"]) if r.get("outcome") else None,
                line_outcome=LineOutcome(r["line_outcome"]) if r.get("line_outcome") else None,
                quantity=r.get("quantity"),
                start_date=r.get("start_date"),
                end_date=r.get("end_date"),
                authorization_number=r.get("authorization_number"),
            )
        )
    return out


def to_read(recon: Reconsideration) -> ReconsiderationRead:
    physician = (
        DecidingPhysicianRead(
            subject=recon.physician_subject, npi=recon.physician_npi, name=recon.physician_name
        )
        if recon.physician_subject or recon.physician_npi
        else None
    )
    return ReconsiderationRead(
        id=recon.id,
        request_id=recon.request_id,
        lines=_lines(recon),
        status=recon.status,
        outcome=recon.outcome,
        requested_at=recon.requested_at,
        requested_by=recon.requested_by,
        reason=recon.reason,
        attachment_ids=[uuid.UUID(a) for a in recon.attachment_ids or []],
        expedited=recon.expedited,
        expedited_reason=recon.expedited_reason,
        ruleset_version=recon.ruleset_version,
        due_at=recon.due_at,
        decided_at=recon.decided_at,
        decided_by=recon.decided_by,
        deciding_physician=physician,
        note=recon.note,
        version=recon.version,
    )


def view(recon: Reconsideration, viewer: Role) -> ReconsiderationView:
    """Care coordinators read where it stands, nothing clinical (submissions/views.py)."""
    if not views.status_only(viewer):
        return to_read(recon)
    return ReconsiderationStatusView(
        view="status",
        id=recon.id,
        request_id=recon.request_id,
        lines=_lines(recon),
        status=recon.status,
        outcome=recon.outcome,
        requested_at=recon.requested_at,
        expedited=recon.expedited,
        due_at=recon.due_at,
        decided_at=recon.decided_at,
        version=recon.version,
    )
