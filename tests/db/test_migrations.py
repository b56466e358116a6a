"""The migration chain runs both ways on both databases, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from dme_portal.db import migrate
from dme_portal.db.engine import Database
from dme_portal.db.registry import metadata


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) - {"alembic_version"}


def _diff(conn: Connection) -> list[object]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(ctx, metadata))


class TestMigrationChain:
    async def test_upgrade_to_head_then_down_to_base(self, empty_database: Database) -> None:
        await migrate.upgrade(empty_database.engine)
        async with empty_database.engine.connect() as conn:
            assert await conn.run_sync(_tables) == set(metadata.tables)
        await migrate.downgrade(empty_database.engine, "base")
        async with empty_database.engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
        # And up again: downgrades leave nothing behind that blocks a re-run.
        await migrate.upgrade(empty_database.engine)
        async with empty_database.engine.connect() as conn:
            assert await conn.run_sync(_tables) == set(metadata.tables)

    async def test_models_and_migrations_agree(self, database: Database) -> None:
        async with database.engine.connect() as conn:
            diff = await conn.run_sync(_diff)
        assert diff == [], f"autogenerate would change the schema: {diff}"
