"""Issue 21 point 8: idempotency records answer only their caller, only for 24 hours, and
the worker purges them and spent sign-in throttle rows.

The worker purges idempotency records after 24 hours; a key replayed by another client of
the same vendor is not answered from the first caller's record.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from dme_portal import retention
from dme_portal.auth.models import LoginThrottle
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.idempotency.models import IdempotencyRecord
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import (
    NOW,
    World,
    assert_problem,
    auth_headers_at,
    count_idempotency_records,
    count_requests,
    request_body,
)

URL = "/v1/authorization-requests"
WINDOW = timedelta(hours=24)


def vendor_client(world: World, name: str) -> Principal:
    return Principal(
        subject=f"client:{name}-{world.vendor.id.hex[:8]}",
        role=Role.VENDOR_CLIENT,
        org_kind=OrgKind.VENDOR,
        org_id=world.vendor.id,
    )


def scope(world: World) -> str:
    return f"vendor:{world.vendor.id}"


async def post(
    client: httpx.AsyncClient,
    settings: Settings,
    clock: FrozenClock,
    who: Principal,
    key: str,
    body: dict[str, Any],
) -> httpx.Response:
    headers = {**auth_headers_at(settings, who, clock.now()), "Idempotency-Key": key}
    return await client.post(URL, json=body, headers=headers)


def leaks_nothing(r: httpx.Response, world: World, first: dict[str, Any]) -> None:
    for text in (first["id"], world.member.cin, first["member"]["last_name"], "G80.0"):
        assert text not in r.text, text
    assert "Idempotent-Replayed" not in r.headers
    assert "Location" not in r.headers


class TestReplayOnlyToTheCaller:
    async def test_the_same_client_gets_the_replay_another_client_a_409(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        clock: FrozenClock,
        database: Database,
    ) -> None:
        one, two = vendor_client(world, "one"), vendor_client(world, "two")
        key, body = f"K-{uuid.uuid4()}", request_body(world)

        first = await post(client, settings, clock, one, key, body)
        assert first.status_code == 201, first.text
        again = await post(client, settings, clock, one, key, body)
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()

        for other_body in (body, request_body(world)):
            r = await post(client, settings, clock, two, key, other_body)
            problem = assert_problem(r, 409, code="idempotency.key_in_use")
            assert "another caller" in problem["detail"].lower()
            leaks_nothing(r, world, first.json())
        # A person of the same vendor is another caller too.
        r = await post(client, settings, clock, world.principal(Role.VENDOR), key, body)
        assert_problem(r, 409, code="idempotency.key_in_use")
        leaks_nothing(r, world, first.json())

        assert await count_requests(database, world.vendor.id) == 1
        async with unit_of_work(database) as s:
            record = (
                await s.execute(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.scope == scope(world), IdempotencyRecord.key == key
                    )
                )
            ).scalar_one()
        assert record.subject == one.subject
        assert record.expires_at == NOW + WINDOW


class TestWindowAndPurge:
    async def test_expired_records_are_never_replayed_and_the_worker_purges_them(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        clock: FrozenClock,
        database: Database,
    ) -> None:
        one = vendor_client(world, "one")
        key, body = f"K-{uuid.uuid4()}", request_body(world)
        first = await post(client, settings, clock, one, key, body)
        assert first.status_code == 201, first.text

        clock.set(NOW + WINDOW - timedelta(seconds=1))
        assert (await post(client, settings, clock, one, key, body)).headers[
            "Idempotent-Replayed"
        ] == "true"
        await retention.run_once(database, now=clock.now(), settings=settings)
        assert await count_idempotency_records(database, scope(world)) == 1

        clock.set(NOW + WINDOW + timedelta(seconds=1))
        # Past the window, before any purge: the key is free, nothing is replayed. The same
        # body again is a new submission, refused as a duplicate of the first request.
        r = await post(client, settings, clock, one, key, body)
        assert_problem(r, 409, code="authorization_request.duplicate")
        assert "Idempotent-Replayed" not in r.headers

        await retention.run_once(database, now=clock.now(), settings=settings)
        assert await count_idempotency_records(database, scope(world)) == 0

        # The key reused after its window creates afresh.
        fresh = await post(client, settings, clock, one, key, request_body(world))
        assert fresh.status_code == 201, fresh.text
        assert "Idempotent-Replayed" not in fresh.headers
        assert fresh.json()["id"] != first.json()["id"]
        assert await count_requests(database, world.vendor.id) == 2
        assert await count_idempotency_records(database, scope(world)) == 1

    async def test_concurrent_retries_after_the_window_store_one_request(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        clock: FrozenClock,
        database: Database,
    ) -> None:
        one = vendor_client(world, "one")
        key = f"K-{uuid.uuid4()}"
        assert (
            await post(client, settings, clock, one, key, request_body(world))
        ).status_code == 201
        clock.set(NOW + WINDOW + timedelta(minutes=5))
        body = request_body(world)
        responses = await asyncio.gather(
            *(post(client, settings, clock, one, key, body) for _ in range(10))
        )
        assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 9
        assert await count_requests(database, world.vendor.id) == 2
        assert await count_idempotency_records(database, scope(world)) == 1

    async def test_the_worker_purges_spent_sign_in_throttle_rows(
        self, settings: Settings, database: Database
    ) -> None:
        later = NOW + timedelta(hours=24, seconds=1)
        rows = {
            "spent": (NOW, None),  # its window began 24 h 1 s ago: nothing to count
            "spent, wait over": (NOW, NOW + timedelta(minutes=15)),
            "waiting": (NOW, later + timedelta(minutes=5)),  # its wait still runs
            "recent": (later - timedelta(hours=1), None),  # its window still counts
        }
        keys = {name: f"pair:{uuid.uuid4().hex}" for name in rows}
        async with unit_of_work(database) as s:
            for name, (started, until) in rows.items():
                s.add(
                    LoginThrottle(
                        key=keys[name], window_started_at=started, failures=5, locked_until=until
                    )
                )

        before = await retention.run_once(
            database, now=later - timedelta(seconds=2), settings=settings
        )
        assert before.throttle_rows >= 0
        assert await throttle_keys(database, keys.values()) == set(keys.values())

        purged = await retention.run_once(database, now=later, settings=settings)
        assert purged.throttle_rows >= 2
        assert await throttle_keys(database, keys.values()) == {keys["waiting"], keys["recent"]}


async def throttle_keys(database: Database, keys: Any) -> set[str]:
    async with unit_of_work(database) as s:
        found = await s.execute(select(LoginThrottle.key).where(LoginThrottle.key.in_(list(keys))))
        return set(found.scalars())
