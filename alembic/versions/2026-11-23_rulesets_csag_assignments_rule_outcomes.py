"""rulesets csag assignments rule outcomes

Revision ID: 7e625bba1043
Revises: 3c40f540a3b6
Create Date: 2026-11-23 17:48:21.910613
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dme_portal.db.types

revision: str = "7e625bba1043"
down_revision: str | None = "3c40f540a3b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "csag_assignment",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("csag_id", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("assigned_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.Column("ended_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=100), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_csag_assignment_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_csag_assignment_network_id_network")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csag_assignment")),
    )
    with op.batch_alter_table("csag_assignment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_csag_assignment_network_assigned", ["network_id", "assigned_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_csag_assignment_network_member", ["network_id", "member_id"], unique=False
        )

    op.create_table(
        "network_event",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=False),
        sa.Column("actor_role", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_network_event_network_id_network")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_event")),
    )
    with op.batch_alter_table("network_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_network_event_network_occurred", ["network_id", "occurred_at"], unique=False
        )

    op.create_table(
        "ruleset_draft",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_ruleset_draft_network_id_network")
        ),
        sa.PrimaryKeyConstraint("network_id", name=op.f("pk_ruleset_draft")),
    )
    op.create_table(
        "ruleset_version",
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("published_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_ruleset_version_network_id_network")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ruleset_version")),
        sa.UniqueConstraint(
            "network_id", "version", name=op.f("uq_ruleset_version_network_id_version")
        ),
    )
    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ruleset_version", sa.Integer(), nullable=True))
        # Requests received before this migration were all under the 72-hour default.
        batch_op.add_column(
            sa.Column(
                "turnaround_hours", sa.Integer(), nullable=False, server_default=sa.text("72")
            )
        )

    with op.batch_alter_table("request_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_outcome", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("rule_decided_by", sa.String(length=80), nullable=True))
        batch_op.add_column(
            sa.Column("rule_reasons", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("rule_trace", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column(
                "documents_required", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
        batch_op.add_column(sa.Column("authorization_number", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("authorized_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("authorized_end", sa.Date(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_request_line_authorization_number"), ["authorization_number"]
        )


def downgrade() -> None:
    with op.batch_alter_table("request_line", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_request_line_authorization_number"), type_="unique")
        batch_op.drop_column("authorized_end")
        batch_op.drop_column("authorized_start")
        batch_op.drop_column("authorization_number")
        batch_op.drop_column("documents_required")
        batch_op.drop_column("rule_trace")
        batch_op.drop_column("rule_reasons")
        batch_op.drop_column("rule_decided_by")
        batch_op.drop_column("rule_outcome")

    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        batch_op.drop_column("turnaround_hours")
        batch_op.drop_column("ruleset_version")

    op.drop_table("ruleset_version")
    op.drop_table("ruleset_draft")
    with op.batch_alter_table("network_event", schema=None) as batch_op:
        batch_op.drop_index("ix_network_event_network_occurred")

    op.drop_table("network_event")
    with op.batch_alter_table("csag_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_csag_assignment_network_member")
        batch_op.drop_index("ix_csag_assignment_network_assigned")

    op.drop_table("csag_assignment")
