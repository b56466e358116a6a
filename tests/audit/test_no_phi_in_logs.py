"""Provoked failures leave no CIN, member name, birth date or diagnosis in any log line.

A throwaway database is made to refuse what the hub writes: on PostgreSQL a CHECK constraint
(its error's ``DETAIL: Failing row contains (...)`` quotes the whole row, the vendor's notes
included), on SQLite a trigger. Then, through the real handlers the app and the CLI configure:
(a) a submission over real HTTP fails in the database mid-submit and (c) its unhandled
exception's traceback is logged, by the app and by uvicorn, next to uvicorn's access lines for
a member lookup by CIN and birth date; (b) the SLA worker (``dme-portal worker --once``, its own
process) fails on the breached request. Every line written is searched for the member's CIN,
names, birth date (ISO and US forms) and diagnosis (dotted and dotless).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text, update

from contract.live_server import wait_until_healthy
from dme_portal import logs
from dme_portal.auth.roles import Role
from dme_portal.config import DatabaseSettings, LogSettings, Settings, WorkerSettings
from dme_portal.db import migrate
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.main import create_app
from dme_portal.members.models import Member
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW, World, auth_headers, make_world, request_body

FIRST, LAST = "Marisol", "Quintanilla-Okafor"
BIRTH = date(2015, 3, 17)
DIAGNOSIS = "Q05.9"
REQUESTS = "/v1/authorization-requests"

PG_REFUSAL = [
    "ALTER TABLE authorization_request ADD CONSTRAINT ck_provoked_no_notes "
    "CHECK (notes IS NULL) NOT VALID",
]
SQLITE_REFUSAL = [
    f"CREATE TRIGGER provoked_{op.lower()} BEFORE {op} ON authorization_request "
    "WHEN NEW.notes IS NOT NULL BEGIN SELECT RAISE(ABORT, 'notes refused'); END"
    for op in ("INSERT", "UPDATE")
]


def phi_of(world: World) -> list[str]:
    return [
        world.member.cin,
        FIRST,
        LAST,
        BIRTH.isoformat(),
        BIRTH.strftime("%m/%d/%Y"),
        DIAGNOSIS,
        DIAGNOSIS.replace(".", ""),
    ]


def notes_of(world: World) -> str:
    return (
        f"{FIRST} {LAST} (CIN {world.member.cin}), born {BIRTH:%m/%d/%Y}, "
        f"diagnosis {DIAGNOSIS} ({DIAGNOSIS.replace('.', '')}): needs the brace on the right."
    )


def assert_no_phi(lines: str, world: World) -> None:
    for value in phi_of(world):
        leaked = [ln for ln in lines.splitlines() if value.lower() in ln.lower()]
        assert leaked == [], f"{value!r} reached the logs: {leaked[:3]}"


@pytest.fixture
async def hub(empty_database: Database, settings: Settings) -> tuple[World, str]:
    """A migrated throwaway database with a world whose member has a name and a birth date."""
    await migrate.upgrade(empty_database.engine)
    world = await make_world(empty_database)
    async with unit_of_work(empty_database) as session:
        await session.execute(
            update(Member)
            .where(Member.id == world.member.id)
            .values(first_name=FIRST, last_name=LAST, birth_date=BIRTH)
        )
    world.member.birth_date = BIRTH
    return world, empty_database.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def captured(settings: Settings) -> Iterator[io.StringIO]:
    """Every line the configured root handler writes, in the readable (dev) format."""
    stream = io.StringIO()
    logs.configure(settings, stream=stream, force=True)
    try:
        yield stream
    finally:
        logs.configure(settings, force=True)


class _Server:
    """Uvicorn on its own thread with its access log on, logging through the root handler."""

    def __init__(self, app: FastAPI) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_config=None, lifespan="on", access_log=True)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> _Server:
        self.thread.start()
        wait_until_healthy(self.base_url, alive=lambda: None if self.thread.is_alive() else "dead")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


async def test_provoked_failures_leave_no_phi_in_any_log_line(
    hub: tuple[World, str],
    empty_database: Database,
    settings: Settings,
    captured: io.StringIO,
    tmp_path: Path,
) -> None:
    world, url = hub
    hub_settings = settings.model_copy(
        update={"db": DatabaseSettings(url=url), "worker": WorkerSettings(in_process=False)}
    )
    vendor = auth_headers(settings, world.principal(Role.VENDOR))

    # A request with the member's name, birth date, CIN and diagnosis in its notes, accepted
    # before the database starts refusing; it is breached by the time the worker runs.
    app = create_app(hub_settings, clock=FrozenClock(NOW), database=empty_database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        accepted = await client.post(
            REQUESTS,
            json=request_body(world, diagnoses=[DIAGNOSIS], notes=notes_of(world)),
            headers={**vendor, "Idempotency-Key": str(uuid.uuid4())},
        )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["status"] == "in_review"

    async with unit_of_work(empty_database) as session:
        for statement in PG_REFUSAL if empty_database.dialect == "postgresql" else SQLITE_REFUSAL:
            await session.execute(text(statement))
    await empty_database.dispose()

    # (a) and (c): over real HTTP, the database refuses the next submission mid-submit.
    served = create_app(hub_settings, clock=FrozenClock(NOW), database=Database.from_url(url))
    with _Server(served) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
            lookup = await client.get(
                f"/v1/members/{world.member.cin}/eligibility",
                params={"birth_date": BIRTH.isoformat()},
                headers=vendor,
            )
            failed = await client.post(
                REQUESTS,
                json=request_body(world, diagnoses=[DIAGNOSIS], notes=notes_of(world)),
                headers={**vendor, "Idempotency-Key": str(uuid.uuid4())},
            )
    assert lookup.status_code == 200, lookup.text
    assert failed.status_code >= 409, failed.text
    assert_no_phi(failed.text, world)
    served_log = captured.getvalue()
    assert "/eligibility?birth_date=[redacted]" in served_log  # the access log ran, masked
    if failed.status_code == 500:
        assert "unhandled error on POST /v1/authorization-requests" in served_log
        assert "Traceback (most recent call last)" in served_log
        assert "database message withheld" in served_log

    # (b): the SLA worker, in its own process with its own configured logging (JSON lines).
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "dme_portal.cli", "worker", "--once"],
        env={
            **os.environ,
            "DME_ENV": "dev",
            "DME_DB__URL": url,
            "DME_DATA_DIR": str(tmp_path),
            "DME_LOG__FORMAT": "json",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    worker_log = done.stdout + done.stderr
    assert done.returncode == 1, worker_log
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    failure = next(r for r in records if r["message"] == "dme-portal worker failed")
    assert failure["level"] == "ERROR"
    assert "IntegrityError" in failure["exc"]
    assert "database message withheld" in failure["exc"]

    assert_no_phi(served_log, world)
    assert_no_phi(worker_log, world)


def test_the_formatters_mask_what_a_careless_call_would_log(settings: Settings) -> None:
    """Defence in depth for lines the hub does not write itself (a library's message)."""
    for fmt in ("text", "json"):
        stream = io.StringIO()
        logs.configure(
            settings.model_copy(update={"log": LogSettings(format=fmt)}),
            stream=stream,
            force=True,
        )
        try:
            log = logging.getLogger("dme_portal.sla.child")
            log.warning("member 12345678Z born 2015-03-17 diagnoses=['Q059', 'G800'] dx G80.0")
            try:
                raise ValueError("lookup failed for 12345678Z, birth date 03/17/2015, E10.9")
            except ValueError:
                log.exception("failed")
            logging.getLogger("uvicorn.error").error("GET /v1/members/12345678Z/eligibility")
            logging.getLogger("x").warning("stack", stack_info=True, extra={})
        finally:
            logs.configure(settings, force=True)
        out = stream.getvalue()
        for value in ("12345678Z", "2015-03-17", "03/17/2015", "Q059", "G800", "G80.0", "E10.9"):
            assert value not in out, (fmt, value, out)
        assert "ValueError" in out
        # HCPCS codes stay readable outside a diagnosis context.
        stream = io.StringIO()
        logs.configure(settings, stream=stream, force=True)
        try:
            logging.getLogger("dme_portal").warning("line E1161 over the limit; L1960 approved")
        finally:
            logs.configure(settings, force=True)
        assert "E1161" in stream.getvalue()
        assert "L1960" in stream.getvalue()


async def test_database_errors_carry_no_bound_values(database: Database) -> None:
    """Both dialects hide bound parameters; the driver's own message is withheld from logs.

    ``hide_parameters`` is not enough alone: asyncpg quotes a value it cannot encode
    ("invalid input for query argument $1: '...'"), and PostgreSQL's DETAIL quotes rows.
    """
    from sqlalchemy.exc import DBAPIError

    from dme_portal.audit.logging import format_exception

    assert database.engine.sync_engine.hide_parameters
    value = "12345678Z born 2015-03-17"
    async with database.engine.connect() as conn:
        with pytest.raises(DBAPIError) as refused:
            await conn.execute(text("INSERT INTO member (id) VALUES (:cin)"), {"cin": value})
    assert "SQL parameters hidden" in str(refused.value)
    assert "[parameters:" not in str(refused.value)
    logged = format_exception(refused.value)
    assert "12345678Z" not in logged
    assert "2015-03-17" not in logged
    assert "INSERT INTO member" in logged  # the statement stays, for whoever debugs it
