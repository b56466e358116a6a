"""Withdraw access: revoke one token, deactivate or reactivate a user or an API client.

Each runs in a transaction of its own and tells this process's revocation cache once it has
committed, so the withdrawal takes effect at once here and within the cache's refresh bound in
every other process.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, update

from dme_portal.auth.jwt import VerifiedToken
from dme_portal.auth.models import ApiClient, AppUser, RevokedToken
from dme_portal.auth.revocation import cache_for, client_subject, user_subject
from dme_portal.db import dialect
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.errors import NotFound

AccountKind = Literal["user", "client"]


class AccountNotFound(NotFound):
    code = "auth.account_not_found"
    title = "No such account"


async def revoke(db: Database, *, token: VerifiedToken, now: datetime) -> None:
    """Refuse this token (by its jti) from now on; purge revocations of expired tokens."""
    if token.jti is None or token.accepted_until <= now:
        return  # nothing to withdraw: it names no jti, or it no longer works anyway
    async with unit_of_work(db) as session:
        await dialect.insert_ignoring_conflict(
            session,
            RevokedToken.__table__,  # type: ignore[arg-type]
            {
                "id": uuid.uuid4(),
                "jti": token.jti,
                "subject": token.principal.subject,
                "expires_at": token.accepted_until,
                "revoked_at": now,
            },
            ["jti"],
        )
        await session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= now))
    cache_for(db).revoked(token.jti, expires_at=token.accepted_until)


async def set_active(db: Database, *, kind: AccountKind, name: str, active: bool) -> None:
    """Deactivate (or reactivate) a user by user name or a client by client_id.

    A deactivated account can get no new token, and its tokens already issued are refused.
    """
    async with unit_of_work(db) as session:
        if kind == "user":
            result = await session.execute(
                update(AppUser).where(AppUser.username == name).values(active=active)
            )
        else:
            result = await session.execute(
                update(ApiClient).where(ApiClient.client_id == name).values(active=active)
            )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise AccountNotFound(f"There is no {kind} named '{name}'.")
    subject = user_subject(name) if kind == "user" else client_subject(name)
    cache_for(db).set_active(subject, active=active)
