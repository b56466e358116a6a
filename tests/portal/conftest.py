"""Browser fixtures: one Debian Chromium per test session, a new context per test, the app
served by uvicorn on the test database, axe-core injected from node_modules.

Without /usr/bin/chromium the browser tests are skipped loudly (see the terminal summary);
with ``DME_REQUIRE_BROWSER=1`` (CI) that is a failure.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from contract.live_server import ThreadedServer
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.main import create_app
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW
from portal.browsing import AXE

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("DME_REQUIRE_BROWSER") == "1"
# RECIPES.md: Debian's Chromium as root in a container, nothing fetched in the background.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_browser_status: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _browser_status:
        terminalreporter.write_line(line, yellow="SKIPPED" in line, bold=True)


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium; never `playwright install`)"
    if not AXE.exists():
        return f"{AXE} is missing (make node_modules/.installed, i.e. npm ci)"
    return None


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    missing = _missing()
    if missing is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"DME_REQUIRE_BROWSER=1 but {missing}", pytrace=False)
        if not _browser_status:
            _browser_status.append(f"!! Browser tests SKIPPED: {missing}")
        pytest.skip(f"browser tests need {missing}")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        _browser_status[:] = [f"Browser tests ran in {CHROMIUM} {launched.version}"]
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="session")
def live_url(settings: Settings, database: Database) -> Iterator[str]:
    """The app on a real socket (its own engine on the test database), clock frozen at NOW."""
    app = create_app(settings, clock=FrozenClock(NOW))
    with ThreadedServer(app) as server:
        yield server.base_url


@pytest.fixture
async def page(
    browser: Browser, live_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    # bypass_csp: axe-core is injected as a script the page's CSP would (rightly) refuse.
    context: BrowserContext = await browser.new_context(base_url=live_url, bypass_csp=True)
    context.set_default_timeout(10_000)
    new_page = await context.new_page()
    new_page.screenshot_prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)  # type: ignore[attr-defined]
    try:
        yield new_page
    finally:
        await context.close()
