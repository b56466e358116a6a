"""reconsideration: a vendor's request that another physician reconsider denied lines

Revision ID: b16e0a005rec
Revises: b16a0a001aut
Create Date: 2026-11-30 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dme_portal.db.types import UTCDateTime

revision: str = "b16e0a005rec"
down_revision: str | None = "b16a0a001aut"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconsideration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("line_numbers", sa.JSON(), nullable=False),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("expedited", sa.Boolean(), nullable=False),
        sa.Column("expedited_reason", sa.Text(), nullable=True),
        sa.Column("ruleset_version", sa.Integer(), nullable=True),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("line_outcomes", sa.JSON(), nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("physician_subject", sa.String(length=200), nullable=True),
        sa.Column("physician_npi", sa.String(length=10), nullable=True),
        sa.Column("physician_name", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["authorization_request.id"],
            name=op.f("fk_reconsideration_request_id_authorization_request"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_reconsideration_network_id_network")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconsideration")),
    )
    op.create_index("ix_reconsideration_request", "reconsideration", ["request_id", "requested_at"])
    op.create_index(
        "ix_reconsideration_network_status_due",
        "reconsideration",
        ["network_id", "status", "due_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_reconsideration_network_status_due", table_name="reconsideration")
    op.drop_index("ix_reconsideration_request", table_name="reconsideration")
    op.drop_table("reconsideration")
