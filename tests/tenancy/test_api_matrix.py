"""Issue 21 point 10: every operation of the OpenAPI document, called by every role of another
tenant with tenant 1's objects, reveals and changes nothing of tenant 1.

The cases are generated from the committed document (one test id per operation and caller);
``test_the_matrix_covers_every_operation`` holds the running app to the same list, and an
operation whose path parameter, required query parameter or body the tables do not know fails
its own case until the tables (``tenancy/tables.py``) say what to send.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import auth_headers
from tenancy import tables
from tenancy.fingerprint import fingerprint
from tenancy.matrix import describe, diff, leaked
from tenancy.world import ACTORS, Actor, Tenant1, Tenant2

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "openapi" / "openapi.json"
DOCUMENT: dict[str, Any] = json.loads(DOCUMENT_PATH.read_text())
OPERATIONS: dict[str, tuple[str, str, dict[str, Any]]] = {
    op["operationId"]: (method, path, op)
    for path, item in DOCUMENT["paths"].items()
    for method, op in item.items()
}


def _cases() -> list[Any]:
    cases = []
    for operation_id in OPERATIONS:
        for actor in ACTORS:
            reason = tables.KNOWN_GAPS.get((operation_id, actor.id))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(
                pytest.param(operation_id, actor, id=f"{operation_id}-{actor.id}", marks=marks)
            )
    return cases


def _fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path


def plan(
    operation_id: str, one: Tenant1, two: Tenant2, actor: Actor
) -> list[tuple[str, str, dict[str, str], tables.Send]]:
    """The calls for one operation: (method, url, query, what to send); fails on a gap."""
    method, path, op = OPERATIONS[operation_id]
    params = op.get("parameters", [])
    path_names = [p["name"] for p in params if p["in"] == "path"]
    unknown = [n for n in path_names if n not in tables.PATH_VALUES]
    if unknown:
        pytest.fail(f"{operation_id}: path parameter(s) {unknown} not in tables.PATH_VALUES")
    required = {p["name"] for p in params if p["in"] == "query" and p.get("required")}
    query = tables.REQUIRED_QUERY.get(operation_id, lambda _: {})(one)
    if required - set(query):
        pytest.fail(f"{operation_id}: required query {required - set(query)} not in REQUIRED_QUERY")
    changes = method != "get"
    if changes and operation_id not in tables.BODIES:
        pytest.fail(f"{operation_id}: no body in tables.BODIES (a change must be in the matrix)")
    send = tables.BODIES[operation_id](one, two, actor) if changes else tables.Send()

    values = {n: tables.PATH_VALUES[n](one, two) for n in path_names}
    first = {n: v[0] for n, v in values.items()}
    first.update({n: f(one) for n, f in tables.MUTATION_PATH.get(operation_id, {}).items()})
    variants = [first]
    if not changes:
        variants += [{**first, n: v} for n, vs in values.items() for v in vs[1:]]
    if operation_id in tables.OWN_DOOR:
        variants.append({**first, **tables.OWN_DOOR[operation_id](two)})
    queries = [query]
    if not changes:
        declared = {p["name"] for p in params if p["in"] == "query"}
        queries += [
            {**query, name: f(one)} for name, f in tables.FILTERS.items() if name in declared
        ]
    return [
        (method.upper(), _fill(path, v), q, send)
        for v in variants
        for q in (queries if v is first or changes else [query])
    ]


def _shape(r: httpx.Response) -> tuple[Any, ...]:
    """What an answer says besides echoed input: status, problem code, fields and their codes."""
    try:
        body = r.json()
    except ValueError:
        return (r.status_code,)
    if not isinstance(body, dict):
        return (r.status_code,)
    errors = [(e.get("field"), e.get("code")) for e in body.get("errors") or []]
    return (r.status_code, body.get("code"), errors)


def ghost_of(operation_id: str) -> str | None:
    """The first call's URL with objects that never existed (None without path parameters)."""
    _, path, op = OPERATIONS[operation_id]
    names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
    if not names:
        return None
    return _fill(path, {n: tables.GHOSTS[n]() for n in names})


# The oracle's exceptions: a vendor naming a member's CIN and birth date may check eligibility
# (any vendor, any member: DESIGN §3); the ghost CIN is unknown, so it is a 404 there.
ORACLE_EXEMPT = {("getEligibility", a.id) for a in ACTORS if a.is_vendor}


async def call(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    method: str,
    url: str,
    query: dict[str, str],
    send: tables.Send,
) -> httpx.Response:
    extra = {"Idempotency-Key": str(uuid.uuid4())} if method == "POST" else {}
    return await client.request(
        method, url, params=query, headers={**headers, **extra, **send.headers}, **send.kwargs()
    )


