"""Throttling of sign-ins (token endpoint and portal form): per address, per account and
address pair, and per account from unknown addresses, with growing delays (issue 21).

Counts live in the database (``login_throttle``), so every API process sees the same counts
and a restart forgets nothing. Each count is written in its own short transaction: the
request that failed rolls back, its failure must not. Accounts are counted by the name the
caller sent (username or client_id), whether or not it exists, so probing is throttled too;
every stored key is a hash, so the table holds no user names or addresses.

- **Per address** (``address:``): ``limits.token_failures_per_address`` failures within the
  window, for any accounts, hold that address until the window ends (against spraying).
- **Per account and address** (``pair:``): after ``sign_in.pair_failures_before_delay``
  failures, that pair waits, longer after each further failure (doubling, capped).
- **Per account, from unknown addresses** (``account:``): failures from addresses the account
  has not signed in from lately share one budget, with the same growing delays, against
  guessing spread over many addresses.
- An address is **known** to an account for ``sign_in.known_address_days`` after a
  successful sign-in from it (``known_sign_in_address``): it skips the per-account budget, so
  strangers' failures never lock the account's owner out; its own pair and address limits
  still apply.

A success clears the pair and the account's budget (not the address's count). A few
parallel attempts may pass the check before the first of them is counted; the bound is the
number of requests in flight, not the number of guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.models import KnownSignInAddress, LoginThrottle
from dme_portal.config import Settings, SignInSettings
from dme_portal.db import dialect
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.db.types import UTCDateTime
from dme_portal.errors import DomainError

log = logging.getLogger("dme_portal.auth")

# The one bucket for callers without a valid address (never "known").
NO_ADDRESS = "unknown"


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


@dataclass(frozen=True, slots=True)
class Policy:
    """The limits, and the key under which known addresses are hashed."""

    sign_in: SignInSettings
    failures_per_address: int
    address_window: timedelta
    pepper: bytes

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(
            sign_in=settings.sign_in,
            failures_per_address=settings.limits.token_failures_per_address,
            address_window=timedelta(seconds=settings.limits.token_failure_window_seconds),
            pepper=hashlib.sha256(
                b"dme-portal known sign-in address\x00" + settings.auth.secret_key.encode()
            ).digest(),
        )

    def delay(self, failures: int, *, before_delay: int) -> timedelta | None:
        """The wait after the ``failures``-th failure: none below the threshold, then
        doubling from ``base_delay_seconds`` up to ``max_delay_seconds``."""
        if failures < before_delay:
            return None
        exponent = min(failures - before_delay, 32)  # past the cap long before 2^32
        seconds = min(self.sign_in.max_delay_seconds, self.sign_in.base_delay_seconds * 2**exponent)
        return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One sign-in: the account as sent (``user:alice``, ``client:acme``) and the address."""

    account: str
    address: str | None
    now: datetime

    @property
    def bucket(self) -> str:
        return self.address or NO_ADDRESS


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def account_key(name: str) -> str:
    """The account's budget from unknown addresses (``user:alice``, ``client:acme``)."""
    return "account:" + _sha(name)


def address_key(address: str) -> str:
    return "address:" + _sha(address)


def pair_key(name: str, address: str) -> str:
    return "pair:" + _sha(f"{name}\x00{address}")


