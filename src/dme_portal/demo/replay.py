"""Replay the demo plan through the hub's own use cases, each step at its own time.

Every request is submitted, reviewed, pended, answered, decided or cancelled by the same service
functions the API calls, with the step's time as ``now``; the SLA worker's sweep runs at each
moment a clock crosses a threshold. Timelines, authorizations, SLA states and escalations are
therefore what production would have recorded.
"""

from __future__ import annotations

import heapq
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.attachments import service as attachments_service
from dme_portal.attachments.models import Attachment
from dme_portal.attachments.storage import DatabaseBlobStore
from dme_portal.auth.principal import Principal
from dme_portal.authorizations import expiry
from dme_portal.config import AttachmentSettings, SlaSettings
from dme_portal.demo.activity import ActivityPlan, Assignment
from dme_portal.demo.documents import demo_pdf
from dme_portal.demo.lifecycle import PlannedRequest, Step, StepKind
from dme_portal.errors import DomainError
from dme_portal.review import service as review_service
from dme_portal.review.schemas import (
    DecisionCreate,
    InformationRequestCreate,
    InformationResponseCreate,
)
from dme_portal.rules.ruleset import DocumentType
from dme_portal.rulesets import service as rulesets_service
from dme_portal.rulesets.schemas import CsagAssignmentCreate
from dme_portal.sla import worker as sla_worker
from dme_portal.submissions import service as submissions_service
from dme_portal.submissions.models import AuthorizationRequest, RequestStatus, Urgency
from dme_portal.submissions.schemas import AuthorizationRequestCreate

log = logging.getLogger("dme_portal.demo")


@dataclass
class ReplayResult:
    requests: int = 0
    open: int = 0
    steps: int = 0
    # Steps the hub made moot (e.g. the rules approved on documents before the reviewer came).
    moot: int = 0
    # Steps a service refused: a flaw in the plan (tests require none).
    failures: list[str] = field(default_factory=list)


class _Bytes:
    """An in-memory upload, read the way the HTTP layer hands one over."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self, size: int = -1) -> bytes:
        chunk = self._data if size < 0 else self._data[:size]
        self._data = self._data[len(chunk) :]
        return chunk


@dataclass
class _Replay:
    session: AsyncSession
    principals: Mapping[str, Principal]
    network_ids: Mapping[str, uuid.UUID]
    store: DatabaseBlobStore
    requests: dict[int, AuthorizationRequest] = field(default_factory=dict)
    thresholds: list[datetime] = field(default_factory=list)
    result: ReplayResult = field(default_factory=ReplayResult)

    def watch(self, request: AuthorizationRequest, closes_at: datetime | None) -> None:
        """Sweep when the open request's clock turns at risk, then breached (if still open)."""
        for at in (request.at_risk_at, request.due_at):
            if closes_at is None or at < closes_at:
                heapq.heappush(self.thresholds, at)

    async def sweep_until(self, until: datetime) -> None:
        while self.thresholds and self.thresholds[0] <= until:
            at = heapq.heappop(self.thresholds)
            while self.thresholds and self.thresholds[0] <= at:
                heapq.heappop(self.thresholds)
            await sla_worker.sweep_session(self.session, now=at)


async def replay(
    session: AsyncSession,
    plan: ActivityPlan,
    *,
    principals: Mapping[str, Principal],
    network_ids: Mapping[str, uuid.UUID],
) -> ReplayResult:
    """Run the plan's assignments, then every request's steps in time order, then sweep."""
    state = _Replay(session, principals, network_ids, DatabaseBlobStore(session))
    for assignment in plan.assignments:
        await _assign(state, assignment)
    by_number = {r.number: r for r in plan.requests}
    order = sorted((step.at, r.number, i) for r in plan.requests for i, step in enumerate(r.steps))
    failed: set[int] = set()
    for at, number, index in order:
        if number in failed:
            continue
        planned = by_number[number]
        await state.sweep_until(at)
        try:
            await _STEPS[planned.steps[index].kind](state, planned, planned.steps[index])
        except DomainError as exc:
            failed.add(number)
            state.result.failures.append(f"request {number} {planned.steps[index].kind}: {exc}")
            log.warning("demo request %d: %s refused: %s", number, planned.steps[index].kind, exc)
        state.result.steps += 1
    await state.sweep_until(plan.now)
    await sla_worker.sweep_session(session, now=plan.now)
    # Authorizations near or past their end, as the worker would have left them.
    await expiry.sweep_session(session, now=plan.now)
    state.result.requests = len(state.requests)
    state.result.open = sum(1 for r in state.requests.values() if r.status.is_open)
    return state.result


