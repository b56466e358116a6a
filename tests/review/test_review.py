"""Review: queue, claims, information requests, decisions, network systems, X12 codes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.sla.clock import FrozenClock
from dme_portal.submissions.models import RequestEvent
from fixtures.factories import NOW, World, auth_headers, auth_headers_at, if_match, request_body

URL = "/v1/authorization-requests"


def h(settings: Settings, world: World, role: Role, org: Any = None) -> dict[str, str]:
    return auth_headers(settings, world.principal(role, org))


async def submit(
    client: httpx.AsyncClient, settings: Settings, world: World, **kw: Any
) -> dict[str, Any]:
    r = await client.post(
        URL, json=request_body(world, **kw), headers=h(settings, world, Role.VENDOR)
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def approve_all(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "lines": [{"line_number": ln["line_number"], "outcome": "approved"} for ln in body["lines"]]
    }


async def decide(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    request_id: str,
    etag: str,
    decision: dict[str, Any],
) -> httpx.Response:
    return await client.post(
        f"/v1/review/requests/{request_id}/decision",
        json=decision,
        headers={**headers, "If-Match": etag},
    )


async def etag(client: httpx.AsyncClient, headers: dict[str, str], request_id: str) -> str:
    r = await client.get(f"{URL}/{request_id}", headers=headers)
    return str(r.headers["ETag"])


class TestDecisions:
    async def test_reviewer_approves_and_vendor_sees_authorization(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        reviewer = h(settings, world, Role.REVIEWER)
        r = await decide(
            client,
            reviewer,
            body["id"],
            await etag(client, reviewer, body["id"]),
            approve_all(body),
        )
        assert r.status_code == 200, r.text
        decided = r.json()
        assert decided["status"] == "approved"
        assert decided["x12_action_code"] == "A1"
        assert all(ln["x12_action_code"] == "A1" for ln in decided["lines"])
        assert all(ln["authorization"]["number"] for ln in decided["lines"])
        assert decided["decided_at"] is not None
        assert decided["sla_state"] == "met"
        vendor = await client.get(f"{URL}/{body['id']}", headers=h(settings, world, Role.VENDOR))
        assert vendor.json()["lines"][0]["authorization"] == decided["lines"][0]["authorization"]

    async def test_mixed_outcomes_and_x12_codes(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        md = h(settings, world, Role.MEDICAL_DIRECTOR)
        decision = {
            "lines": [
                {"line_number": 1, "outcome": "approved"},
                {
                    "line_number": 2,
                    "outcome": "denied",
                    "reason_code": "medical_necessity",
                    "reason": "A standard wheelchair meets the need.",
                },
            ]
        }
        r = await decide(client, md, body["id"], await etag(client, md, body["id"]), decision)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "partially_approved"
        assert r.json()["x12_action_code"] == "A2"
        assert [ln["x12_action_code"] for ln in r.json()["lines"]] == ["A1", "A3"]
        assert r.json()["lines"][1]["decision_reason_code"] == "medical_necessity"

    async def test_modification_needs_a_smaller_grant(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        reviewer = h(settings, world, Role.REVIEWER)
        tag = await etag(client, reviewer, body["id"])
        end = body["lines"][0]["start_date"]
        bad = {
            "lines": [
                {
                    "line_number": 1,
                    "outcome": "modified",
                    "reason_code": "period_exceeds_policy",
                    "reason": "x",
                },
                {"line_number": 2, "outcome": "approved"},
            ]
        }
        r = await decide(client, reviewer, body["id"], tag, bad)
        assert r.status_code == 422
        good = {
            "lines": [
                {
                    "line_number": 1,
                    "outcome": "modified",
                    "end_date": end,
                    "reason_code": "period_exceeds_policy",
                    "reason": "One day only.",
                },
                {"line_number": 2, "outcome": "approved"},
            ]
        }
        r = await decide(client, reviewer, body["id"], tag, good)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "modified"
        assert r.json()["x12_action_code"] == "A6"
        assert r.json()["lines"][0]["authorization"]["end_date"] == end

    async def test_reviewer_cannot_deny_for_medical_necessity(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        reviewer = h(settings, world, Role.REVIEWER)
        denial = {
            "lines": [
                {
                    "line_number": n,
                    "outcome": "denied",
                    "reason_code": "medical_necessity",
                    "reason": "Not needed.",
                }
                for n in (1, 2)
            ]
        }
        r = await decide(
            client, reviewer, body["id"], await etag(client, reviewer, body["id"]), denial
        )
        assert r.status_code == 403
        assert "1367.01" in r.json()["detail"]
        # A reviewer may deny for a non-medical reason.
        denial["lines"] = [{**d, "reason_code": "not_a_covered_benefit"} for d in denial["lines"]]
        r = await decide(
            client, reviewer, body["id"], await etag(client, reviewer, body["id"]), denial
        )
        assert r.status_code == 200
        assert r.json()["status"] == "denied"

    async def test_if_match_rules(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        reviewer = h(settings, world, Role.REVIEWER)
        r = await client.post(
            f"/v1/review/requests/{body['id']}/decision", json=approve_all(body), headers=reviewer
        )
        assert r.status_code == 428
        r = await decide(client, reviewer, body["id"], '"v999"', approve_all(body))
        assert r.status_code == 412
        tag = await etag(client, reviewer, body["id"])
        assert (
            await decide(client, reviewer, body["id"], tag, approve_all(body))
        ).status_code == 200
        again = await decide(
            client,
            reviewer,
            body["id"],
            await etag(client, reviewer, body["id"]),
            approve_all(body),
        )
        assert again.status_code == 409

    async def test_every_open_line_once(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        reviewer = h(settings, world, Role.REVIEWER)
        tag = await etag(client, reviewer, body["id"])
        r = await decide(
            client,
            reviewer,
            body["id"],
            tag,
            {"lines": [{"line_number": 1, "outcome": "approved"}]},
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "lines"

    async def test_other_networks_reviewer_gets_404(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        other = h(settings, world, Role.REVIEWER, world.network_b)
        r = await decide(client, other, body["id"], '"v1"', approve_all(body))
        assert r.status_code == 404
        r = await client.post(f"/v1/review/requests/{body['id']}/claim", headers=other)
        assert r.status_code == 404

    async def test_vendor_and_coordinator_cannot_decide(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        for role in (Role.VENDOR, Role.CARE_COORDINATOR, Role.NETWORK_ADMIN):
            r = await decide(
                client, h(settings, world, role), body["id"], '"v1"', approve_all(body)
            )
            assert r.status_code == 403, role


class TestConcurrentDecisions:
    async def test_fifty_concurrent_decisions_make_one_event(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        body = await submit(client, settings, world)
        reviewer = h(settings, world, Role.REVIEWER)
        tag = await etag(client, reviewer, body["id"])
        responses = await asyncio.gather(
            *(decide(client, reviewer, body["id"], tag, approve_all(body)) for _ in range(50))
        )
        codes = sorted(r.status_code for r in responses)
        assert codes.count(200) == 1, codes
        assert set(codes) <= {200, 409, 412}
        async with unit_of_work(database) as s:
            n = await s.scalar(
                select(func.count())
                .select_from(RequestEvent)
                .where(
                    RequestEvent.kind == "decided",
                    RequestEvent.request_id == uuid.UUID(body["id"]),
                )
            )
        assert n == 1


class TestInformationRequests:
    async def test_pend_and_answer(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        reviewer = h(settings, world, Role.REVIEWER)
        r = await client.post(
            f"/v1/review/requests/{body['id']}/information-requests",
            json={
                "message": "Please send the LMN.",
                "documents_requested": ["letter_of_medical_necessity"],
            },
            headers=await if_match(client, reviewer, body["id"]),
        )
        assert r.status_code == 201, r.text
        read = await client.get(f"{URL}/{body['id']}", headers=h(settings, world, Role.VENDOR))
        assert read.json()["status"] == "pended"
        assert read.json()["x12_action_code"] == "A4"
        assert "letter of medical necessity" in read.json()["waiting_on"]
        assert "vendor" in read.json()["waiting_on"]
        r = await client.post(
            f"{URL}/{body['id']}/information-responses",
            json={"message": "Attached.", "attachment_ids": []},
            headers=h(settings, world, Role.VENDOR),
        )
        assert r.status_code == 201, r.text
        assert r.json()["answer"] == "Attached."
        read = await client.get(f"{URL}/{body['id']}", headers=h(settings, world, Role.VENDOR))
        assert read.json()["status"] == "in_review"
        events = await client.get(
            f"{URL}/{body['id']}/events", headers=h(settings, world, Role.CARE_COORDINATOR)
        )
        assert [e["kind"] for e in events.json()["items"]] == [
            "submitted",
            "information_requested",
            "information_received",
        ]

    async def test_answer_without_question_is_409_and_foreign_attachment_422(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        vendor = h(settings, world, Role.VENDOR)
        r = await client.post(
            f"{URL}/{body['id']}/information-responses", json={"message": "x"}, headers=vendor
        )
        assert r.status_code == 409
        await client.post(
            f"/v1/review/requests/{body['id']}/information-requests",
            json={"message": "?"},
            headers=await if_match(client, h(settings, world, Role.REVIEWER), body["id"]),
        )
        r = await client.post(
            f"{URL}/{body['id']}/information-responses",
            json={"message": "x", "attachment_ids": ["00000000-0000-0000-0000-000000000001"]},
            headers=vendor,
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "attachment_ids[0]"


class TestQueue:
    async def test_sorted_by_due_and_filtered(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        standard = await submit(client, settings, world)
        clock.advance(timedelta(minutes=10))  # within the 15-minute life of the test tokens
        expedited = await submit(
            client, settings, world, urgency="expedited", expedited_reason="Urgent."
        )
        reviewer = h(settings, world, Role.REVIEWER)
        r = await client.get("/v1/review/queue", headers=reviewer)
        ids = [i["id"] for i in r.json()["items"]]
        assert ids.index(expedited["id"]) < ids.index(standard["id"])  # due in 24 h vs 72 h
        r = await client.get("/v1/review/queue?urgency=expedited", headers=reviewer)
        assert {i["id"] for i in r.json()["items"]} == {expedited["id"]}
        clock.set(NOW + timedelta(hours=22))  # expedited: 3 h left of 24 -> at risk
        reviewer = auth_headers_at(settings, world.principal(Role.REVIEWER), clock.now())
        r = await client.get("/v1/review/queue?sla_state=at_risk", headers=reviewer)
        assert {i["id"] for i in r.json()["items"]} == {expedited["id"]}
        clock.set(NOW + timedelta(hours=73))
        reviewer = auth_headers_at(settings, world.principal(Role.REVIEWER), clock.now())
        r = await client.get("/v1/review/queue?sla_state=breached", headers=reviewer)
        assert {i["id"] for i in r.json()["items"]} == {expedited["id"], standard["id"]}
        r = await client.get("/v1/review/queue?category=wheelchairs", headers=reviewer)
        assert {i["id"] for i in r.json()["items"]} == {expedited["id"], standard["id"]}
        r = await client.get("/v1/review/queue?category=diabetes", headers=reviewer)
        assert r.json()["items"] == []

    async def test_claim_and_release(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        reviewer = h(settings, world, Role.REVIEWER)
        r = await client.post(f"/v1/review/requests/{body['id']}/claim", headers=reviewer)
        assert r.json()["assigned_to"] == "user:test-reviewer"
        mine = await client.get("/v1/review/queue?assigned=me", headers=reviewer)
        assert [i["id"] for i in mine.json()["items"]] == [body["id"]]
        unassigned = await client.get("/v1/review/queue?assigned=unassigned", headers=reviewer)
        assert body["id"] not in [i["id"] for i in unassigned.json()["items"]]
        md = h(settings, world, Role.MEDICAL_DIRECTOR)
        r = await client.post(f"/v1/review/requests/{body['id']}/claim", headers=md)
        assert r.status_code == 409
        r = await client.post(f"/v1/review/requests/{body['id']}/release", headers=md)
        assert r.json()["assigned_to"] is None

    async def test_claiming_what_you_hold_is_a_no_op(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        body = await submit(client, settings, world)
        reviewer = h(settings, world, Role.REVIEWER)
        path = f"/v1/review/requests/{body['id']}/claim"
        first = await client.post(path, headers=reviewer)
        assert first.status_code == 200, first.text
        events = await client.get(f"{URL}/{body['id']}/events", headers=reviewer)
        clock.advance(timedelta(minutes=5))
        again = await client.post(path, headers=reviewer)
        assert again.status_code == 200, again.text
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.json()["version"] == first.json()["version"]
        assert again.json()["updated_at"] == first.json()["updated_at"]
        after = await client.get(f"{URL}/{body['id']}/events", headers=reviewer)
        assert after.json() == events.json()
        assert [e["kind"] for e in after.json()["items"]].count("claimed") == 1
        other = await client.post(path, headers=h(settings, world, Role.MEDICAL_DIRECTOR))
        assert other.status_code == 409

    async def test_queue_is_scoped_and_paginated(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        made = []
        for _ in range(3):
            made.append(await submit(client, settings, world))
            clock.advance(timedelta(minutes=5))
        reviewer = h(settings, world, Role.REVIEWER)
        seen: list[str] = []
        cursor = None
        while True:
            q = "?limit=1" + (f"&cursor={cursor}" if cursor else "")
            page = (await client.get(f"/v1/review/queue{q}", headers=reviewer)).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [m["id"] for m in made]
        other = h(settings, world, Role.REVIEWER, world.network_b)
        page = (await client.get("/v1/review/queue", headers=other)).json()
        assert not {m["id"] for m in made} & {i["id"] for i in page["items"]}
        r = await client.get("/v1/review/queue", headers=h(settings, world, Role.CARE_COORDINATOR))
        assert r.status_code == 403


class TestNetworkSystems:
    async def test_feed_and_machine_decision_land_like_a_reviewers(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        machine = h(settings, world, Role.NETWORK_CLIENT)
        start = (await client.get("/v1/network/requests/changes", headers=machine)).json()
        body = await submit(client, settings, world)
        page = (
            await client.get(
                f"/v1/network/requests/changes?cursor={start['next_cursor']}", headers=machine
            )
        ).json()
        assert [(c["kind"], c["request"]["id"]) for c in page["items"]] == [
            ("submitted", body["id"])
        ]
        r = await decide(
            client,
            machine,
            body["id"],
            await etag(client, machine, body["id"]),
            {**approve_all(body), "network_reference": "UM-2026-0042"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["network_reference"] == "UM-2026-0042"
        assert r.json()["status"] == "approved"
        events = (await client.get(f"{URL}/{body['id']}/events", headers=machine)).json()["items"]
        assert events[-1]["kind"] == "decided"
        assert events[-1]["actor_type"] == "client"
        later = (
            await client.get(
                f"/v1/network/requests/changes?cursor={page['next_cursor']}", headers=machine
            )
        ).json()
        assert [c["kind"] for c in later["items"]] == ["decided"]
        empty = (
            await client.get(
                f"/v1/network/requests/changes?cursor={later['next_cursor']}", headers=machine
            )
        ).json()
        assert empty["items"] == []
        assert empty["next_cursor"] == later["next_cursor"]
        other = h(settings, world, Role.NETWORK_CLIENT, world.network_b)
        theirs = (
            await client.get(
                f"/v1/network/requests/changes?cursor={start['next_cursor']}", headers=other
            )
        ).json()
        assert body["id"] not in [c["request"]["id"] for c in theirs["items"]]


@pytest.mark.parametrize("role", [Role.CARE_COORDINATOR])
async def test_care_coordinator_reads_status_timeline_waiting_on(
    client: httpx.AsyncClient, world: World, settings: Settings, role: Role
) -> None:
    body = await submit(client, settings, world)
    coordinator = h(settings, world, role)
    r = await client.get(f"{URL}/{body['id']}", headers=coordinator)
    assert r.status_code == 200
    assert r.json()["waiting_on"]
    assert (await client.get(f"{URL}/{body['id']}/events", headers=coordinator)).status_code == 200
    current = {**coordinator, "If-Match": r.headers["ETag"]}
    assert (await client.post(f"{URL}/{body['id']}/cancel", headers=current)).status_code == 403
    r = await client.post(f"/v1/review/requests/{body['id']}/claim", headers=coordinator)
    assert r.status_code == 403


async def test_care_coordinator_cannot_read_clinical_documents(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    body = await submit(client, settings, world)
    r = await client.get(
        f"{URL}/{body['id']}/attachments", headers=h(settings, world, Role.CARE_COORDINATOR)
    )
    assert r.status_code == 403
    r = await client.get(
        f"{URL}/{body['id']}/attachments", headers=h(settings, world, Role.REVIEWER)
    )
    assert r.status_code == 200
