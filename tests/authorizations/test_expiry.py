"""Expiry (issue 16.4): authorizations turn expiring, expired and superseded as the plan's dates
pass, each transition recorded once (several workers too), never while a renewal is open."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from dme_portal.auth.roles import Role
from dme_portal.authorizations import expiry
from dme_portal.authorizations.expiry import next_state, plan_today
from dme_portal.authorizations.models import Authorization, AuthorizationStatus
from dme_portal.authorizations.service import from_line
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.sla.clock import FrozenClock
from dme_portal.submissions.models import (
    AuthorizationRequest,
    RequestChange,
    RequestEvent,
    RequestLine,
)
from fixtures.factories import (
    NOW,
    REQUESTS_URL,
    World,
    auth_headers,
    auth_headers_at,
    request_body,
)
from fixtures.rules import choc_like, no_csags, publish

S = AuthorizationStatus
Headers = dict[str, str]
START = NOW.date() + timedelta(days=1)
KINDS = ("authorization_expiring", "authorization_expired", "authorization_superseded")


# --- The date logic alone ---------------------------------------------------------------------

END = date(2027, 3, 31)
NEXT = END + timedelta(days=1)


@pytest.mark.parametrize(
    ("state", "today", "window", "successor", "renewal", "expected"),
    [
        # expiring: window days before the end (end - 30), not the day before
        (S.ACTIVE, END - timedelta(days=31), 30, None, False, None),
        (S.ACTIVE, END - timedelta(days=30), 30, None, False, S.EXPIRING),
        (S.ACTIVE, END - timedelta(days=29), 30, None, False, S.EXPIRING),
        (S.EXPIRING, END - timedelta(days=29), 30, None, False, None),
        # the network's window
        (S.ACTIVE, END - timedelta(days=45), 45, None, False, S.EXPIRING),
        (S.ACTIVE, END - timedelta(days=46), 45, None, False, None),
        # expired: the day after the end, not on it
        (S.ACTIVE, END, 30, None, False, S.EXPIRING),
        (S.EXPIRING, END, 30, None, False, None),
        (S.EXPIRING, NEXT, 30, None, False, S.EXPIRED),
        (S.ACTIVE, NEXT, 30, None, False, S.EXPIRED),
        (S.EXPIRING, NEXT + timedelta(days=1), 30, None, False, S.EXPIRED),
        # an open renewal holds it at expiring past its end
        (S.EXPIRING, NEXT, 30, None, True, None),
        (S.ACTIVE, NEXT + timedelta(days=9), 30, None, True, S.EXPIRING),
        # superseded from the successor's start (before: the usual course)
        (S.EXPIRING, END, 30, NEXT, False, None),
        (S.EXPIRING, NEXT, 30, NEXT, False, S.SUPERSEDED),
        (S.ACTIVE, NEXT, 30, NEXT, False, S.SUPERSEDED),
        (S.EXPIRING, NEXT + timedelta(days=5), 30, NEXT, True, S.SUPERSEDED),
        # a successor that starts later than the day after: expired in the gap
        (S.EXPIRING, NEXT, 30, NEXT + timedelta(days=3), False, S.EXPIRED),
        # final states never move
        (S.EXPIRED, NEXT, 30, NEXT, False, None),
        (S.SUPERSEDED, NEXT, 30, None, False, None),
        (S.VOID, END - timedelta(days=30), 30, None, False, None),
        (S.VOID, NEXT, 30, NEXT, False, None),
    ],
)
def test_next_state(
    state: AuthorizationStatus,
    today: date,
    window: int,
    successor: date | None,
    renewal: bool,
    expected: AuthorizationStatus | None,
) -> None:
    assert (
        next_state(
            state,
            today=today,
            end_date=END,
            window_days=window,
            successor_start=successor,
            renewal_open=renewal,
        )
        is expected
    )


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # 19:00 in Los Angeles on March 31 (PDT, UTC-7): still the 31st for the plan
        (datetime(2027, 4, 1, 2, 0, tzinfo=UTC), date(2027, 3, 31)),
        (datetime(2027, 4, 1, 7, 0, tzinfo=UTC), date(2027, 4, 1)),
        # winter (PST, UTC-8)
        (datetime(2027, 1, 1, 7, 59, tzinfo=UTC), date(2026, 12, 31)),
        (datetime(2027, 1, 1, 8, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_today_is_the_plans_date(instant: datetime, expected: date) -> None:
    assert plan_today(instant) == expected


# --- On the database --------------------------------------------------------------------------


def at(day: date) -> datetime:
    """Noon in Los Angeles on ``day`` (20:00 UTC): the plan's date is ``day``."""
    return datetime.combine(day, time(20), UTC)


