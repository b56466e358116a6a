"""Issue 21.1 acceptance: after a child moves from network A to B, nothing B can read (feed,
lists, reads, portal) holds A's diagnoses, notes, documents or decisions; B sees the
authorizations in continuity only from the move's effective date, and its feed learns of them
on that date, once, with the continuity view only.

The world's member is enrolled in network A; A's reviewer approves its request (with notes, two
diagnoses, a prescriber and a brand reason); the plan moves the member to B ten days later.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from dme_portal.audit.models import AccessLog
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.authorizations import continuity_feed
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.sla.clock import FrozenClock
from dme_portal.submissions.models import RequestChange
from fixtures.factories import NOW, World, auth_headers_at, make_account, request_body
from fixtures.rules import no_csags, publish
from portal.flows import csrf_token

FEED = "/v1/network/requests/changes"
AUTHORIZATIONS = "/v1/authorizations"
REQUESTS = "/v1/authorization-requests"
MOVE = NOW.date() + timedelta(days=10)
NOTES = "Child aspirates thin liquids; mother reports night seizures"
BRAND_REASON = "Latex allergy documented by the allergist"
DIAGNOSES = ["G80.0", "Q05.9"]
PRESCRIBER = "1234567893"


def at(day: date) -> datetime:
    """Mid-morning in California on ``day`` (the plan's date is the same as UTC's then)."""
    return datetime(day.year, day.month, day.day, 18, 0, tzinfo=UTC)


class Door:
    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        clock: FrozenClock,
        database: Database,
    ) -> None:
        self.client, self.settings, self.world, self.clock = client, settings, world, clock
        self.database = database

    def as_(self, role: Role, org: Any = None) -> dict[str, str]:
        return auth_headers_at(self.settings, self.world.principal(role, org), self.clock.now())

    async def get(self, url: str, role: Role, org: Any = None, **params: Any) -> httpx.Response:
        return await self.client.get(url, headers=self.as_(role, org), params=params)

    async def feed(self, role: Role, org: Any = None, cursor: str = "0") -> tuple[list[Any], str]:
        """Every item after ``cursor``, following ``next_cursor`` to the end."""
        items: list[Any] = []
        while True:
            r = await self.get(FEED, role, org, cursor=cursor, limit=2)
            assert r.status_code == 200, r.text
            page = r.json()
            items += page["items"]
            if not page["items"] and page["next_cursor"] == cursor:
                return items, cursor
            cursor = page["next_cursor"]


async def approved_request(door: Door) -> dict[str, Any]:
    """A's request for the member, traced by A's rules and approved by A's reviewer; its
    full read, as A sees it."""
    await publish(door.database, door.world.network_a, no_csags())
    body = request_body(door.world, diagnoses=DIAGNOSES, notes=NOTES)
    body["lines"][1]["brand_reason"] = BRAND_REASON
    r = await door.client.post(
        "/v1/authorization-requests", json=body, headers=door.as_(Role.VENDOR)
    )
    assert r.status_code == 201, r.text
    created = r.json()
    url = f"/v1/authorization-requests/{created['id']}"
    etag = (await door.get(url, Role.REVIEWER)).headers["ETag"]
    r = await door.client.post(
        f"/v1/review/requests/{created['id']}/decision",
        json={"lines": [{"line_number": n, "outcome": "approved"} for n in (1, 2)]},
        headers={**door.as_(Role.REVIEWER), "If-Match": etag},
    )
    assert r.status_code == 200, r.text
    read = await door.get(url, Role.REVIEWER)
    assert read.status_code == 200
    return dict(read.json())


def clinical_fragments(a_read: dict[str, Any]) -> list[str]:
    """Texts of A's clinical record that must never reach B."""
    traces = [
        step["message"]
        for line in a_read["lines"]
        for step in [*line["rules"]["trace"], *line["rules"]["reasons"]]
    ]
    assert traces, "the rules left a trace on A's request"
    fragments = [*DIAGNOSES, NOTES, PRESCRIBER, BRAND_REASON, *traces]
    birth = a_read["member"].get("birth_date")
    if birth:
        fragments.append(birth)
    return fragments


def assert_nothing_of(text: str, fragments: list[str], where: str) -> None:
    for fragment in fragments:
        assert fragment not in text, f"{where} holds {fragment!r}"


async def move_member(door: Door, effective: date) -> None:
    r = await door.client.post(
        f"/v1/members/{door.world.member.cin}/enrollments",
        json={"network": door.world.network_b.code, "effective_from": effective.isoformat()},
        headers=door.as_(Role.PLAN_ADMIN),
    )
    assert r.status_code == 201, r.text


async def b_feed_rows(database: Database, world: World) -> list[RequestChange]:
    async with unit_of_work(database) as s:
        found = await s.scalars(
            select(RequestChange)
            .where(RequestChange.network_id == world.network_b.id)
            .order_by(RequestChange.id)
        )
        return list(found)


@pytest.fixture
async def portal(app: FastAPI) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


