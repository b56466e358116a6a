"""Issue 16 points 2 and 3: renewals in one call, singly and in batches (all or nothing), with
continuous coverage, carried documents and changes, and the lifelong periods."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from dme_portal.attachments.models import Attachment
from dme_portal.auth.roles import Role
from dme_portal.authorizations.models import Authorization
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.sla.clock import FrozenClock
from fixtures.documents import pdf_bytes
from fixtures.factories import (
    NOW,
    REQUESTS_URL,
    World,
    assert_problem,
    auth_headers_at,
    count_requests,
    request_body,
)
from fixtures.rules import choc_like, publish

Headers = dict[str, str]
START = NOW.date() + timedelta(days=1)  # 2026-11-03
BATCH = "/v1/authorization-renewals"


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)


def line(hcpcs: str = "L1960", start: date = START, **kw: Any) -> dict[str, Any]:
    return {
        "hcpcs": hcpcs,
        "quantity": 1,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=89)).isoformat(),
        **kw,
    }


def renewals_url(authorization_id: str) -> str:
    return f"/v1/authorizations/{authorization_id}/renewals"


@pytest.fixture
async def choc(database: Database, world: World) -> int:
    return await publish(database, world.network_a, choc_like())


class Env:
    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
    ) -> None:
        self.client, self.settings, self.world, self.clock = client, settings, world, clock

    def headers(self, role: Role = Role.VENDOR, org: Any = None) -> Headers:
        return auth_headers_at(self.settings, self.world.principal(role, org), self.clock.now())

    def move_to(self, day: date) -> None:
        self.clock.set(at(day))

    async def submit(self, *lines: dict[str, Any], **kw: Any) -> dict[str, Any]:
        body = request_body(self.world, lines=list(lines or [line()]), **kw)
        r = await self.client.post(REQUESTS_URL, json=body, headers=self.headers())
        assert r.status_code == 201, r.text
        created: dict[str, Any] = r.json()
        return created

    async def renew(
        self, authorization_id: str, body: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        return await self.client.post(
            renewals_url(authorization_id),
            json=body or {},
            headers=kw.pop("headers", None) or self.headers(),
            **kw,
        )

    async def read(self, request_id: str, role: Role = Role.VENDOR) -> dict[str, Any]:
        r = await self.client.get(f"{REQUESTS_URL}/{request_id}", headers=self.headers(role))
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@pytest.fixture
def env(client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock) -> Env:
    return Env(client, settings, world, clock)


async def authorization_of(db: Database, request: dict[str, Any], line_number: int = 1) -> Any:
    async with unit_of_work(db) as s:
        return (
            await s.execute(
                select(Authorization).where(
                    Authorization.request_id == uuid.UUID(request["id"]),
                    Authorization.line_number == line_number,
                )
            )
        ).scalar_one()


async def authorization(db: Database, authorization_id: uuid.UUID | str) -> Any:
    async with unit_of_work(db) as s:
        return await s.get_one(Authorization, uuid.UUID(str(authorization_id)))


async def approved_initial(env: Env, db: Database, *lines: dict[str, Any]) -> list[Any]:
    created = await env.submit(*lines)
    assert created["status"] == "approved", created["lines"]
    return [await authorization_of(db, created, i + 1) for i in range(len(created["lines"]))]


class TestASingleRenewal:
    async def test_a_csag_renewal_is_approved_inside_the_call_and_supersedes_the_old_one(
        self, env: Env, database: Database, choc: int
    ) -> None:
        (old,) = await approved_initial(env, database, line())
        # The CP orthoses CSAG gives 180 days (a lifelong condition): 2026-11-03 to 2027-05-01.
        assert (old.start_date, old.end_date) == (START, START + timedelta(days=179))
        env.move_to(old.end_date - timedelta(days=30))
        r = await env.renew(str(old.id))
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["authorization_id"] == str(old.id)
        assert body["outcome"] == "approved"
        request = body["request"]
        assert request["kind"] == "renewal"
        assert request["status"] == "approved"
        assert r.headers["Location"] == f"{REQUESTS_URL}/{request['id']}"
        (new_line,) = request["lines"]
        assert new_line["renews_authorization_id"] == str(old.id)
        new_start = old.end_date + timedelta(days=1)
        assert new_line["authorization"]["start_date"] == new_start.isoformat()
        # Lifelong condition (G80): the renewal gets the 180 days as the initial did.
        assert (
            new_line["authorization"]["end_date"] == (new_start + timedelta(days=179)).isoformat()
        )
        assert request["diagnoses"] == ["G80.0"]
        assert request["prescriber_npi"] == "1234567893"
        new = await authorization_of(database, request)
        assert new.renews_id == old.id
        old_now = await authorization(database, old.id)
        assert old_now.superseded_by_id == new.id
        # Superseded only from the new start: today it is still in force.
        assert old_now.state.value == "active"

    async def test_other_vendors_and_the_network_cannot_renew(
        self, env: Env, database: Database, world: World, choc: int
    ) -> None:
        (old,) = await approved_initial(env, database, line())
        env.move_to(old.end_date - timedelta(days=10))
        other = env.headers(Role.VENDOR, world.other_vendor)
        assert_problem(await env.renew(str(old.id), headers=other), 404)
        assert_problem(await env.renew(str(uuid.uuid4())), 404)
        reviewer = env.headers(Role.REVIEWER)
        assert_problem(await env.renew(str(old.id), headers=reviewer), 403)
        client_headers = env.headers(Role.VENDOR_CLIENT)
        assert (await env.renew(str(old.id), headers=client_headers)).status_code == 201

    async def test_changes_are_carried(self, env: Env, database: Database, choc: int) -> None:
        (old,) = await approved_initial(env, database, line())
        env.move_to(old.end_date)
        r = await env.renew(
            str(old.id),
            {
                "quantity": 2,
                "brand": "Cascade DAFO",
                "brand_reason": "Fits the child's shoes",
                "notes": "Grew a size.",
            },
        )
        assert r.status_code == 201, r.text
        request = r.json()["request"]
        (ln,) = request["lines"]
        assert (ln["quantity"], ln["brand"], ln["brand_reason"]) == (
            2,
            "Cascade DAFO",
            "Fits the child's shoes",
        )
        assert ln["hcpcs"] == "L1960"
        assert request["notes"] == "Grew a size."
        assert r.json()["outcome"] == "approved"
        new = await authorization_of(database, request)
        assert (new.quantity, new.brand) == (2, "Cascade DAFO")

    async def test_documents_are_carried_and_count_for_the_rules(
        self, env: Env, database: Database, choc: int
    ) -> None:
        ids = []
        for kind in ("prescription", "seating_evaluation"):
            up = await env.client.post(
                "/v1/attachments",
                headers=env.headers(),
                files={"file": (f"{kind}.pdf", pdf_bytes(kind), "application/pdf")},
                data={"document_type": kind},
            )
            assert up.status_code == 201, up.text
            ids.append(up.json()["id"])
        chair = line("E1161", acquisition="rental")
        created = await env.submit(chair, attachment_ids=ids)
        assert created["status"] == "approved", created["lines"]
        old = await authorization_of(database, created)
        env.move_to(old.end_date - timedelta(days=1))
        r = await env.renew(str(old.id))
        assert r.status_code == 201, r.text
        # The wheelchair CSAG needs both documents on file: they came with the renewal.
        assert r.json()["outcome"] == "approved"
        rid = r.json()["request"]["id"]
        listed = await env.client.get(f"{REQUESTS_URL}/{rid}/attachments", headers=env.headers())
        assert listed.status_code == 200, listed.text
        types = sorted(a["document_type"] for a in listed.json()["items"])
        assert types == ["prescription", "seating_evaluation"]
        async with unit_of_work(database) as s:
            originals = await s.scalar(
                select(func.count())
                .select_from(Attachment)
                .where(Attachment.request_id == uuid.UUID(created["id"]))
            )
        assert originals == 2  # the originals stay with the first request

    async def test_a_start_other_than_the_day_after_the_end_is_refused(
        self, env: Env, database: Database, choc: int
    ) -> None:
        (old,) = await approved_initial(env, database, line())
        env.move_to(old.end_date - timedelta(days=5))
        for start in (old.end_date, old.end_date + timedelta(days=2)):
            r = await env.renew(str(old.id), {"start_date": start.isoformat()})
            assert_problem(r, 422, code="renewal.invalid", field="start_date")
        ok = await env.renew(
            str(old.id), {"start_date": (old.end_date + timedelta(days=1)).isoformat()}
        )
        assert ok.status_code == 201, ok.text

    async def test_idempotency_key_replays_the_same_answer(
        self, env: Env, database: Database, raw_client: httpx.AsyncClient, choc: int
    ) -> None:
        (old,) = await approved_initial(env, database, line())
        env.move_to(old.end_date - timedelta(days=3))
        headers = env.headers()
        assert_problem(
            await raw_client.post(renewals_url(str(old.id)), json={}, headers=headers), 428
        )
        keyed = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        first = await raw_client.post(renewals_url(str(old.id)), json={}, headers=keyed)
        assert first.status_code == 201, first.text
        before = await count_requests(database, env.world.vendor.id)
        again = await raw_client.post(renewals_url(str(old.id)), json={}, headers=keyed)
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert await count_requests(database, env.world.vendor.id) == before


class TestTheWindow:
    async def test_boundaries(self, env: Env, database: Database, choc: int) -> None:
        (old,) = await approved_initial(env, database, line())
        opens = old.end_date - timedelta(days=30)
        env.move_to(opens - timedelta(days=1))
        r = await env.renew(str(old.id))
        body = assert_problem(r, 422, code="renewal.invalid", field="authorization_id")
        assert f"can be renewed from {opens.isoformat()}" in body["errors"][0]["message"]
        env.move_to(opens)
        assert (await env.renew(str(old.id))).status_code == 201

    async def test_the_last_day_and_no_grace_after(
        self, env: Env, database: Database, choc: int
    ) -> None:
        first, second = await approved_initial(
            env, database, line(), line("L1970", start=START + timedelta(days=1))
        )
        env.move_to(first.end_date)
        assert (await env.renew(str(first.id))).status_code == 201
        # The day after its end, the second one's window is still open (it ends a day later).
        env.move_to(second.end_date + timedelta(days=1))
        assert_problem(await env.renew(str(second.id)), 422, field="authorization_id")


class TestBatches:
    async def test_one_item_out_of_window_refuses_the_batch(
        self, env: Env, database: Database, choc: int
    ) -> None:
        auths = await approved_initial(
            env,
            database,
            line("L1960"),
            line("L1970"),
            line("L1907", start=START + timedelta(days=10)),
        )
        env.move_to(auths[0].end_date - timedelta(days=30))
        before = await count_requests(database, env.world.vendor.id)
        r = await env.client.post(
            BATCH,
            json={"renewals": [{"authorization_id": str(a.id)} for a in auths]},
            headers=env.headers(),
        )
        body = assert_problem(r, 422, code="renewal.invalid", field="renewals[2].authorization_id")
        assert [e["field"] for e in body["errors"]] == ["renewals[2].authorization_id"]
        assert "can be renewed from" in body["errors"][0]["message"]
        assert await count_requests(database, env.world.vendor.id) == before
        for a in auths:
            assert (await authorization(database, a.id)).superseded_by_id is None

    async def test_three_valid_items_are_all_filed(
        self, env: Env, database: Database, choc: int
    ) -> None:
        auths = await approved_initial(env, database, line("L1960"), line("L1970"), line("L1907"))
        env.move_to(auths[0].end_date - timedelta(days=2))
        before = await count_requests(database, env.world.vendor.id)
        items = [{"authorization_id": str(a.id)} for a in auths]
        items[1]["quantity"] = 2
        r = await env.client.post(BATCH, json={"renewals": items}, headers=env.headers())
        assert r.status_code == 201, r.text
        filed = r.json()["renewals"]
        assert [f["authorization_id"] for f in filed] == [str(a.id) for a in auths]
        assert [f["outcome"] for f in filed] == ["approved"] * 3
        assert filed[1]["request"]["lines"][0]["quantity"] == 2
        assert await count_requests(database, env.world.vendor.id) == before + 3
        for a, f in zip(auths, filed, strict=True):
            new = await authorization_of(database, f["request"])
            assert (await authorization(database, a.id)).superseded_by_id == new.id
            assert new.start_date == a.end_date + timedelta(days=1)

    async def test_bad_items_are_named_and_limits_hold(
        self, env: Env, database: Database, world: World, choc: int
    ) -> None:
        (old,) = await approved_initial(env, database, line())
        env.move_to(old.end_date)
        r = await env.client.post(
            BATCH,
            json={
                "renewals": [
                    {"authorization_id": str(old.id)},
                    {"authorization_id": str(uuid.uuid4())},
                    {"authorization_id": str(old.id)},
                ]
            },
            headers=env.headers(),
        )
        body = assert_problem(r, 422, field="renewals[1].authorization_id")
        assert {e["field"] for e in body["errors"]} == {
            "renewals[1].authorization_id",
            "renewals[2].authorization_id",
        }
        empty = await env.client.post(BATCH, json={"renewals": []}, headers=env.headers())
        assert_problem(empty, 422)
        many = [{"authorization_id": str(uuid.uuid4())} for _ in range(101)]
        assert_problem(
            await env.client.post(BATCH, json={"renewals": many}, headers=env.headers()), 422
        )


class TestChainsAndConflicts:
    async def test_a_renewal_is_renewed_in_turn(
        self, env: Env, database: Database, choc: int
    ) -> None:
        (first,) = await approved_initial(env, database, line())
        env.move_to(first.end_date - timedelta(days=1))
        r = await env.renew(str(first.id))
        assert r.status_code == 201, r.text
        second = await authorization_of(database, r.json()["request"])
        # Renewing the first again is a conflict: it is already renewed.
        assert_problem(await env.renew(str(first.id)), 409, code="renewal.conflict")
        env.move_to(second.end_date - timedelta(days=1))
        r = await env.renew(str(second.id))
        assert r.status_code == 201, r.text
        third = await authorization_of(database, r.json()["request"])
        assert third.renews_id == second.id
        assert second.renews_id == first.id
        assert (await authorization(database, second.id)).superseded_by_id == third.id
        assert third.start_date == second.end_date + timedelta(days=1)
        assert second.start_date == first.end_date + timedelta(days=1)


@pytest.fixture
async def extended(database: Database, world: World) -> int:
    doc = choc_like()
    doc["renewals"] = {"window_days": 30, "extended_lifelong_days": 365}
    return await publish(database, world.network_a, doc)


class TestTheExtendedLifelongPeriod:
    async def test_it_goes_to_a_reviewer_who_sees_it_and_grants_it(
        self, env: Env, database: Database, extended: int
    ) -> None:
        (old,) = await approved_initial(env, database, line())
        env.move_to(old.end_date - timedelta(days=1))
        r = await env.renew(str(old.id), {"extended_period": {"reason": "Lifelong CP, stable."}})
        assert r.status_code == 201, r.text
        assert r.json()["outcome"] == "in_review"
        rid = r.json()["request"]["id"]
        seen = await env.read(rid, Role.REVIEWER)
        assert seen["extended_period_requested"] == {"days": 365, "reason": "Lifelong CP, stable."}
        assert "extended lifelong period (365 days)" in seen["waiting_on"]
        (ln,) = seen["lines"]
        assert ln["rules"]["outcome"] == "needs_review"
        assert ln["rules"]["reasons"][0]["code"] == "extended_period_requested"
        assert ln["rules"]["trace"][-1]["rule"] == "extended_period"
        new_start = old.end_date + timedelta(days=1)
        assert ln["end_date"] == (new_start + timedelta(days=364)).isoformat()
        # While it is open, a second renewal of the same authorization is a conflict.
        body = assert_problem(await env.renew(str(old.id)), 409, code="renewal.conflict")
        assert body["errors"][0]["code"] == "renewal_open"
        # The reviewer grants it after the new start: the old one is superseded at once.
        env.move_to(new_start)
        reviewer = env.headers(Role.REVIEWER)
        etag = (await env.client.get(f"{REQUESTS_URL}/{rid}", headers=reviewer)).headers["ETag"]
        decided = await env.client.post(
            f"/v1/review/requests/{rid}/decision",
            headers={**reviewer, "If-Match": etag},
            json={"lines": [{"line_number": 1, "outcome": "approved"}]},
        )
        assert decided.status_code == 200, decided.text
        new = await authorization_of(database, await env.read(rid))
        assert new.renews_id == old.id
        assert (new.end_date - new.start_date).days + 1 == 365
        old_now = await authorization(database, old.id)
        assert (old_now.superseded_by_id, old_now.state.value) == (new.id, "superseded")

    async def test_not_offered_or_not_lifelong_is_refused(
        self, env: Env, database: Database, world: World, choc: int
    ) -> None:
        (old,) = await approved_initial(env, database, line())
        env.move_to(old.end_date)
        ask = {"extended_period": {"reason": "Please."}}
        body = assert_problem(await env.renew(str(old.id), ask), 422, field="extended_period")
        assert "offer" in body["errors"][0]["message"]

    async def test_only_for_lifelong_conditions(
        self, env: Env, database: Database, extended: int
    ) -> None:
        # Spina bifida catheters under the N31 prefix (not lifelong in the ruleset).
        created = await env.submit(line("A4351", quantity=100), diagnoses=["N31.9"])
        assert created["status"] == "approved", created["lines"]
        old = await authorization_of(database, created)
        env.move_to(old.end_date)
        ask = {"extended_period": {"reason": "Please."}}
        body = assert_problem(await env.renew(str(old.id), ask), 422, field="extended_period")
        assert "lifelong" in body["errors"][0]["message"]
        # Without the extension it renews for the default 90 days.
        r = await env.renew(str(old.id))
        assert r.status_code == 201, r.text
        auth = r.json()["request"]["lines"][0]["authorization"]
        span = date.fromisoformat(auth["end_date"]) - date.fromisoformat(auth["start_date"])
        assert span.days + 1 == 90
