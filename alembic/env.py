"""Alembic environment: one chain of migrations for PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from dme_portal.config import Settings
from dme_portal.db import roles
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
    # `alembic upgrade` from the shell: as the owner, then the app's role granted as by
    # `dme-portal migrate` (dme_portal.db.migrate passes its own connection instead).
    db = Settings().db
    engine = make_engine(db.migration_dsn)
    async with engine.begin() as conn:
        await conn.run_sync(_configure)
        if db.runtime_role is not None:
            await conn.run_sync(roles.grant_runtime_role, db.runtime_role)
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")

connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
else:
    asyncio.run(_run_with_own_engine())
