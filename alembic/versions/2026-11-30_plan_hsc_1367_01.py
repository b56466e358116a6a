"""plan: whether California HSC 1367.01 applies (five business days for standard decisions)

Revision ID: b13d00r5a001
Revises: c13a0d0c5e01
Create Date: 2026-11-30 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b13d00r5a001"
down_revision: str | None = "c13a0d0c5e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("health_plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "hsc_1367_01_applies", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    # CalOptima Health, the plan this hub serves (and the demo's), is Knox-Keene licensed:
    # databases seeded before this column existed get what a fresh seed gives it.
    plan = sa.table(
        "health_plan",
        sa.column("code", sa.String()),
        sa.column("hsc_1367_01_applies", sa.Boolean()),
    )
    op.execute(
        plan.update().where(plan.c.code == "caloptima").values(hsc_1367_01_applies=sa.true())
    )


def downgrade() -> None:
    with op.batch_alter_table("health_plan", schema=None) as batch_op:
        batch_op.drop_column("hsc_1367_01_applies")
