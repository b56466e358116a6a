"""One request from submission to decision, through the portal's pages only, in three browser
contexts: the vendor submits it on the New request page; a reviewer pends it from the Review
queue asking for a letter of medical necessity; the vendor answers with the letter from the
dashboard; a medical director sees the letter inline, approves one line and denies the other
for medical necessity; the vendor sees both outcomes and the authorization number.
axe-core and a screenshot at each step."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from dme_portal.auth.roles import Role
from dme_portal.db.engine import Database
from fixtures.documents import pdf_bytes
from fixtures.factories import World
from portal.browsing import assert_accessible, snap
from portal.flows import vendor_account
from portal.test_review import network_account, sign_in
from portal.test_vendor_flows import END, START, fill_member_and_line

QUESTION = "Please send a letter of medical necessity for the stander."
ANSWER = "The prescriber's letter of medical necessity is attached."
DENIAL = "A stander is not needed while the child walks with a walker."
REQUEST_URL = re.compile(r"/portal/requests/([0-9a-f-]{36})$")


@pytest.fixture
async def second_page(
    browser: Browser, live_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    """Another person's browser: its own context, so its own session cookie."""
    context = await browser.new_context(base_url=live_url, bypass_csp=True)
    context.set_default_timeout(10_000)
    p = await context.new_page()
    p.screenshot_prefix = f"{request.node.name}-reviewer"  # type: ignore[attr-defined]
    try:
        yield p
    finally:
        await context.close()


@pytest.fixture
async def third_page(
    browser: Browser, live_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=live_url, bypass_csp=True)
    context.set_default_timeout(10_000)
    p = await context.new_page()
    p.screenshot_prefix = f"{request.node.name}-director"  # type: ignore[attr-defined]
    try:
        yield p
    finally:
        await context.close()


