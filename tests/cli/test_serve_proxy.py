"""``dme-portal serve`` believes X-Forwarded-For only from DME_SERVER__TRUSTED_PROXIES (issue 21).

A real server in a subprocess, called from 127.0.0.1 with a forged ``X-Forwarded-For``; the
access log row and the sign-in throttles are read from the database the server uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from contract.live_server import free_port, stop_process, wait_until_healthy
from dme_portal.audit.models import AccessAction, AccessLog
from dme_portal.auth import throttle
from dme_portal.auth.models import KnownSignInAddress, LoginThrottle
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import AuthSettings, Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.netaddr import valid_ip
from dme_portal.networks.models import HealthPlan
from fixtures.factories import make_account

KEY = "proxy-test-signing-key-" + "k" * 40
PEER = "127.0.0.1"
FORGED = "203.0.113.9"
ACCOUNT_SUBJECT = "user:{}"


@contextmanager
def serving(database: Database, tmp_path: Path, trusted: str) -> Iterator[httpx.Client]:
    url = database.engine.url.render_as_string(hide_password=False)
    port = free_port()
    env = {
        **os.environ,
        "DME_ENV": "dev",
        "DME_DATA_DIR": str(tmp_path),
        "DME_DB__URL": url,
        "DME_AUTH__SECRET_KEY": KEY,
        "DME_WORKER__IN_PROCESS": "false",
        "DME_SERVER__TRUSTED_PROXIES": trusted,
        # uvicorn's own fallback, which the setting must override: no trust unless named.
        "FORWARDED_ALLOW_IPS": "*",
    }
    out = tmp_path / "serve.log"
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dme_portal.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{PEER}:{port}"
    try:
        wait_until_healthy(
            base,
            timeout=180,
            alive=lambda: None if proc.poll() is None else out.read_text()[-2000:],
        )
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client
    finally:
        stop_process(proc)


async def _counts(db: Database, keys: list[str]) -> dict[str, int]:
    async with unit_of_work(db) as s:
        rows = await s.execute(
            select(LoginThrottle.key, LoginThrottle.failures).where(LoginThrottle.key.in_(keys))
        )
        return {k: f for k, f in rows.all()}


async def _seed_counts(db: Database, keys: list[str]) -> None:
    """Three earlier failures under each key (now, so within every window)."""
    async with unit_of_work(db) as s:
        s.add_all(
            LoginThrottle(
                id=uuid.uuid4(),
                key=k,
                window_started_at=datetime.now(UTC),
                failures=3,
                locked_until=None,
            )
            for k in keys
        )


async def _audit_addresses(db: Database, subject: str) -> list[str | None]:
    async with unit_of_work(db) as s:
        rows = await s.scalars(
            select(AccessLog.client_address)
            .where(AccessLog.subject == subject, AccessLog.action == AccessAction.AUDIT_READ)
            .order_by(AccessLog.at)
        )
        return list(rows)


async def _known(db: Database, account: str, address: str) -> bool:
    policy = throttle.Policy.of(Settings(auth=AuthSettings(secret_key=KEY)))
    async with unit_of_work(db) as s:
        found = await s.scalar(
            select(KnownSignInAddress.id).where(
                KnownSignInAddress.account_key_hash == throttle.keyed_hash(policy.pepper, account),
                KnownSignInAddress.address_hash == throttle.keyed_hash(policy.pepper, address),
            )
        )
    return found is not None


@pytest.mark.parametrize(
    ("trusted", "seen", "ignored"),
    [("", PEER, FORGED), (PEER, FORGED, PEER)],
    ids=["no-trusted-proxy", "loopback-trusted"],
)
async def test_forwarded_for_counts_only_from_a_trusted_proxy(
    empty_database: Database, tmp_path: Path, trusted: str, seen: str, ignored: str
) -> None:
    db = empty_database
    forged = {"X-Forwarded-For": FORGED}
    with serving(db, tmp_path, trusted) as http:
        async with unit_of_work(db) as s:
            plan_id = await s.scalar(select(HealthPlan.id).limit(1))
        assert plan_id is not None
        username, password = await make_account(
            db, role=Role.PLAN_ADMIN, org_kind=OrgKind.PLAN, org_id=plan_id, machine=False
        )
        account = ACCOUNT_SUBJECT.format(username)
        address_keys = [throttle.address_key(PEER), throttle.address_key(FORGED)]
        pair_keys = [throttle.pair_key(account, PEER), throttle.pair_key(account, FORGED)]
        await _seed_counts(db, address_keys)

        wrong = http.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": username, "password": "wrong"},
            headers=forged,
        )
        assert wrong.status_code == 400, wrong.text
        after_failure = await _counts(db, address_keys + pair_keys)
        right = http.post(
            "/v1/auth/token",
            data={"grant_type": "password", "username": username, "password": password},
            headers=forged,
        )
        assert right.status_code == 200, right.text
        bearer = {"Authorization": f"Bearer {right.json()['access_token']}"}
        log = http.get("/v1/audit/access-log", headers={**bearer, **forged})
        assert log.status_code == 200, log.text
        garbage = http.get(
            "/v1/audit/access-log", headers={**bearer, "X-Forwarded-For": "not-an-ip"}
        )
        assert garbage.status_code == 200, garbage.text
        after_success = await _counts(db, address_keys + pair_keys)

    # The failure moved the address the server believes, and only that one; the other
    # address's count is neither moved nor reset.
    assert after_failure == {
        throttle.address_key(seen): 4,
        throttle.address_key(ignored): 3,
        throttle.pair_key(account, seen): 1,
    }
    # The success cleared the believed pair only, and made only that address known.
    assert after_success == {throttle.address_key(seen): 4, throttle.address_key(ignored): 3}
    assert await _known(db, account, seen)
    assert not await _known(db, account, ignored)
    # The access log holds the believed address; a forwarded value that is no IP address is
    # stored as none (trusted proxy), or never read at all (no trusted proxy).
    assert await _audit_addresses(db, account) == [seen, None if trusted else PEER]


class TestTheSetting:
    def test_empty_by_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("DME_SERVER__TRUSTED_PROXIES", raising=False)
        assert Settings().server.trusted_proxies == ()

    @pytest.mark.parametrize(
        ("raw", "parsed"),
        [
            ("10.0.0.5", ("10.0.0.5/32",)),
            (" 10.0.0.5, 10.1.0.0/16 ", ("10.0.0.5/32", "10.1.0.0/16")),
            ('["::1", "192.168.0.0/24"]', ("::1/128", "192.168.0.0/24")),
            ("", ()),
        ],
    )
    def test_ips_and_networks_from_the_environment(
        self, monkeypatch: pytest.MonkeyPatch, raw: str, parsed: tuple[str, ...]
    ) -> None:
        monkeypatch.setenv("DME_SERVER__TRUSTED_PROXIES", raw)
        assert Settings().server.trusted_proxies == parsed

    @pytest.mark.parametrize("raw", ["*", "proxy.internal", "10.0.0.5/16", "10.0.0.300"])
    def test_anything_else_is_refused(self, monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
        monkeypatch.setenv("DME_SERVER__TRUSTED_PROXIES", raw)
        with pytest.raises(ValidationError, match="trusted_proxies"):
            Settings()


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:DB8::1", "2001:db8::1"),
        ("not-an-ip", None),
        ("203.0.113.9, 10.0.0.1", None),
        ("", None),
        (None, None),
        ("1" * 100, None),
    ],
)
def test_only_valid_ip_addresses_are_kept(value: str | None, stored: str | None) -> None:
    assert valid_ip(value) == stored