async def _assign(state: _Replay, assignment: Assignment) -> None:
    await rulesets_service.assign(
        state.session,
        principal=state.principals[assignment.actor],
        network_id=state.network_ids[assignment.network_code],
        body=CsagAssignmentCreate(
            member_cin=assignment.member_cin,
            csag_id=assignment.csag_id,
            effective_from=assignment.effective_from,
        ),
        now=assignment.at,
    )


def _pdf_lines(planned: PlannedRequest) -> list[str]:
    draft = planned.draft
    lines = [
        f"Member CIN: {draft.member_cin}",
        f"Prescriber NPI: {draft.prescriber_npi}",
        f"Diagnoses: {', '.join(draft.diagnoses)}",
    ]
    lines += [
        f"{ln.hcpcs} x {ln.quantity} {ln.unit}, {ln.frequency}, from {ln.start.isoformat()}"
        for ln in draft.lines
    ]
    return lines


async def _upload(
    state: _Replay,
    planned: PlannedRequest,
    document: str,
    *,
    at: datetime,
    request_id: uuid.UUID | None,
) -> Attachment:
    data = demo_pdf(document, [f"Date: {at.date().isoformat()}", *_pdf_lines(planned)])
    file = await attachments_service.checked_file(
        _Bytes(data), max_bytes=AttachmentSettings().max_bytes
    )
    principal = state.principals[planned.draft.vendor_user]
    filename = f"{document.replace('_', '-')}-{at.date().isoformat()}.pdf"
    if request_id is None:
        return await attachments_service.upload_unattached(
            state.session,
            store=state.store,
            principal=principal,
            document_type=DocumentType(document),
            filename=filename,
            file=file,
            description=None,
            now=at,
        )
    return await attachments_service.upload(
        state.session,
        store=state.store,
        principal=principal,
        request_id=request_id,
        document_type=DocumentType(document),
        filename=filename,
        file=file,
        description=None,
        now=at,
    )


def _body(planned: PlannedRequest, attachment_ids: list[uuid.UUID]) -> AuthorizationRequestCreate:
    draft = planned.draft
    return AuthorizationRequestCreate.model_validate(
        {
            "member_cin": draft.member_cin,
            "member_birth_date": draft.member_birth_date.isoformat(),
            "prescriber_npi": draft.prescriber_npi,
            "urgency": "expedited" if draft.expedited_reason else "standard",
            "expedited_reason": draft.expedited_reason,
            "kind": draft.kind,
            "diagnoses": list(draft.diagnoses),
            "notes": draft.notes,
            "attachment_ids": attachment_ids,
            "lines": [
                {
                    "hcpcs": ln.hcpcs,
                    "modifiers": list(ln.modifiers),
                    "quantity": ln.quantity,
                    "unit": ln.unit,
                    "frequency": ln.frequency,
                    "start_date": ln.start,
                    "end_date": ln.end,
                    "acquisition": ln.acquisition,
                    "brand": ln.brand,
                    "manufacturer": ln.manufacturer,
                    "brand_reason": ln.brand_reason,
                }
                for ln in draft.lines
            ],
        }
    )


async def _submit(state: _Replay, planned: PlannedRequest, step: Step) -> None:
    uploaded_at = step.at - timedelta(minutes=10)
    ids = [
        (await _upload(state, planned, doc, at=uploaded_at, request_id=None)).id
        for doc in step.documents
    ]
    request = await submissions_service.submit(
        state.session,
        principal=state.principals[step.actor],
        body=_body(planned, ids),
        now=step.at,
        default_at_risk_fraction=SlaSettings().at_risk_fraction,
    )
    state.requests[planned.number] = request
    if request.status.is_open:
        state.watch(request, planned.closes_at)


