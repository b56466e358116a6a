"""Flows the portal's slices cover only in pieces.

One request from submission to decision, through the portal's pages only, in three browser
contexts: the vendor submits it on the New request page; a reviewer pends it from the Review
queue asking for a letter of medical necessity; the vendor answers with the letter from the
dashboard; a medical director sees the letter inline, approves one line and denies the other
for medical necessity; the vendor sees both outcomes and the authorization number.

And the plan dashboard drawn from the demo data (seeded once, on PostgreSQL when the run has
it, else SQLite), against GET /v1/reports/prior-authorization-metrics.
axe-core and a screenshot at each step."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from contract.live_server import ThreadedServer
from dme_portal.auth.roles import Role
from dme_portal.config import AuthSettings, DatabaseSettings, Settings
from dme_portal.db import migrate
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.demo import seed
from dme_portal.main import create_app
from dme_portal.portal.routes.plan import add_months, month_starts
from dme_portal.sla.clock import FrozenClock
from fixtures.demo_seed import SEEDED_AT, drop_database, fresh_database
from fixtures.documents import pdf_bytes
from fixtures.factories import World
from portal.browsing import assert_accessible, snap
from portal.flows import vendor_account
from portal.test_review_pages import network_account, sign_in
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
    p.screenshot_prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name) + "-reviewer"  # type: ignore[attr-defined]
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
    p.screenshot_prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name) + "-director"  # type: ignore[attr-defined]
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


# --- The plan dashboard on the demo data ----------------------------------------------------


@dataclass(frozen=True)
class DemoServer:
    base_url: str
    credentials: str

    def password(self, username: str) -> str:
        found = re.search(
            rf"^user\s+{re.escape(username)}\s.*password=(\S+)$", self.credentials, re.M
        )
        assert found, f"{username} is not in the demo's credentials"
        return found.group(1)


@pytest.fixture(scope="module")
async def demo_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DemoServer]:
    """The app, clock frozen at the demo's seeding time, on a database seeded with the demo
    once: on PostgreSQL when this run has it (seeding is the slow part), else on SQLite."""
    backends = os.environ.get("DME_TEST_BACKENDS", "sqlite,postgresql")
    server = request.getfixturevalue("pg_server") if "postgresql" in backends else None
    url = "postgresql" if server is not None else "sqlite"
    db = await fresh_database(url, tmp_path_factory.mktemp("demo-portal"), server)
    try:
        await migrate.upgrade(db.engine)
        async with unit_of_work(db) as session:
            credentials = await seed.seed_demo(session, today=SEEDED_AT.date(), now=SEEDED_AT)
        settings = Settings(
            env="test",
            db=DatabaseSettings(url=db.engine.url.render_as_string(hide_password=False)),
            auth=AuthSettings(secret_key="demo-secret-" + "x" * 40),
        )
        # Its own engine on the server's event loop: the seeding engine stays on this one.
        with ThreadedServer(create_app(settings, clock=FrozenClock(SEEDED_AT))) as live:
            yield DemoServer(live.base_url, credentials)
    finally:
        await drop_database(db, server)


async def demo_report(demo: DemoServer, months: int) -> dict[str, Any]:
    starts = month_starts(SEEDED_AT.date(), months)
    async with httpx.AsyncClient(base_url=demo.base_url) as api:
        token = await api.post(
            "/v1/auth/token",
            data={
                "grant_type": "password",
                "username": "plan.admin",
                "password": demo.password("plan.admin"),
            },
        )
        assert token.status_code == 200, token.text
        r = await api.get(
            "/v1/reports/prior-authorization-metrics",
            params={"from": starts[0].isoformat(), "to": add_months(starts[-1], 1).isoformat()},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
    assert r.status_code == 200, r.text
    report: dict[str, Any] = r.json()
    return report


@pytest.fixture
async def demo_page(
    browser: Browser, demo_server: DemoServer, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=demo_server.base_url, bypass_csp=True)
    context.set_default_timeout(10_000)
    p = await context.new_page()
    p.screenshot_prefix = request.node.name  # type: ignore[attr-defined]
    try:
        yield p
    finally:
        await context.close()


async def test_the_plan_dashboard_draws_the_demo_networks(
    demo_page: Page, demo_server: DemoServer
) -> None:
    page = demo_page
    report = await demo_report(demo_server, months=6)
    expected: dict[str, dict[str, int]] = {}
    for row in report["items"]:
        sums = expected.setdefault(
            row["network_code"],
            {"requests": 0, "decided": 0, "approved": 0, "denied": 0, "pended": 0},
        )
        for key in ("requests", "approved", "denied", "pended"):
            sums[key] += row[key]
        sums["decided"] += row["sla_met"] + row["sla_missed"]  # as the dashboard counts them
    assert len(expected) >= 2, "the demo has several networks"

    await page.goto("/portal/sign-in")
    await page.get_by_label("User name").fill("plan.admin")
    await page.get_by_label("Password").fill(demo_server.password("plan.admin"))
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("link", name="Plan dashboard").click()
    await expect(page.get_by_role("heading", name="Networks side by side")).to_be_visible()

    volume = page.locator("svg#chart-volume")
    # The last full month before the seeding time is all inside the demo's 90 days.
    last_month = add_months(SEEDED_AT.date(), -1).strftime("%b %Y")
    for code, sums in expected.items():
        assert sums["requests"] > 0, code
        bars = volume.locator(f"rect.bar[data-series='{code}']")
        await expect(bars).to_have_count(6)
        values = [
            float(v or 0)
            for v in await bars.evaluate_all("bars => bars.map(b => b.getAttribute('data-value'))")
        ]
        assert sum(values) == sums["requests"], code
        bar = bars.and_(page.locator(f"[data-category='{last_month}']"))
        assert float(await bar.get_attribute("data-value") or 0) > 0, code
        assert float(await bar.get_attribute("height") or 0) > 1, code
        row = page.locator(f"#table-rates tr[data-network='{code}']")
        for key, value in sums.items():
            await expect(row.locator(f"td.{key}")).to_have_text(str(value))
    await expect(page.locator("#table-rates tr[data-network]")).to_have_count(len(expected))
    await assert_accessible(page)
    await snap(page, "demo-plan-dashboard")
