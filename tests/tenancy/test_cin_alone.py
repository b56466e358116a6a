"""Issue 21 points 2 and 10: another vendor that knows only a member's CIN learns nothing of
tenant 1 (its member, its network, its requests), through the API and the portal."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.portal.session import SESSION_COOKIE, SIGN_IN_PATH
from dme_portal.sla.clock import FrozenClock
from dme_portal.submissions.schemas import AuthorizationRequestCreate
from fixtures.factories import auth_headers, token, unique_cin
from tenancy.tables import known_gap, submission
from tenancy.world import Tenant1, Tenant2

VENDORS = [Role.VENDOR, Role.VENDOR_CLIENT]
TAKES_BIRTH_DATE = "member_birth_date" in AuthorizationRequestCreate.model_fields


def cin_only(one: Tenant1, cin: str, **over: Any) -> dict[str, Any]:
    body = submission(one)
    body.pop("member_birth_date", None)
    body["member_cin"] = cin
    body.update(over)
    return body


def _e0260(days: int) -> list[dict[str, Any]]:
    start = date(2027, 3, 1) + timedelta(days=days)
    return [
        {
            "hcpcs": "E0260",
            "quantity": 1,
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=30)).isoformat(),
        }
    ]


async def _pair(
    app: FastAPI, headers: dict[str, str], url: str, real: dict[str, Any], ghost: dict[str, Any]
) -> tuple[httpx.Response, httpx.Response]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        a = await c.post(url, json=real, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        b = await c.post(url, json=ghost, headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
    return a, b


def _same_answer(real: httpx.Response, ghost: httpx.Response) -> None:
    assert real.status_code >= 400, real.text
    assert (real.status_code, real.json().get("code")) == (
        ghost.status_code,
        ghost.json().get("code"),
    ), (real.text, ghost.text)


@known_gap("cin: coverage check")
@pytest.mark.parametrize("role", VENDORS)
async def test_a_coverage_check_with_a_cin_alone_answers_as_for_an_unknown_cin(
    tenants: tuple[Tenant1, Tenant2],
    app: FastAPI,
    settings: Settings,
    role: Role,
    clock: FrozenClock,
) -> None:
    one, two = tenants
    headers = auth_headers(settings, two.principal(role, "vendor"))
    real, ghost = await _pair(
        app,
        headers,
        "/v1/coverage-checks",
        cin_only(one, one.member.cin),
        cin_only(one, unique_cin()),
    )
    _same_answer(real, ghost)


@known_gap("cin: submit")
@pytest.mark.parametrize("role", VENDORS)
async def test_a_submission_with_a_cin_alone_answers_as_for_an_unknown_cin(
    tenants: tuple[Tenant1, Tenant2],
    app: FastAPI,
    settings: Settings,
    role: Role,
    clock: FrozenClock,
) -> None:
    one, two = tenants
    headers = auth_headers(settings, two.principal(role, "vendor"))
    days = VENDORS.index(role) * 40
    real, ghost = await _pair(
        app,
        headers,
        "/v1/authorization-requests",
        cin_only(one, one.member.cin, lines=_e0260(days)),
        cin_only(one, unique_cin(), lines=_e0260(days)),
    )
    _same_answer(real, ghost)
    assert one.identity["last_name"] not in real.text


@pytest.mark.skipif(not TAKES_BIRTH_DATE, reason="issue 21 slice B adds member_birth_date")
@pytest.mark.parametrize("url", ["/v1/coverage-checks", "/v1/authorization-requests"])
async def test_a_wrong_birth_date_answers_as_for_an_unknown_cin(
    tenants: tuple[Tenant1, Tenant2], app: FastAPI, settings: Settings, url: str, clock: FrozenClock
) -> None:
    one, two = tenants
    headers = auth_headers(settings, two.principal(Role.VENDOR, "vendor"))
    wrong = (one.member.birth_date + timedelta(days=1)).isoformat()
    real, ghost = await _pair(
        app,
        headers,
        url,
        cin_only(one, one.member.cin, member_birth_date=wrong, lines=_e0260(200)),
        cin_only(one, unique_cin(), member_birth_date=wrong, lines=_e0260(200)),
    )
    _same_answer(real, ghost)


@known_gap("cin: duplicate")
async def test_a_duplicate_of_another_vendors_request_names_nothing_of_it(
    tenants: tuple[Tenant1, Tenant2], app: FastAPI, settings: Settings, clock: FrozenClock
) -> None:
    """409, saying only that the member already has the item for that period."""
    one, two = tenants
    theirs = one.open_lines[0]
    start = date.fromisoformat(theirs["start_date"]) + timedelta(days=1)
    end = date.fromisoformat(theirs["end_date"]) - timedelta(days=1)
    body = submission(one)  # with the birth date once the schema takes it
    body["lines"][0].update(start_date=start.isoformat(), end_date=end.isoformat())
    headers = auth_headers(settings, two.principal(Role.VENDOR, "vendor"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        r = await c.post(
            "/v1/authorization-requests",
            json=body,
            headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
    assert r.status_code == 409, r.text
    assert theirs["start_date"] not in r.text
    assert theirs["end_date"] not in r.text
    assert "another vendor" not in r.text.lower()


@known_gap("cin: portal coverage check")
async def test_the_portals_coverage_check_with_a_cin_alone_names_no_network(
    tenants: tuple[Tenant1, Tenant2], app: FastAPI, settings: Settings, clock: FrozenClock
) -> None:
    one, two = tenants
    line = one.open_lines[0]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        c.cookies.set(
            SESSION_COOKIE, token(settings, two.principal(Role.VENDOR, "vendor")), path="/portal"
        )
        page = await c.get(SIGN_IN_PATH)
        found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert found
        r = await c.post(
            "/portal/requests/new/coverage",
            data={
                "csrf_token": found.group(1),
                "member_cin": one.member.cin,
                "birth_date": "",
                "diagnoses-0": "G80.0",
                "lines-0-hcpcs": line["hcpcs"],
                "lines-0-quantity": "1",
                "lines-0-start_date": line["start_date"],
                "lines-0-end_date": line["end_date"],
                "prescriber_npi": "1234567893",
                "urgency": "standard",
            },
            headers={"HX-Request": "true"},
        )
    assert r.status_code < 500
    assert one.network.name not in r.text
    assert one.network.code not in r.text
