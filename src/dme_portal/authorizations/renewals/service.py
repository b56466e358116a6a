"""Renew authorizations in one call (issue 16): check every item first, then file them all.

A renewal is a ``renewal`` request filed through the submission path
(``submissions.service.submit``): routed to the network the member is enrolled in on the new
start date, under that network's rules, so a condition-specific group approves it inside the
call. It carries forward the authorization's line, the request's diagnoses, prescriber and
documents; a vendor may change the quantity, the brand, the end date and the notes, and ask
for the extended lifelong period (a reviewer decides that).

Decisions (documented in the README):
- The window opens ``renewals.window_days`` before the end (the issuing network's current
  ruleset, 30 days by default) and closes on the end date itself: no grace after it, since a
  renewal filed later would leave a gap; a lapsed item is a new ``initial`` request (422).
- Only ``active`` and ``expiring`` authorizations are renewed; ``expired``, ``superseded`` and
  ``void`` ones, and ones with an open or approved renewal, are a 409 (a state conflict).
- The start is always the day after the old end (no gap, no overlap); any other is a 422.
- Documents are copied (metadata and bytes) to the new request: an attachment's bytes belong to
  one row (its unique ``storage_key`` is what purges and withdrawals delete), so sharing them
  would need reference counting. The newest 20 are carried, the most a submission names.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from dme_portal.attachments.models import Attachment
from dme_portal.attachments.storage import BlobStore
from dme_portal.auth.principal import Principal
from dme_portal.authorizations.models import IN_FORCE, Authorization
from dme_portal.authorizations.renewals.exceptions import (
    AuthorizationNotFound,
    NotRenewable,
    RenewalInvalid,
)
from dme_portal.authorizations.renewals.schemas import RenewalItem, RenewalOutcome
from dme_portal.db import dialect
from dme_portal.errors import field_path
from dme_portal.members.models import Member
from dme_portal.rules import renewals as renewal_rules
from dme_portal.rules.compile import CompiledRuleSet
from dme_portal.rules.ruleset import Renewals
from dme_portal.rulesets import registry
from dme_portal.rulesets import repository as rulesets_repository
from dme_portal.submissions import duplicates, repository
from dme_portal.submissions import service as submission_service
from dme_portal.submissions.models import AuthorizationRequest, RequestKind, RequestStatus
from dme_portal.submissions.schemas import AuthorizationRequestCreate

MAX_DOCUMENTS = 20
# Fields of a renewal item a submission's validation error maps back to.
_ITEM_FIELDS = frozenset({"quantity", "brand", "brand_reason", "start_date", "end_date", "notes"})


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    field: str
    message: str
    code: str


@dataclass(slots=True)
class _Plan:
    index: int
    authorization: Authorization
    source_request_id: uuid.UUID
    payload: dict[str, Any]
    extended: tuple[int, str] | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Filed:
    authorization_id: uuid.UUID
    request: AuthorizationRequest

    @property
    def outcome(self) -> RenewalOutcome:
        if self.request.status is RequestStatus.APPROVED:
            return RenewalOutcome.APPROVED
        return RenewalOutcome.IN_REVIEW


async def renew(
    session: AsyncSession,
    *,
    principal: Principal,
    items: Sequence[RenewalItem],
    batch: bool,
    now: datetime,
    store: BlobStore,
    default_at_risk_fraction: float,
) -> list[Filed]:
    """File one renewal per item, or none: every item is checked before anything is stored.

    A single renewal (``batch`` false) of an authorization the vendor cannot see is a 404;
    in a batch it is that item's 422, as is every other problem (``renewals[i].<field>``).
    """
    assert principal.vendor_id is not None
    ids = [item.authorization_id for item in items]
    # Two renewals of one authorization wait for each other: the second sees the first.
    await dialect.serialize(session, *(f"renewal:{i}" for i in ids))
    found = await _authorizations(session, principal.vendor_id, ids)
    if not batch and ids[0] not in found:
        raise AuthorizationNotFound()
    requests = await _source_requests(session, {a.request_id for a in found.values()})
    open_renewals = await duplicates.open_renewals(session, list(found))
    today = now.astimezone(UTC).date()
    plans: list[_Plan] = []
    problems: list[Problem] = []
    seen: set[uuid.UUID] = set()
    for i, item in enumerate(items):
        prefix = f"renewals[{i}]." if batch else ""
        authorization = found.get(item.authorization_id)
        if authorization is None:
            problems.append(
                Problem(
                    422,
                    f"{prefix}authorization_id",
                    "is not an authorization of yours",
                    "unknown_authorization",
                )
            )
            continue
        if item.authorization_id in seen:
            problems.append(
                Problem(
                    422,
                    f"{prefix}authorization_id",
                    "is named twice in the batch",
                    "duplicate_item",
                )
            )
            continue
        seen.add(item.authorization_id)
        plan = await _plan(
            session,
            index=i,
            item=item,
            authorization=authorization,
            source=requests[authorization.request_id],
            open_renewal=open_renewals.get(authorization.id),
            today=today,
        )
        problems.extend(
            Problem(p.status, f"{prefix}{p.field}", p.message, p.code) for p in plan.problems
        )
        plans.append(plan)
    if problems:
        raise _refusal(problems, batch=batch, count=len(items))
    filed: list[Filed] = []
    for plan in plans:
        copies = await _copy_documents(
            session, store=store, principal=principal, request_id=plan.source_request_id, now=now
        )
        body = AuthorizationRequestCreate.model_validate(
            {**plan.payload, "attachment_ids": [str(c.id) for c in copies]}
        )
        request = await submission_service.submit(
            session,
            principal=principal,
            body=body,
            now=now,
            default_at_risk_fraction=default_at_risk_fraction,
            renewal=submission_service.RenewalOf(plan.authorization.id, plan.extended),
        )
        await repository.load_read_details(session, request)
        filed.append(Filed(plan.authorization.id, request))
    return filed


def _refusal(problems: list[Problem], *, batch: bool, count: int) -> Exception:
    """422 when any item is invalid (every problem named), else 409 (state conflicts)."""
    invalid = [p for p in problems if p.status == 422]
    chosen = invalid or problems
    errors = [{"field": p.field, "message": p.message, "code": p.code} for p in problems]
    if batch:
        items = len({p.field.split(".", 1)[0] for p in chosen})
        detail = f"{items} of {count} renewals cannot be filed; nothing was stored."
    else:
        detail = f"{chosen[0].field}: {chosen[0].message}"
    if invalid:
        return RenewalInvalid(detail, errors=errors)
    return NotRenewable(detail, errors=errors)


async def _authorizations(
    session: AsyncSession, vendor_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, Authorization]:
    """The vendor's own authorizations among ``ids`` (others' are not found)."""
    stmt = select(Authorization).where(
        Authorization.id.in_(ids), Authorization.vendor_id == vendor_id
    )
    return {a.id: a for a in (await session.execute(stmt)).scalars()}


async def _source_requests(
    session: AsyncSession, ids: set[uuid.UUID]
) -> dict[uuid.UUID, AuthorizationRequest]:
    stmt = (
        select(AuthorizationRequest)
        .where(AuthorizationRequest.id.in_(ids))
        .options(
            selectinload(AuthorizationRequest.lines),
            selectinload(AuthorizationRequest.diagnoses),
        )
    )
    return {r.id: r for r in (await session.execute(stmt)).scalars()}


async def _current_rules(session: AsyncSession, network_id: uuid.UUID) -> CompiledRuleSet | None:
    found = await rulesets_repository.current_version(session, network_id)
    if found is None:
        return None
    return registry.compiled(network_id, found.version, found.document)


async def _plan(
    session: AsyncSession,
    *,
    index: int,
    item: RenewalItem,
    authorization: Authorization,
    source: AuthorizationRequest,
    open_renewal: uuid.UUID | None,
    today: date,
) -> _Plan:
    """The submission a renewal files, and every problem with it."""
    plan = _Plan(index, authorization, source.id, {})
    problems = plan.problems
    if authorization.state not in IN_FORCE:
        problems.append(
            Problem(
                409,
                "authorization_id",
                f"is {authorization.state.value}: only active or expiring authorizations are "
                "renewed",
                "not_renewable",
            )
        )
    elif authorization.superseded_by_id is not None:
        problems.append(Problem(409, "authorization_id", "is already renewed", "already_renewed"))
    elif open_renewal is not None:
        problems.append(
            Problem(
                409,
                "authorization_id",
                f"has an open renewal (request {open_renewal}): follow that one",
                "renewal_open",
            )
        )
    issuing = await _current_rules(session, authorization.network_id)
    window = renewal_rules.window_problem(
        today, authorization.end_date, issuing.renewals if issuing else Renewals()
    )
    if window is not None:
        problems.append(Problem(422, "authorization_id", window, "renewal_window"))
    start = authorization.end_date + timedelta(days=1)
    if item.start_date is not None and item.start_date != start:
        problems.append(
            Problem(
                422,
                "start_date",
                f"must be {start.isoformat()}, the day after the authorization ends: coverage "
                f"continues with no gap and no overlap",
                "renewal_continuity",
            )
        )
    enrolled = await repository.enrollment_on(session, authorization.member_id, start)
    if enrolled is None:
        problems.append(
            Problem(
                422,
                "authorization_id",
                f"the member is not enrolled in a network on {start.isoformat()}",
                "not_enrolled",
            )
        )
        return plan
    # The network the member is enrolled in on the new start, under its rules (continuity).
    rules = await _current_rules(session, enrolled[1].id)
    diagnoses = tuple(d.code for d in source.diagnoses)
    end = _end_date(plan, item, authorization, rules, diagnoses, start)
    if problems or end is None:
        return plan
    member = await session.get(Member, authorization.member_id)
    assert member is not None
    line = next(ln for ln in source.lines if ln.id == authorization.line_id)
    brand_changed = item.brand is not None and item.brand != authorization.brand
    brand = item.brand if brand_changed else authorization.brand
    plan.payload = {
        "member_cin": member.cin,
        "member_birth_date": member.birth_date.isoformat(),
        "prescriber_npi": source.prescriber_npi,
        "kind": RequestKind.RENEWAL.value,
        "diagnoses": list(diagnoses),
        "notes": item.notes,
        "lines": [
            {
                "hcpcs": authorization.hcpcs,
                "modifiers": list(authorization.modifiers),
                "quantity": item.quantity or authorization.quantity,
                "unit": authorization.unit,
                "frequency": authorization.frequency,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "acquisition": line.acquisition.value,
                "brand": brand,
                "manufacturer": None if brand_changed or brand is None else line.manufacturer,
                "brand_reason": (
                    item.brand_reason or (None if brand_changed else line.brand_reason)
                )
                if brand
                else None,
            }
        ],
    }
    try:
        AuthorizationRequestCreate.model_validate(plan.payload)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            last = err["loc"][-1] if err["loc"] else ""
            where = str(last) if last in _ITEM_FIELDS else "authorization_id"
            problems.append(
                Problem(422, where, f"{field_path(err['loc'])}: {err['msg']}", err["type"])
            )
    return plan


def _end_date(
    plan: _Plan,
    item: RenewalItem,
    authorization: Authorization,
    rules: CompiledRuleSet | None,
    diagnoses: tuple[str, ...],
    start: date,
) -> date | None:
    """The new period's last day: asked for, extended, or as the rules give (lifelong too)."""
    if item.extended_period is not None:
        problem = (
            "the network has no rules offering an extended period"
            if rules is None
            else renewal_rules.extended_problem(rules, diagnoses)
        )
        if problem is not None:
            plan.problems.append(Problem(422, "extended_period", problem, "extended_not_offered"))
            return None
        if item.end_date is not None:
            plan.problems.append(
                Problem(422, "end_date", "give either end_date or extended_period", "conflict")
            )
            return None
        assert rules is not None
        assert rules.renewals.extended_lifelong_days is not None
        days = min(rules.renewals.extended_lifelong_days, rules.durations.max_days)
        plan.extended = (days, item.extended_period.reason)
        return start + timedelta(days=days - 1)
    if item.end_date is not None:
        if item.end_date < start:
            plan.problems.append(
                Problem(422, "end_date", f"must not be before {start.isoformat()}", "period_order")
            )
            return None
        return item.end_date
    days = (
        renewal_rules.period_days(rules, diagnoses, authorization.hcpcs)
        if rules is not None
        else (authorization.end_date - authorization.start_date).days + 1
    )
    return start + timedelta(days=days - 1)


