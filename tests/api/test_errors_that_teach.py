"""Errors that teach (issue 14.4): RFC 6750 headers, form-encoded token requests, where the
JSON breaks, what a valid value looks like, and every problem of a body in one answer."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.submissions import validation
from fixtures.factories import (
    NOW,
    REQUESTS_URL,
    World,
    assert_problem,
    auth_headers,
    count_requests,
    request_body,
    token,
)

Headers = dict[str, str]


@pytest.fixture
def vendor(settings: Settings, world: World) -> Headers:
    return auth_headers(settings, world.principal(Role.VENDOR))


class TestTokens:
    async def test_an_expired_token_says_so_in_www_authenticate(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        old = token(settings, world.principal(Role.VENDOR), now=NOW - timedelta(days=1))
        r = await client.get("/v1/networks", headers={"Authorization": f"Bearer {old}"})

        problem = assert_problem(r, 401, code="auth.invalid_token")
        assert problem["detail"] == "The access token has expired."
        assert r.headers["WWW-Authenticate"] == (
            'Bearer realm="dme-portal", error="invalid_token", '
            'error_description="The access token has expired."'
        )

    async def test_no_token_has_no_error_code(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/v1/networks")
        assert_problem(r, 401, code="auth.unauthorized")
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="dme-portal"'

    async def test_a_json_token_request_is_told_to_send_a_form(
        self, client: httpx.AsyncClient
    ) -> None:
        r = await client.post(
            "/v1/auth/token", json={"grant_type": "password", "username": "a", "password": "b"}
        )
        problem = assert_problem(r, 400, code="oauth.invalid_request")
        assert problem["error"] == "invalid_request"
        assert "application/x-www-form-urlencoded" in problem["detail"]
        assert "grant_type is required" not in problem["detail"]


class TestMalformedJson:
    async def test_the_answer_names_the_line_and_column(
        self, client: httpx.AsyncClient, vendor: Headers, world: World, database: Database
    ) -> None:
        text = json.dumps(request_body(world), indent=2).replace('"kind": "initial",', '"kind": ,')
        line = next(i for i, ln in enumerate(text.splitlines(), 1) if '"kind": ,' in ln)
        r = await client.post(
            REQUESTS_URL,
            content=text.encode(),
            headers={**vendor, "Content-Type": "application/json"},
        )

        problem = assert_problem(r, 422, field="body")
        message = problem["errors"][0]["message"]
        assert f"at line {line}, column 11" in message, message
        assert message.startswith("The body is not valid JSON: Expecting value")
        assert await count_requests(database, world.vendor.id) == 0


class TestMessagesThatTeach:
    @pytest.mark.parametrize(
        ("where", "value", "hint"),
        [
            ("hcpcs", "E11610", "one capital letter and four digits, such as E1161"),
            ("member_cin", "12345", "eight digits and a capital letter, such as 91234567A"),
            ("prescriber_npi", "12345", "ten digits, such as 1234567893"),
            ("diagnosis", "80G", "such as G80.0"),
        ],
    )
    async def test_a_pattern_error_shows_a_valid_value_not_the_regex(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        world: World,
        where: str,
        value: str,
        hint: str,
    ) -> None:
        body = request_body(world)
        field = {
            "hcpcs": "lines[0].hcpcs",
            "member_cin": "member_cin",
            "prescriber_npi": "prescriber_npi",
            "diagnosis": "diagnoses[0]",
        }[where]
        if where == "hcpcs":
            body["lines"][0]["hcpcs"] = value
        elif where == "diagnosis":
            body["diagnoses"] = [value]
        else:
            body[where] = value

        r = await client.post(REQUESTS_URL, json=body, headers=vendor)

        problem = assert_problem(r, 422, field=field)
        (error,) = [e for e in problem["errors"] if e["field"] == field]
        assert hint in error["message"], error
        assert "[0-9]" not in error["message"]
        assert error["code"] == "string_pattern_mismatch"

    async def test_every_problem_of_a_body_comes_in_one_answer(
        self, client: httpx.AsyncClient, vendor: Headers, world: World, database: Database
    ) -> None:
        body = request_body(world, urgency="expedited", diagnoses=["G80.0", "G80.0"])
        body["lines"][1]["end_date"] = "2026-01-01"  # before its start
        body["lines"].append(dict(body["lines"][0]))  # repeats line 0
        body["lines"][0]["quantity"] = 0  # not positive: a field error, reported with the rest

        r = await client.post(REQUESTS_URL, json=body, headers=vendor)

        problem = assert_problem(r, 422)
        codes = {(e["field"], e["code"]) for e in problem["errors"]}
        assert codes >= {
            ("lines[0].quantity", "greater_than"),
            ("lines[1].end_date", "period_order"),
            ("lines[2]", "duplicate_line"),
            ("diagnoses", "duplicate_diagnosis"),
            ("expedited_reason", "expedited_reason_required"),
        }, codes
        assert await count_requests(database, world.vendor.id) == 0

    async def test_a_body_with_only_a_period_error_names_it(
        self, client: httpx.AsyncClient, vendor: Headers, world: World
    ) -> None:
        body = request_body(world)
        body["lines"][0]["end_date"] = "2026-01-01"
        r = await client.post("/v1/coverage-checks", json=body, headers=vendor)
        problem = assert_problem(r, 422, field="lines[0].end_date")
        assert problem["errors"][0]["message"] == "must not be before start_date"


class TestCrossFieldChecksOnJunk:
    """Found by schemathesis: the raw-input checks must survive any JSON shape."""

    @pytest.mark.parametrize(
        "junk",
        [
            {
                "lines": [{"hcpcs": [None], "start_date": "2026-12-01", "end_date": "2026-12-02"}]
                * 2
            },
            {
                "lines": [
                    {
                        "hcpcs": "L1960",
                        "modifiers": {"a": 1},
                        "start_date": "2026-12-01",
                        "end_date": "2026-12-02",
                    }
                ]
                * 2
            },
            {"lines": "L1960", "diagnoses": [None, ["G80.0"], 7], "urgency": ["expedited"]},
            {"lines": [None, 3, []], "diagnoses": "G80.0"},
        ],
    )
    def test_it_returns_problems_and_never_raises(self, junk: dict[str, object]) -> None:
        problems = validation.request_problems(junk)
        assert all(p["loc"] for p in problems)

    async def test_an_unhashable_code_is_a_422(
        self, client: httpx.AsyncClient, vendor: Headers, world: World
    ) -> None:
        body = request_body(world)
        body["lines"][1] = dict(body["lines"][0], hcpcs=["E1161"])
        r = await client.post(REQUESTS_URL, json=body, headers=vendor)
        assert_problem(r, 422, field="lines[1].hcpcs")
