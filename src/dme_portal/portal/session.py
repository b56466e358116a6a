"""The portal session: a cookie holding the access token, read back into a principal.

The cookie is HttpOnly, SameSite=Lax, Path=/portal, Secure outside dev and test, and lives
as long as the token (15 minutes). The token is checked exactly as a bearer token is
(signature, expiry, revocation, deactivated accounts) by ``api.deps.authenticate_bearer``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from dme_portal.api.deps import ClockDep, DatabaseDep, SettingsDep, authenticate_bearer
from dme_portal.auth.principal import Principal
from dme_portal.config import Settings
from dme_portal.errors import Unauthorized

SESSION_COOKIE = "dme_session"
COOKIE_PATH = "/portal"
SIGN_IN_PATH = "/portal/sign-in"


class SignInRequired(Exception):
    """No usable session: the portal's handler redirects to the sign-in page with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def secure_cookies(settings: Settings) -> bool:
    """Secure cookies everywhere but on a developer's plain-HTTP machine and in tests."""
    return settings.env not in ("dev", "test")


def set_session(response: Response, *, token: str, lifetime: int, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=lifetime,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )


def clear_session(response: Response, *, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )


async def portal_principal(
    request: Request, settings: SettingsDep, clock: ClockDep, db: DatabaseDep
) -> Principal:
    """The signed-in person, or ``SignInRequired`` (no cookie, expired or revoked token)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired("required")
    try:
        return await authenticate_bearer(token, settings, db, clock.now())
    except Unauthorized as exc:
        raise SignInRequired("expired") from exc


PortalPrincipal = Annotated[Principal, Depends(portal_principal)]
