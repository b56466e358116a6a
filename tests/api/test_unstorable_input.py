"""Input no database can store, and dates at the calendar's ends, are 422s naming the field.

Issue 21 point 7: a NUL (PostgreSQL's text refuses it) or a lone surrogate (not UTF-8) in any
string of a JSON body, a query or path parameter or a header is refused before the body is
validated, on both databases; nothing is stored. Dates outside 1900-01-01..2199-12-31 are
refused where they enter (submit, coverage check, eligibility ``on=``, report periods...), so
no date arithmetic overflows into a 500.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.submissions.models import AuthorizationRequest
from fixtures.factories import World, auth_headers, request_body

REQUESTS = "/v1/authorization-requests"
NAME_AND_CONDITION = "Marisol Quintanilla has spina bifida"


def problem_field(r: httpx.Response, status: int = 422) -> set[str]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert "Marisol" not in r.text
    return {e["field"] for e in body["errors"]}


async def requests_of(database: Database, world: World) -> int:
    async with unit_of_work(database) as s:
        count = await s.scalar(
            select(func.count())
            .select_from(AuthorizationRequest)
            .where(AuthorizationRequest.vendor_id == world.vendor.id)
        )
    return int(count or 0)


class TestUnstorableText:
    @pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "lone-surrogate"])
    async def test_in_the_notes_of_a_submission(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        database: Database,
        world: World,
        bad: str,
    ) -> None:
        body = request_body(world, notes=f"{NAME_AND_CONDITION}{bad}.")
        raw = json.dumps(body)  # escapes both as \u0000 / \ud800, as any JSON encoder does
        r = await client.post(
            REQUESTS,
            content=raw,
            headers={
                **auth_headers(settings, world.principal(Role.VENDOR)),
                "Content-Type": "application/json",
            },
        )
        assert problem_field(r) == {"notes"}
        assert r.json()["errors"][0]["code"] == "string_unstorable"
        assert await requests_of(database, world) == 0

    async def test_in_a_nested_line_field_the_path_is_named(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        body = request_body(world)
        body["lines"][1]["brand"] = "Pedi\x00Flex"
        r = await client.post(
            "/v1/coverage-checks",
            json=body,
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        assert problem_field(r) == {"lines[1].brand"}

    async def test_in_the_question_of_an_information_request(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        created = await client.post(
            REQUESTS,
            json=request_body(world),
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        assert created.status_code == 201, created.text
        r = await client.post(
            f"/v1/review/requests/{created.json()['id']}/information-requests",
            json={"message": f"{NAME_AND_CONDITION}\x00?", "documents_requested": []},
            headers={
                **auth_headers(settings, world.principal(Role.REVIEWER)),
                "If-Match": f'"v{created.json()["version"]}"',
            },
        )
        assert problem_field(r) == {"message"}

    async def test_in_a_query_parameter(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        r = await client.get(
            REQUESTS,
            params={"member_cin": "12345\x00678A"},
            headers=auth_headers(settings, world.principal(Role.CARE_COORDINATOR)),
        )
        assert problem_field(r) == {"member_cin"}

    async def test_in_a_path_parameter(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        r = await client.get(
            "/v1/members/1234%00678A/eligibility",
            params={"birth_date": "2015-03-17"},
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        assert problem_field(r) == {"cin"}

    async def test_in_the_purpose_of_use_header(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        r = await client.get(
            REQUESTS,
            headers={
                **auth_headers(settings, world.principal(Role.VENDOR)),
                "X-Purpose-Of-Use": "TREAT\x00",
            },
        )
        assert problem_field(r) == {"X-Purpose-Of-Use"}


OUT_OF_RANGE = ["9999-12-30", "9999-12-31", "0001-01-01", "2200-01-01", "1899-12-31"]


class TestDatesAtTheCalendarsEnds:
    @pytest.mark.parametrize("day", OUT_OF_RANGE)
    @pytest.mark.parametrize("path", [REQUESTS, "/v1/coverage-checks"])
    @pytest.mark.parametrize("field", ["start_date", "end_date"])
    async def test_line_dates_are_422_naming_the_field(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        database: Database,
        world: World,
        day: str,
        path: str,
        field: str,
    ) -> None:
        body = request_body(world)
        body["lines"][0][field] = day
        if field == "start_date" and day > body["lines"][0]["end_date"]:
            body["lines"][0]["end_date"] = day
        r = await client.post(
            path, json=body, headers=auth_headers(settings, world.principal(Role.VENDOR))
        )
        fields = problem_field(r)
        assert f"lines[0].{field}" in fields, r.text
        message = next(e["message"] for e in r.json()["errors"] if e["field"].endswith(field))
        assert "between 1900-01-01 and 2199-12-31" in message
        assert await requests_of(database, world) == 0

    async def test_the_latest_accepted_dates_are_not_a_500(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        body = request_body(world)
        body["lines"][0]["start_date"] = "2199-12-01"
        body["lines"][0]["end_date"] = "2199-12-31"
        r = await client.post(
            "/v1/coverage-checks",
            json=body,
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        assert r.status_code < 500, r.text

    @pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
    async def test_eligibility_on(
        self, client: httpx.AsyncClient, settings: Settings, world: World, day: str
    ) -> None:
        r = await client.get(
            f"/v1/members/{world.member.cin}/eligibility",
            params={"birth_date": "2015-03-17", "on": day},
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        assert problem_field(r) == {"on"}

    async def test_report_period(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        r = await client.get(
            "/v1/reports/prior-authorization-metrics",
            params={"from": "0001-01-01", "to": "9999-12-31"},
            headers=auth_headers(settings, world.principal(Role.PLAN_ADMIN)),
        )
        assert problem_field(r) == {"from", "to"}

    @pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
    async def test_an_enrollment_at_the_calendars_ends(
        self, client: httpx.AsyncClient, settings: Settings, world: World, day: str
    ) -> None:
        # The latest enrollment is closed the day before the new one starts: 0001-01-01 - 1.
        r = await client.post(
            f"/v1/members/{world.member.cin}/enrollments",
            json={"network": str(world.network_b.id), "effective_from": day},
            headers=auth_headers(settings, world.principal(Role.PLAN_ADMIN)),
        )
        assert problem_field(r) == {"effective_from"}
