"""Shared fixtures: one migrated database per backend per run, the app, a frozen clock."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dme_portal.config import AuthSettings, DatabaseSettings, LimitSettings, Settings
from dme_portal.db import migrate
from dme_portal.db.engine import Database
from dme_portal.main import create_app
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW, World, make_world
from fixtures.postgres import PostgresServer, find_postgres

REQUIRE_POSTGRES = os.environ.get("DME_REQUIRE_POSTGRES") == "1"
BACKENDS = [
    b.strip() for b in os.environ.get("DME_TEST_BACKENDS", "sqlite,postgresql").split(",") if b
]
_pg_status: list[str] = []


def pytest_report_header() -> list[str]:
    return [f"dme backends: {', '.join(BACKENDS)}; DME_REQUIRE_POSTGRES={int(REQUIRE_POSTGRES)}"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _pg_status:
        terminalreporter.write_line(line, yellow="SKIPPED" in line, bold=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer | None]:
    server, how = find_postgres()
    if server is None:
        message = f"PostgreSQL tests SKIPPED: {how}"
        _pg_status.append("!! " + message)
        if REQUIRE_POSTGRES:
            pytest.fail(f"DME_REQUIRE_POSTGRES=1 but {how}", pytrace=False)
    else:
        _pg_status.append(f"PostgreSQL tests ran against the {how}")
    yield server
    if server is not None:
        server.stop()


def _backend_params() -> list[object]:
    return [
        pytest.param(b, marks=[pytest.mark.postgres] if b == "postgresql" else [], id=b)
        for b in BACKENDS
    ]


@pytest.fixture(scope="session", params=_backend_params())
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A fresh database for this run: a SQLite file, or a PostgreSQL database dropped after."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.db"
        yield f"sqlite+aiosqlite:///{path}"
        return
    server: PostgresServer | None = request.getfixturevalue("pg_server")
    if server is None:
        pytest.skip("PostgreSQL not available (see the summary at the end)")
    name = f"dme_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server.url("postgres", driver="postgresql"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield server.url(name)
    admin = await asyncpg.connect(server.url("postgres", driver="postgresql"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[Database]:
    """The migrated database (``alembic upgrade head``, not ``create_all``)."""
    db = Database.from_url(database_url, pool_size=20)
    await migrate.upgrade(db.engine)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        env="test",
        db=DatabaseSettings(url=database_url),
        auth=AuthSettings(secret_key="test-secret-" + "x" * 40),
        # Every test calls from one address (127.0.0.1) within one frozen minute, and the
        # suite fails logins on purpose (schemathesis hundreds of times): the shared app does
        # not throttle by address. tests/auth builds apps with the default limits for that.
        limits=LimitSettings(token_failures_per_address=1_000_000),
    )


@pytest.fixture(scope="session")
def session_clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def clock(session_clock: FrozenClock) -> FrozenClock:
    """The app's clock, reset to ``NOW`` for each test."""
    session_clock.set(NOW)
    return session_clock


@pytest.fixture(scope="session")
def app(settings: Settings, session_clock: FrozenClock, database: Database) -> FastAPI:
    return create_app(settings, clock=session_clock, database=database)


async def _idempotency_key(request: httpx.Request) -> None:
    # As client libraries do (Stripe's, for one): a fresh key for every POST that has none.
    if request.method == "POST" and "Idempotency-Key" not in request.headers:
        request.headers["Idempotency-Key"] = str(uuid.uuid4())


@pytest.fixture
async def client(app: FastAPI, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI, sending an Idempotency-Key with each POST that does not name one."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://test",
        event_hooks={"request": [_idempotency_key]},
    ) as c:
        yield c


@pytest.fixture
async def raw_client(app: FastAPI, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI, sending exactly the headers a test gives."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def world(database: Database) -> World:
    return await make_world(database)


@pytest.fixture
async def empty_database(
    database_url: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """A second, empty database on the same backend as this run's."""
    if database_url.startswith("sqlite"):
        path = tmp_path_factory.mktemp("mig") / "empty.db"
        db = Database.from_url(f"sqlite+aiosqlite:///{path}")
        yield db
        await db.dispose()
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name = f"dme_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server.url("postgres", driver="postgresql"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    db = Database.from_url(server.url(name))
    try:
        yield db
    finally:
        await db.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
