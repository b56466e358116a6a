"""Token grants: client credentials for machines, password for people (RFC 6749)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, select

from dme_portal.audit.models import Outcome
from dme_portal.auth import sign_in_audit, throttle
from dme_portal.auth.jwt import issue_token
from dme_portal.auth.models import ApiClient, AppUser
from dme_portal.auth.passwords import DUMMY_HASH, verify_secret_off_loop
from dme_portal.auth.principal import Principal
from dme_portal.auth.revocation import client_subject, user_subject
from dme_portal.auth.roles import MACHINE_ROLES
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.errors import DomainError

_T = TypeVar("_T")
_M = TypeVar("_M", ApiClient, AppUser)


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


async def _one(db: Database, statement: Select[_M]) -> _M | None:
    """Read one account in a short transaction of its own.

    Not the request's unit of work: the throttle counts are written in transactions of their
    own, and on SQLite a request transaction still open would block them.
    """
    async with unit_of_work(db) as session:
        return (await session.execute(statement)).scalar_one_or_none()


async def _throttled(
    db: Database,
    *,
    account: str,
    address: str | None,
    route: str,
    settings: Settings,
    now: datetime,
    attempt: Callable[[], Awaitable[_T]],
) -> _T:
    """Run a secret check under the sign-in throttles (429 when it must wait).

    Refusals and failures that begin a delay are written to the access log; the answer is
    the same whether the account exists or not.
    """
    policy = throttle.Policy.of(settings)
    tried = throttle.Attempt(account=account, address=address, now=now)
    try:
        known = await throttle.check(db, attempt=tried, policy=policy)
    except throttle.TooManyAttempts:
        await sign_in_audit.record(
            db, account=account, address=address, route=route, outcome=Outcome.THROTTLED, now=now
        )
        raise
    try:
        result = await attempt()
    except OAuthError:
        delay = await throttle.record_failure(db, attempt=tried, policy=policy, known=known)
        if delay is not None:
            await sign_in_audit.record(
                db,
                account=account,
                address=address,
                route=route,
                outcome=Outcome.LOCKED_OUT,
                now=now,
            )
        raise
    await throttle.record_success(db, attempt=tried, policy=policy)
    return result


async def authenticate_client(
    db: Database,
    *,
    client_id: str,
    client_secret: str,
    address: str | None,
    route: str,
    settings: Settings,
    now: datetime,
) -> ApiClient:
    """The active machine client whose secret matches (throttled), or 401 invalid_client."""

    async def attempt() -> ApiClient:
        client = (
            None
            if "\x00" in client_id  # not storable, so never a client; still spend the hash
            else await _one(db, select(ApiClient).where(ApiClient.client_id == client_id))
        )
        ok = await verify_secret_off_loop(
            client_secret, client.secret_hash if client else DUMMY_HASH
        )
        if client is None or not ok or not client.active:
            raise OAuthError("invalid_client", "Unknown client or wrong secret.", status=401)
        return client

    return await _throttled(
        db,
        account=client_subject(client_id),
        address=address,
        route=route,
        settings=settings,
        now=now,
        attempt=attempt,
    )


async def client_credentials(
    db: Database,
    *,
    client_id: str,
    client_secret: str,
    address: str | None,
    route: str,
    settings: Settings,
    now: datetime,
) -> tuple[str, int]:
    """Issue a token to a machine client whose secret matches."""
    client = await authenticate_client(
        db,
        client_id=client_id,
        client_secret=client_secret,
        address=address,
        route=route,
        settings=settings,
        now=now,
    )
    principal = Principal(
        subject=client_subject(client.client_id),
        role=client.role,
        org_kind=client.org_kind,
        org_id=client.org_id,
    )
    return issue_token(principal, settings=settings.auth, now=now)


async def password(
    db: Database,
    *,
    username: str,
    password: str,
    address: str | None,
    route: str,
    settings: Settings,
    now: datetime,
) -> tuple[str, int]:
    """Issue a token to a person whose password matches."""

    async def attempt() -> AppUser:
        user = (
            None
            if "\x00" in username
            else await _one(db, select(AppUser).where(AppUser.username == username))
        )
        ok = await verify_secret_off_loop(password, user.password_hash if user else DUMMY_HASH)
        if user is None or not ok or not user.active:
            raise OAuthError("invalid_grant", "Unknown user or wrong password.")
        return user

    user = await _throttled(
        db,
        account=user_subject(username),
        address=address,
        route=route,
        settings=settings,
        now=now,
        attempt=attempt,
    )
    if user.role in MACHINE_ROLES:
        raise OAuthError("unauthorized_client", "Machine roles use client credentials.")
    principal = Principal(
        subject=user_subject(user.username),
        role=user.role,
        org_kind=user.org_kind,
        org_id=user.org_id,
    )
    return issue_token(principal, settings=settings.auth, now=now)
