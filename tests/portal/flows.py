"""Data for the portal tests, made through the API as a vendor and a reviewer would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import NOW, REQUESTS_URL, World, auth_headers, make_account

TODAY = NOW.date()
EXPIRES_ON = TODAY + timedelta(days=20)
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass(frozen=True)
class Account:
    username: str
    password: str


async def vendor_account(database: Database, world: World) -> Account:
    """A person signing in for the world's vendor."""
    name, secret = await make_account(
        database, role=Role.VENDOR, org_kind=OrgKind.VENDOR, org_id=world.vendor.id, machine=False
    )
    return Account(name, secret)


def _line(hcpcs: str, start_in_days: int, quantity: int = 1) -> dict[str, Any]:
    start = TODAY + timedelta(days=start_in_days)
    return {
        "hcpcs": hcpcs,
        "quantity": quantity,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=89)).isoformat(),
    }


async def submit(
    client: httpx.AsyncClient, settings: Settings, world: World, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    body = {
        "member_cin": world.member.cin,
        "member_birth_date": world.member.birth_date.isoformat(),
        "prescriber_npi": "1234567893",
        "urgency": "standard",
        "kind": "initial",
        "diagnoses": ["G80.0"],
        "lines": lines,
    }
    r = await client.post(
        REQUESTS_URL, json=body, headers=auth_headers(settings, world.principal(Role.VENDOR))
    )
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def open_request(
    client: httpx.AsyncClient, settings: Settings, world: World
) -> dict[str, Any]:
    """A request waiting on the network's review (no ruleset decides it)."""
    created = await submit(client, settings, world, [_line("E1161", 100)])
    assert created["status"] == "in_review"
    return created


async def expiring_request(
    client: httpx.AsyncClient, settings: Settings, world: World
) -> dict[str, Any]:
    """A request a reviewer approved with a period that ends 20 days from today."""
    created = await submit(client, settings, world, [_line("L1960", 1, quantity=2)])
    decision = {
        "lines": [
            {
                "line_number": 1,
                "outcome": "modified",
                "end_date": EXPIRES_ON.isoformat(),
                "reason_code": "period_exceeds_policy",
                "reason": "A short first period.",
            }
        ]
    }
    r = await client.post(
        f"/v1/review/requests/{created['id']}/decision",
        json=decision,
        headers={
            **auth_headers(settings, world.principal(Role.REVIEWER)),
            "If-Match": f'"v{created["version"]}"',
        },
    )
    assert r.status_code == 200, r.text
    decided: dict[str, Any] = r.json()
    assert decided["lines"][0]["authorization"]["number"]
    return decided


def csrf_token(html: str) -> str:
    found = CSRF_PATTERN.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


QUESTION = "Please send a letter of medical necessity for the stander."


async def pended_request(
    client: httpx.AsyncClient, settings: Settings, world: World
) -> dict[str, Any]:
    """A request a reviewer pended with a question for the vendor."""
    created = await submit(client, settings, world, [_line("E0638", 200)])
    r = await client.post(
        f"/v1/review/requests/{created['id']}/information-requests",
        json={"message": QUESTION, "documents_requested": ["letter_of_medical_necessity"]},
        headers={
            **auth_headers(settings, world.principal(Role.REVIEWER)),
            "If-Match": f'"v{created["version"]}"',
        },
    )
    assert r.status_code == 201, r.text
    return created
