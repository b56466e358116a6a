"""Expiry: authorizations turn ``expiring``, ``expired`` or ``superseded`` as the dates pass
(issue 16.4, DESIGN §8).

The dates are the plan's calendar dates: "today" is the app clock's instant read in
America/Los_Angeles (``plan_today``), because an authorization "through December 31" covers
deliveries through December 31 in California. With UTC dates it would read ``expired`` from
4 pm (5 pm in summer) on its last valid day.

- ``active`` -> ``expiring`` from ``end_date - window_days`` (the issuing network's current
  ruleset, ``renewals.window_days``, 30 by default);
- ``active``/``expiring`` -> ``expired`` after ``end_date``, unless a renewal of it is open:
  then it stays ``expiring`` until the renewal is decided;
- ``active``/``expiring`` -> ``superseded`` once the successor that ``superseded_by_id`` names
  (and that is not void) starts; this wins over ``expired`` when a sweep comes late.

``expired``, ``superseded`` and ``void`` never change here.

The sweep runs in the worker's loop (``sla.worker.run_forever`` and ``dme-portal worker
--once``), one transaction per batch: it locks the requests of the authorizations it moves with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite serialises writers), moves each with a conditional
``UPDATE ... WHERE state = <old state>``, and in the same transaction appends one timeline event
to the authorization's request and one entry to its network's change feed, so several workers
record each transition exactly once.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from dme_portal.authorizations.models import IN_FORCE, Authorization, AuthorizationStatus
from dme_portal.db.dialect import without_jit
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.rules.ruleset import Renewals
from dme_portal.rulesets import registry
from dme_portal.rulesets.models import RulesetVersion
from dme_portal.submissions import changes, events
from dme_portal.submissions.models import (
    AuthorizationRequest,
    RequestLine,
    RequestStatus,
)

log = logging.getLogger("dme_portal.authorizations.expiry")

PLAN_TIMEZONE = ZoneInfo("America/Los_Angeles")
DEFAULT_WINDOW_DAYS = Renewals().window_days
ACTOR = "expiry-worker"
# A renewal is open while its request is (the same set as review.service.OPEN).
OPEN = (RequestStatus.IN_REVIEW, RequestStatus.PENDED)
EVENT_KINDS = {
    AuthorizationStatus.EXPIRING: "authorization_expiring",
    AuthorizationStatus.EXPIRED: "authorization_expired",
    AuthorizationStatus.SUPERSEDED: "authorization_superseded",
}

S = AuthorizationStatus


def plan_today(now: datetime) -> date:
    """The plan's calendar date at ``now`` (an aware instant, e.g. the app clock's)."""
    return now.astimezone(PLAN_TIMEZONE).date()


def next_state(
    state: AuthorizationStatus,
    *,
    today: date,
    end_date: date,
    window_days: int,
    successor_start: date | None = None,
    renewal_open: bool = False,
) -> AuthorizationStatus | None:
    """The state an authorization moves to today, or None when it stays as it is.

    ``successor_start``: the start of the (non-void) authorization that supersedes it, if any;
    ``renewal_open``: a renewal of it is filed and not yet decided.
    """
    if state not in IN_FORCE:
        return None
    if successor_start is not None and today >= successor_start:
        return S.SUPERSEDED
    if today > end_date and not renewal_open:
        return S.EXPIRED
    if state is S.ACTIVE and today >= end_date - timedelta(days=window_days):
        return S.EXPIRING
    return None


# --- SQL --------------------------------------------------------------------------------------


def open_renewal_exists(auth: Any = Authorization) -> ColumnElement[bool]:
    """Whether a renewal of ``auth`` (an Authorization entity or alias) is open.

    An open request with a line that names ``auth`` in ``renews_authorization_id``.
    """
    r = aliased(AuthorizationRequest)
    ln = aliased(RequestLine)
    return exists().where(
        ln.request_id == r.id,
        r.status.in_(OPEN),
        ln.renews_authorization_id == auth.id,
    )


def successor_start(auth: Any = Authorization) -> ColumnElement[date]:
    """The start date of the authorization that supersedes ``auth`` (null: none, or void)."""
    successor = aliased(Authorization)
    return (
        select(successor.start_date)
        .where(successor.id == auth.superseded_by_id, successor.state != S.VOID)
        .scalar_subquery()
    )


async def window_days_by_network(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Each network's current ``renewals.window_days`` (networks without a ruleset: absent)."""
    latest = (
        select(RulesetVersion.network_id, func.max(RulesetVersion.version).label("version"))
        .group_by(RulesetVersion.network_id)
        .subquery()
    )
    rows = await session.execute(
        select(RulesetVersion.network_id, RulesetVersion.version, RulesetVersion.document).join(
            latest,
            and_(
                latest.c.network_id == RulesetVersion.network_id,
                latest.c.version == RulesetVersion.version,
            ),
        )
    )
    return {
        network_id: registry.compiled(network_id, version, document).renewals.window_days
        for network_id, version, document in rows.all()
    }


