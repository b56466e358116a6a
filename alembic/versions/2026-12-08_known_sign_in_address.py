"""auth: addresses each account signed in from (issue 21 point 4)

Revision ID: b21c0a001kno
Revises: b16c0a003ren
Create Date: 2026-12-08 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dme_portal.db.types

revision: str = "b21c0a001kno"
down_revision: str | None = "b16c0a003ren"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "known_sign_in_address",
        sa.Column("account_key_hash", sa.String(length=64), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "last_success_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_sign_in_address")),
        sa.UniqueConstraint(
            "account_key_hash",
            "address_hash",
            name=op.f("uq_known_sign_in_address_account_key_hash_address_hash"),
        ),
    )


def downgrade() -> None:
    op.drop_table("known_sign_in_address")
