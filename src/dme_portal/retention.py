"""Retention: the worker deletes what the hub must not keep (issue 21 point 8).

- Idempotency records past their window (``expires_at``): each holds a whole answer, PHI
  included, and is useless once the key may no longer be replayed.
- Sign-in throttle rows (``login_throttle``) whose counting window and lockout have both
  ended. The window is a setting of at most 24 hours (``limits.token_failure_window_seconds``),
  so a row whose window began more than ``THROTTLE_KEEP`` ago counts nothing any more.

Deletes run in batches, one transaction each, so that several workers and a large backlog
never hold long locks; a row deleted by another copy is simply not counted twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select

from dme_portal.auth.models import LoginThrottle
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.idempotency.models import IdempotencyRecord

BATCH = 1000
# The longest counting window the settings allow (LimitSettings.token_failure_window_seconds).
THROTTLE_KEEP = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Purged:
    idempotency_records: int
    throttle_rows: int


async def _purge(db: Database, model: Any, expired: ColumnElement[bool]) -> int:
    total = 0
    while True:
        async with unit_of_work(db) as session:
            ids: list[uuid.UUID] = list(
                (await session.execute(select(model.id).where(expired).limit(BATCH))).scalars()
            )
            if ids:
                await session.execute(
                    delete(model)
                    .where(model.id.in_(ids), expired)
                    .execution_options(synchronize_session=False)
                )
        total += len(ids)
        if len(ids) < BATCH:
            return total


async def run_once(db: Database, *, now: datetime) -> Purged:
    """Delete expired idempotency records and spent sign-in throttle rows."""
    records = await _purge(db, IdempotencyRecord, IdempotencyRecord.expires_at <= now)
    throttle = LoginThrottle
    spent = (throttle.window_started_at <= now - THROTTLE_KEEP) & or_(
        throttle.locked_until.is_(None), throttle.locked_until <= now
    )
    rows = await _purge(db, throttle, spent)
    return Purged(idempotency_records=records, throttle_rows=rows)
