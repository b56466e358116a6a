"""The portal over ASGI (no browser): cookie flags, CSRF, error pages, no PHI in titles or
URLs, the access log, and static assets with caching headers."""

from __future__ import annotations

import re
import uuid
from http.cookies import SimpleCookie

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from dme_portal.audit.models import AccessLog, ResourceType
from dme_portal.auth.models import RevokedToken
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from fixtures.factories import World, make_world
from portal.flows import Account, csrf_token, expiring_request, open_request, vendor_account

PORTAL = "/portal"


@pytest.fixture
async def portal(app: FastAPI) -> httpx.AsyncClient:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c  # type: ignore[misc]


@pytest.fixture
async def account(database: Database, world: World) -> Account:
    return await vendor_account(database, world)


async def sign_in(portal: httpx.AsyncClient, account: Account) -> httpx.Response:
    page = await portal.get(f"{PORTAL}/sign-in")
    return await portal.post(
        f"{PORTAL}/sign-in",
        data={
            "username": account.username,
            "password": account.password,
            "csrf_token": csrf_token(page.text),
        },
    )


def _cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie headers by cookie name, as sent."""
    out = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0]
        out[name] = header
    return out


class TestSignIn:
    async def test_session_cookie_flags(self, portal: httpx.AsyncClient, account: Account) -> None:
        r = await sign_in(portal, account)
        assert r.status_code == 303
        assert r.headers["location"] == "/portal/"
        header = _cookies(r)["dme_session"]
        cookie = SimpleCookie()
        cookie.load(header)
        morsel = cookie["dme_session"]
        assert morsel["httponly"] is True
        assert morsel["samesite"] == "lax"
        assert morsel["path"] == "/portal"
        assert morsel["max-age"] == "900"
        assert not morsel["secure"]  # env=test; Secure everywhere else (see the next test)

    async def test_secure_outside_dev_and_test(self, settings: Settings) -> None:
        from dme_portal.portal.session import secure_cookies

        assert not secure_cookies(settings.model_copy(update={"env": "dev"}))
        assert secure_cookies(settings.model_copy(update={"env": "prod"}))

    async def test_wrong_password_shows_an_error_and_sets_no_session(
        self, portal: httpx.AsyncClient, account: Account
    ) -> None:
        r = await sign_in(portal, Account(account.username, "not-the-password"))
        assert r.status_code == 400
        assert 'id="password-error"' in r.text
        assert "dme_session" not in _cookies(r)

    async def test_without_a_session_pages_redirect_to_sign_in(
        self, portal: httpx.AsyncClient
    ) -> None:
        r = await portal.get(f"{PORTAL}/")
        assert r.status_code == 303
        assert r.headers["location"] == "/portal/sign-in?reason=required"

    async def test_an_invalid_session_says_it_ended(self, portal: httpx.AsyncClient) -> None:
        portal.cookies.set("dme_session", "not-a-token", path="/portal")
        r = await portal.get(f"{PORTAL}/")
        assert r.headers["location"] == "/portal/sign-in?reason=expired"
        page = await portal.get(r.headers["location"])
        assert "Your session has ended" in page.text

    async def test_sign_out_revokes_the_token(
        self, portal: httpx.AsyncClient, account: Account, database: Database
    ) -> None:
        await sign_in(portal, account)
        token = portal.cookies.get("dme_session")
        assert token
        home = await portal.get(f"{PORTAL}/")
        assert home.status_code == 200
        r = await portal.post(f"{PORTAL}/sign-out", data={"csrf_token": csrf_token(home.text)})
        assert r.status_code == 303
        assert 'dme_session=""' in _cookies(r)["dme_session"]
        async with unit_of_work(database) as s:
            assert await s.scalar(select(RevokedToken)) is not None
        # The old token no longer opens a page, nor the API.
        portal.cookies.set("dme_session", token, path="/portal")
        again = await portal.get(f"{PORTAL}/")
        assert again.headers["location"] == "/portal/sign-in?reason=expired"
        api = await portal.get("/v1/authorizations", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 401


class TestCsrf:
    async def test_a_form_without_the_token_is_refused(
        self, portal: httpx.AsyncClient, account: Account
    ) -> None:
        await portal.get(f"{PORTAL}/sign-in")
        r = await portal.post(
            f"{PORTAL}/sign-in", data={"username": account.username, "password": account.password}
        )
        assert r.status_code == 403
        assert "This form could not be verified" in r.text
        assert "dme_session" not in _cookies(r)

    async def test_a_token_from_before_sign_in_does_not_sign_out(
        self, portal: httpx.AsyncClient, account: Account
    ) -> None:
        before = csrf_token((await portal.get(f"{PORTAL}/sign-in")).text)
        await sign_in(portal, account)
        r = await portal.post(f"{PORTAL}/sign-out", data={"csrf_token": before})
        assert r.status_code == 403
        assert (await portal.get(f"{PORTAL}/")).status_code == 200


class TestPages:
    async def test_dashboard_request_and_access_log(
        self,
        portal: httpx.AsyncClient,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        account: Account,
        database: Database,
    ) -> None:
        waiting = await open_request(client, settings, world)
        decided = await expiring_request(client, settings, world)
        await sign_in(portal, account)
        home = await portal.get(f"{PORTAL}/")
        assert waiting["waiting_on"] in home.text
        number = decided["lines"][0]["authorization"]["number"]
        assert number in home.text
        detail = await portal.get(f"{PORTAL}/requests/{decided['id']}")
        assert detail.status_code == 200
        assert number in detail.text
        # No PHI in any title or link: CINs, names and birth dates stay in the page body.
        for page in (home, detail):
            title = re.search(r"<title>(.*?)</title>", page.text, re.S)
            assert title
            links = " ".join(re.findall(r'(?:href|action)="([^"]*)"', page.text))
            for phi in (world.member.cin, world.member.first_name, world.member.last_name):
                assert phi not in title.group(1)
                assert phi not in links
        async with unit_of_work(database) as s:
            rows = (
                await s.scalars(select(AccessLog).where(AccessLog.route.like("/portal/%")))
            ).all()
        routes = {(r.route, r.resource_type) for r in rows}
        assert ("/portal/", ResourceType.REQUEST) in routes
        assert ("/portal/", ResourceType.AUTHORIZATION) in routes
        assert ("/portal/requests/{request_id}", ResourceType.REQUEST) in routes

    async def test_another_vendors_request_is_the_404_page(
        self,
        portal: httpx.AsyncClient,
        client: httpx.AsyncClient,
        settings: Settings,
        database: Database,
        account: Account,
    ) -> None:
        other = await make_world(database)
        theirs = await open_request(client, settings, other)
        await sign_in(portal, account)
        for path in (f"/requests/{theirs['id']}", f"/requests/{uuid.uuid4()}", "/requests/x"):
            r = await portal.get(PORTAL + path)
            assert r.status_code == 404
            assert "text/html" in r.headers["content-type"]
            assert "Page not found" in r.text or "not found" in r.text.lower()

    async def test_unknown_page_is_html_and_api_stays_problem_json(
        self, portal: httpx.AsyncClient
    ) -> None:
        r = await portal.get(f"{PORTAL}/no-such-page")
        assert r.status_code == 404
        assert "Page not found" in r.text
        api = await portal.get("/v1/no-such-thing")
        assert api.headers["content-type"].startswith("application/problem+json")

    async def test_pages_carry_a_csp_and_no_store(self, portal: httpx.AsyncClient) -> None:
        r = await portal.get(f"{PORTAL}/sign-in")
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"

    async def test_static_assets_are_cacheable(self, portal: httpx.AsyncClient) -> None:
        for name in ("htmx.min.js", "portal.css"):
            r = await portal.get(f"{PORTAL}/static/{name}")
            assert r.status_code == 200
            assert r.headers["cache-control"] == "public, max-age=86400"
            assert "pragma" not in r.headers

    async def test_portal_routes_are_not_in_the_openapi_document(self, app: FastAPI) -> None:
        assert not [p for p in app.openapi()["paths"] if p.startswith("/portal")]
