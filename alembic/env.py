"""Alembic environment: one chain of migrations for PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from dme_portal.config import Settings
from dme_portal.db.engine import make_engine
from dme_portal.db.registry import metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: batch mode rebuilds tables (needs named constraints).
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    engine = make_engine(Settings().db.url)
    async with engine.begin() as conn:
        await conn.run_sync(_configure)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")

connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
else:
    asyncio.run(_run_with_own_engine())
