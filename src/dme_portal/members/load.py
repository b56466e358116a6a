"""Bulk load of enrollment changes from a CSV file (``dme-portal load-enrollments FILE``).

Columns: ``cin``, ``network`` (code), ``effective_from``, ``effective_to`` (optional),
``reason`` (optional). Each row is applied as ``POST /v1/members/{cin}/enrollments`` would
apply it, in a transaction of its own: a row is applied whole or not at all. A row whose
period is already on file is ``unchanged``, so loading a file twice changes nothing the second
time. Rows that fail are reported with their line number and skipped; with ``strict`` the whole
file is one transaction, applied only when no row fails.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.codes import cin as cin_codes
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.errors import DomainError, NotFound, field_path
from dme_portal.members import enrollments
from dme_portal.members.schemas import EnrollmentCreate
from dme_portal.networks.models import Network

REQUIRED = ("cin", "network", "effective_from")
OPTIONAL = ("effective_to", "reason")
SUBJECT = "cli:load-enrollments"


class BadFile(DomainError):
    status = 422
    code = "enrollments.bad_file"
    title = "The enrollment file cannot be read"


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, str]


@dataclass
class LoadReport:
    applied: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    # With ``strict``, nothing was written because some row failed.
    rolled_back: bool = False

    @property
    def summary(self) -> str:
        tail = " (strict: nothing applied)" if self.rolled_back else ""
        return (
            f"applied: {self.applied}, unchanged: {self.unchanged}, "
            f"rejected: {len(self.rejected)}{tail}"
        )


def parse(text: str) -> list[Row]:
    """The file's data rows with their line numbers; ``BadFile`` for a wrong header."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        problems = [f"missing column(s) {', '.join(missing)}"] if missing else []
        problems += [f"unknown column(s) {', '.join(unknown)}"] if unknown else []
        raise BadFile(f"line 1: {'; '.join(problems)} (columns: {', '.join(REQUIRED + OPTIONAL)})")
    reader.fieldnames = header
    rows: list[Row] = []
    for values in reader:
        if not any((v or "").strip() for v in values.values() if isinstance(v, str)):
            continue  # a blank line
        extra = values.pop(None, None)
        cleaned = {k: (v or "").strip() for k, v in values.items()}
        if extra:
            cleaned["__extra__"] = "x"
        rows.append(Row(reader.line_num, cleaned))
    return rows


def _body(row: Row) -> tuple[str, EnrollmentCreate]:
    """The row's CIN and enrollment; ``ValueError`` naming the field otherwise."""
    if "__extra__" in row.values:
        raise ValueError("more values than columns")
    cin = row.values["cin"].upper()
    if not cin_codes.is_valid_cin(cin):
        raise ValueError("cin: not a Medi-Cal CIN (8 digits and a letter)")
    payload = {
        "network": row.values["network"],
        "effective_from": row.values["effective_from"] or None,
        "effective_to": row.values.get("effective_to") or None,
        "reason": row.values.get("reason") or None,
    }
    try:
        return cin, EnrollmentCreate.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"{field_path(first['loc'])}: {first['msg']}") from None


async def _apply(session: AsyncSession, row: Row, *, now: datetime) -> str:
    """``applied`` or ``unchanged``; raises ``ValueError`` or a ``DomainError``."""
    cin, body = _body(row)
    plan_id = await session.scalar(select(Network.plan_id).where(Network.code == body.network))
    if plan_id is None:
        raise ValueError("network: no network has this code")
    principal = Principal(
        subject=SUBJECT, role=Role.PLAN_ADMIN, org_kind=OrgKind.PLAN, org_id=plan_id
    )
    result = await enrollments.enroll(session, principal=principal, cin=cin, body=body, now=now)
    return result.outcome


def _why(exc: Exception) -> str:
    if isinstance(exc, NotFound):
        return "cin: no member with this CIN in the network's plan"
    if isinstance(exc, DomainError):
        if exc.errors:
            return "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
        return exc.detail
    return str(exc)


async def load(
    db: Database,
    rows: Sequence[Row],
    *,
    now: datetime,
    strict: bool = False,
    progress: Callable[[int], None] = lambda done: None,
) -> LoadReport:
    """Apply every row (each in its own transaction, or all in one with ``strict``)."""
    report = LoadReport()
    if strict:
        await _load_strict(db, rows, now=now, report=report, progress=progress)
        return report
    for done, row in enumerate(rows, start=1):
        try:
            async with unit_of_work(db) as session:
                outcome = await _apply(session, row, now=now)
        except (ValueError, DomainError) as exc:
            report.rejected.append((row.line, _why(exc)))
        else:
            _count(report, outcome)
        progress(done)
    return report


class _RollBack(Exception):
    pass


async def _load_strict(
    db: Database,
    rows: Sequence[Row],
    *,
    now: datetime,
    report: LoadReport,
    progress: Callable[[int], None],
) -> None:
    try:
        async with unit_of_work(db) as session:
            for done, row in enumerate(rows, start=1):
                try:
                    async with session.begin_nested():
                        outcome = await _apply(session, row, now=now)
                except (ValueError, DomainError) as exc:
                    report.rejected.append((row.line, _why(exc)))
                else:
                    _count(report, outcome)
                progress(done)
            if report.rejected:
                raise _RollBack()
    except _RollBack:
        report.rolled_back = True
        report.applied = report.unchanged = 0


def _count(report: LoadReport, outcome: str) -> None:
    if outcome == "applied":
        report.applied += 1
    else:
        report.unchanged += 1
