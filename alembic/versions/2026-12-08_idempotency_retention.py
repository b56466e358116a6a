"""idempotency retention: a record's caller and expiry (issue 21 point 8)

Revision ID: b21d0a001idm
Revises: b21c0a001kno
Create Date: 2026-12-08 03:00:00.000000

``idempotency_record.subject`` is the caller that used the key (``user:...`` or
``client:...``): only that caller is answered from the record. ``expires_at`` ends the
record's window (24 hours by default); an expired record is never replayed and the worker
deletes it (indexed for that purge). Records made before this revision have no subject and
expire at once: they are never replayed, and the next sweep deletes them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dme_portal.db.types

revision: str = "b21d0a001idm"
down_revision: str | None = "b21c0a001kno"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("expires_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE idempotency_record SET expires_at = created_at")
    # No table refers to idempotency_record, so SQLite's batch rebuild here is safe.
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at",
            existing_type=dme_portal.db.types.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.create_index(
            batch_op.f("ix_idempotency_record_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_record_expires_at"))
        batch_op.drop_column("expires_at")
        batch_op.drop_column("subject")
