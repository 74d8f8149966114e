"""The board's frame in a real browser: the list of boards, a community's front page with its totals and
cards, the navigation, languages, a private board, old addresses, escaping, security and cache headers.

Data is made the way residents make it, through chat commands in the console harness; Chromium reads what
the real server on a loopback port answers.
"""

from __future__ import annotations

from playwright.async_api import Page, expect

from core.identity import Community
from tests.web.conftest import PHONE, Board

XSS_NAME = "<script>alert('name')</script>"
XSS_TITLE = "<img/src=x/onerror=alert(1)>"


async def work_done(board: Board, name: str, title: str, points: int) -> None:
    """``name`` claims a one-place project worth ``points``, reports it done, and 王书记 verifies it."""
    h = board.harness
    replies = await h.send("王书记", f"/发布项目 {title} 1 无 {points}分")
    number = replies[-1].split("#")[1].split("「")[0]
    await h.send(name, f"/认领 {number}")
    await h.send(name, f"/完成 {number}")
    await h.send("王书记", f"/验收 {number} @{name}")


async def figures(page: Page) -> dict[str, str]:
    labels = await page.locator("section.totals dt").all_inner_texts()
    values = await page.locator("section.totals dd").all_inner_texts()
    return dict(zip(labels, values, strict=True))


async def test_the_list_of_boards_links_to_each_public_community(board: Board, browser_page: Page) -> None:
    await board.harness.send("王书记", "/setup 阳光花园", room="other")  # a second community, in its own chat
    await browser_page.goto(board.url("/"))
    await expect(browser_page.locator("h1")).to_have_text("社区公示栏")
    links = browser_page.locator("ul.boards a")
    assert sorted(await links.all_inner_texts()) == ["观梅社区", "阳光花园"]
    await browser_page.get_by_role("link", name="观梅社区").click()
    assert browser_page.url == board.url("/c/guanmei/")
    await expect(browser_page.locator("h1")).to_have_text("观梅社区")


async def test_the_front_page_shows_totals_cards_and_the_navigation(board: Board, browser_page: Page) -> None:
    h = board.harness
    for name in ("张三", "李四"):
        await h.send(name, "/whoami")
    await h.send("王书记", "/grant @张三 volunteer")
    await work_done(board, "张三", "扫雪", 10)
    await work_done(board, "李四", "搬桌子", 5)
    await browser_page.goto(board.url("/c/guanmei/"))
    await expect(browser_page.locator("html")).to_have_attribute("lang", "zh-CN")
    shown = await figures(browser_page)
    assert shown["已发放积分"] == "15"
    assert shown["志愿者"] == "3"  # the organizer, the volunteer by role, and 李四 whose work earned points
    assert shown.get("已完成项目") == "2", shown  # from the claims page's totals
    nav = browser_page.get_by_role("navigation", name="公示栏页面")
    titles = await nav.get_by_role("link").all_inner_texts()
    assert "项目" in titles and "志愿者排行榜" in titles, titles
    assert await browser_page.locator("section.card").count() >= 2
    await nav.get_by_role("link", name="项目").click()
    assert browser_page.url == board.url("/c/guanmei/projects/")
    await expect(nav.locator("[aria-current=page]")).to_have_text("项目")
    await expect(browser_page.locator("main")).to_contain_text("扫雪")


async def test_a_name_and_a_title_with_markup_render_as_text(board: Board, browser_page: Page) -> None:
    await work_done(board, XSS_NAME, XSS_TITLE, 10)
    dialogs: list[str] = []
    browser_page.on("dialog", lambda d: dialogs.append(d.message))
    for path in ("/c/guanmei/", "/c/guanmei/projects/", "/c/guanmei/rankings/?period=year"):
        await browser_page.goto(board.url(path))
        assert await browser_page.locator("script").count() == 0, path
        assert await browser_page.locator("main img").count() == 0, path
    await browser_page.goto(board.url("/c/guanmei/projects/"))
    await expect(browser_page.locator("main")).to_contain_text(XSS_TITLE)
    await expect(browser_page.locator("main")).to_contain_text(XSS_NAME)
    await browser_page.goto(board.url("/c/guanmei/rankings/?period=year"))
    await expect(browser_page.locator("main")).to_contain_text(XSS_NAME)
    assert dialogs == [], "no script ran"


