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
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text, update
from starlette.routing import Mount

from contract.live_server import wait_until_healthy
from dme_portal import logs
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import DatabaseSettings, LogSettings, Settings, WorkerSettings
from dme_portal.db import migrate
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.main import create_app
from dme_portal.members.models import Member
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW, World, auth_headers, make_account, make_world, request_body
from portal.flows import csrf_token

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


# --- Issue 21.7: every portal form, over real HTTP, with NUL-laden and invalid values -----------

FREE_TEXT = f"{FIRST} {LAST} has spina bifida ({DIAGNOSIS})"
PORTAL = "/portal"


@dataclass(frozen=True)
class PortalForm:
    """One portal POST route: who posts it, the page whose form carries the CSRF token, the
    fields it reads (each gets the NUL-laden text), and invalid values to post whole."""

    role: Role
    token_page: str
    fields: tuple[str, ...]
    invalid: dict[str, str]


_DRAFT_DOC = json.dumps({"csags": [{"id": FREE_TEXT, "items": 7}], "durations": [FREE_TEXT]})
# Every POST route of the portal app, by path template. A new form fails
# test_every_portal_form_is_covered until it is listed here.
PORTAL_FORMS: dict[str, PortalForm] = {
    "/sign-in": PortalForm(
        Role.VENDOR, "/requests/new", ("username", "password"), {"username": FREE_TEXT}
    ),
    "/requests/new/member": PortalForm(
        Role.VENDOR,
        "/requests/new",
        ("member_cin", "birth_date"),
        {"member_cin": FREE_TEXT, "birth_date": "9999-12-30"},
    ),
    "/requests/new/coverage": PortalForm(
        Role.VENDOR,
        "/requests/new",
        ("member_cin", "notes", "lines-0-hcpcs", "lines-0-start_date"),
        {
            "member_cin": FREE_TEXT,
            "notes": FREE_TEXT,
            "lines-0-hcpcs": "L1960",
            "lines-0-quantity": "1",
            "lines-0-start_date": "9999-12-30",
            "lines-0-end_date": "9999-12-31",
            "diagnoses-0": FREE_TEXT,
        },
    ),
    "/requests/new": PortalForm(
        Role.VENDOR,
        "/requests/new",
        ("member_cin", "birth_date", "notes", "expedited_reason", "diagnoses-0", "lines-0-brand"),
        {
            "member_cin": FREE_TEXT,
            "birth_date": FREE_TEXT,
            "prescriber_npi": FREE_TEXT,
            "urgency": "expedited",
            "expedited_reason": FREE_TEXT,
            "notes": FREE_TEXT,
            "diagnoses-0": FREE_TEXT,
            "lines-0-hcpcs": FREE_TEXT,
            "lines-0-quantity": FREE_TEXT,
            "lines-0-start_date": "9999-12-30",
            "lines-0-end_date": "0001-01-01",
            "lines-0-brand": FREE_TEXT,
        },
    ),
    "/requests/{request_id}/information-response": PortalForm(
        Role.VENDOR, "/requests/new", ("message",), {"message": FREE_TEXT * 200}
    ),
    "/renewals": PortalForm(
        Role.VENDOR,
        "/requests/new",
        ("authorization_id",),
        {"authorization_id": FREE_TEXT, f"number-{FREE_TEXT}": FREE_TEXT},
    ),
    "/review/requests/{request_id}/claim": PortalForm(
        Role.REVIEWER, "/review", ("etag", "back"), {"back": FREE_TEXT, "etag": FREE_TEXT}
    ),
    "/review/requests/{request_id}/release": PortalForm(
        Role.REVIEWER, "/review", ("etag", "back"), {"back": FREE_TEXT, "etag": FREE_TEXT}
    ),
    "/review/requests/{request_id}/decision": PortalForm(
        Role.REVIEWER,
        "/review",
        ("line-1-reason", "line-1-outcome", "etag"),
        {
            "line-1-outcome": "denied",
            "line-1-reason_code": FREE_TEXT,
            "line-1-reason": FREE_TEXT,
            "line-1-end": "9999-12-31",
            "line-1-quantity": FREE_TEXT,
        },
    ),
    "/review/requests/{request_id}/information-request": PortalForm(
        Role.REVIEWER,
        "/review",
        ("message", "documents"),
        {"message": FREE_TEXT * 200, "documents": FREE_TEXT},
    ),
    "/coordinator": PortalForm(
        Role.CARE_COORDINATOR,
        "/coordinator",
        ("cin", "birth_date"),
        {"cin": FREE_TEXT, "birth_date": "9999-12-31"},
    ),
    "/ruleset/draft": PortalForm(
        Role.NETWORK_ADMIN,
        "/ruleset",
        ("document", "mode", "default_days"),
        {"mode": "json", "document": _DRAFT_DOC},
    ),
    "/ruleset/publish": PortalForm(Role.NETWORK_ADMIN, "/ruleset", ("etag",), {"etag": FREE_TEXT}),
    "/ruleset/assignments": PortalForm(
        Role.NETWORK_ADMIN,
        "/ruleset",
        ("member_cin", "csag_id", "effective_from"),
        {"member_cin": FREE_TEXT, "csag_id": FREE_TEXT, "effective_from": "9999-12-31"},
    ),
    "/ruleset/assignments/{assignment_id}/end": PortalForm(
        Role.NETWORK_ADMIN, "/ruleset", ("effective_to",), {"effective_to": "9999-12-31"}
    ),
    # Last: it ends the vendor's session.
    "/sign-out": PortalForm(Role.VENDOR, "/requests/new", ("back",), {"back": FREE_TEXT}),
}
ROLE_ORG = {
    Role.VENDOR: OrgKind.VENDOR,
    Role.REVIEWER: OrgKind.NETWORK,
    Role.CARE_COORDINATOR: OrgKind.NETWORK,
    Role.NETWORK_ADMIN: OrgKind.NETWORK,
}


