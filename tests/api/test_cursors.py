"""Issue 15, point 6: a cursor that is not one the API returned is a 422 naming ``cursor``.

Every list endpoint that takes a cursor gets random strings and well-formed but absurd cursors
(base64 JSON with dates out of range, huge or negative numbers, malformed UUIDs, wrong shapes):
each answer is a page (200) or a 422 whose ``errors`` name ``cursor``, never a 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from fixtures.factories import World, auth_headers

_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _b64(value: Any) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
_offsets = st.sampled_from(["Z", "+00:00", "+14:00", "-14:00", "+23:59", "-23:59", ""])
_times = (
    st.datetimes().map(lambda d: d.isoformat())  # naive, year 1 to 9999
    | st.tuples(st.datetimes(), _offsets).map(lambda p: p[0].isoformat() + p[1])
    | st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",  # before year 1 once in UTC
            "9999-12-31T23:59:59-14:00",  # after year 9999 once in UTC
            "0001-01-01T00:00:00+00:00",
            "9999-12-31T23:59:59.999999+00:00",
            "2026-13-45T99:99:99Z",
            "-2026-01-01T00:00:00Z",
        ]
    )
    | _json
)
_ids = st.uuids().map(str) | st.text(max_size=40) | _json
_keys = st.text(max_size=30) | _json

# Decodes to JSON of the right outline, with absurd contents; or to some other JSON at all.
TIME_CURSORS = (
    st.builds(lambda t, i: _b64({"t": t, "id": i}), _times, _ids)
    | _json.map(_b64)
    | st.text(max_size=210)
)
KEY_CURSORS = (
    st.builds(lambda k: _b64({"after": k}), _keys) | _json.map(_b64) | st.text(max_size=210)
)
NUMBER_CURSORS = (
    st.integers(min_value=-(2**80), max_value=2**80).map(str)
    | st.sampled_from([str(2**63 - 1), str(2**63), "9" * 19, "0" * 19, "-1", "1e9", " 1"])
    | st.text(max_size=30)
)


def _params(name: str, cursor: str) -> dict[str, str]:
    search = {"hcpcs": {"q": "wheelchair"}, "icd10": {"q": "diabetes"}}.get(name, {})
    return {**search, "cursor": cursor}


def _assert_page_or_cursor_422(r: httpx.Response) -> None:
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        body = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "cursor" in {e["field"] for e in body["errors"]}, body


@pytest.fixture
def endpoints(world: World, settings: Settings) -> dict[str, tuple[str, dict[str, str]]]:
    def h(role: Role) -> dict[str, str]:
        return auth_headers(settings, world.principal(role))

    return {
        "requests": ("/v1/authorization-requests", h(Role.VENDOR)),
        "queue": ("/v1/review/queue", h(Role.REVIEWER)),
        "breaches": ("/v1/reports/sla-breaches", h(Role.PLAN_ADMIN)),
        "assignments": (
            f"/v1/networks/{world.network_a.id}/csag-assignments",
            h(Role.NETWORK_ADMIN),
        ),
        "hcpcs": ("/v1/codes/hcpcs", h(Role.VENDOR)),
        "icd10": ("/v1/codes/icd10", h(Role.VENDOR)),
        "changes": ("/v1/network/requests/changes", h(Role.NETWORK_CLIENT)),
    }


TIME_LISTS = ["requests", "queue", "breaches", "assignments"]


class TestTimeCursors:
    @pytest.mark.parametrize("name", TIME_LISTS)
    @_SETTINGS
    @given(cursor=TIME_CURSORS)
    async def test_never_500(
        self,
        client: httpx.AsyncClient,
        endpoints: dict[str, tuple[str, dict[str, str]]],
        name: str,
        cursor: str,
    ) -> None:
        url, headers = endpoints[name]
        r = await client.get(url, params=_params(name, cursor), headers=headers)
        _assert_page_or_cursor_422(r)

    @pytest.mark.parametrize("name", TIME_LISTS)
    @pytest.mark.parametrize(
        "cursor",
        [
            _b64({"t": "0001-01-01T00:00:00+14:00", "id": "00000000-0000-0000-0000-000000000000"}),
            _b64({"t": "9999-12-31T23:59:59-14:00", "id": "00000000-0000-0000-0000-000000000000"}),
            _b64({"t": "2026-11-01T00:00:00Z", "id": "not-a-uuid"}),
            _b64({"t": "2026-11-01T00:00:00", "id": "00000000-0000-0000-0000-000000000000"}),
            _b64({"t": -1, "id": 10**30}),
            _b64(["t", "id"]),
            _b64(10**40),
            "not base64 at all!",
        ],
    )
    async def test_absurd_cursors_are_422(
        self,
        client: httpx.AsyncClient,
        endpoints: dict[str, tuple[str, dict[str, str]]],
        name: str,
        cursor: str,
    ) -> None:
        url, headers = endpoints[name]
        r = await client.get(url, params=_params(name, cursor), headers=headers)
        assert r.status_code == 422, r.text
        _assert_page_or_cursor_422(r)


class TestKeyCursors:
    @pytest.mark.parametrize("name", ["hcpcs", "icd10"])
    @_SETTINGS
    @given(cursor=KEY_CURSORS)
    async def test_never_500(
        self,
        client: httpx.AsyncClient,
        endpoints: dict[str, tuple[str, dict[str, str]]],
        name: str,
        cursor: str,
    ) -> None:
        url, headers = endpoints[name]
        r = await client.get(url, params=_params(name, cursor), headers=headers)
        _assert_page_or_cursor_422(r)


class TestChangeCursor:
    @_SETTINGS
    @given(cursor=NUMBER_CURSORS)
    async def test_never_500(
        self,
        client: httpx.AsyncClient,
        endpoints: dict[str, tuple[str, dict[str, str]]],
        cursor: str,
    ) -> None:
        url, headers = endpoints["changes"]
        r = await client.get(url, params=_params("changes", cursor), headers=headers)
        _assert_page_or_cursor_422(r)

    @pytest.mark.parametrize("cursor", [str(2**63), "9" * 19])
    async def test_past_64_bits_is_422(
        self,
        client: httpx.AsyncClient,
        endpoints: dict[str, tuple[str, dict[str, str]]],
        cursor: str,
    ) -> None:
        url, headers = endpoints["changes"]
        r = await client.get(url, params=_params("changes", cursor), headers=headers)
        assert r.status_code == 422, r.text
        _assert_page_or_cursor_422(r)

    async def test_largest_64_bit_cursor_is_an_empty_page(
        self,
        client: httpx.AsyncClient,
        endpoints: dict[str, tuple[str, dict[str, str]]],
    ) -> None:
        url, headers = endpoints["changes"]
        r = await client.get(url, params={"cursor": str(2**63 - 1)}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["items"] == []
