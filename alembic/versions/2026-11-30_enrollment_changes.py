"""enrollment: why and by whom a period was recorded (network moves, issue 16)

Revision ID: b16f0a006con
Revises: b16e0a005rec
Create Date: 2026-11-30 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dme_portal.db.types import UTCDateTime

revision: str = "b16f0a006con"
down_revision: str | None = "b16e0a005rec"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("recorded_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_column("recorded_at")
        batch_op.drop_column("recorded_by")
        batch_op.drop_column("reason")
