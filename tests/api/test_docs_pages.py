"""/docs and /redoc work offline, and Swagger UI's Authorize button gets a token."""

from __future__ import annotations

import base64
import re

import httpx
import pytest

from dme_portal.auth.roles import OrgKind, Role
from dme_portal.db.engine import Database
from fixtures.factories import World, make_account

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+""")
ASSET_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


class TestPagesServeTheirOwnAssets:
    @pytest.mark.parametrize(
        ("page", "needed"),
        [
            ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css"}),
            ("/redoc", {"redoc.standalone.js"}),
        ],
    )
    async def test_the_page_names_only_local_assets_and_they_load(
        self, raw_client: httpx.AsyncClient, page: str, needed: set[str]
    ) -> None:
        r = await raw_client.get(page)

        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        # No CDN, no Google Fonts: nothing outside the hub at all.
        assert ABSOLUTE_URL.findall(r.text) == []
        assets = ASSET.findall(r.text)
        assert needed <= {a.rsplit("/", 1)[-1] for a in assets}
        assert "/openapi.json" in r.text
        for url in assets:
            assert url.startswith("/docs/assets/"), url
            loaded = await raw_client.get(url)
            assert loaded.status_code == 200, url
            kind = ASSET_TYPES[url[url.rindex(".") :]]
            assert kind in loaded.headers["content-type"], (url, loaded.headers["content-type"])
            assert len(loaded.content) > 1000

    async def test_swagger_ui_is_told_the_oauth2_redirect_page(
        self, raw_client: httpx.AsyncClient
    ) -> None:
        page = (await raw_client.get("/docs")).text
        redirect = await raw_client.get("/docs/oauth2-redirect")

        assert "/docs/oauth2-redirect" in page
        assert redirect.status_code == 200
        assert "oauth2" in redirect.text
        assert ABSOLUTE_URL.findall(redirect.text) == []

    async def test_the_pages_are_not_operations_of_the_api(
        self, raw_client: httpx.AsyncClient
    ) -> None:
        paths = (await raw_client.get("/openapi.json")).json()["paths"]

        assert not [p for p in paths if p.startswith(("/docs", "/redoc"))]


def _swagger_ui_basic(client_id: str, secret: str) -> dict[str, str]:
    # Swagger UI: "Basic " + btoa(clientId + ":" + clientSecret), empty strings included.
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


SWAGGER_UI_HEADERS = {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"}


class TestSwaggerUiAuthorize:
    """The token requests Swagger UI 5 sends for the document's two OAuth2 flows."""

    async def _works(self, client: httpx.AsyncClient, r: httpx.Response) -> None:
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "Bearer"
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert (await client.get("/v1/networks", headers=headers)).status_code == 200

    @pytest.mark.parametrize(
        "client_location",
        ["basic-without-client", "basic-with-client", "request-body-without-client"],
    )
    async def test_password_flow(
        self,
        raw_client: httpx.AsyncClient,
        world: World,
        database: Database,
        client_location: str,
    ) -> None:
        username, password = await make_account(
            database,
            role=Role.VENDOR,
            org_kind=OrgKind.VENDOR,
            org_id=world.vendor.id,
            machine=False,
        )
        form = {"grant_type": "password", "scope": "", "username": username, "password": password}
        headers = dict(SWAGGER_UI_HEADERS)
        if client_location == "basic-without-client":  # the default: "Authorization header"
            headers |= _swagger_ui_basic("", "")
        elif client_location == "basic-with-client":
            headers |= _swagger_ui_basic("swagger-ui", "anything")

        r = await raw_client.post("/v1/auth/token", data=form, headers=headers)

        await self._works(raw_client, r)

    async def test_client_credentials_flow(
        self, raw_client: httpx.AsyncClient, world: World, database: Database
    ) -> None:
        client_id, secret = await make_account(
            database,
            role=Role.VENDOR_CLIENT,
            org_kind=OrgKind.VENDOR,
            org_id=world.vendor.id,
            machine=True,
        )

        r = await raw_client.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials", "scope": ""},
            headers=SWAGGER_UI_HEADERS | _swagger_ui_basic(client_id, secret),
        )

        await self._works(raw_client, r)