async def test_a_request_goes_round_trip_through_the_pages(
    page: Page,
    second_page: Page,
    third_page: Page,
    database: Database,
    world: World,
    tmp_path: Path,
) -> None:
    vendor, reviewer, director = page, second_page, third_page

    # 1. The vendor submits two items no ruleset decides (the network has none): to review.
    await sign_in(vendor, await vendor_account(database, world))
    await vendor.get_by_role("link", name="New request").click()
    await expect(vendor.get_by_role("heading", name="New request", level=1)).to_be_visible()
    await fill_member_and_line(vendor, world, "E1161")
    second = vendor.get_by_role("group", name="Item 2 (optional)")
    await second.get_by_label("HCPCS code").fill("E0638")
    await second.get_by_label("Quantity").fill("1")
    await second.get_by_label("From").fill(START.isoformat())
    await second.get_by_label("To").fill(END.isoformat())
    await assert_accessible(vendor)
    await snap(vendor, "1-vendor-new-request")
    await vendor.get_by_role("button", name="Submit request").click()
    await expect(vendor).to_have_url(REQUEST_URL)
    found = REQUEST_URL.search(vendor.url)
    assert found
    request_id = found.group(1)
    short = request_id[:8]
    await expect(vendor.locator(".status")).to_have_text("in review")
    items = vendor.get_by_role("region", name="Items")
    await expect(items.get_by_text("not decided yet")).to_have_count(2)
    await assert_accessible(vendor)
    await snap(vendor, "2-vendor-submitted")

    # 2. A reviewer opens it from the queue and pends it, asking for the letter.
    await sign_in(reviewer, await network_account(database, world, Role.REVIEWER))
    await reviewer.get_by_role("link", name="Review queue").click()
    row = reviewer.get_by_role("row").filter(has_text=short)
    await expect(row).to_have_count(1)
    await assert_accessible(reviewer)
    await snap(reviewer, "3-reviewer-queue")
    await row.get_by_role("link", name=short).click()
    await expect(reviewer.get_by_role("heading", name=f"Request {short}")).to_be_visible()
    lines = reviewer.get_by_role("region", name="Items and rules")
    await expect(lines).to_contain_text("E1161")
    await expect(lines).to_contain_text("E0638")
    await expect(reviewer.get_by_text("The vendor sent no documents.")).to_be_visible()
    await reviewer.get_by_label("Question for the vendor").fill(QUESTION)
    await reviewer.get_by_label("letter of medical necessity").check()
    await assert_accessible(reviewer)
    await snap(reviewer, "4-reviewer-request")
    await reviewer.get_by_role("button", name="Pend and ask the vendor").click()
    await expect(reviewer.get_by_text("Waiting on the vendor's answer")).to_be_visible()
    await expect(reviewer.locator(".status")).to_have_text("pended")
    await assert_accessible(reviewer)
    await snap(reviewer, "5-reviewer-pended")

    # 3. The vendor sees the question on the dashboard and answers it with the letter.
    await vendor.goto("/portal/")
    questions = vendor.get_by_role("region", name="Information requests to answer")
    await expect(questions.get_by_text(QUESTION)).to_be_visible()
    await expect(questions).to_contain_text("letter of medical necessity")
    await assert_accessible(vendor)
    await snap(vendor, "6-vendor-dashboard-question")
    await questions.get_by_role("link", name=f"Request {short}").click()
    await expect(vendor.locator(".status")).to_have_text("pended")
    await vendor.get_by_label("Your answer").fill(ANSWER)
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(pdf_bytes("letter of medical necessity"))
    await vendor.get_by_label("Document (optional)").set_input_files(str(letter))
    await vendor.get_by_label("What it is").select_option("letter_of_medical_necessity")
    await assert_accessible(vendor)
    await snap(vendor, "7-vendor-answer")
    await vendor.get_by_role("button", name="Send answer").click()
    await expect(vendor.locator(".status")).to_have_text("in review")
    await assert_accessible(vendor)
    await snap(vendor, "8-vendor-answered")

    # 4. A medical director opens it: the letter is shown in the page, for this session.
    await sign_in(director, await network_account(database, world, Role.MEDICAL_DIRECTOR))
    await director.get_by_role("link", name="Review queue").click()
    row = director.get_by_role("row").filter(has_text=short)
    await row.get_by_role("link", name=short).click()
    await expect(director.get_by_role("heading", name=f"Request {short}")).to_be_visible()
    await expect(director.locator(".status")).to_have_text("in review")
    documents = director.get_by_role("region", name="Documents")
    await expect(documents.get_by_role("link", name="letter.pdf")).to_be_visible()
    frame = documents.locator("iframe.document-frame")
    await expect(frame).to_have_count(1)
    await expect(frame).to_have_attribute("title", re.compile("letter of medical necessity"))
    src = await frame.get_attribute("src")
    assert src is not None
    assert src.startswith(f"/portal/review/requests/{request_id}/documents/")
    shown = await director.context.request.get(src)
    assert shown.status == 200
    assert shown.headers["content-type"] == "application/pdf"
    assert (await shown.body()).startswith(b"%PDF")
    # The vendor's session may not open the reviewer's document route.
    assert (await vendor.context.request.get(src)).status in (403, 404)
    timeline = director.get_by_role("region", name="Timeline")
    await expect(timeline).to_contain_text("attachment")
    await assert_accessible(director)
    await snap(director, "9-director-request-with-letter")

    form = director.get_by_role("region", name="Decision")
    first = form.get_by_role("group", name="Line 1: E1161")
    await first.get_by_role("radio", name="Approve").check()
    second_line = form.get_by_role("group", name="Line 2: E0638")
    await second_line.get_by_role("radio", name="Deny").check()
    await second_line.get_by_role("combobox", name="Reason code").select_option("medical_necessity")
    await second_line.get_by_role("textbox", name="Explanation").fill(DENIAL)
    await assert_accessible(director)
    await snap(director, "10-director-deciding")
    await form.get_by_role("button", name="Record the decision").click()
    await expect(director.locator(".status")).to_have_text("partially approved")
    outcomes = director.locator(".outcome")
    await expect(outcomes.nth(0)).to_have_text("approved")
    await expect(outcomes.nth(1)).to_contain_text(f"denied: {DENIAL}")
    await assert_accessible(director)
    await snap(director, "11-director-decided")

    # 5. The vendor reloads and sees each outcome and the authorization number.
    await vendor.reload()
    await expect(vendor.locator(".status")).to_have_text("partially approved")
    items = vendor.get_by_role("region", name="Items")
    approved = items.get_by_role("row").filter(has_text="E1161")
    await expect(approved).to_contain_text("approved")
    await expect(approved.locator(".auth-number")).to_have_text(re.compile(r"\S+"))
    denied = items.get_by_role("row").filter(has_text="E0638")
    await expect(denied).to_contain_text(f"denied: {DENIAL}")
    await expect(denied.locator(".auth-number")).to_have_count(0)
    await assert_accessible(vendor)
    await snap(vendor, "12-vendor-outcome")
