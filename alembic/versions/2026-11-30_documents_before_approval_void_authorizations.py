"""documents before approval, uploads before submitting, void authorizations

Attachments may be uploaded before a request exists (owned by the vendor, expiring unused);
an authorization issued on a line is `active` until its request is cancelled (`void`).

Revision ID: c13a0d0c5e01
Revises: d2ba886140da
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dme_portal.db.types

revision: str = "c13a0d0c5e01"
down_revision: str | None = "d2ba886140da"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNATTACHED = sa.text("request_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vendor_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column("expires_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column("request_id", existing_type=sa.Uuid(), nullable=True)
    attachment = sa.table(
        "attachment", sa.column("vendor_id", sa.Uuid()), sa.column("request_id", sa.Uuid())
    )
    request = sa.table(
        "authorization_request", sa.column("id", sa.Uuid()), sa.column("vendor_id", sa.Uuid())
    )
    op.execute(
        attachment.update().values(
            vendor_id=sa.select(request.c.vendor_id)
            .where(request.c.id == attachment.c.request_id)
            .scalar_subquery()
        )
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.alter_column("vendor_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_attachment_vendor_id_vendor"), "vendor", ["vendor_id"], ["id"]
        )
        batch_op.create_index(
            "ix_attachment_unattached_expires",
            ["expires_at"],
            unique=False,
            postgresql_where=_UNATTACHED,
            sqlite_where=_UNATTACHED,
        )

    with op.batch_alter_table("request_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authorization_state", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column(
                "documents_missing", sa.JSON(), nullable=False, server_default=sa.text("'[]'")
            )
        )
    line = sa.table(
        "request_line",
        sa.column("authorization_number", sa.String()),
        sa.column("authorization_state", sa.String()),
    )
    op.execute(
        line.update()
        .where(line.c.authorization_number.is_not(None))
        .values(authorization_state="active")
    )
    # Requests cancelled before this migration keep no authorization in force.
    req = sa.table(
        "authorization_request",
        sa.column("id", sa.Uuid()),
        sa.column("status", sa.String()),
        sa.column("sla_state", sa.String()),
    )
    line_req = sa.table(
        "request_line",
        sa.column("request_id", sa.Uuid()),
        sa.column("authorization_state", sa.String()),
    )
    cancelled = sa.select(req.c.id).where(req.c.status == "cancelled")
    op.execute(
        line_req.update()
        .where(line_req.c.request_id.in_(cancelled), line_req.c.authorization_state.is_not(None))
        .values(authorization_state="void")
    )
    op.execute(req.update().where(req.c.status == "cancelled").values(sla_state="cancelled"))


def downgrade() -> None:
    with op.batch_alter_table("request_line", schema=None) as batch_op:
        batch_op.drop_column("documents_missing")
        batch_op.drop_column("authorization_state")
    attachment = sa.table(
        "attachment", sa.column("request_id", sa.Uuid()), sa.column("storage_key", sa.String())
    )
    blob = sa.table("attachment_blob", sa.column("key", sa.String()))
    # Uploads never attached to a request cannot exist in the old schema.
    unattached = sa.select(attachment.c.storage_key).where(attachment.c.request_id.is_(None))
    op.execute(blob.delete().where(blob.c.key.in_(unattached)))
    op.execute(attachment.delete().where(attachment.c.request_id.is_(None)))
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_attachment_unattached_expires",
            postgresql_where=_UNATTACHED,
            sqlite_where=_UNATTACHED,
        )
        batch_op.drop_constraint(batch_op.f("fk_attachment_vendor_id_vendor"), type_="foreignkey")
        batch_op.alter_column("request_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("expires_at")
        batch_op.drop_column("vendor_id")
