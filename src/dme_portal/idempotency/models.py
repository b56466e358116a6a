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

    # Which organisation owns the key (e.g. ``vendor:<uuid>``) and which operation it created.
    scope: Mapped[str] = mapped_column(String(80))
    # The caller that used it (``user:...``, ``client:...``): the only one answered from it.
    # Null on records made before issue 21 (never replayed).
    subject: Mapped[str | None] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(80))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # The end of the key's window: never replayed from then on, and purged by the worker.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
