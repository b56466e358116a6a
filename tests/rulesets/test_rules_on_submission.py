"""Rules decide on submission; the coverage check answers the same and stores nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import NOW, World, auth_headers, count_requests, request_body
from fixtures.rules import choc_like, no_csags, publish

START = NOW.date() + timedelta(days=1)


def cp_lines(quantity: int = 2, start: date = START) -> list[dict[str, Any]]:
    """Ankle-foot orthoses and a gait trainer, inside CHOC's cerebral palsy CSAG."""
    return [
        {
            "hcpcs": "L1960",
            "quantity": quantity,
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=89)).isoformat(),
        },
        {
            "hcpcs": "E8001",
            "quantity": 1,
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=89)).isoformat(),
        },
    ]


async def submit(client: httpx.AsyncClient, settings: Settings, world: World, **kw: Any) -> Any:
    r = await client.post(
        "/v1/authorization-requests",
        json=request_body(world, **kw),
        headers=auth_headers(settings, world.principal(Role.VENDOR)),
    )
    assert r.status_code == 201, r.text
    return r.json()


class TestCsagApprovalOnSubmit:
    async def test_lines_inside_a_csag_are_approved_at_once(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        version = await publish(database, world.network_a, choc_like())
        body = await submit(client, settings, world, lines=cp_lines())
        assert body["status"] == "approved"
        assert body["ruleset_version"] == version
        assert body["decided_at"] == NOW.isoformat().replace("+00:00", "Z")
        for line in body["lines"]:
            assert line["outcome"] == "approved"
            assert line["rules"]["decided_by"] == "csag:cp-mobility"
            assert "Cerebral palsy" in line["rules"]["trace"][-1]["message"]
            auth = line["authorization"]
            assert auth["number"]
            # G80 is a lifelong condition at this network: 180 days.
            assert date.fromisoformat(auth["end_date"]) - date.fromisoformat(
                auth["start_date"]
            ) == timedelta(days=179)
        assert "Nothing" in body["waiting_on"]
        events = await client.get(
            f"/v1/authorization-requests/{body['id']}/events",
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        kinds = [(e["kind"], e["actor_type"]) for e in events.json()["items"]]
        assert kinds == [("submitted", "user"), ("decided", "rules")]
        assert events.json()["items"][1]["data"]["ruleset_version"] == version

    async def test_same_request_at_a_network_without_csags_goes_to_review(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, no_csags())
        body = await submit(client, settings, world, lines=cp_lines())
        assert body["status"] == "in_review"
        for line in body["lines"]:
            assert line["outcome"] is None
            assert line["authorization"] is None
            assert line["rules"]["outcome"] == "needs_review"
            assert "no_csag" in [r["code"] for r in line["rules"]["reasons"]]

    async def test_one_unit_over_the_limit_goes_to_review_naming_it(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, choc_like())
        body = await submit(client, settings, world, lines=cp_lines(quantity=3))
        assert body["status"] == "in_review"
        over, inside = body["lines"]
        assert over["rules"]["reasons"][0]["code"] == "csag_quantity_limit"
        assert "limit of 2" in over["rules"]["reasons"][0]["message"]
        assert inside["outcome"] == "approved"

    async def test_out_of_network_vendor_goes_to_review(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, choc_like())
        r = await client.post(
            "/v1/authorization-requests",
            json=request_body(world, lines=cp_lines()),
            headers=auth_headers(settings, world.principal(Role.VENDOR, world.other_vendor)),
        )
        body = r.json()
        assert body["status"] == "in_review"
        codes = {r["code"] for line in body["lines"] for r in line["rules"]["reasons"]}
        assert {"csag_in_network_required", "out_of_network"} <= codes
        assert "letter of agreement" in body["waiting_on"]

    async def test_missing_documents_show_in_waiting_on(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, no_csags())
        body = await submit(client, settings, world)  # an AFO and a tilt-in-space wheelchair
        wheelchair = body["lines"][1]
        assert wheelchair["rules"]["documents_required"] == ["prescription", "seating_evaluation"]
        assert "seating evaluation" in body["waiting_on"]

    async def test_recorded_outcome_survives_a_new_version(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        first = await publish(database, world.network_a, choc_like())
        body = await submit(client, settings, world, lines=cp_lines())
        await publish(database, world.network_a, no_csags())
        r = await client.get(
            f"/v1/authorization-requests/{body['id']}",
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        again = r.json()
        assert again["ruleset_version"] == first
        assert again["status"] == "approved"
        assert [ln["rules"] for ln in again["lines"]] == [ln["rules"] for ln in body["lines"]]
        # After the first request's 180-day authorizations: an overlap would be a 409.
        after = START + timedelta(days=180)
        later = await submit(client, settings, world, lines=cp_lines(start=after))
        assert later["ruleset_version"] == first + 1
        assert later["status"] == "in_review"


class TestCoverageCheck:
    async def test_answers_like_a_submission_and_stores_nothing(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, choc_like())
        headers = auth_headers(settings, world.principal(Role.VENDOR))
        lines = [*cp_lines(quantity=3), {**cp_lines()[0], "hcpcs": "A4554", "quantity": 100}]
        draft = request_body(world, lines=lines)
        before = await count_requests(database, world.vendor.id)
        r = await client.post("/v1/coverage-checks", json=draft, headers=headers)
        assert r.status_code == 200, r.text
        check = r.json()
        assert await count_requests(database, world.vendor.id) == before
        assert check["network"]["id"] == str(world.network_a.id)
        assert [ln["outcome"] for ln in check["lines"]] == [
            "needs_review",
            "approved",
            "not_required",
        ]
        assert [ln["authorization_required"] for ln in check["lines"]] == [True, True, False]
        submitted = await submit(client, settings, world, lines=lines)
        assert [ln["rules"]["outcome"] for ln in submitted["lines"]] == [
            ln["outcome"] for ln in check["lines"]
        ]
        assert [ln["rules"]["reasons"] for ln in submitted["lines"]] == [
            ln["reasons"] for ln in check["lines"]
        ]

    async def test_network_without_ruleset_says_so(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        r = await client.post(
            "/v1/coverage-checks",
            json=request_body(world),
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        assert r.status_code == 200
        assert {ln["reasons"][0]["code"] for ln in r.json()["lines"]} == {"no_ruleset"}

    async def test_only_vendors_and_bad_input_is_422(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        r = await client.post(
            "/v1/coverage-checks",
            json=request_body(world),
            headers=auth_headers(settings, world.principal(Role.REVIEWER)),
        )
        assert r.status_code == 403
        r = await client.post(
            "/v1/coverage-checks",
            json=request_body(world, member_cin="00000000A"),
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        assert r.status_code == 404
        assert r.json()["code"] == "member.not_found"
        r = await client.post(
            "/v1/coverage-checks",
            json=request_body(world, prescriber_npi="1234567890"),
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "prescriber_npi"
