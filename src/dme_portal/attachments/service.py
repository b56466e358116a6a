"""Attachment use cases: upload, list, download."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
import uuid
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.attachments import repository, sniff
from dme_portal.attachments.exceptions import (
    AttachmentNotFound,
    AttachmentTooLarge,
    EmptyAttachment,
    UnsupportedAttachmentType,
)
from dme_portal.attachments.models import Attachment
from dme_portal.attachments.sniff import MediaType
from dme_portal.attachments.storage import BlobStore
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import VENDOR_ROLES
from dme_portal.errors import Forbidden
from dme_portal.rules.ruleset import DocumentType
from dme_portal.submissions import events
from dme_portal.submissions import repository as submissions_repository
from dme_portal.submissions import service as submission_service
from dme_portal.submissions.exceptions import RequestClosed, RequestNotFound
from dme_portal.submissions.models import RequestStatus

# Ids only: file names and descriptions may name the child.
audit = logging.getLogger("dme_portal.audit")

_CHUNK_BYTES = 256 * 1024
_MAX_STEM = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()-]+")
_TRIM = " ._-"
_ACCEPTED_SUFFIXES = frozenset(ext for media_type in MediaType for ext in media_type.extensions)


class Readable(Protocol):
    """An uploaded file as the HTTP layer hands it over (Starlette's ``UploadFile`` is one)."""

    async def read(self, size: int = -1) -> bytes: ...


async def read_limited(content: Readable, *, max_bytes: int) -> tuple[bytes, str]:
    """The content and its SHA-256, read in chunks; stops as soon as it passes ``max_bytes``."""
    buffer = bytearray()
    digest = hashlib.sha256()
    while True:
        # Never ask for more than one byte past the limit.
        chunk = await content.read(min(_CHUNK_BYTES, max_bytes + 1 - len(buffer)))
        if not chunk:
            break
        buffer += chunk
        if len(buffer) > max_bytes:
            raise AttachmentTooLarge(max_bytes)
        digest.update(chunk)
    return bytes(buffer), digest.hexdigest()


def safe_filename(raw: str | None, *, media_type: MediaType, fallback: str) -> str:
    """An ASCII file name without a path, ending in an extension of the sniffed type.

    ``../x/scan.PDF`` → ``scan.pdf``; ``photo.pdf`` that is a PNG → ``photo.png``;
    ``setup.exe`` that is a PDF → ``setup.exe.pdf``; no name → ``<fallback>.pdf``.
    """
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    name = _UNSAFE.sub("_", name).strip(_TRIM)
    stem, dot, rest = name.rpartition(".")
    suffix = f".{rest.lower()}" if dot else ""
    if suffix in media_type.extensions:
        extension = suffix
    else:
        extension = media_type.extension
        if suffix not in _ACCEPTED_SUFFIXES:
            stem = name  # keep a foreign extension visible: setup.exe.pdf
    stem = stem[:_MAX_STEM].strip(_TRIM) or fallback
    return stem + extension


async def _checked_file(content: Readable, *, max_bytes: int) -> tuple[bytes, str, MediaType]:
    """The bytes, their SHA-256 and their sniffed type; 413, 422 or 415 otherwise."""
    data, sha256 = await read_limited(content, max_bytes=max_bytes)
    if not data:
        raise EmptyAttachment()
    media_type = sniff.detect(data)
    if media_type is None:
        raise UnsupportedAttachmentType()
    return data, sha256, media_type


async def upload(
    session: AsyncSession,
    *,
    store: BlobStore,
    principal: Principal,
    request_id: uuid.UUID,
    document_type: DocumentType,
    filename: str | None,
    content: Readable,
    description: str | None,
    max_bytes: int,
    now: datetime,
) -> Attachment:
    """The request's vendor attaches a document while the request is open (DESIGN §3, §4)."""
    if principal.role not in VENDOR_ROLES:
        raise Forbidden(f"The role '{principal.role.value}' may not attach documents.")
    # Check the file before touching the database: no lock is held while it is read.
    data, sha256, media_type = await _checked_file(content, max_bytes=max_bytes)
    request = await submissions_repository.get_readable(
        session, principal, request_id, for_update=True
    )
    if request is None:
        raise RequestNotFound()
    if not request.status.is_open:
        raise RequestClosed(
            f"The request is {request.status.value}; documents can be attached only while it "
            "is in review or pended."
        )
    attachment_id = uuid.uuid4()
    attachment = Attachment(
        id=attachment_id,
        request_id=request.id,
        document_type=document_type,
        filename=safe_filename(filename, media_type=media_type, fallback=document_type.value),
        content_type=media_type,
        size_bytes=len(data),
        sha256=sha256,
        storage_key=f"attachment/{attachment_id}",
        description=description,
        uploaded_at=now,
        uploaded_by=principal.subject,
    )
    session.add(attachment)
    await store.put(attachment.storage_key, data)
    await events.record(
        session,
        request,
        principal,
        "attachment_added",
        now,
        from_status=None,
        to_status=None,
        data={"attachment_id": str(attachment_id), "document_type": document_type.value},
    )
    await session.flush()
    if request.status is RequestStatus.IN_REVIEW:
        # A document the rules asked for is now on file: waiting_on stops asking for it.
        waiting = await submission_service.waiting_on(session, request)
        if waiting != request.waiting_on:
            request.waiting_on = waiting
            request.updated_at = now
            await session.flush()
    audit.info(
        "attachment %s added to request %s by %s", attachment_id, request.id, principal.subject
    )
    return attachment


async def _ensure_readable(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> None:
    if not await repository.request_is_readable(session, principal, request_id):
        raise RequestNotFound()


async def list_attachments(
    session: AsyncSession, *, principal: Principal, request_id: uuid.UUID
) -> list[Attachment]:
    """The attachments of a request the principal may read, oldest first."""
    await _ensure_readable(session, principal, request_id)
    return await repository.list_for_request(session, request_id)


async def content(
    session: AsyncSession,
    *,
    store: BlobStore,
    principal: Principal,
    request_id: uuid.UUID,
    attachment_id: uuid.UUID,
) -> tuple[Attachment, bytes]:
    """One attachment of a request the principal may read, with its bytes."""
    await _ensure_readable(session, principal, request_id)
    attachment = await repository.get_for_request(session, request_id, attachment_id)
    if attachment is None:
        raise AttachmentNotFound()
    data = await store.get(attachment.storage_key)
    if data is None:
        raise LookupError(f"no bytes stored for attachment {attachment.id}")
    audit.info(
        "attachment %s of request %s read by %s", attachment.id, request_id, principal.subject
    )
    return attachment, data
