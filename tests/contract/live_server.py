"""Contract-test helpers: the app on a real HTTP server, and a bounded wait for /healthz."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

REPO = Path(__file__).resolve().parents[2]
OPENAPI_PATH = REPO / "openapi" / "openapi.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_healthy(
    base_url: str,
    *,
    timeout: float = 30.0,
    alive: Callable[[], str | None] = lambda: None,
) -> None:
    """Poll ``GET /healthz`` until it answers 200; fail after ``timeout`` seconds.

    ``alive`` returns a reason when the server died (then there is no point in waiting).
    """
    deadline = time.monotonic() + timeout
    last_error = "no attempt"
    while time.monotonic() < deadline:
        dead = alive()
        if dead is not None:
            raise RuntimeError(f"the server stopped before it answered /healthz: {dead}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
                last_error = f"HTTP {response.status}"
        except (OSError, urllib.error.URLError) as exc:
            last_error = repr(exc)
        time.sleep(0.1)
    raise RuntimeError(f"{base_url}/healthz did not answer within {timeout:.0f}s: {last_error}")


class ThreadedServer:
    """Uvicorn serving ``app`` on its own thread and event loop, on a socket bound up front."""

    def __init__(self, app: FastAPI) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        port = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        # log_config=None: leave the process's logging (pytest's capture) alone.
        config = uvicorn.Config(app, log_config=None, lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def __enter__(self) -> ThreadedServer:
        self._thread.start()
        wait_until_healthy(
            self.base_url,
            alive=lambda: None if self._thread.is_alive() else "the server thread exited",
        )
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()
        assert not self._thread.is_alive(), "uvicorn did not shut down within 30 s"


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server we started: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextlib.contextmanager
def uvicorn_subprocess(
    env: dict[str, str], log_dir: Path, *, attempts: int = 3, timeout: float = 60.0
) -> Iterator[str]:
    """The app under ``uvicorn --factory`` in a subprocess; yields its base URL, stops it after.

    ``env`` is added to this process's environment (the database URL, the secret key...). The
    free port may be taken by the time uvicorn binds it, so a failed start is retried.
    """
    full_env = {**os.environ, **env}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "dme_portal.main:create_app"]
    last_error = ""
    for _attempt in range(attempts):
        port = free_port()
        log_path = log_dir / f"uvicorn-{port}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [*cmd, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                cwd=REPO,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(
                base_url,
                timeout=timeout,
                alive=lambda p=proc: None if p.poll() is None else f"exit code {p.returncode}",
            )
        except RuntimeError as exc:
            stop_process(proc)
            last_error = f"{exc}\n{log_path.read_text(errors='replace')[-3000:]}"
            continue
        try:
            yield base_url
        finally:
            stop_process(proc)
        return
    raise RuntimeError(f"uvicorn did not start after {attempts} attempts:\n{last_error}")
