"""Issue 15, point 8: every update names the view it was made on (If-Match), and a document
added to a request is a new version of it, so a decision made before the document is a 412."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from fixtures.documents import pdf_bytes
from fixtures.factories import (
    REQUESTS_URL,
    World,
    assert_problem,
    auth_headers,
    request_body,
)

REVIEW = "/v1/review/requests"


async def open_request(
    client: httpx.AsyncClient, settings: Settings, world: World, **overrides: Any
) -> str:
    r = await client.post(
        REQUESTS_URL,
        json=request_body(world, **overrides),
        headers=auth_headers(settings, world.principal(Role.VENDOR)),
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "in_review"
    return str(r.json()["id"])


def approve_open(read: httpx.Response) -> dict[str, Any]:
    lines = [ln["line_number"] for ln in read.json()["lines"] if ln["outcome"] is None]
    return {"lines": [{"line_number": n, "outcome": "approved"} for n in lines]}


class TestDocumentMovesTheETag:
    async def test_decision_on_the_view_before_the_document_is_412(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        request_id = await open_request(client, settings, world)
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
        seen = await client.get(f"{REQUESTS_URL}/{request_id}", headers=reviewer)
        stale = seen.headers["ETag"]

        up = await client.post(
            f"{REQUESTS_URL}/{request_id}/attachments",
            headers=vendor,
            files={"file": ("lmn.pdf", pdf_bytes("lmn"), "application/pdf")},
            data={"document_type": "letter_of_medical_necessity"},
        )
        assert up.status_code == 201, up.text
        # (An upload made with POST /v1/attachments joins a request only when a submission
        # names it: it is part of the request's creation, so no earlier view exists.)

        fresh = await client.get(f"{REQUESTS_URL}/{request_id}", headers=reviewer)
        assert fresh.headers["ETag"] != stale
        decision = approve_open(fresh)
        r = await client.post(
            f"{REVIEW}/{request_id}/decision",
            json=decision,
            headers={**reviewer, "If-Match": stale},
        )
        assert_problem(r, 412, code="precondition_failed")
        r = await client.post(
            f"{REVIEW}/{request_id}/decision",
            json=decision,
            headers={**reviewer, "If-Match": fresh.headers["ETag"]},
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "approved"


class TestIfMatchRequired:
    async def test_pend_needs_if_match(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        request_id = await open_request(client, settings, world)
        reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
        url = f"{REVIEW}/{request_id}/information-requests"
        ask = {"message": "Which side?"}
        r = await client.post(url, json=ask, headers=reviewer)
        body = assert_problem(r, 428, code="precondition_required")
        assert "If-Match" in body["detail"]
        r = await client.post(url, json=ask, headers={**reviewer, "If-Match": '"v999"'})
        assert_problem(r, 412, code="precondition_failed")
        read = await client.get(f"{REQUESTS_URL}/{request_id}", headers=reviewer)
        assert read.json()["status"] == "in_review"  # nothing changed
        r = await client.post(url, json=ask, headers={**reviewer, "If-Match": read.headers["ETag"]})
        assert r.status_code == 201, r.text

    async def test_downgrade_needs_if_match(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        request_id = await open_request(
            client, settings, world, urgency="expedited", expedited_reason="Urgent."
        )
        reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
        url = f"{REVIEW}/{request_id}/urgency"
        change = {"urgency": "standard", "reason": "No risk to life or function."}
        r = await client.post(url, json=change, headers=reviewer)
        body = assert_problem(r, 428, code="precondition_required")
        assert "If-Match" in body["detail"]
        r = await client.post(url, json=change, headers={**reviewer, "If-Match": '"v999"'})
        assert_problem(r, 412, code="precondition_failed")
        read = await client.get(f"{REQUESTS_URL}/{request_id}", headers=reviewer)
        assert read.json()["urgency"] == "expedited"
        r = await client.post(
            url, json=change, headers={**reviewer, "If-Match": read.headers["ETag"]}
        )
        assert r.status_code == 200, r.text
        assert r.headers["ETag"] != read.headers["ETag"]

    async def test_claim_and_release_are_locks_not_updates_of_a_view(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        request_id = await open_request(client, settings, world)
        reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
        r = await client.post(f"{REVIEW}/{request_id}/claim", headers=reviewer)
        assert r.status_code == 200, r.text
        r = await client.post(f"{REVIEW}/{request_id}/release", headers=reviewer)
        assert r.status_code == 200, r.text


class TestRulesetPreconditions:
    @pytest.fixture
    def base(self, world: World) -> str:
        return f"/v1/networks/{world.network_a.id}/ruleset"

    @pytest.fixture
    def admin(self, settings: Settings, world: World) -> dict[str, str]:
        return auth_headers(settings, world.principal(Role.NETWORK_ADMIN))

    async def test_first_save_needs_if_none_match_star(
        self, client: httpx.AsyncClient, base: str, admin: dict[str, str]
    ) -> None:
        doc = {"document": {"description": "first"}}
        r = await client.put(f"{base}/draft", json=doc, headers=admin)
        body = assert_problem(r, 428, code="precondition_required")
        assert "If-Match" in body["detail"]
        assert "If-None-Match: *" in body["detail"]
        # If-Match: * means "the draft as it is": there is none yet (RFC 9110 13.1.1).
        r = await client.put(f"{base}/draft", json=doc, headers={**admin, "If-Match": "*"})
        assert_problem(r, 412, code="precondition_failed")
        assert (await client.get(f"{base}/draft", headers=admin)).status_code == 404
        r = await client.put(f"{base}/draft", json=doc, headers={**admin, "If-None-Match": "*"})
        assert r.status_code == 200, r.text
        assert r.headers["ETag"] == '"d1"'

    async def test_later_saves_need_the_drafts_etag(
        self, client: httpx.AsyncClient, base: str, admin: dict[str, str]
    ) -> None:
        await client.put(
            f"{base}/draft", json={"document": {}}, headers={**admin, "If-None-Match": "*"}
        )
        doc = {"document": {"description": "second"}}
        r = await client.put(f"{base}/draft", json=doc, headers=admin)
        assert_problem(r, 428, code="precondition_required")
        r = await client.put(f"{base}/draft", json=doc, headers={**admin, "If-None-Match": "*"})
        assert_problem(r, 412, code="precondition_failed")
        r = await client.put(f"{base}/draft", json=doc, headers={**admin, "If-Match": '"d1"'})
        assert r.status_code == 200, r.text
        assert r.headers["ETag"] == '"d2"'

    async def test_publish_needs_the_drafts_etag(
        self, client: httpx.AsyncClient, base: str, admin: dict[str, str]
    ) -> None:
        from fixtures.rules import no_csags

        saved = await client.put(
            f"{base}/draft", json={"document": no_csags()}, headers={**admin, "If-None-Match": "*"}
        )
        r = await client.post(f"{base}/publish", headers=admin)
        body = assert_problem(r, 428, code="precondition_required")
        assert "If-Match" in body["detail"]
        # Someone saves the draft after this admin reviewed it: publishing the old view is 412.
        resaved = await client.put(
            f"{base}/draft",
            json={"document": {**no_csags(), "description": "changed"}},
            headers={**admin, "If-Match": saved.headers["ETag"]},
        )
        r = await client.post(
            f"{base}/publish", headers={**admin, "If-Match": saved.headers["ETag"]}
        )
        assert_problem(r, 412, code="precondition_failed")
        assert (await client.get(f"{base}/versions", headers=admin)).json()["items"] == []
        r = await client.post(
            f"{base}/publish", headers={**admin, "If-Match": resaved.headers["ETag"]}
        )
        assert r.status_code == 201, r.text
        assert r.json()["document"]["description"] == "changed"


async def test_the_openapi_document_marks_if_match_required(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    for path, method in [
        ("/v1/review/requests/{request_id}/information-requests", "post"),
        ("/v1/review/requests/{request_id}/urgency", "post"),
        ("/v1/review/requests/{request_id}/decision", "post"),
        ("/v1/networks/{network_id}/ruleset/publish", "post"),
    ]:
        operation = doc["paths"][path][method]
        [header] = [p for p in operation["parameters"] if p["name"] == "If-Match"]
        assert header["required"] is True, path
        assert "428" in operation["responses"], path
    save = doc["paths"]["/v1/networks/{network_id}/ruleset/draft"]["put"]
    names = {p["name"] for p in save["parameters"] if p["in"] == "header"}
    assert {"If-Match", "If-None-Match"} <= names
    assert "428" in save["responses"]
