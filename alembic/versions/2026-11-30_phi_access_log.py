"""PHI access log: one append-only row per call that read or changed PHI, with its members

Revision ID: b15a0a001acc
Revises: b13d00r5a001
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dme_portal.db.types import UTCDateTime

revision: str = "b15a0a001acc"
down_revision: str | None = "b13d00r5a001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# On PostgreSQL the database itself refuses to rewrite history, whatever the code does.
_PG_FUNCTION = """
CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the PHI access log is append-only (% on %)', TG_OP, TG_TABLE_NAME;
END;
$$
"""
_TABLES = ("access_log", "access_log_member")


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("org_kind", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=True),
        sa.Column("network_id", sa.Uuid(), nullable=True),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_at", "access_log", ["at", "id"])
    op.create_index("ix_access_log_subject_at", "access_log", ["subject", "at"])
    op.create_index("ix_access_log_org_at", "access_log", ["org_id", "at"])
    op.create_index("ix_access_log_network_at", "access_log", ["network_id", "at"])
    op.create_table(
        "access_log_member",
        sa.Column("access_log_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["access_log_id"],
            ["access_log.id"],
            name=op.f("fk_access_log_member_access_log_id_access_log"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_access_log_member_member_id_member")
        ),
        sa.PrimaryKeyConstraint("access_log_id", "member_id", name=op.f("pk_access_log_member")),
    )
    op.create_index("ix_access_log_member_member_at", "access_log_member", ["member_id", "at"])
    op.create_index("ix_access_log_member_network_at", "access_log_member", ["network_id", "at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in _TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS access_log_append_only()")
    op.drop_index("ix_access_log_member_network_at", table_name="access_log_member")
    op.drop_index("ix_access_log_member_member_at", table_name="access_log_member")
    op.drop_table("access_log_member")
    op.drop_index("ix_access_log_network_at", table_name="access_log")
    op.drop_index("ix_access_log_org_at", table_name="access_log")
    op.drop_index("ix_access_log_subject_at", table_name="access_log")
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_table("access_log")
