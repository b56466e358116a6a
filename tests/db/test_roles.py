"""Issue 21 point 9: with a separate migration role, the app's role cannot rewrite the audit trail.

PostgreSQL only. A database of its own owned by a fresh owner role, and a fresh runtime role
(both dropped after); the real ``dme-portal migrate`` runs as the owner with the runtime role
configured (``DME_DB__MIGRATION_URL`` and ``DME_DB__URL``), then the test connects as the
runtime role. The single-role setup (today's) is what the rest of the suite runs on.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from pydantic import ValidationError

from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import AuthSettings, DatabaseSettings, Settings
from dme_portal.db.engine import Database
from dme_portal.main import create_app
from dme_portal.sla import worker as sla_worker
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW, REQUESTS_URL, make_account, make_world, request_body
from fixtures.postgres import PostgresServer

SECRET = "test-secret-" + "x" * 40
APPEND_ONLY = ("access_log", "access_log_member")


@dataclass
class Roles:
    server: PostgresServer
    database: str
    owner: str
    app: str
    tmp: Path

    def url(self, role: str, *, database: str | None = None, driver: str = "postgresql") -> str:
        host = f"{self.server.host}:{self.server.port}"
        return f"{driver}://{role}@{host}/{database or self.database}"

    async def migrate(self, **env: str) -> tuple[int, str]:
        """``dme-portal migrate`` in a process of its own; its exit code and stderr."""
        variables = {k: v for k, v in os.environ.items() if not k.startswith("DME_")}
        variables.update(
            DME_ENV="test",
            DME_AUTH__SECRET_KEY=SECRET,
            DME_DATA_DIR=str(self.tmp),
            DME_DB__URL=self.url(self.app, driver="postgresql+asyncpg"),
            DME_DB__MIGRATION_URL=self.url(self.owner, driver="postgresql+asyncpg"),
        )
        variables.update(env)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "dme_portal.cli",
            "migrate",
            env=variables,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        assert process.returncode is not None
        return process.returncode, err.decode()


@pytest.fixture(scope="module")
async def roles(
    pg_server: PostgresServer | None, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Roles]:
    """Two fresh login roles, a database owned by the first and migrated as it; dropped after."""
    if pg_server is None:
        pytest.skip("PostgreSQL not available (see the summary at the end)")
    tag = uuid.uuid4().hex[:10]
    found = Roles(
        pg_server,
        f"dme_roles_{tag}",
        f"dme_owner_{tag}",
        f"dme_app_{tag}",
        tmp_path_factory.mktemp("r"),
    )
    admin = await asyncpg.connect(pg_server.url("postgres", driver="postgresql"))
    try:
        await admin.execute(f"CREATE ROLE {found.owner} LOGIN")
        await admin.execute(f"CREATE ROLE {found.app} LOGIN")
        await admin.execute(f"CREATE DATABASE {found.database} OWNER {found.owner}")
        code, err = await found.migrate()
        assert code == 0, err
        yield found
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {found.database} WITH (FORCE)")
        await admin.execute(f"DROP ROLE IF EXISTS {found.app}")
        await admin.execute(f"DROP ROLE IF EXISTS {found.owner}")
        await admin.close()


@pytest.fixture
async def as_app(roles: Roles) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(roles.url(roles.app))
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def as_superuser(roles: Roles) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(roles.url(roles.server.user))
    try:
        yield conn
    finally:
        await conn.close()


async def _log_row(conn: asyncpg.Connection) -> uuid.UUID:
    row_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO access_log (id, at, subject, role, org_kind, org_id, action, "
        "resource_type, member_count, method, route, outcome) VALUES "
        "($1, now(), 'user:x', 'vendor', 'vendor', $2, 'read', 'request', 0, 'GET', '/x', 'ok')",
        row_id,
        uuid.uuid4(),
    )
    return row_id


async def _privileges(conn: asyncpg.Connection, role: str, table: str) -> set[str]:
    wanted = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
    return {
        p
        for p in wanted
        if await conn.fetchval("SELECT has_table_privilege($1, $2, $3)", role, table, p)
    }


@pytest.mark.postgres
class TestRuntimeRoleOnTheAccessLog:
    """Acceptance: the runtime role cannot update, delete or disable the access log's trigger."""

    async def test_it_may_insert_and_read(self, as_app: asyncpg.Connection) -> None:
        row_id = await _log_row(as_app)

        assert await as_app.fetchval("SELECT count(*) FROM access_log WHERE id = $1", row_id) == 1

    @pytest.mark.parametrize("table", APPEND_ONLY)
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE {t} SET at = now()",
            "DELETE FROM {t}",
            "TRUNCATE {t}",
            "ALTER TABLE {t} DISABLE TRIGGER ALL",
            "ALTER TABLE {t} DISABLE TRIGGER {t}_append_only",
            "DROP TRIGGER {t}_append_only ON {t}",
            "DROP TABLE {t} CASCADE",
            "ALTER TABLE {t} OWNER TO CURRENT_USER",
            "ALTER TABLE {t} RENAME TO {t}_old",
            "CREATE TRIGGER sneaky BEFORE INSERT ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()",
        ],
    )
    async def test_it_cannot_rewrite_or_unprotect_it(
        self, as_app: asyncpg.Connection, statement: str, table: str
    ) -> None:
        await _log_row(as_app)

        # Refused for want of the privilege or of ownership (42501), not by the trigger.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_app.execute(statement.format(t=table))

    @pytest.mark.parametrize(
        "statement",
        [
            "CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END; $$",
            "DROP FUNCTION access_log_append_only() CASCADE",
            "UPDATE alembic_version SET version_num = 'x'",
        ],
    )
    async def test_it_cannot_replace_the_trigger_function_or_the_schema_version(
        self, as_app: asyncpg.Connection, statement: str
    ) -> None:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_app.execute(statement)

    async def test_it_has_exactly_insert_and_select_on_the_log_and_dml_elsewhere(
        self, roles: Roles, as_superuser: asyncpg.Connection
    ) -> None:
        for table in APPEND_ONLY:
            assert await _privileges(as_superuser, roles.app, table) == {"SELECT", "INSERT"}
        for table in ("authorization_request", "login_throttle", "member"):
            assert await _privileges(as_superuser, roles.app, table) == {
                "SELECT",
                "INSERT",
                "UPDATE",
                "DELETE",
            }
        assert await _privileges(as_superuser, roles.app, "alembic_version") == {"SELECT"}
        owners = await as_superuser.fetch(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        )
        assert [r["tableowner"] for r in owners] == [roles.owner]


