"""Issue 15 point 1: every PHI read or change through the API leaves exactly one access-log
entry, naming the members concerned; plan and network admins read the log, in their scope."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from dme_portal.audit.models import AccessLog, AccessLogMember
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.authorizations.models import Authorization
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from fixtures.documents import pdf_bytes
from fixtures.factories import NOW, World, assert_problem, auth_headers, request_body
from fixtures.rules import choc_like, publish

LOG_URL = "/v1/audit/access-log"

# Operations that return or change no member's PHI (reference data, rules, tokens, probes).
# A new operation must be added here or to the PHI walk below, or the test fails.
NOT_PHI = {
    "issueToken",
    "revokeToken",
    "searchHcpcsCodes",
    "searchIcd10Codes",
    "listNetworks",
    "listReasonCodes",
    "getCurrentRuleset",
    "listRulesetVersions",
    "getRulesetVersion",
    "diffRulesetVersions",
    "getRulesetDraft",
    "saveRulesetDraft",
    "validateRulesetDraft",
    "publishRuleset",
    "getLiveness",
    "getReadiness",
}


@dataclass(frozen=True)
class Expect:
    action: str
    resource_type: str
    members: frozenset[uuid.UUID]


async def _entry_ids(db: Database) -> set[uuid.UUID]:
    async with unit_of_work(db) as s:
        return set(await s.scalars(select(AccessLog.id)))


async def _members_of(db: Database, entry_id: uuid.UUID) -> frozenset[uuid.UUID]:
    async with unit_of_work(db) as s:
        rows = await s.scalars(
            select(AccessLogMember.member_id).where(AccessLogMember.access_log_id == entry_id)
        )
        return frozenset(rows)


class Walk:
    """Calls operations and checks that each left exactly one entry, as expected."""

    def __init__(self, client: httpx.AsyncClient, db: Database) -> None:
        self.client = client
        self.db = db
        self.seen: set[str] = set()

    async def call(
        self,
        operation: str,
        method: str,
        url: str,
        principal: Principal,
        settings: Settings,
        expect: Expect,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        before = await _entry_ids(self.db)
        r = await self.client.request(
            method, url, headers={**auth_headers(settings, principal), **(headers or {})}, **kwargs
        )
        assert r.status_code == status, (operation, r.text)
        new = await _entry_ids(self.db) - before
        assert len(new) == 1, (operation, len(new))
        (entry_id,) = new
        async with unit_of_work(self.db) as s:
            entry = await s.get_one(AccessLog, entry_id)
        assert entry.subject == principal.subject, operation
        assert entry.role == principal.role.value
        assert entry.org_id == principal.org_id
        assert entry.action == expect.action, (operation, entry.action)
        assert entry.resource_type == expect.resource_type, (operation, entry.resource_type)
        assert entry.outcome == "success"
        assert entry.method == method
        assert entry.route.startswith("/v1/")
        assert "?" not in entry.route
        assert not re.search(r"[0-9]{8}[A-Z]|[0-9a-f]{8}-[0-9a-f]{4}", entry.route), entry.route
        assert await _members_of(self.db, entry_id) == expect.members, operation
        assert entry.member_count == len(expect.members)
        self.seen.add(operation)
        return r


def _doc(name: str = "rx.pdf") -> dict[str, Any]:
    return {
        "files": {"file": (name, pdf_bytes(uuid.uuid4().hex), "application/pdf")},
        "data": {"document_type": "prescription"},
    }


async def test_every_phi_operation_leaves_exactly_one_entry(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, world: World, database: Database
) -> None:
    vendor = world.principal(Role.VENDOR)
    reviewer = world.principal(Role.REVIEWER)
    plan = world.principal(Role.PLAN_ADMIN)
    admin_b = world.principal(Role.NETWORK_ADMIN, world.network_b)
    a = frozenset({world.member.id})
    b = frozenset({world.member_b.id})
    none: frozenset[uuid.UUID] = frozenset()
    w = Walk(client, database)
    E = Expect

    r = await w.call(
        "uploadDocument",
        "POST",
        "/v1/attachments",
        vendor,
        settings,
        E("create", "attachment", none),
        status=201,
        **_doc(),
    )
    upload_id = r.json()["id"]
    await w.call(
        "getUploadedDocument",
        "GET",
        f"/v1/attachments/{upload_id}",
        vendor,
        settings,
        E("read", "attachment", none),
    )
    body = request_body(world)
    await w.call(
        "checkCoverage",
        "POST",
        "/v1/coverage-checks",
        vendor,
        settings,
        E("coverage-check", "coverage_check", a),
        json=body,
    )
    await w.call(
        "getEligibility",
        "GET",
        f"/v1/members/{world.member.cin}/eligibility",
        vendor,
        settings,
        E("eligibility", "member", a),
        params={"birth_date": "2016-05-01"},
        headers={"X-Purpose-Of-Use": "TREAT"},
    )
    r = await w.call(
        "submitAuthorizationRequest",
        "POST",
        "/v1/authorization-requests",
        vendor,
        settings,
        E("create", "authorization_request", a),
        status=201,
        json=body,
    )
    rid = r.json()["id"]
    url = f"/v1/authorization-requests/{rid}"
    await w.call(
        "listAuthorizationRequests",
        "GET",
        "/v1/authorization-requests",
        vendor,
        settings,
        E("list", "authorization_request", a),
    )
    await w.call(
        "getAuthorizationRequest",
        "GET",
        url,
        reviewer,
        settings,
        E("read", "authorization_request", a),
    )
    await w.call(
        "listAuthorizationRequestEvents",
        "GET",
        f"{url}/events",
        vendor,
        settings,
        E("read", "timeline", a),
    )
    r = await w.call(
        "uploadAttachment",
        "POST",
        f"{url}/attachments",
        vendor,
        settings,
        E("create", "attachment", a),
        status=201,
        **_doc(),
    )
    attachment_id = r.json()["id"]
    await w.call(
        "listAttachments",
        "GET",
        f"{url}/attachments",
        reviewer,
        settings,
        E("list", "attachment", a),
    )
    await w.call(
        "downloadAttachment",
        "GET",
        f"{url}/attachments/{attachment_id}/content",
        reviewer,
        settings,
        E("download", "attachment", a),
    )
    await w.call(
        "listReviewQueue",
        "GET",
        "/v1/review/queue",
        reviewer,
        settings,
        E("list", "authorization_request", a),
    )
    review = f"/v1/review/requests/{rid}"
    await w.call(
        "claimRequest",
        "POST",
        f"{review}/claim",
        reviewer,
        settings,
        E("change", "authorization_request", a),
    )
    await w.call(
        "releaseRequest",
        "POST",
        f"{review}/release",
        reviewer,
        settings,
        E("change", "authorization_request", a),
    )
    etag = (await client.get(url, headers=auth_headers(settings, reviewer))).headers["ETag"]
    await w.call(
        "requestInformation",
        "POST",
        f"{review}/information-requests",
        reviewer,
        settings,
        E("create", "information_request", a),
        status=201,
        headers={"If-Match": etag},
        json={"message": "Please send the seating evaluation."},
    )
    await w.call(
        "listInformationRequests",
        "GET",
        f"{url}/information-requests",
        vendor,
        settings,
        E("list", "information_request", a),
    )
    await w.call(
        "answerInformationRequest",
        "POST",
        f"{url}/information-responses",
        vendor,
        settings,
        E("create", "information_request", a),
        status=201,
        json={"message": "Attached.", "attachment_ids": []},
    )
    etag = (await client.get(url, headers=auth_headers(settings, reviewer))).headers["ETag"]
    lines = (await client.get(url, headers=auth_headers(settings, reviewer))).json()["lines"]
    await w.call(
        "decideRequest",
        "POST",
        f"{review}/decision",
        reviewer,
        settings,
        E("change", "authorization_request", a),
        headers={"If-Match": etag},
        json={"lines": [{"line_number": ln["line_number"], "outcome": "approved"} for ln in lines]},
    )
    await w.call(
        "listAuthorizations",
        "GET",
        "/v1/authorizations",
        vendor,
        settings,
        E("search", "authorization", a),
        params={"member_cin": world.member.cin},
    )
    decided = (await client.get(url, headers=auth_headers(settings, reviewer))).json()
    await w.call(
        "getAuthorization",
        "GET",
        f"/v1/authorizations/{decided['lines'][0]['authorization']['id']}",
        reviewer,
        settings,
        E("read", "authorization", a),
    )
    await w.call(
        "listRequestChanges",
        "GET",
        "/v1/network/requests/changes",
        reviewer,
        settings,
        E("list", "authorization_request", a),
    )

    urgent = request_body(world, urgency="expedited", expedited_reason="Pressure sore risk.")
    r = await client.post(
        "/v1/authorization-requests", json=urgent, headers=auth_headers(settings, vendor)
    )
    uid = r.json()["id"]
    read = await client.get(
        f"/v1/authorization-requests/{uid}", headers=auth_headers(settings, reviewer)
    )
    etag = read.headers["ETag"]
    await w.call(
        "downgradeUrgency",
        "POST",
        f"/v1/review/requests/{uid}/urgency",
        reviewer,
        settings,
        E("change", "authorization_request", a),
        headers={"If-Match": etag},
        json={"urgency": "standard", "reason": "No risk to life or function."},
    )
    etag = (
        await client.get(
            f"/v1/authorization-requests/{uid}", headers=auth_headers(settings, vendor)
        )
    ).headers["ETag"]
    await w.call(
        "cancelAuthorizationRequest",
        "POST",
        f"/v1/authorization-requests/{uid}/cancel",
        vendor,
        settings,
        E("change", "authorization_request", a),
        headers={"If-Match": etag},
    )

    # Reconsideration: a medical director denies, the vendor asks, another director decides.
    md_a = Principal("user:md-a", Role.MEDICAL_DIRECTOR, reviewer.org_kind, reviewer.org_id)
    md_b = Principal("user:md-b", Role.MEDICAL_DIRECTOR, reviewer.org_kind, reviewer.org_id)
    r = await client.post(
        "/v1/authorization-requests",
        json=request_body(world),
        headers=auth_headers(settings, vendor),
    )
    did = r.json()["id"]
    etag = (
        await client.get(f"/v1/authorization-requests/{did}", headers=auth_headers(settings, md_a))
    ).headers["ETag"]
    denial = {"reason_code": "medical_necessity", "reason": "Not needed."}
    r = await client.post(
        f"/v1/review/requests/{did}/decision",
        headers={**auth_headers(settings, md_a), "If-Match": etag},
        json={"lines": [{"line_number": n, "outcome": "denied", **denial} for n in (1, 2)]},
    )
    assert r.status_code == 200, r.text
    r = await w.call(
        "requestReconsideration",
        "POST",
        f"/v1/authorization-requests/{did}/reconsiderations",
        vendor,
        settings,
        E("create", "reconsideration", a),
        status=201,
        json={"lines": [1], "reason": "New evaluation."},
    )
    recon_id = r.json()["id"]
    await w.call(
        "listRequestReconsiderations",
        "GET",
        f"/v1/authorization-requests/{did}/reconsiderations",
        vendor,
        settings,
        E("list", "reconsideration", a),
    )
    r = await w.call(
        "getReconsideration",
        "GET",
        f"/v1/reconsiderations/{recon_id}",
        md_b,
        settings,
        E("read", "reconsideration", a),
    )
    await w.call(
        "listReconsiderationQueue",
        "GET",
        "/v1/review/reconsiderations",
        md_b,
        settings,
        E("list", "reconsideration", a),
    )
    await w.call(
        "decideReconsideration",
        "POST",
        f"/v1/review/reconsiderations/{recon_id}/decision",
        md_b,
        settings,
        E("change", "reconsideration", a),
        headers={"If-Match": r.headers["ETag"]},
        json={"lines": [{"line_number": 1, "outcome": "overturned"}]},
    )

    # Issue 16: renewals (single and batch) of two short authorizations, in their window.
    soon = NOW.date() + timedelta(days=1)
    short = [
        {
            "hcpcs": code,
            "quantity": 1,
            "start_date": soon.isoformat(),
            "end_date": (soon + timedelta(days=5)).isoformat(),
        }
        for code in ("L1970", "L1907")
    ]
    r = await client.post(
        "/v1/authorization-requests",
        json=request_body(world, lines=short),
        headers=auth_headers(settings, vendor),
    )
    assert r.status_code == 201, r.text
    short_url = f"/v1/authorization-requests/{r.json()['id']}"
    etag = (await client.get(short_url, headers=auth_headers(settings, reviewer))).headers["ETag"]
    decided = await client.post(
        f"/v1/review/requests/{r.json()['id']}/decision",
        headers={**auth_headers(settings, reviewer), "If-Match": etag},
        json={"lines": [{"line_number": n, "outcome": "approved"} for n in (1, 2)]},
    )
    assert decided.status_code == 200, decided.text
    async with unit_of_work(database) as s:
        renewable = list(
            await s.scalars(
                select(Authorization.id)
                .where(Authorization.request_id == uuid.UUID(r.json()["id"]))
                .order_by(Authorization.line_number)
            )
        )
    await w.call(
        "renewAuthorization",
        "POST",
        f"/v1/authorizations/{renewable[0]}/renewals",
        vendor,
        settings,
        E("create", "authorization_request", a),
        status=201,
        json={},
    )
    await w.call(
        "renewAuthorizations",
        "POST",
        "/v1/authorization-renewals",
        vendor,
        settings,
        E("create", "authorization_request", a),
        status=201,
        json={"renewals": [{"authorization_id": str(renewable[1])}]},
    )

    await publish(database, world.network_b, choc_like())
    csag = f"/v1/networks/{world.network_b.id}/csag-assignments"
    r = await w.call(
        "createCsagAssignment",
        "POST",
        csag,
        admin_b,
        settings,
        E("create", "csag_assignment", b),
        status=201,
        json={
            "member_cin": world.member_b.cin,
            "csag_id": "trach-care",
            "effective_from": NOW.date().isoformat(),
        },
    )
    await w.call(
        "listCsagAssignments", "GET", csag, admin_b, settings, E("list", "csag_assignment", b)
    )
    await w.call(
        "endCsagAssignment",
        "POST",
        f"{csag}/{r.json()['id']}/end",
        admin_b,
        settings,
        E("change", "csag_assignment", b),
        json={"effective_to": NOW.date().isoformat()},
    )

    await w.call(
        "listSlaBreaches",
        "GET",
        "/v1/reports/sla-breaches",
        plan,
        settings,
        E("list", "report", none),
    )
    await w.call(
        "getPriorAuthorizationMetrics",
        "GET",
        "/v1/reports/prior-authorization-metrics",
        plan,
        settings,
        E("read", "report", none),
        params={"from": "2026-11-01", "to": "2026-11-08"},
    )
    await w.call(
        "listAccessLog",
        "GET",
        LOG_URL,
        plan,
        settings,
        E("audit-read", "access_log", a),
        params={"member_cin": world.member.cin},
    )

    await w.call(
        "recordEnrollment",
        "POST",
        f"/v1/members/{world.member_b.cin}/enrollments",
        plan,
        settings,
        E("create", "member", b),
        status=201,
        json={"network": world.network_a.code, "effective_from": "2027-06-01"},
    )
    await w.call(
        "listEnrollments",
        "GET",
        f"/v1/members/{world.member_b.cin}/enrollments",
        plan,
        settings,
        E("search", "member", b),
    )

    operations = {
        op["operationId"] for item in app.openapi()["paths"].values() for op in item.values()
    }
    unclassified = operations - w.seen - NOT_PHI
    assert not unclassified, f"neither walked as PHI nor listed as NOT_PHI: {unclassified}"
    assert not (w.seen & NOT_PHI)


async def test_a_replayed_create_is_an_entry_too(
    client: httpx.AsyncClient, settings: Settings, world: World, database: Database
) -> None:
    vendor = auth_headers(settings, world.principal(Role.VENDOR))
    body = request_body(world)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await client.post("/v1/authorization-requests", json=body, headers={**vendor, **key})
    before = await _entry_ids(database)
    again = await client.post("/v1/authorization-requests", json=body, headers={**vendor, **key})
    assert again.headers.get("Idempotent-Replayed") == "true"
    (new,) = await _entry_ids(database) - before
    async with unit_of_work(database) as s:
        entry = await s.get_one(AccessLog, new)
    assert (entry.action, entry.resource_id) == ("read", first.json()["id"])
    assert await _members_of(database, new) == {world.member.id}


class TestWhoLookedAtThisChild:
    """Acceptance: the plan admin lists who viewed a child's record."""

    async def test_plan_admin_sees_the_vendor_and_the_reviewer_other_network_does_not(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        vendor = world.principal(Role.VENDOR)
        reviewer = world.principal(Role.REVIEWER)
        created = await client.post(
            "/v1/authorization-requests",
            json=request_body(world),
            headers={**auth_headers(settings, vendor), "X-Purpose-Of-Use": "TREAT"},
        )
        rid = created.json()["id"]
        await client.get(
            f"/v1/authorization-requests/{rid}",
            headers={**auth_headers(settings, reviewer), "X-Purpose-Of-Use": "HPAYMT"},
        )

        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        r = await client.get(LOG_URL, params={"member_cin": world.member.cin}, headers=plan)
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        seen = {(i["subject"], i["action"], i["purpose"]) for i in items}
        assert (vendor.subject, "create", "TREAT") in seen
        assert (reviewer.subject, "read", "HPAYMT") in seen
        read = next(i for i in items if i["subject"] == reviewer.subject)
        assert read["route"] == "/v1/authorization-requests/{request_id}"
        assert read["resource_id"] == rid
        assert read["members"] == [
            {"member_cin": world.member.cin, "network_id": str(world.network_a.id)}
        ]
        assert read["client_address"]
        assert world.member.cin not in read["route"]

        own = auth_headers(settings, world.principal(Role.NETWORK_ADMIN, world.network_a))
        r = await client.get(LOG_URL, params={"member_cin": world.member.cin}, headers=own)
        assert {i["subject"] for i in r.json()["items"]} >= {vendor.subject, reviewer.subject}

        other = auth_headers(settings, world.principal(Role.NETWORK_ADMIN, world.network_b))
        r = await client.get(LOG_URL, params={"member_cin": world.member.cin}, headers=other)
        assert r.status_code == 200
        assert r.json()["items"] == []
        r = await client.get(LOG_URL, params={"subject": reviewer.subject}, headers=other)
        assert all(i["network_id"] != str(world.network_a.id) for i in r.json()["items"])

    @pytest.mark.parametrize("role", [Role.VENDOR, Role.REVIEWER, Role.CARE_COORDINATOR])
    async def test_other_roles_get_403(
        self, client: httpx.AsyncClient, settings: Settings, world: World, role: Role
    ) -> None:
        r = await client.get(LOG_URL, headers=auth_headers(settings, world.principal(role)))
        assert_problem(r, 403)

    async def test_filters_paging_and_csv(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        created = await client.post(
            "/v1/authorization-requests", json=request_body(world), headers=vendor
        )
        for _ in range(3):
            await client.get("/v1/authorization-requests", headers=vendor)
        rid = created.json()["id"]
        await client.get(
            f"/v1/authorization-requests/{rid}",
            headers={**vendor, "X-Purpose-Of-Use": "=HYPERLINK(evil)"},
        )
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        subject = world.principal(Role.VENDOR).subject
        params = {"member_cin": world.member.cin, "subject": subject, "limit": "1"}
        r = await client.get(LOG_URL, params=params, headers=plan)
        assert r.status_code == 200
        # The purpose header refused the formula: the read left no entry.
        assert r.json()["items"][0]["action"] in ("create", "list")
        cursor = r.json()["next_cursor"]
        assert cursor
        r2 = await client.get(LOG_URL, params={**params, "cursor": cursor}, headers=plan)
        assert r2.json()["items"][0]["id"] != r.json()["items"][0]["id"]
        r = await client.get(
            LOG_URL,
            params={"subject": subject, "action": "create", "member_cin": world.member.cin},
            headers=plan,
        )
        assert [i["action"] for i in r.json()["items"]] == ["create"]
        r = await client.get(
            LOG_URL,
            params={"member_cin": world.member.cin, "from": "2026-11-03T00:00:00Z"},
            headers=plan,
        )
        assert r.json()["items"] == []

        r = await client.get(
            LOG_URL,
            params={"member_cin": world.member.cin, "subject": subject},
            headers={**plan, "Accept": "text/csv"},
        )
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert {row["action"] for row in rows} == {"create", "list"}
        assert all(row["member_cins"] == world.member.cin for row in rows)

    async def test_a_bad_purpose_is_422_naming_the_header_and_leaves_nothing(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        before = await _entry_ids(database)
        for bad in ("=cmd|' /C calc'!A0", "x" * 65, " TREAT"):
            r = await client.get(
                "/v1/authorization-requests",
                headers={
                    **auth_headers(settings, world.principal(Role.VENDOR)),
                    "X-Purpose-Of-Use": bad,
                },
            )
            assert_problem(r, 422, field="X-Purpose-Of-Use")
        assert await _entry_ids(database) == before

    async def test_a_csv_cell_starting_a_formula_is_neutralised(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        # A subject is whatever the identity provider put in the token: it may start with "=".
        evil = Principal(
            subject='=HYPERLINK("http://x")',
            role=Role.VENDOR,
            org_kind=world.principal(Role.VENDOR).org_kind,
            org_id=world.vendor.id,
        )
        await client.get(
            f"/v1/members/{world.member.cin}/eligibility",
            params={"birth_date": "2016-05-01"},
            headers=auth_headers(settings, evil),
        )
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        r = await client.get(
            LOG_URL,
            params={"member_cin": world.member.cin, "subject": evil.subject},
            headers={**plan, "Accept": "text/csv"},
        )
        (row,) = list(csv.DictReader(io.StringIO(r.text)))
        assert row["subject"] == "'" + evil.subject


async def test_the_log_is_append_only_in_postgresql(
    client: httpx.AsyncClient, settings: Settings, world: World, database: Database
) -> None:
    if database.engine.dialect.name != "postgresql":
        # SQLite has no code path either: the repository only inserts and selects.
        assert not hasattr(__import__("dme_portal.audit.repository").audit.repository, "delete")
        return
    await client.get(
        "/v1/authorization-requests", headers=auth_headers(settings, world.principal(Role.VENDOR))
    )
    for statement in ("UPDATE access_log SET purpose = 'x'", "DELETE FROM access_log_member"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with unit_of_work(database) as s:
                await s.execute(text(statement))
    async with unit_of_work(database) as s:
        assert (await s.scalar(select(func.count()).select_from(AccessLog))) > 0
