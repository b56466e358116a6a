"""Coverage check: the submission's evaluation for a draft request, stored nowhere."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.rules.evaluate import RuleOutcome
from dme_portal.rulesets.schemas import CoverageCheckResult, CoverageLine, ReasonRead, TraceRead
from dme_portal.submissions import service as submission_service
from dme_portal.submissions.schemas import AuthorizationRequestCreate, NetworkRef


async def check(
    session: AsyncSession, *, principal: Principal, body: AuthorizationRequestCreate, now: datetime
) -> CoverageCheckResult:
    """Does each line need authorization here, what documents, would it be approved now?"""
    routed = await submission_service.route(session, principal=principal, body=body, now=now)
    lines: list[CoverageLine] = []
    results = routed.evaluation.lines if routed.evaluation else None
    for i, (line, status) in enumerate(zip(body.lines, routed.contract_statuses, strict=True)):
        result = results[i] if results else None
        if result is None:
            lines.append(
                CoverageLine(
                    line_number=i + 1,
                    hcpcs=line.hcpcs,
                    authorization_required=True,
                    would_be_approved=False,
                    outcome=RuleOutcome.NEEDS_REVIEW,
                    decided_by=None,
                    documents_required=[],
                    documents_missing=[],
                    reasons=[
                        ReasonRead(
                            code="no_ruleset",
                            message=f"{routed.network.name} has not published rules in the "
                            "hub; a reviewer decides every item.",
                        )
                    ],
                    trace=[],
                    authorized_start=None,
                    authorized_end=None,
                    contract_status=status.value,
                )
            )
            continue
        lines.append(
            CoverageLine(
                line_number=result.line_number,
                hcpcs=line.hcpcs,
                authorization_required=result.outcome is not RuleOutcome.NOT_REQUIRED,
                would_be_approved=result.outcome is RuleOutcome.APPROVED,
                outcome=result.outcome,
                decided_by=result.decided_by,
                documents_required=list(result.documents_required),
                documents_missing=list(result.documents_missing),
                reasons=[ReasonRead(code=r.code, message=r.message) for r in result.reasons],
                trace=[
                    TraceRead(rule=t.rule, passed=t.passed, message=t.message) for t in result.trace
                ],
                authorized_start=result.authorized_start,
                authorized_end=result.authorized_end,
                contract_status=status.value,
            )
        )
    network = routed.network
    return CoverageCheckResult(
        network=NetworkRef(id=network.id, code=network.code, name=network.name),
        ruleset_version=routed.rules.version if routed.rules else None,
        lines=lines,
    )
