"""Network admin API: drafts, validation, publishing, versions, diff, CSAG assignments."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.drafts import publish_draft, save_draft
from fixtures.factories import NOW, World, auth_headers, request_body
from fixtures.rules import choc_like, no_csags, publish


def h(settings: Settings, world: World, role: Role, org: Any = None) -> dict[str, str]:
    return auth_headers(settings, world.principal(role, org))


def base(world: World) -> str:
    return f"/v1/networks/{world.network_a.id}"


class TestDraftAndPublish:
    async def test_save_validate_publish_and_read_versions(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        admin = h(settings, world, Role.NETWORK_ADMIN)
        r = await client.put(
            f"{base(world)}/ruleset/draft",
            json={"document": no_csags()},
            headers={**admin, "If-None-Match": "*"},
        )
        assert r.status_code == 200, r.text
        etag = r.headers["ETag"]
        r = await client.post(f"{base(world)}/ruleset/draft/validate", headers=admin)
        assert r.json() == {"valid": True, "errors": []}
        r = await client.post(f"{base(world)}/ruleset/publish", headers={**admin, "If-Match": etag})
        assert r.status_code == 201
        assert r.json()["version"] == 1
        assert r.json()["published_by"] == "user:test-network_admin"

        r = await client.put(
            f"{base(world)}/ruleset/draft",
            json={"document": choc_like()},
            headers={**admin, "If-Match": etag},
        )
        assert r.status_code == 200
        r = await client.post(
            f"{base(world)}/ruleset/publish", headers={**admin, "If-Match": r.headers["ETag"]}
        )
        assert r.json()["version"] == 2

        reader = h(settings, world, Role.REVIEWER)
        r = await client.get(f"{base(world)}/ruleset", headers=reader)
        assert r.json()["version"] == 2
        assert len(r.json()["document"]["csags"]) == len(choc_like()["csags"])
        r = await client.get(f"{base(world)}/ruleset/versions", headers=reader)
        assert [v["version"] for v in r.json()["items"]] == [2, 1]
        r = await client.get(f"{base(world)}/ruleset/versions/1", headers=reader)
        assert r.json()["document"]["csags"] == []
        r = await client.get(f"{base(world)}/ruleset/diff?from=1&to=2", headers=reader)
        paths = [c["path"] for c in r.json()["changes"]]
        assert "csags[id=cp-mobility].name" in paths
        assert "durations.lifelong_days" in paths

    async def test_stale_if_match_is_412(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        admin = h(settings, world, Role.NETWORK_ADMIN)
        await save_draft(client, base(world), admin, {})
        r = await save_draft(client, base(world), admin, {"description": "v2"})
        assert r.headers["ETag"] == '"d2"'
        r = await client.put(
            f"{base(world)}/ruleset/draft",
            json={"document": {}},
            headers={**admin, "If-Match": '"d1"'},
        )
        assert r.status_code == 412

    async def test_invalid_draft_is_kept_but_not_published(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        admin = h(settings, world, Role.NETWORK_ADMIN)
        bad = no_csags()
        bad["no_authorization"] = [{"hcpcs": "Z9999"}]
        bad["csags"] = [
            {
                "id": "x",
                "name": "X",
                "diagnosis_prefixes": ["80G"],
                "items": [{"hcpcs": "L1960", "max_units_per_month": 1, "max_period_days": 90}],
            }
        ]
        r = await save_draft(client, base(world), admin, bad)
        assert r.status_code == 200
        r = await client.post(f"{base(world)}/ruleset/draft/validate", headers=admin)
        fields = {e["field"] for e in r.json()["errors"]}
        assert r.json()["valid"] is False
        assert {"no_authorization[0]", "csags[0].diagnosis_prefixes[0]"} <= fields
        r = await publish_draft(client, base(world), admin)
        assert r.status_code == 409
        assert r.json()["code"] == "ruleset.draft_invalid"
        r = await client.get(f"{base(world)}/ruleset/versions", headers=admin)
        assert r.json()["items"] == []

    async def test_shape_errors_name_the_field(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        admin = h(settings, world, Role.NETWORK_ADMIN)
        await save_draft(client, base(world), admin, {"durations": {"default_days": "ninety"}})
        r = await client.post(f"{base(world)}/ruleset/draft/validate", headers=admin)
        assert "durations.default_days" in {e["field"] for e in r.json()["errors"]}


class TestRoles:
    @pytest.mark.parametrize("role", [Role.REVIEWER, Role.MEDICAL_DIRECTOR, Role.CARE_COORDINATOR])
    async def test_other_network_staff_cannot_change_rules(
        self, client: httpx.AsyncClient, world: World, settings: Settings, role: Role
    ) -> None:
        r = await client.put(
            f"{base(world)}/ruleset/draft", json={"document": {}}, headers=h(settings, world, role)
        )
        assert r.status_code == 403
        r = await client.post(f"{base(world)}/ruleset/publish", headers=h(settings, world, role))
        assert r.status_code == 403

    async def test_vendors_cannot_read_rulesets(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, no_csags())
        r = await client.get(f"{base(world)}/ruleset", headers=h(settings, world, Role.VENDOR))
        assert r.status_code == 403

    async def test_another_networks_admin_gets_404(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, no_csags())
        other = h(settings, world, Role.NETWORK_ADMIN, world.network_b)
        for method, path in [
            ("GET", "/ruleset"),
            ("GET", "/ruleset/versions"),
            ("PUT", "/ruleset/draft"),
            ("POST", "/ruleset/publish"),
            ("GET", "/csag-assignments"),
        ]:
            r = await client.request(
                method,
                f"{base(world)}{path}",
                headers=other,
                json={"document": {}} if method == "PUT" else None,
            )
            assert r.status_code == 404, (method, path, r.text)

    async def test_plan_admin_reads(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, no_csags())
        r = await client.get(f"{base(world)}/ruleset", headers=h(settings, world, Role.PLAN_ADMIN))
        assert r.status_code == 200


class TestCsagAssignments:
    async def test_assignment_unlocks_a_csag_that_requires_it(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, choc_like())
        start = NOW.date() + timedelta(days=1)
        trach = request_body(
            world,
            diagnoses=["Z93.0"],
            lines=[
                {
                    "hcpcs": "A7520",
                    "quantity": 2,
                    "frequency": "monthly",
                    "start_date": start.isoformat(),
                    "end_date": (start + timedelta(days=89)).isoformat(),
                }
            ],
        )
        vendor = h(settings, world, Role.VENDOR)
        r = await client.post("/v1/coverage-checks", json=trach, headers=vendor)
        assert r.json()["lines"][0]["reasons"][0]["code"] == "csag_assignment_required"

        admin = h(settings, world, Role.NETWORK_ADMIN)
        r = await client.post(
            f"{base(world)}/csag-assignments",
            headers=admin,
            json={
                "member_cin": world.member.cin,
                "csag_id": "trach-care",
                "effective_from": NOW.date().isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        assignment = r.json()
        assert assignment["assigned_by"] == "user:test-network_admin"

        r = await client.post("/v1/coverage-checks", json=trach, headers=vendor)
        assert r.json()["lines"][0]["would_be_approved"] is True

        r = await client.get(
            f"{base(world)}/csag-assignments?member_cin={world.member.cin}",
            headers=h(settings, world, Role.REVIEWER),
        )
        assert [a["id"] for a in r.json()["items"]] == [assignment["id"]]

        r = await client.post(
            f"{base(world)}/csag-assignments/{assignment['id']}/end",
            headers=admin,
            json={"effective_to": NOW.date().isoformat()},
        )
        assert r.status_code == 200
        assert r.json()["ended_by"] == "user:test-network_admin"
        r = await client.post("/v1/coverage-checks", json=trach, headers=vendor)
        assert r.json()["lines"][0]["would_be_approved"] is False
        r = await client.post(
            f"{base(world)}/csag-assignments/{assignment['id']}/end",
            headers=admin,
            json={"effective_to": NOW.date().isoformat()},
        )
        assert r.status_code == 409

    async def test_unknown_csag_and_member_are_422(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, choc_like())
        admin = h(settings, world, Role.NETWORK_ADMIN)
        r = await client.post(
            f"{base(world)}/csag-assignments",
            headers=admin,
            json={
                "member_cin": world.member.cin,
                "csag_id": "nope",
                "effective_from": NOW.date().isoformat(),
            },
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "csag_id"
        r = await client.post(
            f"{base(world)}/csag-assignments",
            headers=admin,
            json={
                "member_cin": "00000001Z",
                "csag_id": "trach-care",
                "effective_from": NOW.date().isoformat(),
            },
        )
        assert r.json()["errors"][0]["field"] == "member_cin"

    async def test_reviewer_cannot_assign(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        r = await client.post(
            f"{base(world)}/csag-assignments",
            headers=h(settings, world, Role.REVIEWER),
            json={
                "member_cin": world.member.cin,
                "csag_id": "trach-care",
                "effective_from": NOW.date().isoformat(),
            },
        )
        assert r.status_code == 403
