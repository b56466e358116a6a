"""A TypeScript client generated from ``openapi/openapi.json`` type-checks and works live.

``tests/contract/ts/`` pins openapi-typescript (types from the document), openapi-fetch (a
client typed by those paths, independent of operationIds) and TypeScript in its
package-lock.json. Here: ``npm ci`` when ``node_modules`` does not match the lock file (a stamp
records what was installed), the types are generated from the committed document into
``ts/build/`` (offline; not committed), ``tsc`` (strict) type-checks and compiles ``smoke.ts``,
and Node runs it against the app under uvicorn: it logs in as a vendor's machine client,
submits a request with an Idempotency-Key, replays it, reads it back and prints a JSON summary.

Without Node this is a skip locally and a failure in CI (``CI`` set); every other problem
(npm, generation, tsc) is a failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from contract.live_server import OPENAPI_PATH, uvicorn_subprocess
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import World, make_account, request_body

TS_DIR = Path(__file__).resolve().parent / "ts"
BUILD = TS_DIR / "build"
SMOKE_JS = BUILD / "js" / "smoke.js"
STAMP = TS_DIR / "node_modules" / ".dme-installed"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
# No update check, no funding or audit calls, no telemetry: the registry only for `npm ci`.
NPM_ENV = {
    "npm_config_update_notifier": "false",
    "npm_config_fund": "false",
    "npm_config_audit": "false",
    "REDOCLY_TELEMETRY": "off",
    "NO_COLOR": "1",
}


def _run(cmd: list[str], *, timeout: float, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


def _fail(step: str, done: subprocess.CompletedProcess[str]) -> NoReturn:
    pytest.fail(
        f"{step} failed (exit {done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}",
        pytrace=False,
    )


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"`{name}` is not on PATH (Node 20+ with npm is needed for the TypeScript client)"
        if IN_CI:
            pytest.fail(f"{reason}; CI is set, so this is a failure, not a skip", pytrace=False)
        if name == "node":
            pytest.skip(reason)
        pytest.fail(reason, pytrace=False)
    return path


def _install_fingerprint(node: str) -> str:
    """What ``node_modules`` was installed from: the lock file, package.json and Node's version."""
    version = _run([node, "--version"], timeout=30).stdout.strip()
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((TS_DIR / name).read_bytes())
    return f"{version} {digest.hexdigest()}\n"


def _npm(npm: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return _run([npm, *args], timeout=timeout, cwd=TS_DIR, env={**os.environ, **NPM_ENV})


@pytest.fixture(scope="module")
def smoke_js() -> Path:
    """``smoke.ts`` compiled by tsc against types generated now from the committed document."""
    node, npm = _tool("node"), _tool("npm")
    major = _run([node, "-p", "process.versions.node.split('.')[0]"], timeout=30).stdout.strip()
    if not major.isdigit() or int(major) < 20:
        pytest.fail(f"Node 20+ is needed (global fetch); found {major!r}", pytrace=False)

    fingerprint = _install_fingerprint(node)
    if not (STAMP.exists() and STAMP.read_text() == fingerprint):
        done = _npm(npm, "ci", "--prefer-offline", "--no-audit", "--no-fund", timeout=600)
        if done.returncode != 0:
            _fail("npm ci in tests/contract/ts", done)
        STAMP.write_text(fingerprint)

    shutil.rmtree(BUILD, ignore_errors=True)
    # The script names ../../../openapi/openapi.json: make sure that is the committed document.
    assert (TS_DIR / "../../../openapi/openapi.json").resolve() == OPENAPI_PATH
    done = _npm(npm, "run", "--silent", "generate", timeout=120)
    if done.returncode != 0 or not (BUILD / "schema.d.ts").exists():
        _fail("openapi-typescript (npm run generate)", done)
    done = _npm(npm, "run", "--silent", "build", timeout=180)
    if done.returncode != 0 or not SMOKE_JS.exists():
        _fail("tsc (npm run build): the program does not type-check against the document", done)
    return SMOKE_JS


@pytest.fixture
def server_url(settings: Settings, database: Database, tmp_path: Path) -> Iterator[str]:
    """The real app under uvicorn in a subprocess, on the test database, with the test key."""
    env = {
        "DME_ENV": "test",
        "DME_DB__URL": settings.db.url,
        "DME_AUTH__SECRET_KEY": settings.auth.secret_key,
        "DME_DATA_DIR": str(tmp_path / "data"),
    }
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(uvicorn_subprocess(env, tmp_path))
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield url


@pytest.fixture
async def vendor_machine_client(database: Database, world: World) -> tuple[str, str]:
    """A machine client (client credentials) of the world's vendor: its id and secret."""
    return await make_account(
        database, role=Role.VENDOR, org_kind=OrgKind.VENDOR, org_id=world.vendor.id, machine=True
    )


def test_typescript_client_submits_and_reads_back(
    smoke_js: Path,
    server_url: str,
    world: World,
    vendor_machine_client: tuple[str, str],
) -> None:
    client_id, client_secret = vendor_machine_client
    start_date = request_body(world)["lines"][0]["start_date"]
    env = {
        **os.environ,
        "DME_BASE_URL": server_url,
        "DME_CLIENT_ID": client_id,
        "DME_CLIENT_SECRET": client_secret,
        "DME_MEMBER_CIN": world.member.cin,
        "DME_MEMBER_BIRTH_DATE": world.member.birth_date.isoformat(),
        "DME_NETWORK_ID": str(world.network_a.id),
        "DME_START_DATE": start_date,
    }
    done = _run([_tool("node"), str(smoke_js)], timeout=120, cwd=TS_DIR, env=env)
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        _fail("the TypeScript program (no JSON summary)", done)
    assert done.returncode == 0, (
        f"the TypeScript program reports mismatches: {json.dumps(result, indent=2)}\n{done.stderr}"
    )
    assert result["ok"] is True
    assert result["mismatches"] == []

    created, read = result["created"], result["read"]
    assert read == created
    assert result["etag"] == '"v1"'
    assert created["status"] == "in_review"
    assert created["member_cin"] == world.member.cin
    assert created["network_id"] == str(world.network_a.id)
    assert created["vendor_id"] == str(world.vendor.id)
    assert [line["hcpcs"] for line in created["lines"]] == ["L1960", "E1161"]
    assert {line["start_date"] for line in created["lines"]} == {start_date}
