"""Issue 16: the authorization table's migration backfills from existing lines, on both
databases: one row per authorized line, with its number, period, quantity and state."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from dme_portal.db import migrate
from dme_portal.db.engine import Database
from dme_portal.db.types import UTCDateTime
from fixtures.factories import NOW, unique_cin, unique_npi

BEFORE = "b15d0a003tok"
BACKFILL = "b16a0a001aut"
START = date(2026, 6, 1)
END = date(2026, 11, 27)

_when = UTCDateTime(timezone=True)


def _t(name: str, *columns: tuple[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(c, t) for c, t in columns))


PLAN = _t("health_plan", ("id", sa.Uuid()), ("code", sa.String()), ("name", sa.String()),
          ("created_at", _when))  # fmt: skip
NETWORK = _t(
    "network",
    ("id", sa.Uuid()),
    ("plan_id", sa.Uuid()),
    ("code", sa.String()),
    ("name", sa.String()),
    ("standard_turnaround_hours", sa.Integer()),
    ("expedited_turnaround_hours", sa.Integer()),
    ("created_at", _when),
)
VENDOR = _t("vendor", ("id", sa.Uuid()), ("npi", sa.String()), ("name", sa.String()),
            ("created_at", _when))  # fmt: skip
MEMBER = _t(
    "member",
    ("id", sa.Uuid()),
    ("cin", sa.String()),
    ("first_name", sa.String()),
    ("last_name", sa.String()),
    ("birth_date", sa.Date()),
    ("created_at", _when),
)
REQUEST = _t(
    "authorization_request",
    ("id", sa.Uuid()),
    ("vendor_id", sa.Uuid()),
    ("member_id", sa.Uuid()),
    ("network_id", sa.Uuid()),
    ("status", sa.String()),
    ("urgency", sa.String()),
    ("kind", sa.String()),
    ("prescriber_npi", sa.String()),
    ("received_at", _when),
    ("due_at", _when),
    ("at_risk_at", _when),
    ("updated_at", _when),
    ("decided_at", _when),
    ("decided_by", sa.String()),
    ("waiting_on", sa.Text()),
    ("version", sa.Integer()),
)
LINE = _t(
    "request_line",
    ("id", sa.Uuid()),
    ("request_id", sa.Uuid()),
    ("line_number", sa.Integer()),
    ("hcpcs", sa.String()),
    ("modifiers", sa.JSON()),
    ("quantity", sa.Integer()),
    ("unit", sa.String()),
    ("frequency", sa.String()),
    ("start_date", sa.Date()),
    ("end_date", sa.Date()),
    ("acquisition", sa.String()),
    ("contract_status", sa.String()),
    ("outcome", sa.String()),
    ("approved_quantity", sa.Integer()),
    ("authorization_number", sa.String()),
    ("authorized_start", sa.Date()),
    ("authorized_end", sa.Date()),
    ("authorization_state", sa.String()),
)


def _request(ids: dict[str, uuid.UUID], status: str, decided_by: str | None) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "vendor_id": ids["vendor"],
        "member_id": ids["member"],
        "network_id": ids["network"],
        "status": status,
        "urgency": "standard",
        "kind": "initial",
        "prescriber_npi": "1234567893",
        "received_at": NOW,
        "due_at": NOW + timedelta(hours=72),
        "at_risk_at": NOW + timedelta(hours=54),
        "updated_at": NOW,
        "decided_at": NOW if decided_by else None,
        "decided_by": decided_by,
        "waiting_on": "x",
        "version": 2,
    }


def _line(
    request_id: uuid.UUID,
    n: int,
    *,
    outcome: str | None,
    number: str | None = None,
    quantity: int = 4,
    approved: int | None = None,
    state: str | None = None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "request_id": request_id,
        "line_number": n,
        "hcpcs": "L1960",
        "modifiers": ["RT"],
        "quantity": quantity,
        "unit": "each",
        "frequency": "monthly",
        "start_date": START,
        "end_date": END,
        "acquisition": "purchase",
        "contract_status": "in_network",
        "outcome": outcome,
        "approved_quantity": approved,
        "authorization_number": number,
        "authorized_start": START if number else None,
        "authorized_end": END - timedelta(days=n) if number else None,
        "authorization_state": state if number else None,
    }


def _seed(conn: Connection) -> dict[str, dict[str, Any]]:
    """Requests as the hub held them before the authorization table; the lines by label."""
    ids = {k: uuid.uuid4() for k in ("plan", "network", "vendor", "member")}
    tag = ids["plan"].hex[:8]
    conn.execute(
        PLAN.insert(), [{"id": ids["plan"], "code": tag, "name": "Plan", "created_at": NOW}]
    )
    conn.execute(
        NETWORK.insert(),
        [
            {
                "id": ids["network"],
                "plan_id": ids["plan"],
                "code": f"n-{tag}",
                "name": "Network",
                "standard_turnaround_hours": 72,
                "expedited_turnaround_hours": 24,
                "created_at": NOW,
            }
        ],
    )
    conn.execute(
        VENDOR.insert(),
        [{"id": ids["vendor"], "npi": unique_npi(), "name": "Vendor", "created_at": NOW}],
    )
    conn.execute(
        MEMBER.insert(),
        [
            {
                "id": ids["member"],
                "cin": unique_cin(),
                "first_name": "A",
                "last_name": "B",
                "birth_date": date(2016, 5, 1),
                "created_at": NOW,
            }
        ],
    )
    by_rules = _request(ids, "approved", "rules")
    reviewed = _request(ids, "partially_approved", "user:md.choc")
    cancelled = _request(ids, "cancelled", None)
    open_one = _request(ids, "in_review", None)
    conn.execute(REQUEST.insert(), [by_rules, reviewed, cancelled, open_one])
    lines = {
        "rules": _line(by_rules["id"], 1, outcome="approved", number="T-RULES-1", state="active"),
        "modified": _line(
            reviewed["id"], 1, outcome="modified", number="T-MOD-1", approved=2, state="active"
        ),
        "denied": _line(reviewed["id"], 2, outcome="denied"),
        "not_required": _line(reviewed["id"], 3, outcome="not_required"),
        "voided": _line(cancelled["id"], 1, outcome="approved", number="T-VOID-1", state="void"),
        "waiting": _line(cancelled["id"], 2, outcome=None),
        "open": _line(open_one["id"], 1, outcome=None),
    }
    conn.execute(LINE.insert(), list(lines.values()))
    return lines


def _authorizations(conn: Connection) -> dict[uuid.UUID, dict[str, Any]]:
    table = _t(
        "authorization",
        ("line_id", sa.Uuid()),
        ("number", sa.String()),
        ("quantity", sa.Integer()),
        ("start_date", sa.Date()),
        ("end_date", sa.Date()),
        ("state", sa.String()),
        ("issued_by", sa.String()),
        ("hcpcs", sa.String()),
        ("modifiers", sa.JSON()),
        ("line_number", sa.Integer()),
    )
    rows = conn.execute(sa.select(table)).mappings().all()
    return {r["line_id"]: dict(r) for r in rows}


async def _run(db: Database, fn: Any) -> Any:
    async with db.engine.begin() as conn:
        return await conn.run_sync(fn)


def _check(found: dict[uuid.UUID, dict[str, Any]], lines: dict[str, dict[str, Any]]) -> None:
    authorized = {"rules", "modified", "voided"}
    assert set(found) == {lines[k]["id"] for k in authorized}
    for label in authorized:
        line, row = lines[label], found[lines[label]["id"]]
        assert row["number"] == line["authorization_number"]
        assert row["start_date"] == line["authorized_start"]
        assert row["end_date"] == line["authorized_end"]
        assert row["hcpcs"] == "L1960"
        assert row["modifiers"] == ["RT"]
        assert row["line_number"] == line["line_number"]
    assert found[lines["rules"]["id"]]["quantity"] == 4
    assert found[lines["modified"]["id"]]["quantity"] == 2  # the approved quantity
    assert found[lines["voided"]["id"]]["quantity"] == 4
    assert found[lines["rules"]["id"]]["state"] == "active"
    assert found[lines["modified"]["id"]]["state"] == "active"
    assert found[lines["voided"]["id"]]["state"] == "void"
    assert found[lines["rules"]["id"]]["issued_by"] == "rules"
    assert found[lines["modified"]["id"]]["issued_by"] == "reviewer"


async def test_the_migration_backfills_one_authorization_per_authorized_line(
    empty_database: Database,
) -> None:
    await migrate.upgrade(empty_database.engine, BEFORE)
    lines = await _run(empty_database, _seed)

    await migrate.upgrade(empty_database.engine, BACKFILL)
    _check(await _run(empty_database, _authorizations), lines)

    # Down one step and up again: the same rows, no duplicates.
    await migrate.downgrade(empty_database.engine, BEFORE)
    await migrate.upgrade(empty_database.engine, BACKFILL)
    _check(await _run(empty_database, _authorizations), lines)

    # And on to head with the data in place.
    await migrate.upgrade(empty_database.engine)
    _check(await _run(empty_database, _authorizations), lines)
