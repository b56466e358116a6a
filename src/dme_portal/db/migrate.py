"""Run Alembic migrations programmatically (from the CLI, the app and the tests)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from dme_portal.db import roles

# The project keeps its migrations in the top-level ``alembic/`` folder (src layout, editable
# install); DME_ALEMBIC_DIR points elsewhere for a packaged deployment.
_ALEMBIC_DIR = Path(
    os.environ.get("DME_ALEMBIC_DIR", Path(__file__).resolve().parents[3] / "alembic")
)


def alembic_config() -> Config:
    """The Alembic configuration of the project."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_ALEMBIC_DIR))
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    return cfg


def _run(connection: Connection, action: str, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(cfg, revision)
    else:
        command.downgrade(cfg, revision)


async def upgrade(
    engine: AsyncEngine, revision: str = "head", *, runtime_role: str | None = None
) -> None:
    """Apply migrations up to ``revision``, then grant ``runtime_role`` what the app needs.

    ``engine`` connects as the migration role (the schema's owner). With a ``runtime_role``
    (PostgreSQL only), its privileges are set in the same transaction as the migrations: DML
    on every table, INSERT and SELECT only on the access log (``db/roles.py``).
    """
    async with engine.begin() as conn:
        await conn.run_sync(_run, "upgrade", revision)
        if runtime_role is not None:
            await conn.run_sync(roles.grant_runtime_role, runtime_role)


async def connected_role_owns_access_log(engine: AsyncEngine) -> bool:
    """Whether ``engine``'s role owns the access log, and so could disable its trigger."""
    async with engine.connect() as conn:
        return await conn.run_sync(roles.connected_role_owns_access_log)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Revert migrations down to ``revision``."""
    async with engine.begin() as conn:
        await conn.run_sync(_run, "downgrade", revision)
