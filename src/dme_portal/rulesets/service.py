"""Ruleset use cases: read, draft, validate, publish, versions, diff; CSAG assignments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.errors import (
    Forbidden,
    InvalidInput,
    PreconditionFailed,
    PreconditionRequired,
    etag_matches,
    field_path,
)
from dme_portal.members.models import Member
from dme_portal.networks.models import HealthPlan, Network
from dme_portal.rules.compile import CompiledRuleSet
from dme_portal.rules.evaluate import Evaluation, evaluate
from dme_portal.rules.facts import LineFacts, RequestFacts
from dme_portal.rules.ruleset import DocumentType, RuleSet, SlaPolicy, consistency_problems
from dme_portal.rules.sla_limits import sla_problems
from dme_portal.rulesets import registry, repository
from dme_portal.rulesets.diff import diff as diff_documents
from dme_portal.rulesets.exceptions import (
    AssignmentEnded,
    AssignmentNotFound,
    ConcurrentChange,
    DraftInvalid,
    DraftPreconditionRequired,
    NetworkNotFound,
    RulesetNotFound,
)
from dme_portal.rulesets.models import CsagAssignment, NetworkEvent, RulesetDraft, RulesetVersion
from dme_portal.rulesets.schemas import CsagAssignmentCreate, ValidationIssue


async def visible_network(
    session: AsyncSession, principal: Principal, network_id: uuid.UUID
) -> Network:
    """The network, if the principal works for it or for its plan (404 otherwise)."""
    network = await session.get(Network, network_id)
    if network is None:
        raise NetworkNotFound()
    if principal.org_kind is OrgKind.NETWORK and principal.org_id == network.id:
        return network
    if principal.org_kind is OrgKind.PLAN and principal.org_id == network.plan_id:
        return network
    raise NetworkNotFound()


async def administered_network(
    session: AsyncSession, principal: Principal, network_id: uuid.UUID
) -> Network:
    """The network, if the principal is its network admin."""
    network = await visible_network(session, principal, network_id)
    if principal.role is not Role.NETWORK_ADMIN:
        raise Forbidden("Only the network's admin may change its rules and assignments.")
    return network


def _event(
    network_id: uuid.UUID, principal: Principal, kind: str, now: datetime, **data: Any
) -> NetworkEvent:
    return NetworkEvent(
        network_id=network_id,
        occurred_at=now,
        kind=kind,
        actor_id=principal.subject,
        actor_role=principal.role.value,
        data=data,
    )


async def current(
    session: AsyncSession, *, principal: Principal, network_id: uuid.UUID
) -> RulesetVersion:
    """The published version in force."""
    network = await visible_network(session, principal, network_id)
    found = await repository.current_version(session, network.id)
    if found is None:
        raise RulesetNotFound("This network has not published a ruleset yet.")
    return found


async def version(
    session: AsyncSession, *, principal: Principal, network_id: uuid.UUID, number: int
) -> RulesetVersion:
    network = await visible_network(session, principal, network_id)
    found = await repository.get_version(session, network.id, number)
    if found is None:
        raise RulesetNotFound()
    return found


async def versions(
    session: AsyncSession, *, principal: Principal, network_id: uuid.UUID
) -> list[RulesetVersion]:
    network = await visible_network(session, principal, network_id)
    return await repository.list_versions(session, network.id)


async def draft(
    session: AsyncSession, *, principal: Principal, network_id: uuid.UUID
) -> RulesetDraft:
    network = await visible_network(session, principal, network_id)
    found = await repository.get_draft(session, network.id)
    if found is None:
        raise RulesetNotFound("There is no draft; save one first.")
    return found


async def save_draft(
    session: AsyncSession,
    *,
    principal: Principal,
    network_id: uuid.UUID,
    document: dict[str, Any],
    if_match: str | None,
    if_none_match: str | None = None,
    now: datetime,
) -> RulesetDraft:
    """Create or replace the draft (kept even if not yet valid).

    Replacing needs ``If-Match`` with the draft's ETag; the first save, when there is no draft
    yet, needs ``If-None-Match: *`` (RFC 9110 13.1.2) so that it cannot overwrite a draft
    someone else saved meanwhile.
    """
    network = await administered_network(session, principal, network_id)
    if if_match is None and if_none_match is None:
        raise DraftPreconditionRequired(
            'Send If-Match with the draft\'s ETag (e.g. "d3") to replace it, or '
            "If-None-Match: * to save the first draft."
        )
    found = await repository.get_draft(session, network.id)
    if found is None:
        if if_none_match is None or if_none_match.strip() != "*":
            raise PreconditionFailed(
                "There is no draft yet: send If-None-Match: * to save the first one."
            )
        found = RulesetDraft(
            network_id=network.id, document=document, updated_at=now, updated_by=principal.subject
        )
        session.add(found)
    else:
        etag = f'"d{found.revision}"'
        if if_match is None or not etag_matches(if_match, etag):
            raise PreconditionFailed(f"The draft is now at {etag}: read it and send If-Match.")
        found.document = document
        found.updated_at = now
        found.updated_by = principal.subject
    session.add(_event(network.id, principal, "ruleset_draft_saved", now))
    try:
        await session.flush()
    except (IntegrityError, StaleDataError) as exc:
        # Two saves passed their checks at once; the other one won. The draft is now the
        # other admin's: read it again before saving.
        raise ConcurrentChange(
            "Another save of this draft happened at the same time and won; nothing was "
            "saved. Read the draft again (GET .../ruleset/draft) and retry with its ETag."
        ) from exc
    return found


def _shape_issues(exc: ValidationError) -> list[ValidationIssue]:
    return [
        ValidationIssue(
            field=field_path(list(e["loc"])) or "document",
            message=str(e["msg"]).removeprefix("Value error, "),
        )
        for e in exc.errors()
    ]


def _sla_section_problems(
    document: dict[str, Any], *, hsc_1367_01_applies: bool
) -> list[tuple[str, str]]:
    """The legal limits of the SLA section alone, when the rest of the document is malformed."""
    try:
        sla = SlaPolicy.model_validate(document.get("sla", {}))
    except ValidationError:
        return []  # already reported with the shape errors
    return sla_problems(sla, hsc_1367_01_applies=hsc_1367_01_applies)


def validate_document(
    document: dict[str, Any], *, hsc_1367_01_applies: bool
) -> list[ValidationIssue]:
    """Every problem of a draft, each with its field path; empty when valid.

    ``hsc_1367_01_applies``: whether California HSC 1367.01 binds the network's plan.
    """
    try:
        shaped = RuleSet.model_validate(document, context={"shape_only": True})
    except ValidationError as exc:
        legal = _sla_section_problems(document, hsc_1367_01_applies=hsc_1367_01_applies)
        return _shape_issues(exc) + [ValidationIssue(field=f, message=m) for f, m in legal]
    problems = consistency_problems(shaped) + sla_problems(
        shaped.sla, hsc_1367_01_applies=hsc_1367_01_applies
    )
    return [ValidationIssue(field=f, message=m) for f, m in problems]


async def _hsc_1367_01_applies(session: AsyncSession, network: Network) -> bool:
    plan = await session.get_one(HealthPlan, network.plan_id)
    return plan.hsc_1367_01_applies


async def validate_draft(
    session: AsyncSession, *, principal: Principal, network_id: uuid.UUID
) -> list[ValidationIssue]:
    network = await visible_network(session, principal, network_id)
    found = await repository.get_draft(session, network.id)
    if found is None:
        raise RulesetNotFound("There is no draft; save one first.")
    return validate_document(
        found.document, hsc_1367_01_applies=await _hsc_1367_01_applies(session, network)
    )


async def publish(
    session: AsyncSession,
    *,
    principal: Principal,
    network_id: uuid.UUID,
    if_match: str | None,
    now: datetime,
) -> RulesetVersion:
    """Publish the draft as a new immutable version; earlier versions stay readable.

    ``if_match`` must name the draft as the admin last read it, so that what is published is
    what was reviewed, not a save made in between.
    """
    network = await administered_network(session, principal, network_id)
    if if_match is None:
        raise PreconditionRequired(
            'Send If-Match with the ETag of the draft you mean to publish (e.g. "d3").'
        )
    found = await repository.get_draft(session, network.id)
    if found is None:
        raise RulesetNotFound("There is no draft to publish.")
    if not etag_matches(if_match, f'"d{found.revision}"'):
        raise PreconditionFailed(f'The draft is now at "d{found.revision}": read it again.')
    issues = validate_document(
        found.document, hsc_1367_01_applies=await _hsc_1367_01_applies(session, network)
    )
    if issues:
        raise DraftInvalid(
            f"{len(issues)} problem(s): fix the draft and publish again.",
            errors=[{"field": i.field, "message": i.message, "code": None} for i in issues],
        )
    document = RuleSet.model_validate(found.document).model_dump(mode="json")
    number = await repository.next_version_number(session, network.id)
    published = RulesetVersion(
        network_id=network.id,
        version=number,
        document=document,
        published_at=now,
        published_by=principal.subject,
    )
    session.add(published)
    session.add(_event(network.id, principal, "ruleset_published", now, version=number))
    try:
        await session.flush()
    except IntegrityError as exc:
        # Another publish took the same version number (unique network_id, version) first.
        raise ConcurrentChange(
            f"Another publish of this network's rules took version {number} at the same time; "
            "nothing was published. Read the versions and the draft again, then retry."
        ) from exc
    return published


async def diff(
    session: AsyncSession,
    *,
    principal: Principal,
    network_id: uuid.UUID,
    from_version: int,
    to_version: int,
) -> list[tuple[str, Any, Any]]:
    a = await version(session, principal=principal, network_id=network_id, number=from_version)
    b = await version(session, principal=principal, network_id=network_id, number=to_version)
    return diff_documents(a.document, b.document)


async def evaluate_request(
    session: AsyncSession,
    *,
    network_id: uuid.UUID,
    member_id: uuid.UUID,
    on: date,
    diagnoses: tuple[str, ...],
    lines: tuple[LineFacts, ...],
    documents: frozenset[DocumentType] = frozenset(),
    version: int | None = None,
) -> tuple[CompiledRuleSet | None, Evaluation | None]:
    """Run the network's ruleset (current, or the given version) on a request.

    None when the network has none. ``documents`` are the document types on file.
    """
    found = (
        await repository.current_version(session, network_id)
        if version is None
        else await repository.get_version(session, network_id, version)
    )
    if found is None:
        return None, None
    rules = registry.compiled(network_id, found.version, found.document)
    assigned = await repository.active_csags(session, network_id, member_id, on)
    facts = RequestFacts(
        diagnoses=diagnoses, lines=lines, csag_assignments=assigned, documents=documents
    )
    return rules, evaluate(facts, rules)


async def assign(
    session: AsyncSession,
    *,
    principal: Principal,
    network_id: uuid.UUID,
    body: CsagAssignmentCreate,
    now: datetime,
) -> tuple[CsagAssignment, Member]:
    """Assign a member to one of the network's CSAGs."""
    network = await administered_network(session, principal, network_id)
    if body.effective_to is not None and body.effective_to < body.effective_from:
        raise InvalidInput("effective_to", "must not be before effective_from")
    member = (
        await session.execute(select(Member).where(Member.cin == body.member_cin))
    ).scalar_one_or_none()
    if member is None or not await repository.enrolled_in(
        session, member.id, network.id, body.effective_from
    ):
        # One answer for an unknown CIN and another network's member: it says neither that
        # the child exists nor where it is enrolled (issue 21: a CIN alone reveals nothing).
        raise InvalidInput(
            "member_cin",
            "the member is not enrolled in this network on effective_from",
            code="not_enrolled",
        )
    published = await repository.current_version(session, network.id)
    csag_ids = {c["id"] for c in (published.document.get("csags", []) if published else [])}
    if body.csag_id not in csag_ids:
        raise InvalidInput(
            "csag_id", "is not a CSAG in the network's published ruleset", code="unknown_csag"
        )
    assignment = CsagAssignment(
        network_id=network.id,
        member_id=member.id,
        csag_id=body.csag_id,
        effective_from=body.effective_from,
        effective_to=body.effective_to,
        assigned_at=now,
        assigned_by=principal.subject,
    )
    session.add(assignment)
    await session.flush()
    session.add(
        _event(
            network.id,
            principal,
            "csag_assigned",
            now,
            assignment_id=str(assignment.id),
            csag_id=body.csag_id,
        )
    )
    return assignment, member


