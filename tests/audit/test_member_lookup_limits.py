"""Issue 15 point 4: per-caller limits on member lookups, counted in the access log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from dme_portal.audit.models import AccessLog
from dme_portal.auth.roles import Role
from dme_portal.config import LimitSettings, Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.main import create_app
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW, World, assert_problem, auth_headers, request_body

LIMIT = 3


@pytest.fixture(scope="module")
def limited_app(settings: Settings, session_clock: FrozenClock, database: Database) -> FastAPI:
    """The app with at most three member lookups a minute, on the same database."""
    limited = settings.model_copy(update={"limits": LimitSettings(member_lookups_per_minute=LIMIT)})
    return create_app(limited, clock=session_clock, database=database)


@pytest.fixture
async def limited(limited_app: FastAPI, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def _eligibility(world: World, birth_date: str = "2016-05-01") -> tuple[str, dict[str, str]]:
    return f"/v1/members/{world.member.cin}/eligibility", {"birth_date": birth_date}


async def _outcomes(database: Database, world: World) -> list[tuple[str, str]]:
    async with unit_of_work(database) as s:
        rows = await s.execute(
            select(AccessLog.action, AccessLog.outcome).where(AccessLog.org_id == world.vendor.id)
        )
        return sorted((str(a), str(o)) for a, o in rows.all())


async def test_the_fourth_lookup_in_a_minute_is_429_and_logged(
    limited: httpx.AsyncClient,
    settings: Settings,
    world: World,
    database: Database,
    clock: FrozenClock,
) -> None:
    vendor = auth_headers(settings, world.principal(Role.VENDOR))
    url, params = _eligibility(world)
    assert (await limited.get(url, params=params, headers=vendor)).status_code == 200
    # A lookup that finds nothing counts too: guessing CINs is what the limit is for.
    wrong = await limited.get(url, params={"birth_date": "2015-01-01"}, headers=vendor)
    assert wrong.status_code == 404
    r = await limited.post("/v1/coverage-checks", json=request_body(world), headers=vendor)
    assert r.status_code == 200

    clock.set(NOW + timedelta(seconds=20))
    refused = await limited.get(url, params=params, headers=vendor)
    body = assert_problem(refused, 429, code="rate_limited.member_lookups")
    assert refused.headers["Retry-After"] == "40"
    assert body["retry_after"] == 40
    refused = await limited.post("/v1/coverage-checks", json=request_body(world), headers=vendor)
    assert_problem(refused, 429)

    assert await _outcomes(database, world) == [
        ("coverage-check", "success"),
        ("coverage-check", "throttled"),
        ("eligibility", "not_found"),
        ("eligibility", "success"),
        ("eligibility", "throttled"),
    ]

    # Another caller has its own allowance; reads other than lookups are not limited.
    other = auth_headers(settings, world.principal(Role.VENDOR, world.other_vendor))
    assert (await limited.get(url, params=params, headers=other)).status_code == 200
    r = await limited.get("/v1/authorization-requests", headers=vendor)
    assert r.status_code == 200

    # The window slides: a minute after the first lookups, the caller may look again.
    clock.set(NOW + timedelta(seconds=60))
    ok = await limited.get(url, params=params, headers=vendor)
    assert ok.status_code == 200, ok.text


async def test_the_default_limit_is_set_in_settings() -> None:
    assert Settings().limits.member_lookups_per_minute == 120
