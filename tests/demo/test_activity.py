"""The demo's 90 days of requests: planned purely and deterministically, replayed through the
hub's use cases, consistent with the clock, and visible in the queues and reports."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from dme_portal.attachments.models import Attachment
from dme_portal.auth.jwt import issue_token
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.codes import hcpcs
from dme_portal.config import AuthSettings, DatabaseSettings, Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.demo import seed
from dme_portal.demo.activity import WINDOW_DAYS, ActivityPlan, plan_activity
from dme_portal.demo.catalog import BUNDLES
from dme_portal.demo.dataset import build_dataset
from dme_portal.demo.lifecycle import StepKind
from dme_portal.main import create_app
from dme_portal.networks.models import Network
from dme_portal.sla.clock import FrozenClock
from dme_portal.submissions.models import (
    AuthorizationRequest,
    AuthorizationState,
    Escalation,
    RequestEvent,
    RequestLine,
    RequestStatus,
)
from fixtures.demo_seed import SEEDED_AT, Seeded

NOW = SEEDED_AT
WINDOW_START = NOW - timedelta(days=WINDOW_DAYS)
OPEN = (RequestStatus.IN_REVIEW, RequestStatus.PENDED)


@pytest.fixture(scope="module")
def plan() -> ActivityPlan:
    return plan_activity(build_dataset(today=NOW.date()), now=NOW)


class TestPlan:
    def test_the_same_seed_and_time_give_the_same_plan(self, plan: ActivityPlan) -> None:
        data = build_dataset(today=NOW.date())
        assert plan_activity(data, now=NOW) == plan
        assert plan_activity(data, now=NOW, seed=7) != plan

    def test_steps_follow_each_other_within_the_window(self, plan: ActivityPlan) -> None:
        assert 300 <= len(plan.requests) <= 1500
        for r in plan.requests:
            times = [s.at for s in r.steps]
            assert r.steps[0].kind is StepKind.SUBMIT
            assert times == sorted(times)
            assert times[0] > WINDOW_START
            assert times[-1] < NOW

    def test_staff_work_standard_requests_on_weekdays(self, plan: ActivityPlan) -> None:
        staff = (StepKind.CLAIM, StepKind.ASK, StepKind.DECIDE, StepKind.DOWNGRADE)
        for r in plan.requests:
            if r.draft.expedited_reason:
                continue  # the reviewer on call
            for s in r.steps:
                if s.kind in staff:
                    assert (s.at - timedelta(hours=8)).weekday() < 5

    def test_initial_requests_never_repeat_a_member_code_and_period(
        self, plan: ActivityPlan
    ) -> None:
        # The hub refuses such a request (409): the plan must not ask for one.
        booked: dict[tuple[str, str], list[tuple[object, object]]] = {}
        for r in plan.requests:
            for ln in r.draft.lines:
                key = (r.draft.member_cin, ln.hcpcs)
                assert all(ln.start > end or start > ln.end for start, end in booked.get(key, []))
                booked.setdefault(key, []).append((ln.start, ln.end))

    def test_every_catalog_code_is_one_the_hub_accepts(self) -> None:
        for bundles in BUNDLES.values():
            for bundle in bundles:
                for item in bundle.items:
                    assert hcpcs.lookup(item.hcpcs) is not None, item.hcpcs
                    assert all(hcpcs.is_known_modifier(m) for m in item.modifiers)


async def _requests(db: Database) -> list[AuthorizationRequest]:
    async with unit_of_work(db) as s:
        return list((await s.execute(select(AuthorizationRequest))).scalars().all())


async def _count_by_request(db: Database, stmt: object) -> Counter[uuid.UUID]:
    async with unit_of_work(db) as s:
        return Counter(dict((await s.execute(stmt)).all()))  # type: ignore[call-overload]


class TestSeeded:
    async def test_no_planned_step_was_refused(self, seeded: Seeded) -> None:
        assert seeded.warnings == []
        assert "authorization requests over the last 90 days" in seeded.credentials

    async def test_every_network_has_requests_and_every_status_appears(
        self, seeded: Seeded
    ) -> None:
        async with unit_of_work(seeded.db) as s:
            networks = set((await s.execute(select(Network.id))).scalars())
        requests = await _requests(seeded.db)
        assert 300 <= len(requests) <= 1500
        assert {r.network_id for r in requests} == networks
        assert {r.status for r in requests} == set(RequestStatus)
        assert any(r.expedited_reason for r in requests)

    async def test_times_follow_the_clock(self, seeded: Seeded) -> None:
        for r in await _requests(seeded.db):
            assert WINDOW_START <= r.received_at < NOW
            if r.decided_at is not None:
                assert r.received_at <= r.decided_at < NOW
                assert r.sla_state == ("met" if r.decided_at <= r.due_at else "missed")
        async with unit_of_work(seeded.db) as s:
            latest = await s.scalar(select(func.max(RequestEvent.occurred_at)))
            early = await s.scalar(
                select(func.count())
                .select_from(RequestEvent)
                .join(AuthorizationRequest, AuthorizationRequest.id == RequestEvent.request_id)
                .where(RequestEvent.occurred_at < AuthorizationRequest.received_at)
            )
        assert latest is not None
        assert latest <= NOW
        assert early == 0

    async def test_breached_open_requests_are_escalated_and_recorded_once(
        self, seeded: Seeded
    ) -> None:
        breached_events = await _count_by_request(
            seeded.db,
            select(RequestEvent.request_id, func.count())
            .where(RequestEvent.kind == "sla_breached")
            .group_by(RequestEvent.request_id),
        )
        escalations = await _count_by_request(
            seeded.db,
            select(Escalation.request_id, func.count()).group_by(Escalation.request_id),
        )
        requests = await _requests(seeded.db)
        breached = [r for r in requests if r.status in OPEN and r.due_at <= NOW]
        assert breached
        for r in breached:
            assert r.sla_state == "breached"
            assert breached_events[r.id] == 1
            assert escalations[r.id] == 1
        assert set(breached_events.values()) == {1}
        assert set(escalations) == set(breached_events)

    async def test_at_risk_open_requests_have_their_event(self, seeded: Seeded) -> None:
        at_risk_events = await _count_by_request(
            seeded.db,
            select(RequestEvent.request_id, func.count())
            .where(RequestEvent.kind == "sla_at_risk")
            .group_by(RequestEvent.request_id),
        )
        requests = await _requests(seeded.db)
        at_risk = [r for r in requests if r.status in OPEN and r.at_risk_at <= NOW < r.due_at]
        assert at_risk
        downgrades = await _count_by_request(
            seeded.db,
            select(RequestEvent.request_id, func.count())
            .where(RequestEvent.kind == "urgency_downgraded")
            .group_by(RequestEvent.request_id),
        )
        for r in at_risk:
            assert r.sla_state == "at_risk"
            assert at_risk_events[r.id] == 1 + downgrades[r.id]
        # Once per clock: a downgrade to standard gives the request a new, later deadline.
        for request_id, count in at_risk_events.items():
            assert count <= 1 + downgrades[request_id]

    async def test_cancelled_requests_have_nothing_in_force(self, seeded: Seeded) -> None:
        async with unit_of_work(seeded.db) as s:
            rows = (
                await s.execute(
                    select(RequestLine.authorization_state, func.count())
                    .join(AuthorizationRequest, AuthorizationRequest.id == RequestLine.request_id)
                    .where(AuthorizationRequest.status == RequestStatus.CANCELLED)
                    .group_by(RequestLine.authorization_state)
                )
            ).all()
        states = dict(rows)
        assert AuthorizationState.ACTIVE not in states
        assert states.get(AuthorizationState.VOID, 0) >= 1  # rules had approved some lines

    async def test_attachments_are_pdfs_on_requests(self, seeded: Seeded) -> None:
        async with unit_of_work(seeded.db) as s:
            attachments = list((await s.execute(select(Attachment))).scalars().all())
        assert len(attachments) >= 100
        assert {a.content_type for a in attachments} == {"application/pdf"}
        assert all(a.request_id is not None for a in attachments)

    async def test_two_seeds_give_the_same_requests(self, seeded: Seeded) -> None:
        async def shape(db: Database) -> Counter[tuple[str, str, str]]:
            async with unit_of_work(db) as s:
                rows = await s.execute(
                    select(
                        Network.code, AuthorizationRequest.status, AuthorizationRequest.urgency
                    ).join(Network, Network.id == AuthorizationRequest.network_id)
                )
                return Counter((code, str(status), str(urgency)) for code, status, urgency in rows)

        assert await shape(seeded.db) == await shape(seeded.twin)


@pytest.fixture(scope="module")
async def api(seeded: Seeded) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    settings = Settings(
        env="test",
        db=DatabaseSettings(url=seeded.db.engine.url.render_as_string(False)),
        auth=AuthSettings(secret_key="s" * 40),
    )
    app = create_app(settings, clock=FrozenClock(NOW), database=seeded.db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        yield client, settings


async def _headers(seeded: Seeded, settings: Settings, role: Role, org: str) -> dict[str, str]:
    async with unit_of_work(seeded.db) as s:
        kind, org_id = await seed.resolve_org(s, role=role, org=org)
    principal = Principal(subject=f"user:{role.value}", role=role, org_kind=kind, org_id=org_id)
    token, _ = issue_token(principal, settings=settings.auth, now=NOW)
    return {"Authorization": f"Bearer {token}"}


class TestThroughTheApi:
    async def test_the_choc_queue_has_work_sorted_by_due_time(
        self, seeded: Seeded, api: tuple[httpx.AsyncClient, Settings]
    ) -> None:
        client, settings = api
        headers = await _headers(seeded, settings, Role.REVIEWER, "choc")
        r = await client.get("/v1/review/queue", params={"limit": 100}, headers=headers)
        assert r.status_code == 200, r.text
        due = [item["due_at"] for item in r.json()["items"]]
        assert due
        assert due == sorted(due)

    async def test_the_breach_report_lists_escalated_requests(
        self, seeded: Seeded, api: tuple[httpx.AsyncClient, Settings]
    ) -> None:
        client, settings = api
        headers = await _headers(seeded, settings, Role.PLAN_ADMIN, "caloptima")
        r = await client.get("/v1/reports/sla-breaches", params={"limit": 100}, headers=headers)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert items
        assert all(item["escalated"] for item in items)

    async def test_the_metrics_show_every_kind_of_outcome(
        self, seeded: Seeded, api: tuple[httpx.AsyncClient, Settings]
    ) -> None:
        client, settings = api
        headers = await _headers(seeded, settings, Role.PLAN_ADMIN, "caloptima")
        period = {
            "from": WINDOW_START.date().isoformat(),
            "to": (NOW.date() + timedelta(days=1)).isoformat(),
        }
        r = await client.get(
            "/v1/reports/prior-authorization-metrics", params=period, headers=headers
        )
        assert r.status_code == 200, r.text
        rows = r.json()["items"]
        for field in ("approved", "denied", "pended", "cancelled", "modified", "sla_missed"):
            assert sum(row[field] for row in rows) > 0, field
        assert any(row["decided_by_rules_share"] > 0 for row in rows)
        assert sum(row["requests"] for row in rows) == len(await _requests(seeded.db))
