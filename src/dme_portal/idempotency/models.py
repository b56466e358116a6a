"""Idempotency record table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime


class IdempotencyRecord(UUIDPk, Base):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    # Who owns the key (e.g. ``vendor:<uuid>``) and which operation it created.
    scope: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(80))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
