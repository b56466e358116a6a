"""PostgreSQL roles: migrations run as the schema's owner, the app as a role that only writes rows.

The PHI access log is append-only through a trigger (``alembic/versions/*_phi_access_log.py``),
but a table's owner may disable or drop its triggers. When ``DME_DB__MIGRATION_URL`` names the
owner and ``DME_DB__URL`` another role, the migrate step gives that runtime role the data
privileges the app needs, and on the access log only INSERT and SELECT.

The grants are re-applied after every ``migrate`` (in the migration's own transaction), not set
once with ``ALTER DEFAULT PRIVILEGES``: default privileges would hand full DML on any table a
later migration adds, an append-only one included, while re-granting derives the privileges
from this module's lists for the schema as it now is, and repairs grants that drifted.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from dme_portal.errors import DomainError

# Rows are added and read, never changed: INSERT and SELECT only.
APPEND_ONLY_TABLES = ("access_log", "access_log_member")
# Alembic's bookkeeping: the app may read which revision it runs on, never set it.
READ_ONLY_TABLES = ("alembic_version",)
# Privileges that would let the runtime role rewrite or bypass the append-only tables.
_FORBIDDEN_ON_APPEND_ONLY = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")


class RoleSetupRefused(DomainError):
    """The runtime role could bypass the access log's protection; nothing was migrated."""

    status = 500
    code = "db.role_setup_refused"
    title = "Database roles refused"


class MigrationRefused(DomainError):
    """The connected role may not change the schema (the app's role, not the owner)."""

    status = 500
    code = "db.migration_refused"
    title = "Migration refused"


def _one(conn: Connection, sql: str, **params: object) -> object:
    return conn.execute(text(sql), params).scalar()


def _check_separation(conn: Connection, role: str) -> None:
    """Refuse a runtime role that could act as the owner of the audit trail."""
    owner = str(_one(conn, "SELECT current_user"))
    superuser = _one(conn, "SELECT rolsuper FROM pg_roles WHERE rolname = :r", r=role)
    if superuser is None:
        raise RoleSetupRefused(f"the runtime role {role!r} (DME_DB__URL's user) does not exist")
    if superuser:
        raise RoleSetupRefused(f"the runtime role {role!r} is a superuser")
    if _one(conn, "SELECT pg_has_role(:r, current_user, 'MEMBER')", r=role):
        raise RoleSetupRefused(
            f"the runtime role {role!r} is a member of the migration role {owner!r}"
        )
    if _one(
        conn,
        "SELECT pg_has_role(:r, datdba, 'MEMBER') FROM pg_database "
        "WHERE datname = current_database()",
        r=role,
    ):
        raise RoleSetupRefused(
            f"the runtime role {role!r} owns the database (it could drop it, and on "
            f"PostgreSQL 15 it owns schema public): ALTER DATABASE ... OWNER TO {owner}"
        )
    if _one(
        conn,
        "SELECT pg_has_role(:r, nspowner, 'MEMBER') FROM pg_namespace "
        "WHERE nspname = current_schema()",
        r=role,
    ):
        raise RoleSetupRefused(f"the runtime role {role!r} owns the schema (it could drop tables)")
    owned = conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND pg_has_role(:r, c.relowner, 'MEMBER') "
            "UNION SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND pg_has_role(:r, p.proowner, 'MEMBER') "
            "ORDER BY 1"
        ),
        {"r": role},
    ).scalars()
    names = list(owned)
    if names:
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        raise RoleSetupRefused(
            f"the runtime role {role!r} owns {len(names)} objects ({shown}): as a superuser, "
            f"REASSIGN OWNED BY {role} TO {owner}; then migrate again"
        )


def grant_runtime_role(conn: Connection, role: str) -> None:
    """Give ``role`` DML on the tables, INSERT and SELECT only on the access log (PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return
    if role == _one(conn, "SELECT current_user"):
        return  # one role for both: nothing to separate (the single-role setup)
    _check_separation(conn, role)
    quote = conn.dialect.identifier_preparer.quote
    who = quote(role)
    schema = quote(str(_one(conn, "SELECT current_schema()")))
    present = set(
        conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()
    )
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        # From a clean slate, so that a privilege granted by hand does not survive a migrate.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
    ]
    statements += [
        f"REVOKE UPDATE, DELETE ON {quote(t)} FROM {who}"
        for t in APPEND_ONLY_TABLES
        if t in present
    ]
    statements += [
        f"REVOKE INSERT, UPDATE, DELETE ON {quote(t)} FROM {who}"
        for t in READ_ONLY_TABLES
        if t in present
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)
    _verify(conn, role, present)


def _verify(conn: Connection, role: str, present: set[str]) -> None:
    """The effective privileges (through PUBLIC or any group too) are what the grants meant."""
    for table in APPEND_ONLY_TABLES:
        if table not in present:
            continue
        for privilege in _FORBIDDEN_ON_APPEND_ONLY:
            if _one(conn, "SELECT has_table_privilege(:r, :t, :p)", r=role, t=table, p=privilege):
                raise RoleSetupRefused(
                    f"the runtime role {role!r} still has {privilege} on {table} "
                    "(granted to PUBLIC or to a role it belongs to): revoke it there"
                )


def connected_role_owns_access_log(conn: Connection) -> bool:
    """Whether the connected role could disable the access log's trigger (PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return False
    return bool(
        _one(
            conn,
            "SELECT pg_has_role(current_user, tableowner, 'MEMBER') FROM pg_tables "
            "WHERE schemaname = current_schema() AND tablename = 'access_log'",
        )
    )
