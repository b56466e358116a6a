"""Refused and delayed sign-ins in the access log, for the plan to see (issue 21 point 4).

A row names the account when it exists (its subject, role and organisation; a network's
staff under that network, so the network's admin sees it too). A name that is no account is
recorded as ``unknown:user`` or ``unknown:client``: what was typed may be a password, so it
is never stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from dme_portal.audit import repository as audit_repository
from dme_portal.audit.models import AccessAction, AccessLog, Outcome, ResourceType
from dme_portal.auth.models import ApiClient, AppUser
from dme_portal.auth.roles import OrgKind
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.netaddr import valid_ip

NO_ORG = uuid.UUID(int=0)


async def record(
    db: Database,
    *,
    account: str,
    address: str | None,
    route: str,
    outcome: Outcome,
    now: datetime,
) -> None:
    """One access-log row for a sign-in that was refused or began a delay (own transaction)."""
    kind, _, name = account.partition(":")
    model = ApiClient if kind == "client" else AppUser
    column = ApiClient.client_id if kind == "client" else AppUser.username
    async with unit_of_work(db) as session:
        owner = (
            None
            if "\x00" in name or len(name) > 100
            else (
                await session.execute(
                    select(model.role, model.org_kind, model.org_id).where(column == name)
                )
            ).first()
        )
        if owner is None:
            subject, role, org_kind, org_id, network_id = (
                f"unknown:{'client' if kind == 'client' else 'user'}",
                "none",
                "none",
                NO_ORG,
                None,
            )
        else:
            subject, role, org_kind, org_id = account, owner[0].value, owner[1].value, owner[2]
            network_id = owner[2] if owner[1] is OrgKind.NETWORK else None
        entry = AccessLog(
            id=uuid.uuid4(),
            at=now,
            subject=subject[:200],
            role=role,
            org_kind=org_kind,
            org_id=org_id,
            client_id=name[:200] if owner is not None and kind == "client" else None,
            action=AccessAction.SIGN_IN,
            resource_type=ResourceType.ACCOUNT,
            resource_id=None,
            network_id=network_id,
            member_count=0,
            method="POST",
            route=route[:200],
            client_address=valid_ip(address),
            outcome=outcome,
            purpose=None,
        )
        await audit_repository.add(session, entry, ())
