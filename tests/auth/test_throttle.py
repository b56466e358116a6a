"""Sign-ins (POST /v1/auth/token, the portal's form): failed attempts throttled per account and
address pair, per account from unknown addresses, and per address, with growing delays."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from dme_portal.audit.models import AccessAction, AccessLog, Outcome
from dme_portal.auth.models import KnownSignInAddress, LoginThrottle
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.auth.throttle import Policy, keyed_hash, pair_key, purge_stale
from dme_portal.config import LimitSettings, Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.main import create_app
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import World, assert_problem, auth_headers, make_account

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
        address = address or random_address()
        transport = httpx.ASGITransport(app=limited_app, client=(f"127.{address}", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c

    return make


async def person(database: Database, world: World) -> tuple[str, str]:
    return await make_account(
        database, role=Role.VENDOR, org_kind=OrgKind.VENDOR, org_id=world.vendor.id, machine=False
    )


def random_address() -> str:
    """Three octets: the caller's address is ``127.<them>``."""
    return ".".join(str(random.randint(1, 254)) for _ in range(3))


async def portal_sign_in(c: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    """The portal's sign-in form, with its CSRF token."""
    page = await c.get("/portal/sign-in")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return await c.post(
        "/portal/sign-in",
        data={"username": username, "password": password, "csrf_token": match.group(1)},
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


class TestPerAccountAndAddress:
    """Failures of one account from one address: that pair waits, longer each time."""

    async def test_delays_grow_after_the_fifth_failure(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, _ = await person(database, world)
        async with caller() as c:
            for attempt in range(5):
                r = await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")
            waits = []
            for attempt in range(4):
                waits.append(assert_throttled(await c.post(TOKEN_URL, data=login(username, "x"))))
                clock.advance(timedelta(seconds=waits[-1]))
                r = await c.post(TOKEN_URL, data=login(username, f"later-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")  # one more try, then wait
        assert waits == [15, 30, 60, 120]

    async def test_the_wait_holds_that_address_only(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, password = await person(database, world)
        async with caller() as c:
            for attempt in range(5):
                await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
            # The right password waits too from this address: the delay is what stops guessing.
            assert assert_throttled(await c.post(TOKEN_URL, data=login(username, password))) == 15
            async with caller() as elsewhere:
                r = await elsewhere.post(TOKEN_URL, data=login(username, password))
                assert r.status_code == 200, r.text
            clock.advance(timedelta(seconds=15))
            r = await c.post(TOKEN_URL, data=login(username, password))
            assert r.status_code == 200, r.text
            # The token works: the pair waited, not the account.
            me = {"Authorization": f"Bearer {r.json()['access_token']}"}
            assert (await c.get("/v1/networks", headers=me)).status_code == 200

    async def test_a_success_resets_the_count(
        self, caller: Caller, database: Database, world: World
    ) -> None:
        username, password = await person(database, world)
        async with caller() as c:
            for attempt in range(4):
                await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200
            for attempt in range(4):
                r = await c.post(TOKEN_URL, data=login(username, f"again-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200

    async def test_failures_are_forgotten_a_day_after_the_first(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, password = await person(database, world)
        async with caller() as c:
            for attempt in range(4):
                await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
            clock.advance(timedelta(hours=24, seconds=1))
            for attempt in range(4):
                r = await c.post(TOKEN_URL, data=login(username, f"later-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200

    async def test_unknown_user_names_are_throttled_too(self, caller: Caller) -> None:
        probe = f"nobody-{uuid.uuid4().hex[:8]}"
        async with caller() as c:
            for attempt in range(5):
                r = await c.post(TOKEN_URL, data=login(probe, f"guess-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")
            assert assert_throttled(await c.post(TOKEN_URL, data=login(probe, "guess"))) == 15

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
            for attempt in range(5):
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


class TestStrangersCannotLockAnAccount:
    """Issue 21: failures from many addresses make unknown addresses wait, never a known one."""

    async def test_the_right_password_from_last_weeks_address_signs_in(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, password = await person(database, world)
        home = random_address()
        clock.advance(timedelta(days=-7))
        async with caller(home) as c:
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200
        clock.advance(timedelta(days=7))
        for attempt in range(10):  # ten failed sign-ins from ten addresses
            async with caller() as stranger:
                r = await stranger.post(TOKEN_URL, data=login(username, f"guess-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")
        async with caller() as stranger:  # unknown addresses now wait, the right password too
            assert assert_throttled(await stranger.post(TOKEN_URL, data=login(username, password)))

        async with caller(home) as c:
            r = await c.post(TOKEN_URL, data=login(username, password))
        assert r.status_code == 200, r.text
        me = {"Authorization": f"Bearer {r.json()['access_token']}"}
        async with caller(home) as c:
            assert (await c.get("/v1/networks", headers=me)).status_code == 200

    async def test_unknown_addresses_share_a_budget_with_growing_delays(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, password = await person(database, world)
        for attempt in range(10):
            async with caller() as stranger:
                await stranger.post(TOKEN_URL, data=login(username, f"guess-{attempt}"))
        waits = []
        for attempt in range(3):
            async with caller() as stranger:
                waits.append(
                    assert_throttled(await stranger.post(TOKEN_URL, data=login(username, "x")))
                )
            clock.advance(timedelta(seconds=waits[-1]))
            async with caller() as stranger:
                r = await stranger.post(TOKEN_URL, data=login(username, f"more-{attempt}"))
                assert_problem(r, 400, code="oauth.invalid_grant")
        assert waits == [15, 30, 60]
        async with caller() as newcomer:  # the owner, from a new address: waits too
            assert (
                assert_throttled(await newcomer.post(TOKEN_URL, data=login(username, password)))
                == 120
            )

    async def test_thirty_one_days_later_the_address_is_no_longer_known(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, password = await person(database, world)
        home = random_address()
        async with caller(home) as c:
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200
        clock.advance(timedelta(days=31))
        for attempt in range(10):
            async with caller() as stranger:
                await stranger.post(TOKEN_URL, data=login(username, f"guess-{attempt}"))
        async with caller(home) as c:
            assert assert_throttled(await c.post(TOKEN_URL, data=login(username, password))) == 15

    async def test_a_known_address_still_has_its_own_pair_limit(
        self, caller: Caller, database: Database, world: World
    ) -> None:
        username, password = await person(database, world)
        home = random_address()
        async with caller(home) as c:
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200
            for attempt in range(5):
                await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
            assert assert_throttled(await c.post(TOKEN_URL, data=login(username, password))) == 15

    async def test_the_portal_form_uses_the_same_throttle(
        self, caller: Caller, database: Database, world: World
    ) -> None:
        username, password = await person(database, world)
        home = random_address()
        async with caller(home) as c:
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200
        for attempt in range(10):
            async with caller() as stranger:
                await stranger.post(TOKEN_URL, data=login(username, f"guess-{attempt}"))
        async with caller() as stranger:
            page = await portal_sign_in(stranger, username, password)
            assert page.status_code == 429
            assert int(page.headers["Retry-After"]) == 15
            assert "Too many failed attempts" in page.text
        async with caller(home) as c:
            page = await portal_sign_in(c, username, password)
            assert page.status_code == 303, page.text
            assert page.headers["location"] == "/portal/"


class TestPerAddress:
    async def test_fifty_failures_from_one_address_hold_it_until_the_window_ends(
        self, caller: Caller, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, password = await person(database, world)
        address = random_address()
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


class TestGrowingDelays:
    @pytest.mark.parametrize(
        ("failures", "seconds"),
        [(4, None), (5, 15), (6, 30), (9, 240), (10, 480), (11, 900), (12, 900), (10**6, 900)],
    )
    def test_the_delay_doubles_up_to_the_cap(
        self, settings: Settings, failures: int, seconds: int | None
    ) -> None:
        policy = Policy.of(settings)
        delay = policy.delay(failures, before_delay=5)
        assert (delay.total_seconds() if delay else None) == seconds


LOG_URL = "/v1/audit/access-log"


class TestLockoutsInTheAccessLog:
    async def _sign_in_rows(
        self, c: httpx.AsyncClient, headers: dict[str, str], subject: str
    ) -> list[dict[str, Any]]:
        r = await c.get(LOG_URL, params={"subject": subject, "action": "sign-in"}, headers=headers)
        assert r.status_code == 200, r.text
        items: list[dict[str, Any]] = r.json()["items"]
        return items

    async def test_the_plan_admin_sees_the_lockout_and_the_refusal(
        self, caller: Caller, database: Database, world: World, settings: Settings
    ) -> None:
        username, password = await person(database, world)
        address = random_address()
        async with caller(address) as c:
            for attempt in range(5):
                await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
            assert_throttled(await c.post(TOKEN_URL, data=login(username, password)))
            plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
            rows = await self._sign_in_rows(c, plan, f"user:{username}")
        # Both at the frozen clock's one moment: the order between them is the ids'.
        assert sorted(r["outcome"] for r in rows) == ["locked-out", "throttled"]
        for row in rows:
            assert row["client_address"] == f"127.{address}"
            assert row["route"] == TOKEN_URL
            assert (row["role"], row["org_id"]) == ("vendor", str(world.vendor.id))
            assert (row["resource_type"], row["member_count"]) == ("account", 0)

    async def test_a_network_admin_sees_its_own_staffs_lockouts_only(
        self, caller: Caller, database: Database, world: World, settings: Settings
    ) -> None:
        username, _ = await make_account(
            database,
            role=Role.REVIEWER,
            org_kind=OrgKind.NETWORK,
            org_id=world.network_a.id,
            machine=False,
        )
        async with caller() as c:
            for attempt in range(5):
                page = await portal_sign_in(c, username, f"wrong-{attempt}")
                assert page.status_code == 400
            own = auth_headers(settings, world.principal(Role.NETWORK_ADMIN, world.network_a))
            other = auth_headers(settings, world.principal(Role.NETWORK_ADMIN, world.network_b))
            rows = await self._sign_in_rows(c, own, f"user:{username}")
            assert await self._sign_in_rows(c, other, f"user:{username}") == []
        assert [(r["outcome"], r["route"]) for r in rows] == [("locked-out", "/portal/sign-in")]
        assert rows[0]["network_id"] == str(world.network_a.id)

    async def test_a_name_that_is_no_account_is_logged_without_the_name(
        self, caller: Caller, database: Database
    ) -> None:
        probe = f"Winter2026-{uuid.uuid4().hex[:8]}"  # what was typed may be a password
        address = random_address()
        async with caller(address) as c:
            for attempt in range(6):
                await c.post(TOKEN_URL, data=login(probe, f"guess-{attempt}"))
        async with unit_of_work(database) as s:
            rows = (
                await s.execute(
                    select(AccessLog.subject, AccessLog.outcome, AccessLog.org_id).where(
                        AccessLog.client_address == f"127.{address}",
                        AccessLog.action == AccessAction.SIGN_IN,
                    )
                )
            ).all()
            named = await s.scalar(
                select(func.count()).select_from(AccessLog).where(AccessLog.subject.contains(probe))
            )
        assert sorted((r.subject, r.outcome) for r in rows) == [
            ("unknown:user", Outcome.LOCKED_OUT),
            ("unknown:user", Outcome.THROTTLED),
        ]
        assert named == 0


class TestPurge:
    async def test_the_sweep_keeps_what_still_counts_and_drops_the_rest(
        self,
        caller: Caller,
        database: Database,
        world: World,
        clock: FrozenClock,
        settings: Settings,
    ) -> None:
        username, password = await person(database, world)
        home, other = random_address(), random_address()
        account = f"user:{username}"
        async with caller(home) as c:
            assert (await c.post(TOKEN_URL, data=login(username, password))).status_code == 200
        async with caller(other) as c:
            for attempt in range(5):
                await c.post(TOKEN_URL, data=login(username, f"wrong-{attempt}"))
        pair = pair_key(account, f"127.{other}")
        policy = Policy.of(settings)

        async def state() -> tuple[bool, bool]:
            """Whether the pair's count and the known address's row are still stored."""
            async with unit_of_work(database) as s:
                found = await s.scalar(select(LoginThrottle.id).where(LoginThrottle.key == pair))
                known = await s.scalar(
                    select(KnownSignInAddress.id).where(
                        KnownSignInAddress.account_key_hash == keyed_hash(policy.pepper, account)
                    )
                )
            return found is not None, known is not None

        async def sweep() -> None:
            async with unit_of_work(database) as s:
                await purge_stale(s, now=clock.now(), settings=settings)

        clock.advance(timedelta(hours=23))
        await sweep()
        assert await state() == (True, True)  # the pair's failures still count
        clock.advance(timedelta(hours=1))
        await sweep()
        assert await state() == (False, True)
        clock.advance(timedelta(days=29))
        await sweep()
        assert await state() == (False, False)  # 30 days after the sign-in
