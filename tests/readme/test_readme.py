"""The README runs as written (issue 14.1): its "Try it" shell blocks, in order, in one shell,
against a server started the way the README says (``make run``, here on a free port)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# Everything of the checkout but its data: the demo gets its own var/ in the sandbox.
_NOT_MIRRORED = {"var", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules"}


def try_it_blocks(text: str) -> list[str]:
    """The ```sh blocks of every section whose heading starts with "Try it", in order."""
    blocks: list[str] = []
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        if section.startswith("Try it"):
            blocks += re.findall(r"^```sh\n(.*?)^```", section, flags=re.M | re.S)
    return blocks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A checkout-like folder (links to this one) where ``make run`` serves a fresh demo."""
    if shutil.which("make") is None:
        pytest.fail("make is needed to start the server the way the README says")
    installed = ROOT / ".venv" / ".installed"
    if (
        not installed.exists()
        or installed.stat().st_mtime < (ROOT / "pyproject.toml").stat().st_mtime
    ):
        # make run would reinstall the shared .venv from the sandbox's path: refuse instead.
        pytest.fail("the .venv is older than pyproject.toml: run `make install` first")
    here = tmp_path_factory.mktemp("readme")
    for entry in ROOT.iterdir():
        if entry.name not in _NOT_MIRRORED:
            (here / entry.name).symlink_to(entry)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DME_")}
    env["PORT"] = str(port)
    log = (here / "make-run.log").open("w")
    server = subprocess.Popen(
        ["make", "run"],
        cwd=here,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while not _healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "make run did not become healthy:\n" + (here / "make-run.log").read_text()
                )
            time.sleep(0.5)
        yield here
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()


def test_the_readme_has_try_it_blocks() -> None:
    blocks = try_it_blocks(README.read_text())
    assert len(blocks) >= 4
    assert any("make run" in README.read_text() for _ in blocks)


def test_the_credentials_file_names_the_port_served(sandbox: Path) -> None:
    first = (sandbox / "var" / "demo-credentials.txt").read_text().splitlines()[0]
    log = (sandbox / "make-run.log").read_text()
    assert re.fullmatch(r"Hub: http://127\.0\.0\.1:\d+", first)
    assert f"Serving the hub at {first.removeprefix('Hub: ')}" in log


def test_every_try_it_block_runs_green(sandbox: Path) -> None:
    script = "set -euo pipefail\n" + "\n".join(try_it_blocks(README.read_text()))
    done = subprocess.run(
        ["bash", "-c", script], cwd=sandbox, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    out = done.stdout
    # What the README promises along the way.
    assert '"enrolled":true' in out.replace(" ", "")
    lines = out.splitlines()
    assert lines.count("approved") == 2, out  # the CGM supplies by rules; the bed by the MD
    assert "Please send the letter of medical necessity." in lines, out
    assert (
        "['submitted', 'rules_evaluated', 'information_requested', 'attachment_added', "
        "'information_received', 'decided']" in lines
    ), out
    assert '{"valid":true,"errors":[]}' in lines, out
    assert any(ln.startswith("network_id,network_code,network_name,urgency") for ln in lines)
    # The demo has a day's work in it: a queue, reports and breaches on first start.
    queue = [ln for ln in lines if re.match(r"^\d{4}-\d\d-\d\dT.* (on_time|at_risk|breached) ", ln)]
    assert queue, out
    assert any(ln.startswith("late: ") for ln in lines), out
    metrics = [ln.split(",") for ln in lines if re.match(r"^[0-9a-f-]{36},", ln)]
    assert sum(int(row[4]) for row in metrics) > 100, metrics  # requests in the last 90 days