async def _copy_documents(
    session: AsyncSession,
    *,
    store: BlobStore,
    principal: Principal,
    request_id: uuid.UUID,
    now: datetime,
) -> list[Attachment]:
    """Copies of the renewed request's newest documents, as the vendor's uploads not yet
    attached (the submission claims them, so they count for the rules at once)."""
    assert principal.vendor_id is not None
    stmt = (
        select(Attachment)
        .where(Attachment.request_id == request_id)
        .order_by(Attachment.uploaded_at.desc(), Attachment.id)
        .limit(MAX_DOCUMENTS)
    )
    copies: list[Attachment] = []
    for original in (await session.execute(stmt)).scalars():
        data = await store.get(original.storage_key)
        if data is None:
            continue
        copy_id = uuid.uuid4()
        copy = Attachment(
            id=copy_id,
            request_id=None,
            vendor_id=principal.vendor_id,
            expires_at=now + timedelta(hours=1),
            document_type=original.document_type,
            filename=original.filename,
            content_type=original.content_type,
            size_bytes=original.size_bytes,
            sha256=original.sha256,
            storage_key=f"attachment/{copy_id}",
            description=original.description,
            uploaded_at=original.uploaded_at,
            uploaded_by=original.uploaded_by,
        )
        session.add(copy)
        await store.put(copy.storage_key, data)
        copies.append(copy)
    await session.flush()
    return list(reversed(copies))
