"""Cancellation voids what it cancels; no duplicate requests; creating POSTs need a key
(issue 13.2 and 13.3)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.sla.clock import FrozenClock
from fixtures.documents import pdf_bytes
from fixtures.factories import (
    NOW,
    REQUESTS_URL,
    World,
    assert_problem,
    auth_headers,
    auth_headers_at,
    count_requests,
    request_body,
)
from fixtures.rules import choc_like, publish

Headers = dict[str, str]
START = NOW.date() + timedelta(days=1)


def line(hcpcs: str, quantity: int = 1, *, start_offset: int = 0, days: int = 90) -> dict[str, Any]:
    start = START + timedelta(days=start_offset)
    return {
        "hcpcs": hcpcs,
        "quantity": quantity,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=days - 1)).isoformat(),
    }


@pytest.fixture
def vendor(settings: Settings, world: World) -> Headers:
    return auth_headers(settings, world.principal(Role.VENDOR))


@pytest.fixture
async def choc(database: Database, world: World) -> int:
    return await publish(database, world.network_a, choc_like())


async def submit(
    client: httpx.AsyncClient, headers: Headers, world: World, **kw: Any
) -> httpx.Response:
    return await client.post(REQUESTS_URL, json=request_body(world, **kw), headers=headers)


async def created(
    client: httpx.AsyncClient, headers: Headers, world: World, **kw: Any
) -> dict[str, Any]:
    r = await submit(client, headers, world, **kw)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def cancel(
    client: httpx.AsyncClient, headers: Headers, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"{REQUESTS_URL}/{body['id']}/cancel",
        json={"reason": "The family chose another supplier."},
        headers={**headers, "If-Match": f'"v{body["version"]}"'},
    )


class TestCancellationVoids:
    async def test_rule_approved_lines_become_void_and_the_clock_is_neither_met_nor_missed(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, choc: int
    ) -> None:
        # Orthoses approved by the CP group at once; the wheelchair waits for its documents.
        body = await created(client, vendor, world, lines=[line("L1960", 2), line("E1161")])
        assert body["lines"][0]["authorization"]["state"] == "active"
        number = body["lines"][0]["authorization"]["number"]

        r = await cancel(client, vendor, body)

        assert r.status_code == 200, r.text
        after = r.json()
        assert after["status"] == "cancelled"
        assert after["x12_action_code"] == "C"
        assert after["sla_state"] == "cancelled"
        assert after["decided_at"] is None
        afo, chair = after["lines"]
        assert afo["outcome"] == "approved"  # what the rules said is kept as history...
        assert afo["authorization"] == {**body["lines"][0]["authorization"], "state": "void"}
        assert afo["x12_action_code"] == "C"  # ...but nothing is certified any more
        assert chair["authorization"] is None
        assert chair["x12_action_code"] == "C"
        got = await client.get(f"{REQUESTS_URL}/{body['id']}", headers=vendor)
        assert got.json() == after
        events = (await client.get(f"{REQUESTS_URL}/{body['id']}/events", headers=vendor)).json()
        assert events["items"][-1]["kind"] == "cancelled"
        assert events["items"][-1]["data"]["voided_authorizations"] == [number]

    async def test_a_line_needing_no_authorization_stays_na(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, choc: int
    ) -> None:
        # A4554 needs no authorization at CHOC (up to 150 a month); E1161 keeps it open.
        body = await created(client, vendor, world, lines=[line("A4554", 30), line("E1161")])
        after = (await cancel(client, vendor, body)).json()
        assert [ln["x12_action_code"] for ln in after["lines"]] == ["NA", "C"]

    async def test_without_if_match_it_is_428_and_nothing_changes(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        body = await created(client, vendor, world)
        r = await client.post(f"{REQUESTS_URL}/{body['id']}/cancel", json={}, headers=vendor)
        assert_problem(r, 428, code="precondition_required")
        got = (await client.get(f"{REQUESTS_URL}/{body['id']}", headers=vendor)).json()
        assert got["status"] == "in_review"
        assert got["version"] == body["version"]

    async def test_the_metrics_count_it_only_as_cancelled(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        clock: FrozenClock,
        choc: int,
    ) -> None:
        body = await created(client, vendor, world, lines=[line("L1960", 2), line("E1161")])
        # Cancelled after its deadline: still neither met nor missed.
        clock.set(NOW + timedelta(hours=80))
        late_vendor = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())
        assert (await cancel(client, late_vendor, body)).status_code == 200

        plan = auth_headers_at(settings, world.principal(Role.PLAN_ADMIN), clock.now())
        r = await client.get(
            "/v1/reports/prior-authorization-metrics",
            params={
                "from": NOW.date().isoformat(),
                "to": (NOW.date() + timedelta(days=1)).isoformat(),
                "network": str(world.network_a.id),
            },
            headers=plan,
        )
        assert r.status_code == 200, r.text
        (row,) = [i for i in r.json()["items"] if i["urgency"] == "standard"]
        assert row["requests"] == 1
        assert row["cancelled"] == 1
        assert (row["approved"], row["partially_approved"], row["denied"]) == (0, 0, 0)
        assert (row["sla_met"], row["sla_missed"], row["breaches"]) == (0, 0, 0)
        assert row["sla_compliance"] is None
        assert row["decision_hours_median"] is None


class TestNoDuplicateRequests:
    async def test_the_same_member_code_and_overlapping_period_is_409_naming_the_first(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, database: Database
    ) -> None:
        first = await created(client, vendor, world, lines=[line("E1161")])

        r = await submit(client, vendor, world, lines=[line("L1960"), line("E1161", days=30)])

        problem = assert_problem(r, 409, code="authorization_request.duplicate", field="lines[1]")
        assert problem["existing_request_id"] == first["id"]
        assert first["id"] in problem["detail"]
        assert problem["existing_period"]["start"] == START.isoformat()
        assert await count_requests(database, world.vendor.id) == 1

    async def test_an_authorization_in_force_is_named_by_its_number(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, choc: int
    ) -> None:
        first = await created(client, vendor, world, lines=[line("L1960", 2)])
        assert first["status"] == "approved"
        number = first["lines"][0]["authorization"]["number"]

        r = await submit(client, vendor, world, lines=[line("L1960", 1, start_offset=60)])

        problem = assert_problem(r, 409, code="authorization_request.duplicate")
        assert problem["existing_authorization_number"] == number
        assert number in problem["detail"]

    async def test_another_vendors_request_is_refused_without_naming_it(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, settings: Settings
    ) -> None:
        first = await created(client, vendor, world, lines=[line("E1161")])
        other = auth_headers(settings, world.principal(Role.VENDOR, world.other_vendor))

        r = await submit(client, other, world, lines=[line("E1161")])

        problem = assert_problem(r, 409, code="authorization_request.duplicate")
        assert "existing_request_id" not in problem
        assert "existing_period" not in problem
        assert first["id"] not in r.text
        assert "requested or authorized" in problem["detail"]

    async def test_what_does_not_overlap_or_is_a_change_or_renewal_is_accepted(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        await created(client, vendor, world, lines=[line("E1161")])

        after = await submit(client, vendor, world, lines=[line("E1161", start_offset=90)])
        other_code = await submit(client, vendor, world, lines=[line("L1970")])
        change = await submit(client, vendor, world, kind="change", lines=[line("E1161")])
        renewal = await submit(client, vendor, world, kind="renewal", lines=[line("E1161")])

        assert [r.status_code for r in (after, other_code, change, renewal)] == [201] * 4

    async def test_a_cancelled_or_denied_request_does_not_block_a_new_one(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, settings: Settings
    ) -> None:
        first = await created(client, vendor, world, lines=[line("E1161")])
        assert (await cancel(client, vendor, first)).status_code == 200
        second = await created(client, vendor, world, lines=[line("E1161")])

        director = auth_headers(settings, world.principal(Role.MEDICAL_DIRECTOR))
        denied = await client.post(
            f"/v1/review/requests/{second['id']}/decision",
            json={
                "lines": [
                    {
                        "line_number": 1,
                        "outcome": "denied",
                        "reason_code": "medical_necessity",
                        "reason": "The current chair still fits.",
                    }
                ]
            },
            headers={**director, "If-Match": '"v1"'},
        )
        assert denied.status_code == 200, denied.text

        assert (await submit(client, vendor, world, lines=[line("E1161")])).status_code == 201

    async def test_concurrent_submissions_store_one(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, database: Database
    ) -> None:
        # Six keys, one item: the member's submissions are serialised, so one passes the check.
        answers = await asyncio.gather(
            *(submit(client, vendor, world, lines=[line("E1161")]) for _ in range(6))
        )
        assert sorted(a.status_code for a in answers) == [201] + [409] * 5
        assert await count_requests(database, world.vendor.id) == 1


class TestIdempotencyKeyRequired:
    async def test_uploads_before_submitting_need_a_key_and_replay(
        self, raw_client: httpx.AsyncClient, vendor: Headers, database: Database, world: World
    ) -> None:
        files = {"file": ("rx.pdf", pdf_bytes("rx"), "application/pdf")}
        form = {"document_type": "prescription"}
        missing = await raw_client.post("/v1/attachments", headers=vendor, files=files, data=form)
        assert_problem(missing, 428, code="idempotency.key_required")

        keyed = {**vendor, "Idempotency-Key": "upload-1"}
        one = await raw_client.post("/v1/attachments", headers=keyed, files=files, data=form)
        two = await raw_client.post("/v1/attachments", headers=keyed, files=files, data=form)
        assert one.status_code == two.status_code == 201, two.text
        assert two.json() == one.json()
        assert two.headers["Idempotent-Replayed"] == "true"
        assert two.headers["Location"] == one.headers["Location"]
        other_file = {"file": ("rx.pdf", pdf_bytes("another"), "application/pdf")}
        reused = await raw_client.post(
            "/v1/attachments", headers=keyed, files=other_file, data=form
        )
        assert_problem(reused, 409, code="idempotency.key_reused")

    async def test_attaching_to_a_request_needs_a_key_and_replays(
        self, raw_client: httpx.AsyncClient, vendor: Headers, world: World
    ) -> None:
        r = await raw_client.post(
            REQUESTS_URL,
            json=request_body(world),
            headers={**vendor, "Idempotency-Key": str(uuid.uuid4())},
        )
        url = f"{REQUESTS_URL}/{r.json()['id']}/attachments"
        files = {"file": ("lmn.pdf", pdf_bytes("lmn"), "application/pdf")}
        form = {"document_type": "letter_of_medical_necessity"}

        missing = await raw_client.post(url, headers=vendor, files=files, data=form)
        assert_problem(missing, 428, code="idempotency.key_required")
        keyed = {**vendor, "Idempotency-Key": "attach-1"}
        one = await raw_client.post(url, headers=keyed, files=files, data=form)
        two = await raw_client.post(url, headers=keyed, files=files, data=form)
        assert one.status_code == two.status_code == 201
        assert two.json()["id"] == one.json()["id"]
        listed = await raw_client.get(url, headers=vendor)
        assert [a["id"] for a in listed.json()["items"]] == [one.json()["id"]]
        events = await raw_client.get(f"{REQUESTS_URL}/{r.json()['id']}/events", headers=vendor)
        assert [e["kind"] for e in events.json()["items"]].count("attachment_added") == 1

    async def test_answering_a_question_needs_a_key_and_replays(
        self, raw_client: httpx.AsyncClient, vendor: Headers, world: World, settings: Settings
    ) -> None:
        r = await raw_client.post(
            REQUESTS_URL,
            json=request_body(world),
            headers={**vendor, "Idempotency-Key": str(uuid.uuid4())},
        )
        request_id = r.json()["id"]
        reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
        pend = await raw_client.post(
            f"/v1/review/requests/{request_id}/information-requests",
            json={"message": "Please send the seating evaluation.", "documents_requested": []},
            headers={**reviewer, "If-Match": '"v1"'},
        )
        assert pend.status_code == 201, pend.text
        url = f"{REQUESTS_URL}/{request_id}/information-responses"
        answer = {"message": "Sent by fax on Monday; attached now.", "attachment_ids": []}

        missing = await raw_client.post(url, json=answer, headers=vendor)
        assert_problem(missing, 428, code="idempotency.key_required")
        keyed = {**vendor, "Idempotency-Key": "answer-1"}
        one = await raw_client.post(url, json=answer, headers=keyed)
        two = await raw_client.post(url, json=answer, headers=keyed)
        assert one.status_code == two.status_code == 201, two.text
        assert two.json() == one.json()
        assert two.headers["Idempotent-Replayed"] == "true"

    def test_the_openapi_document_declares_the_headers_required(self, app: Any) -> None:
        paths = app.openapi()["paths"]
        creating = [
            ("/v1/authorization-requests", "post", "Idempotency-Key"),
            ("/v1/attachments", "post", "Idempotency-Key"),
            ("/v1/authorization-requests/{request_id}/attachments", "post", "Idempotency-Key"),
            (
                "/v1/authorization-requests/{request_id}/information-responses",
                "post",
                "Idempotency-Key",
            ),
            ("/v1/authorization-requests/{request_id}/cancel", "post", "If-Match"),
            ("/v1/review/requests/{request_id}/decision", "post", "If-Match"),
        ]
        for path, method, header in creating:
            operation = paths[path][method]
            (param,) = [p for p in operation["parameters"] if p["name"] == header]
            assert param["required"] is True, (path, header)
            assert param["schema"]["type"] == "string", param
            assert "428" in operation["responses"], path
            assert "x-required-headers" not in operation
