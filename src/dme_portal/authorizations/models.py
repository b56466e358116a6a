"""The authorization an approved or modified line grants, as a resource (DESIGN §8)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime, str_enum


class AuthorizationStatus(StrEnum):
    """Where an authorization stands (DESIGN §8).

    ``active`` until ``expiring`` (N days before its end), ``expired`` after its end,
    ``superseded`` when a renewal takes over (from the renewal's start: no gap, no overlap),
    ``void`` when its request was cancelled.
    """

    ACTIVE = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    VOID = "void"


IN_FORCE = (AuthorizationStatus.ACTIVE, AuthorizationStatus.EXPIRING)


class Authorization(UUIDPk, Base):
    """One authorization per approved or modified request line."""

    __tablename__ = "authorization"
    __table_args__ = (
        # The vendor's list ("what expires in 30 days"), the network's, the member's history
        # of one item, and the expiry worker's sweep: each an index, end date last.
        Index("ix_authorization_vendor_state_end", "vendor_id", "state", "end_date"),
        Index("ix_authorization_network_state_end", "network_id", "state", "end_date"),
        Index("ix_authorization_member_hcpcs", "member_id", "hcpcs", "end_date"),
        Index("ix_authorization_state_end", "state", "end_date"),
    )

    number: Mapped[str] = mapped_column(String(24), unique=True)
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("member.id"))
    vendor_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("vendor.id"))
    # The network that issued it; after a network move it stays the source network.
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"))
    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("authorization_request.id"))
    line_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("request_line.id"), unique=True)
    line_number: Mapped[int] = mapped_column(Integer)
    hcpcs: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Quantity per period (the approved quantity when a reviewer modified the line).
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(20))
    brand: Mapped[str | None] = mapped_column(String(120))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    state: Mapped[AuthorizationStatus] = mapped_column(str_enum(AuthorizationStatus))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # "rules" (a CSAG or the network's rules) or the deciding subject (user:..., client:...).
    issued_by: Mapped[str] = mapped_column(String(200))
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The authorization this one renews, and the one that superseded this one.
    renews_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("authorization.id"), index=True
    )
    superseded_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("authorization.id"))
    # Continuity of care after the member moved to another network: honoured until this date
    # (the plan's continuity period), and the network the member moved to.
    continuity_network_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("network.id"), index=True
    )
    continuity_until: Mapped[date | None] = mapped_column(Date)
    # The move's effective date: the new network sees the authorization from this day on.
    continuity_from: Mapped[date | None] = mapped_column(Date)
    # When the worker announced it in the new network's feed (once, on ``continuity_from``).
    continuity_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    def as_event_data(self) -> dict[str, Any]:
        """The facts a timeline event records about this authorization."""
        return {
            "authorization_id": str(self.id),
            "authorization_number": self.number,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "state": self.state.value,
        }
