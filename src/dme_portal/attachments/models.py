"""Attachment metadata and, for the database blob store, the bytes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from dme_portal.attachments.sniff import MediaType
from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime, str_enum
from dme_portal.rules.ruleset import DocumentType


class Attachment(UUIDPk, Base):
    """A document of a request; its bytes live in the blob store under ``storage_key``.

    A vendor may upload before submitting: the attachment then has no request yet, belongs to
    the vendor, and expires (``expires_at``) unless a submission names it first.
    """

    __tablename__ = "attachment"
    __table_args__ = (
        # A request's attachments, oldest first.
        Index("ix_attachment_request_uploaded", "request_id", "uploaded_at"),
        # The worker's purge of uploads never attached to a request.
        Index(
            "ix_attachment_unattached_expires",
            "expires_at",
            postgresql_where=text("request_id IS NULL"),
            sqlite_where=text("request_id IS NULL"),
        ),
    )

    request_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("authorization_request.id")
    )
    vendor_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("vendor.id"))
    # Set while unattached: when the upload is purged if no submission has named it.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document_type: Mapped[DocumentType] = mapped_column(str_enum(DocumentType))
    # Sanitised: ASCII, no path, with the extension of the sniffed type.
    filename: Mapped[str] = mapped_column(String(255))
    # Sniffed from the bytes; the client's declared type is ignored.
    content_type: Mapped[MediaType] = mapped_column(str_enum(MediaType))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # No foreign key: the blob store may live outside the database.
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by: Mapped[str] = mapped_column(String(100))


class AttachmentBlob(Base):
    """Bytes of the database blob store, keyed like an object store."""

    __tablename__ = "attachment_blob"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
