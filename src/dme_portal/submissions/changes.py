"""Record a change of a request in its network's feed (same transaction as the change)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.db.dialect import serialize
from dme_portal.submissions.models import AuthorizationRequest, RequestChange


async def lock_feeds(session: AsyncSession, network_ids: Iterable[uuid.UUID]) -> None:
    """Take the feed locks of several networks at once (before recording their changes)."""
    locked: set[object] = session.info.setdefault("feed_locks", set())
    wanted = [n for n in set(network_ids) if n not in locked]
    await serialize(session, *(f"request-feed:{n}" for n in wanted))
    locked.update(wanted)


async def record(
    session: AsyncSession, request: AuthorizationRequest, kind: str, now: datetime
) -> None:
    """Append to the network's change feed; feed ids become visible in commit order."""
    # One lock per network per transaction is enough (it is held until the transaction ends).
    await lock_feeds(session, [request.network_id])
    session.add(
        RequestChange(
            network_id=request.network_id, request_id=request.id, kind=kind, changed_at=now
        )
    )
