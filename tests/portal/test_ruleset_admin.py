"""The network admin's rules page: the ruleset as tables, the draft editor with validation
beside the fields, publish, the version diff, CSAG assignments; httpx and Chromium."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect
from sqlalchemy import select

from dme_portal.audit.models import AccessLog, AccessLogMember, ResourceType
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from fixtures.factories import NOW, World, auth_headers, make_account, request_body
from fixtures.rules import choc_like, publish
from portal.browsing import assert_accessible, snap
from portal.flows import Account, csrf_token

PAGE = "/portal/ruleset"
START = NOW.date() + timedelta(days=1)


async def account(database: Database, world: World, role: Role) -> Account:
    name, secret = await make_account(
        database, role=role, org_kind=OrgKind.NETWORK, org_id=world.network_a.id, machine=False
    )
    return Account(name, secret)


@pytest.fixture
async def portal(app: FastAPI) -> httpx.AsyncClient:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c  # type: ignore[misc]


async def sign_in(portal: httpx.AsyncClient, who: Account) -> None:
    page = await portal.get("/portal/sign-in")
    r = await portal.post(
        "/portal/sign-in",
        data={
            "username": who.username,
            "password": who.password,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert r.status_code == 303


def cp_draft(world: World, hcpcs: str = "L1960") -> dict[str, object]:
    start = START.isoformat()
    end = (START + timedelta(days=89)).isoformat()
    line = {"hcpcs": hcpcs, "quantity": 2, "start_date": start, "end_date": end}
    return request_body(world, lines=[line])


def assigned_id(html_text: str) -> str:
    found = re.search(r'action="/portal/ruleset/assignments/([0-9a-f-]{36})/end"', html_text)
    assert found, "no assignment to end on the page"
    return found.group(1)


class TestRulesetPages:
    async def test_a_reviewer_gets_the_403_page(
        self, portal: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        await sign_in(portal, await account(database, world, Role.REVIEWER))
        r = await portal.get(PAGE)
        assert r.status_code == 403
        assert "text/html" in r.headers["content-type"]
        home = await portal.get("/portal/", follow_redirects=True)
        assert home.url.path == "/portal/review"
        assert 'href="/portal/ruleset"' not in home.text
        r = await portal.post(
            f"{PAGE}/draft", data={"csrf_token": csrf_token(home.text), "mode": "form"}
        )
        assert r.status_code == 403

    async def test_a_form_without_its_token_is_refused(
        self, portal: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        await publish(database, world.network_a, choc_like())
        await sign_in(portal, await account(database, world, Role.NETWORK_ADMIN))
        r = await portal.post(
            f"{PAGE}/draft", data={"mode": "form", "etag": "", "default_days": "30"}
        )
        assert r.status_code == 403
        r = await portal.post(f"{PAGE}/publish", data={"etag": '"d1"', "csrf_token": "0" * 64})
        assert r.status_code == 403
        page = await portal.get(PAGE)
        assert "There is no draft" in page.text  # nothing was saved

    async def test_a_stale_draft_says_it_changed_since_opened(
        self, portal: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        await publish(database, world.network_a, choc_like())
        await sign_in(portal, await account(database, world, Role.NETWORK_ADMIN))
        opened = await portal.get(PAGE)
        token = csrf_token(opened.text)
        first = await portal.post(
            f"{PAGE}/draft",
            data={"csrf_token": token, "mode": "form", "etag": "", "default_days": "60"},
        )
        assert first.status_code == 303
        # The same page, opened before that save, saves again: refused, nothing changed.
        again = await portal.post(
            f"{PAGE}/draft",
            data={"csrf_token": token, "mode": "form", "etag": "", "default_days": "30"},
        )
        assert again.status_code == 409
        assert "changed since you opened it" in again.text
        assert 'value="60"' in again.text
        stale_publish = await portal.post(
            f"{PAGE}/publish", data={"csrf_token": token, "etag": '"d0"'}
        )
        assert stale_publish.status_code == 409
        assert "changed since you opened it" in stale_publish.text

    async def test_form_adds_an_item_and_a_limit_and_refuses_an_invalid_publish(
        self, portal: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        await publish(database, world.network_a, choc_like())
        await sign_in(portal, await account(database, world, Role.NETWORK_ADMIN))
        token = csrf_token((await portal.get(PAGE)).text)
        typo = await portal.post(
            f"{PAGE}/draft",
            data={
                "csrf_token": token,
                "mode": "form",
                "etag": "",
                "add_hcpcs": "E0100",
                "add_csag": "cp-mobility",
                "add_units": "two",
                "add_days": "90",
            },
        )
        assert typo.status_code == 422
        assert 'id="add_units-error"' in typo.text
        assert "There is no draft" in typo.text  # nothing saved
        r = await portal.post(
            f"{PAGE}/draft",
            data={
                "csrf_token": token,
                "mode": "form",
                "etag": "",
                "add_hcpcs": "e0100",
                "add_csag": "cp-mobility",
                "add_units": "1",
                "add_days": "90",
                "limit_hcpcs": "A4554",
                "limit_units": "120",
                "standard_hours": "200",
            },
        )
        assert r.status_code == 303
        page = await portal.get(PAGE)
        assert 'value="cp-mobility|E0100"' in page.text
        assert '"max_units_per_month": 120' in html.unescape(page.text)
        assert 'id="standard_hours-error"' in page.text
        assert "42 CFR 438.210(d)(1)" in page.text
        refused = await portal.post(f"{PAGE}/publish", data={"csrf_token": token, "etag": '"d1"'})
        assert refused.status_code == 409
        assert "The draft has problems" in refused.text
        assert "In force: version 1" in refused.text

    async def test_json_errors_and_assignments_in_the_access_log(
        self, portal: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        await publish(database, world.network_a, choc_like())
        await sign_in(portal, await account(database, world, Role.NETWORK_ADMIN))
        token = csrf_token((await portal.get(PAGE)).text)
        bad = await portal.post(
            f"{PAGE}/draft",
            data={"csrf_token": token, "mode": "json", "etag": "", "document": "{nope"},
        )
        assert bad.status_code == 422
        assert "This is not JSON" in bad.text
        r = await portal.post(
            f"{PAGE}/draft",
            data={
                "csrf_token": token,
                "mode": "json",
                "etag": "",
                "document": '{"csags": [{"id": "x"}]}',
            },
        )
        assert r.status_code == 303
        page = await portal.get(PAGE)
        assert "csags[0].name" in page.text
        r = await portal.post(
            f"{PAGE}/assignments",
            data={
                "csrf_token": token,
                "member_cin": world.member.cin,
                "csag_id": "cp-mobility",
                "effective_from": NOW.date().isoformat(),
            },
        )
        assert r.status_code == 303
        assert world.member.cin not in r.headers["location"]
        page = await portal.get(PAGE)
        assert world.member.cin in page.text
        assert world.member.cin not in page.text.split("<title>")[1].split("</title>")[0]
        ended = await portal.post(
            f"{PAGE}/assignments/{assigned_id(page.text)}/end",
            data={"csrf_token": token, "effective_to": NOW.date().isoformat()},
        )
        assert ended.status_code == 303
        assert "Assignment ended." in (await portal.get(ended.headers["location"])).text
        wrong = await portal.post(
            f"{PAGE}/assignments",
            data={
                "csrf_token": token,
                "member_cin": world.member_b.cin,
                "csag_id": "cp-mobility",
                "effective_from": NOW.date().isoformat(),
            },
        )
        assert wrong.status_code == 422
        assert 'id="member_cin-error"' in wrong.text
        async with unit_of_work(database) as s:
            rows = (
                await s.execute(
                    select(AccessLog.action, AccessLog.route, AccessLogMember.member_id)
                    .join(AccessLogMember, AccessLogMember.access_log_id == AccessLog.id)
                    .where(
                        AccessLog.resource_type == ResourceType.CSAG_ASSIGNMENT,
                        AccessLog.network_id == world.network_a.id,
                    )
                )
            ).all()
        assert {(str(a), m) for a, _, m in rows} >= {
            ("create", world.member.id),
            ("list", world.member.id),
            ("change", world.member.id),
        }
        assert all(route.startswith("/portal/") for _, route, _ in rows)


async def browser_sign_in(page: Page, who: Account) -> None:
    await page.goto("/portal/sign-in")
    await page.get_by_label("User name").fill(who.username)
    await page.get_by_label("Password").fill(who.password)
    await page.get_by_role("button", name="Sign in").click()


async def test_admin_edits_validates_publishes_and_reads_the_diff(
    page: Page, database: Database, world: World, live_url: str, settings: Settings
) -> None:
    await publish(database, world.network_a, choc_like())
    vendor = auth_headers(settings, world.principal(Role.VENDOR))
    async with httpx.AsyncClient(base_url=live_url) as http:
        before = await http.post("/v1/coverage-checks", json=cp_draft(world), headers=vendor)
    assert before.json()["lines"][0]["outcome"] == "approved"

    admin = await account(database, world, Role.NETWORK_ADMIN)
    await browser_sign_in(page, admin)
    await page.get_by_role("link", name="Network rules").click()
    await expect(page.get_by_role("heading", name="In force: version 1")).to_be_visible()
    cp = page.locator("#csag-cp-mobility")
    await expect(cp.get_by_role("cell", name="L1960", exact=True)).to_be_visible()
    await expect(page.get_by_text("There is no draft.")).to_be_visible()
    await assert_accessible(page)
    await snap(page, "1-ruleset")

    # A bad value: saved as a draft, and the validation message sits beside the field.
    await page.get_by_label("Default period").fill("400")
    await page.get_by_role("button", name="Save draft").click()
    error = page.locator("#default_days-error")
    await expect(error).to_contain_text("durations.default_days")
    await expect(page.get_by_label("Default period")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#validation")).to_contain_text("problem")
    await assert_accessible(page)
    await snap(page, "2-validation-error")

    # Fixed, and L1960 taken out of the cerebral palsy CSAG.
    await page.get_by_label("Default period").fill("60")
    await page.get_by_label("Remove an item").select_option("cp-mobility|L1960")
    await page.get_by_role("button", name="Save draft").click()
    await expect(page.locator("#validation")).to_have_text(
        "The draft is valid and ready to publish."
    )
    await expect(page.get_by_text("Draft saved.")).to_be_visible()
    await expect(page.locator("#default_days-error")).to_have_count(0)
    await expect(page.get_by_role("option", name="L1960 from cp-mobility")).to_have_count(0)
    await page.get_by_role("button", name="Publish the draft").click()
    await expect(page.get_by_text("Published.")).to_be_visible()
    await expect(page.get_by_role("heading", name="In force: version 2")).to_be_visible()
    await expect(cp.get_by_role("cell", name="L1960", exact=True)).to_have_count(0)
    await assert_accessible(page)
    await snap(page, "3-published")

    async with httpx.AsyncClient(base_url=live_url) as http:
        after = await http.post("/v1/coverage-checks", json=cp_draft(world), headers=vendor)
    line = after.json()["lines"][0]
    assert after.json()["ruleset_version"] == 2
    assert line["outcome"] == "needs_review"

    await page.get_by_role("link", name="What changed in version 2").click()
    await expect(
        page.get_by_role("heading", name="What changed from version 1 to 2")
    ).to_be_visible()
    diff = page.locator("table.diff")
    await expect(diff).to_contain_text("durations.default_days")
    await expect(diff).to_contain_text(
        "csags[id=cp-mobility].items[hcpcs=L1960].max_units_per_month"
    )
    await expect(diff.locator("tr.diff-removed").first).to_be_visible()
    await assert_accessible(page)
    await snap(page, "4-diff")

    # Phone width: the tables scroll inside their box, the page does not.
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto("/portal/ruleset")
    await expect(page.get_by_role("heading", name="Network rules", level=1)).to_be_visible()
    wide = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not wide
    await assert_accessible(page)
    await snap(page, "5-phone")
