"""The board's volunteer rankings: the ledger's leaderboard for this week, month or year, with names as
linli shows them, so 🚩 appears beside a party member who shows the badge and never beside one who hides it."""

from __future__ import annotations

from datetime import timedelta

from core.testing import Harness
from tests.plugins.badges.conftest import verified
from tests.web.pages_support import load_page


async def earn(h: Harness, name: str, title: str, points: int) -> None:
    """``name`` claims a one-place project worth ``points`` and an organizer verifies the work."""
    replies = await h.send("王书记", f"/发布项目 {title} 1 无 {points}分")
    number = replies[-1].split("#")[1].split("「")[0].split(" ")[0]
    await h.send(name, f"/认领 {number}")
    await h.send(name, f"/完成 {number}")
    await h.send("王书记", f"/验收 {number} @{name}")


async def party_members(h: Harness) -> None:
    """张三 shows his verified party badge, 李四 keeps hers hidden; both earned points this week."""
    for name in ("刘主任", "张三", "李四"):
        await h.send(name, "/whoami")
    await h.send("王书记", "/grant @刘主任 organizer")
    await verified(h, "张三", shown=True)
    await verified(h, "李四")
    await earn(h, "张三", "整治共享单车", 10)
    await earn(h, "李四", "扫雪", 15)


async def test_the_ranking_shows_the_badge_only_where_its_holder_chose_to(community: Harness) -> None:
    h = community
    await party_members(h)
    page = await load_page(h, "rankings", query={"period": "week"})
    assert [(r["rank"], r["name"], r["points"]) for r in page["ranking"]] == [(1, "李四", 15), (2, "张三 🚩", 10)]
    assert page["period"] == "week" and page["period_title"] == "本周"
    assert [(t["period"], t["current"]) for t in page["tabs"]] == [("week", True), ("month", False), ("year", False)]
    assert "🚩" not in page["ranking"][0]["name"], "a hidden badge never shows"


async def test_week_month_and_year_count_what_was_earned_in_them(community: Harness) -> None:
    h = community
    await party_members(h)
    h.clock.advance(timedelta(days=8))  # Tuesday 12-01: a new week and a new month, the same year
    await earn(h, "王五", "搬桌子", 3)
    ranked = {period: [(r["name"], r["points"]) for r in (await load_page(h, "rankings", query={"period": period},
                                                                          language="en"))["ranking"]]
              for period in ("week", "month", "year")}
    assert ranked == {"week": [("王五", 3)], "month": [("王五", 3)],
                      "year": [("李四", 15), ("张三 🚩", 10), ("王五", 3)]}
    odd = await load_page(h, "rankings", query={"period": "<script>"}, language="en")
    assert (odd["period"], odd["period_title"]) == ("month", "This month"), "an unknown period is this month"