def _open(state: _Replay, planned: PlannedRequest, *wanted: RequestStatus) -> bool:
    """Whether the step still applies; counts it as moot otherwise."""
    request = state.requests[planned.number]
    applies = request.status in (wanted or (RequestStatus.IN_REVIEW, RequestStatus.PENDED))
    if not applies:
        state.result.moot += 1
    return applies


async def _claim(state: _Replay, planned: PlannedRequest, step: Step) -> None:
    if _open(state, planned):
        await review_service.claim(
            state.session,
            principal=state.principals[step.actor],
            request_id=state.requests[planned.number].id,
            now=step.at,
        )


async def _ask(state: _Replay, planned: PlannedRequest, step: Step) -> None:
    if not _open(state, planned, RequestStatus.IN_REVIEW):
        return
    request = state.requests[planned.number]
    await review_service.request_information(
        state.session,
        principal=state.principals[step.actor],
        request_id=request.id,
        body=InformationRequestCreate.model_validate(
            {"message": step.text, "documents_requested": list(step.documents)}
        ),
        if_match=submissions_service.etag_of(request),
        now=step.at,
    )


async def _attach(state: _Replay, planned: PlannedRequest, step: Step) -> list[uuid.UUID]:
    ids = []
    for document in step.documents:
        request = state.requests[planned.number]
        if not request.status.is_open:
            break
        found = await _upload(state, planned, document, at=step.at, request_id=request.id)
        ids.append(found.id)
    return ids


async def _attach_step(state: _Replay, planned: PlannedRequest, step: Step) -> None:
    if _open(state, planned):
        await _attach(state, planned, step)


async def _respond(state: _Replay, planned: PlannedRequest, step: Step) -> None:
    if not _open(state, planned, RequestStatus.PENDED):
        return
    ids = await _attach(state, planned, step)
    # The documents may have completed what the rules wait for: then nothing is left to answer.
    if not _open(state, planned, RequestStatus.PENDED):
        return
    request = state.requests[planned.number]
    await review_service.respond(
        state.session,
        principal=state.principals[step.actor],
        request_id=request.id,
        body=InformationResponseCreate.model_validate(
            {"message": step.text, "attachment_ids": ids}
        ),
        now=step.at,
    )
    if request.pauses_while_pended:
        state.watch(request, planned.closes_at)  # the stopped clock moved the deadline


async def _downgrade(state: _Replay, planned: PlannedRequest, step: Step) -> None:
    request = state.requests[planned.number]
    if not _open(state, planned) or request.urgency is not Urgency.EXPEDITED:
        return
    await review_service.downgrade(
        state.session,
        principal=state.principals[step.actor],
        request_id=request.id,
        reason=step.text or "",
        if_match=submissions_service.etag_of(request),
        now=step.at,
    )
    state.watch(request, planned.closes_at)


async def _decide(state: _Replay, planned: PlannedRequest, step: Step) -> None:
    if not _open(state, planned):
        return
    request = state.requests[planned.number]
    open_lines = {ln.line_number for ln in request.lines if ln.outcome is None}
    lines = [
        {
            "line_number": v.line_number,
            "outcome": v.outcome,
            "quantity": v.quantity,
            "end_date": v.end,
            "reason_code": v.reason_code,
            "reason": v.reason,
        }
        for v in step.verdicts
        if v.line_number in open_lines
    ]
    await review_service.decide(
        state.session,
        principal=state.principals[step.actor],
        request_id=request.id,
        body=DecisionCreate.model_validate({"lines": lines, "note": step.text}),
        if_match=submissions_service.etag_of(request),
        now=step.at,
    )


async def _cancel(state: _Replay, planned: PlannedRequest, step: Step) -> None:
    if _open(state, planned):
        await submissions_service.cancel(
            state.session,
            principal=state.principals[step.actor],
            request_id=state.requests[planned.number].id,
            if_match="*",
            reason=step.text,
            now=step.at,
        )


_STEPS: dict[StepKind, Callable[[_Replay, PlannedRequest, Step], Awaitable[None]]] = {
    StepKind.SUBMIT: _submit,
    StepKind.CLAIM: _claim,
    StepKind.ASK: _ask,
    StepKind.ATTACH: _attach_step,
    StepKind.RESPOND: _respond,
    StepKind.DOWNGRADE: _downgrade,
    StepKind.DECIDE: _decide,
    StepKind.CANCEL: _cancel,
}
