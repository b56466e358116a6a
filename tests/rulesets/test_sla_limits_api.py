"""SLA policies over the legal maximums are refused on validate and publish, citing the rule."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.networks.models import HealthPlan
from fixtures.drafts import publish_draft, save_draft
from fixtures.factories import World, auth_headers
from fixtures.rules import no_csags, publish


def base(world: World) -> str:
    return f"/v1/networks/{world.network_a.id}"


def with_sla(**sla: int) -> dict[str, Any]:
    doc = no_csags()
    doc["sla"] = {**doc["sla"], **sla}
    return doc


async def bind_by_hsc_1367_01(database: Database, world: World) -> None:
    async with unit_of_work(database) as s:
        plan = await s.get_one(HealthPlan, world.plan.id)
        plan.hsc_1367_01_applies = True


@pytest.fixture
def admin(settings: Settings, world: World) -> dict[str, str]:
    return auth_headers(settings, world.principal(Role.NETWORK_ADMIN))


async def check(
    client: httpx.AsyncClient, world: World, admin: dict[str, str], document: dict[str, Any]
) -> tuple[dict[str, Any], httpx.Response]:
    """Save the draft, validate it and try to publish it."""
    saved = await save_draft(client, base(world), admin, document)
    assert saved.status_code == 200, saved.text  # a draft is kept even when not lawful
    validated = await client.post(f"{base(world)}/ruleset/draft/validate", headers=admin)
    assert validated.status_code == 200, validated.text
    published = await publish_draft(client, base(world), admin)
    return validated.json(), published


def messages(report: dict[str, Any], field: str) -> list[str]:
    return [e["message"] for e in report["errors"] if e["field"] == field]


class TestRefused:
    @pytest.mark.parametrize("hours", [73, 200, 720, 721, 10_000])
    async def test_expedited_over_72_hours(
        self, client: httpx.AsyncClient, world: World, admin: dict[str, str], hours: int
    ) -> None:
        report, published = await check(client, world, admin, with_sla(expedited_hours=hours))

        assert report["valid"] is False
        [message] = messages(report, "sla.expedited_hours")
        assert "42 CFR 438.210(d)(2)" in message
        assert "72 hours" in message
        assert published.status_code == 409
        assert published.json()["code"] == "ruleset.draft_invalid"
        assert {
            "field": "sla.expedited_hours",
            "message": message,
            "code": None,
        } in published.json()["errors"]

    async def test_standard_over_7_calendar_days(
        self, client: httpx.AsyncClient, world: World, admin: dict[str, str]
    ) -> None:
        report, published = await check(client, world, admin, with_sla(standard_hours=169))

        [message] = messages(report, "sla.standard_hours")
        assert "42 CFR 438.210(d)(1)" in message
        assert "CMS-0057-F" in message
        assert published.status_code == 409

    async def test_standard_over_120_hours_only_where_hsc_1367_01_binds_the_plan(
        self,
        client: httpx.AsyncClient,
        world: World,
        admin: dict[str, str],
        database: Database,
    ) -> None:
        report, published = await check(client, world, admin, with_sla(standard_hours=121))
        assert report == {"valid": True, "errors": []}
        assert published.status_code == 201

        await bind_by_hsc_1367_01(database, world)
        report, published = await check(client, world, admin, with_sla(standard_hours=121))

        [message] = messages(report, "sla.standard_hours")
        assert "HSC 1367.01(h)(1)" in message
        assert "five business days" in message
        assert published.status_code == 409
        versions = await client.get(f"{base(world)}/ruleset/versions", headers=admin)
        assert [v["version"] for v in versions.json()["items"]] == [1]

    async def test_reported_with_the_shape_errors_of_other_sections(
        self, client: httpx.AsyncClient, world: World, admin: dict[str, str]
    ) -> None:
        doc = with_sla(expedited_hours=96)
        doc["durations"] = {**doc["durations"], "default_days": "ninety"}

        report, _ = await check(client, world, admin, doc)

        fields = {e["field"] for e in report["errors"]}
        assert {"durations.default_days", "sla.expedited_hours"} <= fields


class TestAccepted:
    @pytest.mark.parametrize(
        ("sla", "hsc"),
        [
            ({"expedited_hours": 72, "standard_hours": 168}, False),
            ({"expedited_hours": 24, "standard_hours": 120}, True),
            ({"expedited_hours": 1, "standard_hours": 1}, True),
        ],
    )
    async def test_within_the_limits(
        self,
        client: httpx.AsyncClient,
        world: World,
        admin: dict[str, str],
        database: Database,
        sla: dict[str, int],
        hsc: bool,
    ) -> None:
        if hsc:
            await bind_by_hsc_1367_01(database, world)

        report, published = await check(client, world, admin, with_sla(**sla))

        assert report == {"valid": True, "errors": []}
        assert published.status_code == 201, published.text
        assert published.json()["document"]["sla"] | sla == published.json()["document"]["sla"]

    async def test_a_version_published_before_the_limits_still_loads(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
    ) -> None:
        await bind_by_hsc_1367_01(database, world)
        await publish(database, world.network_a, with_sla(expedited_hours=200, standard_hours=240))
        reader = auth_headers(settings, world.principal(Role.REVIEWER))

        current = await client.get(f"{base(world)}/ruleset", headers=reader)
        one = await client.get(f"{base(world)}/ruleset/versions/1", headers=reader)

        assert current.status_code == 200, current.text
        assert current.json()["document"]["sla"]["expedited_hours"] == 200
        assert one.status_code == 200
