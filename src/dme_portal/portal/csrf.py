"""CSRF protection for every portal form: a token signed with the hub's key and tied to the
browser (a random ``dme_csrf`` cookie) and to the session (the session cookie's value).

The form carries ``csrf_token`` = HMAC(key, nonce | session); a cross-site page can neither
read the nonce (HttpOnly, SameSite=Strict) nor forge the HMAC. Signing in changes the session
part, so a token from before sign-in does not work after it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from dme_portal.config import Settings
from dme_portal.errors import Forbidden
from dme_portal.portal.session import COOKIE_PATH, SESSION_COOKIE, secure_cookies

CSRF_COOKIE = "dme_csrf"
CSRF_FIELD = "csrf_token"


class CsrfRejected(Forbidden):
    code = "portal.csrf"
    title = "This form could not be verified"


def nonce_of(request: Request) -> str:
    """The browser's nonce, or a new one (remembered on the request until the cookie is set)."""
    existing = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_nonce", None)
    if existing:
        return str(existing)
    fresh = secrets.token_urlsafe(32)
    request.state.csrf_nonce = fresh
    return fresh


def token_for(request: Request, settings: Settings, *, session: str | None = None) -> str:
    """The token the page's forms carry."""
    bound = request.cookies.get(SESSION_COOKIE, "") if session is None else session
    message = f"{nonce_of(request)}|{bound}".encode()
    return hmac.new(settings.auth.secret_key.encode(), message, hashlib.sha256).hexdigest()


def remember_nonce(request: Request, response: Response, settings: Settings) -> None:
    """Set the nonce cookie when this request created it."""
    fresh = getattr(request.state, "csrf_nonce", None)
    if fresh and request.cookies.get(CSRF_COOKIE) != fresh:
        response.set_cookie(
            CSRF_COOKIE,
            fresh,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=secure_cookies(settings),
        )


def verify(request: Request, form: FormData, settings: Settings) -> None:
    """Refuse (403) a form without a valid token for this browser and session."""
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not request.cookies.get(CSRF_COOKIE):
        raise CsrfRejected("The form was sent without its security token.")
    if not hmac.compare_digest(sent, token_for(request, settings)):
        raise CsrfRejected("The form's security token does not match this session.")
