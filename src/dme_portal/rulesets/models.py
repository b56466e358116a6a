"""Ruleset draft and version tables, CSAG assignments, and the network admin event log."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime


class RulesetVersion(UUIDPk, Base):
    """A published, immutable ruleset version; evaluations record the version they used."""

    __tablename__ = "ruleset_version"
    __table_args__ = (UniqueConstraint("network_id", "version"),)

    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(100))


class RulesetDraft(Base):
    """The one draft a network admin is editing (any JSON object until validated)."""

    __tablename__ = "ruleset_draft"

    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(100))
    revision: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class CsagAssignment(UUIDPk, Base):
    """A member assigned to a CSAG by the network (needed where the CSAG requires it)."""

    __tablename__ = "csag_assignment"
    __table_args__ = (
        Index("ix_csag_assignment_network_member", "network_id", "member_id"),
        Index("ix_csag_assignment_network_assigned", "network_id", "assigned_at", "id"),
    )

    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"))
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("member.id"))
    csag_id: Mapped[str] = mapped_column(String(64))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_by: Mapped[str] = mapped_column(String(100))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(100))


class NetworkEvent(UUIDPk, Base):
    """Append-only log of a network's configuration changes: who, when, what."""

    __tablename__ = "network_event"
    __table_args__ = (Index("ix_network_event_network_occurred", "network_id", "occurred_at"),)

    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
