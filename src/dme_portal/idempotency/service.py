"""Idempotency keys: the first answer to a key is stored with the change and replayed.

A key belongs to an organisation (``scope``) and is answered from its record only to the
caller that used it (``subject``), only within its window (``expires_at``). Another caller of
the same organisation sending the key gets a 409 ``idempotency.key_in_use`` and nothing of
the first answer (the IETF Idempotency-Key draft leaves the scope of a key to the server; a
409, as for a key reused with another body, keeps 422 for payload validation). Past its
window the key is free again: the expired record is deleted and the request runs afresh.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.db.dialect import insert_ignoring_conflict
from dme_portal.errors import Conflict
from dme_portal.idempotency.models import IdempotencyRecord


class IdempotencyKeyReused(Conflict):
    code = "idempotency.key_reused"
    title = "Idempotency-Key already used with a different body"


class IdempotencyKeyInUse(Conflict):
    code = "idempotency.key_in_use"
    title = "Idempotency-Key in use by another caller"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: dict[str, Any]
    location: str | None


def fingerprint(payload: dict[str, Any]) -> str:
    """A stable hash of a JSON-able payload (key order does not matter)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    session: AsyncSession,
    *,
    scope: str,
    subject: str,
    key: str,
    operation: str,
    request_hash: str,
    now: datetime,
    window: timedelta,
) -> tuple[uuid.UUID | None, StoredResponse | None]:
    """Claim ``key`` in this transaction, or return the answer stored for it.

    Returns ``(record_id, None)`` when the caller must do the work and then ``complete``,
    or ``(None, stored)`` when this caller used the key before, within its window, with the
    same body. Another caller's key is a 409 (``IdempotencyKeyInUse``), another body too.
    """
    # An expired record is never replayed, even before the worker purges it: the key is
    # free again. A concurrent claimer of the same key waits on this row lock, then finds
    # the new record (PostgreSQL); SQLite serialises writers anyway.
    await session.execute(
        delete(IdempotencyRecord)
        .where(
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
            IdempotencyRecord.expires_at <= now,
        )
        .execution_options(synchronize_session=False)
    )
    record_id = uuid.uuid4()
    inserted = await insert_ignoring_conflict(
        session,
        IdempotencyRecord.__table__,  # type: ignore[arg-type]
        {
            "id": record_id,
            "scope": scope,
            "key": key,
            "operation": operation,
            "request_hash": request_hash,
            "subject": subject,
            "created_at": now,
            "expires_at": now + window,
        },
        ["scope", "key"],
    )
    if inserted:
        return record_id, None
    existing = (
        await session.execute(
            select(IdempotencyRecord).where(
                IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
            )
        )
    ).scalar_one()
    if existing.subject != subject:
        # Nothing of the first caller's request or answer, not even whether the bodies match.
        raise IdempotencyKeyInUse(
            "Another caller of your organisation used this Idempotency-Key; use a new key."
        )
    if existing.request_hash != request_hash or existing.operation != operation:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was first used with a different request; use a new key."
        )
    # The claim and the answer commit together, so a visible record always has its answer.
    assert existing.response_status is not None
    assert existing.response_body is not None
    return None, StoredResponse(existing.response_status, existing.response_body, existing.location)


async def complete(
    session: AsyncSession,
    *,
    record_id: uuid.UUID,
    status: int,
    body: dict[str, Any],
    location: str | None,
) -> None:
    """Store the answer for a claimed key, in the same transaction as the change."""
    record = await session.get_one(IdempotencyRecord, record_id)
    record.response_status = status
    record.response_body = body
    record.location = location


async def purge_expired(session: AsyncSession, *, now: datetime) -> int:
    """Delete every record whose window has ended (the worker's retention sweep)."""
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
