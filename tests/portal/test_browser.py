"""The portal in headless Chromium: sign-in, CSRF, the vendor's dashboard and request detail,
the 404 page; axe-core on every page, a screenshot of each."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import World, make_world
from portal.browsing import assert_accessible, snap
from portal.flows import (
    QUESTION,
    Account,
    expiring_request,
    open_request,
    pended_request,
    vendor_account,
)


async def sign_in(page: Page, account: Account) -> None:
    await page.goto("/portal/sign-in")
    await page.get_by_label("User name").fill(account.username)
    await page.get_by_label("Password").fill(account.password)
    await page.get_by_role("button", name="Sign in").click()


async def session_cookie(page: Page) -> dict[str, object] | None:
    for cookie in await page.context.cookies():
        if cookie.get("name") == "dme_session":
            return dict(cookie)
    return None


async def test_sign_in_and_out(page: Page, database: Database, world: World, live_url: str) -> None:
    account = await vendor_account(database, world)
    await page.goto("/portal/")
    await expect(page.get_by_text("Please sign in to continue.")).to_be_visible()
    await assert_accessible(page)
    await snap(page, "1-sign-in")

    await sign_in(page, Account(account.username, "wrong-password"))
    error = page.locator("#password-error")
    await expect(error).to_have_text("The user name or password is not right. Try again.")
    await expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert await session_cookie(page) is None
    assert "token" not in page.url
    assert account.username not in page.url
    await assert_accessible(page)
    await snap(page, "2-wrong-password")

    await sign_in(page, account)
    await expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    assert page.url.endswith("/portal/")
    cookie = await session_cookie(page)
    assert cookie is not None
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["path"] == "/portal"
    token = str(cookie["value"])
    await expect(page.get_by_text("No open requests.")).to_be_visible()
    await assert_accessible(page)
    await snap(page, "3-empty-dashboard")

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert await session_cookie(page) is None
    await snap(page, "4-signed-out")
    async with httpx.AsyncClient(base_url=live_url) as http:
        r = await http.get("/v1/authorizations", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_a_form_without_its_token_is_refused(
    page: Page, database: Database, world: World
) -> None:
    account = await vendor_account(database, world)
    await sign_in(page, account)
    await expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    await page.locator("form[action='/portal/sign-out'] input[name=csrf_token]").evaluate(
        "input => input.remove()"
    )
    await page.get_by_role("button", name="Sign out").click()
    await expect(
        page.get_by_role("heading", name="This form could not be verified")
    ).to_be_visible()
    await expect(page.get_by_text("Error 403")).to_be_visible()
    assert await session_cookie(page) is not None  # still signed in: nothing happened
    await assert_accessible(page)
    await snap(page, "403")


async def test_vendor_dashboard_and_request_detail(
    page: Page, client: httpx.AsyncClient, settings: Settings, database: Database, world: World
) -> None:
    waiting = await open_request(client, settings, world)
    decided = await expiring_request(client, settings, world)
    pended = await pended_request(client, settings, world)
    number = decided["lines"][0]["authorization"]["number"]
    account = await vendor_account(database, world)
    await sign_in(page, account)

    open_section = page.get_by_role("region", name="Open requests")
    row = open_section.get_by_role("row").filter(has_text=waiting["id"][:8])
    await expect(row.get_by_text(waiting["waiting_on"])).to_be_visible()
    await expect(row.get_by_text("due in 3 days")).to_be_visible()
    expiring = page.get_by_role("region", name="Authorizations expiring within 30 days")
    await expect(expiring.get_by_text(number)).to_be_visible()
    questions = page.get_by_role("region", name="Information requests to answer")
    await expect(questions.get_by_text(QUESTION)).to_be_visible()
    await expect(questions.get_by_role("link", name=pended["id"][:8])).to_be_visible()
    await assert_accessible(page)
    await snap(page, "1-dashboard")

    await expiring.get_by_role("link", name=decided["id"][:8]).click()
    await expect(page.get_by_role("heading", name=f"Request {decided['id'][:8]}")).to_be_visible()
    assert page.url.endswith(f"/portal/requests/{decided['id']}")
    await expect(page.get_by_role("region", name="Items").get_by_text(number)).to_be_visible()
    await expect(page.get_by_role("region", name="Timeline").get_by_text("decided")).to_be_visible()
    title = await page.title()
    assert world.member.cin not in title
    assert world.member.last_name not in title
    await assert_accessible(page)
    await snap(page, "2-request-detail")


async def test_another_vendors_request_is_not_found(
    page: Page, client: httpx.AsyncClient, settings: Settings, database: Database, world: World
) -> None:
    other = await make_world(database)
    theirs = await open_request(client, settings, other)
    account = await vendor_account(database, world)
    await sign_in(page, account)
    await expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    response = await page.goto(f"/portal/requests/{theirs['id']}")
    assert response is not None
    assert response.status == 404
    await expect(page.get_by_text("Error 404")).to_be_visible()
    await expect(
        page.get_by_role("heading", name="Authorization request not found")
    ).to_be_visible()
    await assert_accessible(page)
    await snap(page, "404")
