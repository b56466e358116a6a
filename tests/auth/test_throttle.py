"""POST /v1/auth/token: failed attempts throttled per account and per address, with lockout."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import LimitSettings, Settings
from dme_portal.db.engine import Database
from dme_portal.main import create_app
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import World, assert_problem, make_account

TOKEN_URL = "/v1/auth/token"
Caller = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def limited_app(settings: Settings, clock: FrozenClock, database: Database) -> FastAPI:
    """The app with the default limits (the shared test app does not throttle by address)."""
    return create_app(
        settings.model_copy(update={"limits": LimitSettings()}), clock=clock, database=database
    )


@pytest.fixture
def caller(limited_app: FastAPI) -> Caller:
    """A client calling from an address of its own (a label in the ASGI scope; no traffic)."""

    @asynccontextmanager
    async def make(address: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        address = address or ".".join(str(random.randint(1, 254)) for _ in range(3))
        transport = httpx.ASGITransport(app=limited_app, client=(f"127.{address}", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c

    return make


async def person(database: Database, world: World) -> tuple[str, str]:
    return await make_account(
        database, role=Role.VENDOR, org_kind=OrgKind.VENDOR, org_id=world.vendor.id, machine=False
    )


def login(username: str, password: str) -> dict[str, str]:
    return {"grant_type": "password", "username": username, "password": password}


def assert_throttled(r: httpx.Response) -> int:
    problem = assert_problem(r, 429, code="oauth.slow_down")
    assert problem["error"] == "slow_down"
    assert r.headers["Cache-Control"] == "no-store"
    retry_after = int(r.headers["Retry-After"])
    assert retry_after > 0
    assert problem["retry_after"] == retry_after
    return retry_after


class TestPerAccount:
    async def test_the_eleventh_wrong_password_in_a_minute_gets_429(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, _ = await person(database, world)
        async with caller() as c:
            for attempt in range(10):
                r = await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")
                clock.advance(timedelta(seconds=5))  # ten failures within the minute
            eleventh = await c.post(TOKEN_URL, data=login(username, "wrong-again"))

        retry_after = assert_throttled(eleventh)
        assert retry_after == 15 * 60 - 5  # the lockout, counted from the tenth failure

    async def test_a_locked_account_refuses_the_right_password_until_the_lockout_ends(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, password = await person(database, world)
        async with caller() as c:
            for attempt in range(10):
                await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
            assert_throttled(await c.post(TOKEN_URL, data=login(username, password)))

            clock.advance(timedelta(minutes=14, seconds=59))
            locked = await c.post(TOKEN_URL, data=login(username, password))
            assert assert_throttled(locked) == 1

            clock.advance(timedelta(seconds=1))
            r = await c.post(TOKEN_URL, data=login(username, password))
            assert r.status_code == 200, r.text
            # The token works: the account, not the caller, was locked.
            me = {"Authorization": f"Bearer {r.json()['access_token']}"}
            assert (await c.get("/v1/networks", headers=me)).status_code == 200

    async def test_a_success_resets_the_count(
        self, caller: Caller, database: Database, world: World
    ) -> None:
        username, password = await person(database, world)
        async with caller() as c:
            for attempt in range(9):
                await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200
            for attempt in range(9):
                r = await c.post(TOKEN_URL, data=login(username, f"again-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200

    async def test_failures_older_than_the_window_do_not_count(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, password = await person(database, world)
        async with caller() as c:
            for attempt in range(9):
                await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
            clock.advance(timedelta(seconds=61))
            for attempt in range(9):
                r = await c.post(TOKEN_URL, data=login(username, f"later-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200

    async def test_unknown_user_names_are_throttled_too(self, caller: Caller) -> None:
        probe = f"nobody-{uuid.uuid4().hex[:8]}"
        async with caller() as c:
            for attempt in range(10):
                r = await c.post(TOKEN_URL, data=login(probe, f"guess-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")
            assert_throttled(await c.post(TOKEN_URL, data=login(probe, "guess")))

    async def test_the_lock_follows_the_account_from_any_address(
        self, caller: Caller, database: Database, world: World
    ) -> None:
        username, password = await person(database, world)
        async with caller() as c:
            for attempt in range(10):
                await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
        async with caller() as elsewhere:
            assert_throttled(await elsewhere.post(TOKEN_URL, data=login(username, password)))

    async def test_machine_clients_are_throttled_by_client_id(
        self, caller: Caller, database: Database, world: World
    ) -> None:
        client_id, secret = await make_account(
            database,
            role=Role.VENDOR_CLIENT,
            org_kind=OrgKind.VENDOR,
            org_id=world.vendor.id,
            machine=True,
        )
        form = {"grant_type": "client_credentials", "client_id": client_id}
        async with caller() as c:
            for attempt in range(10):
                r = await c.post(TOKEN_URL, data={**form, "client_secret": f"wrong-{attempt}"})
                assert_problem(r, 401, code="oauth.invalid_client")
            assert_throttled(await c.post(TOKEN_URL, data={**form, "client_secret": secret}))
            # ... and through HTTP Basic, the same account.
            assert_throttled(
                await c.post(
                    TOKEN_URL,
                    data={"grant_type": "client_credentials"},
                    auth=(client_id, secret),
                )
            )


class TestPerAddress:
    async def test_fifty_failures_from_one_address_hold_it_until_the_window_ends(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, password = await person(database, world)
        address = f"{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(1, 254)}"
        async with caller(address) as c:
            # Spread over many names, so no account reaches its own limit.
            for attempt in range(50):
                probe = f"spray-{attempt % 10}-{uuid.uuid4().hex[:6]}"
                r = await c.post(TOKEN_URL, data=login(probe, "Winter2026!"))
                assert_problem(r, 400, code="oauth.invalid_grant")
            clock.advance(timedelta(seconds=20))
            held = await c.post(TOKEN_URL, data=login(username, password))
            assert assert_throttled(held) == 40  # until the minute that began it ends

        async with caller() as other:  # another address is not held
            assert (await other.post(TOKEN_URL, data=login(username, password))).status_code == 200

        clock.advance(timedelta(seconds=40))
        async with caller(address) as c:
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200
