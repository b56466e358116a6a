"""Issue 21 point 2: a CIN alone reveals nothing.

A vendor that sends a CIN without the right birth date to the coverage check or the submit
learns nothing: the same 404 as eligibility gives for an unknown CIN, nothing stored, each
failed match counted against the member-lookup limit. Another vendor's duplicate is a 409
that names no vendor, date or identifier. (The portal's side: tests/portal/.)
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from dme_portal.audit.models import AccessLog
from dme_portal.auth.roles import Role
from dme_portal.config import LimitSettings, Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.main import create_app
from dme_portal.sla.clock import FrozenClock
from dme_portal.submissions.models import AuthorizationRequest, RequestEvent
from fixtures.factories import (
    NOW,
    World,
    assert_problem,
    auth_headers,
    count_idempotency_records,
    request_body,
    unique_cin,
)
from fixtures.rules import choc_like, publish

REQUESTS_URL = "/v1/authorization-requests"
COVERAGE_URL = "/v1/coverage-checks"
WRONG_BIRTH_DATE = "2016-05-02"  # the world's members are born 2016-05-01
START = NOW.date() + timedelta(days=1)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

Headers = dict[str, str]


def _vendor(settings: Settings, world: World, *, contracted: bool = True) -> Headers:
    org = world.vendor if contracted else world.other_vendor
    return auth_headers(settings, world.principal(Role.VENDOR, org))


def _without_instance(response: httpx.Response) -> tuple[str, str]:
    """The problem's bytes with its ``instance`` member cut out, and its content type."""
    instance = response.json()["instance"]
    text = response.text.replace(f'"instance":"{instance}",', "")
    assert instance not in text
    return text, response.headers["content-type"]


async def _stored(database: Database, world: World) -> tuple[int, int]:
    """Requests and timeline events of the world's two vendors."""
    vendors = (world.vendor.id, world.other_vendor.id)
    async with unit_of_work(database) as s:
        requests = await s.scalar(
            select(func.count())
            .select_from(AuthorizationRequest)
            .where(AuthorizationRequest.vendor_id.in_(vendors))
        )
        events = await s.scalar(
            select(func.count())
            .select_from(RequestEvent)
            .join(AuthorizationRequest, AuthorizationRequest.id == RequestEvent.request_id)
            .where(AuthorizationRequest.vendor_id.in_(vendors))
        )
    return int(requests or 0), int(events or 0)


async def _outcomes(database: Database, world: World) -> list[tuple[str, str, str]]:
    vendors = (world.vendor.id, world.other_vendor.id)
    async with unit_of_work(database) as s:
        rows = await s.execute(
            select(AccessLog.action, AccessLog.outcome, AccessLog.route).where(
                AccessLog.org_id.in_(vendors)
            )
        )
        return sorted((str(a), str(o), str(r)) for a, o, r in rows.all())


