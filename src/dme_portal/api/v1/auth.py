"""POST /v1/auth/token: OAuth2 client credentials and password grants."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Header, Request, Response
from pydantic import BaseModel, Field

from dme_portal.api.deps import (
    ClockDep,
    DatabaseDep,
    SettingsDep,
    authenticate_bearer,
)
from dme_portal.api.problem import problem_responses
from dme_portal.auth import service as auth_service
from dme_portal.auth import withdraw
from dme_portal.auth.jwt import read_token
from dme_portal.auth.revocation import client_subject
from dme_portal.errors import InvalidToken
from dme_portal.netaddr import client_address

router = APIRouter(prefix="/auth", tags=["auth"])
TOKEN_ROUTE = "/v1/auth/token"


class TokenResponse(BaseModel):
    """An access token (RFC 6749 §5.1)."""

    access_token: str = Field(description="A JWT: send it as `Authorization: Bearer <token>`.")
    token_type: Literal["Bearer"] = Field(default="Bearer", description="Always `Bearer`.")
    expires_in: int = Field(description="Seconds until the token expires; then ask again.")


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


@router.post(
    "/token",
    operation_id="issueToken",
    response_model=TokenResponse,
    summary="Issue an access token",
    responses={
        **problem_responses(400, 401, 413, 422, 429),
        429: {
            **problem_responses(429)[429],
            "headers": {
                "Retry-After": {
                    "description": "Seconds until the account or address may try again.",
                    "schema": {"type": "integer"},
                }
            },
        },
    },
)
async def token(
    request: Request,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
    grant_type: Annotated[
        str | None, Form(description="`client_credentials` or `password`", max_length=100)
    ] = None,
    client_id: Annotated[
        str | None,
        Form(
            max_length=100,
            description="client_credentials: the machine client's id (or send it as HTTP Basic).",
        ),
    ] = None,
    client_secret: Annotated[
        str | None,
        Form(
            max_length=200,
            description="client_credentials: the machine client's secret (or as HTTP Basic).",
        ),
    ] = None,
    username: Annotated[
        str | None, Form(max_length=100, description="password: the person's user name.")
    ] = None,
    password: Annotated[
        str | None, Form(max_length=200, description="password: the person's password.")
    ] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> TokenResponse:
    """Client credentials (machines; form fields or HTTP Basic) or password (people).

    Errors follow RFC 6749 §5.2 as problem details with an `error` member: `invalid_request`,
    `unsupported_grant_type`, `invalid_grant` and `unauthorized_client` are 400s;
    `invalid_client` is a 401 with `WWW-Authenticate: Basic`. Swagger UI's **Authorize**
    button uses this endpoint for both flows.

    Tokens live at most 15 minutes (`expires_in`); ask again, or withdraw one early with
    `POST /v1/auth/revoke`. Failed attempts are throttled with growing delays: per account
    (user name or client id, known or not) and client address pair after 5 failures; per
    account after 10 failures from addresses it has not signed in from within 30 days (an
    address it has is never held by strangers' failures); and per address after 50 failures
    within a minute, whatever the accounts. Each answers 429 with `Retry-After` and
    `error: slow_down`, whether the account exists or not.
    """
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    now = clock.now()
    address = client_address(request)
    if not grant_type and _is_json(content_type):
        raise auth_service.OAuthError(
            "invalid_request",
            "Send the token request as application/x-www-form-urlencoded, not JSON (RFC 6749 "
            "section 4), e.g. grant_type=password&username=...&password=... "
            "(curl: -d grant_type=password -d username=... -d password=...).",
        )
    if not grant_type:
        raise auth_service.OAuthError("invalid_request", "grant_type is required.")
    if grant_type not in ("client_credentials", "password"):
        raise auth_service.OAuthError(
            "unsupported_grant_type", "Use client_credentials or password."
        )
    if grant_type == "client_credentials":
        basic = _basic_credentials(authorization)
        if basic is not None:
            client_id, client_secret = basic
        if not client_id or client_secret is None:
            raise auth_service.OAuthError(
                "invalid_client", "client_id and client_secret are required.", status=401
            )
        access, lifetime = await auth_service.client_credentials(
            db,
            client_id=client_id,
            client_secret=client_secret,
            address=address,
            route=TOKEN_ROUTE,
            settings=settings,
            now=now,
        )
    else:
        if not username or password is None:
            raise auth_service.OAuthError("invalid_request", "username and password are required.")
        access, lifetime = await auth_service.password(
            db,
            username=username,
            password=password,
            address=address,
            route=TOKEN_ROUTE,
            settings=settings,
            now=now,
        )
    return TokenResponse(access_token=access, expires_in=lifetime)


@router.post(
    "/revoke",
    operation_id="revokeToken",
    summary="Revoke an access token (RFC 7009)",
    response_class=Response,
    responses={
        200: {
            "description": "Revoked, or nothing to revoke (an unknown, invalid or expired "
            "token): the body is empty either way (RFC 7009 section 2.2).",
            "content": None,
        },
        **problem_responses(400, 401, 413, 422, 429),
    },
)
async def revoke(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    clock: ClockDep,
    token: Annotated[
        str | None, Form(max_length=8192, description="The access token to withdraw.")
    ] = None,
    token_type_hint: Annotated[
        str | None,
        Form(
            max_length=100,
            description="`access_token` (the only kind the hub issues); other hints are ignored.",
        ),
    ] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Withdraw an access token at once: from the next request on it gets 401 `invalid_token`.

    Form-encoded `token` (and optionally `token_type_hint`). Who may revoke a token is who
    holds it: send it alone (possession is the proof, as for any public client), or
    authenticate as the token's own holder, with the machine client's credentials as HTTP
    Basic or with a bearer token of the same subject. A token of another subject is refused
    with 400 `unauthorized_client`. An unknown, invalid or expired token gets 200 too, so the
    answer tells nothing about tokens (RFC 7009 section 2.2).
    """
    now = clock.now()
    caller: str | None = None
    basic = _basic_credentials(authorization)
    if basic is not None:
        client = await auth_service.authenticate_client(
            db,
            client_id=basic[0],
            client_secret=basic[1],
            address=client_address(request),
            route="/v1/auth/revoke",
            settings=settings,
            now=now,
        )
        caller = client_subject(client.client_id)
    elif authorization and authorization.lower().startswith("bearer "):
        bearer = await authenticate_bearer(authorization[7:].strip(), settings, db, now)
        caller = bearer.subject
    if not token:
        raise auth_service.OAuthError("invalid_request", "token is required.")
    try:
        verified = read_token(token, settings=settings.auth, now=now)
    except InvalidToken:
        verified = None
    if verified is not None:
        if caller is not None and caller != verified.principal.subject:
            raise auth_service.OAuthError(
                "unauthorized_client", "A caller may revoke only its own tokens."
            )
        await withdraw.revoke(db, token=verified, now=now)
    return Response(status_code=200, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
