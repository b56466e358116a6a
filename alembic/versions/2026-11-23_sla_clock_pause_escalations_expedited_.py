"""sla clock pause escalations expedited reason

Revision ID: 1b7bed839565
Revises: 4ad7bd4f6e84
Create Date: 2026-11-23 18:20:43.849342
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dme_portal.db.types

revision: str = "1b7bed839565"
down_revision: str | None = "4ad7bd4f6e84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "escalation",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("created_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_escalation_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["authorization_request.id"],
            name=op.f("fk_escalation_request_id_authorization_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation")),
        sa.UniqueConstraint("request_id", "kind", name=op.f("uq_escalation_request_id_kind")),
    )
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_escalation_network_open", ["network_id", "resolved_at"], unique=False
        )

    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        # Existing rows: open requests start "on_time"; the worker catches them up on its sweep.
        batch_op.add_column(
            sa.Column("sla_state", sa.String(length=16), nullable=False, server_default="on_time")
        )
        batch_op.add_column(
            sa.Column(
                "pauses_while_pended", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column("paused_since", dme_portal.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("paused_seconds", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("expedited_reason", sa.Text(), nullable=True))
        batch_op.create_index(
            "ix_authorization_request_sweep_at_risk",
            ["at_risk_at"],
            unique=False,
            postgresql_where=sa.text("sla_state = 'on_time' AND status IN ('in_review', 'pended')"),
            sqlite_where=sa.text("sla_state = 'on_time' AND status IN ('in_review', 'pended')"),
        )
        batch_op.create_index(
            "ix_authorization_request_sweep_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text(
                "sla_state IN ('on_time', 'at_risk') AND status IN ('in_review', 'pended')"
            ),
            sqlite_where=sa.text(
                "sla_state IN ('on_time', 'at_risk') AND status IN ('in_review', 'pended')"
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_authorization_request_sweep_due",
            postgresql_where=sa.text(
                "sla_state IN ('on_time', 'at_risk') AND status IN ('in_review', 'pended')"
            ),
            sqlite_where=sa.text(
                "sla_state IN ('on_time', 'at_risk') AND status IN ('in_review', 'pended')"
            ),
        )
        batch_op.drop_index(
            "ix_authorization_request_sweep_at_risk",
            postgresql_where=sa.text("sla_state = 'on_time' AND status IN ('in_review', 'pended')"),
            sqlite_where=sa.text("sla_state = 'on_time' AND status IN ('in_review', 'pended')"),
        )
        batch_op.drop_column("expedited_reason")
        batch_op.drop_column("paused_seconds")
        batch_op.drop_column("paused_since")
        batch_op.drop_column("pauses_while_pended")
        batch_op.drop_column("sla_state")

    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index("ix_escalation_network_open")

    op.drop_table("escalation")
