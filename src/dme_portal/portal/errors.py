"""The portal's exception handlers: HTML pages for 403, 404, 422 and 500, a redirect to sign in.

The domain errors carry their status and title (errors.py); the portal only renders them, as
the API renders them as problem details. Details never carry PHI (STYLE §3.6).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dme_portal.config import Settings
from dme_portal.errors import DomainError
from dme_portal.portal.forms import UnstorableInput
from dme_portal.portal.session import SIGN_IN_PATH, SignInRequired, clear_session
from dme_portal.portal.templating import render

logger = logging.getLogger(__name__)

_ADVICE = {
    403: "Your role cannot open this page. Use the links above to go back to your work.",
    404: "There is no such page, or it is not one you can see. Check the link, or go back "
    "to your dashboard.",
    422: "Nothing was saved. Go back, correct the field and send the form again.",
    500: "Something went wrong on our side. Nothing was changed; please try again in a moment.",
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def error_page(request: Request, *, status: int, title: str, detail: str | None) -> Response:
    advice = _ADVICE.get(status, _ADVICE[500] if status >= 500 else "")
    return render(
        request,
        "error.html",
        settings=_settings(request),
        status_code=status,
        status=status,
        title=title,
        detail=detail if detail and detail != title else None,
        advice=advice,
    )


async def _on_sign_in_required(request: Request, exc: Exception) -> Response:
    reason = exc.reason if isinstance(exc, SignInRequired) else "required"
    response = RedirectResponse(f"{SIGN_IN_PATH}?reason={reason}", status_code=303)
    clear_session(response, settings=_settings(request))
    return response


async def _on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = exc.status if exc.status in (403, 404, 409, 412, 429, 503) else 400
    return error_page(request, status=status, title=exc.title, detail=exc.detail)


async def _on_unstorable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, UnstorableInput)
    target = request.headers.get("HX-Target", "")
    if request.headers.get("HX-Request") == "true" and target:
        # The part htmx asked for, in its place, saying which field to fix (base.html lets
        # htmx swap a 422 in; the id keeps the next request's target).
        return render(
            request,
            "partials/form_error.html",
            settings=_settings(request),
            status_code=422,
            target=target,
            message=exc.detail,
        )
    return error_page(request, status=422, title=exc.title, detail=exc.detail)


async def _on_validation_error(request: Request, _exc: Exception) -> Response:
    # A malformed id in the path: the same page as a request that does not exist.
    return error_page(request, status=404, title="Page not found", detail=None)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    title = "Page not found" if exc.status_code == 404 else "This cannot be done here"
    return error_page(request, status=exc.status_code, title=title, detail=None)


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    logger.error("portal page failed: %s", type(exc).__name__)
    return error_page(request, status=500, title="Something went wrong", detail=None)


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _on_sign_in_required)
    app.add_exception_handler(UnstorableInput, _on_unstorable)
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
