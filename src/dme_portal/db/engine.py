"""Engine and session factory; SQLite gets WAL, foreign keys and immediate transactions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Execution option for connections that only read (see ``_on_begin``).
READ_ONLY = "dme_read_only"


def _setup_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, issue BEGIN (the documented aiosqlite workaround).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: concurrent writers queue on busy_timeout
        # instead of failing when a read transaction tries to upgrade. A connection marked
        # READ_ONLY (it never writes) begins deferred: in WAL mode it neither waits for nor
        # blocks a writer, even the same request's own unit of work.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10) -> AsyncEngine:
    """Create the async engine for a PostgreSQL (asyncpg) or SQLite (aiosqlite) URL.

    Bound parameters never appear in errors or logs (``hide_parameters``): they are member
    names, CINs, birth dates and diagnoses. ``echo`` logs statements through the process's
    handlers (``dme_portal.logs``) instead of SQLAlchemy's own unmasked one.
    """
    if echo:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, hide_parameters=True)
        _setup_sqlite(engine)
        return engine
    return create_async_engine(
        url,
        hide_parameters=True,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
    )


@dataclass
class Database:
    """The engine and its session factory, owned by the application."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False, pool_size: int = 10) -> Database:
        engine = make_engine(url, echo=echo, pool_size=pool_size)
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False, autoflush=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()
