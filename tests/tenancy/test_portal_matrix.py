"""Issue 21 point 10, the portal's door: every route of the mounted portal app, GET pages with
tenant 1's ids and forms POSTed with a valid CSRF token of the caller's own session, by every
role of another tenant, over ASGI (no browser needed). Same checks as the API matrix."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.datastructures import State

from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.portal.app import MOUNT_PATH, create_portal
from dme_portal.portal.session import SESSION_COOKIE, SIGN_IN_PATH
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import token, unique_cin
from fixtures.rules import choc_like
from tenancy import tables
from tenancy.fingerprint import fingerprint
from tenancy.matrix import describe, diff, leaked
from tenancy.world import ACTORS, TODAY, Actor, Tenant1, Tenant2

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
Route = tuple[str, str]  # (method, path inside the portal)

PATH_VALUES: dict[str, Callable[[Tenant1], list[str]]] = {
    "request_id": lambda one: [one.open_id, one.approved_id, one.denied_id, one.renewal_id],
    "attachment_id": lambda one: [one.attachment_id, one.upload_id],
    "assignment_id": lambda one: [one.assignment_id],
    "code_set": lambda _: ["hcpcs", "icd10"],
}
GHOSTS: dict[str, Callable[[], str]] = {
    "request_id": lambda: str(uuid.uuid4()),
    "attachment_id": lambda: str(uuid.uuid4()),
    "assignment_id": lambda: str(uuid.uuid4()),
    "code_set": lambda: "hcpcs",
}


def _request_form(one: Tenant1) -> dict[str, str]:
    """The new-request form for tenant 1's member and the first item of its open request."""
    line = one.open_lines[0]
    return {
        "member_cin": one.member.cin,
        "birth_date": one.member.birth_date.isoformat(),
        "diagnoses-0": "G80.0",
        "lines-0-hcpcs": line["hcpcs"],
        "lines-0-quantity": str(line["quantity"]),
        "lines-0-start_date": line["start_date"],
        "lines-0-end_date": line["end_date"],
        "prescriber_npi": "1234567893",
        "urgency": "standard",
        "idempotency_key": str(uuid.uuid4()),
    }


Form = Callable[[Tenant1, Tenant2], dict[str, str]]

# GET routes: their query; POST routes: their form (the CSRF token is added to each).
ROUTES: dict[Route, Form] = {
    ("GET", "/sign-in"): lambda _o, _t: {},
    ("POST", "/sign-in"): lambda _o, _t: {"username": "nobody-of-the-matrix", "password": "wrong"},
    ("POST", "/sign-out"): lambda _o, _t: {},
    ("GET", "/"): lambda _o, _t: {},
    ("GET", "/requests/new"): lambda _o, _t: {},
    ("POST", "/requests/new/member"): lambda one, _t: {
        "member_cin": one.member.cin,
        "birth_date": one.member.birth_date.isoformat(),
    },
    ("POST", "/requests/new/coverage"): lambda one, _t: _request_form(one),
    ("GET", "/codes/{code_set}"): lambda _o, _t: {"q": "wheel"},
    ("POST", "/requests/new"): lambda one, _t: _request_form(one),
    ("POST", "/requests/{request_id}/information-response"): lambda _o, _t: {
        "message": "An answer from elsewhere.",
        "idempotency_key": str(uuid.uuid4()),
    },
    ("POST", "/renewals"): lambda one, _t: {
        "authorization_id": one.authorization_ids[1],
        "idempotency_key": str(uuid.uuid4()),
    },
    ("GET", "/requests/{request_id}"): lambda _o, _t: {},
    ("GET", "/review"): lambda _o, _t: {},
    ("POST", "/review/requests/{request_id}/claim"): lambda _o, _t: {},
    ("POST", "/review/requests/{request_id}/release"): lambda _o, _t: {},
    ("GET", "/review/requests/{request_id}"): lambda _o, _t: {},
    ("GET", "/review/requests/{request_id}/documents/{attachment_id}"): lambda _o, _t: {},
    ("POST", "/review/requests/{request_id}/decision"): lambda one, _t: {
        "etag": one.etags[one.open_id],
        "line-1-outcome": "approved",
        "line-2-outcome": "approved",
    },
    ("POST", "/review/requests/{request_id}/information-request"): lambda one, _t: {
        "etag": one.etags[one.open_id],
        "message": "A question from elsewhere.",
    },
    ("GET", "/coordinator"): lambda _o, _t: {},
    ("POST", "/coordinator"): lambda one, _t: {
        "cin": one.member.cin,
        "birth_date": one.member.birth_date.isoformat(),
    },
    ("GET", "/plan"): lambda _o, _t: {},
    ("GET", "/plan/metrics.csv"): lambda _o, _t: {},
    # The ruleset pages act on the admin's own network: tenant 1 must not show through them.
    ("GET", "/ruleset"): lambda _o, _t: {},
    ("POST", "/ruleset/draft"): lambda _o, _t: {
        "mode": "json",
        "document": json.dumps(choc_like()),
        "etag": "",
    },
    ("POST", "/ruleset/publish"): lambda _o, _t: {"etag": '"d1"'},
    ("GET", "/ruleset/diff"): lambda _o, _t: {"from": "1", "to": "2"},
    ("POST", "/ruleset/assignments"): lambda one, _t: {
        "member_cin": one.member.cin,
        "csag_id": "trach-care",
        "effective_from": TODAY.isoformat(),
    },
    ("POST", "/ruleset/assignments/{assignment_id}/end"): lambda _o, _t: {
        "effective_to": (TODAY + timedelta(days=1)).isoformat()
    },
}
# Forms naming tenant 1's member or authorization, and the field to give a ghost's instead: the
# page must be the same but for that value (a vendor with CIN and birth date may learn more).
BODY_GHOSTS: dict[Route, tuple[str, Callable[[], str]]] = {
    ("POST", "/ruleset/assignments"): ("member_cin", unique_cin),
    ("POST", "/coordinator"): ("cin", unique_cin),
    ("POST", "/renewals"): ("authorization_id", lambda: str(uuid.uuid4())),
}
# Routes that answer without a session, or end it, by design.
NO_SESSION = {("GET", "/sign-in"), ("POST", "/sign-in"), ("POST", "/sign-out")}


