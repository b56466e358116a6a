"""Security headers: no caching of PHI or tokens, nosniff everywhere, HSTS and CSP in prod."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from dme_portal.api.security_headers import API_CSP, HSTS
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import ApiSettings, Settings
from dme_portal.db.engine import Database
from dme_portal.main import create_app
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import World, auth_headers, make_account

TOKEN_URL = "/v1/auth/token"


def _eligibility(world: World) -> str:
    return f"/v1/members/{world.member.cin}/eligibility?birth_date={world.member.birth_date}"


def _assert_not_stored(r: httpx.Response) -> None:
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Pragma"] == "no-cache"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"


class TestEveryApiResponseIsNeverStored:
    async def test_a_member_read_is_not_stored(
        self, raw_client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        headers = auth_headers(settings, world.principal(Role.VENDOR))
        r = await raw_client.get(_eligibility(world), headers=headers)
        assert r.status_code == 200
        _assert_not_stored(r)

    async def test_the_token_response_is_not_stored(
        self, raw_client: httpx.AsyncClient, world: World, database: Database
    ) -> None:
        # RFC 6749 §5.1: Cache-Control: no-store and Pragma: no-cache.
        client_id, secret = await make_account(
            database,
            role=Role.VENDOR_CLIENT,
            org_kind=OrgKind.VENDOR,
            org_id=world.vendor.id,
            machine=True,
        )
        r = await raw_client.post(
            TOKEN_URL,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert r.status_code == 200
        assert "access_token" in r.json()
        _assert_not_stored(r)

    async def test_problems_and_reference_data_are_not_stored_either(
        self, raw_client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        # Default-deny: code search and the network list are authenticated, so not cached.
        headers = auth_headers(settings, world.principal(Role.VENDOR))
        for r in (
            await raw_client.get("/v1/networks", headers=headers),
            await raw_client.get("/v1/codes/hcpcs?q=E0570", headers=headers),
            await raw_client.get(_eligibility(world)),  # 401
            await raw_client.get("/v1/no-such-thing", headers=headers),  # 404
            await raw_client.get("/healthz"),
        ):
            _assert_not_stored(r)

    async def test_static_docs_assets_may_be_cached(self, raw_client: httpx.AsyncClient) -> None:
        r = await raw_client.get("/docs/assets/swagger-ui.css")
        assert r.status_code == 200
        assert "no-store" not in r.headers.get("Cache-Control", "")
        assert r.headers["X-Content-Type-Options"] == "nosniff"

    async def test_dev_sends_no_hsts_and_no_api_csp(self, raw_client: httpx.AsyncClient) -> None:
        r = await raw_client.get("/healthz")
        assert "Strict-Transport-Security" not in r.headers
        assert "Content-Security-Policy" not in r.headers


def _prod(settings: Settings, *, docs: bool | None = None) -> Settings:
    # model_copy skips validation: the app is given its database, whatever the URL says.
    return settings.model_copy(update={"env": "prod", "api": ApiSettings(docs=docs)})


@pytest.fixture
async def prod_client(
    settings: Settings, clock: FrozenClock, database: Database
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(_prod(settings), clock=clock, database=database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://t") as c:
        yield c


class TestProduction:
    async def test_hsts_and_a_strict_csp_on_api_responses(
        self, prod_client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        headers = auth_headers(settings, world.principal(Role.VENDOR))
        for r in (
            await prod_client.get(_eligibility(world), headers=headers),
            await prod_client.get(_eligibility(world)),
            await prod_client.get("/healthz"),
        ):
            assert r.headers["Strict-Transport-Security"] == HSTS
            assert r.headers["Content-Security-Policy"] == API_CSP
            _assert_not_stored(r)

    async def test_the_docs_are_off_by_default(self, prod_client: httpx.AsyncClient) -> None:
        for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
            r = await prod_client.get(path)
            assert r.status_code == 404, path
            assert r.headers["content-type"].startswith("application/problem+json")
        assert (await prod_client.get("/docs/assets/swagger-ui.css")).status_code == 404

    async def test_the_openapi_document_is_still_built_for_the_cli(
        self, settings: Settings, database: Database
    ) -> None:
        app: FastAPI = create_app(_prod(settings), database=database)
        assert "/v1/auth/token" in app.openapi()["paths"]


INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
SRC_SCRIPT = re.compile(r'<script src="([^"]+)"')


class TestDocsPagesCsp:
    @pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect"])
    async def test_a_docs_page_may_run_only_its_own_scripts(
        self, settings: Settings, clock: FrozenClock, database: Database, page: str
    ) -> None:
        app = create_app(_prod(settings, docs=True), clock=clock, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://t") as c:
            r = await c.get(page)
            assert (await c.get("/openapi.json")).status_code == 200

        assert r.status_code == 200
        csp = dict(
            [*d.split(" ", 1), ""][:2] for d in r.headers["Content-Security-Policy"].split("; ")
        )
        assert csp["default-src"] == "'none'"
        assert csp["frame-ancestors"] == "'none'"
        assert "'unsafe-inline'" not in csp["script-src"]
        assert "'unsafe-eval'" not in csp["script-src"]
        sources = csp["script-src"].split()
        # Every inline script is allowed by its hash; script files come from the hub itself.
        for script in INLINE_SCRIPT.findall(r.text):
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in sources
        for url in SRC_SCRIPT.findall(r.text):
            assert url.startswith("/docs/assets/")
            assert "'self'" in sources
        # The pages fetch the OpenAPI document (and Swagger UI the token) from the hub.
        assert csp["connect-src"] == "'self'"
        assert r.headers["Strict-Transport-Security"] == HSTS
