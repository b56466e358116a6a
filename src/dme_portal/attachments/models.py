"""Attachment metadata and, for the database blob store, the bytes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from dme_portal.attachments.sniff import MediaType
from dme_portal.db.base import Base, UUIDPk
from dme_portal.db.types import UTCDateTime, str_enum
from dme_portal.rules.ruleset import DocumentType


class Attachment(UUIDPk, Base):
    """A document attached to a request; its bytes live in the blob store under ``storage_key``."""

    __tablename__ = "attachment"
    # A request's attachments, oldest first.
    __table_args__ = (Index("ix_attachment_request_uploaded", "request_id", "uploaded_at"),)

    request_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("authorization_request.id"))
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
