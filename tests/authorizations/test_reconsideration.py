"""Issue 16 point 5: reconsideration of denied or modified lines by another physician.

The vendor asks within the ruleset's period (60 days by default) with a reason and documents;
a medical director other than the one who decided (or the network's UM system naming another
physician) upholds or overturns each line on the reconsideration's own clock (30 days, or 72
hours when expedited); an overturn issues the authorization and counts in the metrics.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.authorizations.models import Authorization
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.sla.clock import FrozenClock
from fixtures.documents import pdf_bytes
from fixtures.factories import (
    NOW,
    World,
    assert_problem,
    auth_headers_at,
    request_body,
    unique_npi,
)

URL = "/v1/authorization-requests"
DENIAL = {"reason_code": "medical_necessity", "reason": "Not needed at this age."}


def person(world: World, role: Role, name: str, org: Any = None) -> Principal:
    org = org or world.network_a
    kind = OrgKind.VENDOR if role in (Role.VENDOR, Role.VENDOR_CLIENT) else OrgKind.NETWORK
    return Principal(subject=f"user:{name}", role=role, org_kind=kind, org_id=org.id)


class Hub:
    """The API as the test's people see it, with tokens issued at the clock's time."""

    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
    ) -> None:
        self.client, self.settings, self.world, self.clock = client, settings, world, clock
        self.vendor = person(world, Role.VENDOR, "vendor-1", world.vendor)
        self.md_a = person(world, Role.MEDICAL_DIRECTOR, "md-a")
        self.md_b = person(world, Role.MEDICAL_DIRECTOR, "md-b")
        self.reviewer = person(world, Role.REVIEWER, "reviewer-1")
        self.system = person(world, Role.NETWORK_CLIENT, "um-system")

    def h(self, who: Principal) -> dict[str, str]:
        return auth_headers_at(self.settings, who, self.clock.now())

    async def submit(self, **kw: Any) -> dict[str, Any]:
        r = await self.client.post(
            URL, json=request_body(self.world, **kw), headers=self.h(self.vendor)
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def decide(
        self, who: Principal, request_id: str, lines: list[dict[str, Any]], **extra: Any
    ) -> dict[str, Any]:
        read = await self.client.get(f"{URL}/{request_id}", headers=self.h(who))
        r = await self.client.post(
            f"/v1/review/requests/{request_id}/decision",
            json={"lines": lines, **extra},
            headers={**self.h(who), "If-Match": read.headers["ETag"]},
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def denied(self, who: Principal | None = None, **extra: Any) -> dict[str, Any]:
        """A request whose two lines ``who`` (medical director A) denied for medical necessity."""
        created = await self.submit()
        return await self.decide(
            who or self.md_a,
            created["id"],
            [{"line_number": n, "outcome": "denied", **DENIAL} for n in (1, 2)],
            **extra,
        )

    async def ask(self, request_id: str, **body: Any) -> httpx.Response:
        body.setdefault("lines", [1])
        body.setdefault("reason", "New seating evaluation shows the need.")
        return await self.client.post(
            f"{URL}/{request_id}/reconsiderations", json=body, headers=self.h(self.vendor)
        )

    async def rule(
        self, who: Principal, rid: str, body: dict[str, Any], etag: str | None = None
    ) -> httpx.Response:
        if etag is None:
            read = await self.client.get(f"/v1/reconsiderations/{rid}", headers=self.h(who))
            etag = read.headers["ETag"]
        return await self.client.post(
            f"/v1/review/reconsiderations/{rid}/decision",
            json=body,
            headers={**self.h(who), "If-Match": etag},
        )


def overturn(*numbers: int) -> dict[str, Any]:
    return {"lines": [{"line_number": n, "outcome": "overturned"} for n in numbers]}


def uphold(*numbers: int) -> dict[str, Any]:
    return {"lines": [{"line_number": n, "outcome": "upheld"} for n in numbers]}


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_a_second_director_overturns_issues_the_authorization_and_counts(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> None:
    hub = Hub(client, settings, world, clock)
    denied = await hub.denied()
    assert denied["status"] == "denied"
    rid_ = denied["id"]
    clock.advance(timedelta(days=60))  # the last day of the period
    upload = await client.post(
        "/v1/attachments",
        files={"file": ("eval.pdf", pdf_bytes(uuid.uuid4().hex), "application/pdf")},
        data={"document_type": "seating_evaluation"},
        headers=hub.h(hub.vendor),
    )
    assert upload.status_code == 201, upload.text
    asked = await hub.ask(rid_, attachment_ids=[upload.json()["id"]])
    assert asked.status_code == 201, asked.text
    recon = asked.json()
    assert asked.headers["Location"] == f"/v1/reconsiderations/{recon['id']}"
    assert asked.headers["ETag"] == '"v1"'
    assert recon["status"] == "open"
    assert recon["attachment_ids"] == [upload.json()["id"]]
    assert at(recon["due_at"]) == clock.now() + timedelta(days=30)
    attachments = await client.get(f"{URL}/{rid_}/attachments", headers=hub.h(hub.md_b))
    assert upload.json()["id"] in {a["id"] for a in attachments.json()["items"]}

    queue = await client.get("/v1/review/reconsiderations", headers=hub.h(hub.md_b))
    assert queue.status_code == 200, queue.text
    assert recon["id"] in [i["id"] for i in queue.json()["items"]]

    refused = await hub.rule(hub.md_a, recon["id"], overturn(1))
    assert_problem(refused, 403, code="reconsideration.same_physician")
    refused = await hub.rule(hub.reviewer, recon["id"], overturn(1))
    assert_problem(refused, 403, code="reconsideration.physician_required")

    decided = await hub.rule(hub.md_b, recon["id"], {**overturn(1), "note": "Evaluation."})
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["status"], body["outcome"]) == ("decided", "overturned")
    assert body["deciding_physician"]["subject"] == hub.md_b.subject
    number = body["lines"][0]["authorization_number"]
    assert number

    request = (await client.get(f"{URL}/{rid_}", headers=hub.h(hub.vendor))).json()
    line = request["lines"][0]
    assert line["outcome"] == "approved"
    assert line["authorization"]["number"] == number
    assert request["lines"][1]["outcome"] == "denied"
    assert request["status"] == "partially_approved"
    async with unit_of_work(database) as s:
        row = (
            await s.execute(select(Authorization).where(Authorization.number == number))
        ).scalar_one()
    assert (row.request_id, row.line_number, row.state.value) == (
        uuid.UUID(rid_),
        1,
        "active",
    )

    kinds = [
        e["kind"]
        for e in (await client.get(f"{URL}/{rid_}/events", headers=hub.h(hub.vendor))).json()[
            "items"
        ]
    ]
    assert kinds[-2:] == ["reconsideration_requested", "reconsideration_decided"]

    plan = Principal("user:plan-1", Role.PLAN_ADMIN, OrgKind.PLAN, world.plan.id)
    report = await client.get(
        "/v1/reports/prior-authorization-metrics",
        params={
            "from": NOW.date().isoformat(),
            "to": (NOW.date() + timedelta(days=1)).isoformat(),
        },
        headers=hub.h(plan),
    )
    assert report.status_code == 200, report.text
    rows = {
        r["urgency"]: r
        for r in report.json()["items"]
        if r["network_id"] == str(world.network_a.id)
    }
    assert rows["standard"]["approved_after_reconsideration"] == 1, rows
    assert rows["expedited"]["approved_after_reconsideration"] == 0


async def test_the_period_ends_after_day_60(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
) -> None:
    hub = Hub(client, settings, world, clock)
    denied = await hub.denied()
    clock.advance(timedelta(days=61))
    r = await hub.ask(denied["id"])
    problem = assert_problem(r, 422, field="lines")
    last = (NOW.date() + timedelta(days=60)).isoformat()
    assert last in problem["errors"][0]["message"]


async def test_only_denied_or_modified_lines(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
) -> None:
    hub = Hub(client, settings, world, clock)
    created = await hub.submit()
    await hub.decide(
        hub.md_a,
        created["id"],
        [
            {"line_number": 1, "outcome": "denied", **DENIAL},
            {"line_number": 2, "outcome": "approved"},
        ],
    )
    r = await hub.ask(created["id"], lines=[1, 2])
    assert_problem(r, 422, field="lines[1]")
    undecided = await hub.submit()
    assert_problem(await hub.ask(undecided["id"]), 422, field="lines[0]")


async def test_one_open_reconsideration_per_line(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
) -> None:
    hub = Hub(client, settings, world, clock)
    denied = await hub.denied()
    assert (await hub.ask(denied["id"], lines=[1])).status_code == 201
    again = await hub.ask(denied["id"], lines=[2, 1])
    assert_problem(again, 409, code="reconsideration.already_open")
    assert (await hub.ask(denied["id"], lines=[2])).status_code == 201


async def test_expedited_is_due_in_72_hours_standard_in_30_days(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
) -> None:
    hub = Hub(client, settings, world, clock)
    denied = await hub.denied()
    missing = await hub.ask(denied["id"], lines=[1], expedited=True)
    assert_problem(missing, 422, field="expedited_reason")
    fast = await hub.ask(
        denied["id"], lines=[1], expedited=True, expedited_reason="Skin breakdown risk."
    )
    assert fast.status_code == 201, fast.text
    assert at(fast.json()["due_at"]) == NOW + timedelta(hours=72)
    slow = await hub.ask(denied["id"], lines=[2])
    assert at(slow.json()["due_at"]) == NOW + timedelta(days=30)
    queue = await client.get("/v1/review/reconsiderations", headers=hub.h(hub.md_b))
    ids = [i["id"] for i in queue.json()["items"]]
    assert ids.index(fast.json()["id"]) < ids.index(slow.json()["id"])  # earliest due first


async def test_uphold_leaves_the_denial(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> None:
    hub = Hub(client, settings, world, clock)
    denied = await hub.denied()
    recon = (await hub.ask(denied["id"], lines=[1, 2])).json()
    r = await hub.rule(hub.md_b, recon["id"], uphold(1, 2))
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "upheld"
    request = (await client.get(f"{URL}/{denied['id']}", headers=hub.h(hub.vendor))).json()
    assert request["status"] == "denied"
    assert [ln["outcome"] for ln in request["lines"]] == ["denied", "denied"]
    async with unit_of_work(database) as s:
        rows = (
            await s.execute(
                select(Authorization).where(Authorization.request_id == uuid.UUID(denied["id"]))
            )
        ).all()
    assert rows == []
    again = await hub.rule(hub.md_b, recon["id"], uphold(1, 2))
    assert_problem(again, 409, code="reconsideration.decided")


async def test_a_network_system_names_another_physician(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
) -> None:
    hub = Hub(client, settings, world, clock)
    original = {"npi": unique_npi(), "name": "Dr. First"}
    denied = await hub.denied(hub.system, deciding_physician=original)
    recon = (await hub.ask(denied["id"], lines=[1])).json()
    unnamed = await hub.rule(hub.system, recon["id"], overturn(1))
    assert_problem(unnamed, 422, field="deciding_physician")
    same = await hub.rule(hub.system, recon["id"], {**overturn(1), "deciding_physician": original})
    assert_problem(same, 403, code="reconsideration.same_physician")
    other = {"npi": unique_npi(), "name": "Dr. Second"}
    ok = await hub.rule(hub.system, recon["id"], {**overturn(1), "deciding_physician": other})
    assert ok.status_code == 200, ok.text
    assert ok.json()["deciding_physician"] == {"subject": None, **other}


async def test_a_reviewer_non_medical_denial_any_director_may_reconsider(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
) -> None:
    hub = Hub(client, settings, world, clock)
    created = await hub.submit()
    reason = {"reason_code": "not_a_covered_benefit", "reason": "Not covered."}
    await hub.decide(
        hub.reviewer,
        created["id"],
        [{"line_number": n, "outcome": "denied", **reason} for n in (1, 2)],
    )
    recon = (await hub.ask(created["id"], lines=[2])).json()
    r = await hub.rule(hub.md_a, recon["id"], overturn(2))
    assert r.status_code == 200, r.text


async def test_another_vendor_and_another_network_get_404(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
) -> None:
    hub = Hub(client, settings, world, clock)
    denied = await hub.denied()
    recon = (await hub.ask(denied["id"])).json()
    stranger = person(world, Role.VENDOR, "vendor-2", world.other_vendor)
    r = await client.post(
        f"{URL}/{denied['id']}/reconsiderations",
        json={"lines": [2], "reason": "x"},
        headers=hub.h(stranger),
    )
    assert_problem(r, 404)
    assert_problem(
        await client.get(f"/v1/reconsiderations/{recon['id']}", headers=hub.h(stranger)), 404
    )
    assert_problem(
        await client.get(f"{URL}/{denied['id']}/reconsiderations", headers=hub.h(stranger)), 404
    )
    md_other = person(world, Role.MEDICAL_DIRECTOR, "md-b", world.network_b)
    assert_problem(await hub.rule(md_other, recon["id"], overturn(1), etag='"v1"'), 404)


async def test_care_coordinators_read_no_reason(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
) -> None:
    hub = Hub(client, settings, world, clock)
    denied = await hub.denied()
    secret = "Seizures worsen when seated upright."
    recon = (await hub.ask(denied["id"], reason=secret)).json()
    coordinator = person(world, Role.CARE_COORDINATOR, "cc-1")
    one = await client.get(f"/v1/reconsiderations/{recon['id']}", headers=hub.h(coordinator))
    assert one.status_code == 200, one.text
    assert one.json()["view"] == "status"
    assert secret not in one.text
    assert "reason" not in one.json()
    listed = await client.get(f"{URL}/{denied['id']}/reconsiderations", headers=hub.h(coordinator))
    assert listed.status_code == 200
    assert secret not in listed.text
    assert listed.json()["items"][0]["status"] == "open"
    events = await client.get(f"{URL}/{denied['id']}/events", headers=hub.h(coordinator))
    assert secret not in events.text
    full = await client.get(f"/v1/reconsiderations/{recon['id']}", headers=hub.h(hub.vendor))
    assert full.json()["reason"] == secret


async def test_the_decision_needs_a_current_if_match(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
) -> None:
    hub = Hub(client, settings, world, clock)
    denied = await hub.denied()
    recon = (await hub.ask(denied["id"])).json()
    url = f"/v1/review/reconsiderations/{recon['id']}/decision"
    missing = await client.post(url, json=overturn(1), headers=hub.h(hub.md_b))
    assert_problem(missing, 428)
    stale = await hub.rule(hub.md_b, recon["id"], overturn(1), etag='"v7"')
    assert_problem(stale, 412)
    assert (await hub.rule(hub.md_b, recon["id"], overturn(1))).status_code == 200
