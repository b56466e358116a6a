"""Issue 21 point 6, the portal's side: its member look-ups are counted with the API's.

The coordinator's "Find a child" and the vendor's member look-up on the new-request form ask
for the CIN and the birth date, as eligibility does; each is an access-log entry, found or not,
and counts against the same per-caller limit (429 past it). Over ASGI, on a real database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from dme_portal.audit.models import AccessLog
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import LimitSettings, Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.main import create_app
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import World, auth_headers, make_account
from portal.flows import csrf_token

LIMIT = 3


@pytest.fixture(scope="module")
def limited_app(settings: Settings, session_clock: FrozenClock, database: Database) -> FastAPI:
    limited = settings.model_copy(update={"limits": LimitSettings(member_lookups_per_minute=LIMIT)})
    return create_app(limited, clock=session_clock, database=database)


@pytest.fixture
async def portal(limited_app: FastAPI, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def _sign_in(
    portal: httpx.AsyncClient, database: Database, role: Role, kind: OrgKind, org: object
) -> str:
    name, secret = await make_account(
        database,
        role=role,
        org_kind=kind,
        org_id=org,  # type: ignore[arg-type]
        machine=False,
    )
    page = await portal.get("/portal/sign-in")
    r = await portal.post(
        "/portal/sign-in",
        data={"username": name, "password": secret, "csrf_token": csrf_token(page.text)},
    )
    assert r.status_code == 303, r.text
    return f"user:{name}"


async def _outcomes(database: Database, subject: str) -> list[tuple[str, str]]:
    async with unit_of_work(database) as s:
        rows = await s.execute(
            select(AccessLog.action, AccessLog.outcome).where(
                AccessLog.subject == subject, AccessLog.action == "eligibility"
            )
        )
        return sorted((str(a), str(o)) for a, o in rows.all())


async def test_find_a_child_is_counted_found_or_not(
    portal: httpx.AsyncClient, database: Database, world: World
) -> None:
    subject = await _sign_in(
        portal, database, Role.CARE_COORDINATOR, OrgKind.NETWORK, world.network_a.id
    )
    token = csrf_token((await portal.get("/portal/coordinator")).text)
    born = world.member.birth_date.isoformat()
    tries = [(world.member.cin, born), (world.member.cin, "2015-01-01"), ("99999999Z", born)]
    for cin, birth in tries:
        r = await portal.post(
            "/portal/coordinator", data={"cin": cin, "birth_date": birth, "csrf_token": token}
        )
        assert r.status_code == 200, r.text
    refused = await portal.post(
        "/portal/coordinator",
        data={"cin": world.member.cin, "birth_date": born, "csrf_token": token},
    )
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert await _outcomes(database, subject) == [
        ("eligibility", "not_found"),
        ("eligibility", "not_found"),
        ("eligibility", "success"),
        ("eligibility", "throttled"),
    ]


async def test_the_vendors_member_look_up_shares_the_apis_allowance(
    portal: httpx.AsyncClient,
    limited_app: FastAPI,
    settings: Settings,
    database: Database,
    world: World,
) -> None:
    subject = await _sign_in(portal, database, Role.VENDOR, OrgKind.VENDOR, world.vendor.id)
    token = csrf_token((await portal.get("/portal/requests/new")).text)
    born = world.member.birth_date.isoformat()
    for birth in (born, "2015-01-01", born):
        r = await portal.post(
            "/portal/requests/new/member",
            data={"member_cin": world.member.cin, "birth_date": birth, "csrf_token": token},
        )
        assert r.status_code == 200, r.text
    refused = await portal.post(
        "/portal/requests/new/member",
        data={"member_cin": world.member.cin, "birth_date": born, "csrf_token": token},
    )
    assert refused.status_code == 429
    assert await _outcomes(database, subject) == [
        ("eligibility", "not_found"),
        ("eligibility", "success"),
        ("eligibility", "success"),
        ("eligibility", "throttled"),
    ]
    # The allowance is the caller's, not the door's: a person's portal look-ups are theirs;
    # the vendor's API client (another subject) still has its own.
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=limited_app), base_url="http://t")
    async with api:
        r = await api.get(
            f"/v1/members/{world.member.cin}/eligibility",
            params={"birth_date": born},
            headers=auth_headers(settings, world.principal(Role.VENDOR_CLIENT)),
        )
    assert r.status_code == 200, r.text
