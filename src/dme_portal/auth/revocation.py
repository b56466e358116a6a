"""Withdrawn tokens and accounts, checked on every request without a query per request.

The database is the source of truth: ``revoked_token`` rows (by ``jti``, kept until the token
would have expired) and the ``active`` flag of users and API clients. Each process keeps a
cache of both (a dict and a set) that the first request to find it older than
``auth.revocation_refresh_seconds`` reloads. A revocation or (de)activation made in this
process updates the cache at once; one made in another process (another API process, the CLI)
is seen within the refresh bound.

The cache is per database URL and per process, so that the CLI's functions and the app share
it when they run in one process (tests), and apps on different databases do not.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from dme_portal.auth.models import ApiClient, AppUser, RevokedToken
from dme_portal.db.engine import READ_ONLY, Database

# Local changes are kept this long (seconds) so that a reload that started before they were
# committed cannot drop them.
_LOCAL_MEMORY = 120.0


def user_subject(username: str) -> str:
    return f"user:{username}"


def client_subject(client_id: str) -> str:
    return f"client:{client_id}"


@dataclass
class RevocationCache:
    refresh_seconds: float = 2.0
    _jtis: dict[str, datetime] = field(default_factory=dict)
    _inactive: frozenset[str] = frozenset()
    _loaded_at: float | None = None
    _refreshing: bool = False
    # (monotonic time, kind, value): "jti", "off" (deactivated) or "on" (reactivated).
    _local: list[tuple[float, str, str, datetime | None]] = field(default_factory=list)

    def is_withdrawn(self, *, subject: str, jti: str | None) -> bool:
        """True when the subject is deactivated or the token (by jti) revoked."""
        return subject in self._inactive or (jti is not None and jti in self._jtis)

    def needs_refresh(self) -> bool:
        if self._loaded_at is None:
            return True  # never loaded: every request waits for a load
        if self._refreshing:
            return False  # another request is reloading; use what we have meanwhile
        return time.monotonic() - self._loaded_at >= self.refresh_seconds

    async def refresh(self, db: Database, *, now: datetime) -> None:
        """Reload revoked jtis (not yet expired) and inactive accounts from the database."""
        self._refreshing = True
        started = time.monotonic()
        try:
            # A read-only connection of its own: on SQLite it must not queue behind (or
            # block) the write lock that this very request's unit of work may hold.
            async with db.engine.connect() as conn:
                conn = await conn.execution_options(**{READ_ONLY: True})
                revoked = await conn.execute(
                    select(RevokedToken.jti, RevokedToken.expires_at).where(
                        RevokedToken.expires_at > now
                    )
                )
                jtis: dict[str, datetime] = {jti: until for jti, until in revoked}
                users = (
                    await conn.scalars(select(AppUser.username).where(AppUser.active.is_(False)))
                ).all()
                clients = (
                    await conn.scalars(
                        select(ApiClient.client_id).where(ApiClient.active.is_(False))
                    )
                ).all()
                await conn.rollback()
        finally:
            self._refreshing = False
        inactive = {user_subject(u) for u in users} | {client_subject(c) for c in clients}
        with _lock:
            self._local = [e for e in self._local if e[0] > started - _LOCAL_MEMORY]
            for at, kind, value, expires in self._local:
                if at < started:
                    continue  # committed before the reload began: the reload has it
                if kind == "jti" and expires is not None:
                    jtis[value] = expires
                elif kind == "off":
                    inactive.add(value)
                else:
                    inactive.discard(value)
            self._jtis = jtis
            self._inactive = frozenset(inactive)
            self._loaded_at = started

    def revoked(self, jti: str, *, expires_at: datetime) -> None:
        """Note a committed revocation in this process at once."""
        with _lock:
            self._local.append((time.monotonic(), "jti", jti, expires_at))
            self._jtis = {**self._jtis, jti: expires_at}

    def set_active(self, subject: str, *, active: bool) -> None:
        """Note a committed (de)activation in this process at once."""
        with _lock:
            self._local.append((time.monotonic(), "on" if active else "off", subject, None))
            self._inactive = self._inactive - {subject} if active else self._inactive | {subject}


_lock = threading.Lock()
_caches: dict[str, RevocationCache] = {}


def cache_for(db: Database) -> RevocationCache:
    """This process's cache for ``db``'s database."""
    key = db.engine.url.render_as_string(hide_password=True)
    with _lock:
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = RevocationCache()
        return cache
