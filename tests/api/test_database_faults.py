"""Issue 15, point 6: a database that goes away is a 503 with Retry-After, never a 500.

The PostgreSQL test takes a database of its own away for real while 200 requests are in
flight (``ALLOW_CONNECTIONS false`` and every backend terminated), brings it back, and checks
every answer, then that every acknowledged write is still there.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from dme_portal.api.deps import SessionDep
from dme_portal.auth.roles import Role
from dme_portal.config import AuthSettings, DatabaseSettings, Settings
from dme_portal.db import migrate
from dme_portal.db.engine import Database
from dme_portal.main import create_app
from dme_portal.networks.models import HealthPlan
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW, REQUESTS_URL, World, auth_headers, make_world, request_body
from fixtures.postgres import PostgresServer

PROBLEM_JSON = "application/problem+json"


def _settings(url: str) -> Settings:
    return Settings(
        env="test",
        db=DatabaseSettings(url=url),
        auth=AuthSettings(secret_key="test-secret-" + "x" * 40),
    )


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert 1 <= int(response.headers["Retry-After"]) <= 10
    body = response.json()
    assert body["code"] == "service.unavailable"
    # No internals: no driver, host, SQL or exception text.
    for leak in ("asyncpg", "sqlite", "127.0.0.1", "SELECT", "Error", "connect"):
        assert leak not in (body["detail"] or "")


async def _asgi(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


class TestUnreachableDatabase:
    """A database that cannot be reached at all: every route that needs it answers 503."""

    @pytest.fixture
    async def dead_app(
        self, database_url: str, tmp_path: Path, pg_server: PostgresServer | None
    ) -> AsyncIterator[FastAPI]:
        if database_url.startswith("sqlite"):
            # The directory does not exist: SQLite says "unable to open database file".
            url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'nowhere.db'}"
        else:
            assert pg_server is not None
            # A database that does not accept connections (as during a restart).
            name = f"dme_down_{uuid.uuid4().hex[:10]}"
            admin = await asyncpg.connect(pg_server.url("postgres", driver="postgresql"))
            await admin.execute(f'CREATE DATABASE "{name}"')
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            url = pg_server.url(name)
        settings = _settings(url)
        db = Database.from_url(url)
        try:
            yield create_app(settings, clock=FrozenClock(NOW), database=db)
        finally:
            await db.dispose()
            if not database_url.startswith("sqlite"):
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await admin.close()

    async def test_reads_writes_and_readiness_are_503(
        self, dead_app: FastAPI, world: World
    ) -> None:
        settings: Settings = dead_app.state.settings
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        async with await _asgi(dead_app) as c:
            _assert_unavailable(await c.get("/readyz"))
            assert (await c.get("/healthz")).status_code == 200
            _assert_unavailable(await c.get(REQUESTS_URL, headers=vendor))
            _assert_unavailable(
                await c.post(
                    REQUESTS_URL,
                    json=request_body(world),
                    headers={**vendor, "Idempotency-Key": str(uuid.uuid4())},
                )
            )


@dataclass
class _Load:
    """What the load saw, and the gates that order it around the outage."""

    statuses: list[tuple[str, int, bool]] = field(default_factory=list)  # phase, status, R-A
    created: list[str] = field(default_factory=list)
    done: int = 0
    first_half: asyncio.Event = field(default_factory=asyncio.Event)
    outage: asyncio.Event = field(default_factory=asyncio.Event)
    outage_done: asyncio.Event = field(default_factory=asyncio.Event)
    restored: asyncio.Event = field(default_factory=asyncio.Event)
    during: int = 0


@pytest.mark.postgres
class TestRestartUnderLoad:
    """Acceptance: a database restart under load yields 503s, never 500s."""

    BEFORE, DURING, AFTER = 50, 100, 50

    @pytest.fixture
    async def own_database(
        self, pg_server: PostgresServer | None
    ) -> AsyncIterator[tuple[str, asyncpg.Connection]]:
        # A server restart is a PostgreSQL matter (SQLite's faults are TestUnreachableDatabase's);
        # this runs once, on a database of its own, whatever the run's backends.
        if pg_server is None:
            pytest.skip("PostgreSQL not available (see the summary at the end)")
        name = f"dme_restart_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(pg_server.url("postgres", driver="postgresql"))
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield name, admin
        finally:
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()

    async def test_restart_under_load(
        self, own_database: tuple[str, asyncpg.Connection], pg_server: PostgresServer
    ) -> None:
        name, admin = own_database
        url = pg_server.url(name)
        db = Database.from_url(url, pool_size=5)
        await migrate.upgrade(db.engine)
        world = await make_world(db)
        settings = _settings(url)
        app = create_app(settings, clock=FrozenClock(NOW), database=db)
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        bodies = [request_body(world) for _ in range(40)]
        load = _Load()
        async with await _asgi(app) as c:
            # Writes acknowledged before the outage, to look for after it.
            for body in bodies[30:]:
                r = await c.post(
                    REQUESTS_URL,
                    json=body,
                    headers={**vendor, "Idempotency-Key": str(uuid.uuid4())},
                )
                assert r.status_code == 201, r.text
                load.created.append(r.json()["id"])
        total = self.BEFORE + self.DURING + self.AFTER

        async def one(i: int, c: httpx.AsyncClient) -> None:
            phase = "before" if i < self.BEFORE else "during"
            if i >= self.BEFORE:
                await load.outage.wait()
            if i >= self.BEFORE + self.DURING:
                await load.restored.wait()
                phase = "after"
            if i % 5 == 0 and i // 5 < 30:
                r = await c.post(
                    REQUESTS_URL,
                    json=bodies[i // 5],
                    headers={**vendor, "Idempotency-Key": str(uuid.uuid4())},
                )
                if r.status_code == 201:
                    load.created.append(r.json()["id"])
            else:
                r = await c.get(REQUESTS_URL, headers=vendor, params={"limit": 5})
            load.statuses.append((phase, r.status_code, "Retry-After" in r.headers))
            if r.status_code >= 500:
                assert r.status_code == 503, r.text
                _assert_unavailable(r)
            load.done += 1
            if load.done == self.BEFORE // 2:
                load.first_half.set()
            if phase == "during":
                load.during += 1
                if load.during == self.DURING:
                    load.outage_done.set()

        async def outage() -> None:
            # Half of the first requests have answered, the rest are in flight or queued for
            # a pooled connection: take the database away under them.
            await load.first_half.wait()
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
            load.outage.set()
            await load.outage_done.wait()
            await admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            load.restored.set()

        try:
            async with await _asgi(app) as c:
                await asyncio.gather(outage(), *(one(i, c) for i in range(total)))
                statuses = [s for _, s, _ in load.statuses]
                assert len(statuses) == total
                assert 500 not in statuses
                assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))
                assert all(ra for _, s, ra in load.statuses if s == 503)
                assert sum(1 for p, s, _ in load.statuses if p == "during" and s == 503) >= 1
                after = [s for p, s, _ in load.statuses if p == "after"]
                assert len(after) == self.AFTER
                assert all(s in (200, 201) for s in after), after
                # Every acknowledged write survived the restart.
                for request_id in load.created:
                    read = await c.get(f"{REQUESTS_URL}/{request_id}", headers=vendor)
                    assert read.status_code == 200, read.text
                assert (await c.get("/readyz")).status_code == 200
        finally:
            await db.dispose()


class TestIntegrityFallback:
    """An integrity error no use case foresaw is a 409 to retry, not a 500, and logs no values."""

    async def test_duplicate_key_is_409_conflict_retry(
        self,
        settings: Settings,
        database: Database,
        world: World,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        app = create_app(settings, clock=FrozenClock(NOW), database=database)
        secret_name = "Plan named Jane Doe 2016-05-01"

        @app.post("/_race")
        async def race(session: SessionDep) -> dict[str, str]:
            # What two racing inserts amount to: a row whose key another transaction took.
            session.add(HealthPlan(id=world.plan.id, code="dup", name=secret_name, created_at=NOW))
            await session.flush()
            return {"never": "reached"}

        with caplog.at_level("WARNING"):
            async with await _asgi(app) as c:
                r = await c.post("/_race")
        assert r.status_code == 409, r.text
        assert r.headers["content-type"].startswith(PROBLEM_JSON)
        assert r.json()["code"] == "conflict.retry"
        assert "retry" in r.json()["detail"]
        assert r.headers["Retry-After"] == "1"
        assert "IntegrityError" in caplog.text
        assert secret_name not in caplog.text
        assert secret_name not in r.text


class TestPoolExhausted:
    """No free connection in the pool within its timeout is a 503 too (QueuePool TimeoutError)."""

    async def test_request_waiting_past_the_pool_timeout_is_503(
        self, settings: Settings, database_url: str, world: World
    ) -> None:
        engine = create_async_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.05)
        db = Database(engine, async_sessionmaker(engine, expire_on_commit=False))
        app = create_app(settings, clock=FrozenClock(NOW), database=db)
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        try:
            async with engine.connect() as held, await _asgi(app) as c:
                # The only connection is taken for the whole call: the request cannot get one.
                assert held.closed is False
                _assert_unavailable(await c.get(REQUESTS_URL, headers=vendor))
            async with await _asgi(app) as c:
                assert (await c.get(REQUESTS_URL, headers=vendor)).status_code == 200
        finally:
            await engine.dispose()
