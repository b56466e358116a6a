"""Schemathesis over the committed ``openapi/openapi.json``, against the app on a real server.

The app runs under uvicorn on its own thread and event loop (the session loop of the fixtures
cannot serve requests while a synchronous Hypothesis test runs), against the test database of the
current backend, with the clock frozen at ``NOW`` so that the factories' tokens are valid.

Every operation is fuzzed twice, as a vendor and as a reviewer of network A (positive and
negative data, examples and coverage phases, deterministic). A response fails the test when it is
a 5xx, or has a status code, content type, body or header that the document does not describe.
Schema hooks swap in real members, requests, networks, valid submissions and valid credentials
for about one draw in three, so that success paths are checked too. ``test_edge_cases`` sends,
under the same checks, inputs that random generation rarely reaches.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.hooks import HookContext
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contract.live_server import OPENAPI_PATH, ThreadedServer
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.main import create_app
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import (
    NOW,
    auth_headers,
    fresh_idempotency_key,
    make_account,
    make_world,
    request_body,
    submit_request,
)

# Per operation and pass; raise it for a deeper run, e.g. DME_SCHEMATHESIS_MAX_EXAMPLES=500.
MAX_EXAMPLES = int(os.environ.get("DME_SCHEMATHESIS_MAX_EXAMPLES", "30"))
SEED = 20261102

schema = schemathesis.openapi.from_path(
    OPENAPI_PATH,
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "mode": "all"},
            "phases": {"stateful": {"enabled": False}},
        }
    ),
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass
class RealData:
    """Rows that exist in the test database, for the hooks to draw from."""

    cins: list[str]
    birth_dates: dict[str, str]  # by CIN: eligibility answers only with the right one
    request_ids: list[str]
    spare_request_id: str  # only for the edge cases, so that the fuzzing cannot cancel it first
    spare_etag: str
    network_ids: list[str]
    submissions: list[dict[str, Any]]
    token_forms: list[dict[str, str]]
    vendor_headers: dict[str, str]
    reviewer_headers: dict[str, str]


# Set by the `real_data` fixture before the tests of a backend run; read when Hypothesis draws.
_REAL: RealData | None = None

_SUBMIT_LABEL = "POST /v1/authorization-requests"
_CANCEL_LABEL = "POST /v1/authorization-requests/{request_id}/cancel"
# Updates of a request that need its current ETag in If-Match (issue 15: every update).
_IF_MATCH_LABELS = {
    _CANCEL_LABEL,
    "POST /v1/review/requests/{request_id}/decision",
    "POST /v1/review/requests/{request_id}/information-requests",
    "POST /v1/review/requests/{request_id}/urgency",
}
# Placeholders the hooks draw and `_as_a_client_would` replaces just before the call (Hypothesis
# draws must not depend on the database): a new Idempotency-Key, as a client makes one per
# intended request, and the ETag of the request read just before the cancel.
FRESH_KEY = "fresh-idempotency-key"
CURRENT_ETAG = '"current-etag"'


def _sometimes(generated: Any, real: list[Any]) -> st.SearchStrategy[Any]:
    """The generated value two times in three, a real one otherwise (shrinks to generated)."""
    if not real:
        return st.just(generated)
    return st.integers(min_value=0, max_value=2).flatmap(
        lambda i: st.sampled_from(real) if i == 2 else st.just(generated)
    )


@schema.hook
def flatmap_path_parameters(
    context: HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[Any]:
    real = _REAL
    if real is None or not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    known = {"cin": real.cins, "request_id": real.request_ids, "network_id": real.network_ids}
    options = [
        {**path_parameters, name: value}
        for name, values in known.items()
        if name in path_parameters
        for value in values
    ]
    return _sometimes(path_parameters, options)


@schema.hook
def flatmap_headers(context: HookContext, headers: Any) -> st.SearchStrategy[Any]:
    real = _REAL
    operation = context.operation
    if real is None or operation is None or not isinstance(headers, dict):
        return st.just(headers)
    if operation.label == _SUBMIT_LABEL:
        return _sometimes(headers, [{**headers, "Idempotency-Key": FRESH_KEY}])
    if operation.label in _IF_MATCH_LABELS:
        return _sometimes(headers, [{**headers, "If-Match": CURRENT_ETAG}])
    return st.just(headers)


def _shifted(body: dict[str, Any], periods: int) -> dict[str, Any]:
    """``body`` with its lines moved ``periods`` times 91 days later.

    A real submission repeated for the same period would be a duplicate (409) after the first.
    """
    moved = json.loads(json.dumps(body))
    for line in moved["lines"]:
        for field in ("start_date", "end_date"):
            day = date.fromisoformat(line[field]) + timedelta(days=91 * periods)
            line[field] = day.isoformat()
    return moved


@schema.hook
def flatmap_query(context: HookContext, query: dict[str, Any]) -> st.SearchStrategy[Any]:
    real = _REAL
    operation = context.operation
    if (
        real is None
        or operation is None
        or operation.label != "GET /v1/authorization-requests"
        or not isinstance(query, dict)
    ):
        return st.just(query)
    options: list[dict[str, Any]] = [{}, {"limit": 1}]
    options += [{**query, "member_cin": c} for c in real.cins]
    options += [{**query, "network_id": n} for n in real.network_ids]
    return _sometimes(query, options)


@schema.hook
def flatmap_case(context: HookContext, case: Case) -> st.SearchStrategy[Any]:
    """For a real member's eligibility, the member's own birth date one draw in two."""
    real = _REAL
    operation = context.operation
    if real is None or operation is None or operation.label != _ELIGIBILITY_LABEL:
        return st.just(case)
    born = real.birth_dates.get(str((case.path_parameters or {}).get("cin")))
    if born is None:
        return st.just(case)

    def with_birth_date(use: bool) -> Case:
        if use:
            case.query = {**(case.query or {}), "birth_date": born}
        return case

    return st.booleans().map(with_birth_date)


_ELIGIBILITY_LABEL = "GET /v1/members/{cin}/eligibility"


@schema.hook
def flatmap_body(context: HookContext, body: Any) -> st.SearchStrategy[Any]:
    real = _REAL
    operation = context.operation
    if real is None or operation is None:
        return st.just(body)
    if operation.label in (_SUBMIT_LABEL, "POST /v1/coverage-checks"):
        options = list(real.submissions)
        if isinstance(body, dict) and isinstance(body.get("notes"), str):
            # A valid submission carrying the generated free text.
            options.append({**real.submissions[0], "notes": body["notes"]})
        # Moved to periods mostly not yet requested, so that some submissions are created.
        real_submission = st.tuples(
            st.sampled_from(options), st.integers(min_value=0, max_value=1000)
        ).map(lambda drawn: _shifted(*drawn))
        return st.integers(min_value=0, max_value=2).flatmap(
            lambda i: real_submission if i == 2 else st.just(body)
        )
    if operation.label == "POST /v1/auth/token":
        return _sometimes(body, real.token_forms)
    return st.just(body)


@pytest.fixture(scope="module")
async def real_data(
    app: FastAPI, database: Database, settings: Settings, session_clock: FrozenClock
) -> AsyncIterator[RealData]:
    """A world with submitted requests, and a vendor user and client with known secrets."""
    global _REAL
    world = await make_world(database)
    session_clock.set(NOW)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://test",
        event_hooks={"request": [fresh_idempotency_key]},
    ) as client:
        created = [await submit_request(client, settings, world) for _ in range(4)]
    request_ids = [c["id"] for c in created]
    user, password = await make_account(
        database, role=Role.VENDOR, org_kind=OrgKind.VENDOR, org_id=world.vendor.id, machine=False
    )
    client_id, secret = await make_account(
        database,
        role=Role.VENDOR_CLIENT,
        org_kind=OrgKind.VENDOR,
        org_id=world.vendor.id,
        machine=True,
    )
    _REAL = RealData(
        cins=[world.member.cin, world.member_b.cin],
        birth_dates={m.cin: m.birth_date.isoformat() for m in (world.member, world.member_b)},
        request_ids=request_ids[:3],
        spare_request_id=request_ids[3],
        spare_etag=f'"v{created[3]["version"]}"',
        network_ids=[str(world.network_a.id), str(world.network_b.id)],
        submissions=[
            request_body(world),
            request_body(
                world,
                urgency="expedited",
                expedited_reason="Urgent need.",
                network_id=str(world.network_a.id),
            ),
            request_body(world, member_cin=world.member_b.cin),  # out of network for the vendor
        ],
        token_forms=[
            {"grant_type": "password", "username": user, "password": password},
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        ],
        vendor_headers=auth_headers(settings, world.principal(Role.VENDOR)),
        reviewer_headers=auth_headers(settings, world.principal(Role.REVIEWER)),
    )
    yield _REAL
    _REAL = None


@pytest.fixture(scope="module")
def base_url(settings: Settings, database: Database) -> Iterator[str]:
    """The app (its own engine on the test database) served by uvicorn on a free port."""
    app = create_app(settings, clock=FrozenClock(NOW))
    with ThreadedServer(app) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _as_a_client_would(
    case: Case, base_url: str, http: requests.Session, headers: dict[str, str]
) -> None:
    """Replace the hooks' placeholders: a new Idempotency-Key; the ETag read just now."""
    if not case.headers:
        return
    if case.headers.get("Idempotency-Key") == FRESH_KEY:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    if case.headers.get("If-Match") == CURRENT_ETAG and "request_id" in (
        case.path_parameters or {}
    ):
        request_id = case.path_parameters["request_id"]
        read = http.get(f"{base_url}/v1/authorization-requests/{request_id}", headers=headers)
        if read.status_code == 200:
            case.headers["If-Match"] = read.headers["ETag"]


