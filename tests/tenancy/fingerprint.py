"""What a refused change must leave as it was: tenant 1's rows, their versions and counts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from dme_portal.authorizations.models import Authorization
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.members.models import Enrollment
from dme_portal.reconsiderations.models import Reconsideration
from dme_portal.rulesets.models import CsagAssignment, RulesetDraft, RulesetVersion
from dme_portal.submissions.models import AuthorizationRequest, InformationRequest, RequestEvent
from tenancy.world import Tenant1


async def fingerprint(db: Database, one: Tenant1) -> dict[str, Any]:
    """What a refused change must leave as it was: tenant 1's rows, their versions and counts."""
    w = one.world
    async with unit_of_work(db) as s:
        requests = (
            await s.execute(
                select(
                    AuthorizationRequest.id,
                    AuthorizationRequest.status,
                    AuthorizationRequest.version,
                    AuthorizationRequest.assigned_to,
                    AuthorizationRequest.urgency,
                ).where(AuthorizationRequest.member_id == w.member.id)
            )
        ).all()
        counts = {}
        for name, stmt in {
            "events": select(func.count())
            .select_from(RequestEvent)
            .join(AuthorizationRequest, AuthorizationRequest.id == RequestEvent.request_id)
            .where(AuthorizationRequest.member_id == w.member.id),
            "information": select(func.count())
            .select_from(InformationRequest)
            .join(AuthorizationRequest, AuthorizationRequest.id == InformationRequest.request_id)
            .where(AuthorizationRequest.member_id == w.member.id),
            "enrollments": select(func.count())
            .select_from(Enrollment)
            .where(Enrollment.member_id == w.member.id),
            "assignments": select(func.count())
            .select_from(CsagAssignment)
            .where(CsagAssignment.member_id == w.member.id),
            "versions": select(func.count())
            .select_from(RulesetVersion)
            .where(RulesetVersion.network_id == w.network_a.id),
        }.items():
            counts[name] = await s.scalar(stmt)
        auths = (
            await s.execute(
                select(Authorization.id, Authorization.state, Authorization.superseded_by_id)
                .where(Authorization.member_id == w.member.id)
                .order_by(Authorization.id)
            )
        ).all()
        recons = (
            await s.execute(
                select(Reconsideration.id, Reconsideration.status, Reconsideration.version).where(
                    Reconsideration.request_id == uuid.UUID(one.denied_id)
                )
            )
        ).all()
        draft = await s.scalar(
            select(RulesetDraft.revision).where(RulesetDraft.network_id == w.network_a.id)
        )
        assignment = (
            await s.execute(
                select(CsagAssignment.effective_to, CsagAssignment.ended_at).where(
                    CsagAssignment.id == uuid.UUID(one.assignment_id)
                )
            )
        ).one()
    return {
        "requests": sorted(map(tuple, requests), key=str),
        "counts": counts,
        "authorizations": [tuple(a) for a in auths],
        "reconsiderations": [tuple(r) for r in recons],
        "draft": draft,
        "assignment": tuple(assignment),
    }