def keyed_hash(pepper: bytes, text: str) -> str:
    """HMAC-SHA256: an IPv4 address's plain hash is reversed by trying all 2^32 of them."""
    return hmac.new(pepper, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


async def is_known(db: Database, *, attempt: Attempt, policy: Policy) -> bool:
    """Whether the account signed in successfully from this address within the period."""
    if attempt.address is None:
        return False
    since = attempt.now - timedelta(days=policy.sign_in.known_address_days)
    async with unit_of_work(db) as session:
        found = await session.scalar(
            select(KnownSignInAddress.id).where(
                KnownSignInAddress.account_key_hash == keyed_hash(policy.pepper, attempt.account),
                KnownSignInAddress.address_hash == keyed_hash(policy.pepper, attempt.address),
                KnownSignInAddress.last_success_at > since,
            )
        )
    return found is not None


async def check(db: Database, *, attempt: Attempt, policy: Policy) -> bool:
    """Refuse (429) an attempt that must wait, before any secret check; True when the address
    is known to the account (then the account's budget for unknown addresses is skipped)."""
    known = await is_known(db, attempt=attempt, policy=policy)
    now = attempt.now
    keys = {
        address_key(attempt.bucket): "address",
        pair_key(attempt.account, attempt.bucket): "pair",
    }
    if not known:
        keys[account_key(attempt.account)] = "account"
    async with unit_of_work(db) as session:
        rows = (
            (await session.execute(select(LoginThrottle).where(LoginThrottle.key.in_(keys))))
            .scalars()
            .all()
        )
    for row in sorted(rows, key=lambda r: r.key):
        kind = keys[row.key]
        if kind == "address":
            ends = row.window_started_at + policy.address_window
            if ends > now and row.failures >= policy.failures_per_address:
                log.warning("sign-in refused: address %s over its failure limit", attempt.address)
                raise TooManyAttempts(
                    "Too many failed attempts from this address; try again later.",
                    retry_after=_seconds_until(ends, now),
                )
        elif row.locked_until is not None and row.locked_until > now:
            log.warning("sign-in refused: %s waiting (address %s)", kind, attempt.address)
            raise TooManyAttempts(
                "Too many failed attempts; wait before trying again.",
                retry_after=_seconds_until(row.locked_until, now),
            )
    return known


async def _count(
    db: Database,
    *,
    key: str,
    now: datetime,
    window: timedelta,
    policy: Policy,
    before_delay: int | None,
) -> timedelta | None:
    """Count one failure under ``key`` (its own transaction); the delay it began, if any."""
    window_start = now - window
    async with unit_of_work(db) as session:
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
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(
                failures=case((expired, 1), else_=LoginThrottle.failures + 1),
                window_started_at=case(
                    (expired, literal(now, UTCDateTime())),
                    else_=LoginThrottle.window_started_at,
                ),
            )
        )
        if before_delay is None:
            return None
        # The row is locked by the update until commit (PostgreSQL), so this reads our count.
        failures = await session.scalar(
            select(LoginThrottle.failures).where(LoginThrottle.key == key)
        )
        delay = policy.delay(failures or 0, before_delay=before_delay)
        if delay is None:
            return None
        until = now + delay
        await session.execute(
            update(LoginThrottle)
            .where(
                LoginThrottle.key == key,
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < until),
            )
            .values(locked_until=until)
        )
    return delay


async def record_failure(
    db: Database, *, attempt: Attempt, policy: Policy, known: bool
) -> timedelta | None:
    """Count one failure for the address, the pair, and (from an unknown address) the
    account's budget; the longest delay this failure began, if any."""
    memory = timedelta(hours=policy.sign_in.failure_memory_hours)
    counted: list[tuple[str, timedelta, int | None]] = [
        (address_key(attempt.bucket), policy.address_window, None),
        (
            pair_key(attempt.account, attempt.bucket),
            memory,
            policy.sign_in.pair_failures_before_delay,
        ),
    ]
    if not known:
        counted.append(
            (account_key(attempt.account), memory, policy.sign_in.account_failures_before_delay)
        )
    delays = []
    for key, window, before_delay in sorted(counted):  # a fixed order: no deadlock
        delay = await _count(
            db, key=key, now=attempt.now, window=window, policy=policy, before_delay=before_delay
        )
        if delay is not None:
            delays.append(delay)
    return max(delays, default=None)


async def record_success(db: Database, *, attempt: Attempt, policy: Policy) -> None:
    """Clear the pair and the account's budget (not the address's count); make the address
    known to the account from now on."""
    async with unit_of_work(db) as session:
        await session.execute(
            delete(LoginThrottle).where(
                LoginThrottle.key.in_(
                    sorted(
                        (account_key(attempt.account), pair_key(attempt.account, attempt.bucket))
                    )
                )
            )
        )
        if attempt.address is None:
            return
        account_hash = keyed_hash(policy.pepper, attempt.account)
        address_hash = keyed_hash(policy.pepper, attempt.address)
        await dialect.insert_ignoring_conflict(
            session,
            KnownSignInAddress.__table__,  # type: ignore[arg-type]
            {
                "id": uuid.uuid4(),
                "account_key_hash": account_hash,
                "address_hash": address_hash,
                "last_success_at": attempt.now,
            },
            ["account_key_hash", "address_hash"],
        )
        await session.execute(
            update(KnownSignInAddress)
            .where(
                and_(
                    KnownSignInAddress.account_key_hash == account_hash,
                    KnownSignInAddress.address_hash == address_hash,
                    KnownSignInAddress.last_success_at < attempt.now,
                )
            )
            .values(last_success_at=attempt.now)
        )


async def purge_stale(session: AsyncSession, *, now: datetime, settings: Settings) -> int:
    """Delete counts that hold nothing back any more and addresses no longer known; for the
    worker's sweep. A count is kept while its window can still add to it or its wait runs."""
    memory = max(
        timedelta(hours=settings.sign_in.failure_memory_hours),
        timedelta(seconds=settings.limits.token_failure_window_seconds),
    )
    counts = await session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at <= now - memory,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
    )
    known = await session.execute(
        delete(KnownSignInAddress).where(
            KnownSignInAddress.last_success_at
            <= now - timedelta(days=settings.sign_in.known_address_days)
        )
    )
    return int(getattr(counts, "rowcount", 0) or 0) + int(getattr(known, "rowcount", 0) or 0)
