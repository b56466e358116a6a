"""Submission use cases: submit, read, list, timeline, cancel."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.codes import hcpcs
from dme_portal.config import Settings
from dme_portal.errors import InvalidInput, PreconditionFailed
from dme_portal.sla import policy
from dme_portal.submissions import repository, waiting
from dme_portal.submissions.exceptions import RequestClosed, RequestNotFound
from dme_portal.submissions.models import (
    ActorType,
    AuthorizationRequest,
    RequestDiagnosis,
    RequestEvent,
    RequestLine,
    RequestStatus,
    Urgency,
)
from dme_portal.submissions.schemas import (
    AuthorizationRequestCreate,
    AuthorizationRequestRead,
    LineRead,
    NetworkRef,
)
from dme_portal.vendors.models import ContractStatus


def actor_of(principal: Principal) -> ActorType:
    return ActorType.CLIENT if principal.is_machine else ActorType.USER


def etag_of(request: AuthorizationRequest) -> str:
    return f'"v{request.version}"'


def turnaround_hours(request: AuthorizationRequest) -> int:
    network = request.network
    if request.urgency is Urgency.EXPEDITED:
        return network.expedited_turnaround_hours
    return network.standard_turnaround_hours


def _check_duplicate_lines(body: AuthorizationRequestCreate) -> None:
    seen: dict[tuple[str, tuple[str, ...]], int] = {}
    for i, line in enumerate(body.lines):
        key = (line.hcpcs, tuple(sorted(line.modifiers)))
        if key in seen:
            j = seen[key]
            earlier = body.lines[j]
            if line.start_date <= earlier.end_date and earlier.start_date <= line.end_date:
                raise InvalidInput(
                    f"lines[{i}]",
                    f"duplicates lines[{j}] (same code, modifiers and overlapping period)",
                    code="duplicate_line",
                )
        seen[key] = i


def _check_periods(body: AuthorizationRequestCreate) -> None:
    for i, line in enumerate(body.lines):
        if line.end_date < line.start_date:
            raise InvalidInput(
                f"lines[{i}].end_date", "must not be before start_date", code="period_order"
            )
    if len(set(body.diagnoses)) != len(body.diagnoses):
        raise InvalidInput("diagnoses", "lists the same code twice", code="duplicate_diagnosis")


async def submit(
    session: AsyncSession,
    *,
    principal: Principal,
    body: AuthorizationRequestCreate,
    now: datetime,
) -> AuthorizationRequest:
    """Validate, route to the member's network, start the SLA clock and record the event."""
    assert principal.vendor_id is not None
    _check_periods(body)
    _check_duplicate_lines(body)
    member = await repository.get_member_by_cin(session, body.member_cin)
    if member is None:
        raise InvalidInput("member_cin", "no member with this CIN", code="unknown_member")
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
    contracts = await repository.contracts_for(session, principal.vendor_id, network.id)
    request = AuthorizationRequest(
        id=uuid.uuid4(),
        vendor_id=principal.vendor_id,
        member_id=member.id,
        network_id=network.id,
        status=RequestStatus.IN_REVIEW,
        urgency=body.urgency,
        kind=body.kind,
        prescriber_npi=body.prescriber_npi,
        notes=body.notes,
        received_at=now,
        updated_at=now,
        waiting_on="",
    )
    request.member = member
    request.network = network
    request.due_at = policy.due_at(now, turnaround_hours(request))
    request.lines = [
        RequestLine(
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
            contract_status=repository.contract_status_on(contracts, line.start_date),
            outcome=None,
        )
        for i, line in enumerate(body.lines)
    ]
    request.diagnoses = [
        RequestDiagnosis(sequence=i + 1, code=code) for i, code in enumerate(body.diagnoses)
    ]
    out_of_network = sum(
        1 for line in request.lines if line.contract_status is ContractStatus.OUT_OF_NETWORK
    )
    request.waiting_on = waiting.describe(
        request.status, network_name=network.name, out_of_network_lines=out_of_network
    )
    session.add(request)
    await session.flush()  # the event references the request row
    session.add(
        RequestEvent(
            request_id=request.id,
            occurred_at=now,
            kind="submitted",
            actor_type=actor_of(principal),
            actor_id=principal.subject,
            actor_role=principal.role.value,
            from_status=None,
            to_status=request.status,
            reason=None,
            data={
                "network_id": str(network.id),
                "due_at": request.due_at.isoformat(),
                "out_of_network_lines": [
                    line.line_number
                    for line in request.lines
                    if line.contract_status is ContractStatus.OUT_OF_NETWORK
                ],
            },
        )
    )
    await session.flush()
    return request


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
    """The vendor withdraws a request that is not decided yet."""
    request = await repository.get_readable(session, principal, request_id, for_update=True)
    if request is None:
        raise RequestNotFound()
    if if_match is not None and if_match.strip() not in (etag_of(request), "*"):
        raise PreconditionFailed(f"The request is now at {etag_of(request)}.")
    if not request.status.is_open:
        raise RequestClosed(f"The request is {request.status.value} and cannot be cancelled.")
    previous = request.status
    request.status = RequestStatus.CANCELLED
    request.updated_at = now
    request.waiting_on = waiting.describe(request.status, network_name=request.network.name)
    session.add(
        RequestEvent(
            request_id=request.id,
            occurred_at=now,
            kind="cancelled",
            actor_type=actor_of(principal),
            actor_id=principal.subject,
            actor_role=principal.role.value,
            from_status=previous,
            to_status=request.status,
            reason=reason,
            data={},
        )
    )
    await session.flush()
    return request


def to_read(
    request: AuthorizationRequest, *, now: datetime, settings: Settings
) -> AuthorizationRequestRead:
    """The API view of a request, with its SLA state at ``now``."""
    sla_state = policy.state(
        now=now,
        due=request.due_at,
        turnaround_hours=turnaround_hours(request),
        at_risk_fraction=settings.sla.at_risk_fraction,
        decided_at=request.decided_at,
    )
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
            )
        )
    network = request.network
    return AuthorizationRequestRead(
        id=request.id,
        status=request.status,
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
    )
