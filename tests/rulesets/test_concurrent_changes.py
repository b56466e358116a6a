"""Issue 15, point 6: integrity races on a network's rules are 409s with a retry hint.

On PostgreSQL two admins' requests are made to interleave for real: each stops, inside its own
transaction, right after reading what it is about to change, until the other has read it too
(a barrier awaited from a cursor event). Both then write; the database's unique constraints
(one draft per network, one ``(network_id, version)``) or the draft's revision column decide
the winner. On SQLite writers are serialised (``BEGIN IMMEDIATE``), so the same requests sent
together cannot interleave: the second sees the first's draft and its stale condition is a 412.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.util import await_

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import World, assert_problem, auth_headers
from fixtures.rules import no_csags

DRAFT_READ = "FROM ruleset_draft"
VERSION_READ = "max(ruleset_version.version)"


@contextmanager
def both_read_first(database: Database, marker: str) -> Iterator[None]:
    """Hold the first two statements containing ``marker`` until both have run."""
    barrier = asyncio.Barrier(2)
    held = 0

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        nonlocal held
        if marker in statement and held < 2:
            held += 1
            await_(barrier.wait())

    engine = database.engine.sync_engine
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(engine, "after_cursor_execute", after)


def base(world: World) -> str:
    return f"/v1/networks/{world.network_a.id}/ruleset"


def _retry_conflict(r: httpx.Response) -> None:
    assert_problem(r, 409, code="ruleset.concurrent_change")
    assert r.headers["Retry-After"] == "1"
    assert "retry" in r.json()["detail"]


class TestConcurrentFirstDraft:
    async def test_two_first_saves(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        admin = {
            **auth_headers(settings, world.principal(Role.NETWORK_ADMIN)),
            "If-None-Match": "*",
        }

        async def save(n: int) -> httpx.Response:
            return await client.put(
                f"{base(world)}/draft", json={"document": {"description": f"by {n}"}}, headers=admin
            )

        if database.dialect == "postgresql":
            with both_read_first(database, DRAFT_READ):
                first, second = await asyncio.gather(save(1), save(2))
        else:
            first, second = await asyncio.gather(save(1), save(2))
        statuses = sorted([first.status_code, second.status_code])
        winner, loser = (first, second) if first.status_code == 200 else (second, first)
        assert statuses[0] == 200, [first.text, second.text]
        if database.dialect == "postgresql":
            _retry_conflict(loser)  # both saw no draft; the primary key decided
        else:
            assert_problem(loser, 412, code="precondition_failed")
        read = await client.get(f"{base(world)}/draft", headers=admin)
        assert read.json()["document"] == winner.json()["document"]
        assert read.headers["ETag"] == '"d1"'


class TestConcurrentDraftSaves:
    async def test_two_saves_on_the_same_revision(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        admin = auth_headers(settings, world.principal(Role.NETWORK_ADMIN))
        created = await client.put(
            f"{base(world)}/draft",
            json={"document": {}},
            headers={**admin, "If-None-Match": "*"},
        )
        etag = created.headers["ETag"]

        async def save(n: int) -> httpx.Response:
            return await client.put(
                f"{base(world)}/draft",
                json={"document": {"description": f"by {n}"}},
                headers={**admin, "If-Match": etag},
            )

        if database.dialect == "postgresql":
            with both_read_first(database, DRAFT_READ):
                first, second = await asyncio.gather(save(1), save(2))
        else:
            first, second = await asyncio.gather(save(1), save(2))
        winner, loser = (first, second) if first.status_code == 200 else (second, first)
        assert winner.status_code == 200, [first.text, second.text]
        assert winner.headers["ETag"] == '"d2"'
        if database.dialect == "postgresql":
            _retry_conflict(loser)  # both passed If-Match; the revision column decided
        else:
            assert_problem(loser, 412, code="precondition_failed")
        read = await client.get(f"{base(world)}/draft", headers=admin)
        assert read.headers["ETag"] == '"d2"'


class TestConcurrentPublish:
    async def test_two_publishes_of_one_draft(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        admin = auth_headers(settings, world.principal(Role.NETWORK_ADMIN))
        saved = await client.put(
            f"{base(world)}/draft",
            json={"document": no_csags()},
            headers={**admin, "If-None-Match": "*"},
        )
        headers = {**admin, "If-Match": saved.headers["ETag"]}

        async def publish() -> httpx.Response:
            return await client.post(f"{base(world)}/publish", headers=headers)

        if database.dialect == "postgresql":
            with both_read_first(database, VERSION_READ):
                first, second = await asyncio.gather(publish(), publish())
            statuses = sorted([first.status_code, second.status_code])
            assert statuses == [201, 409], [first.text, second.text]
            _retry_conflict(second if first.status_code == 201 else first)
        else:
            # Serialised: both publish, one after the other, as versions 1 and 2.
            first, second = await asyncio.gather(publish(), publish())
            assert {first.status_code, second.status_code} == {201}
            # Either may have gone first.
            assert sorted([first.json()["version"], second.json()["version"]]) == [1, 2]
        if database.dialect == "postgresql":
            winner = first if first.status_code == 201 else second
            assert winner.json()["version"] == 1
        listed = await client.get(f"{base(world)}/versions", headers=admin)
        expected = [1] if database.dialect == "postgresql" else [2, 1]
        assert [v["version"] for v in listed.json()["items"]] == expected
