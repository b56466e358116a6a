"""authorization: approved lines as a resource of their own; the plan's continuity period

Revision ID: b16a0a001aut
Revises: b15d0a003tok
Create Date: 2026-11-30 12:00:00.000000

Backfills one authorization per request line that carries an authorization number (issued
by the rules or by a reviewer before this table existed), in its state: void when the line
was voided, else active (the expiry worker moves it on from there).
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from dme_portal.db.types import UTCDateTime

revision: str = "b16a0a001aut"
down_revision: str | None = "b15d0a003tok"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("health_plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("continuity_months", sa.Integer(), nullable=False, server_default="12")
        )
    op.create_table(
        "authorization",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("vendor_id", sa.Uuid(), nullable=False),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("hcpcs", sa.String(length=5), nullable=False),
        sa.Column("modifiers", sa.JSON(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("frequency", sa.String(length=20), nullable=False),
        sa.Column("brand", sa.String(length=120), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("issued_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("state_changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("renews_id", sa.Uuid(), nullable=True),
        sa.Column("superseded_by_id", sa.Uuid(), nullable=True),
        sa.Column("continuity_network_id", sa.Uuid(), nullable=True),
        sa.Column("continuity_until", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["member.id"], name=op.f("fk_authorization_member_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendor.id"], name=op.f("fk_authorization_vendor_id_vendor")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["network.id"], name=op.f("fk_authorization_network_id_network")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["authorization_request.id"],
            name=op.f("fk_authorization_request_id_authorization_request"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["request_line.id"], name=op.f("fk_authorization_line_id_request_line")
        ),
        sa.ForeignKeyConstraint(
            ["renews_id"],
            ["authorization.id"],
            name=op.f("fk_authorization_renews_id_authorization"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["authorization.id"],
            name=op.f("fk_authorization_superseded_by_id_authorization"),
        ),
        sa.ForeignKeyConstraint(
            ["continuity_network_id"],
            ["network.id"],
            name=op.f("fk_authorization_continuity_network_id_network"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization")),
        sa.UniqueConstraint("number", name=op.f("uq_authorization_number")),
        sa.UniqueConstraint("line_id", name=op.f("uq_authorization_line_id")),
    )
    with op.batch_alter_table("authorization", schema=None) as batch_op:
        batch_op.create_index(
            "ix_authorization_vendor_state_end", ["vendor_id", "state", "end_date"]
        )
        batch_op.create_index(
            "ix_authorization_network_state_end", ["network_id", "state", "end_date"]
        )
        batch_op.create_index("ix_authorization_member_hcpcs", ["member_id", "hcpcs", "end_date"])
        batch_op.create_index("ix_authorization_state_end", ["state", "end_date"])
        batch_op.create_index(op.f("ix_authorization_renews_id"), ["renews_id"])
        batch_op.create_index(
            op.f("ix_authorization_continuity_network_id"), ["continuity_network_id"]
        )
    _backfill()


def _backfill() -> None:
    """One authorization per line that carries a number (kept in its number and period)."""
    bind = op.get_bind()
    when = UTCDateTime(timezone=True)
    line = sa.table(
        "request_line",
        sa.column("id", sa.Uuid()),
        sa.column("request_id", sa.Uuid()),
        sa.column("line_number", sa.Integer()),
        sa.column("hcpcs", sa.String()),
        sa.column("modifiers", sa.JSON()),
        sa.column("quantity", sa.Integer()),
        sa.column("approved_quantity", sa.Integer()),
        sa.column("unit", sa.String()),
        sa.column("frequency", sa.String()),
        sa.column("brand", sa.String()),
        sa.column("authorization_number", sa.String()),
        sa.column("authorized_start", sa.Date()),
        sa.column("authorized_end", sa.Date()),
        sa.column("authorization_state", sa.String()),
    )
    req = sa.table(
        "authorization_request",
        sa.column("id", sa.Uuid()),
        sa.column("member_id", sa.Uuid()),
        sa.column("vendor_id", sa.Uuid()),
        sa.column("network_id", sa.Uuid()),
        sa.column("decided_at", when),
        sa.column("received_at", when),
        sa.column("decided_by", sa.String()),
    )
    target = sa.table(
        "authorization",
        sa.column("id", sa.Uuid()),
        sa.column("number", sa.String()),
        sa.column("member_id", sa.Uuid()),
        sa.column("vendor_id", sa.Uuid()),
        sa.column("network_id", sa.Uuid()),
        sa.column("request_id", sa.Uuid()),
        sa.column("line_id", sa.Uuid()),
        sa.column("line_number", sa.Integer()),
        sa.column("hcpcs", sa.String()),
        sa.column("modifiers", sa.JSON()),
        sa.column("quantity", sa.Integer()),
        sa.column("unit", sa.String()),
        sa.column("frequency", sa.String()),
        sa.column("brand", sa.String()),
        sa.column("start_date", sa.Date()),
        sa.column("end_date", sa.Date()),
        sa.column("state", sa.String()),
        sa.column("issued_at", when),
        sa.column("issued_by", sa.String()),
        sa.column("state_changed_at", when),
        sa.column("version", sa.Integer()),
    )
    query = (
        sa.select(
            line,
            req.c.member_id,
            req.c.vendor_id,
            req.c.network_id,
            req.c.decided_at,
            req.c.received_at,
            req.c.decided_by,
        )
        .join(req, req.c.id == line.c.request_id)
        .where(line.c.authorization_number.is_not(None))
        .where(line.c.authorized_start.is_not(None))
        .where(line.c.authorized_end.is_not(None))
        .order_by(line.c.id)
    )
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = []
    for r in bind.execute(query).mappings().all():
        issued_at = r["decided_at"] or r["received_at"] or now
        rows.append(
            {
                "id": uuid.uuid4(),
                "number": r["authorization_number"],
                "member_id": r["member_id"],
                "vendor_id": r["vendor_id"],
                "network_id": r["network_id"],
                "request_id": r["request_id"],
                "line_id": r["id"],
                "line_number": r["line_number"],
                "hcpcs": r["hcpcs"],
                "modifiers": list(r["modifiers"] or []),
                "quantity": r["approved_quantity"] or r["quantity"],
                "unit": r["unit"],
                "frequency": r["frequency"],
                "brand": r["brand"],
                "start_date": r["authorized_start"],
                "end_date": r["authorized_end"],
                "state": "void" if r["authorization_state"] == "void" else "active",
                "issued_at": issued_at,
                # Who issued it is on the request's timeline; the backfill keeps rules apart.
                "issued_by": "rules" if r["decided_by"] == "rules" else "reviewer",
                "state_changed_at": issued_at,
                "version": 1,
            }
        )
        if len(rows) >= _BATCH:
            bind.execute(target.insert(), rows)
            rows = []
    if rows:
        bind.execute(target.insert(), rows)


def downgrade() -> None:
    op.drop_table("authorization")
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch: it would recreate health_plan, which networks reference, and fail on a
        # database with data (foreign keys are on). SQLite drops the column in place (3.35+).
        op.execute("ALTER TABLE health_plan DROP COLUMN continuity_months")
    else:
        op.drop_column("health_plan", "continuity_months")
