"""Tell database faults apart: the database is unavailable, or two writers collided.

Both are honest answers to give a client (503 with Retry-After, 409 with a retry hint) rather
than a 500: the request did nothing and may be sent again. Everything else stays a 500.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from enum import StrEnum

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError


class Fault(StrEnum):
    UNAVAILABLE = "unavailable"
    CONFLICT = "conflict"


# SQLSTATE classes and codes that mean "the server cannot serve this connection now":
# 08 connection exception, 53 insufficient resources (too many connections), 57P01-57P03
# admin/crash shutdown and "cannot connect now" (starting up, shutting down, recovering).
_UNAVAILABLE_CLASSES = ("08", "53")
_UNAVAILABLE_CODES = {"57P01", "57P02", "57P03", "57P04", "57P05"}
# 55000 is also "database is not currently accepting connections" (ALLOW_CONNECTIONS false).
_NOT_ACCEPTING = "not currently accepting connections"
# SQLite's file-level troubles (the file is locked past busy_timeout, or cannot be opened).
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (``orig``) and what caused it, each once."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (
            getattr(current, "orig", None),
            current.__cause__,
            current.__context__,
        ):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection to give in time
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(
        exc,
        asyncpg.exceptions.ConnectionDoesNotExistError
        | asyncpg.exceptions.CannotConnectNowError
        | asyncpg.exceptions.TooManyConnectionsError
        | asyncpg.exceptions.ConnectionFailureError
        | asyncpg.exceptions.AdminShutdownError,
    ):
        return True
    if isinstance(exc, asyncpg.exceptions.InterfaceError) and "connection is closed" in str(exc):
        return True
    if isinstance(exc, asyncpg.exceptions.PostgresError):
        state = str(getattr(exc, "sqlstate", "") or "")
        if state[:2] in _UNAVAILABLE_CLASSES or state in _UNAVAILABLE_CODES:
            return True
        return state == "55000" and _NOT_ACCEPTING in str(exc)
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc).lower()
        return any(m in message for m in _SQLITE_UNAVAILABLE)
    # Refused, reset or unreachable while connecting (asyncpg raises these unwrapped; asyncio
    # sums up a refusal on several addresses as a plain OSError).
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    return type(exc) is OSError and str(exc).startswith("Multiple exceptions")


def classify(exc: BaseException) -> Fault | None:
    """What a database exception means for the client, or None when it is a plain bug."""
    chain = list(_chain(exc))
    if any(_unavailable(e) for e in chain):
        return Fault.UNAVAILABLE
    if any(isinstance(e, sa_exc.IntegrityError | StaleDataError) for e in chain):
        return Fault.CONFLICT
    return None
