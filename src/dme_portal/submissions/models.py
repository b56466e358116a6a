"""Authorization request, line, diagnosis and event tables."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Imported (not only for typing) so that ``RequestLine.authorization`` resolves in every
# process, the worker's included, whatever else it imports.
from dme_portal.authorizations.models import Authorization
from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime, str_enum
from dme_portal.vendors.models import ContractStatus, Vendor


class RequestStatus(StrEnum):
    IN_REVIEW = "in_review"
    PENDED = "pended"
    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    MODIFIED = "modified"
    DENIED = "denied"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in (RequestStatus.IN_REVIEW, RequestStatus.PENDED)


class Urgency(StrEnum):
    STANDARD = "standard"
    EXPEDITED = "expedited"


class RequestKind(StrEnum):
    INITIAL = "initial"
    RENEWAL = "renewal"
    CHANGE = "change"


class Acquisition(StrEnum):
    PURCHASE = "purchase"
    RENTAL = "rental"


class LineOutcome(StrEnum):
    APPROVED = "approved"
    MODIFIED = "modified"
    DENIED = "denied"
    NOT_REQUIRED = "not_required"


class AuthorizationState(StrEnum):
    """Where an issued authorization stands (DESIGN §8), as the API shows it.

    The line's own column holds ``active`` or ``void``; reads take the state from the
    ``authorization`` row (``authorizations.models.AuthorizationStatus``, same values).
    """

    ACTIVE = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    VOID = "void"


class ActorType(StrEnum):
    USER = "user"
    CLIENT = "client"
    RULES = "rules"
    SYSTEM = "system"


_OPEN_SQL = "('in_review', 'pended')"


class AuthorizationRequest(UUIDPk, Base):
    __tablename__ = "authorization_request"
    __table_args__ = (
        # Vendor's list, newest first (keyset on received_at, id).
        Index("ix_authorization_request_vendor_received", "vendor_id", "received_at", "id"),
        # Network staff's list and queue.
        Index("ix_authorization_request_network_received", "network_id", "received_at", "id"),
        # The review queue: a network's open requests by due time.
        Index("ix_authorization_request_network_status_due", "network_id", "status", "due_at"),
        Index("ix_authorization_request_member_received", "member_id", "received_at"),
        # The SLA sweep reads only open requests near their deadline (partial indexes).
        Index(
            "ix_authorization_request_sweep_at_risk",
            "at_risk_at",
            postgresql_where=text(f"sla_state = 'on_time' AND status IN {_OPEN_SQL}"),
            sqlite_where=text(f"sla_state = 'on_time' AND status IN {_OPEN_SQL}"),
        ),
        Index(
            "ix_authorization_request_sweep_due",
            "due_at",
            postgresql_where=text(f"sla_state IN ('on_time', 'at_risk') AND status IN {_OPEN_SQL}"),
            sqlite_where=text(f"sla_state IN ('on_time', 'at_risk') AND status IN {_OPEN_SQL}"),
        ),
        # Plan-wide list.
        Index("ix_authorization_request_received", "received_at", "id"),
    )

    vendor_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("vendor.id"))
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("member.id"))
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"))
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus))
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency))
    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind))
    prescriber_npi: Mapped[str] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    waiting_on: Mapped[str] = mapped_column(Text)
    # The network ruleset version the rules evaluation used (None: the network had none).
    ruleset_version: Mapped[int | None] = mapped_column(Integer)
    # The turnaround that applied at receipt (the network's SLA policy for the urgency).
    turnaround_hours: Mapped[int] = mapped_column(Integer)
    # When the clock turns "at risk" (due_at minus the policy's threshold); stored so that
    # queues and the SLA worker can filter on it in SQL.
    at_risk_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The SLA state last recorded by the worker (on_time, at_risk, breached; met or missed once
    # decided): events are written only on a change, so each is recorded once.
    sla_state: Mapped[str] = mapped_column(String(16), default="on_time")
    # Whether the network's policy pauses the clock while pended, and the pause in progress.
    pauses_while_pended: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    expedited_reason: Mapped[str | None] = mapped_column(Text)
    # A renewal's request for the ruleset's extended lifelong period (days), and the vendor's
    # reason: a reviewer decides it (issue 16).
    extended_period_days: Mapped[int | None] = mapped_column(Integer)
    extended_period_reason: Mapped[str | None] = mapped_column(Text)
    # Kept for reports (the events say the same): who decided (rules, user or client), and
    # whether the request was ever pended for information.
    decided_by: Mapped[str | None] = mapped_column(String(16))
    was_pended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Review: who has claimed the request, and the network system's own reference.
    assigned_to: Mapped[str | None] = mapped_column(String(100))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    network_reference: Mapped[str | None] = mapped_column(String(100))
    # Bumped on every change; the ETag is derived from it (optimistic concurrency).
    version: Mapped[int] = mapped_column(Integer, default=1)

    lines: Mapped[list[RequestLine]] = relationship(
        back_populates="request", lazy="raise", order_by="RequestLine.line_number"
    )
    diagnoses: Mapped[list[RequestDiagnosis]] = relationship(
        lazy="raise", order_by="RequestDiagnosis.sequence"
    )
    member: Mapped[Member] = relationship(lazy="raise")
    network: Mapped[Network] = relationship(lazy="raise")
    vendor: Mapped[Vendor] = relationship(lazy="raise")
    # Every question the network asked, oldest first (one is open while the request is pended).
    information_requests: Mapped[list[InformationRequest]] = relationship(
        back_populates="request",
        lazy="raise",
        order_by="InformationRequest.requested_at",
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RequestLine(UUIDPk, Base):
    __tablename__ = "request_line"
    __table_args__ = (UniqueConstraint("request_id", "line_number"),)

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("authorization_request.id"))
    line_number: Mapped[int] = mapped_column(Integer)
    hcpcs: Mapped[str] = mapped_column(String(5), index=True)
    modifiers: Mapped[list[str]] = mapped_column(JSON)
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    frequency: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    acquisition: Mapped[Acquisition] = mapped_column(str_enum(Acquisition))
    brand: Mapped[str | None] = mapped_column(String(120))
    manufacturer: Mapped[str | None] = mapped_column(String(120))
    brand_reason: Mapped[str | None] = mapped_column(Text)
    contract_status: Mapped[ContractStatus] = mapped_column(str_enum(ContractStatus))
    outcome: Mapped[LineOutcome | None] = mapped_column(str_enum(LineOutcome))
    # What the network's rules said at submission (kept as recorded, whatever changes later).
    rule_outcome: Mapped[str | None] = mapped_column(String(20))
    rule_decided_by: Mapped[str | None] = mapped_column(String(80))
    rule_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rule_trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    documents_required: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Of those, the ones not on file when the rules last ran (a line waits for them).
    documents_missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    authorization_number: Mapped[str | None] = mapped_column(String(24), unique=True)
    authorized_start: Mapped[date | None] = mapped_column(Date)
    authorized_end: Mapped[date | None] = mapped_column(Date)
    # Set with the authorization number: active, or void once the request is cancelled.
    authorization_state: Mapped[AuthorizationState | None] = mapped_column(
        str_enum(AuthorizationState)
    )
    # A reviewer's decision: the approved quantity (less when modified) and the reason.
    approved_quantity: Mapped[int | None] = mapped_column(Integer)
    decision_reason_code: Mapped[str | None] = mapped_column(String(40))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The physician behind a medical-necessity denial or reduction (HSC 1367.01(e)): the
    # signed-in medical director's subject, or the NPI and name a network's UM system sent.
    physician_subject: Mapped[str | None] = mapped_column(String(200))
    physician_npi: Mapped[str | None] = mapped_column(String(10))
    physician_name: Mapped[str | None] = mapped_column(String(200))
    # A renewal's line: the authorization it renews (issue 16); its own authorization's
    # ``renews_id`` is copied from here when the line is approved.
    renews_authorization_id: Mapped[uuid.UUID | None] = mapped_column(
        # use_alter: authorization.line_id points back here (a cycle of foreign keys).
        Uuid,
        ForeignKey("authorization.id", use_alter=True),
        index=True,
    )

    request: Mapped[AuthorizationRequest] = relationship(back_populates="lines", lazy="raise")
    # The line's authorization row (issue 16), read-only from here: ``read_options`` loads it,
    # ``authorization_service.sync_from_lines`` sets it on the lines it issues or voids.
    authorization: Mapped[Authorization | None] = relationship(
        "Authorization",
        primaryjoin="RequestLine.id == foreign(Authorization.line_id)",
        viewonly=True,
        uselist=False,
        lazy="raise",
    )


class RequestDiagnosis(Base):
    __tablename__ = "request_diagnosis"

    request_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("authorization_request.id"), primary_key=True
    )
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8))


class RequestEvent(UUIDPk, Base):
    """Append-only timeline of a request: never updated, never deleted."""

    __tablename__ = "request_event"
    # One sequence per request orders the timeline (and serves as its index); the unique key
    # also makes two concurrent writers of "the next event" collide instead of interleaving.
    __table_args__ = (UniqueConstraint("request_id", "sequence"),)

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("authorization_request.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor_type: Mapped[ActorType] = mapped_column(str_enum(ActorType))
    actor_id: Mapped[str | None] = mapped_column(String(100))
    actor_role: Mapped[str | None] = mapped_column(String(40))
    from_status: Mapped[RequestStatus | None] = mapped_column(str_enum(RequestStatus))
    to_status: Mapped[RequestStatus | None] = mapped_column(str_enum(RequestStatus))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RequestChange(Base):
    """Feed of changes per network, for networks' own UM systems (cursor = ``id``).

    Written in the same transaction as the change; writers of one network are serialised
    (see ``db.dialect.serialize``) so ids become visible in order and a cursor never skips.
    """

    __tablename__ = "request_change"
    __table_args__ = (Index("ix_request_change_network_id", "network_id", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"))
    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("authorization_request.id"))
    kind: Mapped[str] = mapped_column(String(40))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The continuity view a ``member_moved_network`` change of the NEW network carries (the
    # request it points at is the old network's, never returned to the new one).
    continuity: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Escalation(UUIDPk, Base):
    """A breached request on its network's escalation list, until it is decided."""

    __tablename__ = "escalation"
    __table_args__ = (
        UniqueConstraint("request_id", "kind"),
        Index("ix_escalation_network_open", "network_id", "resolved_at"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("authorization_request.id"))
    network_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("network.id"))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InformationRequest(UUIDPk, Base):
    """A reviewer's request for information, and the vendor's answer."""

    __tablename__ = "information_request"
    __table_args__ = (Index("ix_information_request_request", "request_id", "requested_at"),)

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("authorization_request.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    documents_requested: Mapped[list[str]] = mapped_column(JSON, default=list)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(100))
    answer: Mapped[str | None] = mapped_column(Text)
    attachment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)

    request: Mapped[AuthorizationRequest] = relationship(
        back_populates="information_requests", lazy="raise"
    )


from dme_portal.members.models import Member  # noqa: E402
from dme_portal.networks.models import Network  # noqa: E402