def portal_post_routes(app: FastAPI) -> set[str]:
    """The path templates of every POST route of the portal sub-app mounted in ``app``."""
    portal = next(r.app for r in app.routes if isinstance(r, Mount) and r.path == PORTAL)
    assert isinstance(portal, FastAPI)
    found: set[str] = set()
    for route in portal.routes:
        # FastAPI keeps an included router as one entry; it lists its routes' contexts.
        contexts = getattr(route, "effective_route_contexts", None)
        for context in contexts() if contexts is not None else [route]:
            if isinstance(getattr(context, "original_route", context), APIRoute) and "POST" in (
                getattr(context, "methods", None) or set()
            ):
                found.add(context.path)
    return found


def test_every_portal_form_is_covered(settings: Settings) -> None:
    """A POST route the provoked-failure test does not post to fails here until listed."""
    routes = portal_post_routes(create_app(settings, clock=FrozenClock(NOW)))
    assert routes, "no portal POST routes found"
    assert routes - PORTAL_FORMS.keys() == set(), "portal forms missing from PORTAL_FORMS"
    assert PORTAL_FORMS.keys() - routes == set(), "PORTAL_FORMS lists routes that are gone"


async def _signed_in(base_url: str, db: Database, world: World, role: Role) -> httpx.AsyncClient:
    org_id = world.vendor.id if role is Role.VENDOR else world.network_a.id
    username, password = await make_account(
        db, role=role, org_kind=ROLE_ORG[role], org_id=org_id, machine=False
    )
    client = httpx.AsyncClient(base_url=base_url, timeout=60)
    page = await client.get(f"{PORTAL}/sign-in")
    signed = await client.post(
        f"{PORTAL}/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
    )
    assert signed.status_code == 303, signed.text
    return client


