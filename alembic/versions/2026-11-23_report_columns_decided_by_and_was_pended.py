"""report columns decided by and was pended

Revision ID: d2ba886140da
Revises: 1b7bed839565
Create Date: 2026-11-23 19:03:28.306944
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d2ba886140da"
down_revision: str | None = "1b7bed839565"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill() -> None:
    """Fill the new columns from the timeline of requests received before this migration."""
    req = sa.table(
        "authorization_request",
        sa.column("id", sa.Uuid()),
        sa.column("decided_by", sa.String()),
        sa.column("was_pended", sa.Boolean()),
        sa.column("decided_at"),
    )
    event = sa.table(
        "request_event",
        sa.column("request_id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("actor_type", sa.String()),
        sa.column("sequence", sa.Integer()),
    )
    decided_by = (
        sa.select(event.c.actor_type)
        .where(event.c.request_id == req.c.id, event.c.kind == "decided")
        .order_by(event.c.sequence.desc())
        .limit(1)
        .scalar_subquery()
    )
    op.execute(req.update().where(req.c.decided_at.is_not(None)).values(decided_by=decided_by))
    pended = sa.exists().where(
        event.c.request_id == req.c.id, event.c.kind == "information_requested"
    )
    op.execute(req.update().where(pended).values(was_pended=sa.true()))


def upgrade() -> None:
    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_by", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("was_pended", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("authorization_request", schema=None) as batch_op:
        batch_op.drop_column("was_pended")
        batch_op.drop_column("decided_by")
