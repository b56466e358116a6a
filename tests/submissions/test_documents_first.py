"""Documents before a rule approves (issue 13.1): uploads before submitting, lines that wait
for their documents, and approval by the rules, with no person, when the documents arrive."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from dme_portal.attachments.models import Attachment, AttachmentBlob
from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.rules.ruleset import RuleSet
from dme_portal.sla.clock import FrozenClock
from dme_portal.sla.worker import purge_uploads
from fixtures.documents import pdf_bytes
from fixtures.factories import (
    NOW,
    REQUESTS_URL,
    World,
    assert_problem,
    auth_headers,
    auth_headers_at,
    count_requests,
    request_body,
)
from fixtures.rules import choc_like, publish

Headers = dict[str, str]
START = NOW.date() + timedelta(days=1)
UPLOADS = "/v1/attachments"


def line(hcpcs: str, quantity: int = 1, **kw: Any) -> dict[str, Any]:
    return {
        "hcpcs": hcpcs,
        "quantity": quantity,
        "start_date": START.isoformat(),
        "end_date": (START + timedelta(days=89)).isoformat(),
        **kw,
    }


WHEELCHAIR = line("E1161", acquisition="rental")  # CHOC's CP CSAG: prescription + seating eval
AFO = line("L1960", 2)  # the same CSAG; no documents asked for orthoses


@pytest.fixture
def vendor(settings: Settings, world: World) -> Headers:
    return auth_headers(settings, world.principal(Role.VENDOR))


@pytest.fixture
async def choc(database: Database, world: World) -> int:
    return await publish(database, world.network_a, choc_like())


async def upload_first(
    client: httpx.AsyncClient, headers: Headers, document_type: str, **extra: str
) -> httpx.Response:
    return await client.post(
        UPLOADS,
        headers={**headers, **extra},
        files={"file": (f"{document_type}.pdf", pdf_bytes(document_type), "application/pdf")},
        data={"document_type": document_type},
    )


async def uploaded_first(client: httpx.AsyncClient, headers: Headers, document_type: str) -> str:
    r = await upload_first(client, headers, document_type)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def attach(
    client: httpx.AsyncClient, headers: Headers, request_id: str, document_type: str
) -> httpx.Response:
    return await client.post(
        f"{REQUESTS_URL}/{request_id}/attachments",
        headers=headers,
        files={"file": (f"{document_type}.pdf", pdf_bytes(document_type), "application/pdf")},
        data={"document_type": document_type},
    )


async def submit(
    client: httpx.AsyncClient, headers: Headers, world: World, **kw: Any
) -> dict[str, Any]:
    r = await client.post(REQUESTS_URL, json=request_body(world, **kw), headers=headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def read(client: httpx.AsyncClient, headers: Headers, request_id: str) -> dict[str, Any]:
    r = await client.get(f"{REQUESTS_URL}/{request_id}", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def events_of(client: httpx.AsyncClient, headers: Headers, request_id: str) -> list[Any]:
    r = await client.get(f"{REQUESTS_URL}/{request_id}/events", headers=headers)
    assert r.status_code == 200, r.text
    items: list[Any] = r.json()["items"]
    return items


class TestAWheelchairWaitsForItsSeatingEvaluation:
    async def test_uploading_the_evaluation_approves_it_with_no_person(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, choc: int
    ) -> None:
        prescription = await uploaded_first(client, vendor, "prescription")
        created = await submit(
            client, vendor, world, lines=[WHEELCHAIR], attachment_ids=[prescription]
        )

        assert created["status"] == "in_review"
        wheelchair = created["lines"][0]
        assert wheelchair["outcome"] is None
        assert wheelchair["authorization"] is None
        assert wheelchair["x12_action_code"] == "A4"
        assert wheelchair["rules"]["outcome"] == "awaiting_documents"
        assert wheelchair["rules"]["documents_missing"] == ["seating_evaluation"]
        assert [r["code"] for r in wheelchair["rules"]["reasons"]] == ["documents_missing"]
        assert "seating evaluation" in wheelchair["rules"]["reasons"][0]["message"]
        assert "seating evaluation" in created["waiting_on"]
        assert "prescription" not in created["waiting_on"]
        assert created["waiting_on"].startswith("Waiting for the vendor to send")

        r = await attach(client, vendor, created["id"], "seating_evaluation")
        assert r.status_code == 201, r.text
        evaluation_id = r.json()["id"]

        after = await read(client, vendor, created["id"])
        assert after["status"] == "approved"
        assert after["x12_action_code"] == "A1"
        assert after["sla_state"] == "met"
        assert after["decided_at"] is not None
        line_after = after["lines"][0]
        assert line_after["outcome"] == "approved"
        assert line_after["rules"]["outcome"] == "approved"
        assert line_after["rules"]["decided_by"] == "csag:cp-mobility"
        assert line_after["rules"]["documents_missing"] == []
        assert line_after["authorization"]["number"]
        assert line_after["authorization"]["state"] == "active"
        assert "Nothing" in after["waiting_on"]

        events = await events_of(client, vendor, created["id"])
        kinds = [(e["kind"], e["actor_type"]) for e in events]
        assert kinds == [
            ("submitted", "user"),
            ("rules_evaluated", "rules"),
            ("attachment_added", "user"),
            ("decided", "rules"),
        ]
        decided = events[-1]
        assert decided["actor_id"] == f"ruleset:v{choc}"
        assert decided["data"]["ruleset_version"] == choc
        assert decided["data"]["attachment_id"] == evaluation_id
        assert decided["data"]["document_type"] == "seating_evaluation"
        assert (
            decided["data"]["lines"][0]["authorization_number"]
            == (line_after["authorization"]["number"])
        )
        assert "seating evaluation" in decided["reason"]
        assert f"v{choc}" in decided["reason"]

    async def test_one_document_of_two_leaves_it_waiting_for_the_other(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, choc: int
    ) -> None:
        created = await submit(client, vendor, world, lines=[WHEELCHAIR])
        assert created["lines"][0]["rules"]["documents_missing"] == [
            "prescription",
            "seating_evaluation",
        ]

        r = await attach(client, vendor, created["id"], "seating_evaluation")
        assert r.status_code == 201, r.text

        after = await read(client, vendor, created["id"])
        assert after["status"] == "in_review"
        assert after["lines"][0]["outcome"] is None
        assert after["lines"][0]["rules"]["outcome"] == "awaiting_documents"
        assert after["lines"][0]["rules"]["documents_missing"] == ["prescription"]
        assert "prescription" in after["waiting_on"]
        assert "seating evaluation" not in after["waiting_on"]
        kinds = [e["kind"] for e in await events_of(client, vendor, created["id"])]
        assert "decided" not in kinds

    async def test_the_orthoses_are_approved_at_once_and_the_wheelchair_later(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, choc: int
    ) -> None:
        created = await submit(client, vendor, world, lines=[AFO, WHEELCHAIR])

        assert created["status"] == "in_review"
        afo, chair = created["lines"]
        assert afo["outcome"] == "approved"
        assert afo["authorization"]["state"] == "active"
        assert chair["outcome"] is None

        await attach(client, vendor, created["id"], "prescription")
        r = await attach(client, vendor, created["id"], "seating_evaluation")
        assert r.status_code == 201, r.text

        after = await read(client, vendor, created["id"])
        assert after["status"] == "approved"
        assert after["lines"][0]["authorization"] == afo["authorization"]
        assert after["lines"][1]["authorization"]["state"] == "active"

    async def test_a_reviewer_may_still_decide_it_before_the_documents_arrive(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        choc: int,
    ) -> None:
        created = await submit(client, vendor, world, lines=[WHEELCHAIR])
        director = auth_headers(settings, world.principal(Role.MEDICAL_DIRECTOR))
        r = await client.post(
            f"/v1/review/requests/{created['id']}/decision",
            json={"lines": [{"line_number": 1, "outcome": "approved"}]},
            headers={**director, "If-Match": '"v1"'},
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "approved"

        # Closed now: a late document is refused, and nothing is decided twice.
        late = await attach(client, vendor, created["id"], "seating_evaluation")
        assert_problem(late, 409, code="authorization_request.closed")

    async def test_a_csag_that_waives_documents_approves_without_them(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, choc: int
    ) -> None:
        # CHOC's cystic fibrosis group waives the letter its rules ask for with a vest (E0483).
        created = await submit(
            client, vendor, world, diagnoses=["E84.0"], lines=[line("E0483", acquisition="rental")]
        )

        assert created["status"] == "approved"
        rules = created["lines"][0]["rules"]
        assert rules["documents_required"] == ["prescription", "letter_of_medical_necessity"]
        assert rules["documents_missing"] == []
        assert [t["rule"] for t in rules["trace"]] == ["documents_waived", "csag:cf-airway"]
        assert "waives" in rules["trace"][0]["message"]


class TestWaiverValidation:
    def test_a_waiver_on_a_csag_no_documentation_rule_touches_is_refused(self) -> None:
        document = choc_like()
        sb = next(c for c in document["csags"] if c["id"] == "sb-continence")
        sb["documents_waived"] = True
        with pytest.raises(ValueError, match=r"csags\[\d+\]\.documents_waived: no documentation"):
            RuleSet.model_validate(document)

    def test_the_waiver_is_a_strict_boolean(self) -> None:
        document = choc_like()
        document["csags"][0]["documents_waived"] = "yes"
        with pytest.raises(ValueError, match="documents_waived"):
            RuleSet.model_validate(document)

    async def test_the_admin_api_names_the_field(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        document = choc_like()
        next(c for c in document["csags"] if c["id"] == "t1d-supplies")["documents_waived"] = True
        admin = auth_headers(settings, world.principal(Role.NETWORK_ADMIN))
        base = f"/v1/networks/{world.network_a.id}/ruleset"
        saved = await client.put(
            f"{base}/draft", json={"document": document}, headers={**admin, "If-None-Match": "*"}
        )
        assert saved.status_code == 200, saved.text
        r = await client.post(f"{base}/draft/validate", headers=admin)
        assert r.json()["valid"] is False
        fields = [e["field"] for e in r.json()["errors"]]
        assert any(f.endswith(".documents_waived") for f in fields), r.json()
        published = await client.post(
            f"{base}/publish", headers={**admin, "If-Match": saved.headers["ETag"]}
        )
        assert_problem(published, 409, code="ruleset.draft_invalid")


class TestUploadsBeforeSubmitting:
    async def test_an_upload_belongs_to_its_vendor_and_expires_unused(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, settings: Settings
    ) -> None:
        r = await upload_first(client, vendor, "prescription")

        assert r.status_code == 201, r.text
        body = r.json()
        assert body["request_id"] is None
        assert body["expires_at"] == (NOW + timedelta(days=1)).isoformat().replace("+00:00", "Z")
        assert r.headers["Location"] == f"{UPLOADS}/{body['id']}"
        assert (await client.get(r.headers["Location"], headers=vendor)).json() == body

        other = auth_headers(settings, world.principal(Role.VENDOR, world.other_vendor))
        assert_problem(await client.get(r.headers["Location"], headers=other), 404)
        reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
        assert_problem(await client.get(r.headers["Location"], headers=reviewer), 403)

    async def test_a_submission_takes_the_upload_and_it_stops_expiring(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, choc: int
    ) -> None:
        prescription = await uploaded_first(client, vendor, "prescription")
        evaluation = await uploaded_first(client, vendor, "seating_evaluation")

        created = await submit(
            client, vendor, world, lines=[WHEELCHAIR], attachment_ids=[prescription, evaluation]
        )

        assert created["status"] == "approved"  # every document on file at submission
        assert created["lines"][0]["rules"]["decided_by"] == "csag:cp-mobility"
        got = (await client.get(f"{UPLOADS}/{prescription}", headers=vendor)).json()
        assert got["request_id"] == created["id"]
        assert got["expires_at"] is None
        listed = await client.get(f"{REQUESTS_URL}/{created['id']}/attachments", headers=vendor)
        assert {a["id"] for a in listed.json()["items"]} == {prescription, evaluation}
        events = await events_of(client, vendor, created["id"])
        assert events[0]["data"]["attachment_ids"] == [prescription, evaluation]

    @pytest.mark.parametrize("case", ["other_vendor", "unknown", "used", "expired"])
    async def test_a_bad_attachment_id_is_422_naming_it_and_stores_nothing(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        settings: Settings,
        database: Database,
        clock: FrozenClock,
        case: str,
    ) -> None:
        if case == "other_vendor":
            other = auth_headers(settings, world.principal(Role.VENDOR, world.other_vendor))
            bad = await uploaded_first(client, other, "prescription")
        elif case == "unknown":
            bad = str(uuid.uuid4())
        elif case == "used":
            bad = await uploaded_first(client, vendor, "evaluation")
            await submit(client, vendor, world, attachment_ids=[bad])
        else:
            bad = await uploaded_first(client, vendor, "evaluation")
        if case == "expired":
            clock.set(NOW + timedelta(days=1, seconds=1))
            vendor = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())
        mine = await uploaded_first(client, vendor, "prescription")
        before = await count_requests(database, world.vendor.id)

        r = await client.post(
            REQUESTS_URL,
            json=request_body(world, attachment_ids=[mine, bad]),
            headers=vendor,
        )

        problem = assert_problem(r, 422, field="attachment_ids[1]")
        assert problem["errors"][0]["code"] in {
            "unknown_attachment",
            "attachment_in_use",
            "attachment_expired",
        }
        assert await count_requests(database, world.vendor.id) == before
        got = await client.get(f"{UPLOADS}/{mine}", headers=vendor)
        assert got.json()["request_id"] is None

    async def test_the_same_id_twice_is_422(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        mine = await uploaded_first(client, vendor, "prescription")
        r = await client.post(
            REQUESTS_URL, json=request_body(world, attachment_ids=[mine, mine]), headers=vendor
        )
        assert_problem(r, 422, field="attachment_ids")

    async def test_the_worker_purges_expired_uploads_and_keeps_attached_ones(
        self,
        client: httpx.AsyncClient,
        world: World,
        vendor: Headers,
        database: Database,
    ) -> None:
        unused = await uploaded_first(client, vendor, "prescription")
        used = await uploaded_first(client, vendor, "evaluation")
        await submit(client, vendor, world, attachment_ids=[used])

        assert await purge_uploads(database, now=NOW + timedelta(hours=23)) == 0
        await purge_uploads(database, now=NOW + timedelta(days=1, seconds=1))

        async with unit_of_work(database) as s:
            ids = {uuid.UUID(unused), uuid.UUID(used)}
            left = set(await s.scalars(select(Attachment.id).where(Attachment.id.in_(ids))))
            blobs = await s.scalar(
                select(func.count())
                .select_from(AttachmentBlob)
                .where(AttachmentBlob.key.in_([f"attachment/{i}" for i in ids]))
            )
        assert left == {uuid.UUID(used)}
        assert blobs == 1
        assert_problem(await client.get(f"{UPLOADS}/{unused}", headers=vendor), 404)


class TestCoverageCheckWithUploads:
    async def test_it_counts_the_named_uploads_and_takes_none_of_them(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, choc: int
    ) -> None:
        url = "/v1/coverage-checks"
        bare = await client.post(url, json=request_body(world, lines=[WHEELCHAIR]), headers=vendor)
        assert bare.status_code == 200, bare.text
        assert bare.json()["lines"][0]["would_be_approved"] is False
        assert bare.json()["lines"][0]["outcome"] == "awaiting_documents"
        assert bare.json()["lines"][0]["documents_missing"] == [
            "prescription",
            "seating_evaluation",
        ]

        ids = [
            await uploaded_first(client, vendor, "prescription"),
            await uploaded_first(client, vendor, "seating_evaluation"),
        ]
        full = await client.post(
            url, json=request_body(world, lines=[WHEELCHAIR], attachment_ids=ids), headers=vendor
        )
        assert full.json()["lines"][0]["would_be_approved"] is True
        assert full.json()["lines"][0]["documents_missing"] == []
        for i in ids:
            assert (await client.get(f"{UPLOADS}/{i}", headers=vendor)).json()["request_id"] is None

        foreign = await client.post(
            url,
            json=request_body(world, lines=[WHEELCHAIR], attachment_ids=[str(uuid.uuid4())]),
            headers=vendor,
        )
        assert_problem(foreign, 422, field="attachment_ids[0]")
