"""continuity from the move's effective date; the new network's feed carries a continuity view

Revision ID: b21a0a001con
Revises: b21d0a001idm
Create Date: 2026-12-08 03:00:00.000000

``authorization.continuity_from`` is the move's effective date: the new network sees an
authorization under continuity only from that day. ``continuity_announced_at`` marks the
authorization announced in the new network's change feed (the worker, once, on that day).
``request_change.continuity`` holds the continuity view a ``member_moved_network`` change of
the new network carries instead of the old network's request.

Existing continuity rows get ``continuity_from`` from the member's enrollment at the new
network (its latest start), and are announced again, safely, by the worker's next sweep.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dme_portal.db.types import UTCDateTime

revision: str = "b21a0a001con"
down_revision: str | None = "b21d0a001idm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns without references: added in place on both databases (no batch rebuild
    # of tables that others reference).
    op.add_column("authorization", sa.Column("continuity_from", sa.Date(), nullable=True))
    op.add_column(
        "authorization", sa.Column("continuity_announced_at", UTCDateTime(), nullable=True)
    )
    op.add_column("request_change", sa.Column("continuity", sa.JSON(), nullable=True))
    op.execute(
        'UPDATE "authorization" SET continuity_from = ('
        "SELECT max(enrollment.effective_from) FROM enrollment "
        'WHERE enrollment.member_id = "authorization".member_id '
        'AND enrollment.network_id = "authorization".continuity_network_id) '
        "WHERE continuity_network_id IS NOT NULL"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE request_change DROP COLUMN continuity")
        op.execute('ALTER TABLE "authorization" DROP COLUMN continuity_announced_at')
        op.execute('ALTER TABLE "authorization" DROP COLUMN continuity_from')
        return
    op.drop_column("request_change", "continuity")
    op.drop_column("authorization", "continuity_announced_at")
    op.drop_column("authorization", "continuity_from")
