"""The two tenants, built once per module and backend (the matrix only reads them back)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW
from tenancy.world import Tenant1, Tenant2, build


async def _fresh_key(request: httpx.Request) -> None:
    if request.method == "POST" and "Idempotency-Key" not in request.headers:
        request.headers["Idempotency-Key"] = str(uuid.uuid4())


@pytest.fixture(scope="module")
async def tenants(
    app: FastAPI, settings: Settings, database: Database, session_clock: FrozenClock
) -> AsyncIterator[tuple[Tenant1, Tenant2]]:
    session_clock.set(NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        event_hooks={"request": [_fresh_key]},
    ) as c:
        yield await build(c, settings, database)


@pytest.fixture
async def tenant1(tenants: tuple[Tenant1, Tenant2]) -> Tenant1:
    return tenants[0]


@pytest.fixture
async def tenant2(tenants: tuple[Tenant1, Tenant2]) -> Tenant2:
    return tenants[1]
