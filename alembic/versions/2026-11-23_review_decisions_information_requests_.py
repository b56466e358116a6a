"""review decisions information requests change feed

Revision ID: f6d28a66b9c6
Revises: 7e625bba1043
Create Date: 2026-11-23 18:06:10.739294
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import dme_portal.db.types

revision: str = "f6d28a66b9c6"
down_revision: str | None = "7e625bba1043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill_at_risk_at() -> None:
    """Existing requests turn at risk with one sixth of their turnaround left (the default)."""
    utc = dme_portal.db.types.UTCDateTime()
    req = sa.table(
        "authorization_request",
        sa.column("id", sa.Uuid()),
        sa.column("due_at", utc),
        sa.column("turnaround_hours", sa.Integer()),
        sa.column("at_risk_at", utc),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(req.c.id, req.c.due_at, req.c.turnaround_hours)).all()
    for row_id, due, hours in rows:
        at_risk = due - timedelta(hours=hours) / 6
        bind.execute(req.update().where(req.c.id == row_id).values(at_risk_at=at_risk))


def upgrade() -> None:
    op.create_table(
        "information_request",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("requested_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("documents_requested", sa.JSON(), nullable=False),
        sa.Column("answered_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["authorization_request.id"],
            name=op.f("fk_information_request_request_id_authorization_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_information_request")),
    )
    with op.batch_alter_table("information_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_information_request_request", ["request_id", "requested_at"], unique=False
        )

    op.create_table(
        "request_change",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("changed_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_request_change_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["authorization_request.id"],
            name=op.f("fk_request_change_request_id_authorization_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_change")),
    )
    with op.batch_alter_table("request_change", schema=None) as batch_op:
        batch_op.create_index("ix_request_change_network_id", ["network_id", "id"], unique=False)

    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("at_risk_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("assigned_to", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("assigned_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("network_reference", sa.String(length=100), nullable=True))

    _backfill_at_risk_at()
    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        batch_op.alter_column(
            "at_risk_at", existing_type=dme_portal.db.types.UTCDateTime(), nullable=False
        )

    with op.batch_alter_table("request_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_quantity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decision_reason_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("decision_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("request_line", schema=None) as batch_op:
        batch_op.drop_column("decision_reason")
        batch_op.drop_column("decision_reason_code")
        batch_op.drop_column("approved_quantity")

    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        batch_op.drop_column("network_reference")
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("assigned_to")
        batch_op.drop_column("at_risk_at")

    with op.batch_alter_table("request_change", schema=None) as batch_op:
        batch_op.drop_index("ix_request_change_network_id")

    op.drop_table("request_change")
    with op.batch_alter_table("information_request", schema=None) as batch_op:
        batch_op.drop_index("ix_information_request_request")

    op.drop_table("information_request")
