"""The demo seed loads into an empty database and its accounts can sign in."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import AuthSettings, DatabaseSettings, Settings
from dme_portal.db import migrate
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.demo import seed
from dme_portal.errors import InvalidInput
from dme_portal.main import create_app
from dme_portal.members.models import Member
from dme_portal.networks.models import Network


async def test_seed_loads_and_accounts_sign_in(empty_database: Database) -> None:
    await migrate.upgrade(empty_database.engine)
    async with unit_of_work(empty_database) as s:
        assert not await seed.already_seeded(s)
        # The 90 days of requests are tested in test_activity.py (seeded there, twice).
        credentials = await seed.seed_demo(s, today=date(2026, 11, 2), activity=False)
    async with unit_of_work(empty_database) as s:
        assert await seed.already_seeded(s)
        assert await s.scalar(select(func.count()).select_from(Network)) >= 6
        assert await s.scalar(select(func.count()).select_from(Member)) >= 200
        kind, _ = await seed.resolve_org(s, role=Role.REVIEWER, org="choc")
        assert kind is OrgKind.NETWORK
        with pytest.raises(InvalidInput):
            await seed.resolve_org(s, role=Role.VENDOR, org="choc")

    line = next(x for x in credentials.splitlines() if x.startswith("user    reviewer.choc "))
    password = line.rsplit("password=", 1)[1]
    settings = Settings(
        env="test",
        db=DatabaseSettings(url=str(empty_database.engine.url.render_as_string(False))),
        auth=AuthSettings(secret_key="s" * 40),
    )
    app = create_app(settings, database=empty_database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        r = await client.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": "reviewer.choc", "password": password},
        )
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        r = await client.get("/v1/networks", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        assert "CHOC Health Alliance" in {n["name"] for n in r.json()["items"]}
