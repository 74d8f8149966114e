"""The board's pages in headless Chromium, with data made in chat through the console harness: projects
(an XSS attempt in a title reads as text), the rankings with 🚩 only for who shows it, the 红黑榜 after a
closed period, and the charts drawn as SVG with a shape per data point. Phone- and desktop-sized
screenshots of every page are saved under the test's output folder (``screens/``) for a person to look at."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from tests.plugins.ratings.conftest import SECRET, rate, residents
from tests.web.conftest import PHONE, Board
from tests.web.test_pages_rankings import party_members

if TYPE_CHECKING:
    from playwright.async_api import Page

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>"


async def open_page(page: Page, board: Board, path: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    response = await page.goto(board.url(path))
    assert response is not None and response.status == 200, path
    assert dialogs == [], f"a script ran on {path}: {dialogs}"


async def both_sizes(page: Page, board: Board, name: str) -> None:
    """Screenshots at both sizes, and axe-core's check of the page as it is (no serious violation)."""
    await board.screenshot(page, f"{name}-desktop")
    await board.screenshot(page, f"{name}-phone", size=PHONE)
    await accessible(page)


async def accessible(page: Page) -> None:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    serious = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


async def test_projects_from_the_chat_show_on_the_board_and_a_script_in_a_title_is_text(
        board: Board, browser_page: Page) -> None:
    h, page = board.harness, browser_page
    await h.send("王书记", f'/发布项目 "{EVIL}" 3 12-31 10分 把门口的单车挪走')
    await h.send("王书记", "/发布项目 清理楼道杂物 1 无 5分")
    await h.send("张三", "/认领 2")
    await h.send("张三", "/完成 2")
    await h.send("王书记", "/验收 2 @张三")
    await open_page(page, board, "/c/guanmei/projects/")
    assert await page.locator("html").get_attribute("lang") == "zh-CN"
    assert await page.locator("h1").inner_text() == "项目"
    open_list = page.locator("#open-heading + ul.projects li.project")
    assert await open_list.count() == 1
    assert await open_list.locator("h3").inner_text() == f"#1 {EVIL}", "the title reads as typed, as text"
    assert await page.locator("main script, main img").count() == 0, "and makes no element"
    facts = await open_list.locator(".facts").inner_text()
    assert "剩余名额 3/3" in facts and "2026年12月31日" in facts and "10 积分" in facts
    done = page.locator("#done-heading + ul.projects li.project")
    assert await done.locator("h3").inner_text() == "#2 清理楼道杂物"
    assert await done.locator(".volunteers").inner_text() == "感谢：张三"
    await both_sizes(page, board, "projects")

    await open_page(page, board, "/c/guanmei/projects/?lang=en")
    assert await page.locator("#open-heading").inner_text() == "Open for claims (1)"
    assert "3 of 3 places left" in await page.locator("li.project .facts").first.inner_text()


async def test_the_ranking_shows_the_flag_for_who_shows_it_and_not_for_who_hides_it(
        board: Board, browser_page: Page) -> None:
    h, page = board.harness, browser_page
    await party_members(h)  # 张三 shows his 🚩, 李四 hides hers
    await open_page(page, board, "/c/guanmei/rankings/?period=week")
    rows = page.locator("table.ranking tbody tr")
    assert [await rows.nth(i).inner_text() for i in range(await rows.count())] == ["1\t李四\t15", "2\t张三 🚩\t10"]
    assert await page.locator("nav.tabs a[aria-current=page]").inner_text() == "本周"
    await both_sizes(page, board, "rankings")
    await page.locator("nav.tabs a", has_text="今年").click()
    assert page.url.endswith("period=year")
    assert "🚩" not in await page.locator("table.ranking tbody tr", has_text="李四").inner_text()


async def test_the_red_and_black_list_after_a_closed_period_with_its_history_chart(
        board: Board, browser_page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINLI_SECRET_RATINGS", SECRET)
    h, page = board.harness, browser_page
    await h.send("王书记", "/评价对象 添加 物业公司")
    await h.send("王书记", "/评价对象 添加 保洁公司")
    await h.send("王书记", "/config ratings min_ratings 5")
    people = await residents(h, 5)
    await h.send("王经理", "/whoami")
    await h.send("王书记", "/grant @王经理 物业")
    await h.send("王书记", "/评价对象 关联 物业公司 @王经理")
    for title, stars in (("2026年第3季度考评", "33323"), ("2026年第4季度考评", "54454")):
        await h.send("王书记", f"/开启评价 季度 12-31 {title}")
        for name, star in zip(people, stars, strict=True):
            await rate(h, name, f"/评价 物业公司 {' '.join(star * 5)} 电梯修得快")
        await h.send("王书记", "/结束评价")
    await h.send("王经理", f"/评价回复 物业公司 {EVIL}")
    await open_page(page, board, "/c/guanmei/ratings/")
    results = page.locator("article.result")
    assert await results.count() == 2
    company = results.nth(0)
    assert await company.locator("h3").inner_text() == "物业公司"
    assert await company.locator(".standing").inner_text() == "🔴 红榜 · 得分 4.40"
    assert await company.locator("table.dimensions tr").count() == 5
    assert await company.locator(".reply").inner_text() == EVIL, "the reply reads as text"
    assert await page.locator("main script, main img").count() == 0
    cleaning = results.nth(1)
    assert await cleaning.locator(".standing").inner_text() == "数据不足，不排名"
    assert "评价少于 5 份" in await cleaning.locator(".insufficient").inner_text()
    body = await page.locator("main").inner_text()
    assert not any(name in body for name in [*people, "王经理"]), "no rater, no manager is named"

    chart = page.locator("figure#ratings-history svg[role=img]")
    assert await chart.get_attribute("aria-labelledby") == "ratings-history-title ratings-history-desc"
    points = chart.locator("circle.chart-point")
    assert await points.count() == 2
    assert await points.nth(1).locator("title").text_content() == "物业公司, 2026年第4季度考评: 4.40"
    box = await chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150, "the chart is drawn at a readable size"
    await page.locator("figure#ratings-history summary").click()
    assert await page.locator("figure#ratings-history table").is_visible(), "the figures, as a table"
    await both_sizes(page, board, "ratings")


async def test_the_hours_chart_has_a_bar_per_month(board: Board, browser_page: Page) -> None:
    h, page = board.harness, browser_page
    for name in ("张三", "李四"):
        await h.send(name, "/注册志愿者")
    await h.send("王书记", "/服务队 新建 敲门组")
    await h.send("王书记", "/服务队 调入 敲门组 @张三")
    await h.send("张三", "/记录时长 2 敲门探访独居老人")
    await h.send("李四", "/记录时长 1.5 巡逻 昨天")
    await h.send("王书记", "/approve 1")
    await h.send("王书记", "/approve 2")
    await h.run_jobs(after=timedelta(days=14))  # published, then final
    await open_page(page, board, "/c/guanmei/hours/")
    assert "3.5 小时" in await page.locator(".totals").inner_text()
    bars = page.locator("figure#hours-by-month svg rect.chart-point")
    assert await bars.count() == 12
    november = bars.nth(10)
    assert await november.locator("title").text_content() == "11月: 3.5 小时"
    tall = await november.bounding_box()
    assert tall is not None and tall["height"] > 50, "November's bar is drawn"
    teams = page.locator("table.teams tbody tr")
    assert [await teams.nth(i).inner_text() for i in range(2)] == ["敲门组\t2.0", "未分队\t1.5"]
    await both_sizes(page, board, "hours")
    await open_page(page, board, "/c/guanmei/")
    await both_sizes(page, board, "front")