async def sign_in_b_reviewer(portal: httpx.AsyncClient, database: Database, world: World) -> None:
    name, secret = await make_account(
        database,
        role=Role.REVIEWER,
        org_kind=OrgKind.NETWORK,
        org_id=world.network_b.id,
        machine=False,
    )
    page = await portal.get("/portal/sign-in")
    r = await portal.post(
        "/portal/sign-in",
        data={"username": name, "password": secret, "csrf_token": csrf_token(page.text)},
    )
    assert r.status_code == 303


B_ROLES = (Role.REVIEWER, Role.NETWORK_CLIENT)


async def test_after_a_move_b_reads_only_the_continuity_view_from_the_effective_date(
    client: httpx.AsyncClient,
    portal: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> None:
    door = Door(client, settings, world, clock, database)
    b = world.network_b
    a_read = await approved_request(door)
    request_id = a_read["id"]
    secrets = clinical_fragments(a_read)
    numbers = {line["authorization"]["number"] for line in a_read["lines"]}

    # A's reviewer reads its feed to the end; so do B's roles (nothing of A's in it).
    _, a_cursor = await door.feed(Role.REVIEWER)
    b_cursors = {role: (await door.feed(role, b))[1] for role in B_ROLES}

    # The plan records a move effective in ten days.
    await move_member(door, MOVE)

    # Before the effective date, B reads nothing of it: feed (next page or rewound), lists,
    # reads by id, the request.
    for role in B_ROLES:
        for cursor in (b_cursors[role], "0"):
            items, _ = await door.feed(role, b, cursor)
            assert items == [], role
            r = await door.get(FEED, role, b, cursor=cursor)
            assert_nothing_of(r.text, [request_id, *secrets, *numbers], f"{role} feed")
        assert (
            await door.get(f"/v1/authorization-requests/{request_id}", role, b)
        ).status_code == 404
    for role in (Role.REVIEWER, Role.CARE_COORDINATOR):
        r = await door.get(AUTHORIZATIONS, role, b)
        assert r.status_code == 200, r.text
        assert r.json()["items"] == [], role
        for line in a_read["lines"]:
            auth_id = line["authorization"]["id"]
            assert (await door.get(f"{AUTHORIZATIONS}/{auth_id}", role, b)).status_code == 404
    # The worker finds nothing of this move to announce yet (the database is shared with other
    # tests, so the sweep's own count is not this move's: B's feed rows are).
    await continuity_feed.sweep(database, now=clock.now())
    assert [r for r in await b_feed_rows(database, world)] == []

    # B's reviewer in the portal: queue, dashboard and A's request pages show nothing of A's.
    await sign_in_b_reviewer(portal, database, world)
    for url in ("/portal/", "/portal/review"):
        page = await portal.get(url, follow_redirects=True)
        assert page.status_code == 200, url
        assert_nothing_of(page.text, [request_id, *secrets], url)
    page = await portal.get(f"/portal/review/requests/{request_id}")
    assert page.status_code == 404
    assert_nothing_of(page.text, secrets, "the review page of A's request")
    # The vendor's request page is not a reviewer's page at all (refused whatever the id).
    page = await portal.get(f"/portal/requests/{request_id}")
    assert page.status_code == 403
    assert_nothing_of(page.text, [request_id, *secrets], "the vendor's request page")

    # On the effective date, the worker appends one continuity change to B's feed, once.
    clock.set(at(MOVE))
    await asyncio.gather(*(continuity_feed.sweep(database, now=clock.now()) for _ in range(2)))
    await continuity_feed.sweep(database, now=clock.now())
    (row,) = await b_feed_rows(database, world)
    assert row.kind == "member_moved_network"

    for role in B_ROLES:
        for cursor in (b_cursors[role], "0"):  # the next page, and rewound to the start
            r = await door.get(FEED, role, b, cursor=cursor)
            assert r.status_code == 200
            assert_nothing_of(r.text, secrets, f"{role} feed on the effective date")
            assert request_id not in r.text
            (item,) = r.json()["items"]
            assert item["kind"] == "member_moved_network"
            assert item["request"] is None
            view = item["continuity"]
            assert view["member"] == {
                "cin": world.member.cin,
                "first_name": world.member.first_name,
                "last_name": world.member.last_name,
            }
            assert view["source_network"]["id"] == str(world.network_a.id)
            assert view["effective_from"] == MOVE.isoformat()
            assert {a["number"] for a in view["authorizations"]} == numbers
            assert {a["hcpcs"] for a in view["authorizations"]} == {"L1960", "E1161"}
            for a in view["authorizations"]:
                assert set(a) == {
                    "authorization_id",
                    "number",
                    "hcpcs",
                    "description",
                    "modifiers",
                    "quantity",
                    "unit",
                    "frequency",
                    "start_date",
                    "end_date",
                    "continuity_until",
                    "vendor",
                }
    # The feed read is in the access log, naming the member B now honours.
    async with unit_of_work(database) as s:
        entry = (
            await s.scalars(
                select(AccessLog)
                .where(AccessLog.role == Role.NETWORK_CLIENT.value, AccessLog.org_id == b.id)
                .order_by(AccessLog.at.desc(), AccessLog.id)
            )
        ).first()
    assert entry is not None
    assert entry.route == FEED
    assert entry.member_count == 1
    assert entry.network_id == b.id

    # B lists the authorizations it honours now (and nothing clinical with them).
    r = await door.get(AUTHORIZATIONS, Role.REVIEWER, b)
    assert {a["number"] for a in r.json()["items"]} == numbers
    assert_nothing_of(r.text, secrets, "B's authorization list")
    # Who decided at A is A's business: the vendor is told, B is not.
    assert {a["issued_by"] for a in r.json()["items"]} == {"network"}
    vendor_view = await door.get(AUTHORIZATIONS, Role.VENDOR)
    assert {a["issued_by"] for a in vendor_view.json()["items"]} == {"user:test-reviewer"}
    for a in r.json()["items"]:
        one = await door.get(f"{AUTHORIZATIONS}/{a['id']}", Role.REVIEWER, b)
        assert one.status_code == 200
        assert one.json()["issued_by"] == "network"
    assert (
        await door.get(f"/v1/authorization-requests/{request_id}", Role.REVIEWER, b)
    ).status_code == 404

    # A still sees its own request moved, with the request, in its own feed.
    items, _ = await door.feed(Role.REVIEWER, cursor=a_cursor)
    moved = [i for i in items if i["kind"] == "member_moved_network"]
    assert [i["request"]["id"] for i in moved] == [request_id]
    assert moved[0]["continuity"] is None


async def test_a_move_effective_today_is_announced_at_once_and_once(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> None:
    door = Door(client, settings, world, clock, database)
    a_read = await approved_request(door)
    clock.set(at(NOW.date() + timedelta(days=2)))  # the request's period has begun
    await move_member(door, NOW.date() + timedelta(days=2))
    items, _ = await door.feed(Role.NETWORK_CLIENT, world.network_b)
    assert [i["kind"] for i in items] == ["member_moved_network"]
    assert items[0]["request"] is None
    assert_nothing_of(json.dumps(items), clinical_fragments(a_read), "B's feed")
    await continuity_feed.sweep(database, now=clock.now())
    assert len(await b_feed_rows(database, world)) == 1


async def test_rows_written_before_the_fix_never_leak(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> None:
    """A feed row for B pointing at A's request (what the move wrote before issue 21) is
    filtered at read time through the scoping, whatever the cursor."""
    door = Door(client, settings, world, clock, database)
    a_read = await approved_request(door)
    async with unit_of_work(database) as s:
        s.add(
            RequestChange(
                network_id=world.network_b.id,
                request_id=uuid.UUID(a_read["id"]),
                kind="member_moved_network",
                changed_at=clock.now(),
            )
        )
    for role in B_ROLES:
        r = await door.get(FEED, role, world.network_b, cursor="0")
        assert r.status_code == 200
        assert r.json()["items"] == []
        assert a_read["id"] not in r.text
        assert_nothing_of(r.text, clinical_fragments(a_read), f"{role} feed")
        # The cursor moves past it, so a client does not poll the same row for ever.
        assert int(r.json()["next_cursor"]) > 0


async def test_a_full_batch_never_splits_a_move(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> None:
    """Two children move at once (A to B, and B's member to A): with batches of three, each
    move is still one change with both its authorizations, each announced once."""
    door = Door(client, settings, world, clock, database)
    await approved_request(door)
    body = request_body(world, member_cin=world.member_b.cin)
    r = await client.post("/v1/authorization-requests", json=body, headers=door.as_(Role.VENDOR))
    assert r.status_code == 201, r.text
    created = r.json()
    b_reviewer = door.as_(Role.REVIEWER, world.network_b)
    url = f"{REQUESTS}/{created['id']}"
    etag = (await client.get(url, headers=b_reviewer)).headers["ETag"]
    r = await client.post(
        f"/v1/review/requests/{created['id']}/decision",
        json={"lines": [{"line_number": n, "outcome": "approved"} for n in (1, 2)]},
        headers={**b_reviewer, "If-Match": etag},
    )
    assert r.status_code == 200, r.text
    await move_member(door, MOVE)
    r = await client.post(
        f"/v1/members/{world.member_b.cin}/enrollments",
        json={"network": world.network_a.code, "effective_from": MOVE.isoformat()},
        headers=door.as_(Role.PLAN_ADMIN),
    )
    assert r.status_code == 201, r.text
    clock.set(at(MOVE))
    # Other tests' moves share the database: what this world's networks got is what counts.
    await continuity_feed.sweep(database, now=clock.now(), batch=3)
    async with unit_of_work(database) as s:
        rows = list(
            await s.scalars(
                select(RequestChange).where(
                    RequestChange.kind == "member_moved_network",
                    RequestChange.continuity.is_not(None),
                    RequestChange.network_id.in_([world.network_a.id, world.network_b.id]),
                )
            )
        )
    assert sorted(len(r.continuity["authorizations"]) for r in rows if r.continuity) == [2, 2]
    assert {r.network_id for r in rows} == {world.network_a.id, world.network_b.id}
