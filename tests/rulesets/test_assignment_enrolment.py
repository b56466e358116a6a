"""CSAG assignment needs the member to be enrolled in the network (issue 15, point 3)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, select

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.rulesets.models import CsagAssignment
from fixtures.factories import NOW, World, auth_headers, unique_cin
from fixtures.rules import choc_like, publish


def url(world: World) -> str:
    return f"/v1/networks/{world.network_a.id}/csag-assignments"


def admin(settings: Settings, world: World) -> dict[str, str]:
    return auth_headers(settings, world.principal(Role.NETWORK_ADMIN))


def body(cin: str, effective_from: date) -> dict[str, Any]:
    return {
        "member_cin": cin,
        "csag_id": "trach-care",
        "effective_from": effective_from.isoformat(),
    }


async def stored(database: Database, world: World) -> int:
    """The world's network's assignments (other tests' worlds may have committed theirs)."""
    async with unit_of_work(database) as s:
        count = select(func.count()).where(CsagAssignment.network_id == world.network_a.id)
        return int((await s.execute(count)).scalar_one())


class TestAssignmentNeedsEnrolment:
    async def test_a_member_of_another_network_is_refused_and_nothing_is_stored(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, choc_like())
        r = await client.post(
            url(world), json=body(world.member_b.cin, NOW.date()), headers=admin(settings, world)
        )
        assert r.status_code == 422, r.text
        problem = r.json()
        assert problem["errors"] == [
            {
                "field": "member_cin",
                "message": "the member is not enrolled in this network on effective_from",
                "code": "not_enrolled",
            }
        ]
        # The answer does not say where the member is enrolled.
        assert world.network_b.name not in r.text
        assert str(world.network_b.id) not in r.text
        assert await stored(database, world) == 0

    async def test_an_unknown_cin_gets_the_same_answer(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        """Issue 21: the answer does not tell a real child of another network from no child."""
        await publish(database, world.network_a, choc_like())
        theirs = await client.post(
            url(world), json=body(world.member_b.cin, NOW.date()), headers=admin(settings, world)
        )
        nobody = await client.post(
            url(world), json=body(unique_cin(), NOW.date()), headers=admin(settings, world)
        )
        assert nobody.status_code == theirs.status_code == 422
        assert nobody.json()["errors"] == theirs.json()["errors"]
        assert nobody.json()["detail"] == theirs.json()["detail"]
        assert await stored(database, world) == 0

    async def test_enrolment_counts_on_effective_from(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        # Member A was in network B until 2026-09-30 and is in network A from 2026-10-01.
        await publish(database, world.network_a, choc_like())
        before = await client.post(
            url(world),
            json=body(world.member.cin, date(2026, 9, 30)),
            headers=admin(settings, world),
        )
        assert before.status_code == 422
        assert before.json()["errors"][0]["field"] == "member_cin"
        assert await stored(database, world) == 0
        after = await client.post(
            url(world),
            json=body(world.member.cin, date(2026, 10, 1)),
            headers=admin(settings, world),
        )
        assert after.status_code == 201, after.text
        assert await stored(database, world) == 1
