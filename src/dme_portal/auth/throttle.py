"""Throttling of the token endpoint: per account and per client address, with lockout.

Counts live in the database (``login_throttle``), so every API process sees the same counts
and a restart forgets nothing. Each count is written in its own short transaction: the
request that failed rolls back, its failure must not. Accounts are counted by the name the
caller sent (username or client_id), whether or not it exists, so probing is throttled too;
the stored key is a hash, so the table holds no user names.

- An account that reaches ``token_failures_per_account`` failures within the window is locked
  for ``lockout_minutes``, even against the right secret; a success resets its count.
- An address that reaches ``token_failures_per_address`` failures within the window is refused
  until the window ends (a success does not reset it).

A few parallel attempts may pass the check before the first of them is counted; the bound
is the number of requests in flight, not the number of guesses.
"""

from __future__ import annotations

import hashlib
import logging
import math
import uuid
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, select, update

from dme_portal.auth.models import LoginThrottle
from dme_portal.config import LimitSettings
from dme_portal.db import dialect
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.db.types import UTCDateTime
from dme_portal.errors import DomainError

log = logging.getLogger("dme_portal.auth")


class TooManyAttempts(DomainError):
    """429 with Retry-After, shaped as an RFC 6749 §5.2 error (``slow_down``, RFC 8628 §3.5)."""

    status = 429
    code = "oauth.slow_down"
    title = "Too many failed attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(
            detail,
            headers={"Retry-After": str(retry_after), "Cache-Control": "no-store"},
            extra={"error": "slow_down", "retry_after": retry_after},
        )


def account_key(name: str) -> str:
    """The throttle key of an account name as sent (``user:alice``, ``client:acme``)."""
    return "account:" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()


def address_key(address: str) -> str:
    return "address:" + hashlib.sha256(address.encode()).hexdigest()


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


async def check(
    db: Database, *, account: str, address: str, limits: LimitSettings, now: datetime
) -> None:
    """Refuse (429) a locked account or an address over its limit, before any secret check."""
    keys = {account_key(account): "account", address_key(address): "address"}
    window = timedelta(seconds=limits.token_failure_window_seconds)
    async with unit_of_work(db) as session:
        rows = (
            (await session.execute(select(LoginThrottle).where(LoginThrottle.key.in_(keys))))
            .scalars()
            .all()
        )
    for row in rows:
        if keys[row.key] == "account":
            if row.locked_until is not None and row.locked_until > now:
                log.warning("token request refused: account locked (address %s)", address)
                raise TooManyAttempts(
                    "Too many failed attempts for this account; it is locked for a while.",
                    retry_after=_seconds_until(row.locked_until, now),
                )
        elif row.window_started_at + window > now and (
            row.failures >= limits.token_failures_per_address
        ):
            log.warning("token request refused: address %s over its failure limit", address)
            raise TooManyAttempts(
                "Too many failed attempts from this address; try again later.",
                retry_after=_seconds_until(row.window_started_at + window, now),
            )


async def record_failure(
    db: Database, *, account: str, address: str, limits: LimitSettings, now: datetime
) -> None:
    """Count one failure for the account and the address (in a transaction of its own)."""
    window_start = now - timedelta(seconds=limits.token_failure_window_seconds)
    lock_until = now + timedelta(minutes=limits.lockout_minutes)
    counted = (
        (account_key(account), limits.token_failures_per_account),
        (address_key(address), None),
    )
    async with unit_of_work(db) as session:
        for key, lock_at in sorted(counted):  # a fixed order: no deadlock between two callers
            await dialect.insert_ignoring_conflict(
                session,
                LoginThrottle.__table__,  # type: ignore[arg-type]
                {
                    "id": uuid.uuid4(),
                    "key": key,
                    "window_started_at": now,
                    "failures": 0,
                    "locked_until": None,
                },
                ["key"],
            )
            # One statement, so concurrent failures each count: a window that has passed
            # starts again at this failure.
            expired = LoginThrottle.window_started_at <= window_start
            failures = case((expired, 1), else_=LoginThrottle.failures + 1)
            values: dict[str, object] = {
                "failures": failures,
                "window_started_at": case(
                    (expired, literal(now, UTCDateTime())),
                    else_=LoginThrottle.window_started_at,
                ),
            }
            if lock_at is not None:
                values["locked_until"] = case(
                    (failures >= lock_at, literal(lock_until, UTCDateTime())),
                    else_=LoginThrottle.locked_until,
                )
            await session.execute(
                update(LoginThrottle).where(LoginThrottle.key == key).values(**values)
            )


async def record_success(db: Database, *, account: str) -> None:
    """A successful login clears the account's failures (not the address's)."""
    async with unit_of_work(db) as session:
        await session.execute(
            delete(LoginThrottle).where(LoginThrottle.key == account_key(account))
        )
