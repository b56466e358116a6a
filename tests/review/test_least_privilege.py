"""Least privilege, property by property (issue 15, point 3).

Care coordinators read a status view and a timeline with nothing clinical in them, no CSAG
assignments and no documents. Medical-necessity denials and reductions need a physician: a
medical director, or a network's UM system that names one with a checked NPI.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.submissions.models import RequestLine
from fixtures.documents import pdf_bytes
from fixtures.factories import World, auth_headers, if_match, request_body

URL = "/v1/authorization-requests"
DIAGNOSES = ["G80.0", "Q05.9"]
NOTES = "Spastic quadriplegia; sits eight hours a day at school."
BRAND_REASON = "Latex allergy: only this brand's cushion is latex free."
ASK = {"message": "Please send the seating evaluation from the last PT visit."}
DENIAL = "The records show the current chair still fits the child's hips."
GOOD_NPI = "1922334457"


def h(settings: Settings, world: World, role: Role, org: Any = None) -> dict[str, str]:
    return auth_headers(settings, world.principal(role, org))


async def submit(client: httpx.AsyncClient, settings: Settings, world: World) -> dict[str, Any]:
    body = request_body(world, diagnoses=DIAGNOSES, notes=NOTES)
    body["lines"][1]["brand_reason"] = BRAND_REASON
    r = await client.post(URL, json=body, headers=h(settings, world, Role.VENDOR))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def decide(
    client: httpx.AsyncClient, headers: dict[str, str], request_id: str, decision: dict[str, Any]
) -> httpx.Response:
    current = await client.get(f"{URL}/{request_id}", headers=headers)
    return await client.post(
        f"/v1/review/requests/{request_id}/decision",
        json=decision,
        headers={**headers, "If-Match": current.headers["ETag"]},
    )


def deny_second(reason_code: str = "medical_necessity", **extra: Any) -> dict[str, Any]:
    return {
        "lines": [
            {"line_number": 1, "outcome": "approved"},
            {"line_number": 2, "outcome": "denied", "reason_code": reason_code, "reason": DENIAL},
        ],
        "note": "Peer-to-peer offered to Dr. Prescriber.",
        **extra,
    }


def every_key(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in every_key(v)}
    if isinstance(value, list):
        return {k for v in value for k in every_key(v)}
    return set()


CLINICAL_KEYS = {
    "diagnoses",
    "notes",
    "prescriber_npi",
    "expedited_reason",
    "brand_reason",
    "decision_reason",
    "rules",
    "open_information_request",
    "deciding_physician",
}
CLINICAL_TEXT = [*DIAGNOSES, NOTES, BRAND_REASON, ASK["message"], DENIAL, "csag:"]


async def stored_lines(database: Database, request_id: str) -> list[RequestLine]:
    async with unit_of_work(database) as s:
        rows = await s.execute(
            select(RequestLine)
            .where(RequestLine.request_id == uuid.UUID(request_id))
            .order_by(RequestLine.line_number)
        )
        return list(rows.scalars().all())


class TestCoordinatorStatusView:
    @pytest.mark.parametrize("scope", ["network", "plan"])
    async def test_the_status_view_has_no_clinical_key_or_text(
        self, client: httpx.AsyncClient, world: World, settings: Settings, scope: str
    ) -> None:
        body = await submit(client, settings, world)
        r = await client.post(
            f"/v1/review/requests/{body['id']}/information-requests",
            json=ASK,
            headers=await if_match(client, h(settings, world, Role.REVIEWER), body["id"]),
        )
        assert r.status_code == 201, r.text
        org = world.plan if scope == "plan" else world.network_a
        coordinator = h(settings, world, Role.CARE_COORDINATOR, org)

        r = await client.get(f"{URL}/{body['id']}", headers=coordinator)
        assert r.status_code == 200
        got = r.json()
        assert got["view"] == "status"
        assert every_key(got) & CLINICAL_KEYS == set()
        for text in CLINICAL_TEXT:
            assert text not in r.text, text
        # What a coordinator needs to tell a family where the request stands.
        assert got["status"] == "pended"
        assert got["waiting_on"].startswith("Waiting for the vendor")
        assert got["due_at"] == body["due_at"]
        assert got["network"]["name"] == world.network_a.name
        assert got["vendor"]["name"] == world.vendor.name
        assert [(ln["hcpcs"], ln["quantity"]) for ln in got["lines"]] == [
            ("L1960", 1),
            ("E1161", 1),
        ]
        assert r.headers["ETag"] == f'"v{got["version"]}"'

        listed = await client.get(URL, headers=coordinator)
        assert listed.status_code == 200
        assert {i["view"] for i in listed.json()["items"]} == {"status"}
        assert every_key(listed.json()) & CLINICAL_KEYS == set()
        for text in CLINICAL_TEXT:
            assert text not in listed.text, text

    async def test_the_vendor_and_the_networks_review_read_the_full_request(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        for role in (Role.VENDOR, Role.REVIEWER, Role.MEDICAL_DIRECTOR, Role.NETWORK_CLIENT):
            got = (await client.get(f"{URL}/{body['id']}", headers=h(settings, world, role))).json()
            assert "view" not in got, role
            assert got["diagnoses"] == DIAGNOSES, role
            assert got["notes"] == NOTES, role

    async def test_the_coordinators_timeline_carries_no_clinical_detail(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        await client.post(
            f"/v1/review/requests/{body['id']}/information-requests",
            json=ASK,
            headers=await if_match(client, h(settings, world, Role.REVIEWER), body["id"]),
        )
        await client.post(
            f"{URL}/{body['id']}/information-responses",
            json={"message": "Sent: the PT notes of 2026-10-28."},
            headers=h(settings, world, Role.VENDOR),
        )
        md = h(settings, world, Role.MEDICAL_DIRECTOR)
        assert (await decide(client, md, body["id"], deny_second())).status_code == 200

        r = await client.get(
            f"{URL}/{body['id']}/events", headers=h(settings, world, Role.CARE_COORDINATOR)
        )
        assert r.status_code == 200
        events = r.json()["items"]
        kinds = [e["kind"] for e in events]
        assert "information_requested" in kinds
        assert "decided" in kinds
        assert all(e["reason"] is None for e in events)
        for text in [*CLINICAL_TEXT, "PT notes", "Peer-to-peer"]:
            assert text not in r.text, text
        decided = next(e for e in events if e["kind"] == "decided" and e["actor_role"] != "rules")
        assert "deciding_physician" not in decided["data"]
        assert decided["data"]["lines"][1] == {
            "line_number": 2,
            "outcome": "denied",
            "reason_code": "medical_necessity",
        }

        # The network's reviewer reads the whole timeline, texts and physician included.
        full = await client.get(
            f"{URL}/{body['id']}/events", headers=h(settings, world, Role.REVIEWER)
        )
        assert ASK["message"] in full.text
        assert DENIAL in full.text
        network_decided = next(e for e in full.json()["items"] if e["kind"] == "decided")
        assert network_decided["data"]["deciding_physician"]["subject"] == (
            "user:test-medical_director"
        )

    async def test_coordinators_read_no_csag_assignments_and_no_documents(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        coordinator = h(settings, world, Role.CARE_COORDINATOR)
        r = await client.get(
            f"/v1/networks/{world.network_a.id}/csag-assignments", headers=coordinator
        )
        assert r.status_code == 403
        assert r.json()["code"] == "auth.forbidden"
        reviewer = h(settings, world, Role.REVIEWER)
        r = await client.get(
            f"/v1/networks/{world.network_a.id}/csag-assignments", headers=reviewer
        )
        assert r.status_code == 200

        body = await submit(client, settings, world)
        r = await client.post(
            f"{URL}/{body['id']}/attachments",
            files={"file": ("lmn.pdf", pdf_bytes("letter"), "application/pdf")},
            data={"document_type": "letter_of_medical_necessity"},
            headers=h(settings, world, Role.VENDOR),
        )
        assert r.status_code == 201, r.text
        content = f"{URL}/{body['id']}/attachments/{r.json()['id']}/content"
        assert (await client.get(content, headers=coordinator)).status_code == 403
        assert (
            await client.get(f"{URL}/{body['id']}/attachments", headers=coordinator)
        ).status_code == 403
        assert (await client.get(content, headers=reviewer)).status_code == 200


class TestMedicalNecessityNeedsAPhysician:
    async def test_a_reviewer_may_neither_deny_nor_reduce_for_medical_necessity(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        body = await submit(client, settings, world)
        reviewer = h(settings, world, Role.REVIEWER)
        r = await decide(client, reviewer, body["id"], deny_second())
        assert r.status_code == 403
        assert r.json()["code"] == "review.physician_required"
        assert "medical director" in r.json()["detail"]
        end = body["lines"][1]["start_date"]
        reduce = {
            "lines": [
                {"line_number": 1, "outcome": "approved"},
                {
                    "line_number": 2,
                    "outcome": "modified",
                    "end_date": end,
                    "reason_code": "less_costly_alternative",
                    "reason": "A rental for a day meets the need.",
                },
            ]
        }
        r = await decide(client, reviewer, body["id"], reduce)
        assert r.status_code == 403
        after = (await client.get(f"{URL}/{body['id']}", headers=reviewer)).json()
        assert after["status"] == "in_review"
        assert after["version"] == body["version"]

    async def test_a_network_system_must_name_the_physician(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        body = await submit(client, settings, world)
        system = h(settings, world, Role.NETWORK_CLIENT)

        r = await decide(client, system, body["id"], deny_second())
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["deciding_physician"]

        bad = deny_second(deciding_physician={"npi": "1234567890", "name": "Ana Ruiz, MD"})
        r = await decide(client, system, body["id"], bad)
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["deciding_physician.npi"]

        r = await decide(
            client, system, body["id"], deny_second(deciding_physician={"npi": GOOD_NPI})
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["deciding_physician.name"]

        lines = await stored_lines(database, body["id"])
        assert [ln.outcome for ln in lines] == [None, None]
        assert all(ln.physician_npi is None for ln in lines)

        good = deny_second(deciding_physician={"npi": GOOD_NPI, "name": "Ana Ruiz, MD"})
        r = await decide(client, system, body["id"], good)
        assert r.status_code == 200, r.text
        decided = r.json()
        assert decided["lines"][0]["deciding_physician"] is None  # approved: no determination
        assert decided["lines"][1]["deciding_physician"] == {
            "subject": None,
            "npi": GOOD_NPI,
            "name": "Ana Ruiz, MD",
        }
        lines = await stored_lines(database, body["id"])
        assert (lines[1].physician_npi, lines[1].physician_name) == (GOOD_NPI, "Ana Ruiz, MD")
        assert lines[0].physician_npi is None

        reviewer = (
            await client.get(f"{URL}/{body['id']}", headers=h(settings, world, Role.REVIEWER))
        ).json()
        assert reviewer["lines"][1]["deciding_physician"]["npi"] == GOOD_NPI
        vendor = h(settings, world, Role.VENDOR)
        theirs = await client.get(f"{URL}/{body['id']}", headers=vendor)
        # The vendor who asked reads who was responsible (HSC 1367.01(h)(4)).
        assert theirs.json()["lines"][1]["deciding_physician"]["npi"] == GOOD_NPI
        assert theirs.json()["lines"][1]["decision_reason"] == DENIAL
        events = await client.get(f"{URL}/{body['id']}/events", headers=vendor)
        assert GOOD_NPI in events.text
        coordinator = h(settings, world, Role.CARE_COORDINATOR)
        assert GOOD_NPI not in (await client.get(f"{URL}/{body['id']}", headers=coordinator)).text
        events = await client.get(f"{URL}/{body['id']}/events", headers=coordinator)
        assert GOOD_NPI not in events.text
        network_events = await client.get(
            f"{URL}/{body['id']}/events", headers=h(settings, world, Role.REVIEWER)
        )
        physician = next(e for e in network_events.json()["items"] if e["kind"] == "decided")[
            "data"
        ]["deciding_physician"]
        assert physician == {
            "subject": None,
            "npi": GOOD_NPI,
            "name": "Ana Ruiz, MD",
            "line_numbers": [2],
        }

    async def test_a_network_system_reducing_for_medical_necessity_names_the_physician(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        system = h(settings, world, Role.NETWORK_CLIENT)
        reduce: dict[str, Any] = {
            "lines": [
                {"line_number": 1, "outcome": "approved"},
                {
                    "line_number": 2,
                    "outcome": "modified",
                    "end_date": body["lines"][1]["start_date"],
                    "reason_code": "less_costly_alternative",
                    "reason": "A day's rental meets the need.",
                },
            ]
        }
        r = await decide(client, system, body["id"], reduce)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "deciding_physician"
        reduce["deciding_physician"] = {"npi": GOOD_NPI, "name": "Ana Ruiz, MD"}
        r = await decide(client, system, body["id"], reduce)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "modified"
        assert r.json()["lines"][1]["deciding_physician"]["npi"] == GOOD_NPI

    async def test_a_network_system_denies_other_reasons_without_a_physician(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        body = await submit(client, settings, world)
        system = h(settings, world, Role.NETWORK_CLIENT)
        r = await decide(client, system, body["id"], deny_second("not_a_covered_benefit"))
        assert r.status_code == 200, r.text
        assert r.json()["lines"][1]["deciding_physician"] is None

    async def test_a_medical_directors_denial_records_the_director(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        body = await submit(client, settings, world)
        md = h(settings, world, Role.MEDICAL_DIRECTOR)
        named = deny_second(deciding_physician={"npi": GOOD_NPI, "name": "Someone Else, MD"})
        r = await decide(client, md, body["id"], named)
        assert r.status_code == 422  # a person decides as themself
        assert r.json()["errors"][0]["field"] == "deciding_physician"

        r = await decide(client, md, body["id"], deny_second())
        assert r.status_code == 200, r.text
        assert r.json()["lines"][1]["deciding_physician"] == {
            "subject": "user:test-medical_director",
            "npi": None,
            "name": None,
        }
        lines = await stored_lines(database, body["id"])
        assert lines[1].physician_subject == "user:test-medical_director"
        # The plan reads the status view (issue 21.5): the decision, not who made it.
        plan = await client.get(f"{URL}/{body['id']}", headers=h(settings, world, Role.PLAN_ADMIN))
        assert plan.json()["view"] == "status"
        assert plan.json()["lines"][1]["outcome"] == "denied"
        assert "user:test-medical_director" not in plan.text
