"""Issue 21 point 5 through the matrix: the roles that read requests as a status view, in their
own scope (N1's admin and care coordinator, P1's admin and client), see no diagnosis, note,
question, answer or document of tenant 1's requests, through any read."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import auth_headers
from tenancy.tables import KNOWN_GAPS
from tenancy.world import Tenant1, Tenant2

CLINICAL = (
    "diagnosis G71.01",
    "diagnosis Q90.9",
    "notes",
    "brandreason",
    "question",
    "answer",
    "upload",
    "uploadpdf",
    "lmn",
    "lmnpdf",
    "reconreason",
)
VIEWERS = [
    (Role.NETWORK_ADMIN, OrgKind.NETWORK),
    (Role.CARE_COORDINATOR, OrgKind.NETWORK),
    (Role.CARE_COORDINATOR, OrgKind.PLAN),
    (Role.PLAN_ADMIN, OrgKind.PLAN),
    (Role.PLAN_CLIENT, OrgKind.PLAN),
]
R = "/v1/authorization-requests"
READS: dict[str, Any] = {
    "getAuthorizationRequest": lambda one: [f"{R}/{i}" for i in _requests(one)],
    "listAuthorizationRequests": lambda one: [f"{R}?member_cin={one.member.cin}&limit=100"],
    "listAuthorizationRequestEvents": lambda one: [f"{R}/{i}/events" for i in _requests(one)],
    "listInformationRequests": lambda one: [f"{R}/{one.open_id}/information-requests"],
    "listAttachments": lambda one: [f"{R}/{one.open_id}/attachments"],
    "downloadAttachment": lambda one: [
        f"{R}/{one.open_id}/attachments/{one.attachment_id}/content"
    ],
    "listRequestReconsiderations": lambda one: [f"{R}/{one.denied_id}/reconsiderations"],
    "getReconsideration": lambda one: [f"/v1/reconsiderations/{one.reconsideration_id}"],
    "getAuthorization": lambda one: [f"/v1/authorizations/{a}" for a in one.authorization_ids],
    "listAuthorizations": lambda one: ["/v1/authorizations?limit=100"],
}


def _requests(one: Tenant1) -> list[str]:
    return [one.open_id, one.approved_id, one.denied_id, one.renewal_id]


def _cases() -> list[Any]:
    cases = []
    for operation in READS:
        for role, kind in VIEWERS:
            who = f"{role.value}@{kind.value}"
            reason = KNOWN_GAPS.get((f"view: {operation}", who))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(operation, role, kind, id=f"{operation}-{who}", marks=marks))
    return cases


@pytest.mark.parametrize(("operation", "role", "kind"), _cases())
async def test_status_view_roles_see_no_clinical_content(
    operation: str,
    role: Role,
    kind: OrgKind,
    tenants: tuple[Tenant1, Tenant2],
    app: FastAPI,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    one, _ = tenants
    org = one.network.id if kind is OrgKind.NETWORK else one.world.plan.id
    headers = auth_headers(settings, Principal(f"user:view-{role.value}", role, kind, org))
    secrets = one.all_secrets()
    found: list[str] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        for url in READS[operation](one):
            r = await c.get(url, headers=headers)
            assert r.status_code < 500, r.text
            assert r.status_code != 401, r.text
            text = r.content.decode("utf-8", "replace")
            found += [f"{k} in {url}" for k in CLINICAL if secrets[k] in text]
    assert not found


async def test_the_reviewer_sees_the_clinical_content(
    tenants: tuple[Tenant1, Tenant2], app: FastAPI, settings: Settings, clock: FrozenClock
) -> None:
    """The control: the secrets are real, a reviewer of N1 reads them."""
    one, _ = tenants
    headers = auth_headers(settings, one.world.principal(Role.REVIEWER))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        text = (await c.get(f"{R}/{one.open_id}", headers=headers)).text
        text += (await c.get(f"{R}/{one.open_id}/information-requests", headers=headers)).text
        text += (await c.get(f"{R}/{one.open_id}/attachments", headers=headers)).text
    secrets = one.all_secrets()
    assert {k for k in CLINICAL if secrets[k] in text} >= {
        "diagnosis G71.01",
        "notes",
        "question",
        "answer",
        "lmn",
    }
