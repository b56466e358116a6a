"""Bad input to POST /v1/authorization-requests: a 422 naming the field, and nothing stored."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import (
    REQUESTS_URL,
    World,
    assert_problem,
    auth_headers,
    count_requests,
    line_body,
    request_body,
)

Body = dict[str, Any]
Mutation = Callable[[World, Body], None]

NOV_3 = date(2026, 11, 3)


@pytest.fixture
def vendor(settings: Settings, world: World) -> dict[str, str]:
    return auth_headers(settings, world.principal(Role.VENDOR))


def top(name: str, value: Any) -> Mutation:
    def apply(_world: World, body: Body) -> None:
        body[name] = value

    return apply


def line0(name: str, value: Any) -> Mutation:
    def apply(_world: World, body: Body) -> None:
        body["lines"][0][name] = value

    return apply


def drop(name: str) -> Mutation:
    def apply(_world: World, body: Body) -> None:
        del body[name]

    return apply


def lines(*made: Body) -> Mutation:
    def apply(_world: World, body: Body) -> None:
        body["lines"] = list(made)

    return apply


def network(pick: Callable[[World], Any]) -> Mutation:
    def apply(world: World, body: Body) -> None:
        body["network_id"] = str(pick(world))

    return apply


# (case id, mutation, field named in errors[], optional error code)
CASES: list[tuple[str, Mutation, str, str | None]] = [
    # member and network
    ("cin-short", top("member_cin", "1234567A"), "member_cin", None),
    ("cin-lowercase", top("member_cin", "12345678a"), "member_cin", None),
    ("cin-number", top("member_cin", 123456789), "member_cin", None),
    ("cin-missing", drop("member_cin"), "member_cin", "missing"),
    # issue 21: a CIN alone finds no one (an unknown member is eligibility's 404, not a 422)
    ("birth-date-missing", drop("member_birth_date"), "member_birth_date", "missing"),
    ("birth-date-us-format", top("member_birth_date", "03/14/2015"), "member_birth_date", None),
    (
        "birth-date-datetime",
        top("member_birth_date", "2015-03-14T00:00:00"),
        "member_birth_date",
        None,
    ),
    ("birth-date-null", top("member_birth_date", None), "member_birth_date", None),
    (
        "member-not-enrolled",
        lines(line_body(start=date(2024, 1, 1))),
        "member_cin",
        "not_enrolled",
    ),
    ("network-wrong", network(lambda w: w.network_b.id), "network_id", "wrong_network"),
    ("network-unknown", network(lambda w: uuid.uuid4()), "network_id", "wrong_network"),
    ("network-not-uuid", top("network_id", "network-a"), "network_id", None),
    # codes
    ("hcpcs-short", line0("hcpcs", "E123"), "lines[0].hcpcs", None),
    ("hcpcs-unknown", line0("hcpcs", "Z9999"), "lines[0].hcpcs", None),
    ("hcpcs-lowercase", line0("hcpcs", "l1960"), "lines[0].hcpcs", None),
    ("modifier-unknown", line0("modifiers", ["ZZ"]), "lines[0].modifiers[0]", None),
    ("modifier-lowercase", line0("modifiers", ["rt"]), "lines[0].modifiers[0]", None),
    ("modifier-second", line0("modifiers", ["RT", "Q"]), "lines[0].modifiers[1]", None),
    (
        "modifiers-too-many",
        line0("modifiers", ["RT", "NU", "KX", "BP", "GA"]),
        "lines[0].modifiers",
        None,
    ),
    ("icd10-malformed", top("diagnoses", ["123"]), "diagnoses[0]", None),
    ("icd10-category", top("diagnoses", ["G80"]), "diagnoses[0]", None),
    ("icd10-unknown", top("diagnoses", ["G80.0", "Z99.99"]), "diagnoses[1]", None),
    ("icd10-u-chapter", top("diagnoses", ["U07.1"]), "diagnoses[0]", None),
    ("icd10-duplicate", top("diagnoses", ["G80.0", "G80.0"]), "diagnoses", "duplicate_diagnosis"),
    (
        "icd10-duplicate-after-normalising",
        top("diagnoses", ["G80.0", "G800"]),
        "diagnoses",
        "duplicate_diagnosis",
    ),
    ("icd10-none", top("diagnoses", []), "diagnoses", None),
    ("npi-check-digit", top("prescriber_npi", "1234567890"), "prescriber_npi", None),
    ("npi-short", top("prescriber_npi", "123456789"), "prescriber_npi", None),
    ("npi-number", top("prescriber_npi", 1234567893), "prescriber_npi", None),
    # quantities
    ("quantity-zero", line0("quantity", 0), "lines[0].quantity", None),
    ("quantity-negative", line0("quantity", -1), "lines[0].quantity", None),
    ("quantity-string", line0("quantity", "1"), "lines[0].quantity", None),
    ("quantity-float", line0("quantity", 1.5), "lines[0].quantity", None),
    ("quantity-boolean", line0("quantity", True), "lines[0].quantity", None),
    ("quantity-null", line0("quantity", None), "lines[0].quantity", None),
    ("quantity-huge", line0("quantity", 10**9), "lines[0].quantity", None),
    # periods and dates
    (
        "end-before-start",
        lines(line_body(start=NOV_3, days=-1)),
        "lines[0].end_date",
        "period_order",
    ),
    ("date-number", line0("start_date", 20261103), "lines[0].start_date", None),
    ("date-unix-number", line0("end_date", 1793750400), "lines[0].end_date", None),
    ("date-boolean", line0("start_date", True), "lines[0].start_date", None),
    ("date-not-a-date", line0("start_date", "2026-02-30"), "lines[0].start_date", None),
    ("date-us-format", line0("start_date", "11/03/2026"), "lines[0].start_date", None),
    # duplicate and missing lines
    (
        "duplicate-line",
        lines(line_body(start=NOV_3), line_body(start=date(2026, 12, 1))),
        "lines[1]",
        "duplicate_line",
    ),
    (
        "duplicate-line-modifiers-reordered",
        lines(
            line_body("E1161", start=NOV_3, modifiers=["RR", "KX"]),
            line_body("E1161", start=NOV_3, modifiers=["KX", "RR"]),
        ),
        "lines[1]",
        "duplicate_line",
    ),
    ("lines-empty", top("lines", []), "lines", None),
    ("lines-missing", drop("lines"), "lines", "missing"),
    ("lines-not-a-list", top("lines", line_body()), "lines", None),
    (
        "lines-too-many",
        lines(*[line_body(start=NOV_3 + timedelta(days=i), days=0) for i in range(51)]),
        "lines",
        None,
    ),
    # enums and extras
    ("urgency-unknown", top("urgency", "urgent"), "urgency", None),
    ("kind-unknown", top("kind", "refill"), "kind", None),
    ("unit-unknown", line0("unit", "gallon"), "lines[0].unit", None),
    ("acquisition-unknown", line0("acquisition", "lease"), "lines[0].acquisition", None),
    ("extra-field", top("member_name", "Test Child"), "member_name", "extra_forbidden"),
    ("extra-line-field", line0("colour", "blue"), "lines[0].colour", "extra_forbidden"),
    ("brand-empty", line0("brand", ""), "lines[0].brand", None),
    ("notes-too-long", top("notes", "x" * 4001), "notes", None),
]


class TestBadInputIs422AndStoresNothing:
    @pytest.mark.parametrize(
        ("mutate", "field", "code"),
        [pytest.param(m, f, c, id=i) for i, m, f, c in CASES],
    )
    async def test_case(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: dict[str, str],
        database: Database,
        mutate: Mutation,
        field: str,
        code: str | None,
    ) -> None:
        body = request_body(world)
        mutate(world, body)

        r = await client.post(
            REQUESTS_URL, json=body, headers={**vendor, "Idempotency-Key": "bad-1"}
        )

        problem = assert_problem(r, 422, code="validation_error", field=field)
        named = [e for e in problem["errors"] if e["field"] == field]
        assert all(e["message"] for e in named)
        if code is not None:
            assert code in {e["code"] for e in named}, problem
        assert field in problem["detail"]
        assert "Child" not in r.text  # no member name ever comes back
        assert await count_requests(database, world.vendor.id) == 0
        # The key was not burned: the corrected request goes through with it.
        ok = await client.post(
            REQUESTS_URL, json=request_body(world), headers={**vendor, "Idempotency-Key": "bad-1"}
        )
        assert ok.status_code == 201, ok.text
        assert "Idempotent-Replayed" not in ok.headers

    async def test_every_bad_field_is_named_at_once(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str], database: Database
    ) -> None:
        body = request_body(world, member_cin="bad", prescriber_npi="1234567890")
        body["lines"][1]["quantity"] = 0

        r = await client.post(REQUESTS_URL, json=body, headers=vendor)

        problem = assert_problem(r, 422)
        assert {e["field"] for e in problem["errors"]} >= {
            "member_cin",
            "prescriber_npi",
            "lines[1].quantity",
        }
        assert await count_requests(database, world.vendor.id) == 0


class TestBadBodies:
    async def test_malformed_json_names_the_body(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str], database: Database
    ) -> None:
        r = await client.post(
            REQUESTS_URL,
            content=b'{"member_cin": "12345678A", ',
            headers={**vendor, "Content-Type": "application/json"},
        )

        assert_problem(r, 422, field="body")
        assert await count_requests(database, world.vendor.id) == 0

    @pytest.mark.parametrize("raw", [b"[]", b'"text"', b"null", b""])
    async def test_a_body_that_is_not_an_object_names_the_body(
        self, client: httpx.AsyncClient, vendor: dict[str, str], raw: bytes
    ) -> None:
        r = await client.post(
            REQUESTS_URL, content=raw, headers={**vendor, "Content-Type": "application/json"}
        )

        assert_problem(r, 422, field="body")

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
    )
    async def test_wrong_content_type_is_415(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: dict[str, str],
        database: Database,
        content_type: str,
    ) -> None:
        r = await client.post(
            REQUESTS_URL,
            content=json.dumps(request_body(world)).encode(),
            headers={**vendor, "Content-Type": content_type},
        )

        assert_problem(r, 415, code="unsupported_media_type")
        assert await count_requests(database, world.vendor.id) == 0

    async def test_a_body_without_content_type_is_415(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str], database: Database
    ) -> None:
        r = await client.post(
            REQUESTS_URL, content=json.dumps(request_body(world)).encode(), headers=vendor
        )

        assert_problem(r, 415, code="unsupported_media_type")
        assert await count_requests(database, world.vendor.id) == 0

    async def test_json_with_a_charset_is_accepted(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.post(
            REQUESTS_URL,
            content=json.dumps(request_body(world)).encode(),
            headers={**vendor, "Content-Type": "application/json; charset=utf-8"},
        )

        assert r.status_code == 201, r.text


class TestValidLookalikes:
    """Close to the bad cases above, but valid: they must not be refused."""

    async def test_same_code_on_each_side_is_not_a_duplicate(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        body = request_body(
            world,
            lines=[
                line_body(start=NOV_3, modifiers=["RT"]),
                line_body(start=NOV_3, modifiers=["LT"]),
            ],
        )

        r = await client.post(REQUESTS_URL, json=body, headers=vendor)

        assert r.status_code == 201, r.text
        assert [line["modifiers"] for line in r.json()["lines"]] == [["RT"], ["LT"]]

    async def test_same_code_in_periods_that_do_not_overlap_is_not_a_duplicate(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        body = request_body(
            world,
            lines=[
                line_body("T4522", start=NOV_3, days=27),
                line_body("T4522", start=date(2026, 12, 1), days=30),
            ],
        )

        r = await client.post(REQUESTS_URL, json=body, headers=vendor)

        assert r.status_code == 201, r.text
        assert len(r.json()["lines"]) == 2

    async def test_a_one_day_period_is_valid(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        body = request_body(world, lines=[line_body(start=NOV_3, days=0)])

        r = await client.post(REQUESTS_URL, json=body, headers=vendor)

        assert r.status_code == 201, r.text
        line = r.json()["lines"][0]
        assert line["start_date"] == line["end_date"] == "2026-11-03"

    async def test_an_undotted_diagnosis_is_normalised(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.post(
            REQUESTS_URL, json=request_body(world, diagnoses=["G800"]), headers=vendor
        )

        assert r.status_code == 201, r.text
        assert r.json()["diagnoses"] == ["G80.0"]


class TestKnownValidationGaps:
    async def test_a_duplicate_of_a_non_adjacent_line_is_refused(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str], database: Database
    ) -> None:
        body = request_body(
            world,
            lines=[
                line_body(start=NOV_3, days=20),  # Nov 3 - Nov 23
                line_body(start=date(2026, 12, 1), days=20),  # Dec 1 - Dec 21
                line_body(start=date(2026, 11, 10), days=5),  # inside the first line
            ],
        )

        r = await client.post(REQUESTS_URL, json=body, headers=vendor)

        assert_problem(r, 422, field="lines[2]")
        assert await count_requests(database, world.vendor.id) == 0

    @pytest.mark.parametrize("value", ["1793750400", "1793750400.0"])
    async def test_a_number_in_a_string_is_not_a_date(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: dict[str, str],
        database: Database,
        value: str,
    ) -> None:
        body = request_body(world)
        body["lines"][0]["end_date"] = value  # 2026-11-03 as Unix time

        r = await client.post(REQUESTS_URL, json=body, headers=vendor)

        assert_problem(r, 422, field="lines[0].end_date")
        assert await count_requests(database, world.vendor.id) == 0