@schema.parametrize()
@settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_as_vendor(
    case: Case, base_url: str, real_data: RealData, http: requests.Session
) -> None:
    _as_a_client_would(case, base_url, http, real_data.vendor_headers)
    case.call_and_validate(
        base_url=base_url, session=http, headers=real_data.vendor_headers, checks=CHECKS
    )


@schema.parametrize()
@settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_as_reviewer(
    case: Case, base_url: str, real_data: RealData, http: requests.Session
) -> None:
    _as_a_client_would(case, base_url, http, real_data.reviewer_headers)
    case.call_and_validate(
        base_url=base_url, session=http, headers=real_data.reviewer_headers, checks=CHECKS
    )


def _cursor(at: str, last_id: object) -> str:
    """A cursor in the API's format (urlsafe base64 of JSON), with arbitrary contents."""
    raw = json.dumps({"t": at, "id": last_id}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _submission_with(real: RealData, **changes: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(real.submissions[0]))
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[leaf] = value
    return body


def _new_key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


Edge = Callable[[RealData], dict[str, Any]]
_LIST = ("/v1/authorization-requests", "GET")
_SUBMIT = ("/v1/authorization-requests", "POST")
_CANCEL = ("/v1/authorization-requests/{request_id}/cancel", "POST")
_TOKEN = ("/v1/auth/token", "POST")
_FORM = "application/x-www-form-urlencoded"

EDGE_CASES: dict[str, tuple[tuple[str, str], Edge]] = {
    # A JSON body that is not UTF-8 (Schemathesis found it while fuzzing).
    "submit-body-not-utf8": (
        _SUBMIT,
        lambda r: {
            "headers": _new_key(),
            "body": b"\tm\xff",
            "media_type": "application/json",
        },
    ),
    "cancel-body-not-utf8": (
        _CANCEL,
        lambda r: {
            "path_parameters": {"request_id": r.spare_request_id},
            "headers": {"If-Match": r.spare_etag},
            "body": b"\xff",
            "media_type": "application/json",
        },
    ),
    # Text with NUL characters: valid JSON and form data, but PostgreSQL text rejects 0x00.
    "token-username-nul": (
        _TOKEN,
        lambda r: {
            "body": {"grant_type": "password", "username": "a\x00b", "password": "x"},
            "media_type": _FORM,
        },
    ),
    "token-client-id-nul": (
        _TOKEN,
        lambda r: {
            "body": {
                "grant_type": "client_credentials",
                "client_id": "a\x00",
                "client_secret": "x",
            },
            "media_type": _FORM,
        },
    ),
    "submit-notes-nul": (
        _SUBMIT,
        lambda r: {"headers": _new_key(), "body": _submission_with(r, notes="a\x00b")},
    ),
    "submit-brand-nul": (
        _SUBMIT,
        lambda r: {"headers": _new_key(), "body": _submission_with(r, lines__0__brand="x\x00")},
    ),
    "cancel-reason-nul": (
        _CANCEL,
        lambda r: {
            "path_parameters": {"request_id": r.spare_request_id},
            "headers": {"If-Match": r.spare_etag},
            "body": {"reason": "a\x00b"},
        },
    ),
    # Aware datetimes that do not fit in a UTC datetime once converted.
    "list-submitted-from-before-year-1-utc": (
        _LIST,
        lambda r: {"query": {"submitted_from": "0001-01-01T00:00:00+14:00"}},
    ),
    "list-submitted-to-after-year-9999-utc": (
        _LIST,
        lambda r: {"query": {"submitted_to": "9999-12-31T23:59:59-14:00"}},
    ),
    "list-cursor-time-out-of-range": (
        _LIST,
        lambda r: {"query": {"cursor": _cursor("0001-01-01T00:00:00+14:00", r.request_ids[0])}},
    ),
    # A well-formed cursor whose id is not a string.
    "list-cursor-id-not-a-string": (
        _LIST,
        lambda r: {"query": {"cursor": _cursor("2026-11-02T15:00:00+00:00", 5)}},
    ),
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_cases(name: str, base_url: str, real_data: RealData, http: requests.Session) -> None:
    """Inputs that random generation rarely reaches, under the same checks, as the vendor."""
    (path, method), make = EDGE_CASES[name]
    case = schema[path][method].Case(**make(real_data))
    case.call_and_validate(
        base_url=base_url, session=http, headers=real_data.vendor_headers, checks=CHECKS
    )
