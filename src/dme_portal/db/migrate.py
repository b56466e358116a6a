"""Run Alembic migrations programmatically (from the CLI, the app and the tests)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

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


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    async with engine.begin() as conn:
        await conn.run_sync(_run, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Revert migrations down to ``revision``."""
    async with engine.begin() as conn:
        await conn.run_sync(_run, "downgrade", revision)