@dataclass(frozen=True)
class Windows:
    """The expiring window of every network, for one sweep."""

    by_network: dict[uuid.UUID, int] = field(default_factory=dict)

    def days(self, network_id: uuid.UUID) -> int:
        return self.by_network.get(network_id, DEFAULT_WINDOW_DAYS)

    def cutoff(self, today: date) -> ColumnElement[date] | date:
        """``today + window`` of the authorization's network, in SQL."""
        default = today + timedelta(days=DEFAULT_WINDOW_DAYS)
        if not self.by_network:
            return default
        return case(
            {n: today + timedelta(days=d) for n, d in self.by_network.items()},
            value=Authorization.network_id,
            else_=default,
        )

    def latest_cutoff(self, today: date) -> date:
        return today + timedelta(days=max([DEFAULT_WINDOW_DAYS, *self.by_network.values()]))


def _due(
    today: date, windows: Windows, limit: int
) -> Select[Authorization, AuthorizationRequest, date, bool]:
    """Authorizations in force that move today, with their requests, locked (skip locked).

    The same conditions as ``next_state``, so every row selected moves. A successor starts
    after the authorization it renews ends (no overlap), so an authorization is superseded only
    after its end: an ``expiring`` one is read again only then, and the sweep reads two ranges
    of ``ix_authorization_state_end``, not every authorization in force.
    """
    a = Authorization
    started = successor_start(a)
    renewing = open_renewal_exists(a)
    return (
        select(a, AuthorizationRequest, started.label("successor_start"), renewing.label("renewal"))
        .join(AuthorizationRequest, AuthorizationRequest.id == a.request_id)
        .where(
            # Two ranges of ix_authorization_state_end: an expiring authorization is looked at
            # again only once its end has passed.
            or_(
                and_(a.state == S.ACTIVE, a.end_date <= windows.latest_cutoff(today)),
                and_(a.state == S.EXPIRING, a.end_date < today),
            ),
            or_(
                started <= today,
                and_(a.end_date < today, ~renewing),
                and_(a.state == S.ACTIVE, a.end_date <= windows.cutoff(today)),
            ),
        )
        .order_by(a.end_date, a.id)
        .limit(limit)
        # The request's lock covers its authorizations: the hub changes an authorization only
        # with its request locked (``service.sync_from_lines``). Locking the authorization row
        # too would keep it locked when the request's lock is skipped (PostgreSQL keeps a row
        # lock taken before a skip), unprocessed and hidden from the other workers.
        .with_for_update(skip_locked=True, of=AuthorizationRequest)
    )


