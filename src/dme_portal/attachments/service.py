"""Attachment use cases: upload, list, download."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

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
from dme_portal.auth.policies import clinical_access
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import VENDOR_ROLES
from dme_portal.errors import Forbidden, InvalidInput
from dme_portal.rules.ruleset import DocumentType
from dme_portal.submissions import documents, events
from dme_portal.submissions import repository as submissions_repository
from dme_portal.submissions.exceptions import RequestClosed, RequestNotFound

# Ids only: file names and descriptions may name the child.

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


@dataclass(frozen=True, slots=True)
class CheckedFile:
    """An upload read within the limit, with its SHA-256 and the type sniffed from it."""

    data: bytes
    sha256: str
    media_type: MediaType


async def checked_file(content: Readable, *, max_bytes: int) -> CheckedFile:
    """The bytes, their SHA-256 and their sniffed type; 413, 422 or 415 otherwise."""
    data, sha256 = await read_limited(content, max_bytes=max_bytes)
    if not data:
        raise EmptyAttachment()
    media_type = sniff.detect(data)
    if media_type is None:
        raise UnsupportedAttachmentType()
    return CheckedFile(data, sha256, media_type)


UNATTACHED_LIFETIME = timedelta(days=1)
PURGE_BATCH = 500


async def _store_new(
    session: AsyncSession,
    store: BlobStore,
    *,
    principal: Principal,
    vendor_id: uuid.UUID,
    request_id: uuid.UUID | None,
    document_type: DocumentType,
    filename: str | None,
    file: CheckedFile,
    description: str | None,
    now: datetime,
) -> Attachment:
    """A new attachment row and its bytes, in the caller's unit of work."""
    attachment_id = uuid.uuid4()
    attachment = Attachment(
        id=attachment_id,
        request_id=request_id,
        vendor_id=vendor_id,
        expires_at=None if request_id is not None else now + UNATTACHED_LIFETIME,
        document_type=document_type,
        filename=safe_filename(filename, media_type=file.media_type, fallback=document_type.value),
        content_type=file.media_type,
        size_bytes=len(file.data),
        sha256=file.sha256,
        storage_key=f"attachment/{attachment_id}",
        description=description,
        uploaded_at=now,
        uploaded_by=principal.subject,
    )
    session.add(attachment)
    await store.put(attachment.storage_key, file.data)
    return attachment


def _require_vendor(principal: Principal) -> uuid.UUID:
    if principal.role not in VENDOR_ROLES or principal.vendor_id is None:
        raise Forbidden(f"The role '{principal.role.value}' may not attach documents.")
    return principal.vendor_id


async def upload_unattached(
    session: AsyncSession,
    *,
    store: BlobStore,
    principal: Principal,
    document_type: DocumentType,
    filename: str | None,
    file: CheckedFile,
    description: str | None,
    now: datetime,
) -> Attachment:
    """A vendor uploads a document before submitting; unused, it expires after a day."""
    vendor_id = _require_vendor(principal)
    attachment = await _store_new(
        session,
        store,
        principal=principal,
        vendor_id=vendor_id,
        request_id=None,
        document_type=document_type,
        filename=filename,
        file=file,
        description=description,
        now=now,
    )
    await session.flush()
    return attachment


async def upload(
    session: AsyncSession,
    *,
    store: BlobStore,
    principal: Principal,
    request_id: uuid.UUID,
    document_type: DocumentType,
    filename: str | None,
    file: CheckedFile,
    description: str | None,
    now: datetime,
) -> Attachment:
    """The request's vendor attaches a document while the request is open (DESIGN §3, §4).

    The network's rules run again on lines that waited only for documents: a line they now
    approve gets its authorization in this call, with no person involved (DESIGN §5).
    """
    vendor_id = _require_vendor(principal)
    # The caller checked the file (``checked_file``) before the database was touched: no lock
    # is held while it is read.
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
    attachment = await _store_new(
        session,
        store,
        principal=principal,
        vendor_id=vendor_id,
        request_id=request.id,
        document_type=document_type,
        filename=filename,
        file=file,
        description=description,
        now=now,
    )
    await events.record(
        session,
        request,
        principal,
        "attachment_added",
        now,
        from_status=None,
        to_status=None,
        data={"attachment_id": str(attachment.id), "document_type": document_type.value},
    )
    # A new document changes what a reviewer would decide on: the request's version (its ETag)
    # moves on, so a decision made on the view before the document is a 412 (issue 15, 8).
    request.updated_at = now
    flag_modified(request, "updated_at")
    await session.flush()
    await documents.documents_arrived(session, request, attachment=attachment, now=now)
    return attachment


async def claim_for_submission(
    session: AsyncSession,
    *,
    principal: Principal,
    attachment_ids: list[uuid.UUID],
    now: datetime,
) -> list[Attachment]:
    """The vendor's own unexpired uploads not attached to any request, in the order named.

    A 422 naming ``attachment_ids[i]`` otherwise; another vendor's upload is reported as
    unknown, so its existence does not leak.
    """
    if not attachment_ids:
        return []
    vendor_id = _require_vendor(principal)
    found = {a.id: a for a in await repository.get_many(session, attachment_ids)}
    out: list[Attachment] = []
    for i, attachment_id in enumerate(attachment_ids):
        where = f"attachment_ids[{i}]"
        attachment = found.get(attachment_id)
        if attachment is None or attachment.vendor_id != vendor_id:
            raise InvalidInput(where, "is not a document you uploaded", code="unknown_attachment")
        if attachment.request_id is not None:
            raise InvalidInput(where, "is already attached to a request", code="attachment_in_use")
        if attachment.expires_at is not None and attachment.expires_at <= now:
            raise InvalidInput(
                where,
                "has expired (uploads not named in a submission are kept for a day); "
                "upload it again",
                code="attachment_expired",
            )
        out.append(attachment)
    return out


async def purge_expired(session: AsyncSession, *, store: BlobStore, now: datetime) -> int:
    """Delete uploads that no submission named within their lifetime (metadata and bytes)."""
    expired = await repository.expired_unattached(session, now, limit=PURGE_BATCH)
    for attachment in expired:
        await store.delete(attachment.storage_key)
        await session.delete(attachment)
    await session.flush()
    return len(expired)


async def _ensure_readable(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> None:
    """Documents are clinical: status readers get 403 (as at the route), then scope (404)."""
    if not clinical_access(principal):
        raise Forbidden(f"The role '{principal.role.value}' may not read documents.")
    if not await repository.request_is_readable(session, principal, request_id):
        raise RequestNotFound()


async def list_attachments(
    session: AsyncSession, *, principal: Principal, request_id: uuid.UUID
) -> list[Attachment]:
    """The attachments of a request the principal may read, oldest first."""
    await _ensure_readable(session, principal, request_id)
    return await repository.list_for_request(session, request_id)


async def get_own_upload(
    session: AsyncSession, *, principal: Principal, attachment_id: uuid.UUID
) -> Attachment:
    """One of the vendor's own uploads (attached to a request or not); 404 otherwise."""
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or principal.vendor_id is None:
        raise AttachmentNotFound()
    if principal.role not in VENDOR_ROLES or attachment.vendor_id != principal.vendor_id:
        raise AttachmentNotFound()
    return attachment


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
    return attachment, data
