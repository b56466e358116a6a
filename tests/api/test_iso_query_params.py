"""Dates and times in query parameters are ISO 8601 strings, nothing else (issue 13, point 7).

Pydantic's lax mode would read ``0.5`` or ``1700000000`` as Unix time; every date or date-time
query parameter of the API refuses them with a 422 that names the parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from fixtures.factories import World, assert_problem, auth_headers


@dataclass(frozen=True)
class Param:
    path: str  # {cin} is the world's member A
    name: str
    role: Role
    good: str
    others: dict[str, str]  # the operation's other required parameters
    instant: bool = False  # a date-time, not a date


_ELIGIBILITY = "/v1/members/{cin}/eligibility"
_METRICS = "/v1/reports/prior-authorization-metrics"
_REQUESTS = "/v1/authorization-requests"
_ACCESS_LOG = "/v1/audit/access-log"
_BORN = "2016-05-01"  # make_world's members

PARAMS = [
    Param(_REQUESTS, "submitted_from", Role.VENDOR, "2026-11-01T00:00:00Z", {}),
    Param(_REQUESTS, "submitted_to", Role.VENDOR, "2026-11-09T00:00:00-08:00", {}),
    Param(_ELIGIBILITY, "on", Role.VENDOR, "2026-11-03", {"birth_date": _BORN}),
    Param(_ELIGIBILITY, "birth_date", Role.VENDOR, _BORN, {}),
    Param(_METRICS, "from", Role.PLAN_ADMIN, "2026-11-01", {"to": "2026-11-08"}),
    Param(_METRICS, "to", Role.PLAN_ADMIN, "2026-11-08", {"from": "2026-11-01"}),
    Param(_ACCESS_LOG, "from", Role.PLAN_ADMIN, "2026-11-01T00:00:00Z", {}, instant=True),
    Param(_ACCESS_LOG, "to", Role.PLAN_ADMIN, "2026-11-09T00:00:00+01:00", {}, instant=True),
]
_IDS = [f"{p.path.rsplit('/', 1)[-1]}:{p.name}" for p in PARAMS]

NUMBERS = ["0.5", "1700000000", "-1", "0", "1e9"]
NOT_A_DATE = ["20261102", "2026-11-2", "11/02/2026", "2026-11-02T00:00:00Z", "today", ""]
NOT_A_DATE_TIME = [
    "2026-11-02",  # a date, not an instant
    "2026-11-02T15:00:00",  # no time zone
    "2026-11-02T15:00Z",  # no seconds (RFC 3339 needs them)
    "2026-11-02 15:00:00Z",  # no T
    "2026-11-02T15:00:00 01:00",  # a + left unencoded in the URL
    "2026-W45-1T15:00:00Z",
    "2026-11-02T25:00:00Z",
    "now",
    "",
]


def _get(client: httpx.AsyncClient, settings: Settings, world: World, p: Param, value: str) -> Any:
    url = p.path.replace("{cin}", world.member.cin)
    headers = auth_headers(settings, world.principal(p.role))
    return client.get(url, params={**p.others, p.name: value}, headers=headers)


def _formats(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        own = {schema["format"]} if isinstance(schema.get("format"), str) else set()
        return own.union(*(_formats(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_formats(v) for v in schema))
    return set()


def test_the_table_covers_every_date_query_parameter(app: FastAPI) -> None:
    found = {
        (path, prm["name"])
        for path, item in app.openapi()["paths"].items()
        for op in item.values()
        for prm in op.get("parameters", [])
        if prm["in"] == "query" and _formats(prm["schema"]) & {"date", "date-time"}
    }
    assert found == {(p.path, p.name) for p in PARAMS}


@pytest.mark.parametrize("p", PARAMS, ids=_IDS)
async def test_an_iso_value_works(
    client: httpx.AsyncClient, settings: Settings, world: World, p: Param
) -> None:
    r = await _get(client, settings, world, p, p.good)

    assert r.status_code == 200, r.text


@pytest.mark.parametrize("value", NUMBERS)
@pytest.mark.parametrize("p", PARAMS, ids=_IDS)
async def test_a_number_is_422_naming_the_parameter(
    client: httpx.AsyncClient, settings: Settings, world: World, p: Param, value: str
) -> None:
    r = await _get(client, settings, world, p, value)

    body = assert_problem(r, 422, code="validation_error", field=p.name)
    assert [e["field"] for e in body["errors"]] == [p.name]


@pytest.mark.parametrize(
    ("p", "value"),
    [
        (p, v)
        for p in PARAMS
        for v in (NOT_A_DATE_TIME if p.name.startswith("submitted") or p.instant else NOT_A_DATE)
    ],
)
async def test_other_non_iso_forms_are_422(
    client: httpx.AsyncClient, settings: Settings, world: World, p: Param, value: str
) -> None:
    r = await _get(client, settings, world, p, value)

    assert_problem(r, 422, field=p.name)


@pytest.mark.parametrize(
    "value",
    ["2026-11-02T15:00:00+01:00", "2026-11-02t15:00:00z", "2026-11-02T15:00:00.123456789Z"],
)
async def test_rfc_3339_variants_of_an_instant_work(
    client: httpx.AsyncClient, settings: Settings, world: World, value: str
) -> None:
    r = await _get(client, settings, world, PARAMS[0], value)

    assert r.status_code == 200, r.text
