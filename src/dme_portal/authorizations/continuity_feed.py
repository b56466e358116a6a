"""The worker's job that tells a network, on a move's effective date, which authorizations it
now honours (issue 21.1): one ``member_moved_network`` change in its feed, carrying only the
continuity view (``schemas.ContinuityView``), never the old network's request.

Exactly once per authorization: the batch locks its rows (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, serialised transactions on SQLite) and marks them ``continuity_announced_at`` in the
same transaction as the change it appends.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from dme_portal.authorizations import repository
from dme_portal.authorizations.expiry import plan_today
from dme_portal.authorizations.models import Authorization
from dme_portal.authorizations.schemas import (
    AuthorizationMember,
    AuthorizationVendor,
    ContinuityItem,
    ContinuityView,
)
from dme_portal.codes import hcpcs
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.submissions import changes
from dme_portal.submissions.models import RequestChange
from dme_portal.submissions.schemas import NetworkRef

MOVED = "member_moved_network"
BATCH = 500

# (new network, member, source network, effective date): one change per move and source.
_MoveKey = tuple[uuid.UUID, uuid.UUID, uuid.UUID, date]


def _due(today: date, limit: int) -> Select[Authorization]:
    a = Authorization
    return (
        select(a)
        .where(
            a.continuity_network_id.is_not(None),
            a.continuity_announced_at.is_(None),
            a.continuity_from <= today,
        )
        .order_by(a.continuity_from, a.member_id, a.number)
        .limit(limit)
        .with_for_update(skip_locked=True, of=a)
    )


def view_of(rows: list[Authorization], related: repository.Related) -> ContinuityView:
    """The continuity view of one move's authorizations (all of one member and source)."""
    first = rows[0]
    member = related.members[first.member_id]
    source = related.networks[first.network_id]
    assert first.continuity_from is not None
    items = []
    for row in rows:
        code = hcpcs.lookup(row.hcpcs)
        vendor = related.vendors[row.vendor_id]
        assert row.continuity_until is not None
        items.append(
            ContinuityItem(
                authorization_id=row.id,
                number=row.number,
                hcpcs=row.hcpcs,
                description=code.description if code else "",
                modifiers=list(row.modifiers or []),
                quantity=row.quantity,
                unit=row.unit,
                frequency=row.frequency,
                start_date=row.start_date,
                end_date=row.end_date,
                continuity_until=row.continuity_until,
                vendor=AuthorizationVendor(id=vendor.id, name=vendor.name),
            )
        )
    return ContinuityView(
        member=AuthorizationMember(
            cin=member.cin, first_name=member.first_name, last_name=member.last_name
        ),
        source_network=NetworkRef(id=source.id, code=source.code, name=source.name),
        effective_from=first.continuity_from,
        authorizations=items,
    )


async def announce(session: AsyncSession, rows: list[Authorization], *, now: datetime) -> int:
    """Append one continuity change per move to each new network's feed and mark ``rows``
    announced; the caller holds their locks. Returns the number of changes appended."""
    moves: dict[_MoveKey, list[Authorization]] = defaultdict(list)
    for row in rows:
        if row.continuity_network_id is None or row.continuity_from is None:
            continue
        key = (row.continuity_network_id, row.member_id, row.network_id, row.continuity_from)
        moves[key].append(row)
    if not moves:
        return 0
    related = await repository.related(session, rows)
    await changes.lock_feeds(session, {key[0] for key in moves})
    for (network_id, *_), group in moves.items():
        session.add(
            RequestChange(
                network_id=network_id,
                # The old network's request, kept for the record; never returned to the new one.
                request_id=group[0].request_id,
                kind=MOVED,
                changed_at=now,
                continuity=view_of(group, related).model_dump(mode="json"),
            )
        )
    # A bulk update without a version bump: announcing is no change of the authorization, so
    # its ETag (and a concurrent writer's version check) stays valid.
    await session.execute(
        update(Authorization)
        .where(Authorization.id.in_([r.id for g in moves.values() for r in g]))
        .values(continuity_announced_at=now)
        .execution_options(synchronize_session=False)
    )
    for group in moves.values():
        for row in group:
            set_committed_value(row, "continuity_announced_at", now)  # in step, not dirty
    await session.flush()
    return len(moves)


async def run_once(session: AsyncSession, *, now: datetime, batch: int = BATCH) -> tuple[int, int]:
    """One batch in the caller's transaction: (authorizations selected, changes appended)."""
    rows = list((await session.execute(_due(plan_today(now), batch))).scalars().all())
    selected = len(rows)
    if selected == batch and rows[0].member_id != rows[-1].member_id:
        # A full batch may have cut the last member's move in two: leave that member's rows
        # (still locked until this transaction ends) to the next batch, so one move is one
        # change.
        rows = [r for r in rows if r.member_id != rows[-1].member_id]
    return selected, await announce(session, rows, now=now)


async def sweep(db: Database, *, now: datetime, batch: int = BATCH) -> int:
    """Announce every move whose effective date has come, one transaction per batch."""
    total = 0
    while True:
        async with unit_of_work(db) as session:
            selected, appended = await run_once(session, now=now, batch=batch)
        total += appended
        if selected < batch:
            return total
