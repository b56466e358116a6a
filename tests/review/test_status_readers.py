"""Issue 21 point 5: network admins, plan admins and the plan's systems read the status view.

A plan admin, a network admin and the plan's client read a request: no diagnosis, note,
question or document, through every operation and page that returns request data. The
request under test has diagnoses, notes, a brand reason, an expedited reason, a line decided
by a CSAG (``csag:cp-mobility``), a denial with its reason, a reconsideration with its
reason, an open question and a document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dme_portal.auth.policies import CLINICAL_READERS, STATUS_READERS, clinical_access
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.documents import pdf_bytes
from fixtures.factories import World, auth_headers, if_match, make_account, request_body
from fixtures.rules import choc_like, publish
from portal.flows import csrf_token

URL = "/v1/authorization-requests"
DIAGNOSES = ["G80.0", "Q05.9"]
NOTES = "Spastic quadriplegia; the child sits eight hours a day at school."
BRAND_REASON = "Latex allergy: only this brand's mask is latex free."
EXPEDITED_REASON = "Pressure sore on the left hip since Tuesday."
QUESTION = "Please send the pulmonology note about the nightly desaturations."
DENIAL = "The records show no airway clearance need at this age."
RECONSIDER = "The new sleep study shows desaturation below 88 percent."
PRESCRIBER = "1234567893"
FILE_NAME = "hip-xray-report.pdf"
DESCRIPTION = "Hip radiograph report, subluxation 40 percent"

# Keys that carry clinical content anywhere in a response (status views have none of them).
CLINICAL_KEYS = {
    "diagnoses",
    "notes",
    "prescriber_npi",
    "expedited_reason",
    "brand_reason",
    "decision_reason",
    "rules",
    "trace",
    "decided_by",
    "open_information_request",
    "deciding_physician",
    "answer",
    "note",
    "attachment_ids",
    "filename",
}
CLINICAL_TEXT = [
    *DIAGNOSES,
    *(d.replace(".", "") for d in DIAGNOSES),
    NOTES,
    BRAND_REASON,
    EXPEDITED_REASON,
    QUESTION,
    DENIAL,
    RECONSIDER,
    FILE_NAME,
    DESCRIPTION,
    "csag:cp-mobility",
    "Cerebral palsy",
    PRESCRIBER,
]
READERS = [Role.NETWORK_ADMIN, Role.PLAN_ADMIN, Role.PLAN_CLIENT]


def every_key(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in every_key(v)}
    if isinstance(value, list):
        return {k for v in value for k in every_key(v)}
    return set()


def assert_nothing_clinical(r: httpx.Response, what: str) -> None:
    assert r.status_code == 200, (what, r.text)
    if r.headers["content-type"].startswith("application/json"):
        assert every_key(r.json()) & CLINICAL_KEYS == set(), what
    for text in CLINICAL_TEXT:
        assert text not in r.text, (what, text)


def h(settings: Settings, world: World, role: Role) -> dict[str, str]:
    return auth_headers(settings, world.principal(role))


@dataclass
class Seeded:
    pended: dict[str, Any]  # open question, a document, a CSAG-approved line
    denied: dict[str, Any]  # a line denied with a reason, under reconsideration
    attachment_id: str
    reconsideration_id: str


def lines(world: World) -> list[dict[str, Any]]:
    body = request_body(world)
    orthosis, nebulizer = body["lines"]
    nebulizer.update(
        hcpcs="E0570",
        brand="Pari",
        manufacturer="Pari Respiratory",
        brand_reason=BRAND_REASON,
        acquisition="purchase",
    )
    return [orthosis, nebulizer]


async def seed(client: httpx.AsyncClient, settings: Settings, world: World, db: Database) -> Seeded:
    await publish(db, world.network_a, choc_like())
    vendor = h(settings, world, Role.VENDOR)
    created = []
    for _ in range(2):
        body = request_body(
            world,
            diagnoses=DIAGNOSES,
            notes=NOTES,
            urgency="expedited",
            expedited_reason=EXPEDITED_REASON,
            prescriber_npi=PRESCRIBER,
            lines=lines(world),
        )
        world.bodies += 1
        r = await client.post(URL, json=body, headers=vendor)
        assert r.status_code == 201, r.text
        got = r.json()
        # The orthosis is approved by the CSAG at once; the nebulizer waits for review.
        assert got["lines"][0]["outcome"] == "approved", got["lines"][0]
        assert "csag:cp-mobility" in r.text
        created.append(got)
    pended, denied = created

    reviewer = h(settings, world, Role.REVIEWER)
    r = await client.post(
        f"/v1/review/requests/{pended['id']}/information-requests",
        json={"message": QUESTION},
        headers=await if_match(client, reviewer, pended["id"]),
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{URL}/{pended['id']}/attachments",
        files={"file": (FILE_NAME, pdf_bytes("x-ray"), "application/pdf")},
        data={"document_type": "letter_of_medical_necessity", "description": DESCRIPTION},
        headers=vendor,
    )
    assert r.status_code == 201, r.text
    attachment_id = r.json()["id"]

    md = h(settings, world, Role.MEDICAL_DIRECTOR)
    r = await client.post(
        f"/v1/review/requests/{denied['id']}/decision",
        json={
            "lines": [
                {
                    "line_number": 2,
                    "outcome": "denied",
                    "reason_code": "medical_necessity",
                    "reason": DENIAL,
                }
            ],
            "note": DENIAL,
        },
        headers=await if_match(client, md, denied["id"]),
    )
    assert r.status_code == 200, r.text
    r = await client.post(
        f"{URL}/{denied['id']}/reconsiderations",
        json={
            "lines": [2],
            "reason": RECONSIDER,
            "expedited": True,
            "expedited_reason": EXPEDITED_REASON,
        },
        headers=vendor,
    )
    assert r.status_code == 201, r.text
    return Seeded(pended, denied, attachment_id, r.json()["id"])


def test_the_policy_is_one_rule_over_every_role() -> None:
    assert frozenset(Role) == CLINICAL_READERS | STATUS_READERS
    assert not CLINICAL_READERS & STATUS_READERS
    assert {r for r in Role if clinical_access(r)} == {
        Role.VENDOR,
        Role.VENDOR_CLIENT,
        Role.REVIEWER,
        Role.MEDICAL_DIRECTOR,
        Role.NETWORK_CLIENT,
    }


class TestStatusReadersReadNothingClinical:
    @pytest.mark.parametrize("role", READERS)
    async def test_every_operation_that_returns_request_data(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
        role: Role,
    ) -> None:
        seeded = await seed(client, settings, world, database)
        # The network's reviewer reads all of it: the texts are really there to leak.
        reviewer = h(settings, world, Role.REVIEWER)
        full = await client.get(f"{URL}/{seeded.pended['id']}", headers=reviewer)
        for text in (*DIAGNOSES, NOTES, QUESTION, "csag:cp-mobility", EXPEDITED_REASON):
            assert text in full.text, text

        who = h(settings, world, role)
        pid, did = seeded.pended["id"], seeded.denied["id"]
        reads = {
            "list": f"{URL}",
            "list by member": f"{URL}?member_cin={world.member.cin}",
            "read pended": f"{URL}/{pid}",
            "read denied": f"{URL}/{did}",
            "timeline pended": f"{URL}/{pid}/events",
            "timeline denied": f"{URL}/{did}/events",
            "reconsiderations": f"{URL}/{did}/reconsiderations",
            "reconsideration": f"/v1/reconsiderations/{seeded.reconsideration_id}",
            "authorizations": "/v1/authorizations",
        }
        for what, path in reads.items():
            r = await client.get(path, headers=who)
            assert_nothing_clinical(r, what)
        read = (await client.get(f"{URL}/{pid}", headers=who)).json()
        assert read["view"] == "status"
        assert read["status"] == "pended"
        assert read["lines"][0]["outcome"] == "approved"
        listed = (await client.get(URL, headers=who)).json()["items"]
        assert {i["id"] for i in listed} >= {pid, did}
        assert {i["view"] for i in listed} == {"status"}
        recons = (await client.get(f"{URL}/{did}/reconsiderations", headers=who)).json()
        assert [i["view"] for i in recons["items"]] == ["status"]
        auths = (await client.get("/v1/authorizations", headers=who)).json()["items"]
        assert len(auths) >= 2
        (one,) = [a for a in auths if a["request_id"] == pid]
        assert_nothing_clinical(
            await client.get(f"/v1/authorizations/{one['id']}", headers=who), "authorization"
        )

        # Questions and documents: not theirs (403), like a care coordinator's.
        closed = {
            "questions": f"{URL}/{pid}/information-requests",
            "attachments": f"{URL}/{pid}/attachments",
            "document": f"{URL}/{pid}/attachments/{seeded.attachment_id}/content",
            "review queue": "/v1/review/queue",
            "network feed": "/v1/network/requests/changes",
            "review reconsiderations": "/v1/review/reconsiderations",
        }
        for what, path in closed.items():
            r = await client.get(path, headers=who)
            assert r.status_code in (403, 404), (what, r.status_code)
            for text in CLINICAL_TEXT:
                assert text not in r.text, (what, text)
        assert (await client.get(closed["document"], headers=who)).status_code == 403
        assert (await client.get(closed["questions"], headers=who)).status_code == 403

    async def test_the_csag_assignments_are_not_the_plans(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        path = f"/v1/networks/{world.network_a.id}/csag-assignments"
        for role in (Role.PLAN_ADMIN, Role.CARE_COORDINATOR):
            assert (await client.get(path, headers=h(settings, world, role))).status_code == 403
        # The network's admin records them (DESIGN §3), its review reads them.
        for role in (Role.NETWORK_ADMIN, Role.REVIEWER):
            assert (await client.get(path, headers=h(settings, world, role))).status_code == 200


@pytest.fixture
async def portal(app: FastAPI) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


async def sign_in(portal: httpx.AsyncClient, database: Database, role: Role, org: Any) -> None:
    kind = OrgKind.PLAN if role is Role.PLAN_ADMIN else OrgKind.NETWORK
    name, secret = await make_account(
        database, role=role, org_kind=kind, org_id=org.id, machine=False
    )
    page = await portal.get("/portal/sign-in")
    r = await portal.post(
        "/portal/sign-in",
        data={"username": name, "password": secret, "csrf_token": csrf_token(page.text)},
    )
    assert r.status_code == 303, r.text


class TestStatusReadersPortalPages:
    @pytest.mark.parametrize("role", [Role.NETWORK_ADMIN, Role.PLAN_ADMIN])
    async def test_every_page_they_can_open(
        self,
        portal: httpx.AsyncClient,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
        role: Role,
    ) -> None:
        seeded = await seed(client, settings, world, database)
        org = world.plan if role is Role.PLAN_ADMIN else world.network_a
        await sign_in(portal, database, role, org)
        home = await portal.get("/portal/")
        assert home.status_code == 303
        pages = ["/portal/plan", "/portal/plan/metrics.csv"]
        if role is Role.NETWORK_ADMIN:
            pages += ["/portal/ruleset"]
        for path in pages:
            r = await portal.get(path)
            assert r.status_code == 200, (path, r.text[:500])
            for text in CLINICAL_TEXT:
                if path == "/portal/ruleset" and text == "Cerebral palsy":
                    continue  # the ruleset names its CSAGs; no child's record is on it
                assert text not in r.text, (path, text)
        assert home.headers["location"] in pages
        pid = seeded.pended["id"]
        for path in (
            f"/portal/requests/{pid}",
            f"/portal/review/requests/{pid}",
            f"/portal/review/requests/{pid}/documents/{seeded.attachment_id}",
            "/portal/review",
        ):
            r = await portal.get(path)
            assert r.status_code in (403, 404), (path, r.status_code)
            for text in CLINICAL_TEXT:
                assert text not in r.text, (path, text)
