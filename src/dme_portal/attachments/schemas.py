"""API schemas of attachments."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from dme_portal.attachments.sniff import MediaType
from dme_portal.rules.ruleset import DocumentType

DESCRIPTION_MAX_LENGTH = 1000
# C0 controls other than tab and newlines, and DEL (PostgreSQL text refuses NUL outright).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_description(value: str | None) -> str | None:
    """Trimmed; blank means none; no control characters."""
    if value is None or not value.strip():
        return None
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value.strip()


class AttachmentRead(BaseModel):
    """A document attached to a request (the bytes are at ``.../content``)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="The attachment's id.")
    request_id: uuid.UUID | None = Field(
        description="The request it belongs to; null for an upload not yet named in a submission."
    )
    expires_at: datetime | None = Field(
        description="For an upload not yet named in a submission: when it is deleted unless a "
        "submission names it in `attachment_ids` first. Null once attached."
    )
    document_type: DocumentType = Field(description="What the document is.")
    filename: str = Field(description="The uploaded name, sanitised, with the sniffed extension.")
    content_type: MediaType = Field(description="Sniffed from the content.")
    size_bytes: int = Field(description="Size of the content in bytes.")
    sha256: str = Field(description="Hex SHA-256 of the content.")
    uploaded_at: datetime = Field(description="When it was uploaded.")
    uploaded_by: str = Field(description="Who uploaded it (`user:` or `client:`).")
    description: str | None = Field(description="The uploader's description, if any.")


class AttachmentList(BaseModel):
    """A request's attachments."""

    items: list[AttachmentRead] = Field(description="Oldest first.")
