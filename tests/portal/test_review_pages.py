"""Reviewers and medical directors in the portal: the queue, the request page, the decision
and pend forms (If-Match from the page), in Chromium with axe-core, and over ASGI."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Page, expect

from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.review.reasons import REASONS
from fixtures.factories import World, make_account, make_world
from portal.browsing import assert_accessible, snap
from portal.flows import Account, csrf_token, open_request, vendor_account

MN_CODES = [code.value for code, info in REASONS.items() if info.medical_necessity]
QUESTION = "Please send the seating evaluation from the physical therapist."


async def network_account(database: Database, world: World, role: Role) -> Account:
    name, secret = await make_account(
        database, role=role, org_kind=OrgKind.NETWORK, org_id=world.network_a.id, machine=False
    )
    return Account(name, secret)


async def sign_in(page: Page, account: Account) -> None:
    await page.goto("/portal/sign-in")
    await page.get_by_label("User name").fill(account.username)
    await page.get_by_label("Password").fill(account.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(
        page.get_by_role("link", name="Sign out").or_(page.get_by_role("button", name="Sign out"))
    ).to_be_visible()


# --- in the browser -------------------------------------------------------------------------


async def test_reviewer_pends_with_a_question(
    page: Page, client: httpx.AsyncClient, settings: Settings, database: Database, world: World
) -> None:
    created = await open_request(client, settings, world)
    short = created["id"][:8]
    await sign_in(page, await network_account(database, world, Role.REVIEWER))
    await page.get_by_role("link", name="Review queue").click()
    await expect(page.get_by_role("heading", name="Review queue", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=short)
    await expect(row.get_by_text("on time")).to_be_visible()
    await assert_accessible(page)
    await snap(page, "1-queue")

    await row.get_by_role("button", name=f"Claim request {short}").click()
    row = page.get_by_role("row").filter(has_text=short)
    await expect(row.get_by_role("button", name=f"Release request {short}")).to_be_visible()
    await row.get_by_role("link", name=short).click()
    await expect(page.get_by_role("heading", name=f"Request {short}")).to_be_visible()
    await expect(page.get_by_role("region", name="Items and rules")).to_contain_text("E1161")
    await assert_accessible(page)
    await snap(page, "2-decision-form")

    await page.get_by_label("Question for the vendor").fill(QUESTION)
    await page.get_by_label("seating evaluation").check()
    await page.get_by_role("button", name="Pend and ask the vendor").click()
    await expect(page.get_by_text("Waiting on the vendor's answer")).to_be_visible()
    await expect(page.locator(".status")).to_have_text("pended")
    await snap(page, "3-pended")

    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, await vendor_account(database, world))
    questions = page.get_by_role("region", name="Information requests to answer")
    await expect(questions.get_by_text(QUESTION)).to_be_visible()
    await expect(questions.get_by_role("link", name=short)).to_be_visible()


async def test_medical_director_denies_for_medical_necessity(
    page: Page, client: httpx.AsyncClient, settings: Settings, database: Database, world: World
) -> None:
    created = await open_request(client, settings, world)
    short = created["id"][:8]
    await sign_in(page, await network_account(database, world, Role.MEDICAL_DIRECTOR))
    await page.goto(f"/portal/review/requests/{created['id']}")
    form = page.get_by_role("region", name="Decision")
    await form.get_by_role("radio", name="Deny").check()
    await form.get_by_role("button", name="Record the decision").click()
    await expect(page.locator("#line-1-reason_code-error")).to_have_text("Choose a reason code.")
    await assert_accessible(page)
    await snap(page, "1-errors")

    form = page.get_by_role("region", name="Decision")
    await form.get_by_role("combobox", name="Reason code").select_option("medical_necessity")
    await form.get_by_role("textbox", name="Explanation").fill(
        "The standing frame is not needed at this age."
    )
    await form.get_by_role("button", name="Record the decision").click()
    await expect(page.locator(".status")).to_have_text("denied")
    await expect(page.locator(".outcome")).to_contain_text("denied")
    await snap(page, "2-denied")

    await page.get_by_role("button", name="Sign out").click()
    await sign_in(page, await vendor_account(database, world))
    await page.goto(f"/portal/requests/{created['id']}")
    await expect(page.get_by_role("heading", name=f"Request {short}")).to_be_visible()
    items = page.get_by_role("region", name="Items")
    await expect(items.get_by_text("denied: The standing frame is not needed")).to_be_visible()


async def test_two_reviewers_decide_at_once(
    browser: Browser,
    live_url: str,
    client: httpx.AsyncClient,
    settings: Settings,
    database: Database,
    world: World,
) -> None:
    created = await open_request(client, settings, world)
    url = f"/portal/review/requests/{created['id']}"
    pages = []
    for _ in range(2):
        context = await browser.new_context(base_url=live_url, bypass_csp=True)
        context.set_default_timeout(10_000)
        p = await context.new_page()
        p.screenshot_prefix = "test_two_reviewers_decide_at_once"  # type: ignore[attr-defined]
        await sign_in(p, await network_account(database, world, Role.REVIEWER))
        await p.goto(url)
        await p.get_by_role("region", name="Decision").get_by_role("radio", name="Approve").check()
        pages.append(p)
    try:
        first, second = pages
        await first.get_by_role("button", name="Record the decision").click()
        await expect(first.locator(".status")).to_have_text("approved")
        await second.get_by_role("button", name="Record the decision").click()
        await expect(
            second.get_by_role("heading", name="This request changed since you opened it")
        ).to_be_visible()
        await assert_accessible(second)
        await snap(second, "stale")
        await second.get_by_role("link", name="Reload the request").click()
        await expect(second.locator(".status")).to_have_text("approved")
        await expect(second.get_by_role("region", name="Decision")).to_have_count(0)
    finally:
        for p in pages:
            await p.context.close()


# --- over ASGI ------------------------------------------------------------------------------


@pytest.fixture
async def portal(app: FastAPI) -> httpx.AsyncClient:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c  # type: ignore[misc]


async def _signed_in(portal: httpx.AsyncClient, account: Account) -> None:
    page = await portal.get("/portal/sign-in")
    r = await portal.post(
        "/portal/sign-in",
        data={
            "username": account.username,
            "password": account.password,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert r.status_code == 303


def _reason_options(html: str) -> set[str]:
    return set(re.findall(r'<option value="([a-z_]+)"', html))


async def test_medical_necessity_reasons_only_for_medical_directors(
    portal: httpx.AsyncClient,
    client: httpx.AsyncClient,
    settings: Settings,
    database: Database,
    world: World,
) -> None:
    created = await open_request(client, settings, world)
    await _signed_in(portal, await network_account(database, world, Role.REVIEWER))
    reviewer_page = await portal.get(f"/portal/review/requests/{created['id']}")
    assert reviewer_page.status_code == 200
    offered = _reason_options(reviewer_page.text)
    assert "not_a_covered_benefit" in offered
    assert not offered & set(MN_CODES)

    portal.cookies.clear()
    await _signed_in(portal, await network_account(database, world, Role.MEDICAL_DIRECTOR))
    director_page = await portal.get(f"/portal/review/requests/{created['id']}")
    assert set(MN_CODES) <= _reason_options(director_page.text)


async def test_review_forms_need_their_csrf_token(
    portal: httpx.AsyncClient,
    client: httpx.AsyncClient,
    settings: Settings,
    database: Database,
    world: World,
) -> None:
    created = await open_request(client, settings, world)
    base = f"/portal/review/requests/{created['id']}"
    await _signed_in(portal, await network_account(database, world, Role.REVIEWER))
    page = await portal.get(base)
    found = re.search(r'name="etag" value="([^"]+)"', page.text)
    assert found
    etag = html.unescape(found.group(1))
    assert etag == f'"v{created["version"]}"'  # the ETag the page was rendered with
    for path, data in (
        ("/claim", {}),
        ("/release", {}),
        ("/decision", {"etag": etag, "line-1-outcome": "approved"}),
        ("/information-request", {"etag": etag, "message": "Why?"}),
    ):
        r = await portal.post(base + path, data=data)
        assert r.status_code == 403, path
        assert "This form could not be verified" in r.text
        r = await portal.post(base + path, data={**data, "csrf_token": "0" * 64})
        assert r.status_code == 403, path
    still = await client.get(
        f"/v1/authorization-requests/{created['id']}",
        headers=_api_headers(settings, world),
    )
    assert still.json()["status"] == "in_review"
    assert still.json()["assigned_to"] is None

    token = csrf_token(page.text)
    r = await portal.post(
        base + "/decision", data={"etag": etag, "line-1-outcome": "approved", "csrf_token": token}
    )
    assert r.status_code == 303
    again = await portal.post(
        base + "/decision", data={"etag": etag, "line-1-outcome": "approved", "csrf_token": token}
    )
    assert again.status_code == 412
    assert "This request changed since you opened it" in again.text


def _api_headers(settings: Settings, world: World) -> dict[str, str]:
    from fixtures.factories import auth_headers

    return auth_headers(settings, world.principal(Role.REVIEWER))


async def test_another_networks_request_is_the_404_page(
    portal: httpx.AsyncClient,
    client: httpx.AsyncClient,
    settings: Settings,
    database: Database,
    world: World,
) -> None:
    other = await make_world(database)
    theirs = await open_request(client, settings, other)
    await _signed_in(portal, await network_account(database, world, Role.REVIEWER))
    r = await portal.get(f"/portal/review/requests/{theirs['id']}")
    assert r.status_code == 404
    assert "Authorization request not found" in r.text
    queue = await portal.get("/portal/review")
    assert queue.status_code == 200
    assert theirs["id"] not in queue.text
    page = await portal.get("/portal/review")
    r = await portal.post(
        f"/portal/review/requests/{theirs['id']}/claim",
        data={"csrf_token": csrf_token(page.text)},
    )
    assert r.status_code == 404


async def test_documents_are_shown_inline_through_a_scoped_logged_route(
    portal: httpx.AsyncClient,
    client: httpx.AsyncClient,
    settings: Settings,
    database: Database,
    world: World,
) -> None:
    from sqlalchemy import select

    from dme_portal.audit.models import AccessLog, ResourceType
    from dme_portal.db.session import unit_of_work
    from fixtures.documents import pdf_bytes
    from fixtures.factories import REQUESTS_URL, auth_headers

    created = await open_request(client, settings, world)
    upload = await client.post(
        f"{REQUESTS_URL}/{created['id']}/attachments",
        files={"file": ("lmn.pdf", pdf_bytes("lmn"), "application/pdf")},
        data={"document_type": "letter_of_medical_necessity"},
        headers={
            **auth_headers(settings, world.principal(Role.VENDOR)),
            "Idempotency-Key": "portal-review-doc-1",
        },
    )
    assert upload.status_code == 201, upload.text
    doc_id = upload.json()["id"]
    url = f"/portal/review/requests/{created['id']}/documents/{doc_id}"
    await _signed_in(portal, await network_account(database, world, Role.REVIEWER))
    page = await portal.get(f"/portal/review/requests/{created['id']}")
    assert f'<iframe src="{url}"' in page.text
    assert "frame-src 'self'" in page.headers["content-security-policy"]
    r = await portal.get(url)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("inline;")
    assert "frame-ancestors 'self'" in r.headers["content-security-policy"]
    assert r.content.startswith(b"%PDF")
    async with unit_of_work(database) as s:
        logged = (
            (
                await s.execute(
                    select(AccessLog).where(
                        AccessLog.resource_type == ResourceType.ATTACHMENT,
                        AccessLog.resource_id == doc_id,
                    )
                )
            )
            .scalars()
            .all()
        )
    assert logged

    other = await make_world(database)
    theirs = await open_request(client, settings, other)
    elsewhere = await portal.get(f"/portal/review/requests/{theirs['id']}/documents/{doc_id}")
    assert elsewhere.status_code == 404