@pytest.mark.postgres
class TestTheAppAsTheRuntimeRole:
    async def test_sign_in_submit_read_back_and_the_access_log_holds_it(
        self, roles: Roles, as_app: asyncpg.Connection
    ) -> None:
        url = roles.url(roles.app, driver="postgresql+asyncpg")
        settings = Settings(
            env="test", db=DatabaseSettings(url=url), auth=AuthSettings(secret_key=SECRET)
        )
        db = Database.from_url(url, pool_size=5)
        try:
            world = await make_world(db)
            name, password = await make_account(
                db, role=Role.VENDOR, org_kind=OrgKind.VENDOR, org_id=world.vendor.id, machine=False
            )
            app = create_app(settings, clock=FrozenClock(NOW), database=db)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                signed_in = await c.post(
                    "/v1/auth/token",
                    data={"grant_type": "password", "username": name, "password": password},
                )
                assert signed_in.status_code == 200, signed_in.text
                bearer = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
                created = await c.post(
                    REQUESTS_URL,
                    json=request_body(world),
                    headers={**bearer, "Idempotency-Key": str(uuid.uuid4())},
                )
                assert created.status_code == 201, created.text
                request_id = created.json()["id"]
                read = await c.get(f"{REQUESTS_URL}/{request_id}", headers=bearer)
                assert read.status_code == 200, read.text
                assert read.json()["id"] == request_id
            # The worker's sweeps (FOR UPDATE SKIP LOCKED, updates) need no more either.
            await sla_worker.sweep(db, now=NOW)
            await sla_worker.expire_authorizations(db, now=NOW)
        finally:
            await db.dispose()

        logged = await as_app.fetch(
            "SELECT method, outcome FROM access_log WHERE resource_id = $1", request_id
        )
        assert {(r["method"], r["outcome"]) for r in logged} >= {
            ("POST", "success"),
            ("GET", "success"),
        }


