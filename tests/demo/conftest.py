"""Two fresh databases on this run's backend, each seeded with the same demo at the same time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from dme_portal.db import migrate
from dme_portal.db.session import unit_of_work
from dme_portal.demo import seed
from fixtures.demo_seed import (
    SEEDED_AT,
    CollectWarnings,
    Seeded,
    drop_database,
    fresh_database,
)
from fixtures.postgres import PostgresServer


@pytest.fixture(scope="module")
async def seeded(
    database_url: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Seeded]:
    server: PostgresServer | None = (
        None if database_url.startswith("sqlite") else request.getfixturevalue("pg_server")
    )
    folder = tmp_path_factory.mktemp("demo")
    dbs = [await fresh_database(database_url, folder, server) for _ in range(2)]
    warnings: list[str] = []
    handler = CollectWarnings(warnings)
    logging.getLogger("dme_portal.demo").addHandler(handler)
    try:
        credentials = ""
        for db in dbs:
            await migrate.upgrade(db.engine)
            async with unit_of_work(db) as session:
                credentials = await seed.seed_demo(session, today=SEEDED_AT.date(), now=SEEDED_AT)
        yield Seeded(dbs[0], dbs[1], credentials, warnings)
    finally:
        logging.getLogger("dme_portal.demo").removeHandler(handler)
        for db in dbs:
            await drop_database(db, server)
