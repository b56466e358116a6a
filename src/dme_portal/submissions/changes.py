"""Record a change of a request in its network's feed (same transaction as the change)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.db.dialect import serialize
from dme_portal.submissions.models import AuthorizationRequest, RequestChange


async def record(
    session: AsyncSession, request: AuthorizationRequest, kind: str, now: datetime
) -> None:
    """Append to the network's change feed; feed ids become visible in commit order."""
    # One lock per network per transaction is enough (it is held until the transaction ends).
    locked: set[object] = session.info.setdefault("feed_locks", set())
    if request.network_id not in locked:
        await serialize(session, f"request-feed:{request.network_id}")
        locked.add(request.network_id)
    session.add(
        RequestChange(
            network_id=request.network_id, request_id=request.id, kind=kind, changed_at=now
        )
    )
