"""Plan and network tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime


class HealthPlan(UUIDPk, Base):
    __tablename__ = "health_plan"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Whether California HSC 1367.01 binds the plan (a Knox-Keene licensed plan): standard
    # decisions within five business days, which caps its networks' SLA policies (DESIGN §5).
    hsc_1367_01_applies: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Continuity of care: authorizations in force when a member moves to another network stay
    # honoured this long (12 months for WCM specialised DME providers, W&I Code 14094.13).
    continuity_months: Mapped[int] = mapped_column(Integer, default=12, server_default="12")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Network(UUIDPk, Base):
    __tablename__ = "network"

    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("health_plan.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Turnaround from receipt to decision, per urgency (DESIGN §6; 72 h by default).
    standard_turnaround_hours: Mapped[int] = mapped_column(Integer)
    expedited_turnaround_hours: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