@pytest.mark.postgres
class TestTheMigrateStep:
    async def test_a_second_migrate_keeps_the_grants_and_repairs_drift(
        self, roles: Roles, as_superuser: asyncpg.Connection
    ) -> None:
        await as_superuser.execute(f"GRANT UPDATE, TRUNCATE ON access_log TO {roles.app}")

        code, err = await roles.migrate()

        assert code == 0, err
        assert await _privileges(as_superuser, roles.app, "access_log") == {"SELECT", "INSERT"}
        assert "INSERT" in await _privileges(as_superuser, roles.app, "authorization_request")

    async def test_the_runtime_role_alone_at_head_migrates_nothing_and_succeeds(
        self, roles: Roles
    ) -> None:
        # `serve` started with DME_DB__URL only (the owner migrated beforehand): a no-op.
        code, err = await roles.migrate(DME_DB__MIGRATION_URL="")

        assert code == 0, err

    async def test_refuses_a_runtime_role_that_owns_an_object_and_changes_nothing(
        self, roles: Roles, as_superuser: asyncpg.Connection
    ) -> None:
        await as_superuser.execute("CREATE TABLE stray_owned (id int)")
        await as_superuser.execute(f"ALTER TABLE stray_owned OWNER TO {roles.app}")
        await as_superuser.execute(f"GRANT UPDATE ON access_log TO {roles.app}")
        try:
            code, err = await roles.migrate()
            privileges = await _privileges(as_superuser, roles.app, "access_log")
        finally:
            await as_superuser.execute("DROP TABLE stray_owned")
            await as_superuser.execute(f"REVOKE UPDATE ON access_log FROM {roles.app}")

        assert code == 2
        assert "owns 1 objects (stray_owned)" in err
        assert f"REASSIGN OWNED BY {roles.app} TO {roles.owner}" in err
        assert "UPDATE" in privileges  # the refused migrate rolled back, grants included

    async def test_refuses_a_runtime_role_that_inherits_the_owner(
        self, roles: Roles, as_superuser: asyncpg.Connection
    ) -> None:
        await as_superuser.execute(f"GRANT {roles.owner} TO {roles.app}")
        try:
            code, err = await roles.migrate()
        finally:
            await as_superuser.execute(f"REVOKE {roles.owner} FROM {roles.app}")

        assert code == 2
        assert "is a member of the migration role" in err

    async def test_the_runtime_role_cannot_migrate_an_empty_database(
        self, roles: Roles, as_superuser: asyncpg.Connection
    ) -> None:
        empty = f"{roles.database}_e"
        await as_superuser.execute(f"CREATE DATABASE {empty} OWNER {roles.owner}")
        try:
            # PostgreSQL 15's default; said here so the test holds on older servers too.
            fresh = await asyncpg.connect(roles.url(roles.server.user, database=empty))
            await fresh.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            await fresh.close()
            url = roles.url(roles.app, database=empty, driver="postgresql+asyncpg")
            code, err = await roles.migrate(DME_DB__URL=url, DME_DB__MIGRATION_URL="")
        finally:
            await as_superuser.execute(f"DROP DATABASE {empty} WITH (FORCE)")

        assert code == 2
        assert "DME_DB__MIGRATION_URL" in err


class TestMigrationSettings:
    """DME_DB__MIGRATION_URL: same PostgreSQL database, named users, never echoed."""

    OWNER = "postgresql+asyncpg://dme_owner:owner-pw@db.internal/hub"
    APP = "postgresql+asyncpg://dme_app:app-pw@db.internal/hub"

    def test_the_runtime_role_is_the_app_urls_user_when_it_differs(self) -> None:
        db = DatabaseSettings(url=self.APP, migration_url=self.OWNER)
        assert (db.migration_dsn, db.runtime_role) == (self.OWNER, "dme_app")

    def test_one_role_by_default(self) -> None:
        db = DatabaseSettings(url=self.APP)
        assert (db.migration_dsn, db.runtime_role) == (self.APP, None)
        same_user = DatabaseSettings(url=self.APP, migration_url=self.APP.replace("db.", "db2."))
        assert same_user.runtime_role is None

    def test_read_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DME_DB__URL", self.APP)
        monkeypatch.setenv("DME_DB__MIGRATION_URL", self.OWNER)
        assert Settings().db.runtime_role == "dme_app"

    @pytest.mark.parametrize(
        ("url", "migration_url", "message"),
        [
            ("sqlite+aiosqlite:///./a.db", OWNER, "PostgreSQL only"),
            (APP, "sqlite+aiosqlite:///./a.db", "PostgreSQL only"),
            (APP, OWNER.replace("/hub", "/other"), "same database"),
            ("postgresql+asyncpg://db.internal/hub", OWNER, "must name their users"),
            (APP, "not a url", "must be database URLs"),
        ],
    )
    def test_refused_without_echoing_either_url(
        self, url: str, migration_url: str, message: str
    ) -> None:
        with pytest.raises(ValidationError, match=message) as refused:
            DatabaseSettings(url=url, migration_url=migration_url)
        assert "owner-pw" not in str(refused.value)
        assert "app-pw" not in str(refused.value)

    def test_repr_hides_the_migration_url(self) -> None:
        settings = Settings(db=DatabaseSettings(url=self.APP, migration_url=self.OWNER))
        assert "owner-pw" not in repr(settings)


@pytest.mark.postgres
class TestProductionWarning:
    WARNING = "owns the access log and could disable its append-only trigger"

    async def test_prod_with_one_role_warns_that_the_app_owns_the_log(self, roles: Roles) -> None:
        owner = roles.url(roles.owner, driver="postgresql+asyncpg")
        code, err = await roles.migrate(DME_ENV="prod", DME_DB__URL=owner, DME_DB__MIGRATION_URL="")

        assert code == 0, err
        assert self.WARNING in err

    async def test_prod_with_separate_roles_does_not(self, roles: Roles) -> None:
        code, err = await roles.migrate(DME_ENV="prod")

        assert code == 0, err
        assert self.WARNING not in err
