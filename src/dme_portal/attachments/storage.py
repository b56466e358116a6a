"""Where attachment bytes are kept: one small interface, and a database implementation."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.attachments.models import AttachmentBlob


class BlobStore(Protocol):
    """Bytes by key. ``put`` of an existing key is an error; ``delete`` of a missing one is not."""

    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...


class DatabaseBlobStore:
    """Bytes in the ``attachment_blob`` table, inside the caller's unit of work.

    The bytes therefore commit or roll back with the metadata that points to them: a failed
    upload leaves nothing behind, and a committed attachment always has its bytes.
    """

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def put(self, key: str, data: bytes) -> None:
        # A Core insert: the bytes are not kept in the session's identity map.
        await self._session.execute(insert(AttachmentBlob).values(key=key, data=data))

    async def get(self, key: str) -> bytes | None:
        stmt = select(AttachmentBlob.data).where(AttachmentBlob.key == key)
        data: bytes | None = await self._session.scalar(stmt)
        return data

    async def delete(self, key: str) -> None:
        await self._session.execute(delete(AttachmentBlob).where(AttachmentBlob.key == key))
