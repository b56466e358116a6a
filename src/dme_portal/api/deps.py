"""Dependencies shared by the routers: settings, clock, unit of work, authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.jwt import read_token
from dme_portal.auth.principal import Principal
from dme_portal.auth.revocation import cache_for
from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.errors import DomainError, Forbidden, InvalidToken, Unauthorized
from dme_portal.sla.clock import Clock


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_session(
    db: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    """One unit of work per request: committed before the response is sent."""
    async with unit_of_work(db) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
ClockDep = Annotated[Clock, Depends(get_clock)]
# scope="function": the commit happens before the response leaves, so an acknowledged
# request is a committed one.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

TOKEN_URL = "/v1/auth/token"

_bearer = HTTPBearer(
    auto_error=False,
    description="An access token from `POST /v1/auth/token` (or from the identity provider the "
    "hub trusts), sent as `Authorization: Bearer <token>`.",
)
# The same bearer token, described as the OAuth2 grants that issue it, so that Swagger UI's
# Authorize button (and generated clients) can fetch one. Documentation only: the token is
# read and checked through ``_bearer`` above.
_oauth2 = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_URL, scopes={}),
        password=OAuthFlowPassword(tokenUrl=TOKEN_URL, scopes={}),
    ),
    scheme_name="OAuth2",
    description="`clientCredentials` for machines (`vendor_client`, `network_client`, "
    "`plan_client`): client "
    "id and secret as HTTP Basic or as form fields. `password` for people (vendor staff, "
    "reviewers, admins, coordinators). The access token's role decides what the caller may do; "
    "the token has no scopes.",
    auto_error=False,
)


async def authenticate_bearer(
    token: str, settings: Settings, db: Database, now: datetime
) -> Principal:
    """The token's principal, unless it is invalid, revoked, or its account deactivated.

    The revocation check is a dict/set lookup in this process's cache (``auth.revocation``),
    reloaded from the database at most every ``auth.revocation_refresh_seconds``.
    """
    verified = read_token(token, settings=settings.auth, now=now)
    cache = cache_for(db)
    if cache.needs_refresh():
        await cache.refresh(db, now=now)
    if cache.is_withdrawn(subject=verified.principal.subject, jti=verified.jti):
        raise InvalidToken("The access token has been revoked.")
    return verified.principal


class Authenticator:
    """Resolve the bearer token to a principal, and check the role."""

    def __init__(self, roles: Iterable[Role] | None = None) -> None:
        self.roles = frozenset(roles) if roles is not None else None

    async def __call__(
        self,
        settings: SettingsDep,
        clock: ClockDep,
        db: DatabaseDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        _documented: Annotated[str | None, Depends(_oauth2)],
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized("A bearer access token is required.")
        now = clock.now()
        principal = await authenticate_bearer(credentials.credentials, settings, db, now)
        if self.roles is not None and principal.role not in self.roles:
            raise Forbidden(f"The role '{principal.role.value}' may not do this.")
        return principal


AnyPrincipal = Annotated[Principal, Depends(Authenticator())]


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


async def require_json(request: Request, _principal: AnyPrincipal) -> None:
    """Refuse a non-JSON body with 415 rather than a confusing validation error.

    Depends on authentication so that an anonymous caller gets 401 first.
    """
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return
    if not content_type and not await request.body():
        return
    raise UnsupportedMediaType("Send the body as application/json.")
