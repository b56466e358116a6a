"""GET /v1/reports/prior-authorization-metrics on a small data set built through the API.

Hub times are hours after T0 = 2026-11-02T00:00Z; the report covers [2026-11-02, 2026-11-04),
i.e. [T0, T0+48h), and is read at T0+100h.

Network A publishes the CHOC-like ruleset (CSAGs) with the clock stopped while pended and a
24-hour expedited turnaround; standard is 72 hours. Network B has no ruleset: 72 / 24 hours, the
clock never stops. Every request is decided, pended or cancelled as listed:

  id   net urg  received  story                                             status        hours
  A0   A   std  -1        submitted the day before `from` (left out)        in_review
  A1   A   std  +1        inside the cerebral palsy CSAG: approved by rules approved       0  met
  A2   A   std  +2        one line over the CSAG limit; approved at +12      approved     10  met
  A3   A   std  +3        pended +5, answered +15 (clock stopped 10 h: due
                          +85), denied at +90                               denied       87  missed
  A4   A   std  +4        pended +6, never answered (clock still stopped,
                          due +76 passed but not a breach)                  pended
  A5   A   std  +47       due +119, still in review (not late)              in_review
  A6   A   std  +48       received at `to` (left out)                       in_review
  A7   A   std  +20       cancelled at +21                                  cancelled
  AE1  A   exp  +6        due +30, still in review: late                    in_review
  AE2  A   exp  +7        one line by rules, the other modified at +10       modified      3  met
  B1   B   std  +0        approved at +24 (received at `from` exactly)       approved     24  met
  B2   B   std  +2        line 1 approved, line 2 denied at +80 (due +74)    partially    78  missed
  B3   B   std  +3        pended +4 (clock runs), answered +5, modified +9   modified      6  met
  B4   B   std  +10       due +82, still in review: late                    in_review
  B5   B   std  +11       pended +12, never answered; due +83: late          pended
  BE1  B   exp  +5        both lines denied at +30 (due +29)                 denied       25  missed
  BE2  B   exp  +30       cancelled at +31                                  cancelled
  BE3  B   exp  +40       due +64, still in review: late                    in_review
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.networks.models import Network
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import (
    World,
    assert_problem,
    auth_headers_at,
    cancel,
    if_match,
    line_body,
    make_world,
    request_body,
)
from fixtures.rules import choc_like, publish

URL = "/v1/reports/prior-authorization-metrics"
REQUESTS = "/v1/authorization-requests"
T0 = datetime(2026, 11, 2, tzinfo=UTC)
PERIOD = {"from": "2026-11-02", "to": "2026-11-04"}
FIRST_START = date(2026, 11, 3)
REPORT_AT = 100


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def half_year(n: int) -> date:
    """The start of member A's n-th request in network A.

    Each gets its own half-year: an initial request overlapping an open one or an
    authorization in force (CSAG authorizations run 180 days) for the same code is a 409.
    """
    return FIRST_START + timedelta(days=182 * n)


def over_limit(n: int) -> list[dict[str, Any]]:
    """One line above the CSAG's limit of 2: network A's rules leave it to a reviewer."""
    return [line_body("L1960", start=half_year(n), quantity=3)]


def inside_csag(n: int, quantity: int = 2) -> list[dict[str, Any]]:
    """Orthoses and a gait trainer inside CHOC's cerebral palsy CSAG (see test_rules_on_...)."""
    start = half_year(n)
    return [line_body("L1960", start=start, quantity=quantity), line_body("E8001", start=start)]


def denial(line_number: int) -> dict[str, Any]:
    return {
        "line_number": line_number,
        "outcome": "denied",
        "reason_code": "not_a_covered_benefit",
        "reason": "Not a benefit of the plan.",
    }


def approval(line_number: int) -> dict[str, Any]:
    return {"line_number": line_number, "outcome": "approved"}


