"""Token grants: client credentials for machines, password for people (RFC 6749)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.jwt import issue_token
from dme_portal.auth.models import ApiClient, AppUser
from dme_portal.auth.passwords import DUMMY_HASH, verify_secret
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import MACHINE_ROLES
from dme_portal.config import AuthSettings
from dme_portal.errors import DomainError


class OAuthError(DomainError):
    status = 400
    code = "oauth.invalid_grant"
    title = "The grant is not valid"

    def __init__(self, error: str, detail: str, *, status: int = 400) -> None:
        super().__init__(detail, extra={"error": error})
        self.code = f"oauth.{error}"  # type: ignore[misc]
        self.status = status  # type: ignore[misc]
        if status == 401:
            self.headers = {"WWW-Authenticate": 'Basic realm="dme-portal"'}


async def client_credentials(
    session: AsyncSession,
    *,
    client_id: str,
    client_secret: str,
    settings: AuthSettings,
    now: datetime,
) -> tuple[str, int]:
    """Issue a token to a machine client whose secret matches."""
    client = (
        None
        if "\x00" in client_id  # not storable, so never a client; still spend the hash below
        else (
            await session.execute(select(ApiClient).where(ApiClient.client_id == client_id))
        ).scalar_one_or_none()
    )
    ok = verify_secret(client_secret, client.secret_hash if client else DUMMY_HASH)
    if client is None or not ok or not client.active:
        raise OAuthError("invalid_client", "Unknown client or wrong secret.", status=401)
    principal = Principal(
        subject=f"client:{client.client_id}",
        role=client.role,
        org_kind=client.org_kind,
        org_id=client.org_id,
    )
    return issue_token(principal, settings=settings, now=now)


async def password(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    settings: AuthSettings,
    now: datetime,
) -> tuple[str, int]:
    """Issue a token to a person whose password matches."""
    user = (
        None
        if "\x00" in username
        else (
            await session.execute(select(AppUser).where(AppUser.username == username))
        ).scalar_one_or_none()
    )
    ok = verify_secret(password, user.password_hash if user else DUMMY_HASH)
    if user is None or not ok or not user.active:
        raise OAuthError("invalid_grant", "Unknown user or wrong password.")
    if user.role in MACHINE_ROLES:
        raise OAuthError("unauthorized_client", "Machine roles use client credentials.")
    principal = Principal(
        subject=f"user:{user.username}",
        role=user.role,
        org_kind=user.org_kind,
        org_id=user.org_id,
    )
    return issue_token(principal, settings=settings, now=now)
