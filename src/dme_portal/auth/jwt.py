"""Issue and verify access tokens (python-jose); strict on algorithm, expiry, issuer, audience."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jose import JWTError, jwt

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import ROLE_ORG_KINDS, OrgKind, Role
from dme_portal.config import AuthSettings
from dme_portal.errors import InvalidToken


def issue_token(principal: Principal, *, settings: AuthSettings, now: datetime) -> tuple[str, int]:
    """Sign a token for ``principal``; return it with its lifetime in seconds."""
    lifetime = settings.access_token_minutes * 60
    claims: dict[str, Any] = {
        "sub": principal.subject,
        "role": principal.role.value,
        "org_kind": principal.org_kind.value,
        "org": str(principal.org_id),
        "iss": settings.issuer,
        "aud": settings.audience,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, settings.secret_key, algorithm=settings.algorithm)
    return token, lifetime


_LEEWAY_SECONDS = 30


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    principal: Principal
    jti: str | None
    # The last moment the token is accepted (its exp plus the leeway).
    accepted_until: datetime


def verify_token(token: str, *, settings: AuthSettings, now: datetime) -> Principal:
    """Verify signature, algorithm, expiry, issuer and audience; return the principal."""
    return read_token(token, settings=settings, now=now).principal


def read_token(token: str, *, settings: AuthSettings, now: datetime) -> VerifiedToken:
    """Verify signature, algorithm, expiry, issuer and audience; return principal and jti.

    Expiry is checked against the hub's clock (``now``), not the library's wall clock.
    """
    try:
        header = jwt.get_unverified_header(token)
    except JWTError as exc:
        raise InvalidToken("The access token is malformed.") from exc
    # Only the configured algorithm: no "none", no switching to another family.
    if header.get("alg") != settings.algorithm:
        raise InvalidToken("The access token uses an algorithm this service does not accept.")
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[settings.algorithm],
            audience=settings.audience,
            issuer=settings.issuer,
            options={
                # require_exp would switch on jose's wall-clock check; exp is checked below.
                "require_sub": True,
                "require_aud": True,
                "require_iss": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except JWTError as exc:
        raise InvalidToken("The access token is not valid.") from exc
    stamp = now.timestamp()
    try:
        expires, not_before = float(claims["exp"]), float(claims.get("nbf", claims["iat"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("The access token lacks valid exp/iat claims.") from exc
    if stamp >= expires + _LEEWAY_SECONDS:
        raise InvalidToken("The access token has expired.")
    if stamp < not_before - _LEEWAY_SECONDS:
        raise InvalidToken("The access token is not valid yet.")
    try:
        role = Role(claims["role"])
        org_kind = OrgKind(claims["org_kind"])
        org_id = uuid.UUID(claims["org"])
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidToken("The access token lacks a valid role or organisation.") from exc
    if org_kind not in ROLE_ORG_KINDS[role]:
        raise InvalidToken("The access token's role does not fit its organisation.")
    jti = claims.get("jti")
    return VerifiedToken(
        principal=Principal(
            subject=str(claims["sub"]), role=role, org_kind=org_kind, org_id=org_id
        ),
        jti=str(jti) if jti is not None else None,
        accepted_until=datetime.fromtimestamp(expires + _LEEWAY_SECONDS, tz=UTC),
    )