def live_routes() -> set[Route]:
    """The portal app's GET and POST routes, as mounted (static files aside)."""
    portal = create_portal(State())
    found: set[Route] = set()
    for route in iter_route_contexts(portal.routes):
        methods = getattr(route, "methods", None) or set()
        for method in methods & {"GET", "POST", "PUT", "PATCH", "DELETE"}:
            found.add((method, route.path))
    return found


def _cases() -> list[Any]:
    cases = []
    for method, path in sorted(live_routes() | set(ROUTES)):
        for actor in ACTORS:
            reason = tables.KNOWN_GAPS.get((f"portal {method} {path}", actor.id))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(
                pytest.param((method, path), actor, id=f"{method} {path}-{actor.id}", marks=marks)
            )
    return cases


def _masked(text: str, value: str) -> str:
    """The page without the value the form sent, nor what changes from one page to the next."""
    for shown in (value, value.lower(), value[:8]):  # an id may be shown by its first 8
        text = text.replace(shown, "VALUE")
    return re.sub(r'name="idempotency_key" value="[^"]*"', "", text)


def _names(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def _fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return MOUNT_PATH + path


async def _session(
    client: httpx.AsyncClient, settings: Settings, two: Tenant2, actor: Actor
) -> str:
    """Signed in as the actor (its own fresh token in the cookie); the CSRF token of a page."""
    client.cookies.set(
        SESSION_COOKIE, token(settings, two.principal(actor.role, actor.scope)), path=MOUNT_PATH
    )
    page = await client.get(SIGN_IN_PATH)
    found = CSRF.search(page.text)
    assert found, page.text[:300]
    return found.group(1)


@pytest.mark.parametrize(("route", "actor"), _cases())
async def test_another_tenant_gets_nothing_from_the_portal(
    route: Route,
    actor: Actor,
    tenant1: Tenant1,
    tenant2: Tenant2,
    app: FastAPI,
    settings: Settings,
    database: Database,
    clock: FrozenClock,
) -> None:
    method, path = route
    if route not in ROUTES:
        pytest.fail(f"portal route {method} {path} is not in ROUTES: add what it is sent")
    names = _names(path)
    unknown = [n for n in names if n not in PATH_VALUES]
    if unknown:
        pytest.fail(f"portal route {path}: path parameter(s) {unknown} not in PATH_VALUES")
    values = {n: PATH_VALUES[n](tenant1) for n in names}
    first = {n: v[0] for n, v in values.items()}
    variants = [first]
    if method == "GET":
        variants += [{**first, n: v} for n, vs in values.items() for v in vs[1:]]
    before = await fingerprint(database, tenant1) if method == "POST" else None
    problems: list[str] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        csrf = await _session(client, settings, tenant2, actor)

        async def send(url: str) -> httpx.Response:
            given = ROUTES[route](tenant1, tenant2)
            if method == "GET":
                return await client.get(url, params=given)
            return await client.post(url, data={**given, "csrf_token": csrf})

        responses = []
        for v in variants:
            r = await send(_fill(path, v))
            responses.append(r)
            if r.status_code >= 500:
                problems.append(f"server error: {describe(r)}")
            to = r.headers.get("location", "")
            if r.status_code == 303 and to.startswith(SIGN_IN_PATH) and route not in NO_SESSION:
                problems.append(f"the caller's session was refused: {describe(r)}")
            if r.status_code == 403 and "could not be verified" in r.text:
                problems.append(f"the CSRF token was refused: {describe(r)}")
            found = leaked(tenant1, actor, r)
            if found:
                problems.append(f"leaked {sorted(found)}: {describe(r)}")
        if names:
            ghost = await send(_fill(path, {n: GHOSTS[n]() for n in names}))
            if ghost.status_code != responses[0].status_code:
                problems.append(
                    f"tenant 1's object answers {responses[0].status_code}, a ghost "
                    f"{ghost.status_code}: {describe(responses[0])}"
                )
        if route in BODY_GHOSTS:
            name, make = BODY_GHOSTS[route]
            given = ROUTES[route](tenant1, tenant2)
            ghost_value = make()
            g = await client.post(
                _fill(path, first), data={**given, name: ghost_value, "csrf_token": csrf}
            )
            real = responses[-1]
            same = g.status_code == real.status_code and _masked(g.text, ghost_value) == _masked(
                real.text, given[name]
            )
            if not same:
                problems.append(
                    f"tenant 1's {name} answers otherwise than a ghost's: {describe(real)}"
                    f" / ghost: {g.status_code} {g.text[:600]}"
                )
    if before is not None:
        after = await fingerprint(database, tenant1)
        if after != before:
            problems.append(f"tenant 1 changed: {diff(before, after)}")
    assert not problems, "\n".join(problems)


def test_the_portal_matrix_covers_every_route(app: FastAPI) -> None:
    """Every GET and POST route of the portal is in ROUTES (and ROUTES names no stale one)."""
    assert live_routes() == set(ROUTES)
    assert set(PATH_VALUES) == set(GHOSTS)
