"""Issue 16.6: a member moves to another network; its authorizations in force stay honoured.

The world's member A is enrolled in network A since 2026-10-01 (network B before). Its
default request (L1960 and the E1161 wheelchair, 2026-11-03 to 2027-01-31) is approved by a
reviewer of A; then the plan moves the member to network B.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from dme_portal.auth.roles import OrgKind, Role
from dme_portal.authorizations.continuity import add_months, continuity_end, continuity_for
from dme_portal.authorizations.models import Authorization, AuthorizationStatus
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.members.models import Enrollment
from dme_portal.networks.models import HealthPlan
from dme_portal.submissions.models import RequestChange, RequestEvent
from fixtures.factories import (
    World,
    assert_problem,
    auth_headers,
    line_body,
    make_account,
    make_world,
    submit_request,
)
from fixtures.rules import publish

MOVE = date(2026, 12, 1)
AUTH_END = date(2027, 1, 31)


def enrollments_url(world: World) -> str:
    return f"/v1/members/{world.member.cin}/enrollments"


def move_body(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "network": world.network_b.code,
        "effective_from": MOVE.isoformat(),
        "reason": "county transfer",
    }
    body.update(overrides)
    return body


async def approved_request(client: httpx.AsyncClient, settings: Settings, world: World) -> str:
    """Submit the member's default request and have a reviewer of A approve both lines."""
    created = await submit_request(client, settings, world)
    reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
    url = f"/v1/authorization-requests/{created['id']}"
    read = await client.get(url, headers=reviewer)
    decision = {
        "lines": [
            {"line_number": ln["line_number"], "outcome": "approved"} for ln in created["lines"]
        ]
    }
    r = await client.post(
        f"/v1/review/requests/{created['id']}/decision",
        json=decision,
        headers={**reviewer, "If-Match": read.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    return str(created["id"])


async def authorizations_of(db: Database, request_id: str) -> list[Authorization]:
    async with unit_of_work(db) as s:
        rows = await s.scalars(
            select(Authorization)
            .where(Authorization.request_id == uuid.UUID(request_id))
            .order_by(Authorization.line_number)
        )
        return list(rows)


async def set_continuity_months(db: Database, world: World, months: int) -> None:
    async with unit_of_work(db) as s:
        await s.execute(
            update(HealthPlan)
            .where(HealthPlan.id == world.plan.id)
            .values(continuity_months=months)
        )


async def enrollment_rows(db: Database, world: World) -> list[tuple[str, date, date | None]]:
    async with unit_of_work(db) as s:
        rows = await s.execute(
            select(Enrollment.network_id, Enrollment.effective_from, Enrollment.effective_to)
            .where(Enrollment.member_id == world.member.id)
            .order_by(Enrollment.effective_from)
        )
        return [(str(n), f, t) for n, f, t in rows.all()]


class TestContinuityPeriod:
    @pytest.mark.parametrize(
        ("move", "months", "end"),
        [
            (date(2026, 12, 1), 12, date(2027, 11, 30)),
            (date(2026, 12, 1), 1, date(2026, 12, 31)),
            (date(2027, 1, 31), 1, date(2027, 2, 27)),  # 28 February, less the move's day
            (date(2028, 1, 31), 1, date(2028, 2, 28)),  # leap year: 29 February, less a day
            (date(2026, 3, 15), 0, date(2026, 3, 14)),  # no continuity at all
        ],
    )
    def test_the_period_runs_months_from_the_move(self, move: date, months: int, end: date) -> None:
        assert continuity_end(move, months) == end

    def test_add_months_clamps_to_the_month_end(self) -> None:
        assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
        assert add_months(date(2026, 11, 30), 14) == date(2028, 1, 30)


class TestMove:
    async def test_the_wheelchair_authorization_stays_honoured_and_b_is_told(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        request_id = await approved_request(client, settings, world)
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        r = await client.post(enrollments_url(world), json=move_body(world), headers=plan)
        assert r.status_code == 201, r.text
        change = r.json()
        assert change["outcome"] == "applied"
        assert change["enrollment"]["network"]["code"] == world.network_b.code
        assert change["enrollment"]["effective_from"] == "2026-12-01"
        assert change["enrollment"]["effective_to"] is None
        assert change["enrollment"]["reason"] == "county transfer"
        assert change["closed"]["network"]["code"] == world.network_a.code
        assert change["closed"]["effective_to"] == "2026-11-30"
        carried = {c["hcpcs"]: c for c in change["continuity"]}
        assert set(carried) == {"L1960", "E1161"}
        wheelchair = carried["E1161"]
        assert wheelchair["source_network"]["id"] == str(world.network_a.id)
        assert wheelchair["continuity_network"]["id"] == str(world.network_b.id)
        assert wheelchair["end_date"] == AUTH_END.isoformat()
        assert wheelchair["continuity_until"] == AUTH_END.isoformat()  # its own end comes first

        for a in await authorizations_of(database, request_id):
            assert a.state is AuthorizationStatus.ACTIVE
            assert a.network_id == world.network_a.id
            assert a.continuity_network_id == world.network_b.id
            assert a.continuity_until == AUTH_END

        # History: A closed the day before the move, B open from it.
        r = await client.get(enrollments_url(world), headers=plan)
        assert r.status_code == 200
        periods = [
            (p["network"]["code"], p["effective_from"], p["effective_to"])
            for p in r.json()["items"]
        ]
        assert periods == [
            (world.network_b.code, "2025-01-01", "2026-09-30"),
            (world.network_a.code, "2026-10-01", "2026-11-30"),
            (world.network_b.code, "2026-12-01", None),
        ]
        assert r.json()["items"][-1]["recorded_by"] == "user:test-plan_admin"

        # The request's timeline says so, once, naming both networks and both authorizations.
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        r = await client.get(f"/v1/authorization-requests/{request_id}/events", headers=vendor)
        moved = [e for e in r.json()["items"] if e["kind"] == "member_moved_network"]
        assert len(moved) == 1
        assert moved[0]["actor_role"] == "plan_admin"
        assert moved[0]["reason"] == "county transfer"
        assert moved[0]["data"]["from_network_id"] == str(world.network_a.id)
        assert moved[0]["data"]["to_network_id"] == str(world.network_b.id)
        assert {a["continuity_until"] for a in moved[0]["data"]["authorizations"]} == {"2027-01-31"}

        # Issue 21.1: only A's feed carries the move when it is recorded (B's learns of it on
        # the effective date, with the continuity view only: tests/review/
        # test_continuity_feed.py); B's system reads nothing of A's request.
        async with unit_of_work(database) as s:
            feeds = set(
                (
                    await s.execute(
                        select(RequestChange.network_id).where(
                            RequestChange.request_id == uuid.UUID(request_id),
                            RequestChange.kind == "member_moved_network",
                        )
                    )
                ).scalars()
            )
        assert feeds == {world.network_a.id}
        b_system = auth_headers(settings, world.principal(Role.NETWORK_CLIENT, world.network_b))
        r = await client.get("/v1/network/requests/changes", headers=b_system)
        assert r.status_code == 200
        assert request_id not in r.text
        assert [c for c in r.json()["items"] if c["kind"] == "member_moved_network"] == []

    @pytest.mark.parametrize(
        ("months", "until"),
        [
            (12, AUTH_END),
            (2, AUTH_END),  # the continuity ends on the authorization's last day
            (1, date(2026, 12, 31)),  # the plan's continuity caps the authorization
        ],
    )
    async def test_the_plans_continuity_months_cap_it(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        months: int,
        until: date,
    ) -> None:
        await set_continuity_months(database, world, months)
        request_id = await approved_request(client, settings, world)
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        r = await client.post(enrollments_url(world), json=move_body(world), headers=plan)
        assert r.status_code == 201, r.text
        assert {c["continuity_until"] for c in r.json()["continuity"]} == {until.isoformat()}
        for a in await authorizations_of(database, request_id):
            assert a.continuity_until == until
            assert a.end_date == AUTH_END  # the authorization itself is not shortened
            assert a.state is AuthorizationStatus.ACTIVE

    @pytest.mark.parametrize(
        ("move", "carried"),
        [
            (date(2027, 1, 31), True),  # on the authorization's last day
            (date(2027, 2, 1), False),  # the day after: nothing in force to carry
        ],
    )
    async def test_only_authorizations_in_force_on_the_move_are_carried(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        move: date,
        carried: bool,
    ) -> None:
        request_id = await approved_request(client, settings, world)
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        body = move_body(world, effective_from=move.isoformat())
        r = await client.post(enrollments_url(world), json=body, headers=plan)
        assert r.status_code == 201, r.text
        assert bool(r.json()["continuity"]) is carried
        for a in await authorizations_of(database, request_id):
            assert (a.continuity_network_id == world.network_b.id) is carried

    async def test_moving_back_clears_the_continuity(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        request_id = await approved_request(client, settings, world)
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        r = await client.post(enrollments_url(world), json=move_body(world), headers=plan)
        assert r.status_code == 201
        back = move_body(world, network=world.network_a.code, effective_from="2027-01-01")
        r = await client.post(enrollments_url(world), json=back, headers=plan)
        assert r.status_code == 201, r.text
        assert r.json()["continuity"] == []
        for a in await authorizations_of(database, request_id):
            assert a.continuity_network_id is None
            assert a.continuity_until is None

    async def test_a_plan_system_records_moves_with_client_credentials(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        name, secret = await make_account(
            database,
            role=Role.PLAN_CLIENT,
            org_kind=OrgKind.PLAN,
            org_id=world.plan.id,
            machine=True,
        )
        r = await client.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials", "client_id": name, "client_secret": secret},
        )
        assert r.status_code == 200, r.text
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        request_id = await approved_request(client, settings, world)
        r = await client.post(enrollments_url(world), json=move_body(world), headers=headers)
        assert r.status_code == 201, r.text
        async with unit_of_work(database) as s:
            event = await s.scalar(
                select(RequestEvent).where(
                    RequestEvent.request_id == uuid.UUID(request_id),
                    RequestEvent.kind == "member_moved_network",
                )
            )
        assert event is not None
        assert (event.actor_type.value, event.actor_id) == ("client", f"client:{name}")
        r = await client.get(enrollments_url(world), headers=headers)
        assert r.status_code == 200
        # A machine of the plan gets no password grant.
        r = await client.post(
            "/v1/auth/token", data={"grant_type": "password", "username": name, "password": secret}
        )
        assert r.status_code in (400, 401)


class TestIdempotence:
    async def test_the_same_period_twice_changes_nothing(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        request_id = await approved_request(client, settings, world)
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        first = await client.post(enrollments_url(world), json=move_body(world), headers=plan)
        assert first.status_code == 201
        rows = await enrollment_rows(database, world)
        again = await client.post(enrollments_url(world), json=move_body(world), headers=plan)
        assert again.status_code == 200, again.text
        assert again.json()["outcome"] == "unchanged"
        assert again.json()["enrollment"]["id"] == first.json()["enrollment"]["id"]
        assert await enrollment_rows(database, world) == rows
        async with unit_of_work(database) as s:
            n = await s.scalar(
                select(func.count())
                .select_from(RequestEvent)
                .where(
                    RequestEvent.request_id == uuid.UUID(request_id),
                    RequestEvent.kind == "member_moved_network",
                )
            )
        assert n == 1

    async def test_a_retry_with_the_same_key_replays(
        self, raw_client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        r = await raw_client.post(enrollments_url(world), json=move_body(world), headers=plan)
        assert_problem(r, 428)
        key = {**plan, "Idempotency-Key": str(uuid.uuid4())}
        first = await raw_client.post(enrollments_url(world), json=move_body(world), headers=key)
        assert first.status_code == 201
        second = await raw_client.post(enrollments_url(world), json=move_body(world), headers=key)
        assert second.status_code == 201
        assert second.headers["Idempotent-Replayed"] == "true"
        assert second.json() == first.json()


class TestTenancy:
    async def test_another_plans_admin_gets_404_and_network_staff_403(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        other = await make_world(database)
        before = await enrollment_rows(database, world)
        stranger = auth_headers(settings, other.principal(Role.PLAN_ADMIN))
        r = await client.post(enrollments_url(world), json=move_body(world), headers=stranger)
        assert_problem(r, 404)
        r = await client.get(enrollments_url(world), headers=stranger)
        assert_problem(r, 404)
        for role in (Role.NETWORK_ADMIN, Role.REVIEWER, Role.NETWORK_CLIENT, Role.VENDOR):
            headers = auth_headers(settings, world.principal(role))
            r = await client.post(enrollments_url(world), json=move_body(world), headers=headers)
            assert_problem(r, 403)
        assert await enrollment_rows(database, world) == before

    async def test_networks_read_only_their_own_periods(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        a = auth_headers(settings, world.principal(Role.REVIEWER))
        r = await client.get(enrollments_url(world), headers=a)
        assert r.status_code == 200
        assert [p["network"]["code"] for p in r.json()["items"]] == [world.network_a.code]
        b = auth_headers(settings, world.principal(Role.NETWORK_ADMIN, world.network_b))
        r = await client.get(f"/v1/members/{world.member.cin}/enrollments", headers=b)
        assert [p["network"]["code"] for p in r.json()["items"]] == [world.network_b.code]
        other = await make_world(database)
        elsewhere = auth_headers(settings, other.principal(Role.REVIEWER))
        assert_problem(await client.get(enrollments_url(world), headers=elsewhere), 404)
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        assert_problem(await client.get(enrollments_url(world), headers=vendor), 403)
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        assert_problem(await client.get("/v1/members/00000000A/enrollments", headers=plan), 404)


class TestBadInput:
    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"effective_to": "2026-11-30"}, "effective_to"),
            ({"effective_from": "2026-10-01"}, "effective_from"),  # the latest period's start
            ({"effective_from": "2026-09-01"}, "effective_from"),  # rewriting history
            ({"network": "no-such-network"}, "network"),
            ({"network": "Not A Code!"}, "network"),
            ({"effective_from": "2026-13-01"}, "effective_from"),
            ({"effective_from": None}, "effective_from"),
            ({"reason": "x" * 201}, "reason"),
            ({"unexpected": 1}, "unexpected"),
        ],
    )
    async def test_422_names_the_field_and_stores_nothing(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        overrides: dict[str, Any],
        field: str,
    ) -> None:
        request_id = await approved_request(client, settings, world)
        before = await enrollment_rows(database, world)
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        r = await client.post(
            enrollments_url(world), json=move_body(world, **overrides), headers=plan
        )
        problem = assert_problem(r, 422)
        assert field in {e["field"].removeprefix("body.") for e in problem["errors"]}, problem
        assert await enrollment_rows(database, world) == before
        for a in await authorizations_of(database, request_id):
            assert a.continuity_network_id is None

    async def test_a_network_of_another_plan_is_refused(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        other = await make_world(database)
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        for ref in (other.network_b.code, str(other.network_b.id)):
            body = move_body(world, network=ref)
            problem = assert_problem(
                await client.post(enrollments_url(world), json=body, headers=plan), 422
            )
            assert problem["errors"][0]["field"] == "network"

    async def test_the_same_network_again_is_refused(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        body = move_body(world, network=world.network_a.code)
        problem = assert_problem(
            await client.post(enrollments_url(world), json=body, headers=plan), 422
        )
        assert problem["errors"][0]["code"] == "already_enrolled"

    async def test_unknown_cin_is_404(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        r = await client.post(
            "/v1/members/00000000A/enrollments", json=move_body(world), headers=plan
        )
        assert_problem(r, 404)


class TestVendorKeepsServing:
    async def test_continuity_for_the_vendor_item_and_period(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        await approved_request(client, settings, world)
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        assert (
            await client.post(enrollments_url(world), json=move_body(world), headers=plan)
        ).status_code == 201
        end = date(2027, 11, 30)
        cases = [
            (world.vendor.id, "E1161", date(2026, 12, 15), end),
            (world.vendor.id, "E1161", end, end),
            (world.vendor.id, "E1161", date(2027, 12, 1), None),  # the day after
            (world.vendor.id, "E1161", date(2026, 11, 15), None),  # before the move (at A)
            (world.vendor.id, "K0005", date(2026, 12, 15), None),  # another item
            (world.other_vendor.id, "E1161", date(2026, 12, 15), None),  # another vendor
        ]
        async with unit_of_work(database) as s:
            for vendor_id, hcpcs, on, expected in cases:
                got = await continuity_for(
                    s, member_id=world.member.id, vendor_id=vendor_id, hcpcs=hcpcs, on=on
                )
                assert got == expected, (hcpcs, on)

    async def test_a_new_request_at_the_new_network_is_in_network_during_continuity(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        # Network B pre-approves L1960 for cerebral palsy from vendors in its network only.
        await publish(
            database,
            world.network_b,
            {
                "csags": [
                    {
                        "id": "cp-orthotics",
                        "name": "CP orthotics",
                        "diagnosis_prefixes": ["G80"],
                        "requires_in_network_vendor": True,
                        "items": [
                            {"hcpcs": "L1960", "max_units_per_month": 2, "max_period_days": 90}
                        ],
                    }
                ],
                "durations": {"default_days": 90, "lifelong_days": 90, "max_days": 365},
            },
        )
        await approved_request(client, settings, world)
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        assert (
            await client.post(enrollments_url(world), json=move_body(world), headers=plan)
        ).status_code == 201
        after_end = date(2027, 2, 1)
        body = {"lines": [line_body("L1960", start=after_end, days=89, modifiers=["RT"])]}
        created = await submit_request(client, settings, world, **body)
        assert created["network"]["id"] == str(world.network_b.id)
        (line,) = created["lines"]
        assert line["contract_status"] == "out_of_network"
        assert line["outcome"] == "approved", line
        assert "continuity_of_care" in [t["rule"] for t in line["rules"]["trace"]]
        # The other vendor, with no history with the child, goes to review for a letter.
        other = world.principal(Role.VENDOR, world.other_vendor)
        later = {"lines": [line_body("L1960", start=date(2027, 6, 1), days=89, modifiers=["RT"])]}
        created = await submit_request(client, settings, world, principal=other, **later)
        (line,) = created["lines"]
        assert line["outcome"] is None
        assert "out_of_network" in [r["code"] for r in line["rules"]["reasons"]]
