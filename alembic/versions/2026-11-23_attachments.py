"""attachments

Revision ID: 4ad7bd4f6e84
Revises: f6d28a66b9c6
Create Date: 2026-11-23 18:08:05.629933
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dme_portal.db.types

revision: str = "4ad7bd4f6e84"
down_revision: str | None = "f6d28a66b9c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The database blob store: bytes commit or roll back with the attachment rows.
    op.create_table(
        "attachment_blob",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_attachment_blob")),
    )
    op.create_table(
        "attachment",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column(
            "document_type",
            sa.Enum(
                "prescription",
                "letter_of_medical_necessity",
                "seating_evaluation",
                "evaluation",
                "other",
                name="documenttype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column(
            "content_type",
            sa.Enum(
                "application/pdf",
                "image/png",
                "image/jpeg",
                "image/tiff",
                name="mediatype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        # No foreign key to attachment_blob: the blob store may live outside the database.
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("uploaded_at", dme_portal.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["authorization_request.id"],
            name=op.f("fk_attachment_request_id_authorization_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_attachment_storage_key")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_attachment_request_uploaded", ["request_id", "uploaded_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index("ix_attachment_request_uploaded")

    op.drop_table("attachment")
    op.drop_table("attachment_blob")
