"""Idempotency keys: the first answer to a key is stored with the change and replayed."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.db.dialect import insert_ignoring_conflict
from dme_portal.errors import Conflict
from dme_portal.idempotency.models import IdempotencyRecord


class IdempotencyKeyReused(Conflict):
    code = "idempotency.key_reused"
    title = "Idempotency-Key already used with a different body"


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
    key: str,
    operation: str,
    request_hash: str,
    now: datetime,
) -> tuple[uuid.UUID | None, StoredResponse | None]:
    """Claim ``key`` in this transaction, or return the answer stored for it.

    Returns ``(record_id, None)`` when the caller must do the work and then ``complete``,
    or ``(None, stored)`` when the key was used before with the same body.
    """
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
            "created_at": now,
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
