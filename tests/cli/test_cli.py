"""The dme-portal command, run as a newcomer would: migrate, seed, create accounts, tokens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dme_portal.auth.jwt import verify_token
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import AuthSettings
from dme_portal.demo.dataset import build_dataset
from dme_portal.sla.clock import SystemClock

CLI = [sys.executable, "-m", "dme_portal.cli"]


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data = tmp_path_factory.mktemp("cli")
    env = {
        **os.environ,
        "DME_DATA_DIR": str(data),
        "DME_DB__URL": f"sqlite+aiosqlite:///{data / 'hub.db'}",
        "DME_ENV": "dev",
    }
    run(["migrate"], env)
    out = run(["seed-demo", "--if-empty"], env)
    assert "reviewer.choc" in out
    assert "already present" in run(["seed-demo", "--if-empty"], env)
    return env


def test_seed_writes_private_credentials(seeded: dict[str, str]) -> None:
    creds = Path(seeded["DME_DATA_DIR"]) / "demo-credentials.txt"
    assert creds.stat().st_mode & 0o077 == 0
    assert "plan.admin" in creds.read_text()


def test_create_token_prints_a_verifiable_token(seeded: dict[str, str]) -> None:
    npi = build_dataset(today=SystemClock().now().date()).vendors[0].npi
    token = run(["create-token", "--role", "vendor", "--org", npi], seeded).strip()
    key = (Path(seeded["DME_DATA_DIR"]) / "signing.key").read_text().strip()
    principal = verify_token(token, settings=AuthSettings(secret_key=key), now=SystemClock().now())
    assert principal.role is Role.VENDOR
    assert principal.org_kind is OrgKind.VENDOR


def test_create_client_then_unknown_org_fails(seeded: dict[str, str]) -> None:
    out = run(["create-client", "choc-um", "--role", "network_client", "--org", "choc"], seeded)
    assert "client_id=choc-um" in out
    assert "secret=" in out
    bad = subprocess.run(
        [*CLI, "create-token", "--role", "reviewer", "--org", "no-such-network"],
        env=seeded,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0
    assert "no network" in bad.stderr


def test_openapi_check_detects_a_stale_file(seeded: dict[str, str], tmp_path: Path) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text("{}")
    done = subprocess.run(
        [*CLI, "openapi", "--check", str(stale)], env=seeded, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "stale" in done.stderr


PROD_KEY = "prod-signing-key-" + "s" * 40


def prod_env(data: Path, db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DME_ENV": "prod",
        "DME_DATA_DIR": str(data),
        "DME_DB__URL": db_url,
        "DME_AUTH__SECRET_KEY": PROD_KEY,
    }


class TestProductionMode:
    def test_seed_demo_is_refused(self, tmp_path: Path) -> None:
        env = prod_env(tmp_path, "postgresql+asyncpg://hub@127.0.0.1:1/never-reached")
        done = subprocess.run(
            [*CLI, "seed-demo"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2
        assert "never loaded with DME_ENV=prod" in done.stderr
        assert not (tmp_path / "demo-credentials.txt").exists()

    def test_sqlite_is_refused_without_showing_the_key(self, tmp_path: Path) -> None:
        env = prod_env(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
        done = subprocess.run(
            [*CLI, "migrate"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2
        assert "PostgreSQL database in prod" in done.stderr
        assert PROD_KEY not in done.stdout + done.stderr
        assert not (tmp_path / "hub.db").exists()

    def test_a_short_key_is_refused_without_showing_it(self, tmp_path: Path) -> None:
        env = {**prod_env(tmp_path, "postgresql+asyncpg://h/db"), "DME_AUTH__SECRET_KEY": "hunter2"}
        done = subprocess.run(
            [*CLI, "migrate"], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2
        assert "DME_AUTH__SECRET_KEY" in done.stderr
        assert "hunter2" not in done.stdout + done.stderr
