"""Concurrent duplicates with one Idempotency-Key store exactly one request."""

from __future__ import annotations

import asyncio

import httpx

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import World, auth_headers, count_requests, request_body


class TestConcurrentIdempotency:
    async def test_twenty_concurrent_duplicates_store_one(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        headers = {
            **auth_headers(settings, world.principal(Role.VENDOR)),
            "Idempotency-Key": "concurrent-1",
        }
        body = request_body(world)
        responses = await asyncio.gather(
            *(
                client.post("/v1/authorization-requests", json=body, headers=headers)
                for _ in range(20)
            )
        )
        assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
        assert len({r.json()["id"] for r in responses}) == 1
        assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 19
        assert await count_requests(database, world.vendor.id) == 1

    async def test_concurrent_distinct_keys_store_each(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        base = auth_headers(settings, world.principal(Role.VENDOR))
        # Ten periods: one body ten times would be one request and nine duplicates (409).
        bodies = [request_body(world) for _ in range(10)]
        responses = await asyncio.gather(
            *(
                client.post(
                    "/v1/authorization-requests",
                    json=body,
                    headers={**base, "Idempotency-Key": f"distinct-{i}"},
                )
                for i, body in enumerate(bodies)
            )
        )
        assert [r.status_code for r in responses] == [201] * 10
        assert await count_requests(database, world.vendor.id) == 10
