"""Retention: the worker deletes what the hub must not keep (issue 21 point 8).

- Idempotency records past their window (``expires_at``): each holds a whole answer, PHI
  included, and is useless once the key may no longer be replayed.
- Sign-in throttle counts that hold nothing back any more, and addresses no longer known
  (``auth.throttle.purge_stale``: the throttle owns the rule for when a count is spent).

Idempotency records go in batches, one transaction each, so that several workers and a large
backlog never hold long locks; a row deleted by another copy is simply not counted twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from dme_portal.auth import throttle
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.idempotency.models import IdempotencyRecord

BATCH = 1000


@dataclass(frozen=True, slots=True)
class Purged:
    idempotency_records: int
    throttle_rows: int


async def _purge_idempotency(db: Database, now: datetime) -> int:
    record = IdempotencyRecord
    total = 0
    while True:
        async with unit_of_work(db) as session:
            ids: list[uuid.UUID] = list(
                (
                    await session.execute(
                        select(record.id).where(record.expires_at <= now).limit(BATCH)
                    )
                ).scalars()
            )
            if ids:
                await session.execute(
                    delete(record)
                    .where(record.id.in_(ids), record.expires_at <= now)
                    .execution_options(synchronize_session=False)
                )
        total += len(ids)
        if len(ids) < BATCH:
            return total


async def run_once(db: Database, *, now: datetime, settings: Settings) -> Purged:
    """Delete expired idempotency records and spent sign-in throttle rows."""
    records = await _purge_idempotency(db, now)
    async with unit_of_work(db) as session:
        rows = await throttle.purge_stale(session, now=now, settings=settings)
    return Purged(idempotency_records=records, throttle_rows=rows)
