"""The web board's test bench: the real server on a loopback port, a console harness to make the data, and
headless Chromium to look at it.

``board`` is a running :class:`core.testing.Harness` (观梅社区 set up in the room ``group``) with linli's web
server listening on ``127.0.0.1:<free port>``; ``board.url("/c/guanmei/")`` is an address to open.
``browser_page`` is a Playwright page in Debian's Chromium (``/usr/bin/chromium``, no browser download),
desktop-sized; ``board.screenshot(page, "name")`` saves a PNG under the test's own ``tmp_path``. Without
Chromium or Playwright the browser tests are skipped with the reason, and fail under
``LINLI_REQUIRE_SERVICES=1`` (CI, where ``.ci/run`` installs Chromium).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web

from core.testing import Harness
from core.web import start_web

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

CHROMIUM = os.environ.get("LINLI_TEST_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def require_chromium() -> None:
    """Skip (or, on CI, fail) when headless Chromium or Playwright for Python is not installed."""
    missing = None
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    elif importlib.util.find_spec("playwright") is None:
        missing = "Playwright for Python is not installed (pip install playwright)"
    if missing is None:
        return
    if os.environ.get("LINLI_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{missing}, and LINLI_REQUIRE_SERVICES=1 requires it")
    pytest.skip(missing)


@dataclass
class Board:
    """A running linli with its web server: the harness to act in chat, the address to look at."""

    harness: Harness
    runner: web.AppRunner
    port: int
    output: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    async def get(self, path: str, **options: Any) -> tuple[int, dict[str, str], str]:
        """A plain HTTP GET (no browser): status, headers and body text; redirects are not followed."""
        async with aiohttp.ClientSession() as session, session.get(
                self.url(path), allow_redirects=False, **options) as response:
            return response.status, dict(response.headers), await response.text()

    async def screenshot(self, page: Page, name: str, *, size: dict[str, int] = DESKTOP) -> Path:
        """Save the whole page at ``size`` as ``<tmp_path>/screens/<name>.png`` for a person to look at."""
        await page.set_viewport_size(size)  # type: ignore[arg-type]
        folder = self.output / "screens"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
async def board(community: Harness, tmp_path: Path) -> AsyncIterator[Board]:
    """观梅社区's harness with the real web server on a free loopback port (on SQLite and PostgreSQL)."""
    runner = await start_web(community.app, "127.0.0.1", 0)
    try:
        port = int(runner.addresses[0][1])
        yield Board(community, runner, port, tmp_path)
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def browser_page(browser: Browser) -> AsyncIterator[Page]:
    """A desktop-sized page of headless Chromium, reading Chinese first like a resident's phone."""
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()
