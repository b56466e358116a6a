"""Every query on attachments; the tenant scoping is the submissions' own."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.attachments.models import Attachment
from dme_portal.auth.principal import Principal
from dme_portal.rules.ruleset import DocumentType
from dme_portal.submissions.models import AuthorizationRequest
from dme_portal.submissions.repository import readable_statement


async def request_is_readable(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> bool:
    """Whether the request exists and the principal may read it."""
    stmt = (
        readable_statement(principal)
        .where(AuthorizationRequest.id == request_id)
        .with_only_columns(AuthorizationRequest.id)
    )
    return (await session.scalar(stmt)) is not None


async def list_for_request(session: AsyncSession, request_id: uuid.UUID) -> list[Attachment]:
    """The request's attachments, oldest first."""
    stmt = (
        select(Attachment)
        .where(Attachment.request_id == request_id)
        .order_by(Attachment.uploaded_at, Attachment.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def get_for_request(
    session: AsyncSession, request_id: uuid.UUID, attachment_id: uuid.UUID
) -> Attachment | None:
    """One attachment of the request (None when it belongs to another request)."""
    stmt = select(Attachment).where(
        Attachment.id == attachment_id, Attachment.request_id == request_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_many(session: AsyncSession, ids: list[uuid.UUID]) -> list[Attachment]:
    """Attachments by id (any owner: the caller checks ownership)."""
    stmt = select(Attachment).where(Attachment.id.in_(ids))
    return list((await session.execute(stmt)).scalars().all())


async def expired_unattached(
    session: AsyncSession, now: datetime, *, limit: int
) -> list[Attachment]:
    """Uploads never attached to a request whose lifetime has passed (a partial index)."""
    stmt = (
        select(Attachment)
        .where(Attachment.request_id.is_(None), Attachment.expires_at <= now)
        .order_by(Attachment.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars().all())


async def document_types_for(
    session: AsyncSession, request_id: uuid.UUID
) -> frozenset[DocumentType]:
    """The document types attached to the request so far."""
    stmt = select(Attachment.document_type).where(Attachment.request_id == request_id).distinct()
    return frozenset((await session.execute(stmt)).scalars().all())