class Desk:
    """Acts through the API at chosen hub times, with tokens issued at those times."""

    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
    ) -> None:
        self.client, self.settings, self.world, self.clock = client, settings, world, clock
        self.network_of: dict[str, Network] = {}
        self.created: dict[str, dict[str, Any]] = {}

    def headers(self, role: Role, org: Any = None) -> dict[str, str]:
        return auth_headers_at(self.settings, self.world.principal(role, org), self.clock.now())

    async def submit(
        self,
        hours: float,
        *,
        network_b: bool = False,
        expedited: bool = False,
        lines: list[dict[str, Any]] | None = None,
        expect: str = "in_review",
    ) -> str:
        self.clock.set(at(hours))
        overrides: dict[str, Any] = {}
        if network_b:
            overrides["member_cin"] = self.world.member_b.cin
        if expedited:
            overrides.update(urgency="expedited", expedited_reason="Skin breakdown risk.")
        if lines is not None:
            overrides["lines"] = lines
        r = await self.client.post(
            REQUESTS, json=request_body(self.world, **overrides), headers=self.headers(Role.VENDOR)
        )
        assert r.status_code == 201, r.text
        assert r.json()["status"] == expect, r.json()
        request_id = str(r.json()["id"])
        self.created[request_id] = r.json()
        self.network_of[request_id] = self.world.network_b if network_b else self.world.network_a
        return request_id

    def reviewer(self, request_id: str) -> dict[str, str]:
        return self.headers(Role.REVIEWER, self.network_of[request_id])

    async def pend(self, hours: float, request_id: str) -> None:
        self.clock.set(at(hours))
        r = await self.client.post(
            f"/v1/review/requests/{request_id}/information-requests",
            json={"message": "Which side?"},
            headers=await if_match(self.client, self.reviewer(request_id), request_id),
        )
        assert r.status_code == 201, r.text

    async def answer(self, hours: float, request_id: str) -> None:
        self.clock.set(at(hours))
        r = await self.client.post(
            f"{REQUESTS}/{request_id}/information-responses",
            json={"message": "The right side."},
            headers=self.headers(Role.VENDOR),
        )
        assert r.status_code == 201, r.text

    async def decide(
        self, hours: float, request_id: str, lines: list[dict[str, Any]], expect: str
    ) -> None:
        self.clock.set(at(hours))
        headers = self.reviewer(request_id)
        read = await self.client.get(f"{REQUESTS}/{request_id}", headers=headers)
        r = await self.client.post(
            f"/v1/review/requests/{request_id}/decision",
            json={"lines": lines},
            headers={**headers, "If-Match": read.headers["ETag"]},
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == expect

    async def cancel(self, hours: float, request_id: str) -> None:
        self.clock.set(at(hours))
        r = await cancel(self.client, self.headers(Role.VENDOR), request_id, json={})
        assert r.status_code == 200, r.text

    async def withdraw_open(self) -> None:
        """Cancel what is still open: the database is shared by every test of the run, and
        other tests' SLA sweeps process every open request in it."""
        self.clock.set(at(200))
        vendor = self.headers(Role.VENDOR)
        for request_id in self.network_of:
            r = await cancel(self.client, vendor, request_id, json={})
            assert r.status_code in (200, 409), r.text

    async def report(self, role: Role, org: Any = None, **params: str) -> httpx.Response:
        self.clock.set(at(REPORT_AT))
        return await self.client.get(
            URL, params={**PERIOD, **params}, headers=self.headers(role, org)
        )


async def build(desk: Desk, database: Database) -> None:
    """The data set of the module docstring."""
    world = desk.world
    doc = choc_like()
    doc["sla"].update(pause_while_pended=True, expedited_hours=24)
    await publish(database, world.network_a, doc)

    await desk.submit(-1, lines=over_limit(0))  # A0
    await desk.submit(1, lines=inside_csag(1), expect="approved")  # A1
    a2 = await desk.submit(2, lines=over_limit(2))
    await desk.decide(12, a2, [approval(1)], "approved")
    a3 = await desk.submit(3, lines=over_limit(3))
    await desk.pend(5, a3)
    await desk.answer(15, a3)
    await desk.decide(90, a3, [denial(1)], "denied")
    a4 = await desk.submit(4, lines=over_limit(4))
    await desk.pend(6, a4)
    await desk.submit(47, lines=over_limit(5))  # A5
    await desk.submit(48, lines=over_limit(6))  # A6
    a7 = await desk.submit(20, lines=over_limit(7))
    await desk.cancel(21, a7)
    await desk.submit(6, expedited=True, lines=over_limit(8))  # AE1
    ae2 = await desk.submit(7, expedited=True, lines=inside_csag(9, quantity=3))
    modify = {
        "line_number": 1,
        "outcome": "modified",
        "quantity": 2,
        "reason_code": "quantity_exceeds_policy",
        "reason": "Two are enough.",
    }
    await desk.decide(10, ae2, [modify], "modified")

    b1 = await desk.submit(0, network_b=True)
    await desk.decide(24, b1, [approval(1), approval(2)], "approved")
    b2 = await desk.submit(2, network_b=True)
    await desk.decide(80, b2, [approval(1), denial(2)], "partially_approved")
    b3 = await desk.submit(3, network_b=True)
    await desk.pend(4, b3)
    await desk.answer(5, b3)
    shorter = {
        "line_number": 1,
        "outcome": "modified",
        "end_date": desk.created[b3]["lines"][0]["start_date"],
        "reason_code": "period_exceeds_policy",
        "reason": "One day only.",
    }
    await desk.decide(9, b3, [shorter, approval(2)], "modified")
    await desk.submit(10, network_b=True)  # B4
    b5 = await desk.submit(11, network_b=True)
    await desk.pend(12, b5)
    be1 = await desk.submit(5, network_b=True, expedited=True)
    await desk.decide(30, be1, [denial(1), denial(2)], "denied")
    be2 = await desk.submit(30, network_b=True, expedited=True)
    await desk.cancel(31, be2)
    await desk.submit(40, network_b=True, expedited=True)  # BE3


def expected_rows(world: World) -> list[dict[str, Any]]:
    """Every metric of every row, worked by hand from the table in the module docstring."""
    a, b = world.network_a, world.network_b

    def net(n: Network, urgency: str) -> dict[str, Any]:
        return {
            "network_id": str(n.id),
            "network_code": n.code,
            "network_name": n.name,
            "urgency": urgency,
        }

    return [
        {
            **net(a, "standard"),
            # A1, A2, A3, A4, A5, A7 (A0 before `from`, A6 at `to`).
            "requests": 6,
            "cancelled": 1,  # A7
            "decided_by_rules_share": 0.1667,  # A1 / 6
            "approved": 2,  # A1, A2
            "partially_approved": 0,
            "modified": 0,
            "denied": 1,  # A3
            "pended": 2,  # A3, A4
            "approved_after_reconsideration": 0,
            "extended_timeframe_share": 0.3333,  # A3 (stopped 10 h), A4 (stopped now) / 6
            "decision_hours_mean": 32.33,  # (0 + 10 + 87) / 3
            "decision_hours_median": 10.0,
            "decision_hours_p90": 71.6,  # position 1.8: 10 + 0.8 * (87 - 10)
            "sla_met": 2,  # A1, A2
            "sla_missed": 1,  # A3: +90 > +85
            "sla_compliance": 0.6667,  # 2 / 3
            "breaches": 1,  # A3; A4's clock is stopped, A5 is due at +119
        },
        {
            **net(a, "expedited"),
            "requests": 2,  # AE1, AE2
            "cancelled": 0,
            "decided_by_rules_share": 0.0,  # AE2's rules decided one line, a reviewer the request
            "approved": 0,
            "partially_approved": 0,
            "modified": 1,  # AE2
            "denied": 0,
            "pended": 0,
            "approved_after_reconsideration": 0,
            "extended_timeframe_share": 0.0,
            "decision_hours_mean": 3.0,  # AE2: +7 to +10
            "decision_hours_median": 3.0,
            "decision_hours_p90": 3.0,
            "sla_met": 1,
            "sla_missed": 0,
            "sla_compliance": 1.0,
            "breaches": 1,  # AE1, due at +30, still open at +100
        },
        {
            **net(b, "standard"),
            "requests": 5,  # B1 .. B5
            "cancelled": 0,
            "decided_by_rules_share": 0.0,
            "approved": 1,  # B1
            "partially_approved": 1,  # B2
            "modified": 1,  # B3
            "denied": 0,
            "pended": 2,  # B3, B5
            "approved_after_reconsideration": 0,
            "extended_timeframe_share": 0.0,  # network B never stops the clock
            "decision_hours_mean": 36.0,  # (24 + 78 + 6) / 3
            "decision_hours_median": 24.0,
            "decision_hours_p90": 67.2,  # sorted 6, 24, 78; position 1.8: 24 + 0.8 * 54
            "sla_met": 2,  # B1, B3
            "sla_missed": 1,  # B2: +80 > +74
            "sla_compliance": 0.6667,
            "breaches": 3,  # B2 missed; B4 (due +82) and B5 (due +83, pended) open and late
        },
        {
            **net(b, "expedited"),
            "requests": 3,  # BE1, BE2, BE3
            "cancelled": 1,  # BE2
            "decided_by_rules_share": 0.0,
            "approved": 0,
            "partially_approved": 0,
            "modified": 0,
            "denied": 1,  # BE1
            "pended": 0,
            "approved_after_reconsideration": 0,
            "extended_timeframe_share": 0.0,
            "decision_hours_mean": 25.0,  # BE1: +5 to +30
            "decision_hours_median": 25.0,
            "decision_hours_p90": 25.0,
            "sla_met": 0,
            "sla_missed": 1,  # BE1: +30 > +29
            "sla_compliance": 0.0,
            "breaches": 2,  # BE1 missed; BE3 due +64, open
        },
    ]


@pytest.fixture
async def desk(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> AsyncIterator[Desk]:
    desk = Desk(client, settings, world, clock)
    await build(desk, database)
    yield desk
    await desk.withdraw_open()


class TestMetrics:
    async def test_every_metric_of_every_row(self, desk: Desk) -> None:
        r = await desk.report(Role.PLAN_ADMIN)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        body = r.json()
        assert body["from"] == "2026-11-02"
        assert body["to"] == "2026-11-04"
        assert body["generated_at"] == "2026-11-06T04:00:00Z"
        # The plan's networks are the world's two; rows are by network name, then urgency.
        assert body["items"] == expected_rows(desk.world)

    async def test_one_network_of_the_plan(self, desk: Desk) -> None:
        r = await desk.report(Role.PLAN_ADMIN, network=str(desk.world.network_b.id))
        assert r.status_code == 200, r.text
        assert r.json()["items"] == expected_rows(desk.world)[2:]

    async def test_csv_has_the_same_rows(self, desk: Desk) -> None:
        as_json = (await desk.report(Role.PLAN_ADMIN)).json()["items"]
        desk.clock.set(at(REPORT_AT))
        r = await desk.client.get(
            URL,
            params=PERIOD,
            headers={**desk.headers(Role.PLAN_ADMIN), "Accept": "text/csv"},
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "text/csv; charset=utf-8"
        reader = csv.reader(io.StringIO(r.text))
        header = next(reader)
        assert header == list(as_json[0])
        rows = [dict(zip(header, cells, strict=True)) for cells in reader]
        assert rows == [
            {k: "" if v is None else str(v) for k, v in item.items()} for item in as_json
        ]
        # Numbers read back as the JSON's numbers.
        assert float(rows[0]["decision_hours_p90"]) == as_json[0]["decision_hours_p90"] == 71.6


class TestAccess:
    async def test_network_admin_sees_only_its_network(self, desk: Desk) -> None:
        world, b = desk.world, desk.world.network_b
        own = await desk.report(Role.NETWORK_ADMIN, b)
        assert own.status_code == 200, own.text
        assert own.json()["items"] == expected_rows(world)[2:]
        named = await desk.report(Role.NETWORK_ADMIN, b, network=str(b.id))
        assert named.json()["items"] == expected_rows(world)[2:]
        other = await desk.report(Role.NETWORK_ADMIN, b, network=str(world.network_a.id))
        assert_problem(other, 404, code="network.not_found")

    async def test_another_plans_admin_sees_none_of_it(
        self, desk: Desk, database: Database
    ) -> None:
        other = await make_world(database)
        world = desk.world
        r = await desk.report(Role.PLAN_ADMIN, other.plan)
        assert r.status_code == 200, r.text
        rows = r.json()["items"]
        assert {row["network_id"] for row in rows} == {
            str(other.network_a.id),
            str(other.network_b.id),
        }
        assert all(row["requests"] == 0 for row in rows)
        for network in (world.network_a, world.network_b):
            r = await desk.report(Role.PLAN_ADMIN, other.plan, network=str(network.id))
            assert_problem(r, 404)
