"""API clients (machines) and users (people), with hashed secrets."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, String, Uuid
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
