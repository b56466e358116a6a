"""The network change feed, read through the one request scoping and logged (issue 21.0/1).

Every door that serves the feed (the API today; webhooks or FHIR subscriptions next) calls
``read_changes`` with the caller's principal and a domain ``AccessLogger``: the scoping and the
access-log entry come with the call, not from the door.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.audit.access import AccessLogger
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.authorizations.schemas import ContinuityView
from dme_portal.review import repository
from dme_portal.review.schemas import ChangeRead
from dme_portal.submissions import service as submission_service
from dme_portal.submissions.models import AuthorizationRequest, RequestChange
from dme_portal.submissions.schemas import AuthorizationRequestRead

# How many pages of changes the caller may not read one call skips before it answers (with
# fewer items and a cursor past them), so a call stays bounded.
MAX_SCANS = 10


@dataclass(frozen=True, slots=True)
class FeedPage:
    items: list[ChangeRead]
    next_cursor: int


async def read_changes(
    session: AsyncSession,
    *,
    principal: Principal,
    access: AccessLogger,
    after: int,
    limit: int,
    now: datetime,
) -> FeedPage:
    """The network's changes after ``after`` that the principal may read, oldest first.

    A change carries its request only when the principal could ``GET`` it; a
    ``member_moved_network`` change in the feed of the network a member moved to carries the
    continuity view instead. Any other change of a request out of scope (rows written before
    issue 21 for the new network) is skipped, so rewinding the cursor never re-reads them.
    """
    assert principal.network_id is not None
    items: list[ChangeRead] = []
    cursor = after
    requests: list[AuthorizationRequest] = []
    continuity_request_ids: list[uuid.UUID] = []
    for _ in range(MAX_SCANS):
        wanted = limit - len(items)
        rows = await repository.changes_since(session, principal, cursor, wanted)
        for change, request in rows:
            cursor = change.id
            if change.continuity is not None:
                view = ContinuityView.model_validate(change.continuity)
                items.append(_item(change, continuity=view))
                continuity_request_ids.append(change.request_id)
            elif request is not None:
                requests.append(request)
                items.append(_item(change, request=submission_service.to_read(request, now=now)))
        if len(items) >= limit or len(rows) < wanted:
            break
    members = await repository.members_of(session, continuity_request_ids)
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.REQUEST,
        network_id=principal.network_id,
        requests=requests,
        members=[(m, principal.network_id) for m in members.values()],
    )
    return FeedPage(items=items, next_cursor=cursor)


def _item(
    change: RequestChange,
    *,
    request: AuthorizationRequestRead | None = None,
    continuity: ContinuityView | None = None,
) -> ChangeRead:
    return ChangeRead(
        change_id=change.id,
        kind=change.kind,
        changed_at=change.changed_at,
        request=request,
        continuity=continuity,
    )
