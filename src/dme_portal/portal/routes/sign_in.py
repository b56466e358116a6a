"""Sign in with the API's users (the password grant and its throttle), and sign out."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from dme_portal.api.deps import ClockDep, DatabaseDep, SettingsDep
from dme_portal.auth import service as auth_service
from dme_portal.auth import withdraw
from dme_portal.auth.jwt import read_token
from dme_portal.auth.throttle import TooManyAttempts
from dme_portal.errors import InvalidToken
from dme_portal.netaddr import client_address
from dme_portal.portal import csrf
from dme_portal.portal.forms import FormErrors, SignInForm
from dme_portal.portal.session import SESSION_COOKIE, clear_session, set_session
from dme_portal.portal.templating import render

router = APIRouter(include_in_schema=False)

NOTICES = {
    "required": "Please sign in to continue.",
    "expired": "Your session has ended: sessions last 15 minutes. Please sign in again.",
    "signed_out": "You have signed out.",
}


@router.get("/sign-in")
async def sign_in_page(request: Request, settings: SettingsDep, reason: str = "") -> Response:
    return render(
        request,
        "sign_in.html",
        settings=settings,
        notice=NOTICES.get(reason),
        errors=FormErrors(),
        username="",
    )


@router.post("/sign-in")
async def sign_in(
    request: Request, settings: SettingsDep, clock: ClockDep, db: DatabaseDep
) -> Response:
    form = await request.form()
    csrf.verify(request, form, settings)
    data, errors = SignInForm.parse(form)
    status = 400
    wait: dict[str, str] = {}
    if not errors:
        try:
            token, lifetime = await auth_service.password(
                db,
                username=data.username,
                password=data.password,
                address=client_address(request),
                route="/portal/sign-in",
                settings=settings,
                now=clock.now(),
            )
        except auth_service.OAuthError:
            errors.add("password", "The user name or password is not right. Try again.")
        except TooManyAttempts as exc:
            status = 429
            wait = dict(exc.headers or {})
            errors.add("password", exc.detail)
        else:
            response = RedirectResponse("/portal/", status_code=303)
            set_session(response, token=token, lifetime=lifetime, settings=settings)
            return response
    page = render(
        request,
        "sign_in.html",
        settings=settings,
        status_code=status,
        notice=None,
        errors=errors,
        username=data.username,
    )
    page.headers.update(wait)  # Retry-After, as the token endpoint sends it
    return page


@router.post("/sign-out")
async def sign_out(
    request: Request, settings: SettingsDep, clock: ClockDep, db: DatabaseDep
) -> Response:
    """Revoke the session's token (as ``POST /v1/auth/revoke`` does) and clear the cookie."""
    form = await request.form()
    csrf.verify(request, form, settings)
    token = request.cookies.get(SESSION_COOKIE)
    now = clock.now()
    if token:
        with contextlib.suppress(InvalidToken):  # expired or invalid: nothing to withdraw
            await withdraw.revoke(
                db, token=read_token(token, settings=settings.auth, now=now), now=now
            )
    response = RedirectResponse("/portal/sign-in?reason=signed_out", status_code=303)
    clear_session(response, settings=settings)
    return response
