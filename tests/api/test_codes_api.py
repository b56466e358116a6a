"""GET /v1/codes/hcpcs and /v1/codes/icd10, and the current codes a submission accepts."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from fixtures.factories import (
    REQUESTS_URL,
    World,
    assert_problem,
    auth_headers,
    line_body,
    request_body,
)

Headers = dict[str, str]
HCPCS_URL = "/v1/codes/hcpcs"
ICD10_URL = "/v1/codes/icd10"
CGM = ["E2102", "E2103", "A4238", "A4239"]


@pytest.fixture
def vendor(settings: Settings, world: World) -> Headers:
    return auth_headers(settings, world.principal(Role.VENDOR))


async def search(
    client: httpx.AsyncClient, url: str, headers: Headers, **params: Any
) -> dict[str, Any]:
    r = await client.get(url, params=params, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def walk(
    client: httpx.AsyncClient, url: str, headers: Headers, **params: Any
) -> list[dict[str, Any]]:
    """Every item of every page, following ``next_cursor``."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):
        page = await search(
            client, url, headers, **params, **({"cursor": cursor} if cursor else {})
        )
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging did not end")


class TestSubmitTakesCurrentCodes:
    """Issue 13.6: current CMS codes and Medi-Cal T codes are accepted at submission."""

    async def _submit(
        self, client: httpx.AsyncClient, world: World, vendor: Headers, codes: list[str]
    ) -> httpx.Response:
        body = request_body(
            world, diagnoses=["E10.65"], lines=[line_body(code, unit="each") for code in codes]
        )
        headers = {**vendor, "Idempotency-Key": str(uuid.uuid4())}
        return await client.post(REQUESTS_URL, json=body, headers=headers)

    async def test_cgm_codes_and_t4521_are_accepted(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        r = await self._submit(client, world, vendor, [*CGM, "T4521"])

        assert r.status_code == 201, r.text
        lines = r.json()["lines"]
        assert [line["hcpcs"] for line in lines] == [*CGM, "T4521"]
        assert [line["category"] for line in lines] == ["diabetes"] * 4 + ["incontinence"]
        assert "continuous glucose monitor" in lines[0]["description"]

    async def test_e0950_and_e2402_are_accepted(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        r = await self._submit(client, world, vendor, ["E0950", "E2402"])

        assert r.status_code == 201, r.text
        lines = r.json()["lines"]
        assert [line["category"] for line in lines] == ["wheelchairs", "wound_care"]

    async def test_a_code_with_only_a_cms_short_descriptor_shows_it(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        r = await self._submit(client, world, vendor, ["E0953"])

        assert r.status_code == 201, r.text
        assert r.json()["lines"][0]["description"] == "W/c lateral thigh/knee sup"

    async def test_a_retired_code_is_refused(
        self, client: httpx.AsyncClient, world: World, vendor: Headers
    ) -> None:
        r = await self._submit(client, world, vendor, ["K0553"])

        assert_problem(r, 422, field="lines[0].hcpcs")


class TestHcpcsSearch:
    async def test_glucose_finds_the_cgm_codes(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        page = await search(client, HCPCS_URL, vendor, q="glucose", limit=100)

        by_code = {item["code"]: item for item in page["items"]}
        assert set(CGM) <= set(by_code)
        assert page["next_cursor"] is None
        assert by_code["A4238"] == {
            "code": "A4238",
            "description": "Supply allowance for adjunctive, nonimplanted continuous glucose "
            "monitor (CGM), includes all supplies and accessories, 1 month supply = 1 unit of "
            "service",
            "category": "diabetes",
        }
        assert {"E2100", "E2101", "E2104", "E0607", "A4253"} <= set(by_code)

    async def test_code_prefix_is_case_insensitive(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        page = await search(client, HCPCS_URL, vendor, q="e210")

        assert [item["code"] for item in page["items"]] == [
            "E2100",
            "E2101",
            "E2102",
            "E2103",
            "E2104",
        ]
        assert page["items"][4]["description"] == "Glucose monitor w cartridge"  # CMS's short

    async def test_medi_cal_t_codes_are_searchable(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        page = await search(client, HCPCS_URL, vendor, q="t45", limit=100)

        assert [item["code"] for item in page["items"]] == [f"T{n}" for n in range(4521, 4545)]
        assert {item["category"] for item in page["items"]} == {"incontinence"}

    async def test_cursor_paging_walks_every_result_once(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        whole = await walk(client, HCPCS_URL, vendor, q="wheelchair", limit=100)
        paged = await walk(client, HCPCS_URL, vendor, q="wheelchair", limit=7)

        codes = [item["code"] for item in paged]
        assert len(codes) > 100
        assert codes == sorted(set(codes))
        assert paged == whole

    async def test_default_page_is_25(self, client: httpx.AsyncClient, vendor: Headers) -> None:
        page = await search(client, HCPCS_URL, vendor, q="l")

        assert len(page["items"]) == 25
        assert {item["category"] for item in page["items"]} == {"orthotics"}
        assert page["next_cursor"]

    async def test_no_match_is_an_empty_page(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        assert await search(client, HCPCS_URL, vendor, q="zzzz") == {
            "items": [],
            "next_cursor": None,
        }

    @pytest.mark.parametrize(
        "role", [Role.REVIEWER, Role.NETWORK_ADMIN, Role.CARE_COORDINATOR, Role.PLAN_ADMIN]
    )
    async def test_any_role_may_search(
        self, client: httpx.AsyncClient, settings: Settings, world: World, role: Role
    ) -> None:
        headers = auth_headers(settings, world.principal(role))

        page = await search(client, HCPCS_URL, headers, q="E2402")

        assert [item["code"] for item in page["items"]] == ["E2402"]


class TestIcd10Search:
    async def test_words_find_billable_codes_and_headers(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        page = await search(client, ICD10_URL, vendor, q="cerebral palsy")

        by_code = {item["code"]: item for item in page["items"]}
        assert by_code["G80"] == {"code": "G80", "description": "Cerebral palsy", "billable": False}
        assert by_code["G80.0"] == {
            "code": "G80.0",
            "description": "Spastic quadriplegic cerebral palsy",
            "billable": True,
        }

    async def test_billable_only_leaves_headers_out(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        page = await search(client, ICD10_URL, vendor, q="g80", billable_only="true")

        codes = [item["code"] for item in page["items"]]
        assert "G80" not in codes
        assert "G80.0" in codes
        assert all(item["billable"] for item in page["items"])

    @pytest.mark.parametrize("q", ["g800", "G80.0", "g80.0"])
    async def test_code_prefix_with_or_without_the_dot(
        self, client: httpx.AsyncClient, vendor: Headers, q: str
    ) -> None:
        page = await search(client, ICD10_URL, vendor, q=q)

        assert [item["code"] for item in page["items"]] == ["G80.0"]

    async def test_cursor_paging_walks_every_result_once(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        whole = await walk(client, ICD10_URL, vendor, q="spina bifida", limit=100)
        paged = await walk(client, ICD10_URL, vendor, q="spina bifida", limit=4)

        codes = [item["code"] for item in paged]
        assert len(codes) > 8
        assert codes == sorted(set(codes))
        assert paged == whole


class TestProblems:
    @pytest.mark.parametrize("url", [HCPCS_URL, ICD10_URL])
    async def test_401_without_a_token(self, client: httpx.AsyncClient, url: str) -> None:
        r = await client.get(url, params={"q": "glucose"})

        assert_problem(r, 401)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")

    @pytest.mark.parametrize("url", [HCPCS_URL, ICD10_URL])
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({}, "q"),
            ({"q": ""}, "q"),
            ({"q": "   "}, "q"),
            ({"q": "x" * 101}, "q"),
            ({"q": "glucose", "limit": "0"}, "limit"),
            ({"q": "glucose", "limit": "101"}, "limit"),
            ({"q": "glucose", "cursor": "not-a-cursor"}, "cursor"),
            ({"q": "glucose", "cursor": base64.urlsafe_b64encode(b"[1]").decode()}, "cursor"),
            (
                {"q": "glucose", "cursor": base64.urlsafe_b64encode(b'{"after":1}').decode()},
                "cursor",
            ),
        ],
    )
    async def test_422_names_the_field(
        self,
        client: httpx.AsyncClient,
        vendor: Headers,
        url: str,
        params: dict[str, str],
        field: str,
    ) -> None:
        r = await client.get(url, params=params, headers=vendor)

        assert_problem(r, 422, code="validation_error", field=field)

    async def test_a_cursor_from_the_other_search_is_refused(
        self, client: httpx.AsyncClient, vendor: Headers
    ) -> None:
        icd = await search(client, ICD10_URL, vendor, q="palsy", limit=1)

        r = await client.get(
            HCPCS_URL, params={"q": "palsy", "cursor": icd["next_cursor"]}, headers=vendor
        )

        assert_problem(r, 422, field="cursor")
