"""POST /v1/auth/token: OAuth2 client credentials and password grants."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Header
from pydantic import BaseModel, Field

from dme_portal.api.deps import ClockDep, SessionDep, SettingsDep
from dme_portal.api.problem import problem_responses
from dme_portal.auth import service as auth_service

router = APIRouter(prefix="/auth", tags=["auth"])


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
    responses=problem_responses(400, 401, 422),
)
async def token(
    session: SessionDep,
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
    """
    now = clock.now()
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
            session,
            client_id=client_id,
            client_secret=client_secret,
            settings=settings.auth,
            now=now,
        )
    else:
        if not username or password is None:
            raise auth_service.OAuthError("invalid_request", "username and password are required.")
        access, lifetime = await auth_service.password(
            session, username=username, password=password, settings=settings.auth, now=now
        )
    return TokenResponse(access_token=access, expires_in=lifetime)