def line(hcpcs: str, quantity: int = 1, *, start: date = START, days: int = 90) -> dict[str, Any]:
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


async def submitted(
    client: httpx.AsyncClient, headers: Headers, world: World, **kw: Any
) -> dict[str, Any]:
    r = await client.post(REQUESTS_URL, json=request_body(world, **kw), headers=headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def approved(client: httpx.AsyncClient, headers: Headers, world: World) -> Authorization:
    """A wheelchair-accessory line the network's CSAG approves on submission."""
    body = await submitted(client, headers, world, lines=[line("L1960", 2)])
    assert body["status"] == "approved", body
    (found,) = await authorizations_of(body["id"])
    return found


_db: list[Database] = []


class OnDatabase:
    """Tests on the session's database (the helpers below read it)."""

    @pytest.fixture(autouse=True)
    def _remember(self, database: Database) -> None:
        _db[:] = [database]


async def authorizations_of(request_id: str) -> list[Authorization]:
    async with unit_of_work(_db[0]) as s:
        rows = await s.execute(
            select(Authorization)
            .where(Authorization.request_id == uuid.UUID(request_id))
            .order_by(Authorization.line_number)
        )
        return list(rows.scalars())


async def reload(auth: Authorization) -> Authorization:
    async with unit_of_work(_db[0]) as s:
        found = await s.get(Authorization, auth.id)
        assert found is not None
        return found


async def recorded(request_id: uuid.UUID) -> list[tuple[str, dict[str, Any]]]:
    """The request's authorization events, in order (kind, data)."""
    async with unit_of_work(_db[0]) as s:
        rows = await s.execute(
            select(RequestEvent.kind, RequestEvent.data)
            .where(RequestEvent.request_id == request_id, RequestEvent.kind.in_(KINDS))
            .order_by(RequestEvent.sequence)
        )
        return [(k, d) for k, d in rows.all()]


async def fed(request_id: uuid.UUID) -> list[str]:
    async with unit_of_work(_db[0]) as s:
        rows = await s.execute(
            select(RequestChange.kind)
            .where(RequestChange.request_id == request_id, RequestChange.kind.in_(KINDS))
            .order_by(RequestChange.id)
        )
        return list(rows.scalars())


async def sweep_on(database: Database, day: date, *, copies: int = 1) -> None:
    await asyncio.gather(*(expiry.sweep(database, now=at(day)) for _ in range(copies)))


class TestBoundaries(OnDatabase):
    async def test_expiring_from_thirty_days_before_the_end(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        database: Database,
        choc: int,
    ) -> None:
        auth = await approved(client, vendor, world)
        expiring_from = auth.end_date - timedelta(days=30)

        await sweep_on(database, expiring_from - timedelta(days=1))
        assert (await reload(auth)).state is S.ACTIVE
        assert await recorded(auth.request_id) == []

        await sweep_on(database, expiring_from)
        now = await reload(auth)
        assert now.state is S.EXPIRING
        assert now.state_changed_at == at(expiring_from)
        assert now.version == auth.version + 1

        await sweep_on(database, expiring_from)
        await sweep_on(database, expiring_from + timedelta(days=1))
        assert (await reload(auth)).state is S.EXPIRING
        events = await recorded(auth.request_id)
        assert [k for k, _ in events] == ["authorization_expiring"]
        assert events[0][1] == {**auth.as_event_data(), "state": "expiring"}
        assert await fed(auth.request_id) == ["authorization_expiring"]

    async def test_the_networks_window_sets_when(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        database: Database,
    ) -> None:
        document = choc_like()
        document["renewals"] = {**document.get("renewals", {}), "window_days": 45}
        await publish(database, world.network_a, document)
        auth = await approved(client, vendor, world)

        await sweep_on(database, auth.end_date - timedelta(days=46))
        assert (await reload(auth)).state is S.ACTIVE
        await sweep_on(database, auth.end_date - timedelta(days=45))
        assert (await reload(auth)).state is S.EXPIRING

    async def test_expired_the_day_after_the_end(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        database: Database,
        choc: int,
    ) -> None:
        auth = await approved(client, vendor, world)

        await sweep_on(database, auth.end_date)
        assert (await reload(auth)).state is S.EXPIRING

        # 19:00 in Los Angeles on the last day: still in force for the plan
        await expiry.sweep(
            database, now=datetime.combine(auth.end_date + timedelta(days=1), time(2), UTC)
        )
        assert (await reload(auth)).state is S.EXPIRING

        await sweep_on(database, auth.end_date + timedelta(days=1))
        assert (await reload(auth)).state is S.EXPIRED
        await sweep_on(database, auth.end_date + timedelta(days=1))
        await sweep_on(database, auth.end_date + timedelta(days=2))
        assert (await reload(auth)).state is S.EXPIRED
        assert [k for k, _ in await recorded(auth.request_id)] == [
            "authorization_expiring",
            "authorization_expired",
        ]
        assert await fed(auth.request_id) == ["authorization_expiring", "authorization_expired"]

    async def test_a_late_worker_expires_it_directly(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        database: Database,
        choc: int,
    ) -> None:
        auth = await approved(client, vendor, world)
        await sweep_on(database, auth.end_date + timedelta(days=10))
        assert (await reload(auth)).state is S.EXPIRED
        assert [k for k, _ in await recorded(auth.request_id)] == ["authorization_expired"]

    async def test_superseded_from_the_successors_start(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        database: Database,
        choc: int,
    ) -> None:
        auth = await approved(client, vendor, world)
        renewal = await submitted(
            client,
            vendor,
            world,
            kind="renewal",
            lines=[line("L1960", 2, start=auth.end_date + timedelta(days=1))],
        )
        assert renewal["status"] == "approved", renewal
        (successor,) = await authorizations_of(renewal["id"])
        assert successor.start_date == auth.end_date + timedelta(days=1)
        await link(auth, successor)

        await sweep_on(database, auth.end_date)
        assert (await reload(auth)).state is S.EXPIRING
        await sweep_on(database, successor.start_date, copies=3)
        assert (await reload(auth)).state is S.SUPERSEDED
        assert (await reload(successor)).state is S.ACTIVE
        await sweep_on(database, successor.start_date + timedelta(days=1))
        assert [k for k, _ in await recorded(auth.request_id)] == [
            "authorization_expiring",
            "authorization_superseded",
        ]
        assert await fed(auth.request_id) == [
            "authorization_expiring",
            "authorization_superseded",
        ]

    async def test_a_void_authorization_never_changes(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        database: Database,
        choc: int,
    ) -> None:
        # The orthoses are approved at once; the wheelchair waits, so the request can be
        # cancelled, which voids the orthoses' authorization.
        body = await submitted(client, vendor, world, lines=[line("L1960", 2), line("E1161")])
        (auth,) = await authorizations_of(body["id"])
        r = await client.post(
            f"{REQUESTS_URL}/{body['id']}/cancel",
            json={"reason": "The family chose another supplier."},
            headers={**vendor, "If-Match": f'"v{body["version"]}"'},
        )
        assert r.status_code == 200, r.text
        assert (await reload(auth)).state is S.VOID

        for day in (auth.end_date - timedelta(days=30), auth.end_date + timedelta(days=1)):
            await sweep_on(database, day)
        assert (await reload(auth)).state is S.VOID
        assert await recorded(auth.request_id) == []


async def link(old: Authorization, successor: Authorization) -> None:
    """What approving a renewal does (issue 16.2): the old authorization names its successor."""
    async with unit_of_work(_db[0]) as s:
        await s.execute(
            update(Authorization)
            .where(Authorization.id == old.id)
            .values(superseded_by_id=successor.id)
        )
        await s.execute(
            update(Authorization).where(Authorization.id == successor.id).values(renews_id=old.id)
        )


async def decide(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    request_id: str,
    outcome: str,
    day: date,
    clock: FrozenClock,
) -> None:
    clock.set(at(day))
    reviewer = auth_headers_at(settings, world.principal(Role.REVIEWER), at(day))
    tag = (await client.get(f"{REQUESTS_URL}/{request_id}", headers=reviewer)).headers["ETag"]
    decision: dict[str, Any] = {"line_number": 1, "outcome": outcome}
    if outcome == "denied":
        decision |= {"reason_code": "not_a_covered_benefit", "reason": "Not a benefit."}
    r = await client.post(
        f"/v1/review/requests/{request_id}/decision",
        json={"lines": [decision]},
        headers={**reviewer, "If-Match": tag},
    )
    assert r.status_code == 200, r.text


class TestOpenRenewal(OnDatabase):
    async def open_renewal(
        self, client: httpx.AsyncClient, vendor: Headers, world: World, database: Database
    ) -> tuple[Authorization, dict[str, Any]]:
        await publish(database, world.network_a, choc_like())
        auth = await approved(client, vendor, world)
        # The network's next ruleset has no CSAG: the renewal waits for a reviewer.
        await publish(database, world.network_a, no_csags())
        renewal = await submitted(
            client,
            vendor,
            world,
            kind="renewal",
            lines=[line("L1960", 2, start=auth.end_date + timedelta(days=1))],
        )
        assert renewal["status"] == "in_review", renewal
        # What POST /v1/authorizations/{id}/renewals records: the line names what it renews.
        async with unit_of_work(_db[0]) as s:
            await s.execute(
                update(RequestLine)
                .where(RequestLine.request_id == uuid.UUID(renewal["id"]))
                .values(renews_authorization_id=auth.id)
            )
        return auth, renewal

    async def test_nothing_expires_while_a_renewal_is_open_then_a_denial_expires_it(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        database: Database,
        clock: FrozenClock,
    ) -> None:
        auth, renewal = await self.open_renewal(client, vendor, world, database)

        end = auth.end_date
        for day in (end, end + timedelta(days=1), end + timedelta(days=9)):
            await sweep_on(database, day)
            assert (await reload(auth)).state is S.EXPIRING
        assert [k for k, _ in await recorded(auth.request_id)] == ["authorization_expiring"]

        await decide(client, settings, world, renewal["id"], "denied", auth.end_date, clock)
        await sweep_on(database, auth.end_date + timedelta(days=10))
        assert (await reload(auth)).state is S.EXPIRED
        assert [k for k, _ in await recorded(auth.request_id)] == [
            "authorization_expiring",
            "authorization_expired",
        ]

    async def test_an_approved_renewal_supersedes_it(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        database: Database,
        clock: FrozenClock,
    ) -> None:
        auth, renewal = await self.open_renewal(client, vendor, world, database)
        await sweep_on(database, auth.end_date + timedelta(days=3))
        assert (await reload(auth)).state is S.EXPIRING

        await decide(client, settings, world, renewal["id"], "approved", auth.end_date, clock)
        (successor,) = await authorizations_of(renewal["id"])
        await link(auth, successor)
        await sweep_on(database, auth.end_date + timedelta(days=4), copies=2)
        assert (await reload(auth)).state is S.SUPERSEDED
        assert [k for k, _ in await recorded(auth.request_id)] == [
            "authorization_expiring",
            "authorization_superseded",
        ]

    async def test_a_renewal_of_another_code_does_not_hold_it(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        database: Database,
    ) -> None:
        auth, _ = await self.open_renewal(client, vendor, world, database)
        other = await approved_for_other_code(client, vendor, world, auth)
        await sweep_on(database, auth.end_date + timedelta(days=1))
        assert (await reload(auth)).state is S.EXPIRING
        assert (await reload(other)).state is S.EXPIRED


async def approved_for_other_code(
    client: httpx.AsyncClient, vendor: Headers, world: World, auth: Authorization
) -> Authorization:
    """A second authorization of the member with the same end, made straight from a line."""
    async with unit_of_work(_db[0]) as s:
        request = await s.get(AuthorizationRequest, auth.request_id)
        template = await s.get(RequestLine, auth.line_id)
        assert request is not None
        assert template is not None
        copy = clone(template, line_number=2, hcpcs="E1161")
        s.add(copy)
        await s.flush()
        other = from_line(request, copy, now=NOW, issued_by="rules")
        s.add(other)
    return other


def clone(row: Any, **changes: Any) -> Any:
    """A copy of an ORM row with a new id (and the given changes)."""
    mapper = type(row).__mapper__
    values = {c.key: getattr(row, c.key) for c in mapper.column_attrs}
    values |= {"id": uuid.uuid4()}
    if "authorization_number" in values:
        values["authorization_number"] = f"T{uuid.uuid4().hex[:20].upper()}"
    values |= changes
    return type(row)(**values)


class TestSeveralWorkers(OnDatabase):
    async def test_four_workers_over_200_authorizations_record_each_event_once(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        database: Database,
        choc: int,
    ) -> None:
        template = await approved(client, vendor, world)
        end = template.end_date
        # 40 requests of 5 lines each; half end 10 days before the other half.
        async with unit_of_work(database) as s:
            request = await s.get(AuthorizationRequest, template.request_id)
            line0 = await s.get(RequestLine, template.line_id)
            assert request is not None
            assert line0 is not None
            made: list[AuthorizationRequest] = []
            for _ in range(40):
                copy = clone(request)
                s.add(copy)
                made.append(copy)
            await s.flush()
            for i, req in enumerate(made):
                for n in range(1, 6):
                    ln = clone(
                        line0,
                        request_id=req.id,
                        line_number=n,
                        authorized_end=end - timedelta(days=10 * ((i * 5 + n) % 2)),
                    )
                    s.add(ln)
                    await s.flush()
                    s.add(from_line(req, ln, now=NOW, issued_by="rules"))
            ids = [r.id for r in made]

        # Day one: every authorization is past its window, half are past their end.
        await sweep_on_batches(database, end - timedelta(days=5))
        assert await counts(ids) == {
            ("authorization_expiring", "expiring"): 100,
            ("authorization_expired", "expired"): 100,
        }
        # Day two: the rest expire; again each once.
        await sweep_on_batches(database, end + timedelta(days=1))
        await sweep_on_batches(database, end + timedelta(days=1))
        assert await counts(ids) == {
            ("authorization_expiring", "expiring"): 100,
            ("authorization_expired", "expired"): 200,
        }
        async with unit_of_work(database) as s:
            states = await s.execute(
                select(Authorization.state, func.count())
                .where(Authorization.request_id.in_(ids))
                .group_by(Authorization.state)
            )
            assert dict(states.all()) == {S.EXPIRED: 200}
            changes = await s.scalar(
                select(func.count())
                .select_from(RequestChange)
                .where(RequestChange.request_id.in_(ids), RequestChange.kind.in_(KINDS))
            )
            assert changes == 300
            # Each request's timeline stays one sequence without gaps.
            sequences = await s.execute(
                select(RequestEvent.request_id, func.count(), func.max(RequestEvent.sequence))
                .where(RequestEvent.request_id.in_(ids))
                .group_by(RequestEvent.request_id)
            )
            for _, n, last in sequences.all():
                assert n == last


async def sweep_on_batches(database: Database, day: date) -> None:
    await asyncio.gather(*(expiry.sweep(database, now=at(day), batch=7) for _ in range(4)))


async def counts(request_ids: list[uuid.UUID]) -> dict[tuple[str, str], int]:
    """(event kind, state in its data) -> how many, over the requests' authorization events."""
    found: dict[tuple[str, str], int] = {}
    async with unit_of_work(_db[0]) as s:
        rows = (
            await s.execute(
                select(RequestEvent.kind, RequestEvent.data).where(
                    RequestEvent.request_id.in_(request_ids), RequestEvent.kind.in_(KINDS)
                )
            )
        ).all()
    # No authorization has the same event twice.
    assert len({(kind, data["authorization_id"]) for kind, data in rows}) == len(rows)
    for kind, data in rows:
        key = (kind, data["state"])
        found[key] = found.get(key, 0) + 1
    return found


class TestViews(OnDatabase):
    async def test_the_care_coordinator_reads_the_expiry_on_the_timeline(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        database: Database,
        clock: FrozenClock,
        choc: int,
    ) -> None:
        auth = await approved(client, vendor, world)
        url = f"{REQUESTS_URL}/{auth.request_id}"
        coordinator = auth_headers(settings, world.principal(Role.CARE_COORDINATOR))
        before = (await client.get(url, headers=coordinator)).json()

        day = auth.end_date + timedelta(days=1)
        await sweep_on(database, day)

        clock.set(at(day))
        coordinator = auth_headers_at(settings, world.principal(Role.CARE_COORDINATOR), at(day))
        r = await client.get(url, headers=coordinator)
        assert r.status_code == 200, r.text
        view = r.json()
        assert view["view"] == "status"
        assert view["status"] == before["status"] == "approved"
        assert view["waiting_on"] == before["waiting_on"]
        events = (await client.get(f"{url}/events", headers=coordinator)).json()["items"]
        last = events[-1]
        assert last["kind"] == "authorization_expired"
        assert last["actor_type"] == "system"
        assert last["data"] == {**auth.as_event_data(), "state": "expired"}