async def test_a_private_board_is_a_404_for_everything(board: Board, browser_page: Page) -> None:
    h = board.harness
    said = await h.send("王书记", "/board private")
    assert "不公开" in said[0]
    for path in ("/c/guanmei/", "/c/guanmei/projects/", "/c/guanmei/rankings/", "/c/1/"):
        status, _, body = await board.get(path)
        assert status == 404, path
        assert "观梅" not in body
    missing_status, _, _ = await board.get("/c/nowhere/")
    assert missing_status == 404  # a private board cannot be told from a missing one
    response = await browser_page.goto(board.url("/"))
    assert response is not None and response.status == 200
    assert await browser_page.locator("ul.boards a").count() == 0
    assert await h.send("张三", "/board") == [h.app.translator("zh_CN")(
        "The board of {community} is private: it shows nothing to anyone. An organizer can open it with "
        "/board public.", community="观梅社区")]
    await h.send("王书记", "/board public")
    response = await browser_page.goto(board.url("/c/guanmei/"))
    assert response is not None and response.status == 200


async def test_english_with_lang_or_the_browser_language(board: Board, browser_page: Page) -> None:
    await browser_page.goto(board.url("/c/guanmei/?lang=en"))
    await expect(browser_page.locator("html")).to_have_attribute("lang", "en")
    await expect(browser_page.locator("#totals-heading")).to_have_text("At a glance")
    link = browser_page.get_by_role("navigation", name="Board pages").get_by_role("link", name="Projects")
    assert (await link.get_attribute("href")) == "/c/guanmei/projects/?lang=en", "the chosen language is kept"
    await link.click()
    await expect(browser_page.locator("html")).to_have_attribute("lang", "en")
    context = browser_page.context
    assert context.browser is not None
    english = await context.browser.new_context(locale="en-US",
                                                extra_http_headers={"Accept-Language": "en-US,en;q=0.9"})
    try:
        page = await english.new_page()
        await page.goto(board.url("/c/guanmei/"))
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await expect(page.locator("#totals-heading")).to_have_text("At a glance")
        await page.get_by_role("link", name="中文").click()
        await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    finally:
        await english.close()


async def test_old_id_addresses_redirect_to_the_slug(board: Board, browser_page: Page) -> None:
    community = await Community.get(name="观梅社区")
    status, headers, _ = await board.get(f"/c/{community.id}/projects/?lang=en")
    assert status == 301 and headers["Location"] == "/c/guanmei/projects/?lang=en"
    await browser_page.goto(board.url(f"/c/{community.id}/"))
    assert browser_page.url == board.url("/c/guanmei/")


async def test_a_page_of_a_plugin_that_is_off_is_gone(board: Board, browser_page: Page) -> None:
    await board.harness.send("王书记", "/disable claims")
    status, _, _ = await board.get("/c/guanmei/projects/")
    assert status == 404
    await browser_page.goto(board.url("/c/guanmei/"))
    nav = browser_page.get_by_role("navigation", name="公示栏页面")
    assert "项目" not in await nav.get_by_role("link").all_inner_texts()
    assert "已完成项目" not in await figures(browser_page)


async def test_security_and_cache_headers(board: Board) -> None:
    status, headers, body = await board.get("/c/guanmei/")
    assert status == 200
    csp = headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "'unsafe-inline'" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cache-Control"] == "public, max-age=60" and "Accept-Language" in headers["Vary"]
    assert "<script" not in body and " style=" not in body
    status, headers, _ = await board.get("/static/board.css")
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert "max-age=86400" in headers["Cache-Control"]
    status, headers, _ = await board.get("/c/nowhere/")
    assert status == 404 and headers["X-Content-Type-Options"] == "nosniff"


async def test_screenshots_of_a_phone_and_a_desktop(board: Board, browser_page: Page) -> None:
    await work_done(board, "张三", "整治共享单车", 10)
    await browser_page.goto(board.url("/c/guanmei/"))
    phone = await board.screenshot(browser_page, "front-phone", size=PHONE)
    desktop = await board.screenshot(browser_page, "front-desktop")
    await browser_page.goto(board.url("/c/guanmei/projects/"))
    await board.screenshot(browser_page, "projects-phone", size=PHONE)
    for shot in (phone, desktop):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000
    # nothing is wider than a phone: no sideways scrolling
    await browser_page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    assert await browser_page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
