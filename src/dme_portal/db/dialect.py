"""The few places where PostgreSQL and SQLite differ."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    String,
    Table,
    cast,
    column,
    func,
    select,
    text,
    values,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


async def insert_ignoring_conflict(
    session: AsyncSession, table: Table, values: dict[str, Any], conflict_columns: list[str]
) -> bool:
    """Insert a row unless one with the same unique key exists; True when inserted.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction and
    then does nothing, so exactly one caller wins.
    """
    bind = session.get_bind()
    module: Any = postgresql if bind.dialect.name == "postgresql" else sqlite
    stmt = (
        module.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(table.c.id)
    )
    result = await session.execute(stmt)
    return result.first() is not None


async def serialize(session: AsyncSession, *keys: str) -> None:
    """Serialise transactions that share any of ``keys`` until they end.

    PostgreSQL: transaction-scoped advisory locks, taken in one statement and in a fixed
    order (no deadlock between two callers with overlapping keys). SQLite: writers are already
    serialised (every transaction begins IMMEDIATE), so nothing to do.
    """
    if not keys or session.get_bind().dialect.name != "postgresql":
        return
    ordered = sorted(set(keys))
    key = values(column("k", String), name="keys").data([(k,) for k in ordered])
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext(key.c.k))).order_by(key.c.k)
    )


def aggregates_percentiles(session: AsyncSession) -> bool:
    """True where the database computes percentiles itself (PostgreSQL's percentile_cont)."""
    return session.get_bind().dialect.name == "postgresql"


def seconds_between(start: Any, end: Any) -> ColumnElement[float]:
    """``end - start`` in seconds, on PostgreSQL (with ``aggregates_percentiles``)."""
    return cast(func.extract("epoch", end - start), Float)


def percentile_cont(q: float, value: ColumnElement[float]) -> ColumnElement[float]:
    """PostgreSQL's interpolated percentile (numpy's default method) of ``value``."""
    return func.percentile_cont(q).within_group(value)


class day_after(FunctionElement[date]):
    """``d + 1 day`` for a DATE column: ``d + 1`` on PostgreSQL, ``date(d, '+1 day')`` on
    SQLite (where dates are ISO strings, so the result compares with other dates)."""

    type = Date()
    inherit_cache = True
    name = "day_after"


@compiles(day_after)
def _day_after_postgresql(element: day_after, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} + 1)"


@compiles(day_after, "sqlite")
def _day_after_sqlite(element: day_after, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+1 day')"


async def without_jit(session: AsyncSession) -> None:
    """Turn PostgreSQL's JIT off for the rest of the transaction.

    For a query whose estimated cost is high (correlated subqueries over many rows) but which
    reads few rows, compiling it takes seconds where running it takes milliseconds.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL jit = off"))
