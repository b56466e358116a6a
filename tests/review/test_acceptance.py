"""Issue acceptance, end to end: pended for a letter of medical necessity, uploaded, approved."""

from __future__ import annotations

import httpx

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import World, auth_headers, if_match, request_body
from fixtures.rules import no_csags, publish

URL = "/v1/authorization-requests"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def test_pended_for_lmn_uploaded_then_approved(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    vendor = auth_headers(settings, world.principal(Role.VENDOR))
    reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
    r = await client.post(URL, json=request_body(world), headers=vendor)
    request_id = r.json()["id"]

    r = await client.post(
        f"/v1/review/requests/{request_id}/information-requests",
        json={
            "message": "Please send a letter of medical necessity for the wheelchair.",
            "documents_requested": ["letter_of_medical_necessity"],
        },
        headers=await if_match(client, reviewer, request_id),
    )
    assert r.status_code == 201, r.text
    read = (await client.get(f"{URL}/{request_id}", headers=vendor)).json()
    assert read["status"] == "pended"
    assert "letter of medical necessity" in read["waiting_on"]

    r = await client.post(
        f"{URL}/{request_id}/attachments",
        files={"file": ("lmn.pdf", PDF, "application/pdf")},
        data={"document_type": "letter_of_medical_necessity"},
        headers=vendor,
    )
    assert r.status_code == 201, r.text
    attachment_id = r.json()["id"]
    r = await client.post(
        f"{URL}/{request_id}/information-responses",
        json={"message": "Letter attached.", "attachment_ids": [attachment_id]},
        headers=vendor,
    )
    assert r.status_code == 201, r.text
    read = (await client.get(f"{URL}/{request_id}", headers=reviewer)).json()
    assert read["status"] == "in_review"
    assert "letter of medical necessity" not in read["waiting_on"]

    etag = (await client.get(f"{URL}/{request_id}", headers=reviewer)).headers["ETag"]
    r = await client.post(
        f"/v1/review/requests/{request_id}/decision",
        json={"lines": [{"line_number": n, "outcome": "approved"} for n in (1, 2)]},
        headers={**reviewer, "If-Match": etag},
    )
    assert r.status_code == 200, r.text

    mine = (await client.get(f"{URL}/{request_id}", headers=vendor)).json()
    assert mine["status"] == "approved"
    numbers = [ln["authorization"]["number"] for ln in mine["lines"]]
    assert all(numbers)
    assert len(set(numbers)) == 2
    timeline = (await client.get(f"{URL}/{request_id}/events", headers=vendor)).json()["items"]
    assert [e["kind"] for e in timeline] == [
        "submitted",
        "information_requested",
        "attachment_added",
        "information_received",
        "decided",
    ]


async def test_documents_the_rules_ask_for_leave_waiting_on_when_attached(
    client: httpx.AsyncClient, world: World, settings: Settings, database: Database
) -> None:
    await publish(database, world.network_a, no_csags())
    vendor = auth_headers(settings, world.principal(Role.VENDOR))
    created = (await client.post(URL, json=request_body(world), headers=vendor)).json()
    assert "seating evaluation" in created["waiting_on"]
    for kind in ("prescription", "seating_evaluation"):
        r = await client.post(
            f"{URL}/{created['id']}/attachments",
            files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
            data={"document_type": kind},
            headers=vendor,
        )
        assert r.status_code == 201, r.text
    read = (await client.get(f"{URL}/{created['id']}", headers=vendor)).json()
    assert "seating evaluation" not in read["waiting_on"]
    assert "prescription" not in read["waiting_on"]
    assert read["waiting_on"].startswith("Waiting for")
