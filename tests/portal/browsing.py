"""What every browser test does on each page: a screenshot, and axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

from contract.live_server import REPO

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


async def snap(page: Page, step: str) -> None:
    """Save a screenshot of the page (tests/portal/screenshots, ignored by git)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    prefix = getattr(page, "screenshot_prefix", "page")
    await page.screenshot(path=str(SCREENSHOTS / f"{prefix}-{step}.png"), full_page=True)


async def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    results: dict[str, Any] = await page.evaluate("async () => await axe.run(document)")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"axe-core on {page.url}:\n" + "\n".join(bad)
