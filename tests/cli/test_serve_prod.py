"""``dme-portal serve`` in production: no demo data, no docs, JSON logs, security headers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from contract.live_server import free_port, stop_process, wait_until_healthy
from dme_portal.api.security_headers import HSTS
from dme_portal.db.engine import Database

KEY = "prod-signing-key-" + "s" * 40


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}


def test_serve_in_prod(empty_database: Database, tmp_path: Path) -> None:
    url = empty_database.engine.url.render_as_string(hide_password=False)
    port = free_port()
    env = {
        **os.environ,
        "DME_ENV": "prod",
        "DME_DATA_DIR": str(tmp_path),
        "DME_DB__URL": url,
        "DME_AUTH__SECRET_KEY": KEY,
    }
    out = tmp_path / "serve.log"
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dme_portal.cli", "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        if url.startswith("sqlite"):
            # Production refuses SQLite before migrating or serving anything.
            assert proc.wait(timeout=120) == 2
            assert "PostgreSQL database in prod" in out.read_text()
            return
        wait_until_healthy(
            base, timeout=120, alive=lambda: None if proc.poll() is None else "serve exited"
        )
        health, headers = _get(f"{base}/healthz")
        docs, _ = _get(f"{base}/docs")
        spec, _ = _get(f"{base}/openapi.json")
    finally:
        stop_process(proc)

    assert health == 200
    assert headers["strict-transport-security"] == HSTS
    assert headers["cache-control"] == "no-store"
    assert (docs, spec) == (404, 404)
    assert not (tmp_path / "demo-credentials.txt").exists()
    assert not (tmp_path / "signing.key").exists()
    text = out.read_text()
    assert "Demo accounts" not in text
    assert KEY not in text
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert lines
    records = [json.loads(ln) for ln in lines]  # every line a JSON object
    assert any(r["logger"] == "uvicorn.access" and "/healthz" in r["message"] for r in records)
    assert any("prod: no demo data" in r["message"] for r in records)
