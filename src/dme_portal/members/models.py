"""Member and enrollment tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime


class Member(UUIDPk, Base):
    __tablename__ = "member"

    cin: Mapped[str] = mapped_column(String(9), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    ccs_eligible_from: Mapped[date | None] = mapped_column(Date)
    ccs_eligible_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Enrollment(UUIDPk, Base):
    """A member's enrollment in one network over a period (open-ended without ``effective_to``)."""

    __tablename__ = "enrollment"
    __table_args__ = (Index("ix_enrollment_member_from", "member_id", "effective_from"),)

    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("member.id"))
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    # Why and by whom the period was recorded (null for periods older than the enrollment
    # endpoint and loader, issue 16).
    reason: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