@dataclass
class ExpiryResult:
    expiring: int = 0
    expired: int = 0
    superseded: int = 0
    # Rows the batch locked (the sweep stops after a batch smaller than its size).
    selected: int = 0

    @property
    def moved(self) -> int:
        return self.expiring + self.expired + self.superseded

    def __iadd__(self, other: ExpiryResult) -> ExpiryResult:
        self.expiring += other.expiring
        self.expired += other.expired
        self.superseded += other.superseded
        self.selected += other.selected
        return self

    def count(self, state: AuthorizationStatus) -> None:
        name = state.value
        setattr(self, name, getattr(self, name) + 1)


async def _sweep_batch(
    session: AsyncSession, *, now: datetime, today: date, windows: Windows, limit: int
) -> ExpiryResult:
    result = ExpiryResult()
    await without_jit(session)
    rows = (await session.execute(_due(today, windows, limit))).all()
    result.selected = len(rows)
    moves: dict[tuple[AuthorizationStatus, AuthorizationStatus], list[Authorization]] = defaultdict(
        list
    )
    requests: dict[uuid.UUID, AuthorizationRequest] = {}
    for auth, request, started, renewal in rows:
        requests[auth.id] = request
        new = next_state(
            auth.state,
            today=today,
            end_date=auth.end_date,
            window_days=windows.days(auth.network_id),
            successor_start=started,
            renewal_open=bool(renewal),
        )
        if new is not None and new is not auth.state:
            moves[(auth.state, new)].append(auth)
    if not moves:
        return result
    # The feed locks before the authorization rows are written, in the order a decision takes
    # them (its change, then ``sync_from_lines``), so the two never wait on each other in turn.
    await changes.lock_feeds(session, {r.network_id for r in requests.values()})
    sequences = await events.last_sequences(session, (r.id for r in requests.values()))
    a = Authorization
    for (old, new), auths in moves.items():
        # Conditional on the old state: a second writer that got here first makes this a no-op
        # for the rows it moved, and this worker records nothing for them.
        rows_moved = await session.execute(
            update(a)
            .where(a.id.in_([x.id for x in auths]), a.state == old)
            .values(state=new, state_changed_at=now, version=a.version + 1)
            .returning(a.id, a.version)
            .execution_options(synchronize_session=False)
        )
        moved = {auth_id: version for auth_id, version in rows_moved.all()}
        for auth in auths:
            if auth.id not in moved:
                continue
            # Keep the session's objects in step with the bulk update without dirtying them.
            set_committed_value(auth, "state", new)
            set_committed_value(auth, "state_changed_at", now)
            set_committed_value(auth, "version", moved[auth.id])
            request = requests[auth.id]
            kind = EVENT_KINDS[new]
            await events.record_system(
                session,
                request,
                kind,
                now,
                actor_id=ACTOR,
                data=auth.as_event_data(),
                sequences=sequences,
            )
            await changes.record(session, request, kind, now)
            result.count(new)
    await session.flush()
    return result


async def sweep_session(session: AsyncSession, *, now: datetime, batch: int = 500) -> ExpiryResult:
    """The expiry sweep inside the caller's transaction."""
    today = plan_today(now)
    windows = Windows(await window_days_by_network(session))
    total = ExpiryResult()
    while True:
        result = await _sweep_batch(session, now=now, today=today, windows=windows, limit=batch)
        total += result
        if result.selected < batch or not result.moved:
            return total


async def sweep(db: Database, *, now: datetime, batch: int = 500) -> ExpiryResult:
    """Move every authorization whose dates passed a threshold, one transaction per batch.

    The rulesets are read once per sweep; each batch is its own transaction, so a batch's
    locks are held only while it is written.
    """
    today = plan_today(now)
    async with unit_of_work(db) as session:
        windows = Windows(await window_days_by_network(session))
    total = ExpiryResult()
    while True:
        async with unit_of_work(db) as session:
            result = await _sweep_batch(session, now=now, today=today, windows=windows, limit=batch)
        total += result
        if result.selected < batch or not result.moved:
            return total
