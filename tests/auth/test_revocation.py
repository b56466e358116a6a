"""Tokens that can be withdrawn: 15-minute lifetime, RFC 7009 revocation, deactivation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from jose import jwt
from pydantic import ValidationError
from sqlalchemy import select, update

from dme_portal import cli
from dme_portal.auth.models import AppUser, RevokedToken
from dme_portal.auth.revocation import RevocationCache
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import AuthSettings, Settings, get_settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW, World, assert_problem, auth_headers, make_account

TOKEN_URL = "/v1/auth/token"
REVOKE_URL = "/v1/auth/revoke"


async def person(database: Database, world: World) -> tuple[str, str]:
    return await make_account(
        database, role=Role.VENDOR, org_kind=OrgKind.VENDOR, org_id=world.vendor.id, machine=False
    )


async def machine(database: Database, world: World) -> tuple[str, str]:
    return await make_account(
        database,
        role=Role.VENDOR_CLIENT,
        org_kind=OrgKind.VENDOR,
        org_id=world.vendor.id,
        machine=True,
    )


async def login(client: httpx.AsyncClient, username: str, password: str) -> str:
    r = await client.post(
        TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
    )
    assert r.status_code == 200, r.text
    access: str = r.json()["access_token"]
    return access


async def client_token(client: httpx.AsyncClient, client_id: str, secret: str) -> str:
    r = await client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert r.status_code == 200, r.text
    access: str = r.json()["access_token"]
    return access


def bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


async def assert_works(client: httpx.AsyncClient, access: str) -> None:
    r = await client.get("/v1/networks", headers=bearer(access))
    assert r.status_code == 200, r.text


async def assert_withdrawn(client: httpx.AsyncClient, access: str) -> None:
    r = await client.get("/v1/networks", headers=bearer(access))
    assert_problem(r, 401, code="auth.invalid_token")
    challenge = r.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge


def assert_empty_200(r: httpx.Response) -> None:
    assert r.status_code == 200, r.text
    assert r.content == b""
    assert r.headers["Cache-Control"] == "no-store"


class TestLifetime:
    async def test_tokens_live_at_most_fifteen_minutes(
        self, client: httpx.AsyncClient, database: Database, world: World, settings: Settings
    ) -> None:
        username, password = await person(database, world)
        r = await client.post(
            TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
        )
        assert r.status_code == 200
        assert r.json()["expires_in"] <= 900
        assert r.headers["Cache-Control"] == "no-store"
        claims: dict[str, Any] = jwt.get_unverified_claims(r.json()["access_token"])
        assert claims["exp"] - claims["iat"] <= 900
        assert claims["jti"]

    def test_longer_lifetimes_are_refused_by_the_settings(self) -> None:
        assert AuthSettings().access_token_minutes == 15
        with pytest.raises(ValidationError, match="access_token_minutes"):
            AuthSettings(access_token_minutes=16)


class TestRevoke:
    async def test_a_caller_revokes_its_own_token_by_sending_it(
        self, client: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        username, password = await person(database, world)
        access = await login(client, username, password)
        other = await login(client, username, password)
        await assert_works(client, access)

        assert_empty_200(await client.post(REVOKE_URL, data={"token": access}))

        await assert_withdrawn(client, access)
        await assert_works(client, other)  # one token, not the account
        # Revoking again is harmless.
        assert_empty_200(
            await client.post(REVOKE_URL, data={"token": access, "token_type_hint": "access_token"})
        )

    async def test_with_a_bearer_token_of_the_same_subject(
        self, client: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        username, password = await person(database, world)
        first, second = (
            await login(client, username, password),
            await login(client, username, password),
        )
        r = await client.post(REVOKE_URL, data={"token": first}, headers=bearer(second))
        assert_empty_200(r)
        await assert_withdrawn(client, first)
        await assert_works(client, second)

    async def test_another_subjects_token_is_refused_and_still_works(
        self, client: httpx.AsyncClient, database: Database, world: World, settings: Settings
    ) -> None:
        username, password = await person(database, world)
        victim = await login(client, username, password)
        intruder = auth_headers(settings, world.principal(Role.VENDOR))
        r = await client.post(REVOKE_URL, data={"token": victim}, headers=intruder)
        assert assert_problem(r, 400, code="oauth.unauthorized_client")["error"] == (
            "unauthorized_client"
        )
        await assert_works(client, victim)

    async def test_a_machine_client_revokes_with_its_basic_credentials(
        self, client: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        client_id, secret = await machine(database, world)
        access = await client_token(client, client_id, secret)

        wrong = await client.post(
            REVOKE_URL, data={"token": access}, auth=(client_id, "not-the-secret")
        )
        assert assert_problem(wrong, 401, code="oauth.invalid_client")["error"] == "invalid_client"
        await assert_works(client, access)

        assert_empty_200(
            await client.post(REVOKE_URL, data={"token": access}, auth=(client_id, secret))
        )
        await assert_withdrawn(client, access)

    @pytest.mark.parametrize(
        "token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.e30."], ids=["junk", "dots", "none"]
    )
    async def test_an_unknown_or_invalid_token_gets_200_all_the_same(
        self, client: httpx.AsyncClient, token: str
    ) -> None:
        assert_empty_200(await client.post(REVOKE_URL, data={"token": token}))

    async def test_an_expired_token_gets_200_and_stores_nothing(
        self,
        client: httpx.AsyncClient,
        database: Database,
        world: World,
        settings: Settings,
        clock: FrozenClock,
    ) -> None:
        old = auth_headers(settings, world.principal(Role.VENDOR))["Authorization"][7:]
        jti = jwt.get_unverified_claims(old)["jti"]
        clock.advance(timedelta(hours=1))

        assert_empty_200(await client.post(REVOKE_URL, data={"token": old}))

        async with unit_of_work(database) as s:
            assert (await s.scalar(select(RevokedToken).where(RevokedToken.jti == jti))) is None

    async def test_without_a_token_is_400_invalid_request(self, client: httpx.AsyncClient) -> None:
        r = await client.post(REVOKE_URL, data={"token_type_hint": "access_token"})
        assert assert_problem(r, 400, code="oauth.invalid_request")["error"] == "invalid_request"

    async def test_revocations_are_purged_once_their_tokens_have_expired(
        self, client: httpx.AsyncClient, database: Database, world: World, clock: FrozenClock
    ) -> None:
        username, password = await person(database, world)
        first = await login(client, username, password)
        assert_empty_200(await client.post(REVOKE_URL, data={"token": first}))
        first_jti = jwt.get_unverified_claims(first)["jti"]
        async with unit_of_work(database) as s:
            assert await s.scalar(select(RevokedToken).where(RevokedToken.jti == first_jti))

        clock.advance(timedelta(minutes=16))  # the first token expired (15 min + leeway)
        second = await login(client, username, password)
        assert_empty_200(await client.post(REVOKE_URL, data={"token": second}))

        async with unit_of_work(database) as s:
            assert await s.scalar(select(RevokedToken).where(RevokedToken.jti == first_jti)) is None
        await assert_withdrawn(client, second)


class TestDeactivation:
    @pytest.fixture
    def cli_settings(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        """The CLI reads its database from the environment, as in production."""
        monkeypatch.setenv("DME_DB__URL", settings.db.url)
        monkeypatch.setenv("DME_AUTH__SECRET_KEY", settings.auth.secret_key)
        get_settings.cache_clear()
        yield
        get_settings.cache_clear()

    async def test_deactivating_a_user_withdraws_its_tokens_at_once(
        self,
        client: httpx.AsyncClient,
        database: Database,
        world: World,
        cli_settings: None,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        username, password = await person(database, world)
        access = await login(client, username, password)
        await assert_works(client, access)

        await cli.set_account_active("user", username, active=False)

        await assert_withdrawn(client, access)
        r = await client.post(
            TOKEN_URL, data={"grant_type": "password", "username": username, "password": password}
        )
        assert_problem(r, 400, code="oauth.invalid_grant")

        await cli.set_account_active("user", username, active=True)
        await assert_works(client, access)
        await assert_works(client, await login(client, username, password))

    async def test_deactivating_a_client_withdraws_its_tokens_at_once(
        self, client: httpx.AsyncClient, database: Database, world: World, cli_settings: None
    ) -> None:
        client_id, secret = await machine(database, world)
        access = await client_token(client, client_id, secret)

        await cli.set_account_active("client", client_id, active=False)

        await assert_withdrawn(client, access)
        r = await client.post(
            TOKEN_URL, data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        assert_problem(r, 401, code="oauth.invalid_client")

    def test_the_cli_commands(self, cli_settings: None, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli.main(["deactivate-user", "no-such-user-anywhere"]) == 2
        assert "no user named" in capsys.readouterr().err


class TestCache:
    async def test_a_change_made_elsewhere_is_loaded_from_the_database(
        self, database: Database, world: World
    ) -> None:
        """What another process wrote reaches this one at its next refresh (bounded delay)."""
        username, _ = await person(database, world)
        async with unit_of_work(database) as s:  # as another process would: no cache update
            await s.execute(
                update(AppUser).where(AppUser.username == username).values(active=False)
            )

        cache = RevocationCache(refresh_seconds=2)
        assert cache.needs_refresh()
        await cache.refresh(database, now=NOW)

        assert cache.is_withdrawn(subject=f"user:{username}", jti=None)
        assert not cache.is_withdrawn(subject="user:someone-else", jti="unknown")
        assert not cache.needs_refresh()
