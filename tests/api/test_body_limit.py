"""The app-wide body limit (256 KiB), refused before parsing; uploads keep their own limit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from sqlalchemy import func, select

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.submissions.models import AuthorizationRequest
from fixtures.documents import pdf_bytes
from fixtures.factories import REQUESTS_URL, World, assert_problem, auth_headers, request_body

LIMIT = 256 * 1024


def padded(body: dict[str, Any], size: int) -> bytes:
    """A valid submission, padded with whitespace to ``size`` bytes: only its size is wrong."""
    raw = json.dumps(body).encode()
    return raw + b" " * (size - len(raw))


async def count_requests(database: Database, world: World) -> int:
    async with unit_of_work(database) as s:
        return int(
            await s.scalar(
                select(func.count())
                .select_from(AuthorizationRequest)
                .where(AuthorizationRequest.vendor_id == world.vendor.id)
            )
            or 0
        )


def assert_too_large(r: httpx.Response) -> None:
    problem = assert_problem(r, 413, code="request.too_large")
    assert r.headers["content-type"] == "application/problem+json"
    assert "256 KiB" in problem["detail"]
    assert problem["limit_bytes"] == LIMIT
    assert problem["errors"][0]["field"] == "body"


async def chunks(data: bytes, size: int = 16 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class TestJsonBodies:
    async def test_a_300_kib_body_is_413_and_stores_nothing(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        body = padded(request_body(world), 300 * 1024)
        headers = {
            **auth_headers(settings, world.principal(Role.VENDOR)),
            "Content-Type": "application/json",
        }

        r = await client.post(REQUESTS_URL, content=body, headers=headers)

        assert_too_large(r)
        assert await count_requests(database, world) == 0

    async def test_refused_before_authentication_or_parsing(
        self, client: httpx.AsyncClient
    ) -> None:
        # No token and not even JSON: the size alone decides, before anything reads the body.
        r = await client.post(REQUESTS_URL, content=b"{" * (LIMIT + 1))
        assert_too_large(r)

    async def test_a_chunked_body_over_the_limit_is_413_and_stores_nothing(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        body = padded(request_body(world), 300 * 1024)
        headers = {
            **auth_headers(settings, world.principal(Role.VENDOR)),
            "Content-Type": "application/json",
        }

        r = await client.post(REQUESTS_URL, content=chunks(body), headers=headers)

        assert r.request.headers.get("Transfer-Encoding") == "chunked"
        assert "Content-Length" not in r.request.headers
        assert_too_large(r)
        assert await count_requests(database, world) == 0

    async def test_a_chunked_body_within_the_limit_is_served(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        body = padded(request_body(world), 200 * 1024)
        headers = {
            **auth_headers(settings, world.principal(Role.VENDOR)),
            "Content-Type": "application/json",
        }

        r = await client.post(REQUESTS_URL, content=chunks(body), headers=headers)

        assert r.status_code == 201, r.text
        assert await count_requests(database, world) == 1

    async def test_a_form_body_over_the_limit_is_413(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": "u", "password": "p" * (LIMIT + 1)},
        )
        assert_too_large(r)


class TestUploads:
    async def test_an_upload_of_1_mib_is_still_accepted(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        headers = auth_headers(settings, world.principal(Role.VENDOR))
        data = pdf_bytes("big", pad_to=1024 * 1024)

        r = await client.post(
            "/v1/attachments",
            headers=headers,
            files={"file": ("letter.pdf", data, "application/pdf")},
            data={"document_type": "prescription"},
        )

        assert r.status_code == 201, r.text
        assert r.json()["size_bytes"] == len(data)

    async def test_an_upload_to_a_request_of_1_mib_is_still_accepted(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        headers = auth_headers(settings, world.principal(Role.VENDOR))
        created = await client.post(REQUESTS_URL, json=request_body(world), headers=headers)
        assert created.status_code == 201, created.text
        data = pdf_bytes("big", pad_to=1024 * 1024)

        r = await client.post(
            f"{REQUESTS_URL}/{created.json()['id']}/attachments",
            headers=headers,
            files={"file": ("letter.pdf", data, "application/pdf")},
            data={"document_type": "prescription"},
        )

        assert r.status_code == 201, r.text