async def test_portal_forms_with_nul_and_invalid_values_answer_no_500_and_log_no_text(
    hub: tuple[World, str], empty_database: Database, settings: Settings, captured: io.StringIO
) -> None:
    world, url = hub
    hub_settings = settings.model_copy(
        update={"db": DatabaseSettings(url=url), "worker": WorkerSettings(in_process=False)}
    )
    vendor = auth_headers(settings, world.principal(Role.VENDOR))
    reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
    app = create_app(hub_settings, clock=FrozenClock(NOW), database=empty_database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as api:
        created = []
        for _ in range(2):
            r = await api.post(
                REQUESTS,
                json=request_body(world, diagnoses=[DIAGNOSIS]),
                headers={**vendor, "Idempotency-Key": str(uuid.uuid4())},
            )
            assert r.status_code == 201, r.text
            created.append(r.json())
        pended, open_ = created
        r = await api.post(
            f"/v1/review/requests/{pended['id']}/information-requests",
            json={"message": "Please send the prescription.", "documents_requested": []},
            headers={**reviewer, "If-Match": f'"v{pended["version"]}"'},
        )
        assert r.status_code == 201, r.text
    await empty_database.dispose()
    path_values = {
        "/requests/{request_id}/information-response": {"request_id": pended["id"]},
        "request_id": {"request_id": open_["id"]},
        "assignment_id": {"assignment_id": str(uuid.uuid4())},
    }

    served = create_app(hub_settings, clock=FrozenClock(NOW), database=Database.from_url(url))
    assert portal_post_routes(served) == PORTAL_FORMS.keys()
    answers: list[tuple[str, str, int, str]] = []
    with _Server(served) as server:
        clients: dict[Role, httpx.AsyncClient] = {}
        try:
            for template, form in PORTAL_FORMS.items():
                if form.role not in clients:
                    clients[form.role] = await _signed_in(
                        server.base_url, empty_database, world, form.role
                    )
                client = clients[form.role]
                values = path_values.get(template) or next(
                    (v for k, v in path_values.items() if "{" + k + "}" in template), {}
                )
                path = PORTAL + template.format(**values)
                token = csrf_token((await client.get(f"{PORTAL}{form.token_page}")).text)
                for name in form.fields:
                    nul = await client.post(
                        path, data={"csrf_token": token, name: f"{FREE_TEXT}\x00"}
                    )
                    answers.append((template, f"NUL in {name}", nul.status_code, nul.text))
                    assert nul.status_code == 422, (template, name, nul.status_code)
                    assert "contains a character that cannot be saved" in nul.text
                invalid = await client.post(path, data={"csrf_token": token, **form.invalid})
                answers.append((template, "invalid", invalid.status_code, invalid.text))
        finally:
            for c in clients.values():
                await c.aclose()
    failures = [(t, what, status) for t, what, status, _ in answers if status >= 500]
    assert failures == [], failures
    served_log = captured.getvalue()
    assert "POST /portal/requests/new" in served_log  # uvicorn's access log ran
    for needle in (FIRST, LAST, "spina bifida", DIAGNOSIS, DIAGNOSIS.replace(".", "")):
        leaked = [ln for ln in served_log.splitlines() if needle.lower() in ln.lower()]
        assert leaked == [], f"{needle!r} reached the logs: {leaked[:3]}"


def test_a_validation_error_is_logged_without_its_input(settings: Settings) -> None:
    """pydantic quotes each invalid input (``input_value=...``); the log line must not."""
    from fastapi.exceptions import ResponseValidationError
    from pydantic import BaseModel, ValidationError

    class Answer(BaseModel):
        message: int

    stream = io.StringIO()
    logs.configure(settings, stream=stream, force=True)
    try:
        try:
            Answer.model_validate({"message": FREE_TEXT})
        except ValidationError as exc:
            logging.getLogger("dme_portal.portal").exception("form failed: %s", exc)
        # FastAPI's response validation error carries the response body (a whole request).
        errors = [{"type": "missing", "loc": ("response", "notes"), "msg": "x", "input": FREE_TEXT}]
        try:
            raise ResponseValidationError(errors, body={"notes": FREE_TEXT})
        except ResponseValidationError:
            logging.getLogger("dme_portal.api").exception("unhandled error")
    finally:
        logs.configure(settings, force=True)
    out = stream.getvalue()
    assert "message: int_parsing" in out  # the field and the kind of error stay
    assert "response.notes: missing" in out
    for needle in (FIRST, LAST, "spina bifida"):
        assert needle not in out, out
