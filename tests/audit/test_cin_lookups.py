"""Issue 21 point 6: every look-up by CIN is counted and logged, whoever asks and whatever it finds.

A network's roles read `GET /v1/members/{cin}/enrollments` and filter lists by `member_cin`
with a CIN alone; those are member look-ups like eligibility: throttled per caller
(`limits.member_lookups_per_minute`, counted from the access log) and logged found or not.
Vendors filtering their own lists by CIN count too: one allowance per caller, every door.
"""

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
from fixtures.factories import (
    NOW,
    World,
    assert_problem,
    auth_headers,
    submit_request,
    unique_cin,
)

LIMIT = 3
REQUESTS = "/v1/authorization-requests"
AUTHORIZATIONS = "/v1/authorizations"


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


Row = tuple[str, str, str, int, bool]


async def _rows(database: Database, org_id: object, role: Role) -> list[Row]:
    """(action, resource type, outcome, member count, attributed to the caller's network),
    sorted: the frozen clock gives every entry the same time."""
    async with unit_of_work(database) as s:
        rows = await s.scalars(
            select(AccessLog).where(AccessLog.org_id == org_id, AccessLog.role == role.value)
        )
        return sorted(
            (
                str(r.action),
                str(r.resource_type),
                str(r.outcome),
                r.member_count,
                r.network_id == org_id,
            )
            for r in rows
        )


def _refused(response: httpx.Response) -> None:
    body = assert_problem(response, 429, code="rate_limited.member_lookups")
    assert response.headers["Retry-After"] == str(body["retry_after"])
    assert int(response.headers["Retry-After"]) > 0
    assert "items" not in body


async def test_a_reviewers_member_cin_filter_is_a_counted_logged_lookup(
    limited: httpx.AsyncClient,
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    database: Database,
) -> None:
    await submit_request(client, settings, world)
    reviewer = auth_headers(settings, world.principal(Role.REVIEWER))

    found = await limited.get(REQUESTS, params={"member_cin": world.member.cin}, headers=reviewer)
    assert found.status_code == 200, found.text
    assert len(found.json()["items"]) == 1
    # Another network's child and a CIN nobody has: an empty page, and an entry each.
    for cin in (world.member_b.cin, unique_cin()):
        r = await limited.get(REQUESTS, params={"member_cin": cin}, headers=reviewer)
        assert r.status_code == 200, r.text
        assert r.json()["items"] == []

    _refused(await limited.get(REQUESTS, params={"member_cin": cin}, headers=reviewer))
    # The list without a CIN is no look-up: not limited.
    assert (await limited.get(REQUESTS, headers=reviewer)).status_code == 200

    assert await _rows(database, world.network_a.id, Role.REVIEWER) == sorted(
        [
            ("search", "authorization_request", "success", 1, True),
            # Empty answers are entries in the reviewer's network's log too (its admin sees them).
            ("search", "authorization_request", "success", 0, True),
            ("search", "authorization_request", "success", 0, True),
            ("search", "authorization_request", "throttled", 0, False),
            ("list", "authorization_request", "success", 1, True),
        ]
    )


async def test_enrollment_reads_are_counted_and_logged_found_or_not(
    limited: httpx.AsyncClient,
    settings: Settings,
    world: World,
    database: Database,
    clock: FrozenClock,
) -> None:
    reviewer = auth_headers(settings, world.principal(Role.REVIEWER))

    def url(cin: str) -> str:
        return f"/v1/members/{cin}/enrollments"

    ok = await limited.get(url(world.member.cin), headers=reviewer)
    assert ok.status_code == 200, ok.text
    # Another network's child and an unknown CIN: the same 404, each an entry.
    assert_problem(await limited.get(url(world.member_b.cin), headers=reviewer), 404)
    assert_problem(await limited.get(url(unique_cin()), headers=reviewer), 404)

    clock.set(NOW + timedelta(seconds=15))
    refused = await limited.get(url(world.member.cin), headers=reviewer)
    _refused(refused)
    assert refused.headers["Retry-After"] == "45"

    assert await _rows(database, world.network_a.id, Role.REVIEWER) == sorted(
        [
            ("search", "member", "success", 1, True),
            ("search", "member", "failed", 0, False),
            ("search", "member", "failed", 0, False),
            ("search", "member", "throttled", 0, False),
        ]
    )

    # The window slides.
    clock.set(NOW + timedelta(seconds=61))
    again = await limited.get(url(world.member.cin), headers=reviewer)
    assert again.status_code == 200, again.text


async def test_every_cin_door_of_a_network_shares_one_allowance(
    limited: httpx.AsyncClient, settings: Settings, world: World, database: Database
) -> None:
    admin = auth_headers(settings, world.principal(Role.NETWORK_ADMIN))
    cin = {"member_cin": world.member.cin}
    enrollments = await limited.get(f"/v1/members/{world.member.cin}/enrollments", headers=admin)
    assert enrollments.status_code == 200, enrollments.text
    csag = f"/v1/networks/{world.network_a.id}/csag-assignments"
    assert (await limited.get(csag, params=cin, headers=admin)).status_code == 200
    assert (await limited.get(AUTHORIZATIONS, params=cin, headers=admin)).status_code == 200
    _refused(await limited.get(REQUESTS, params=cin, headers=admin))
    _refused(await limited.get(csag, params=cin, headers=admin))
    # Lists without a CIN are not look-ups.
    assert (await limited.get(csag, headers=admin)).status_code == 200
    rows = await _rows(database, world.network_a.id, Role.NETWORK_ADMIN)
    actions = sorted((a, t, o) for a, t, o, _, _ in rows)
    assert actions == sorted(
        [
            ("search", "member", "success"),
            ("search", "csag_assignment", "success"),
            ("search", "authorization", "success"),
            ("search", "authorization_request", "throttled"),
            ("search", "csag_assignment", "throttled"),
            ("list", "csag_assignment", "success"),
        ]
    )


async def test_a_vendor_filtering_its_own_lists_by_cin_counts_too(
    limited: httpx.AsyncClient, settings: Settings, world: World, database: Database
) -> None:
    vendor = auth_headers(settings, world.principal(Role.VENDOR))
    eligibility = await limited.get(
        f"/v1/members/{world.member.cin}/eligibility",
        params={"birth_date": world.member.birth_date.isoformat()},
        headers=vendor,
    )
    assert eligibility.status_code == 200, eligibility.text
    cin = {"member_cin": world.member.cin}
    assert (await limited.get(REQUESTS, params=cin, headers=vendor)).status_code == 200
    assert (await limited.get(AUTHORIZATIONS, params=cin, headers=vendor)).status_code == 200
    _refused(await limited.get(AUTHORIZATIONS, params=cin, headers=vendor))
    rows = await _rows(database, world.vendor.id, Role.VENDOR)
    assert sorted((a, o) for a, _, o, _, _ in rows) == sorted(
        [
            ("eligibility", "success"),
            ("search", "success"),
            ("search", "success"),
            ("search", "throttled"),
        ]
    )
