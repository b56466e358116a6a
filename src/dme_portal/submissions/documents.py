"""Documents arriving on an open request: the rules run again, with no person (DESIGN §5).

A line that a CSAG would approve but for documents the ruleset asks for waits on the vendor
(rule outcome ``awaiting_documents``). When an attachment completes them, the recorded ruleset
version is evaluated again and the lines it now approves get their authorization at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.authorizations import service as authorization_service
from dme_portal.rules.facts import LineFacts
from dme_portal.rulesets import service as rulesets_service
from dme_portal.sla import service as sla_service
from dme_portal.submissions import changes, events
from dme_portal.submissions import service as submission_service
from dme_portal.submissions.models import (
    ActorType,
    AuthorizationRequest,
    LineOutcome,
    RequestLine,
    RequestStatus,
)
from dme_portal.vendors.models import ContractStatus

if TYPE_CHECKING:
    from dme_portal.attachments.models import Attachment


def line_facts(line: RequestLine) -> LineFacts:
    """The facts of a stored line, as they were at submission."""
    return LineFacts(
        line_number=line.line_number,
        hcpcs=line.hcpcs,
        category=submission_service.category_of(line.hcpcs),
        modifiers=tuple(line.modifiers),
        quantity=line.quantity,
        frequency=line.frequency,
        start_date=line.start_date,
        end_date=line.end_date,
        in_network=line.contract_status is ContractStatus.IN_NETWORK,
        brand=line.brand,
        brand_reason=line.brand_reason,
    )


async def documents_arrived(
    session: AsyncSession,
    request: AuthorizationRequest,
    *,
    attachment: Attachment,
    now: datetime,
) -> None:
    """Re-run the rules on lines waiting only for documents; approve what they now approve."""
    from dme_portal.attachments.repository import document_types_for

    # Every open line the rules looked at: the ones waiting only for documents may now be
    # approved, and the others' record of missing documents stays current.
    waiting = [ln for ln in request.lines if ln.outcome is None and ln.rule_outcome is not None]
    on_file = await document_types_for(session, request.id)
    if waiting and request.ruleset_version is not None:
        _, evaluation = await rulesets_service.evaluate_request(
            session,
            network_id=request.network_id,
            member_id=request.member_id,
            on=min(ln.start_date for ln in request.lines),
            diagnoses=tuple(d.code for d in request.diagnoses),
            lines=tuple(line_facts(ln) for ln in waiting),
            documents=on_file,
            version=request.ruleset_version,
        )
        if evaluation is not None:
            by_number = {ln.line_number: ln for ln in waiting}
            approved = []
            for result in evaluation.lines:
                line = by_number[result.line_number]
                submission_service.apply_rules(line, result, request.network)
                if line.outcome is not None:
                    approved.append(line)
            if approved:
                await _record_approval(session, request, approved, attachment, now)
    on_file_values = frozenset(d.value for d in on_file)
    text = submission_service.describe_waiting(request, documents_on_file=on_file_values)
    if text != request.waiting_on:
        request.waiting_on = text
        request.updated_at = now
    await session.flush()
    await authorization_service.sync_from_lines(
        session, request=request, now=now, issued_by=ActorType.RULES.value
    )


async def _record_approval(
    session: AsyncSession,
    request: AuthorizationRequest,
    approved: list[RequestLine],
    attachment: Attachment,
    now: datetime,
) -> None:
    previous = request.status
    request.updated_at = now
    decided = all(ln.outcome is not None for ln in request.lines)
    if decided:
        outcomes = {ln.outcome for ln in request.lines}
        request.status = RequestStatus.APPROVED
        assert outcomes <= {LineOutcome.APPROVED, LineOutcome.NOT_REQUIRED}
        request.decided_at = now
        request.decided_by = "rules"
        await sla_service.close(session, request, now)
    await events.record_rules(
        session,
        request,
        "decided" if decided else "rules_approved",
        now,
        from_status=previous,
        reason=(
            f"The {attachment.document_type.value.replace('_', ' ')} completed the documents "
            f"that ruleset v{request.ruleset_version} asks for."
        ),
        data={
            "ruleset_version": request.ruleset_version,
            "trigger": "documents_received",
            "attachment_id": str(attachment.id),
            "document_type": attachment.document_type.value,
            "lines": [
                {
                    "line_number": ln.line_number,
                    "outcome": ln.rule_outcome,
                    "decided_by": ln.rule_decided_by,
                    "authorization_number": ln.authorization_number,
                }
                for ln in approved
            ],
        },
    )
    await changes.record(session, request, "decided" if decided else "rules_approved", now)
