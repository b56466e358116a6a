"""The vendor sees the network's question; reviewers see whom they decide for (issue 13)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.members.age import age_on
from dme_portal.members.models import Enrollment, Member
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW, World, auth_headers_at, if_match, request_body, unique_cin
from fixtures.rules import no_csags, publish

URL = "/v1/authorization-requests"
ASK = {
    "message": "Please send the seating evaluation and a letter of medical necessity.",
    "documents_requested": ["seating_evaluation", "letter_of_medical_necessity"],
}


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def h(settings: Settings, world: World, clock: FrozenClock, role: Role, org: Any = None) -> Any:
    return auth_headers_at(settings, world.principal(role, org), clock.now())


async def submit(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock, **kw: Any
) -> dict[str, Any]:
    headers = {**h(settings, world, clock, Role.VENDOR), "Idempotency-Key": str(uuid.uuid4())}
    r = await client.post(URL, json=request_body(world, **kw), headers=headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def pend(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    request_id: str,
    body: dict[str, Any] = ASK,
) -> dict[str, Any]:
    r = await client.post(
        f"/v1/review/requests/{request_id}/information-requests",
        json=body,
        headers=await if_match(client, h(settings, world, clock, Role.REVIEWER), request_id),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def answer(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock, rid: str
) -> dict[str, Any]:
    r = await client.post(
        f"{URL}/{rid}/information-responses",
        json={"message": "Both attached to the request."},
        headers=h(settings, world, clock, Role.VENDOR),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def read(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    rid: str,
    role: Role = Role.VENDOR,
) -> dict[str, Any]:
    r = await client.get(f"{URL}/{rid}", headers=h(settings, world, clock, role))
    assert r.status_code == 200, r.text
    return dict(r.json())


class TestVendorSeesTheQuestion:
    async def test_pended_request_shows_the_question_until_answered(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        body = await submit(client, settings, world, clock)
        assert body["open_information_request"] is None
        assert body["vendor_answered_since_last_question"] is None
        clock.advance(timedelta(hours=2))
        asked_at = clock.now()
        asked = await pend(client, settings, world, clock, body["id"])
        assert asked["due_at"] == body["due_at"]
        assert asked["requested_by_role"] == "network_reviewer"

        # Acceptance: the vendor's GET of the pended request shows the reviewer's question.
        got = await read(client, settings, world, clock, body["id"])
        assert got["status"] == "pended"
        question = got["open_information_request"]
        assert question["id"] == asked["id"]
        assert question["message"] == ASK["message"]
        assert question["documents_requested"] == ASK["documents_requested"]
        assert question["requested_at"] == iso(asked_at)
        assert question["requested_by"] == "user:test-reviewer"
        assert question["requested_by_role"] == "network_reviewer"
        assert question["due_at"] == got["due_at"]  # the clock runs: the decision deadline
        assert question["answered_at"] is None
        assert got["vendor_answered_since_last_question"] is False
        listed = await client.get(URL, headers=h(settings, world, clock, Role.VENDOR))
        item = next(i for i in listed.json()["items"] if i["id"] == body["id"])
        assert item["open_information_request"] == question

        clock.advance(timedelta(hours=1))
        answered_at = clock.now()
        await answer(client, settings, world, clock, body["id"])
        got = await read(client, settings, world, clock, body["id"])
        assert got["open_information_request"] is None
        assert got["vendor_answered_since_last_question"] is True
        r = await client.get(
            f"{URL}/{body['id']}/information-requests",
            headers=h(settings, world, clock, Role.VENDOR),
        )
        assert r.status_code == 200, r.text
        [only] = r.json()["items"]
        assert only["id"] == asked["id"]
        assert only["answered_at"] == iso(answered_at)
        assert only["answered_by"] == "user:test-vendor"
        assert only["answer"] == "Both attached to the request."
        assert only["attachment_ids"] == []
        assert only["due_at"] is None

        # A second question replaces the open one; the list keeps both, oldest first.
        clock.advance(timedelta(hours=1))
        second = await pend(
            client, settings, world, clock, body["id"], {"message": "Which cushion size?"}
        )
        got = await read(client, settings, world, clock, body["id"])
        assert got["open_information_request"]["id"] == second["id"]
        assert got["open_information_request"]["message"] == "Which cushion size?"
        assert got["open_information_request"]["documents_requested"] == []
        assert got["vendor_answered_since_last_question"] is False
        r = await client.get(
            f"{URL}/{body['id']}/information-requests",
            headers=h(settings, world, clock, Role.REVIEWER),
        )
        assert [i["id"] for i in r.json()["items"]] == [asked["id"], second["id"]]
        assert [i["answered_at"] is None for i in r.json()["items"]] == [False, True]

    async def test_questions_are_scoped(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        body = await submit(client, settings, world, clock)
        await pend(client, settings, world, clock, body["id"])
        path = f"{URL}/{body['id']}/information-requests"
        for role, org, status in [
            (Role.VENDOR, None, 200),
            (Role.VENDOR_CLIENT, None, 200),
            (Role.REVIEWER, None, 200),
            (Role.MEDICAL_DIRECTOR, None, 200),
            (Role.NETWORK_CLIENT, None, 200),
            # Status readers (issue 21.5): a question can carry clinical detail.
            (Role.NETWORK_ADMIN, None, 403),
            (Role.PLAN_ADMIN, None, 403),
            (Role.PLAN_CLIENT, None, 403),
            (Role.VENDOR, world.other_vendor, 404),
            (Role.REVIEWER, world.network_b, 404),
            (Role.CARE_COORDINATOR, None, 403),
        ]:
            r = await client.get(path, headers=h(settings, world, clock, role, org))
            assert r.status_code == status, (role, org, r.text)
            if status == 404:
                assert r.json()["code"] == "authorization_request.not_found"
        r = await client.get(
            f"{URL}/{uuid.uuid4()}/information-requests",
            headers=h(settings, world, clock, Role.VENDOR),
        )
        assert r.status_code == 404

    async def test_care_coordinator_sees_pended_but_not_the_question(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        body = await submit(client, settings, world, clock)
        await pend(client, settings, world, clock, body["id"])
        got = await read(client, settings, world, clock, body["id"], Role.CARE_COORDINATOR)
        assert got["status"] == "pended"
        assert got["view"] == "status"  # the status view: no question, no diagnoses
        assert "open_information_request" not in got
        assert "seating evaluation" in got["waiting_on"]
        assert "diagnoses" not in got
        assert got["member"]["last_name"] == "Child"
        listed = await client.get(URL, headers=h(settings, world, clock, Role.CARE_COORDINATOR))
        item = next(i for i in listed.json()["items"] if i["id"] == body["id"])
        assert "open_information_request" not in item
        assert ASK["message"] not in listed.text
        reviewer = await read(client, settings, world, clock, body["id"], Role.REVIEWER)
        assert reviewer["open_information_request"]["message"] == ASK["message"]
        # The plan reads the same status view (issue 21.5).
        plan = await read(client, settings, world, clock, body["id"], Role.PLAN_ADMIN)
        assert plan["view"] == "status"
        assert "open_information_request" not in plan

    async def test_no_due_time_while_the_clock_is_paused(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        clock: FrozenClock,
        database: Database,
    ) -> None:
        doc = no_csags()
        doc["sla"]["pause_while_pended"] = True
        await publish(database, world.network_a, doc)
        body = await submit(client, settings, world, clock)
        asked = await pend(client, settings, world, clock, body["id"])
        assert asked["due_at"] is None
        got = await read(client, settings, world, clock, body["id"])
        assert got["sla_paused"] is True
        assert got["open_information_request"]["due_at"] is None

    async def test_queue_and_decision_carry_the_answer_flag(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        body = await submit(client, settings, world, clock)
        reviewer = h(settings, world, clock, Role.REVIEWER)

        async def queued() -> dict[str, Any]:
            r = await client.get("/v1/review/queue", headers=reviewer)
            return dict(next(i for i in r.json()["items"] if i["id"] == body["id"]))

        assert (await queued())["vendor_answered_since_last_question"] is None
        await pend(client, settings, world, clock, body["id"])
        item = await queued()
        assert item["vendor_answered_since_last_question"] is False
        assert item["open_information_request"]["message"] == ASK["message"]
        await answer(client, settings, world, clock, body["id"])
        item = await queued()
        assert item["vendor_answered_since_last_question"] is True
        assert item["open_information_request"] is None
        r = await client.post(
            f"/v1/review/requests/{body['id']}/decision",
            json={"lines": [{"line_number": n, "outcome": "approved"} for n in (1, 2)]},
            headers={**reviewer, "If-Match": f'"v{item["version"]}"'},
        )
        assert r.status_code == 200, r.text
        assert r.json()["vendor_answered_since_last_question"] is True
        assert r.json()["open_information_request"] is None
        assert r.json()["member"] == item["member"]


def _add_member(birth_date: date, world: World) -> tuple[Member, Enrollment]:
    member = Member(
        id=uuid.uuid4(),
        cin=unique_cin(),
        first_name="Birthday",
        last_name="Child",
        birth_date=birth_date,
        ccs_eligible_from=date(2026, 1, 1),
        ccs_eligible_to=date(2026, 12, 31),
        created_at=NOW,
    )
    enrollment = Enrollment(
        member_id=member.id,
        network_id=world.network_a.id,
        effective_from=date(2025, 1, 1),
        effective_to=None,
    )
    return member, enrollment


class TestMemberSummary:
    async def test_reads_queue_and_submission_carry_the_member_and_vendor(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        body = await submit(client, settings, world, clock)
        expected_member = {
            "cin": world.member.cin,
            "first_name": "Test",
            "last_name": "Child",
            "birth_date": "2016-05-01",
            "age_years": 10,
        }
        expected_vendor = {
            "id": str(world.vendor.id),
            "name": world.vendor.name,
            "npi": world.vendor.npi,
        }
        assert body["member"] == expected_member
        assert body["vendor"] == expected_vendor
        for role in (Role.REVIEWER, Role.MEDICAL_DIRECTOR, Role.VENDOR, Role.CARE_COORDINATOR):
            got = await read(client, settings, world, clock, body["id"], role)
            assert got["member"] == expected_member, role
            assert got["vendor"] == expected_vendor, role
        r = await client.get("/v1/review/queue", headers=h(settings, world, clock, Role.REVIEWER))
        item = next(i for i in r.json()["items"] if i["id"] == body["id"])
        assert item["member"] == expected_member
        assert item["vendor"] == expected_vendor
        r = await client.post(
            f"/v1/review/requests/{body['id']}/claim",
            headers=h(settings, world, clock, Role.REVIEWER),
        )
        assert r.json()["member"] == expected_member
        r = await client.post(
            f"{URL}/{body['id']}/cancel",
            json={},
            headers={**h(settings, world, clock, Role.VENDOR), "If-Match": r.headers["ETag"]},
        )
        assert r.status_code == 200, r.text
        assert r.json()["member"] == expected_member
        assert r.json()["vendor"] == expected_vendor

    async def test_age_turns_at_the_birthday(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        clock: FrozenClock,
        database: Database,
    ) -> None:
        member, enrollment = _add_member(date(2016, 11, 3), world)  # NOW is 2026-11-02 15:00Z
        async with unit_of_work(database) as s:
            s.add(member)
            await s.flush()
            s.add(enrollment)
        body = await submit(
            client,
            settings,
            world,
            clock,
            member_cin=member.cin,
            member_birth_date=member.birth_date.isoformat(),
        )
        assert body["member"]["age_years"] == 9
        clock.set(datetime(2026, 11, 2, 23, 59, 59, tzinfo=UTC))
        assert (await read(client, settings, world, clock, body["id"]))["member"]["age_years"] == 9
        clock.set(datetime(2026, 11, 3, 0, 0, tzinfo=UTC))
        got = await read(client, settings, world, clock, body["id"], Role.REVIEWER)
        assert got["member"]["age_years"] == 10
        assert got["member"]["birth_date"] == "2016-11-03"
        r = await client.get("/v1/review/queue", headers=h(settings, world, clock, Role.REVIEWER))
        item = next(i for i in r.json()["items"] if i["id"] == body["id"])
        assert item["member"]["age_years"] == 10


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2016, 11, 3), date(2026, 11, 2), 9),
        (date(2016, 11, 3), date(2026, 11, 3), 10),
        (date(2016, 2, 29), date(2026, 2, 28), 9),
        (date(2016, 2, 29), date(2026, 3, 1), 10),
        (date(2016, 2, 29), date(2028, 2, 29), 12),
        (date(2026, 6, 1), date(2026, 6, 1), 0),
        (date(2026, 6, 2), date(2026, 6, 1), 0),  # a birth date after `on` is never negative
    ],
)
def test_age_on(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


_REVOCATION_RELOAD = ("FROM revoked_token", "app_user.username", "api_client.client_id")


@contextmanager
def count_selects(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The revocation cache reloads on a wall-clock timer (auth/revocation.py), whichever
        # call is running then: its three queries are not the page's.
        if any(mark in statement for mark in _REVOCATION_RELOAD):
            return
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def test_list_and_queue_pages_take_a_fixed_number_of_queries(
    client: httpx.AsyncClient,
    world: World,
    settings: Settings,
    clock: FrozenClock,
    database: Database,
) -> None:
    """No N+1: a page of five costs the same queries as a page of one."""
    first = await submit(client, settings, world, clock)
    await pend(client, settings, world, clock, first["id"])
    costs: dict[str, list[int]] = {"list": [], "queue": []}
    for count in (1, 5):
        while len(await _ids(client, settings, world, clock)) < count:
            made = await submit(client, settings, world, clock)
            await pend(client, settings, world, clock, made["id"])
        for name, path in (("list", URL), ("queue", "/v1/review/queue")):
            role = Role.VENDOR if name == "list" else Role.REVIEWER
            with count_selects(database) as seen:
                r = await client.get(
                    f"{path}?limit={count}", headers=h(settings, world, clock, role)
                )
            assert r.status_code == 200
            assert len(r.json()["items"]) == count
            assert all(i["open_information_request"] for i in r.json()["items"])
            costs[name].append(len(seen))
    assert costs["list"][0] == costs["list"][1], costs
    assert costs["queue"][0] == costs["queue"][1], costs
    # The request with member, network, vendor; 3 collections; the lines' authorizations.
    assert costs["list"][0] <= 5, costs


async def _ids(
    client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
) -> list[str]:
    r = await client.get(f"{URL}?limit=100", headers=h(settings, world, clock, Role.VENDOR))
    return [i["id"] for i in r.json()["items"]]
