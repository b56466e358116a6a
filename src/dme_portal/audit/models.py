"""The PHI access log: one row per API call that read or changed PHI, never updated or deleted."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime, str_enum


class AccessAction(StrEnum):
    READ = "read"
    LIST = "list"
    DOWNLOAD = "download"
    SEARCH = "search"
    ELIGIBILITY = "eligibility"
    COVERAGE_CHECK = "coverage-check"
    CREATE = "create"
    CHANGE = "change"
    AUDIT_READ = "audit-read"
    # A sign-in (token request or the portal's form) that was refused or began a delay.
    SIGN_IN = "sign-in"


# The actions that look a member up by identifier: rate-limited per caller.
MEMBER_LOOKUPS = (AccessAction.ELIGIBILITY, AccessAction.COVERAGE_CHECK, AccessAction.SEARCH)


class ResourceType(StrEnum):
    REQUEST = "authorization_request"
    TIMELINE = "timeline"
    INFORMATION_REQUEST = "information_request"
    ATTACHMENT = "attachment"
    MEMBER = "member"
    COVERAGE_CHECK = "coverage_check"
    CSAG_ASSIGNMENT = "csag_assignment"
    REPORT = "report"
    ACCESS_LOG = "access_log"
    RECONSIDERATION = "reconsideration"
    AUTHORIZATION = "authorization"
    ACCOUNT = "account"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    THROTTLED = "throttled"
    # The failed sign-in that made its account and address (or the account, from addresses
    # it does not know) wait before the next try.
    LOCKED_OUT = "locked-out"
    # A member look-up (eligibility, coverage check, submit) whose CIN and birth date match
    # no one: counted against the caller's member-lookup limit, a submit's included.
    NOT_FOUND = "not_found"


class AccessLog(UUIDPk, Base):
    """Who did what to which PHI, when, from where, and why (when the caller said)."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_at", "at", "id"),
        Index("ix_access_log_subject_at", "subject", "at"),
        Index("ix_access_log_org_at", "org_id", "at"),
        Index("ix_access_log_network_at", "network_id", "at"),
    )

    at: Mapped[datetime] = mapped_column(UTCDateTime())
    subject: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    org_kind: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The machine client's id, for client-credentials tokens (``client:<id>`` subjects).
    client_id: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[AccessAction] = mapped_column(str_enum(AccessAction))
    resource_type: Mapped[ResourceType] = mapped_column(str_enum(ResourceType))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    # The network whose data this was (a request's, a report's); null for plan-wide lists.
    network_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    method: Mapped[str] = mapped_column(String(8))
    route: Mapped[str] = mapped_column(String(200))
    client_address: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, length=16))
    purpose: Mapped[str | None] = mapped_column(String(64))


class AccessLogMember(Base):
    """A member whose PHI an access-log row's call returned or changed."""

    __tablename__ = "access_log_member"
    __table_args__ = (
        Index("ix_access_log_member_member_at", "member_id", "at"),
        Index("ix_access_log_member_network_at", "network_id", "at"),
    )

    access_log_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("access_log.id"), primary_key=True
    )
    member_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("member.id"), primary_key=True)
    # The member's network as the call saw it (the request's network), for network scoping.
    network_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Copied from the parent so that "who viewed this child, lately" is one index range.
    at: Mapped[datetime] = mapped_column(UTCDateTime())
