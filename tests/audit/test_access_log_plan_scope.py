"""Access-log entries that concern no network nor member (a vendor's uploads before submitting,
its look-ups that found no one, sign-ins by names that are no account) belong to the plans the
caller works with: another plan's admin does not read them (found by the tenancy matrix)."""

from __future__ import annotations

import uuid

import httpx

from dme_portal.audit.models import AccessAction, AccessLog, Outcome, ResourceType
from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.vendors.models import Vendor
from fixtures.factories import NOW, World, auth_headers, make_world, unique_npi

LOG_URL = "/v1/audit/access-log"


async def _entry(db: Database, *, org_kind: str, org_id: uuid.UUID) -> str:
    """A network-less, member-less entry under a subject of its own; returns the subject."""
    subject = f"user:scope-{uuid.uuid4().hex[:10]}"
    async with unit_of_work(db) as s:
        s.add(
            AccessLog(
                at=NOW,
                subject=subject,
                role="vendor" if org_kind == "vendor" else "none",
                org_kind=org_kind,
                org_id=org_id,
                action=AccessAction.ELIGIBILITY,
                resource_type=ResourceType.MEMBER,
                network_id=None,
                member_count=0,
                method="GET",
                route="/v1/members/{cin}/eligibility",
                client_address="192.0.2.10",
                outcome=Outcome.NOT_FOUND,
            )
        )
    return subject


async def _sees(client: httpx.AsyncClient, settings: Settings, world: World, subject: str) -> bool:
    r = await client.get(
        LOG_URL,
        params={"subject": subject},
        headers=auth_headers(settings, world.principal(Role.PLAN_ADMIN)),
    )
    assert r.status_code == 200, r.text
    return [e["subject"] for e in r.json()["items"]] == [subject]


async def test_another_plans_vendor_is_not_this_plans_business(
    client: httpx.AsyncClient, settings: Settings, database: Database, world: World
) -> None:
    other = await make_world(database)
    async with unit_of_work(database) as s:
        stranger = Vendor(id=uuid.uuid4(), npi=unique_npi(), name="Stranger", created_at=NOW)
        s.add(stranger)
    contracted = await _entry(database, org_kind="vendor", org_id=world.vendor.id)
    probing = await _entry(database, org_kind="vendor", org_id=stranger.id)
    nobody = await _entry(database, org_kind="none", org_id=uuid.UUID(int=0))

    # The vendor under contract at this plan's network A: this plan's, not the other's.
    assert await _sees(client, settings, world, contracted)
    assert not await _sees(client, settings, other, contracted)
    # A vendor that works with no network, and a name that is no account: every plan watches.
    for subject in (probing, nobody):
        assert await _sees(client, settings, world, subject)
        assert await _sees(client, settings, other, subject)
