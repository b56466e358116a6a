"""renewals: a renewal line names the authorization it renews; the extended lifelong period

Revision ID: b16c0a003ren
Revises: b16f0a006con
Create Date: 2026-11-30 13:00:00.000000

``request_line.renews_authorization_id`` links a renewal's line to the authorization it renews
(the new authorization's ``renews_id`` is copied from it). ``authorization_request`` keeps the
extended lifelong period a vendor asked for, and why, so the network sees it as such.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b16c0a003ren"
down_revision: str | None = "b16f0a006con"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a nullable column with its reference in place; batch mode would rebuild
        # request_line, which the authorization table's foreign key forbids once it has rows.
        op.execute(
            "ALTER TABLE request_line ADD COLUMN renews_authorization_id CHAR(32) "
            "CONSTRAINT fk_request_line_renews_authorization_id_authorization "
            'REFERENCES "authorization" (id)'
        )
        op.create_index(
            "ix_request_line_renews_authorization_id",
            "request_line",
            ["renews_authorization_id"],
            unique=False,
        )
    else:
        with op.batch_alter_table("request_line", schema=None) as batch_op:
            batch_op.add_column(sa.Column("renews_authorization_id", sa.Uuid(), nullable=True))
            batch_op.create_index(
                batch_op.f("ix_request_line_renews_authorization_id"),
                ["renews_authorization_id"],
                unique=False,
            )
            batch_op.create_foreign_key(
                batch_op.f("fk_request_line_renews_authorization_id_authorization"),
                "authorization",
                ["renews_authorization_id"],
                ["id"],
            )
    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extended_period_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("extended_period_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        batch_op.drop_column("extended_period_reason")
        batch_op.drop_column("extended_period_days")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_request_line_renews_authorization_id", table_name="request_line")
        op.execute("ALTER TABLE request_line DROP COLUMN renews_authorization_id")
        return
    with op.batch_alter_table("request_line", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_request_line_renews_authorization_id_authorization"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_request_line_renews_authorization_id"))
        batch_op.drop_column("renews_authorization_id")
