"""The board's projects page: what a visitor reads about open and done projects, made through the chat."""

from __future__ import annotations

from core.testing import Harness
from tests.plugins.claims.conftest import Publish
from tests.web.pages_support import load_page


async def test_open_projects_show_places_left_and_the_deadline_done_ones_thank_the_volunteers(
        hood: Harness, publish: Publish) -> None:
    h = hood
    first = await publish(h, "/发布项目 整治共享单车 2 12-31 10分 把门口的单车挪走")
    second = await publish(h, "/发布项目 扫雪 1 无 5分")
    await h.send("张三", f"/认领 {first}")
    page = await load_page(h, "projects")
    assert [(p["title"], p["left"], p["places"], p["deadline"]) for p in page["open_projects"]] == [
        ("整治共享单车", 1, 2, "2026年12月31日"), ("扫雪", 1, 1, None)]
    assert page["open_projects"][0]["description"] == "把门口的单车挪走"
    assert page["open_total"] == 2 and page["done_projects"] == [] and page["done_total"] == 0

    await h.send("李四", f"/认领 {second}")
    await h.send("李四", f"/完成 {second} 扫完了")
    await h.send("刘主任", f"/验收 {second} @李四")
    page = await load_page(h, "projects", language="en")
    assert [p["title"] for p in page["open_projects"]] == ["整治共享单车"], "a completed project is not open"
    assert page["open_projects"][0]["deadline"] == "Dec 31, 2026"
    [done] = page["done_projects"]
    assert (done["title"], done["volunteers"], done["ended"]) == ("扫雪", ["李四"], "Nov 23, 2026")
    assert page["done_total"] == 1


async def test_a_project_past_its_deadline_is_not_offered_and_a_full_one_says_so(
        hood: Harness, publish: Publish) -> None:
    h = hood
    await publish(h, "/发布项目 今天的活 1 11-23")
    full = await publish(h, "/发布项目 搬桌子 1 无")
    await h.send("张三", f"/认领 {full}")
    await h.send("李四", f"/认领 {full}")  # waits
    await h.run_jobs()
    h.clock.advance(__import__("datetime").timedelta(days=1))
    page = await load_page(h, "projects")
    assert [(p["title"], p["left"], p["waiting"]) for p in page["open_projects"]] == [("搬桌子", 0, 1)]
