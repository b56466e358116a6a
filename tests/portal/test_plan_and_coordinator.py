"""The care coordinator's search and the plan dashboard: in Chromium (axe-core, screenshots)
and over ASGI (the CSV, who may open the dashboard, a network admin's scope, the access log).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.async_api import Page, expect
from sqlalchemy import select

from dme_portal.audit.models import AccessLog, ResourceType
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.portal import charts
from dme_portal.portal.routes.coordinator import NOT_FOUND
from dme_portal.portal.routes.plan import add_months, month_starts
from fixtures.factories import World, auth_headers, make_account
from portal.browsing import assert_accessible, snap
from portal.flows import (
    QUESTION,
    TODAY,
    Account,
    csrf_token,
    expiring_request,
    open_request,
    pended_request,
    submit,
)

PERIOD_START = month_starts(TODAY, 6)[0]
PERIOD_END = add_months(TODAY, 1)


async def account_for(database: Database, world: World, role: Role) -> Account:
    kind, org = {
        Role.CARE_COORDINATOR: (OrgKind.NETWORK, world.network_a.id),
        Role.NETWORK_ADMIN: (OrgKind.NETWORK, world.network_a.id),
        Role.PLAN_ADMIN: (OrgKind.PLAN, world.plan.id),
    }[role]
    name, secret = await make_account(database, role=role, org_kind=kind, org_id=org, machine=False)
    return Account(name, secret)


async def browser_sign_in(page: Page, account: Account) -> None:
    await page.goto("/portal/sign-in")
    await page.get_by_label("User name").fill(account.username)
    await page.get_by_label("Password").fill(account.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()


async def seed_both_networks(client: httpx.AsyncClient, settings: Settings, world: World) -> None:
    """Requests in network A (open, decided, pended) and in network B (open)."""
    await open_request(client, settings, world)
    await expiring_request(client, settings, world)
    await pended_request(client, settings, world)
    start = TODAY + timedelta(days=100)
    line = {
        "hcpcs": "E1161",
        "quantity": 1,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=89)).isoformat(),
    }
    await submit(client, settings, dataclasses.replace(world, member=world.member_b), [line])


async def api_report(
    client: httpx.AsyncClient, settings: Settings, world: World, role: Role = Role.PLAN_ADMIN
) -> dict[str, Any]:
    r = await client.get(
        "/v1/reports/prior-authorization-metrics",
        params={"from": PERIOD_START.isoformat(), "to": PERIOD_END.isoformat()},
        headers=auth_headers(settings, world.principal(role)),
    )
    assert r.status_code == 200, r.text
    report: dict[str, Any] = r.json()
    return report


def by_network(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for row in report["items"]:
        sums = out.setdefault(row["network_code"], {"requests": 0, "approved": 0, "pended": 0})
        for key in sums:
            sums[key] += row[key]
    return out


# --- In Chromium -------------------------------------------------------------------------


async def test_coordinator_finds_a_child_and_sees_what_each_request_waits_on(
    page: Page, client: httpx.AsyncClient, settings: Settings, database: Database, world: World
) -> None:
    waiting = await open_request(client, settings, world)
    decided = await expiring_request(client, settings, world)
    pended = await pended_request(client, settings, world)
    number = decided["lines"][0]["authorization"]["number"]
    await browser_sign_in(page, await account_for(database, world, Role.CARE_COORDINATOR))
    await page.get_by_role("link", name="Find a child").click()
    await expect(page.get_by_role("heading", name="Find a child", level=1)).to_be_visible()
    await assert_accessible(page)
    await snap(page, "1-search")

    # A wrong date of birth: the same answer as a CIN nobody has.
    await page.get_by_label("CIN").fill(world.member.cin)
    await page.get_by_label("Date of birth").fill("2001-01-01")
    await page.get_by_role("button", name="Find").click()
    await expect(page.locator("#cin-error")).to_have_text(NOT_FOUND)
    await expect(page.get_by_label("CIN")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)
    await snap(page, "2-not-found")

    await page.get_by_label("Date of birth").fill(world.member.birth_date.isoformat())
    await page.get_by_role("button", name="Find").click()
    member = page.locator("#member")
    await expect(member.get_by_text(world.network_a.name)).to_be_visible()
    assert world.member.cin not in page.url
    assert world.member.cin not in await page.title()

    waiting_region = page.get_by_role("region", name="Requests waiting on someone")
    open_card = waiting_region.locator(f"[data-request='{waiting['id']}']")
    await expect(open_card.locator(".waiting-on")).to_contain_text(waiting["waiting_on"])
    await expect(open_card.locator(".next-step")).to_contain_text("is reviewing it")
    pended_card = waiting_region.locator(f"[data-request='{pended['id']}']")
    await expect(pended_card.locator(".waiting-on")).to_contain_text(
        "Waiting for the vendor to send a letter of medical necessity"
    )
    await expect(pended_card.locator(".next-step")).to_contain_text(f"call {world.vendor.name}")
    await expect(pended_card.get_by_text("pended", exact=True)).to_be_visible()
    auths = page.get_by_role("region", name="Authorizations")
    await expect(auths.get_by_text(number)).to_be_visible()
    decided_row = page.get_by_role("region", name="Decided and withdrawn requests").locator(
        f"[data-request='{decided['id']}']"
    )
    await expect(decided_row).to_contain_text("modified")

    # Nothing clinical: no diagnosis, no question text, no decision text.
    content = await page.content()
    for clinical in ("G80.0", QUESTION, "A short first period."):
        assert clinical not in content
    await assert_accessible(page)
    await snap(page, "3-child")
    await page.set_viewport_size({"width": 390, "height": 844})
    await snap(page, "4-child-phone")


async def test_plan_dashboard_draws_the_networks_side_by_side(
    page: Page, client: httpx.AsyncClient, settings: Settings, database: Database, world: World
) -> None:
    await seed_both_networks(client, settings, world)
    report = await api_report(client, settings, world)
    expected = by_network(report)
    assert expected[world.network_a.code]["requests"] == 3
    assert expected[world.network_b.code]["requests"] == 1

    await browser_sign_in(page, await account_for(database, world, Role.PLAN_ADMIN))
    await page.get_by_role("link", name="Plan dashboard").click()
    await expect(page.get_by_role("heading", name="Networks side by side")).to_be_visible()

    volume = page.locator("svg#chart-volume")
    await expect(volume).to_have_attribute("role", "img")
    await expect(volume.locator("title").first).to_have_text(
        "Requests received per network and month"
    )
    this_month = TODAY.strftime("%b %Y")
    for network in (world.network_a, world.network_b):
        bars = volume.locator(f"rect.bar[data-series='{network.code}']")
        await expect(bars).to_have_count(6)  # one a month
        current = bars.and_(page.locator(f"[data-category='{this_month}']"))
        await expect(current).to_have_attribute(
            "data-value", str(expected[network.code]["requests"])
        )
        rates = page.locator(f"svg#chart-rates rect.bar[data-category='{network.name}']")
        # Network B decided nothing: no approval or denial rate, only the pend rate.
        await expect(rates).to_have_count(3 if network is world.network_a else 1)
        row = page.locator(f"#table-rates tr[data-network='{network.code}']")
        for key in ("requests", "approved", "pended"):
            await expect(row.locator(f"td.{key}")).to_have_text(str(expected[network.code][key]))
    await expect(page.locator("svg#chart-sla circle.point")).to_have_count(1)
    await expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", "/portal/plan/metrics.csv?months=6"
    )
    await expect(
        page.get_by_role("region", name="Open breaches").get_by_text(
            "No open request is past its deadline."
        )
    ).to_be_visible()
    await assert_accessible(page)
    await snap(page, "1-plan-dashboard")

    await page.get_by_label("Period", exact=True).select_option("12")
    await page.get_by_role("button", name="Show").click()
    await expect(volume.locator(f"rect.bar[data-series='{world.network_a.code}']")).to_have_count(
        12
    )
    await snap(page, "2-twelve-months")
    await page.set_viewport_size({"width": 390, "height": 844})
    await assert_accessible(page)
    await snap(page, "3-phone")


# --- Over ASGI ---------------------------------------------------------------------------


@pytest.fixture
async def portal(app: FastAPI) -> httpx.AsyncClient:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c  # type: ignore[misc]


async def sign_in(portal: httpx.AsyncClient, account: Account) -> None:
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


async def test_csv_download_is_the_reports_csv(
    portal: httpx.AsyncClient,
    client: httpx.AsyncClient,
    settings: Settings,
    database: Database,
    world: World,
) -> None:
    await seed_both_networks(client, settings, world)
    await sign_in(portal, await account_for(database, world, Role.PLAN_ADMIN))
    r = await portal.get("/portal/plan/metrics.csv", params={"months": 6})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;")
    api = await client.get(
        "/v1/reports/prior-authorization-metrics",
        params={"from": PERIOD_START.isoformat(), "to": PERIOD_END.isoformat()},
        headers={**auth_headers(settings, world.principal(Role.PLAN_ADMIN)), "Accept": "text/csv"},
    )
    assert api.status_code == 200
    # The same report; only generated_at could differ, and it is not a CSV column.
    assert r.text == api.text


async def test_a_coordinator_cannot_open_the_plan_dashboard(
    portal: httpx.AsyncClient, database: Database, world: World
) -> None:
    await sign_in(portal, await account_for(database, world, Role.CARE_COORDINATOR))
    for path in ("/portal/plan", "/portal/plan/metrics.csv"):
        r = await portal.get(path)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("text/html")
        assert "Error 403" in r.text
    home = await portal.get("/portal/")
    # Home takes the coordinator to their first page, whose navigation has no plan link.
    assert (home.status_code, home.headers["location"]) == (303, "/portal/coordinator")
    first = await portal.get("/portal/coordinator")
    assert "/portal/plan" not in first.text
    assert "/portal/coordinator" in first.text


async def test_a_plan_admin_cannot_search_members_as_a_coordinator(
    portal: httpx.AsyncClient, database: Database, world: World
) -> None:
    await sign_in(portal, await account_for(database, world, Role.PLAN_ADMIN))
    r = await portal.get("/portal/coordinator")
    assert r.status_code == 403


async def test_a_network_admin_sees_only_their_network(
    portal: httpx.AsyncClient,
    client: httpx.AsyncClient,
    settings: Settings,
    database: Database,
    world: World,
) -> None:
    await seed_both_networks(client, settings, world)
    await sign_in(portal, await account_for(database, world, Role.NETWORK_ADMIN))
    r = await portal.get("/portal/plan")
    assert r.status_code == 200
    assert world.network_a.name in r.text
    assert world.network_b.name not in r.text
    assert f'data-series="{world.network_b.code}"' not in r.text
    assert f'data-series="{world.network_a.code}"' in r.text
    csv = await portal.get("/portal/plan/metrics.csv")
    codes = {line.split(",")[1] for line in csv.text.splitlines()[1:]}
    assert codes == {world.network_a.code}


async def test_coordinator_search_posts_and_logs_each_lookup(
    portal: httpx.AsyncClient,
    client: httpx.AsyncClient,
    settings: Settings,
    database: Database,
    world: World,
) -> None:
    waiting = await open_request(client, settings, world)
    account = await account_for(database, world, Role.CARE_COORDINATOR)
    await sign_in(portal, account)
    form = await portal.get("/portal/coordinator")
    token = csrf_token(form.text)
    unknown = await portal.post(
        "/portal/coordinator",
        data={"cin": "99999999Z", "birth_date": "2015-01-01", "csrf_token": token},
    )
    wrong_dob = await portal.post(
        "/portal/coordinator",
        data={"cin": world.member.cin, "birth_date": "2015-01-01", "csrf_token": token},
    )
    assert NOT_FOUND in unknown.text
    assert NOT_FOUND in wrong_dob.text
    assert unknown.status_code == wrong_dob.status_code
    invalid = await portal.post(
        "/portal/coordinator", data={"cin": "abc", "birth_date": "", "csrf_token": token}
    )
    assert invalid.status_code == 422
    assert "A CIN is 8 digits and a letter" in invalid.text
    assert "Enter the child&#39;s date of birth." in invalid.text
    no_token = await portal.post(
        "/portal/coordinator",
        data={"cin": world.member.cin, "birth_date": world.member.birth_date.isoformat()},
    )
    assert no_token.status_code == 403
    found = await portal.post(
        "/portal/coordinator",
        data={
            "cin": world.member.cin,
            "birth_date": world.member.birth_date.isoformat(),
            "csrf_token": token,
        },
    )
    assert found.status_code == 200
    assert waiting["id"] in found.text
    assert "G80.0" not in found.text
    async with unit_of_work(database) as s:
        rows = (
            await s.scalars(
                select(AccessLog).where(
                    AccessLog.route == "/portal/coordinator",
                    AccessLog.subject == f"user:{account.username}",
                )
            )
        ).all()
    kinds = {(str(r.resource_type), str(r.outcome)) for r in rows}
    assert (ResourceType.MEMBER.value, "not_found") in kinds
    assert (ResourceType.MEMBER.value, "success") in kinds
    assert ResourceType.REQUEST in {r.resource_type for r in rows}


async def test_plan_dashboard_logs_its_reads(
    portal: httpx.AsyncClient, database: Database, world: World
) -> None:
    account = await account_for(database, world, Role.PLAN_ADMIN)
    await sign_in(portal, account)
    r = await portal.get("/portal/plan", params={"months": 3})
    assert r.status_code == 200
    assert r.text.count('<rect class="bar"') >= 3 * 2  # volume: 3 months x 2 networks
    async with unit_of_work(database) as s:
        rows = (
            await s.scalars(
                select(AccessLog).where(
                    AccessLog.route == "/portal/plan",
                    AccessLog.subject == f"user:{account.username}",
                )
            )
        ).all()
    assert {r.resource_id for r in rows} == {"prior-authorization-metrics", "sla-breaches"}


# --- The chart functions -----------------------------------------------------------------


def test_bar_chart_is_labelled_and_escapes_names() -> None:
    svg = str(
        charts.bar_chart(
            "c1",
            title="T <1>",
            desc="D",
            categories=["Jan", "Feb"],
            series=[charts.Series("A & B", [1, None], key="ab"), charts.Series("C", [0, 4])],
        )
    )
    assert svg.startswith('<svg class="chart" id="c1" role="img"')
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">T &lt;1&gt;</title>' in svg
    assert svg.count('<rect class="bar"') == 3  # None draws nothing
    assert "A &amp; B, Jan: 1</title>" in svg


def test_line_chart_draws_a_point_per_value() -> None:
    svg = str(
        charts.line_chart(
            "c2",
            title="T",
            desc="D",
            categories=["Jan", "Feb", "Mar"],
            series=[charts.Series("A", [0.5, None, 1.0])],
            value_label=charts.percent,
        )
    )
    assert svg.count('<circle class="point"') == 2
    assert "A, Mar: 100%" in svg


def test_month_starts() -> None:
    assert month_starts(date(2026, 2, 14), 3) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert add_months(date(2026, 12, 5), 1) == date(2027, 1, 1)