class TestTheSame404AsEligibility:
    @pytest.mark.parametrize("contracted", [True, False], ids=["contracted", "no-contract"])
    async def test_unknown_cin_and_wrong_birth_date_are_eligibility_s_404_storing_nothing(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        contracted: bool,
    ) -> None:
        vendor = _vendor(settings, world, contracted=contracted)
        cin = world.member.cin
        eligibility = await client.get(
            f"/v1/members/{unique_cin()}/eligibility",
            params={"birth_date": "2016-05-01"},
            headers=vendor,
        )
        expected = _without_instance(eligibility)
        assert_problem(eligibility, 404, code="member.not_found")

        bodies = {
            "unknown CIN": request_body(world, member_cin=unique_cin()),
            "wrong birth date": request_body(world, member_birth_date=WRONG_BIRTH_DATE),
            "member B's birth date off by a year": request_body(
                world, member_cin=world.member_b.cin, member_birth_date="2015-05-01"
            ),
        }
        wrong_eligibility = await client.get(
            f"/v1/members/{cin}/eligibility",
            params={"birth_date": WRONG_BIRTH_DATE},
            headers=vendor,
        )
        assert _without_instance(wrong_eligibility) == expected
        for name, body in bodies.items():
            for url in (COVERAGE_URL, REQUESTS_URL):
                r = await client.post(url, json=body, headers=vendor)
                assert_problem(r, 404, code="member.not_found")
                assert _without_instance(r) == expected, (name, url)
                # Nothing of the child: no name, network or condition.
                for secret in (world.network_a.name, world.network_b.name, "Child", "csag"):
                    assert secret not in r.text, (name, url, secret)

        assert await _stored(database, world) == (0, 0)
        org = world.vendor.id if contracted else world.other_vendor.id
        assert await count_idempotency_records(database, f"vendor:{org}") == 0

    async def test_the_matching_birth_date_answers_as_before(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        await publish(database, world.network_a, choc_like())
        for contracted, status in ((True, "in_network"), (False, "out_of_network")):
            vendor = _vendor(settings, world, contracted=contracted)
            r = await client.post(COVERAGE_URL, json=request_body(world), headers=vendor)
            assert r.status_code == 200, r.text
            result = r.json()
            assert result["network"]["id"] == str(world.network_a.id)
            assert [ln["contract_status"] for ln in result["lines"]] == [status, status]
            assert [ln["hcpcs"] for ln in result["lines"]] == ["L1960", "E1161"]
        created = await client.post(
            REQUESTS_URL, json=request_body(world), headers=_vendor(settings, world)
        )
        assert created.status_code == 201, created.text
        assert created.json()["member"]["birth_date"] == "2016-05-01"
        assert (await _stored(database, world))[0] == 1

    async def test_a_key_refused_for_a_wrong_birth_date_stays_free(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        headers = {**_vendor(settings, world), "Idempotency-Key": "wrong-born-1"}
        wrong = request_body(world, member_birth_date=WRONG_BIRTH_DATE)
        assert_problem(await client.post(REQUESTS_URL, json=wrong, headers=headers), 404)
        right = {**wrong, "member_birth_date": "2016-05-01"}
        r = await client.post(REQUESTS_URL, json=right, headers=headers)
        assert r.status_code == 201, r.text
        assert "Idempotent-Replayed" not in r.headers

    @pytest.mark.parametrize("url", [COVERAGE_URL, REQUESTS_URL])
    async def test_no_birth_date_is_a_422_naming_it(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        url: str,
    ) -> None:
        body = request_body(world)
        del body["member_birth_date"]
        r = await client.post(url, json=body, headers=_vendor(settings, world))
        assert_problem(r, 422, code="validation_error", field="member_birth_date")
        assert await _stored(database, world) == (0, 0)

    async def test_the_log_says_not_found_and_holds_no_member(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        vendor = _vendor(settings, world)
        wrong = request_body(world, member_birth_date=WRONG_BIRTH_DATE)
        assert (await client.post(COVERAGE_URL, json=wrong, headers=vendor)).status_code == 404
        assert (await client.post(REQUESTS_URL, json=wrong, headers=vendor)).status_code == 404
        assert await _outcomes(database, world) == [
            ("coverage-check", "not_found", COVERAGE_URL),
            ("create", "not_found", REQUESTS_URL),
        ]
        async with unit_of_work(database) as s:
            counted = await s.scalars(
                select(AccessLog.member_count).where(AccessLog.org_id == world.vendor.id)
            )
            assert list(counted) == [0, 0]


# --- the member-lookup limit ----------------------------------------------------------------

LIMIT = 3


@pytest.fixture(scope="module")
def limited_app(settings: Settings, session_clock: FrozenClock, database: Database) -> FastAPI:
    limited = settings.model_copy(update={"limits": LimitSettings(member_lookups_per_minute=LIMIT)})
    return create_app(limited, clock=session_clock, database=database)


@pytest.fixture
async def limited(limited_app: FastAPI, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    async def key(request: httpx.Request) -> None:
        if request.method == "POST" and "Idempotency-Key" not in request.headers:
            request.headers["Idempotency-Key"] = str(uuid.uuid4())

    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", event_hooks={"request": [key]}
    ) as c:
        yield c


class TestCountedAsLookups:
    async def test_failed_matches_on_submit_count_and_the_next_is_429(
        self,
        limited: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        clock: FrozenClock,
    ) -> None:
        vendor = _vendor(settings, world)
        clock.set(NOW)
        for _ in range(LIMIT):
            wrong = request_body(world, member_birth_date=WRONG_BIRTH_DATE)
            assert (await limited.post(REQUESTS_URL, json=wrong, headers=vendor)).status_code == 404

        clock.set(NOW + timedelta(seconds=15))
        # Past the limit even the right birth date is refused: guessing is what it is for.
        refused = await limited.post(REQUESTS_URL, json=request_body(world), headers=vendor)
        problem = assert_problem(refused, 429, code="rate_limited.member_lookups")
        assert refused.headers["Retry-After"] == "45"
        assert problem["retry_after"] == 45
        refused = await limited.post(COVERAGE_URL, json=request_body(world), headers=vendor)
        assert_problem(refused, 429, code="rate_limited.member_lookups")
        assert await _stored(database, world) == (0, 0)
        assert [(a, o) for a, o, _ in await _outcomes(database, world)] == [
            ("coverage-check", "throttled"),
            ("create", "not_found"),
            ("create", "not_found"),
            ("create", "not_found"),
            ("create", "throttled"),
        ]

        clock.set(NOW + timedelta(seconds=60))
        ok = await limited.post(REQUESTS_URL, json=request_body(world), headers=vendor)
        assert ok.status_code == 201, ok.text

    async def test_failed_coverage_checks_count_for_the_submit_too(
        self,
        limited: httpx.AsyncClient,
        settings: Settings,
        world: World,
        clock: FrozenClock,
    ) -> None:
        vendor = _vendor(settings, world, contracted=False)
        clock.set(NOW)
        wrong = request_body(world, member_cin=unique_cin())
        for _ in range(LIMIT):
            assert (await limited.post(COVERAGE_URL, json=wrong, headers=vendor)).status_code == 404
        refused = await limited.post(REQUESTS_URL, json=wrong, headers=vendor)
        assert_problem(refused, 429, code="rate_limited.member_lookups")

    async def test_a_vendor_s_own_work_is_never_blocked_by_its_submits(
        self,
        limited: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        clock: FrozenClock,
    ) -> None:
        vendor = _vendor(settings, world)
        clock.set(NOW)
        # Its coverage checks use up the limit: its submits still go through...
        for _ in range(LIMIT):
            ok = await limited.post(COVERAGE_URL, json=request_body(world), headers=vendor)
            assert ok.status_code == 200, ok.text
        # ...and so do more successful submits than the limit, for either member.
        for cin in [world.member.cin, world.member_b.cin] * LIMIT:
            r = await limited.post(
                REQUESTS_URL, json=request_body(world, member_cin=cin), headers=vendor
            )
            assert r.status_code == 201, r.text
        assert (await _stored(database, world))[0] == 2 * LIMIT
        refused = await limited.post(COVERAGE_URL, json=request_body(world), headers=vendor)
        assert_problem(refused, 429)


# --- another vendor's duplicate ---------------------------------------------------------------


def _line(hcpcs: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "hcpcs": hcpcs,
        "quantity": quantity,
        "start_date": START.isoformat(),
        "end_date": (START + timedelta(days=89)).isoformat(),
    }


class TestAnotherVendorsDuplicate:
    @pytest.mark.parametrize("kind", ["open request", "authorization in force"])
    async def test_the_409_names_no_vendor_date_or_identifier(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        kind: str,
    ) -> None:
        line = _line("E1161")
        if kind == "authorization in force":
            await publish(database, world.network_a, choc_like())
            line = _line("L1960", 2)
        first = await client.post(
            REQUESTS_URL, json=request_body(world, lines=[line]), headers=_vendor(settings, world)
        )
        assert first.status_code == 201, first.text
        existing = first.json()
        number = (existing["lines"][0].get("authorization") or {}).get("number")
        assert (number is not None) is (kind == "authorization in force")

        # The other vendor asks for the same item from a later day: its own dates differ.
        later = {**line, "start_date": (START + timedelta(days=10)).isoformat()}
        r = await client.post(
            REQUESTS_URL,
            json=request_body(world, lines=[later]),
            headers=_vendor(settings, world, contracted=False),
        )

        problem = assert_problem(r, 409, code="authorization_request.duplicate", field="lines[0]")
        assert "requested or authorized" in problem["detail"]
        text = r.text
        for secret in (
            existing["id"],
            str(world.vendor.id),
            world.vendor.name,
            world.vendor.npi,
            line["start_date"],
            line["end_date"],
            *([number] if number else []),
        ):
            assert secret not in text, secret
        assert ISO_DATE.search(text) is None, text
        assert UUID.search(text) is None, text
        assert "vendor" not in text.lower().replace("another vendor", "")
        assert set(problem) == {
            "type",
            "title",
            "status",
            "detail",
            "instance",
            "code",
            "errors",
        }, problem
        # An open request and an authorization read the same: nothing tells them apart.
        assert "authorization " not in problem["detail"].replace("authorized", "")

    async def test_the_vendor_s_own_duplicate_still_names_its_request(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        vendor = _vendor(settings, world)
        first = await client.post(
            REQUESTS_URL, json=request_body(world, lines=[_line("E1161")]), headers=vendor
        )
        assert first.status_code == 201, first.text
        r = await client.post(
            REQUESTS_URL, json=request_body(world, lines=[_line("E1161")]), headers=vendor
        )
        problem = assert_problem(r, 409, code="authorization_request.duplicate")
        assert problem["existing_request_id"] == first.json()["id"]
        assert first.json()["id"] in problem["detail"]
