"""The board is usable by everyone: axe-core (the script ships inside the axe-playwright-python wheel, so
nothing is fetched) finds no serious or critical violation on the frame's pages, in Chinese and in English,
and the checks axe cannot make from one rendering are made here: one ``h1`` and no skipped heading level,
the ``lang`` attribute, and the contrast of every text colour pair of the stylesheet (WCAG AA, 4.5:1)."""

from __future__ import annotations

import itertools
import re

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

from core.web.board import STATIC
from tests.web.conftest import PHONE, Board
from tests.web.test_frame_board import work_done

PAGES = ("/", "/c/guanmei/", "/c/guanmei/?lang=en", "/c/guanmei/projects/", "/c/guanmei/rankings/")
SERIOUS = {"serious", "critical"}


async def headings(page: Page) -> list[int]:
    return [int(tag[1]) for tag in await page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "els => els.map(e => e.tagName.toLowerCase())")]


@pytest.mark.parametrize("path", PAGES)
async def test_no_serious_accessibility_violation(board: Board, browser_page: Page, path: str) -> None:
    await work_done(board, "张三", "扫雪", 10)
    await browser_page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await browser_page.goto(board.url(path))
    results = await Axe().run(browser_page)
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert serious == [], serious
    assert results.response["passes"], "axe ran"
    levels = await headings(browser_page)
    assert levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), f"a heading level skipped: {levels}"
    assert await browser_page.get_attribute("html", "lang") in ("zh-CN", "en")
    assert await browser_page.locator("nav:not([aria-label])").count() == 0, "every navigation is labelled"


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_stylesheet_colours_have_enough_contrast() -> None:
    css = (STATIC / "board.css").read_text()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    pairs = [("text", "background"), ("text", "surface"), ("muted", "background"), ("muted", "surface"),
             ("link", "background"), ("link", "surface"), ("accent-text", "accent"), ("accent", "background"),
             ("good", "background"), ("bad", "background")]
    low = {f"{a} on {b}": round(contrast(colours[a], colours[b]), 2) for a, b in pairs
           if contrast(colours[a], colours[b]) < 4.5}
    assert low == {}, low
    assert "http" not in css and "@import" not in css, "no font or style from elsewhere"
