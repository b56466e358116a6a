"""Idempotency-Key on creating POSTs: required (428 without), claimed with the change, replayed.

The header is optional to FastAPI so that a missing key is a 428 problem, not a 422; the
OpenAPI document still declares it required (``REQUIRES_KEY``, applied in ``main``).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.errors import IdempotencyKeyRequired
from dme_portal.idempotency import service as idempotency

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Required. A unique key per intended request (a UUID is ideal); a retry "
        "with the same key and body by the same caller within 24 hours returns the first "
        "answer with `Idempotent-Replayed: true`; the same key with another body, or from "
        "another caller of your organisation, is a 409. Without it: 428.",
    ),
]

# openapi_extra for routes that require the key; ``main`` marks the parameter required.
REQUIRED_HEADERS = "x-required-headers"
REQUIRES_KEY: dict[str, Any] = {REQUIRED_HEADERS: ["Idempotency-Key"]}
REQUIRES_IF_MATCH: dict[str, Any] = {REQUIRED_HEADERS: ["If-Match"]}


class Claim:
    """A claimed key: ``replay`` is the first answer when the key was used before."""

    def __init__(self, record_id: uuid.UUID | None, replay: JSONResponse | None) -> None:
        self.record_id = record_id
        self.replay = replay

    async def complete(
        self, session: AsyncSession, *, status: int, body: dict[str, Any], location: str | None
    ) -> None:
        """Store the answer in the same transaction as the change."""
        assert self.record_id is not None
        await idempotency.complete(
            session, record_id=self.record_id, status=status, body=body, location=location
        )


async def claim(
    session: AsyncSession,
    *,
    principal: Principal,
    key: str | None,
    operation: str,
    payload: dict[str, Any],
    now: datetime,
    window: timedelta,
) -> Claim:
    """Claim ``key`` for this caller's organisation, or build the replay of its first answer
    (to this same caller only, within ``window``: ``settings.idempotency.window``)."""
    if key is None:
        raise IdempotencyKeyRequired()
    record_id, stored = await idempotency.claim(
        session,
        scope=f"{principal.org_kind.value}:{principal.org_id}",
        subject=principal.subject,
        key=key,
        operation=operation,
        request_hash=idempotency.fingerprint(payload),
        now=now,
        window=window,
    )
    if stored is None:
        return Claim(record_id, None)
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    if "version" in stored.body:
        headers["ETag"] = f'"v{stored.body["version"]}"'
    return Claim(None, JSONResponse(stored.body, status_code=stored.status, headers=headers))


def mark_required_headers(schema: dict[str, Any]) -> None:
    """Declare the headers named in ``x-required-headers`` required, and drop the marker."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            names = operation.pop(REQUIRED_HEADERS, None)
            if not names:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name") in names:
                    parameter["required"] = True
                    # FastAPI renders an optional header as anyOf [string, null].
                    schema_ = parameter.get("schema", {})
                    options = [o for o in schema_.get("anyOf", []) if o.get("type") != "null"]
                    if len(options) == 1:
                        parameter["schema"] = {
                            **options[0],
                            **{k: v for k, v in schema_.items() if k != "anyOf"},
                        }
