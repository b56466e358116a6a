"""Authorization requests over HTTP: submit, idempotency, list, read, timeline, cancel."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import (
    NOW,
    REQUESTS_URL,
    World,
    add_contract,
    assert_problem,
    auth_headers,
    auth_headers_at,
    cancel,
    count_idempotency_records,
    count_requests,
    line_body,
    request_body,
)

Headers = dict[str, str]

SEPT_15 = date(2026, 9, 15)  # member A is in network B until 2026-09-30
NOV_3 = date(2026, 11, 3)  # ... and in network A from 2026-10-01


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
def vendor(settings: Settings, world: World) -> Headers:
    return auth_headers(settings, world.principal(Role.VENDOR))


async def submit(
    client: httpx.AsyncClient, headers: Headers, body: dict[str, Any], **extra: str
) -> dict[str, Any]:
    r = await client.post(REQUESTS_URL, json=body, headers={**headers, **extra})
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def events_of(client: httpx.AsyncClient, headers: Headers, request_id: str) -> list[Any]:
    r = await client.get(f"{REQUESTS_URL}/{request_id}/events", headers=headers)
    assert r.status_code == 200, r.text
    items: list[Any] = r.json()["items"]
    return items


class TestSubmitCreates:
    async def test_201_with_location_and_etag_and_the_same_body_on_get(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        r = await client.post(REQUESTS_URL, json=request_body(world), headers=vendor)

        assert r.status_code == 201, r.text
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        uuid.UUID(body["id"])
        assert r.headers["Location"] == f"{REQUESTS_URL}/{body['id']}"
        assert r.headers["ETag"] == '"v1"'
        assert "Idempotent-Replayed" not in r.headers
        assert body["version"] == 1

        got = await client.get(r.headers["Location"], headers=vendor)
        assert got.status_code == 200
        assert got.headers["ETag"] == '"v1"'
        assert got.json() == body

    async def test_body_echoes_the_request(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        payload = request_body(world, diagnoses=["G800", "Q05.9"], notes="Outgrew the old AFO")

        body = await submit(client, vendor, payload)

        assert body["member_cin"] == world.member.cin
        assert body["vendor_id"] == str(world.vendor.id)
        assert body["prescriber_npi"] == "1234567893"
        assert body["kind"] == "initial"
        assert body["urgency"] == "standard"
        assert body["notes"] == "Outgrew the old AFO"
        assert body["diagnoses"] == ["G80.0", "Q05.9"]  # normalised, primary first
        assert body["decided_at"] is None
        assert [line["line_number"] for line in body["lines"]] == [1, 2]
        afo, chair = body["lines"]
        assert (afo["hcpcs"], afo["modifiers"], afo["acquisition"]) == ("L1960", ["RT"], "purchase")
        assert afo["description"]
        assert afo["category"] == "orthotics"
        assert afo["start_date"] == payload["lines"][0]["start_date"]
        assert afo["end_date"] == payload["lines"][0]["end_date"]
        assert afo["outcome"] is None
        assert chair["hcpcs"] == "E1161"
        assert chair["acquisition"] == "rental"
        assert (chair["brand"], chair["manufacturer"]) == ("Quickie", "Sunrise Medical")
        assert chair["brand_reason"] == "Fits the child's seating system"


class TestSubmitRoutesByEnrollment:
    """The network is the member's enrollment on the earliest requested start date."""

    async def test_start_after_the_move_routes_to_network_a(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        body = await submit(client, vendor, request_body(world, lines=[line_body(start=NOV_3)]))

        assert body["network"] == {
            "id": str(world.network_a.id),
            "code": world.network_a.code,
            "name": world.network_a.name,
        }

    async def test_start_before_the_move_routes_to_network_b(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        body = await submit(client, vendor, request_body(world, lines=[line_body(start=SEPT_15)]))

        assert body["network"]["id"] == str(world.network_b.id)
        assert body["network"]["name"] == world.network_b.name

    async def test_the_earliest_line_decides_not_the_first(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        lines = [line_body(start=NOV_3), line_body("E1161", start=SEPT_15)]

        body = await submit(client, vendor, request_body(world, lines=lines))

        assert body["network"]["id"] == str(world.network_b.id)

    async def test_a_network_id_that_agrees_is_accepted(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        payload = request_body(world, network_id=str(world.network_b.id))
        payload["lines"] = [line_body(start=SEPT_15)]

        body = await submit(client, vendor, payload)

        assert body["network"]["id"] == str(world.network_b.id)


class TestSubmitContractStatus:
    """world.vendor is in network with network A only; other_vendor with no network."""

    async def test_contracted_vendor_is_in_network_and_needs_no_letter(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        body = await submit(client, vendor, request_body(world))

        assert [line["contract_status"] for line in body["lines"]] == ["in_network"] * 2
        assert world.network_a.name in body["waiting_on"]
        assert "letter of agreement" not in body["waiting_on"]

    async def test_uncontracted_vendor_is_out_of_network_and_needs_a_letter(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        other = auth_headers(settings, world.principal(Role.VENDOR, world.other_vendor))

        body = await submit(client, other, request_body(world))

        assert body["network"]["id"] == str(world.network_a.id)
        assert [line["contract_status"] for line in body["lines"]] == ["out_of_network"] * 2
        assert world.network_a.name in body["waiting_on"]
        assert "letter of agreement" in body["waiting_on"]
        assert "2 item(s)" in body["waiting_on"]

    async def test_contract_with_another_network_does_not_count(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        body = await submit(client, vendor, request_body(world, lines=[line_body(start=SEPT_15)]))

        assert body["network"]["id"] == str(world.network_b.id)
        assert body["lines"][0]["contract_status"] == "out_of_network"
        assert world.network_b.name in body["waiting_on"]
        assert "letter of agreement" in body["waiting_on"]

    async def test_status_is_per_line_on_its_start_date(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await add_contract(
            database,
            vendor_id=world.other_vendor.id,
            network_id=world.network_a.id,
            effective_from=date(2026, 10, 1),
            effective_to=date(2026, 11, 30),
        )
        other = auth_headers(settings, world.principal(Role.VENDOR, world.other_vendor))
        lines = [line_body(start=NOV_3, days=20), line_body("E1161", start=date(2026, 12, 15))]

        body = await submit(client, other, request_body(world, lines=lines))

        assert [line["contract_status"] for line in body["lines"]] == [
            "in_network",
            "out_of_network",
        ]
        assert "1 item(s)" in body["waiting_on"]
        assert "letter of agreement" in body["waiting_on"]
        (event,) = await events_of(client, other, body["id"])
        assert event["data"]["out_of_network_lines"] == [2]


class TestSubmitStartsTheSlaClock:
    async def test_standard_is_due_in_72_hours(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        body = await submit(client, vendor, request_body(world))

        assert body["status"] == "in_review"
        assert at(body["received_at"]) == NOW
        assert at(body["updated_at"]) == NOW
        assert at(body["due_at"]) == NOW + timedelta(hours=72)
        assert body["sla_state"] == "on_time"
        assert body["waiting_on"].startswith(f"Waiting for {world.network_a.name}")

    async def test_expedited_is_due_in_the_networks_expedited_hours(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        body = await submit(
            client,
            vendor,
            request_body(world, urgency="expedited", expedited_reason="Urgent need."),
        )

        assert body["urgency"] == "expedited"
        assert at(body["received_at"]) == NOW
        assert at(body["due_at"]) == NOW + timedelta(hours=24)
        assert body["sla_state"] == "on_time"

    async def test_received_at_is_the_clock_not_the_wall(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        clock.advance(timedelta(minutes=17, seconds=3))
        headers = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())

        body = await submit(client, headers, request_body(world))

        assert at(body["received_at"]) == clock.now()
        assert at(body["due_at"]) == clock.now() + timedelta(hours=72)


class TestSubmittedEvent:
    async def test_one_submitted_event_names_the_actor(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        body = await submit(client, vendor, request_body(world))

        (event,) = await events_of(client, vendor, body["id"])
        assert event["kind"] == "submitted"
        assert event["actor_type"] == "user"
        assert event["actor_id"] == "user:test-vendor"
        assert event["actor_role"] == "vendor"
        assert event["from_status"] is None
        assert event["to_status"] == "in_review"
        assert at(event["occurred_at"]) == NOW
        assert event["data"]["network_id"] == str(world.network_a.id)
        assert at(event["data"]["due_at"]) == NOW + timedelta(hours=72)
        assert event["data"]["out_of_network_lines"] == []

    async def test_a_machine_client_is_recorded_as_a_client(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        machine = auth_headers(settings, world.principal(Role.VENDOR_CLIENT))

        body = await submit(client, machine, request_body(world))

        (event,) = await events_of(client, machine, body["id"])
        assert (event["actor_type"], event["actor_role"]) == ("client", "vendor_client")


class TestSlaStateMovesWithTheClock:
    @pytest.mark.parametrize(
        ("hours", "state"),
        [(0, "on_time"), (59, "on_time"), (61, "at_risk"), (71.9, "at_risk"), (72, "breached")],
    )
    async def test_standard(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        clock: FrozenClock,
        hours: float,
        state: str,
    ) -> None:
        created = await submit(client, vendor, request_body(world))

        clock.advance(timedelta(hours=hours))
        later = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())
        got = (await client.get(f"{REQUESTS_URL}/{created['id']}", headers=later)).json()
        listed = (await client.get(REQUESTS_URL, headers=later)).json()["items"]

        assert got["sla_state"] == state
        assert got["due_at"] == created["due_at"]
        assert [item["sla_state"] for item in listed] == [state]

    @pytest.mark.parametrize(
        ("hours", "state"), [(19, "on_time"), (21, "at_risk"), (24, "breached")]
    )
    async def test_expedited(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        clock: FrozenClock,
        hours: int,
        state: str,
    ) -> None:
        created = await submit(
            client,
            vendor,
            request_body(world, urgency="expedited", expedited_reason="Urgent need."),
        )

        clock.advance(timedelta(hours=hours))
        later = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())
        got = (await client.get(f"{REQUESTS_URL}/{created['id']}", headers=later)).json()

        assert got["sla_state"] == state


class TestIdempotency:
    async def test_same_key_and_body_replays_the_first_answer(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        database: Database,
        clock: FrozenClock,
    ) -> None:
        payload = request_body(world)
        first = await client.post(
            REQUESTS_URL, json=payload, headers={**vendor, "Idempotency-Key": "k-1"}
        )
        clock.advance(timedelta(minutes=5))  # a retry comes a little later
        later = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())
        again = await client.post(
            REQUESTS_URL, json=payload, headers={**later, "Idempotency-Key": "k-1"}
        )

        assert first.status_code == again.status_code == 201
        assert "Idempotent-Replayed" not in first.headers
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["Location"] == first.headers["Location"]
        assert again.headers["ETag"] == first.headers["ETag"] == '"v1"'
        assert await count_requests(database, world.vendor.id) == 1

    async def test_same_key_with_another_body_is_409_and_stores_nothing(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, database: Database
    ) -> None:
        headers = {**vendor, "Idempotency-Key": "k-2"}
        first = await submit(client, headers, request_body(world))

        r = await client.post(
            REQUESTS_URL,
            json=request_body(world, urgency="expedited", expedited_reason="Urgent need."),
            headers=headers,
        )

        assert_problem(r, 409, code="idempotency.key_reused")
        assert await count_requests(database, world.vendor.id) == 1
        assert await count_idempotency_records(database, f"vendor:{world.vendor.id}") == 1
        got = await client.get(f"{REQUESTS_URL}/{first['id']}", headers=vendor)
        assert got.json()["urgency"] == "standard"

    async def test_vendors_use_the_same_key_independently(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        mine = await client.post(
            REQUESTS_URL,
            json=request_body(world),
            headers={
                **auth_headers(settings, world.principal(Role.VENDOR)),
                "Idempotency-Key": "k",
            },
        )
        # Another period: the same one would be a duplicate request for the member.
        theirs = await client.post(
            REQUESTS_URL,
            json=request_body(world),
            headers={
                **auth_headers(settings, world.principal(Role.VENDOR, world.other_vendor)),
                "Idempotency-Key": "k",
            },
        )

        assert mine.status_code == theirs.status_code == 201
        assert "Idempotent-Replayed" not in theirs.headers
        assert mine.json()["id"] != theirs.json()["id"]
        assert theirs.json()["vendor_id"] == str(world.other_vendor.id)
        assert await count_requests(database, world.vendor.id) == 1
        assert await count_requests(database, world.other_vendor.id) == 1

    async def test_without_a_key_it_is_428_and_stores_nothing(
        self, raw_client: httpx.AsyncClient, world: World, vendor: Headers, database: Database
    ) -> None:
        r = await raw_client.post(REQUESTS_URL, json=request_body(world), headers=vendor)

        body = assert_problem(r, 428, code="idempotency.key_required")
        assert "Idempotency-Key" in body["detail"]
        assert await count_requests(database, world.vendor.id) == 0

    async def test_distinct_keys_create_distinct_requests(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, database: Database
    ) -> None:
        one = await submit(client, vendor, request_body(world), **{"Idempotency-Key": "a"})
        two = await submit(client, vendor, request_body(world), **{"Idempotency-Key": "b"})

        assert one["id"] != two["id"]
        assert await count_requests(database, world.vendor.id) == 2

    async def test_a_key_whose_first_use_was_rejected_stays_free(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, database: Database
    ) -> None:
        headers = {**vendor, "Idempotency-Key": "k-3"}
        rejected = await client.post(
            REQUESTS_URL, json=request_body(world, member_cin="00000000Z"), headers=headers
        )
        assert_problem(rejected, 404, code="member.not_found")

        r = await client.post(REQUESTS_URL, json=request_body(world), headers=headers)

        assert r.status_code == 201, r.text
        assert "Idempotent-Replayed" not in r.headers
        assert await count_requests(database, world.vendor.id) == 1

    @pytest.mark.parametrize("key", ["has space", "x" * 256, "naïve"])
    async def test_a_malformed_key_is_422(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        database: Database,
        key: str,
    ) -> None:
        r = await client.post(
            REQUESTS_URL,
            json=request_body(world),
            headers=[*vendor.items(), ("Idempotency-Key", key.encode())],
        )

        assert_problem(r, 422, field="Idempotency-Key")
        assert await count_requests(database, world.vendor.id) == 0

    async def test_concurrent_retries_create_one_request(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, database: Database
    ) -> None:
        headers = {**vendor, "Idempotency-Key": "k-race"}
        payload = request_body(world)

        answers = await asyncio.gather(
            *(client.post(REQUESTS_URL, json=payload, headers=headers) for _ in range(4))
        )

        assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 3
        assert await count_requests(database, world.vendor.id) == 1


async def _submit_at(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    when: datetime,
    **overrides: Any,
) -> dict[str, Any]:
    clock.set(when)
    headers = auth_headers_at(settings, world.principal(Role.VENDOR), when)
    return await submit(client, headers, request_body(world, **overrides))


class TestListFilters:
    async def test_status(self, client: httpx.AsyncClient, world: World, vendor: Headers) -> None:
        kept = await submit(client, vendor, request_body(world))
        gone = await submit(client, vendor, request_body(world))
        r = await cancel(client, vendor, gone["id"])
        assert r.status_code == 200

        async def ids(query: str) -> set[str]:
            r = await client.get(f"{REQUESTS_URL}?{query}", headers=vendor)
            assert r.status_code == 200, r.text
            return {item["id"] for item in r.json()["items"]}

        assert await ids("status=cancelled") == {gone["id"]}
        assert await ids("status=in_review") == {kept["id"]}
        assert await ids("status=in_review&status=cancelled") == {kept["id"], gone["id"]}
        assert await ids("status=approved") == set()
        assert await ids("") == {kept["id"], gone["id"]}

    async def test_an_unknown_status_is_422(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        r = await client.get(REQUESTS_URL, params={"status": "lost"}, headers=vendor)

        assert_problem(r, 422, field="status[0]")

    async def test_member_cin(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        a = await submit(client, vendor, request_body(world))
        b = await submit(client, vendor, request_body(world, member_cin=world.member_b.cin))

        for cin, expected in ((world.member.cin, a), (world.member_b.cin, b)):
            r = await client.get(REQUESTS_URL, params={"member_cin": cin}, headers=vendor)
            assert [item["id"] for item in r.json()["items"]] == [expected["id"]]
        bad = await client.get(REQUESTS_URL, params={"member_cin": "1234"}, headers=vendor)
        assert_problem(bad, 422, field="member_cin")

    async def test_network_id(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        in_a = await submit(client, vendor, request_body(world, lines=[line_body(start=NOV_3)]))
        # Two weeks in network B, clear of in_a's L1960 period (an overlap is a 409).
        in_b = await submit(
            client, vendor, request_body(world, lines=[line_body(start=SEPT_15, days=14)])
        )

        for network, expected in ((world.network_a, in_a), (world.network_b, in_b)):
            r = await client.get(
                REQUESTS_URL, params={"network_id": str(network.id)}, headers=vendor
            )
            assert [item["id"] for item in r.json()["items"]] == [expected["id"]]
        none = await client.get(
            REQUESTS_URL, params={"network_id": str(uuid.uuid4())}, headers=vendor
        )
        assert none.json() == {"items": [], "next_cursor": None}

    async def test_submitted_from_inclusive_and_to_exclusive(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        t0, t1, t2 = NOW, NOW + timedelta(minutes=10), NOW + timedelta(minutes=20)
        r0 = await _submit_at(client, settings, world, clock, t0)
        r1 = await _submit_at(client, settings, world, clock, t1)
        r2 = await _submit_at(client, settings, world, clock, t2)
        headers = auth_headers_at(settings, world.principal(Role.VENDOR), t2)

        async def ids(**params: str) -> list[str]:
            r = await client.get(REQUESTS_URL, params=params, headers=headers)
            assert r.status_code == 200, r.text
            return [item["id"] for item in r.json()["items"]]

        assert await ids(submitted_from=t1.isoformat()) == [r2["id"], r1["id"]]
        assert await ids(submitted_to=t1.isoformat()) == [r0["id"]]
        assert await ids(submitted_from=t1.isoformat(), submitted_to=t2.isoformat()) == [r1["id"]]
        # The same instant written with another offset.
        assert await ids(submitted_from="2026-11-02T16:10:00+01:00") == [r2["id"], r1["id"]]
        assert await ids(submitted_from="2026-11-02T15:10:00Z") == [r2["id"], r1["id"]]

    @pytest.mark.parametrize("name", ["submitted_from", "submitted_to"])
    async def test_a_naive_datetime_is_422(
        self, client: httpx.AsyncClient, vendor: Headers, name: str
    ) -> None:
        r = await client.get(REQUESTS_URL, params={name: "2026-11-02T15:00:00"}, headers=vendor)

        assert_problem(r, 422, field=name)

    async def test_a_vendor_with_no_requests_gets_an_empty_page(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        r = await client.get(REQUESTS_URL, headers=vendor)

        assert r.status_code == 200
        assert r.json() == {"items": [], "next_cursor": None}


class TestListPagination:
    async def _five(
        self, client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
    ) -> list[dict[str, Any]]:
        # Three at distinct times, then two at the very same instant (ties on received_at).
        made = [
            await _submit_at(client, settings, world, clock, NOW + timedelta(minutes=m))
            for m in (0, 1, 2, 3, 3)
        ]
        return made

    async def _walk(
        self, client: httpx.AsyncClient, headers: Headers, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        seen: list[dict[str, Any]] = []
        pages = 0
        params: dict[str, Any] = {"limit": limit}
        while True:
            r = await client.get(REQUESTS_URL, params=params, headers=headers)
            assert r.status_code == 200, r.text
            page = r.json()
            pages += 1
            assert len(page["items"]) <= limit
            seen.extend(page["items"])
            if page["next_cursor"] is None:
                return seen, pages
            assert pages < 20, "pagination does not end"
            params = {"limit": limit, "cursor": page["next_cursor"]}

    @pytest.mark.parametrize("limit", [1, 2])
    async def test_walks_every_page_newest_first_without_duplicates(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        clock: FrozenClock,
        limit: int,
    ) -> None:
        made = await self._five(client, settings, world, clock)
        headers = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())

        seen, pages = await self._walk(client, headers, limit)

        ids = [item["id"] for item in seen]
        assert len(ids) == len(set(ids)) == 5
        assert set(ids) == {m["id"] for m in made}
        assert pages == -(-5 // limit)
        stamps = [at(item["received_at"]) for item in seen]
        assert stamps == sorted(stamps, reverse=True)
        # The three distinct instants come out newest first, after the two tied ones.
        assert ids[2:] == [made[2]["id"], made[1]["id"], made[0]["id"]]

    async def test_a_full_page_equals_the_walk(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        await self._five(client, settings, world, clock)
        headers = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())

        walked, _ = await self._walk(client, headers, 1)
        whole = (await client.get(REQUESTS_URL, params={"limit": 100}, headers=headers)).json()

        assert whole["next_cursor"] is None
        assert [i["id"] for i in whole["items"]] == [i["id"] for i in walked]

    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage",
            "!!!",
            base64.urlsafe_b64encode(b"[]").decode(),
            base64.urlsafe_b64encode(
                json.dumps({"t": "2026-11-02T15:00:00", "id": str(uuid.uuid4())}).encode()
            ).decode(),
            base64.urlsafe_b64encode(
                json.dumps({"t": "2026-11-02T15:00:00Z", "id": "x"}).encode()
            ).decode(),
        ],
        ids=["text", "symbols", "json-array", "naive-time", "bad-id"],
    )
    async def test_a_garbage_cursor_is_422_naming_cursor(
        self, client: httpx.AsyncClient, vendor: Headers, cursor: str
    ) -> None:
        r = await client.get(REQUESTS_URL, params={"cursor": cursor}, headers=vendor)

        assert_problem(r, 422, field="cursor")

    @pytest.mark.parametrize("limit", ["0", "101", "-1", "many"])
    async def test_a_limit_out_of_range_is_422(
        self, client: httpx.AsyncClient, vendor: Headers, limit: str
    ) -> None:
        r = await client.get(REQUESTS_URL, params={"limit": limit}, headers=vendor)

        assert_problem(r, 422, field="limit")


class TestRead:
    async def test_an_unknown_id_is_404(self, client: httpx.AsyncClient, vendor: Headers) -> None:
        r = await client.get(f"{REQUESTS_URL}/{uuid.uuid4()}", headers=vendor)

        assert_problem(r, 404, code="authorization_request.not_found")

    async def test_a_malformed_id_is_422(self, client: httpx.AsyncClient, vendor: Headers) -> None:
        r = await client.get(f"{REQUESTS_URL}/not-a-uuid", headers=vendor)

        assert_problem(r, 422, field="request_id")

    async def test_events_of_an_unknown_id_are_404(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        r = await client.get(f"{REQUESTS_URL}/{uuid.uuid4()}/events", headers=vendor)

        assert_problem(r, 404, code="authorization_request.not_found")


class TestTimeline:
    async def test_events_come_oldest_first(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        clock: FrozenClock,
    ) -> None:
        created = await submit(client, vendor, request_body(world))
        clock.advance(timedelta(minutes=30))
        later = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())
        r = await cancel(client, later, created["id"], json={"reason": "Family moved"})
        assert r.status_code == 200

        events = await events_of(client, later, created["id"])

        assert [e["kind"] for e in events] == ["submitted", "cancelled"]
        assert [at(e["occurred_at"]) for e in events] == [NOW, NOW + timedelta(minutes=30)]

    async def test_events_at_the_same_instant_keep_their_order(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        # The frozen clock gives both events one timestamp; only the recorded order may count.
        # 12 timelines: were the order random, all in order by chance is 1 in 4,096.
        kinds = []
        for _ in range(12):
            created = await submit(client, vendor, request_body(world))
            r = await cancel(client, vendor, created["id"])
            assert r.status_code == 200
            kinds.append([e["kind"] for e in await events_of(client, vendor, created["id"])])

        assert kinds == [["submitted", "cancelled"]] * 12


class TestCancel:
    async def test_cancel_closes_the_request_and_records_why(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        clock: FrozenClock,
    ) -> None:
        created = await submit(client, vendor, request_body(world))
        clock.advance(timedelta(hours=2))
        later = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())

        r = await cancel(
            client, later, created["id"], json={"reason": "Family moved out of county"}
        )

        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "cancelled"
        assert body["version"] == 2
        assert r.headers["ETag"] == '"v2"'
        assert at(body["updated_at"]) == NOW + timedelta(hours=2)
        assert body["waiting_on"] != created["waiting_on"]
        assert "cancelled" in body["waiting_on"]
        assert world.network_a.name not in body["waiting_on"]
        got = await client.get(f"{REQUESTS_URL}/{created['id']}", headers=later)
        assert got.json() == body
        assert got.headers["ETag"] == '"v2"'
        cancelled = (await events_of(client, later, created["id"]))[-1]
        assert cancelled["kind"] == "cancelled"
        assert cancelled["reason"] == "Family moved out of county"
        assert (cancelled["from_status"], cancelled["to_status"]) == ("in_review", "cancelled")
        assert (cancelled["actor_type"], cancelled["actor_id"]) == ("user", "user:test-vendor")
        assert at(cancelled["occurred_at"]) == NOW + timedelta(hours=2)

    async def test_cancel_without_a_body(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        created = await submit(client, vendor, request_body(world))

        r = await cancel(client, vendor, created["id"])

        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled"
        assert (await events_of(client, vendor, created["id"]))[-1]["reason"] is None

    async def test_cancel_without_if_match_is_428_and_changes_nothing(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        created = await submit(client, vendor, request_body(world))

        r = await client.post(
            f"{REQUESTS_URL}/{created['id']}/cancel", json={"reason": "moved"}, headers=vendor
        )

        assert_problem(r, 428, code="precondition_required")
        got = await client.get(f"{REQUESTS_URL}/{created['id']}", headers=vendor)
        assert got.json()["status"] == "in_review"
        assert got.json()["version"] == 1
        assert got.headers["ETag"] == '"v1"'
        assert got.json() == created
        assert [e["kind"] for e in await events_of(client, vendor, created["id"])] == ["submitted"]

    async def test_cancel_twice_is_409(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        created = await submit(client, vendor, request_body(world))
        assert (await cancel(client, vendor, created["id"])).status_code == 200

        # With the current ETag ("v2"): refused because the request is closed, not stale.
        r = await cancel(client, vendor, created["id"], json={"reason": "again"})

        assert_problem(r, 409, code="authorization_request.closed")
        kinds = [e["kind"] for e in await events_of(client, vendor, created["id"])]
        assert kinds.count("cancelled") == 1

    @pytest.mark.parametrize("stale", ['"v0"', '"v2"', "v1", 'W/"v1"'])
    async def test_a_stale_if_match_is_412_and_changes_nothing(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, stale: str
    ) -> None:
        created = await submit(client, vendor, request_body(world))

        r = await client.post(
            f"{REQUESTS_URL}/{created['id']}/cancel", headers={**vendor, "If-Match": stale}
        )

        assert_problem(r, 412, code="precondition_failed")
        got = await client.get(f"{REQUESTS_URL}/{created['id']}", headers=vendor)
        assert got.json() == created
        assert got.headers["ETag"] == '"v1"'
        assert [e["kind"] for e in await events_of(client, vendor, created["id"])] == ["submitted"]

    @pytest.mark.parametrize("current", ['"v1"', "*"])
    async def test_a_current_if_match_is_200(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, current: str
    ) -> None:
        r = await client.post(REQUESTS_URL, json=request_body(world), headers=vendor)
        url = f"{r.headers['Location']}/cancel"

        ok = await client.post(url, headers={**vendor, "If-Match": current})

        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "cancelled"

    async def test_an_if_match_list_holding_the_current_etag_is_200(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        r = await client.post(REQUESTS_URL, json=request_body(world), headers=vendor)

        ok = await client.post(
            f"{r.headers['Location']}/cancel", headers={**vendor, "If-Match": '"v0", "v1"'}
        )

        assert ok.status_code == 200, ok.text

    async def test_the_etag_read_before_a_cancel_is_stale_after_it(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        r = await client.post(REQUESTS_URL, json=request_body(world), headers=vendor)
        etag = r.headers["ETag"]
        url = f"{r.headers['Location']}/cancel"
        assert (await client.post(url, headers={**vendor, "If-Match": etag})).status_code == 200

        again = await client.post(url, headers={**vendor, "If-Match": etag})

        assert_problem(again, 412, code="precondition_failed")

    async def test_a_cancel_body_of_the_wrong_type_is_refused(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        created = await submit(client, vendor, request_body(world))
        url = f"{REQUESTS_URL}/{created['id']}/cancel"

        current = {**vendor, "If-Match": '"v1"'}
        text = await client.post(
            url, content=b"reason=moved", headers={**current, "Content-Type": "text/plain"}
        )
        extra = await client.post(url, json={"why": "moved"}, headers=current)

        assert_problem(text, 415, code="unsupported_media_type")
        assert_problem(extra, 422, field="why")
        got = await client.get(f"{REQUESTS_URL}/{created['id']}", headers=vendor)
        assert got.json()["status"] == "in_review"

    async def test_an_unknown_id_is_404(self, client: httpx.AsyncClient, vendor: Headers) -> None:
        r = await client.post(
            f"{REQUESTS_URL}/{uuid.uuid4()}/cancel", headers={**vendor, "If-Match": '"v1"'}
        )

        assert_problem(r, 404, code="authorization_request.not_found")

    async def test_a_cancelled_request_never_breaches(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        clock: FrozenClock,
    ) -> None:
        created = await submit(client, vendor, request_body(world))
        assert (await cancel(client, vendor, created["id"])).is_success

        clock.advance(timedelta(hours=100))
        later = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())
        got = (await client.get(f"{REQUESTS_URL}/{created['id']}", headers=later)).json()

        assert got["status"] == "cancelled"
        assert got["sla_state"] == "cancelled"  # neither at_risk nor breached, nor met
