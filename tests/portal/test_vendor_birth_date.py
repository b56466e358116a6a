"""Issue 21 point 2 in the portal: the New request page's live coverage check and its submit
need the member's date of birth, and a wrong one learns exactly what an unknown CIN learns."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect
from sqlalchemy import func, select

from dme_portal.audit.models import AccessLog
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.portal.routes.vendor import NO_MEMBER
from dme_portal.submissions.models import AuthorizationRequest
from fixtures.factories import World, unique_cin
from fixtures.rules import choc_like, publish
from portal.browsing import assert_accessible, snap
from portal.flows import TODAY, csrf_token, vendor_account
from portal.test_browser import sign_in

START = TODAY + timedelta(days=1)
END = START + timedelta(days=89)
WRONG_BIRTH_DATE = "2016-05-02"  # the world's members are born 2016-05-01


async def _requests(database: Database, world: World) -> int:
    async with unit_of_work(database) as s:
        n = await s.scalar(
            select(func.count())
            .select_from(AuthorizationRequest)
            .where(AuthorizationRequest.vendor_id == world.vendor.id)
        )
    return int(n or 0)


async def _outcomes(database: Database, world: World) -> list[tuple[str, str]]:
    async with unit_of_work(database) as s:
        rows = await s.execute(
            select(AccessLog.action, AccessLog.outcome).where(AccessLog.org_id == world.vendor.id)
        )
        return sorted((str(a), str(o)) for a, o in rows.all())


# --- over ASGI ---------------------------------------------------------------------------


@pytest.fixture
async def portal(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


async def _form(portal: httpx.AsyncClient, database: Database, world: World) -> dict[str, str]:
    account = await vendor_account(database, world)
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
    form = (await portal.get("/portal/requests/new")).text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert key
    return {
        "csrf_token": csrf_token(form),
        "idempotency_key": key.group(1),
        "member_cin": world.member.cin,
        "birth_date": world.member.birth_date.isoformat(),
        "diagnoses-0": "G80.0",
        "lines-0-hcpcs": "L1960",
        "lines-0-quantity": "1",
        "lines-0-start_date": START.isoformat(),
        "lines-0-end_date": END.isoformat(),
        "prescriber_npi": "1234567893",
        "urgency": "standard",
    }


def _masked(text: str, *values: str) -> str:
    """The page with what the vendor typed (and the form's tokens) cut out."""
    for value in values:
        text = text.replace(value, "")
    return re.sub(r'value="[^"]*"', 'value=""', text)


async def test_a_wrong_birth_date_learns_what_an_unknown_cin_learns(
    portal: httpx.AsyncClient, database: Database, world: World
) -> None:
    await publish(database, world.network_a, choc_like())
    data = await _form(portal, database, world)
    unknown = {**data, "member_cin": unique_cin()}
    wrong = {**data, "birth_date": WRONG_BIRTH_DATE}
    htmx = {"HX-Request": "true"}

    # The live coverage check (htmx fragment).
    answers = [
        await portal.post("/portal/requests/new/coverage", data=d, headers=htmx)
        for d in (unknown, wrong)
    ]
    for r in answers:
        assert r.status_code == 200
        assert html.escape(NO_MEMBER, quote=True) in r.text
        for secret in (world.network_a.name, "Approved at once", "csag"):
            assert secret not in r.text
    assert answers[0].text == answers[1].text

    # The submit: the same message next to the date of birth, the same page, nothing stored.
    pages = [await portal.post("/portal/requests/new", data=d) for d in (unknown, wrong)]
    for r in pages:
        assert r.status_code == 404
        assert 'id="birth_date-error"' in r.text
        assert html.escape(NO_MEMBER, quote=True) in r.text
        assert world.network_a.name not in r.text
    assert _masked(pages[0].text, unknown["member_cin"]) == _masked(
        pages[1].text, wrong["member_cin"], WRONG_BIRTH_DATE, data["birth_date"]
    )
    assert await _requests(database, world) == 0
    assert await _outcomes(database, world) == [
        ("coverage-check", "not_found"),
        ("coverage-check", "not_found"),
        ("create", "not_found"),
        ("create", "not_found"),
    ]

    # The right birth date: the coverage check answers and the same form submits.
    right = await portal.post("/portal/requests/new/coverage", data=data, headers=htmx)
    assert "Approved at once" in right.text
    done = await portal.post("/portal/requests/new", data=data)
    assert done.status_code == 303, done.text
    assert await _requests(database, world) == 1


async def test_no_birth_date_is_asked_for(
    portal: httpx.AsyncClient, database: Database, world: World
) -> None:
    data = {**await _form(portal, database, world), "birth_date": ""}
    r = await portal.post("/portal/requests/new", data=data)
    assert r.status_code == 422
    assert 'id="birth_date-error"' in r.text
    assert "date of birth" in r.text
    coverage = await portal.post(
        "/portal/requests/new/coverage", data=data, headers={"HX-Request": "true"}
    )
    assert "date of birth" in coverage.text
    assert world.network_a.name not in coverage.text
    assert await _requests(database, world) == 0


# --- in Chromium -------------------------------------------------------------------------


async def test_in_the_browser_a_wrong_birth_date_finds_no_one(
    page: Page, database: Database, world: World
) -> None:
    await publish(database, world.network_a, choc_like())
    await sign_in(page, await vendor_account(database, world))
    await page.goto("/portal/requests/new")
    await page.get_by_label("CIN").fill(world.member.cin)
    await page.get_by_label("Date of birth").fill(WRONG_BIRTH_DATE)
    await page.get_by_label("Diagnosis 1 (primary)").fill("G80.0")
    item = page.get_by_role("group", name="Item 1")
    await item.get_by_label("HCPCS code").fill("L1960")
    await item.get_by_label("Quantity").fill("1")
    await item.get_by_label("From").fill(START.isoformat())
    await item.get_by_label("To").fill(END.isoformat())
    await page.get_by_label("Prescriber NPI").fill("1234567893")

    await page.get_by_role("button", name="Look up member").click()
    await expect(page.locator("#member-result")).to_contain_text(NO_MEMBER)
    await page.get_by_role("button", name="Check coverage").click()
    coverage = page.locator("#coverage-result")
    await expect(coverage).to_contain_text(NO_MEMBER)
    await expect(coverage).not_to_contain_text(world.network_a.name)
    await assert_accessible(page)
    await snap(page, "wrong-birth-date-coverage")

    await page.get_by_role("button", name="Submit request").click()
    await expect(page.locator("#birth_date-error")).to_have_text(NO_MEMBER)
    await expect(page.get_by_label("Date of birth")).to_have_value(WRONG_BIRTH_DATE)
    assert "/portal/requests/new" in page.url
    await assert_accessible(page)
    assert await _requests(database, world) == 0

    # Corrected, the same form checks and submits.
    await page.get_by_label("Date of birth").fill(world.member.birth_date.isoformat())
    await page.get_by_role("button", name="Check coverage").click()
    await expect(page.locator("#coverage-result").get_by_text("Approved at once")).to_be_visible()
    await page.get_by_role("button", name="Submit request").click()
    await expect(page.get_by_role("heading", name="Request", level=1)).to_be_visible()
    assert await _requests(database, world) == 1
