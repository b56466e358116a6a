"""Bad input in portal forms is a page that names the field, never a 500 (issue 21 point 7).

A NUL (or a lone surrogate) in any field is refused before any route reads its form: a 422
page, or for htmx the part it asked for, in place, with the error; nothing is stored. A draft
ruleset of the wrong shape (valid JSON, not the schema), saved through the page or the API,
leaves the page and the API's reads working, the problems listed.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.rulesets.models import RulesetDraft
from dme_portal.submissions.models import InformationRequest
from fixtures.factories import World, auth_headers, make_account
from portal.flows import Account, csrf_token, pended_request, vendor_account

PORTAL = "/portal"
NUL_TEXT = "Marisol Quintanilla\x00 spina bifida"


@pytest.fixture
async def portal(app: FastAPI) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


async def sign_in(portal: httpx.AsyncClient, account: Account, form_page: str) -> str:
    """Sign in; the CSRF token of ``form_page``'s forms."""
    page = await portal.get(f"{PORTAL}/sign-in")
    r = await portal.post(
        f"{PORTAL}/sign-in",
        data={
            "username": account.username,
            "password": account.password,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert r.status_code == 303, r.text
    return csrf_token((await portal.get(f"{PORTAL}{form_page}")).text)


async def admin_account(database: Database, world: World) -> Account:
    name, secret = await make_account(
        database,
        role=Role.NETWORK_ADMIN,
        org_kind=OrgKind.NETWORK,
        org_id=world.network_a.id,
        machine=False,
    )
    return Account(name, secret)


class TestUnstorableCharacters:
    async def test_nul_in_an_answer_is_a_422_page_naming_the_field_and_nothing_is_stored(
        self,
        portal: httpx.AsyncClient,
        client: httpx.AsyncClient,
        settings: Settings,
        database: Database,
        world: World,
    ) -> None:
        pended = await pended_request(client, settings, world)
        token = await sign_in(portal, await vendor_account(database, world), "/requests/new")
        r = await portal.post(
            f"{PORTAL}/requests/{pended['id']}/information-response",
            data={"csrf_token": token, "message": NUL_TEXT},
        )
        assert r.status_code == 422, r.text
        assert "The message field contains a character that cannot be saved" in r.text
        assert "Marisol" not in r.text
        async with unit_of_work(database) as s:
            answered = await s.scalar(
                select(func.count())
                .select_from(InformationRequest)
                .where(
                    InformationRequest.request_id == uuid.UUID(pended["id"]),
                    InformationRequest.answered_at.is_not(None),
                )
            )
        assert answered == 0

    async def test_nul_in_the_htmx_member_lookup_is_the_part_with_the_error_in_place(
        self, portal: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        token = await sign_in(portal, await vendor_account(database, world), "/requests/new")
        r = await portal.post(
            f"{PORTAL}/requests/new/member",
            data={"csrf_token": token, "member_cin": "1234\x005678A", "birth_date": "2015-03-17"},
            headers={"HX-Request": "true", "HX-Target": "member-result"},
        )
        assert r.status_code == 422, r.text
        assert r.text.startswith('<div id="member-result"')
        assert "The CIN field contains a character that cannot be saved" in r.text
        assert "<html" not in r.text

    async def test_a_lone_surrogate_in_a_line_field_is_refused_by_name(
        self, portal: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        token = await sign_in(portal, await vendor_account(database, world), "/requests/new")
        r = await portal.post(
            f"{PORTAL}/requests/new",
            content=f"csrf_token={token}&lines-2-hcpcs=%ED%A0%80&notes=x%00y".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        # Invalid UTF-8 is decoded as U+FFFD (storable); the NUL in the notes is named.
        assert r.status_code == 422, r.text
        assert "The notes field contains" in r.text

    async def test_the_page_lets_htmx_swap_a_422(
        self, portal: httpx.AsyncClient, database: Database, world: World
    ) -> None:
        await sign_in(portal, await vendor_account(database, world), "/requests/new")
        page = await portal.get(f"{PORTAL}/requests/new")
        assert '{"code": "422", "swap": true' in page.text


WRONG_SHAPES: list[Any] = [
    {"csags": 5},
    {"csags": [{"id": "x", "items": 7}]},
    {"csags": "not a list", "durations": [1, 2]},
    {"durations": {"default_days": "ninety"}, "sla": 72},
    {"no_authorization": {"a": 1}, "documents": None, "renewals": []},
]


class TestDraftOfTheWrongShape:
    @pytest.mark.parametrize("document", WRONG_SHAPES, ids=range(len(WRONG_SHAPES)))
    async def test_saved_in_the_page_the_page_and_the_api_still_work(
        self,
        portal: httpx.AsyncClient,
        client: httpx.AsyncClient,
        settings: Settings,
        database: Database,
        world: World,
        document: Any,
    ) -> None:
        token = await sign_in(portal, await admin_account(database, world), "/ruleset")
        saved = await portal.post(
            f"{PORTAL}/ruleset/draft",
            data={
                "csrf_token": token,
                "etag": "",
                "mode": "json",
                "document": json.dumps(document),
            },
        )
        assert saved.status_code in (303, 422), saved.text
        page = await portal.get(f"{PORTAL}/ruleset")
        assert page.status_code == 200, page.text
        admin = auth_headers(settings, world.principal(Role.NETWORK_ADMIN))
        base = f"/v1/networks/{world.network_a.id}/ruleset"
        async with unit_of_work(database) as s:
            stored = await s.scalar(
                select(RulesetDraft.document).where(RulesetDraft.network_id == world.network_a.id)
            )
        if saved.status_code == 303:
            assert stored == document
            assert "to fix before publishing" in page.text
            draft = await client.get(f"{base}/draft", headers=admin)
            assert draft.status_code == 200, draft.text
            checked = await client.post(f"{base}/draft/validate", headers=admin)
            assert checked.status_code == 200, checked.text
            assert checked.json()["valid"] is False
            # The page offers to discard it: the draft becomes the defaults again, valid.
            discard = re.search(
                r'<input type="hidden" name="etag" value="([^"]*)">\s*'
                r'<input type="hidden" name="mode" value="json">\s*'
                r'<input type="hidden" name="document" value="([^"]*)">',
                page.text,
            )
            assert discard is not None, "no Discard the draft form"
            again = await portal.post(
                f"{PORTAL}/ruleset/draft",
                data={
                    "csrf_token": token,
                    "etag": html.unescape(discard.group(1)),
                    "mode": "json",
                    "document": html.unescape(discard.group(2)),
                },
            )
            assert again.status_code == 303, again.text
            page = await portal.get(f"{PORTAL}/ruleset")
            assert "The draft is valid and ready to publish." in page.text
        else:
            assert stored is None

    @pytest.mark.parametrize("document", WRONG_SHAPES, ids=range(len(WRONG_SHAPES)))
    async def test_saved_through_the_api_the_page_still_works(
        self,
        portal: httpx.AsyncClient,
        client: httpx.AsyncClient,
        settings: Settings,
        database: Database,
        world: World,
        document: Any,
    ) -> None:
        admin = auth_headers(settings, world.principal(Role.NETWORK_ADMIN))
        base = f"/v1/networks/{world.network_a.id}/ruleset"
        put = await client.put(
            f"{base}/draft",
            json={"document": document},
            headers={**admin, "If-None-Match": "*"},
        )
        # The API keeps a draft that is not yet valid (any JSON object), as the page does.
        assert put.status_code in (200, 201), put.text
        await sign_in(portal, await admin_account(database, world), "/ruleset")
        page = await portal.get(f"{PORTAL}/ruleset")
        assert page.status_code == 200, page.text
        assert "to fix before publishing" in page.text
        assert "Discard the draft" in page.text
        draft = await client.get(f"{base}/draft", headers=admin)
        assert draft.status_code == 200, draft.text
        assert draft.json()["document"] == document
        current = await client.get(base, headers=admin)
        assert current.status_code in (200, 404), current.text


class TestInTheBrowser:
    async def test_a_nul_in_the_member_lookup_shows_the_error_in_place_and_the_next_try_works(
        self, page: Any, database: Database, world: World
    ) -> None:
        from playwright.async_api import expect

        from portal.test_browser import sign_in as browser_sign_in

        await browser_sign_in(page, await vendor_account(database, world))
        await page.goto("/portal/requests/new")
        # A NUL cannot be typed; pasted text can carry one.
        await page.get_by_label("CIN").evaluate(
            "(el, cin) => { el.value = cin + '\\u0000'; }", world.member.cin
        )
        await page.get_by_label("Date of birth").fill(world.member.birth_date.isoformat())
        await page.get_by_role("button", name="Look up member").click()
        result = page.locator("#member-result")
        await expect(result).to_contain_text("The CIN field contains a character that cannot be")
        await expect(page.get_by_role("heading", name="New request", level=1)).to_be_visible()
        # The part kept its id: correcting the CIN and looking up again swaps in the member.
        await page.get_by_label("CIN").fill(world.member.cin)
        await page.get_by_role("button", name="Look up member").click()
        await expect(
            page.locator("#member-result").get_by_text(world.network_a.name)
        ).to_be_visible()
