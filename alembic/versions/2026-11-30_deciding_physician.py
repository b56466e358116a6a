"""request_line: the physician who made a medical-necessity determination

Revision ID: b15c0a002npi
Revises: b15a0a001acc
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b15c0a002npi"
down_revision: str | None = "b15a0a001acc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # California HSC 1367.01(e): only a physician may deny or modify for medical necessity.
    # A medical director deciding in the hub is recorded by subject; a network's UM system
    # names the physician (NPI and name). Lines decided before this column existed stay null.
    with op.batch_alter_table("request_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("physician_subject", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("physician_npi", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("physician_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("request_line", schema=None) as batch_op:
        batch_op.drop_column("physician_name")
        batch_op.drop_column("physician_npi")
        batch_op.drop_column("physician_subject")
