"""Network rulesets and CSAG assignments (network admins change; network staff and plan read)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from dme_portal.api.access import THROTTLE_RESPONSES, AccessLogDep
from dme_portal.api.deps import Authenticator, ClockDep, SessionDep, require_json
from dme_portal.api.idempotent import REQUIRES_IF_MATCH
from dme_portal.api.network_ref import NetworkInPath
from dme_portal.api.pagination import decode_cursor, encode_cursor
from dme_portal.api.params import PageCursor, PageLimit
from dme_portal.api.problem import problem_responses
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.members.models import Member
from dme_portal.rules.ruleset import RuleSet
from dme_portal.rulesets import service as ruleset_service
from dme_portal.rulesets.models import CsagAssignment, RulesetDraft, RulesetVersion
from dme_portal.rulesets.schemas import (
    CsagAssignmentCreate,
    CsagAssignmentEnd,
    CsagAssignmentPage,
    CsagAssignmentRead,
    DiffEntry,
    DraftRead,
    DraftValidation,
    DraftWrite,
    RulesetDiff,
    RulesetVersionList,
    RulesetVersionRead,
    RulesetVersionSummary,
)

router = APIRouter(prefix="/networks/{network_id}", tags=["network rules"])

_READERS = {
    Role.REVIEWER,
    Role.MEDICAL_DIRECTOR,
    Role.NETWORK_CLIENT,
    Role.NETWORK_ADMIN,
    Role.CARE_COORDINATOR,
    Role.PLAN_ADMIN,
}
Reader = Annotated[Principal, Depends(Authenticator(roles=_READERS))]
# A CSAG assignment tells a member's condition: not for care coordinators (status only).
AssignmentReader = Annotated[
    Principal, Depends(Authenticator(roles=_READERS - {Role.CARE_COORDINATOR}))
]
Admin = Annotated[Principal, Depends(Authenticator(roles={Role.NETWORK_ADMIN}))]
NetworkId = NetworkInPath
_READ_ERRORS = problem_responses(401, 403, 404, 422)
_WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 415, 422)
_GUARDED_WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 415, 422, 428)
_DRAFT_ETAG: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "ETag": {
                "description": 'The draft\'s revision, `"d<revision>"`: send it as `If-Match` '
                "when saving.",
                "schema": {"type": "string"},
            }
        }
    }
}


def _version(v: RulesetVersion) -> RulesetVersionRead:
    return RulesetVersionRead(
        network_id=v.network_id,
        version=v.version,
        published_at=v.published_at,
        published_by=v.published_by,
        document=RuleSet.model_validate(v.document),
    )


def _draft(d: RulesetDraft, response: Response) -> DraftRead:
    response.headers["ETag"] = f'"d{d.revision}"'
    return DraftRead(
        network_id=d.network_id,
        document=d.document,
        updated_at=d.updated_at,
        updated_by=d.updated_by,
        revision=d.revision,
    )


def _assignment(a: CsagAssignment, m: Member) -> CsagAssignmentRead:
    return CsagAssignmentRead(
        id=a.id,
        network_id=a.network_id,
        member_cin=m.cin,
        csag_id=a.csag_id,
        effective_from=a.effective_from,
        effective_to=a.effective_to,
        assigned_at=a.assigned_at,
        assigned_by=a.assigned_by,
        ended_at=a.ended_at,
        ended_by=a.ended_by,
    )


@router.get(
    "/ruleset",
    operation_id="getCurrentRuleset",
    response_model=RulesetVersionRead,
    responses=_READ_ERRORS,
    summary="The ruleset version in force",
)
async def current_ruleset(
    network_id: NetworkId, principal: Reader, session: SessionDep
) -> RulesetVersionRead:
    """The version the network's requests are evaluated with now. Network staff and the plan read
    rulesets; vendors see what the rules mean for them through coverage checks."""
    return _version(
        await ruleset_service.current(session, principal=principal, network_id=network_id)
    )


@router.get(
    "/ruleset/versions",
    operation_id="listRulesetVersions",
    response_model=RulesetVersionList,
    responses=_READ_ERRORS,
    summary="Published versions, newest first",
)
async def list_versions(
    network_id: NetworkId, principal: Reader, session: SessionDep
) -> RulesetVersionList:
    """Every version the network has published; each stays readable for audit."""
    rows = await ruleset_service.versions(session, principal=principal, network_id=network_id)
    return RulesetVersionList(
        items=[
            RulesetVersionSummary(
                version=v.version, published_at=v.published_at, published_by=v.published_by
            )
            for v in rows
        ]
    )


@router.get(
    "/ruleset/versions/{version}",
    operation_id="getRulesetVersion",
    response_model=RulesetVersionRead,
    responses=_READ_ERRORS,
    summary="One published version",
)
async def get_version(
    network_id: NetworkId,
    version: Annotated[int, Path(ge=1, le=1_000_000, description="The version number.")],
    principal: Reader,
    session: SessionDep,
) -> RulesetVersionRead:
    """A published version with its document, as requests evaluated with it saw it."""
    found = await ruleset_service.version(
        session, principal=principal, network_id=network_id, number=version
    )
    return _version(found)


@router.get(
    "/ruleset/diff",
    operation_id="diffRulesetVersions",
    response_model=RulesetDiff,
    responses=_READ_ERRORS,
    summary="What changed between two versions",
)
async def diff_versions(
    network_id: NetworkId,
    principal: Reader,
    session: SessionDep,
    from_version: Annotated[
        int, Query(alias="from", ge=1, le=1_000_000, description="The older version.")
    ],
    to_version: Annotated[
        int, Query(alias="to", ge=1, le=1_000_000, description="The newer version.")
    ],
) -> RulesetDiff:
    """Each value added, removed or changed from version `from` to version `to`."""
    changes = await ruleset_service.diff(
        session,
        principal=principal,
        network_id=network_id,
        from_version=from_version,
        to_version=to_version,
    )
    return RulesetDiff(
        from_version=from_version,
        to_version=to_version,
        changes=[DiffEntry(path=p, before=b, after=a) for p, b, a in changes],
    )


@router.get(
    "/ruleset/draft",
    operation_id="getRulesetDraft",
    response_model=DraftRead,
    responses={**_DRAFT_ETAG, **_READ_ERRORS},
    summary="The draft being edited",
)
async def get_draft(
    network_id: NetworkId, principal: Reader, session: SessionDep, response: Response
) -> DraftRead:
    """The network's draft ruleset, as last saved (404 before the first save). Its ETag goes in
    `If-Match` when saving."""
    found = await ruleset_service.draft(session, principal=principal, network_id=network_id)
    return _draft(found, response)


@router.put(
    "/ruleset/draft",
    operation_id="saveRulesetDraft",
    response_model=DraftRead,
    responses={**_DRAFT_ETAG, **_GUARDED_WRITE_ERRORS},
    dependencies=[Depends(require_json)],
    summary="Save the draft",
)
async def save_draft(
    network_id: NetworkId,
    body: DraftWrite,
    principal: Admin,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=100,
            description='To replace the draft: its ETag as you last read it (e.g. `"d4"`); '
            "412 when someone saved it since, and nothing changes.",
        ),
    ] = None,
    if_none_match: Annotated[
        str | None,
        Header(
            alias="If-None-Match",
            max_length=100,
            description="To save the first draft, when there is none yet: `*` (RFC 9110 "
            "13.1.2); 412 if someone saved one meanwhile.",
        ),
    ] = None,
) -> DraftRead:
    """Network admins only. The draft is kept as given, even when not valid yet; `validate` lists
    its problems and `publish` refuses it until there are none.

    Every save is conditional: `If-Match` with the draft's ETag replaces it, `If-None-Match: *`
    saves the first one; with neither, 428. Two saves at the same moment: one wins, the other
    gets 412 or 409 `ruleset.concurrent_change` (read the draft again and retry)."""
    saved = await ruleset_service.save_draft(
        session,
        principal=principal,
        network_id=network_id,
        document=body.document,
        if_match=if_match,
        if_none_match=if_none_match,
        now=clock.now(),
    )
    return _draft(saved, response)


@router.post(
    "/ruleset/draft/validate",
    operation_id="validateRulesetDraft",
    response_model=DraftValidation,
    responses=_READ_ERRORS,
    summary="Check the draft; lists every problem with its field",
)
async def validate_draft(
    network_id: NetworkId, principal: Admin, session: SessionDep
) -> DraftValidation:
    """Network admins only. Every problem that would stop publishing, each with its field,
    including SLA hours over the legal limits (42 CFR 438.210(d), California HSC 1367.01)."""
    issues = await ruleset_service.validate_draft(
        session, principal=principal, network_id=network_id
    )
    return DraftValidation(valid=not issues, errors=issues)


@router.post(
    "/ruleset/publish",
    operation_id="publishRuleset",
    status_code=201,
    response_model=RulesetVersionRead,
    responses=_GUARDED_WRITE_ERRORS,
    openapi_extra=REQUIRES_IF_MATCH,
    summary="Publish the draft as a new version",
)
async def publish(
    network_id: NetworkId,
    principal: Admin,
    session: SessionDep,
    clock: ClockDep,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=100,
            description='Required. The ETag of the draft you reviewed (e.g. `"d4"`): 428 '
            "without it, 412 when the draft was saved since.",
        ),
    ] = None,
) -> RulesetVersionRead:
    """Network admins only. The draft named by `If-Match` becomes the next immutable version and
    applies to requests submitted from now on; a draft that is not valid is a 409 listing its
    problems. Two publishes at the same moment: one wins, the other gets 409
    `ruleset.concurrent_change` (retry after reading the versions)."""
    published = await ruleset_service.publish(
        session, principal=principal, network_id=network_id, if_match=if_match, now=clock.now()
    )
    return _version(published)


@router.get(
    "/csag-assignments",
    operation_id="listCsagAssignments",
    response_model=CsagAssignmentPage,
    responses={**_READ_ERRORS, **THROTTLE_RESPONSES},
    summary="Members assigned to the network's CSAGs",
)
async def list_assignments(
    network_id: NetworkId,
    principal: AssignmentReader,
    session: SessionDep,
    access: AccessLogDep,
    member_cin: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{8}[A-Z]$",
            description="Only this member's assignments: a member look-up, logged and counted "
            "against your limit (429 with `Retry-After` past it).",
        ),
    ] = None,
    csag_id: Annotated[
        str | None,
        Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Only this CSAG's assignments."),
    ] = None,
    cursor: PageCursor = None,
    limit: PageLimit = 25,
) -> CsagAssignmentPage:
    """Members the network's case managers have assigned to a CSAG that requires assignment.

    Not for care coordinators (403): an assignment tells the member's condition. Filtered by
    `member_cin`, the call is a member look-up: logged whatever it finds, and counted."""
    action = AccessAction.SEARCH if member_cin else AccessAction.LIST
    if member_cin is not None:
        await access.guard_member_lookup(
            principal, action=action, resource_type=ResourceType.CSAG_ASSIGNMENT
        )
    rows = await ruleset_service.list_assignments(
        session,
        principal=principal,
        network_id=network_id,
        member_cin=member_cin,
        csag_id=csag_id,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    await access.record(
        principal,
        action=action,
        resource_type=ResourceType.CSAG_ASSIGNMENT,
        network_id=network_id,
        members=[(a.member_id, a.network_id) for a, _ in rows[:limit]],
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(last.assigned_at, last.id)
    return CsagAssignmentPage(
        items=[_assignment(a, m) for a, m in rows[:limit]], next_cursor=next_cursor
    )


@router.post(
    "/csag-assignments",
    operation_id="createCsagAssignment",
    status_code=201,
    response_model=CsagAssignmentRead,
    responses=_WRITE_ERRORS,
    dependencies=[Depends(require_json)],
    summary="Assign a member to a CSAG",
)
async def assign(
    network_id: NetworkId,
    body: CsagAssignmentCreate,
    principal: Admin,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> CsagAssignmentRead:
    """Network admins only. Needed before the rules pre-approve items of a CSAG marked
    `requires_assignment`. The member must be enrolled in this network on `effective_from`
    (422 on `member_cin` otherwise, code `not_enrolled`)."""
    a, m = await ruleset_service.assign(
        session, principal=principal, network_id=network_id, body=body, now=clock.now()
    )
    await access.record(
        principal,
        action=AccessAction.CREATE,
        resource_type=ResourceType.CSAG_ASSIGNMENT,
        resource_id=a.id,
        members=[(a.member_id, a.network_id)],
    )
    return _assignment(a, m)


@router.post(
    "/csag-assignments/{assignment_id}/end",
    operation_id="endCsagAssignment",
    response_model=CsagAssignmentRead,
    responses=_WRITE_ERRORS,
    dependencies=[Depends(require_json)],
    summary="End an assignment",
)
async def end_assignment(
    network_id: NetworkId,
    assignment_id: Annotated[uuid.UUID, Path(description="The assignment's `id`.")],
    body: CsagAssignmentEnd,
    principal: Admin,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> CsagAssignmentRead:
    """Network admins only. The assignment stops counting after `effective_to`; ending it again
    is a 409."""
    a, m = await ruleset_service.end_assignment(
        session,
        principal=principal,
        network_id=network_id,
        assignment_id=assignment_id,
        effective_to=body.effective_to,
        now=clock.now(),
    )
    await access.record(
        principal,
        action=AccessAction.CHANGE,
        resource_type=ResourceType.CSAG_ASSIGNMENT,
        resource_id=a.id,
        members=[(a.member_id, a.network_id)],
    )
    return _assignment(a, m)