@pytest.mark.parametrize(("operation_id", "actor"), _cases())
async def test_another_tenant_gets_nothing(
    operation_id: str,
    actor: Actor,
    tenant1: Tenant1,
    tenant2: Tenant2,
    app: FastAPI,
    settings: Settings,
    database: Database,
    clock: FrozenClock,
) -> None:
    calls = plan(operation_id, tenant1, tenant2, actor)
    headers = auth_headers(settings, tenant2.principal(actor.role, actor.scope))
    # A change is checked for what it did to tenant 1 (a read changes nothing: not re-read).
    changes = OPERATIONS[operation_id][0] != "get"
    before = await fingerprint(database, tenant1) if changes else None
    problems: list[str] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        first: httpx.Response | None = None
        for method, url, query, send in calls:
            r = await call(client, headers, method, url, query, send)
            first = first or r
            last = r
            if r.status_code >= 500:
                problems.append(f"server error: {describe(r)}")
            if r.status_code == 401 and operation_id not in tables.NO_BEARER:
                problems.append(f"the caller's token was refused: {describe(r)}")
            found = leaked(tenant1, actor, r)
            if found:
                problems.append(f"leaked {sorted(found)}: {describe(r)}")
        ghost = ghost_of(operation_id)
        if (
            ghost is not None
            and first is not None
            and (operation_id, actor.id) not in ORACLE_EXEMPT
        ):
            method, _, query, send = calls[0]
            g = await call(client, headers, method, ghost, query, send)
            if g.status_code != first.status_code:
                problems.append(
                    f"tenant 1's object answers {first.status_code}, a ghost {g.status_code}: "
                    f"{describe(first)}"
                )
        if operation_id in tables.BODY_GHOSTS:
            method, url, query, send = calls[-1]
            ghost_send = replace(send, json=tables.BODY_GHOSTS[operation_id](send.json))
            g = await call(client, headers, method, url, query, ghost_send)
            if _shape(g) != _shape(last):
                problems.append(
                    f"tenant 1's object in the body answers {_shape(last)}, a ghost "
                    f"{_shape(g)}: {describe(last)}"
                )
    if before is not None:
        after = await fingerprint(database, tenant1)
        if after != before:
            problems.append(f"tenant 1 changed: {diff(before, after)}")
    assert not problems, "\n".join(problems)


def test_the_matrix_covers_every_operation(app: FastAPI) -> None:
    """The running app has exactly the committed document's operations, and every change has
    a body: a new operation fails here (and in its own cases) until the tables know it."""
    live = {op["operationId"] for item in app.openapi()["paths"].values() for op in item.values()}
    assert live == set(OPERATIONS), "run `make openapi`: the matrix is generated from the document"
    changes = {i for i, (method, _, _) in OPERATIONS.items() if method != "get"}
    assert changes <= set(tables.BODIES), changes - set(tables.BODIES)
    assert not set(tables.BODIES) - changes, "a body for an operation that is gone"
    names = {
        p["name"]
        for _, _, op in OPERATIONS.values()
        for p in op.get("parameters", [])
        if p["in"] == "path"
    }
    assert names <= set(tables.PATH_VALUES), names - set(tables.PATH_VALUES)
    assert set(tables.PATH_VALUES) == set(tables.GHOSTS)
    assert set(tables.REQUIRED_QUERY) <= set(OPERATIONS)
    keys = {op for op, _ in tables.KNOWN_GAPS}
    assert all(
        k in OPERATIONS or k.startswith(("portal ", "feed: ", "view: ", "cin: ")) for k in keys
    )


def test_every_role_is_an_actor() -> None:
    """Each role calls the matrix from another tenant (a new role fails until it is added)."""
    assert {a.role for a in ACTORS} == set(Role)


async def test_the_owners_read_the_secrets(
    tenant1: Tenant1, app: FastAPI, settings: Settings, clock: FrozenClock
) -> None:
    """The control: tenant 1's own callers find the secrets, so a clean answer means something."""
    w = tenant1.world
    vendor = auth_headers(
        settings,
        Principal(tenant1.secrets["vendor_subject"], Role.VENDOR, OrgKind.VENDOR, w.vendor.id),
    )
    admin = auth_headers(settings, w.principal(Role.NETWORK_ADMIN))
    reviewer = auth_headers(settings, w.principal(Role.REVIEWER))
    reads = [
        (vendor, f"/v1/authorization-requests/{tenant1.open_id}"),
        (vendor, f"/v1/authorization-requests/{tenant1.denied_id}"),
        *[(vendor, f"/v1/authorizations/{a}") for a in tenant1.authorization_ids],
        (vendor, f"/v1/attachments/{tenant1.upload_id}"),
        (reviewer, f"/v1/authorization-requests/{tenant1.open_id}/information-requests"),
        (reviewer, f"/v1/authorization-requests/{tenant1.open_id}/attachments"),
        (
            reviewer,
            f"/v1/authorization-requests/{tenant1.open_id}/attachments/"
            f"{tenant1.attachment_id}/content",
        ),
        (
            reviewer,
            f"/v1/authorization-requests/{tenant1.open_id}/attachments/{tenant1.upload_id}/content",
        ),
        (reviewer, f"/v1/reconsiderations/{tenant1.reconsideration_id}"),
        (admin, f"/v1/networks/{w.network_a.id}/ruleset/draft"),
        (admin, f"/v1/networks/{w.network_a.id}/ruleset"),
        (admin, f"/v1/networks/{w.network_a.id}/csag-assignments"),
    ]
    text = ""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        for headers, url in reads:
            r = await c.get(url, headers=headers)
            assert r.status_code == 200, (url, r.text)
            text += r.content.decode("utf-8", "replace")
    missing = {
        k
        for k, v in tenant1.all_secrets().items()
        if v not in text and k not in ("vendor_subject", "vendor_name", "vendor_npi")
    }
    # Read elsewhere: the renewal's id, the approval note; no answer names the member's row id.
    assert missing <= {"request 3", "approvalnote", "member_id"}, missing
