"""The vendor's forms in Chromium: a new request a CSAG approves at once, the live coverage
check, an answer to an information request, renewals from the dashboard; and over ASGI:
CSRF, one submission per form, errors next to their fields."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect
from sqlalchemy import func, select

from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.submissions.models import AuthorizationRequest
from fixtures.documents import pdf_bytes
from fixtures.factories import World
from fixtures.rules import choc_like, publish
from portal.browsing import assert_accessible, snap
from portal.flows import (
    TODAY,
    Account,
    csrf_token,
    expiring_request,
    pended_request,
    vendor_account,
)
from portal.test_browser import sign_in

START = TODAY + timedelta(days=1)
END = START + timedelta(days=89)


async def fill_member_and_line(page: Page, world: World, hcpcs: str, slot: int = 0) -> None:
    await page.get_by_label("CIN").fill(world.member.cin)
    await page.get_by_label("Date of birth").fill(world.member.birth_date.isoformat())
    await page.get_by_label("Diagnosis 1 (primary)").fill("G80.0")
    item = page.get_by_role("group", name=f"Item {slot + 1}")
    await item.get_by_label("HCPCS code").fill(hcpcs)
    await item.get_by_label("Quantity").fill("1")
    await item.get_by_label("From").fill(START.isoformat())
    await item.get_by_label("To").fill(END.isoformat())
    await page.get_by_label("Prescriber NPI").fill("1234567893")


async def test_a_request_a_csag_approves_shows_its_authorization_number(
    page: Page, database: Database, world: World
) -> None:
    await publish(database, world.network_a, choc_like())
    await sign_in(page, await vendor_account(database, world))
    await page.get_by_role("link", name="New request").click()
    await expect(page.get_by_role("heading", name="New request", level=1)).to_be_visible()
    await fill_member_and_line(page, world, "L1960")
    await page.get_by_role("button", name="Look up member").click()
    await expect(page.locator("#member-result").get_by_text(world.network_a.name)).to_be_visible()
    assert world.member.cin not in page.url
    await page.get_by_role("button", name="Check coverage").click()
    coverage = page.locator("#coverage-result")
    await expect(coverage.get_by_text("Approved at once")).to_be_visible()
    await assert_accessible(page)
    await snap(page, "1-new-request-with-coverage")

    await page.get_by_role("button", name="Submit request").click()
    await expect(page.get_by_role("heading", name="Request", level=1)).to_be_visible()
    assert "/portal/requests/" in page.url
    items = page.get_by_role("region", name="Items")
    await expect(items.get_by_text("approved").first).to_be_visible()
    await expect(items.locator(".auth-number")).to_have_text(re.compile(r"\S+"))
    await assert_accessible(page)
    await snap(page, "2-approved-with-number")


async def test_the_coverage_check_shows_what_is_missing(
    page: Page, database: Database, world: World
) -> None:
    await publish(database, world.network_a, choc_like())
    await sign_in(page, await vendor_account(database, world))
    await page.goto("/portal/requests/new")
    await fill_member_and_line(page, world, "E1161")
    await page.get_by_role("button", name="Check coverage").click()
    missing = page.locator("#coverage-result td.missing")
    await expect(missing).to_contain_text("seating evaluation")
    await expect(missing).to_contain_text("prescription")
    await assert_accessible(page)
    await snap(page, "coverage-missing")


async def test_the_vendor_answers_an_information_request_with_a_document(
    page: Page,
    client: httpx.AsyncClient,
    settings: Settings,
    database: Database,
    world: World,
    tmp_path: pytest.TempPathFactory,
) -> None:
    pended = await pended_request(client, settings, world)
    await sign_in(page, await vendor_account(database, world))
    await page.goto(f"/portal/requests/{pended['id']}")
    await page.get_by_label("Your answer").fill("The letter is attached.")
    letter = tmp_path / "letter.pdf"  # type: ignore[operator]
    letter.write_bytes(pdf_bytes("letter"))
    await page.get_by_label("Document (optional)").set_input_files(str(letter))
    await page.get_by_label("What it is").select_option("letter_of_medical_necessity")
    await assert_accessible(page)
    await page.get_by_role("button", name="Send answer").click()
    await expect(page.locator(".status")).to_have_text("in review")
    await expect(page.get_by_role("region", name="Timeline")).to_contain_text("attachment")
    await snap(page, "answered")


async def test_the_vendor_renews_from_the_dashboard(
    page: Page, client: httpx.AsyncClient, settings: Settings, database: Database, world: World
) -> None:
    decided = await expiring_request(client, settings, world)
    number = decided["lines"][0]["authorization"]["number"]
    await sign_in(page, await vendor_account(database, world))
    await page.get_by_label(f"Renew {number}").check()
    await assert_accessible(page)
    await page.get_by_role("button", name="Renew selected").click()
    filed = page.get_by_role("region", name="Renewals filed")
    await expect(filed).to_contain_text("L1960")
    await assert_accessible(page)
    await snap(page, "renewed")
    # Renewed once: the same authorization again is refused, naming it.
    await page.goto("/portal/")
    await page.get_by_label(f"Renew {number}").check()
    await page.get_by_role("button", name="Renew selected").click()
    await expect(page.get_by_role("heading", name="Nothing was renewed")).to_be_visible()
    await expect(page.locator(".renewal-problems")).to_contain_text(number)


# --- over ASGI ---------------------------------------------------------------------------


@pytest.fixture
async def portal(app: FastAPI) -> httpx.AsyncClient:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c  # type: ignore[misc]


async def _signed_in(portal: httpx.AsyncClient, account: Account) -> str:
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
    form = await portal.get("/portal/requests/new")
    assert form.status_code == 200
    return form.text


def _fields(html: str, world: World, **over: str) -> dict[str, str]:

    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert key
    data = {
        "csrf_token": csrf_token(html),
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
    data.update(over)
    return data


async def _count(database: Database) -> int:
    async with unit_of_work(database) as s:
        return int(
            (await s.execute(select(func.count()).select_from(AuthorizationRequest))).scalar_one()
        )


async def test_submit_without_the_csrf_token_is_refused(
    portal: httpx.AsyncClient, database: Database, world: World
) -> None:
    html = await _signed_in(portal, await vendor_account(database, world))
    data = _fields(html, world)
    del data["csrf_token"]
    before = await _count(database)
    r = await portal.post("/portal/requests/new", data=data)
    assert r.status_code == 403
    assert await _count(database) == before
    r = await portal.post("/portal/renewals", data={"authorization_id": "x"})
    assert r.status_code == 403


async def test_the_same_form_sent_twice_submits_once(
    portal: httpx.AsyncClient, database: Database, world: World
) -> None:
    html = await _signed_in(portal, await vendor_account(database, world))
    data = _fields(html, world)
    before = await _count(database)
    first = await portal.post("/portal/requests/new", data=data)
    second = await portal.post("/portal/requests/new", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert first.headers["location"].startswith("/portal/requests/")
    assert await _count(database) == before + 1


async def test_field_errors_are_shown_next_to_the_fields_with_the_values_kept(
    portal: httpx.AsyncClient, database: Database, world: World
) -> None:
    html = await _signed_in(portal, await vendor_account(database, world))
    data = _fields(
        html, world, **{"lines-0-quantity": "zero", "prescriber_npi": "123", "notes": "Kept."}
    )
    before = await _count(database)
    r = await portal.post("/portal/requests/new", data=data)
    assert r.status_code == 422
    assert 'id="lines-0-quantity-error"' in r.text
    assert 'id="prescriber_npi-error"' in r.text
    assert 'value="zero"' in r.text
    assert "Kept." in r.text
    assert world.member.cin in r.text  # the entered CIN stays in its field, not in the URL
    assert await _count(database) == before
    # A member the hub does not know: the service's InvalidInput, next to the CIN.
    r = await portal.post(
        "/portal/requests/new",
        data={
            **data,
            "lines-0-quantity": "1",
            "prescriber_npi": "1234567893",
            "member_cin": "99999999Z",
        },
    )
    assert r.status_code in (404, 422), r.text
