"""Unit of work: one transaction, committed at the boundary, rolled back on any error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.db.engine import Database


@asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[AsyncSession]:
    """Yield a session; commit if the block succeeds, roll back otherwise."""
    async with db.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        finally:
            session.info.clear()
