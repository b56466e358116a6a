"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dme_portal.api import hints
from dme_portal.db.faults import Fault, classify
from dme_portal.errors import DomainError, field_path

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("dme_portal.api")


class FieldError(BaseModel):
    """One invalid field of a 422."""

    field: str = Field(description="Where the problem is, e.g. `lines[0].hcpcs`.")
    message: str = Field(description="What is wrong with it.")
    code: str | None = Field(
        default=None, description="A machine-readable kind, e.g. `string_pattern_mismatch`."
    )


class Problem(BaseModel):
    """An RFC 9457 problem detail, with a stable ``code`` and field errors for 422s."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="Always `about:blank`.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(
        default=None, description="What went wrong this time, in words (never PHI)."
    )
    instance: str | None = Field(default=None, description="The path of the request.")
    code: str = Field(
        description="Stable machine-readable code, e.g. `authorization_request.not_found`."
    )
    errors: list[FieldError] | None = Field(
        default=None, description="For a 422 (and some 409s and 413s): each field at fault."
    )


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """Render a problem detail as ``application/problem+json``."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header"):
            where = loc[0]
            loc = loc[1:]
        else:
            where = "body"
        field = field_path(loc) or where
        kind = err.get("type")
        ctx = err.get("ctx")
        if kind == "json_invalid":
            position = loc[0] if loc else None
            reason = ctx.get("error") if isinstance(ctx, dict) else None
            field, message = "body", hints.json_message(exc.body, position, reason)
        else:
            message = (
                hints.pattern_message(ctx) if kind == "string_pattern_mismatch" else None
            ) or str(err.get("msg", "invalid")).removeprefix("Value error, ")
        out.append({"field": field, "message": message, "code": err.get("type")})
    return out


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem_response(
        request,
        status=422,
        code="validation_error",
        title="The request is not valid",
        detail=f"Invalid fields: {fields}",
        errors=errors,
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI answers a body that is not UTF-8 with a bare 400; it is invalid JSON (422).
        return problem_response(
            request,
            status=422,
            code="validation_error",
            title="The request is not valid",
            detail="Invalid fields: body",
            errors=[
                {
                    "field": "body",
                    "message": "The body is not valid UTF-8 JSON.",
                    "code": "json_invalid",
                }
            ],
        )
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first route matching the path; list every route's methods.
        headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
    return problem_response(
        request,
        status=exc.status_code,
        code=f"http.{exc.status_code}",
        title=phrase,
        detail=detail,
        headers=headers,
    )


def _allowed_methods(request: Request) -> set[str]:
    """Methods of every documented operation whose path template matches the request."""
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        request.app.state, "allowed_methods", None
    )
    if table is None:
        table = [
            (
                re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", path) + "$"),
                {m.upper() for m in item},
            )
            for path, item in request.app.openapi().get("paths", {}).items()
        ]
        request.app.state.allowed_methods = table
    path = request.url.path
    return {m for pattern, methods in table if pattern.match(path) for m in methods}


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(
        request, status=500, code="internal_error", title="Internal server error"
    )


# How long a client should wait before trying again after a 503 (the database is restarting,
# failing over or out of connections: seconds, not minutes).
UNAVAILABLE_RETRY_AFTER = 2


def unavailable_response(request: Request) -> JSONResponse:
    """The 503 for a database that does not answer; nothing was changed."""
    return problem_response(
        request,
        status=503,
        code="service.unavailable",
        title="Service unavailable",
        detail="The service cannot reach its database right now; nothing was changed. "
        f"Try again in {UNAVAILABLE_RETRY_AFTER} seconds.",
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
    )


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    fault = classify(exc)
    # Only the exception's class and SQLSTATE: its text may carry bound parameters (PHI).
    state = next(
        (getattr(e, "sqlstate", None) for e in (exc, getattr(exc, "orig", None)) if e), None
    )
    if fault is Fault.UNAVAILABLE:
        log.warning(
            "database unavailable on %s %s: %s (sqlstate %s)",
            request.method,
            request.url.path,
            type(exc).__name__,
            state,
        )
        return unavailable_response(request)
    if fault is Fault.CONFLICT:
        log.warning(
            "write conflict on %s %s: %s (sqlstate %s)",
            request.method,
            request.url.path,
            type(exc).__name__,
            state,
        )
        return problem_response(
            request,
            status=409,
            code="conflict.retry",
            title="Conflict with a concurrent change",
            detail="Another request changed the same data at the same time and this one was "
            "undone; nothing was changed. Read the resource again and retry.",
            headers={"Retry-After": "1"},
        )
    return await _on_unexpected(request, exc)


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, a problem detail."""
    app.add_exception_handler(DomainError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    # Database faults: 503 when it is unavailable, 409 when two writers collided, else 500.
    for kind in (SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        app.add_exception_handler(kind, _on_database_error)
    app.add_exception_handler(Exception, _on_unexpected)


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing, expired or invalid access token",
    403: "The caller's role may not do this",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the current state",
    412: "If-Match does not match the current ETag",
    413: "The body or an uploaded file is larger than allowed; `errors` names the field",
    415: "The body must be application/json",
    422: "The request is not valid; `errors` names each field",
    428: "A required If-Match (or Idempotency-Key) header is missing",
    429: "Too many requests or failed attempts; wait `Retry-After` seconds",
    503: "The database is unavailable; retry after `Retry-After` seconds",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for problem details with these statuses."""
    return {s: {"model": Problem, "description": _DESCRIPTIONS.get(s, "Error")} for s in statuses}
