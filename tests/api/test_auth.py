"""Access tokens: what the API refuses, and the token endpoint's two grants."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from jose import jwt

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import (
    NOW,
    REQUESTS_URL,
    World,
    assert_problem,
    auth_headers,
    make_account,
    request_body,
    token,
)

TOKEN_URL = "/v1/auth/token"


def b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims_for(settings: Settings, world: World, **overrides: Any) -> dict[str, Any]:
    """The claims the hub would issue to world.vendor's person at NOW, with overrides."""
    claims: dict[str, Any] = {
        "sub": "user:test-vendor",
        "role": "vendor",
        "org_kind": "vendor",
        "org": str(world.vendor.id),
        "iss": settings.auth.issuer,
        "aud": settings.auth.audience,
        "iat": int(NOW.timestamp()),
        "nbf": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(
    settings: Settings, claims: dict[str, Any], *, key: str | None = None, alg: str = "HS256"
) -> str:
    encoded: str = jwt.encode(claims, key or settings.auth.secret_key, algorithm=alg)
    return encoded


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


async def assert_refused(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    r = await client.get("/v1/networks", headers=headers)
    problem = assert_problem(r, 401)
    assert problem["detail"]
    if problem["code"] == "auth.invalid_token":
        # RFC 6750 section 3: a token was sent and cannot be used; the header says why.
        assert r.headers["WWW-Authenticate"] == (
            'Bearer realm="dme-portal", error="invalid_token", '
            f'error_description="{problem["detail"]}"'
        )
    else:
        # No bearer token at all: no error code (RFC 6750 section 3.1).
        assert problem["code"] == "auth.unauthorized"
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="dme-portal"'


PROTECTED = [
    ("GET", "/v1/networks"),
    ("GET", REQUESTS_URL),
    ("POST", REQUESTS_URL),
    ("GET", f"{REQUESTS_URL}/{uuid.UUID(int=1)}"),
    ("GET", f"{REQUESTS_URL}/{uuid.UUID(int=1)}/events"),
    ("POST", f"{REQUESTS_URL}/{uuid.UUID(int=1)}/cancel"),
    ("GET", "/v1/members/12345678A/eligibility"),
]


class TestMissingOrMalformedToken:
    @pytest.mark.parametrize(("method", "path"), PROTECTED)
    async def test_no_token_is_401_with_www_authenticate(
        self, client: httpx.AsyncClient, world: World, method: str, path: str
    ) -> None:
        r = await client.request(
            method, path, json=request_body(world) if method == "POST" else None
        )

        assert_problem(r, 401, code="auth.unauthorized")
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="dme-portal"'

    async def test_a_refused_submit_stores_nothing(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        r = await client.post(REQUESTS_URL, json=request_body(world), headers=bearer("nope"))

        assert_problem(r, 401)
        owner = auth_headers(settings, world.principal(Role.VENDOR))
        assert (await client.get(REQUESTS_URL, headers=owner)).json()["items"] == []

    @pytest.mark.parametrize(
        "value", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9..", "x" * 500]
    )
    async def test_garbage_token_is_401(self, client: httpx.AsyncClient, value: str) -> None:
        await assert_refused(client, bearer(value))

    async def test_another_scheme_is_401(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        valid = token(settings, world.principal(Role.VENDOR))

        await assert_refused(client, {"Authorization": f"Basic {valid}"})
        await assert_refused(client, {"Authorization": valid})


class TestSignatureAndAlgorithm:
    async def test_a_well_made_token_works(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        r = await client.get(
            "/v1/networks", headers=bearer(sign(settings, claims_for(settings, world)))
        )

        assert r.status_code == 200, r.text

    async def test_signed_with_another_key_is_401(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        forged = sign(settings, claims_for(settings, world), key="another-key-" + "y" * 40)

        await assert_refused(client, bearer(forged))

    @pytest.mark.parametrize("alg", ["none", "None", "NONE"])
    async def test_alg_none_is_401(
        self, client: httpx.AsyncClient, world: World, settings: Settings, alg: str
    ) -> None:
        claims = claims_for(
            settings, world, role="plan_admin", org_kind="plan", org=str(world.plan.id)
        )
        unsigned = f"{b64url({'alg': alg, 'typ': 'JWT'})}.{b64url(claims)}."

        await assert_refused(client, bearer(unsigned))

    async def test_alg_none_with_the_old_signature_is_401(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        _, payload, signature = sign(settings, claims_for(settings, world)).split(".")

        await assert_refused(client, bearer(f"{b64url({'alg': 'none'})}.{payload}.{signature}"))

    @pytest.mark.parametrize("alg", ["HS384", "HS512"])
    async def test_another_hmac_algorithm_is_401(
        self, client: httpx.AsyncClient, world: World, settings: Settings, alg: str
    ) -> None:
        assert settings.auth.algorithm == "HS256"

        await assert_refused(client, bearer(sign(settings, claims_for(settings, world), alg=alg)))

    async def test_a_tampered_payload_is_401(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        header, _, signature = sign(settings, claims_for(settings, world)).split(".")
        elevated = claims_for(
            settings, world, role="plan_admin", org_kind="plan", org=str(world.plan.id)
        )

        await assert_refused(client, bearer(f"{header}.{b64url(elevated)}.{signature}"))


class TestTimeClaims:
    async def test_issued_far_in_the_past_is_401(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        old = token(settings, world.principal(Role.VENDOR), now=NOW - timedelta(days=30))

        await assert_refused(client, bearer(old))

    @pytest.mark.parametrize(
        ("issued_seconds_ago", "accepted"),
        [(900 - 1, True), (900 + 29, True), (900 + 31, False)],
        ids=["last-second", "within-30s-leeway", "past-leeway"],
    )
    async def test_expiry_at_the_edge(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        issued_seconds_ago: int,
        accepted: bool,
    ) -> None:
        issued = NOW - timedelta(seconds=issued_seconds_ago)
        headers = bearer(token(settings, world.principal(Role.VENDOR), now=issued))

        if accepted:
            assert (await client.get("/v1/networks", headers=headers)).status_code == 200
        else:
            await assert_refused(client, headers)

    async def test_expiry_follows_the_hubs_clock(
        self, client: httpx.AsyncClient, world: World, settings: Settings, clock: FrozenClock
    ) -> None:
        headers = auth_headers(settings, world.principal(Role.VENDOR))
        assert (await client.get("/v1/networks", headers=headers)).status_code == 200

        clock.advance(timedelta(minutes=16))

        await assert_refused(client, headers)

    async def test_not_yet_valid_is_401(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        future = token(settings, world.principal(Role.VENDOR), now=NOW + timedelta(minutes=10))

        await assert_refused(client, bearer(future))

    @pytest.mark.parametrize("claim", ["exp", "sub"])
    async def test_a_missing_claim_is_401(
        self, client: httpx.AsyncClient, world: World, settings: Settings, claim: str
    ) -> None:
        claims = claims_for(settings, world)
        del claims[claim]

        await assert_refused(client, bearer(sign(settings, claims)))

    async def test_a_non_numeric_exp_is_401(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        claims = claims_for(settings, world, exp="tomorrow")

        await assert_refused(client, bearer(sign(settings, claims)))


class TestIssuerAndAudience:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"iss": "urn:someone-else"},
            {"aud": "another-api"},
            {"aud": ["another-api"]},
            {"iss": None},
            {"aud": None},
        ],
        ids=["wrong-issuer", "wrong-audience", "wrong-audience-list", "no-issuer", "no-audience"],
    )
    async def test_is_401(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        overrides: dict[str, Any],
    ) -> None:
        await assert_refused(
            client, bearer(sign(settings, claims_for(settings, world, **overrides)))
        )

    async def test_an_audience_list_that_includes_ours_is_accepted(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        claims = claims_for(settings, world, aud=["another-api", settings.auth.audience])

        r = await client.get("/v1/networks", headers=bearer(sign(settings, claims)))

        assert r.status_code == 200, r.text


class TestRoleAndOrganisation:
    @pytest.mark.parametrize(
        ("role", "kind"),
        [
            (Role.VENDOR, OrgKind.NETWORK),
            (Role.VENDOR_CLIENT, OrgKind.PLAN),
            (Role.REVIEWER, OrgKind.VENDOR),
            (Role.PLAN_ADMIN, OrgKind.NETWORK),
        ],
    )
    async def test_a_role_that_does_not_fit_its_org_is_401(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        role: Role,
        kind: OrgKind,
    ) -> None:
        odd = Principal(subject="user:odd", role=role, org_kind=kind, org_id=world.network_a.id)

        await assert_refused(client, bearer(token(settings, odd)))

    @pytest.mark.parametrize(
        "overrides",
        [{"role": "superuser"}, {"org_kind": "galaxy"}, {"org": "network-a"}, {"role": None}],
        ids=["unknown-role", "unknown-org-kind", "org-not-uuid", "no-role"],
    )
    async def test_unreadable_role_or_org_is_401(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        overrides: dict[str, Any],
    ) -> None:
        await assert_refused(
            client, bearer(sign(settings, claims_for(settings, world, **overrides)))
        )


def unverified(access_token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.get_unverified_claims(access_token)
    return claims


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


class TestPasswordGrant:
    async def test_a_person_gets_a_token_that_works(
        self, client: httpx.AsyncClient, world: World, database: Database
    ) -> None:
        name, password = await make_account(
            database,
            role=Role.VENDOR,
            org_kind=OrgKind.VENDOR,
            org_id=world.vendor.id,
            machine=False,
        )

        r = await client.post(
            TOKEN_URL, data={"grant_type": "password", "username": name, "password": password}
        )

        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 900
        claims = unverified(body["access_token"])
        assert (claims["sub"], claims["role"], claims["org_kind"]) == (
            f"user:{name}",
            "vendor",
            "vendor",
        )
        assert claims["org"] == str(world.vendor.id)
        assert claims["exp"] - claims["iat"] == 900
        assert claims["iat"] == int(NOW.timestamp())
        headers = bearer(body["access_token"])
        networks = await client.get("/v1/networks", headers=headers)
        assert networks.status_code == 200
        submitted = await client.post(REQUESTS_URL, json=request_body(world), headers=headers)
        assert submitted.status_code == 201, submitted.text
        events = await client.get(f"{submitted.headers['Location']}/events", headers=headers)
        assert events.json()["items"][0]["actor_id"] == f"user:{name}"

    async def test_wrong_password_or_unknown_user_is_400_invalid_grant(
        self, client: httpx.AsyncClient, world: World, database: Database
    ) -> None:
        name, password = await make_account(
            database,
            role=Role.REVIEWER,
            org_kind=OrgKind.NETWORK,
            org_id=world.network_a.id,
            machine=False,
        )

        wrong = await client.post(
            TOKEN_URL, data={"grant_type": "password", "username": name, "password": password + "x"}
        )
        unknown = await client.post(
            TOKEN_URL,
            data={"grant_type": "password", "username": f"no-{name}", "password": password},
        )

        for r in (wrong, unknown):
            problem = assert_problem(r, 400, code="oauth.invalid_grant")
            assert problem["error"] == "invalid_grant"
            assert "access_token" not in problem
        assert wrong.json()["detail"] == unknown.json()["detail"]  # existence does not leak

    async def test_missing_password_is_400_invalid_request(self, client: httpx.AsyncClient) -> None:
        r = await client.post(TOKEN_URL, data={"grant_type": "password", "username": "someone"})

        assert assert_problem(r, 400, code="oauth.invalid_request")["error"] == "invalid_request"

    async def test_a_machine_client_cannot_use_the_password_grant(
        self, client: httpx.AsyncClient, world: World, database: Database
    ) -> None:
        client_id, secret = await make_account(
            database,
            role=Role.VENDOR_CLIENT,
            org_kind=OrgKind.VENDOR,
            org_id=world.vendor.id,
            machine=True,
        )

        r = await client.post(
            TOKEN_URL, data={"grant_type": "password", "username": client_id, "password": secret}
        )

        assert assert_problem(r, 400)["error"] == "invalid_grant"

    async def test_a_user_with_a_machine_role_is_refused(
        self, client: httpx.AsyncClient, world: World, database: Database
    ) -> None:
        name, password = await make_account(
            database,
            role=Role.VENDOR_CLIENT,
            org_kind=OrgKind.VENDOR,
            org_id=world.vendor.id,
            machine=False,
        )

        r = await client.post(
            TOKEN_URL, data={"grant_type": "password", "username": name, "password": password}
        )

        problem = assert_problem(r, 400, code="oauth.unauthorized_client")
        assert problem["error"] == "unauthorized_client"


class TestClientCredentialsGrant:
    @pytest.fixture
    async def machine(self, world: World, database: Database) -> tuple[str, str]:
        return await make_account(
            database,
            role=Role.VENDOR_CLIENT,
            org_kind=OrgKind.VENDOR,
            org_id=world.vendor.id,
            machine=True,
        )

    async def _check_token(
        self, client: httpx.AsyncClient, r: httpx.Response, client_id: str, world: World
    ) -> None:
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 900
        claims = unverified(body["access_token"])
        assert (claims["sub"], claims["role"]) == (f"client:{client_id}", "vendor_client")
        assert claims["org"] == str(world.vendor.id)
        listed = await client.get(REQUESTS_URL, headers=bearer(body["access_token"]))
        assert listed.status_code == 200

    async def test_form_fields(
        self, client: httpx.AsyncClient, world: World, machine: tuple[str, str]
    ) -> None:
        client_id, secret = machine

        r = await client.post(
            TOKEN_URL,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )

        await self._check_token(client, r, client_id, world)

    async def test_http_basic(
        self, client: httpx.AsyncClient, world: World, machine: tuple[str, str]
    ) -> None:
        client_id, secret = machine

        r = await client.post(
            TOKEN_URL, data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
        )

        await self._check_token(client, r, client_id, world)

    async def test_wrong_secret_is_401_invalid_client(
        self, client: httpx.AsyncClient, machine: tuple[str, str]
    ) -> None:
        client_id, secret = machine

        form = await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": "x"},
        )
        header = await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers=basic(client_id, secret[:-1]),
        )

        for r in (form, header):
            problem = assert_problem(r, 401, code="oauth.invalid_client")
            assert problem["error"] == "invalid_client"
            assert r.headers["WWW-Authenticate"].startswith("Basic")

    async def test_unknown_or_missing_client_is_401(self, client: httpx.AsyncClient) -> None:
        unknown = await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
        )
        missing = await client.post(TOKEN_URL, data={"grant_type": "client_credentials"})
        bad_basic = await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic !!notbase64"},
        )

        for r in (unknown, missing, bad_basic):
            assert assert_problem(r, 401)["error"] == "invalid_client"

    async def test_a_person_cannot_use_client_credentials(
        self, client: httpx.AsyncClient, world: World, database: Database
    ) -> None:
        name, password = await make_account(
            database,
            role=Role.VENDOR,
            org_kind=OrgKind.VENDOR,
            org_id=world.vendor.id,
            machine=False,
        )

        r = await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials", "client_id": name, "client_secret": password},
        )

        assert assert_problem(r, 401)["error"] == "invalid_client"


class TestTokenEndpointRequests:
    @pytest.mark.parametrize(
        ("form", "error"),
        [
            ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
            ({"username": "a", "password": "b"}, "invalid_request"),
        ],
        ids=["unsupported", "missing"],
    )
    async def test_grant_type_errors_follow_rfc_6749(
        self, client: httpx.AsyncClient, form: dict[str, str], error: str
    ) -> None:
        r = await client.post(TOKEN_URL, data=form)

        assert assert_problem(r, 400)["error"] == error
