"""The reconsideration table: a vendor's request that another physician look again."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime, str_enum


class ReconsiderationStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


class ReconsiderationOutcome(StrEnum):
    """The whole reconsideration: every line upheld, every line overturned, or some of each."""

    UPHELD = "upheld"
    OVERTURNED = "overturned"
    PARTIALLY_OVERTURNED = "partially_overturned"


class Reconsideration(UUIDPk, Base):
    """One reconsideration of one or more denied or modified lines of one request.

    It runs on its own clock (``due_at``, from ``requested_at``), not the request's. The lines
    are kept as a list of line numbers, each with its outcome once decided (``line_outcomes``).
    """

    __tablename__ = "reconsideration"
    __table_args__ = (
        Index("ix_reconsideration_request", "request_id", "requested_at"),
        # The network's reconsideration queue: open ones by due time.
        Index("ix_reconsideration_network_status_due", "network_id", "status", "due_at"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("authorization_request.id"))
    # Copied from the request for the network's queue (the request never changes network).
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"))
    line_numbers: Mapped[list[int]] = mapped_column(JSON)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    expedited: Mapped[bool] = mapped_column(Boolean, default=False)
    expedited_reason: Mapped[str | None] = mapped_column(Text)
    # The ruleset version whose reconsideration section set the period and the clock.
    ruleset_version: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[ReconsiderationStatus] = mapped_column(str_enum(ReconsiderationStatus))
    outcome: Mapped[ReconsiderationOutcome | None] = mapped_column(str_enum(ReconsiderationOutcome))
    # Per line, once decided: {"line_number", "outcome": upheld|overturned, "quantity",
    # "start_date", "end_date", "authorization_number"}.
    line_outcomes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    # The deciding physician: a medical director's subject, or the NPI and name a network's
    # UM system named (as review/physician.py records decisions).
    physician_subject: Mapped[str | None] = mapped_column(String(200))
    physician_npi: Mapped[str | None] = mapped_column(String(10))
    physician_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    request: Mapped[AuthorizationRequest] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


from dme_portal.submissions.models import AuthorizationRequest  # noqa: E402
