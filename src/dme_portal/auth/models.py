"""API clients (machines) and users (people), with hashed secrets."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dme_portal.auth.roles import OrgKind, Role
from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime, str_enum


class ApiClient(UUIDPk, Base):
    __tablename__ = "api_client"

    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    org_kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind))
    org_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppUser(UUIDPk, Base):
    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    org_kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind))
    org_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginThrottle(UUIDPk, Base):
    """Failed sign-ins per key in a window: ``address:``, ``pair:`` (account and address) or
    ``account:`` (the account from addresses it does not know), each a hash.

    Written in its own transaction, so that a failed login's count survives the rollback of
    the request that failed; rows of accounts that never existed are counted too.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(250), unique=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class KnownSignInAddress(UUIDPk, Base):
    """An address an account signed in from successfully, and when it last did (issue 21).

    Within ``sign_in.known_address_days`` of that sign-in, the account's right secret from
    this address is never refused for failures from other addresses. Both columns are keyed
    hashes (HMAC-SHA256 under the signing key): the table holds no user names or addresses.
    """

    __tablename__ = "known_sign_in_address"
    __table_args__ = (UniqueConstraint("account_key_hash", "address_hash"),)

    account_key_hash: Mapped[str] = mapped_column(String(64))
    address_hash: Mapped[str] = mapped_column(String(64))
    last_success_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RevokedToken(UUIDPk, Base):
    """An access token withdrawn before its expiry (RFC 7009); purged once it has expired."""

    __tablename__ = "revoked_token"

    jti: Mapped[str] = mapped_column(String(100), unique=True)
    subject: Mapped[str] = mapped_column(String(250))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime())
