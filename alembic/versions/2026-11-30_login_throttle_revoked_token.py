"""auth: login throttle counters and revoked tokens (issue 15)

Revision ID: b15d0a003tok
Revises: b15c0a002npi
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dme_portal.db.types

revision: str = "b15d0a003tok"
down_revision: str | None = "b15c0a002npi"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column(
            "window_started_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", dme_portal.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttle")),
        sa.UniqueConstraint("key", name=op.f("uq_login_throttle_key")),
    )
    op.create_table(
        "revoked_token",
        sa.Column("jti", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=250), nullable=False),
        sa.Column("expires_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revoked_token")),
        sa.UniqueConstraint("jti", name=op.f("uq_revoked_token_jti")),
    )
    with op.batch_alter_table("revoked_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_revoked_token_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("revoked_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_token_expires_at"))
    op.drop_table("revoked_token")
    op.drop_table("login_throttle")