async def end_assignment(
    session: AsyncSession,
    *,
    principal: Principal,
    network_id: uuid.UUID,
    assignment_id: uuid.UUID,
    effective_to: date,
    now: datetime,
) -> tuple[CsagAssignment, Member]:
    network = await administered_network(session, principal, network_id)
    assignment = await session.get(CsagAssignment, assignment_id)
    if assignment is None or assignment.network_id != network.id:
        raise AssignmentNotFound()
    if assignment.ended_at is not None:
        raise AssignmentEnded()
    if effective_to < assignment.effective_from:
        raise InvalidInput("effective_to", "must not be before the assignment's effective_from")
    assignment.effective_to = effective_to
    assignment.ended_at = now
    assignment.ended_by = principal.subject
    session.add(
        _event(
            network.id,
            principal,
            "csag_assignment_ended",
            now,
            assignment_id=str(assignment.id),
            effective_to=effective_to.isoformat(),
        )
    )
    member = await session.get_one(Member, assignment.member_id)
    await session.flush()
    return assignment, member


async def list_assignments(
    session: AsyncSession,
    *,
    principal: Principal,
    network_id: uuid.UUID,
    member_cin: str | None,
    csag_id: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[CsagAssignment, Member]]:
    network = await visible_network(session, principal, network_id)
    stmt = (
        select(CsagAssignment, Member)
        .join(Member, Member.id == CsagAssignment.member_id)
        .where(CsagAssignment.network_id == network.id)
    )
    if member_cin is not None:
        stmt = stmt.where(Member.cin == member_cin)
    if csag_id is not None:
        stmt = stmt.where(CsagAssignment.csag_id == csag_id)
    if after is not None:
        at, last = after
        stmt = stmt.where(
            or_(
                CsagAssignment.assigned_at < at,
                and_(CsagAssignment.assigned_at == at, CsagAssignment.id < last),
            )
        )
    stmt = stmt.order_by(CsagAssignment.assigned_at.desc(), CsagAssignment.id.desc()).limit(limit)
    return [(a, m) for a, m in (await session.execute(stmt)).all()]
