"""A quarter of the red and black list as residents and organizers live it: open, rate (inline and step by
step), sealed until the close, published to the group, /redblack with history and trend."""

from __future__ import annotations

from datetime import timedelta

from core.testing import Harness
from tests.plugins.ratings.conftest import rate, residents

#: The thanks name no target (a message log must not tell what someone rated).
RECORDED = "谢谢！您家在2026年第4季度考评中的评价已匿名记录。结果将在评价期结束时（12月31日）公布。"


async def test_a_full_quarter_with_enough_ratings_lands_on_the_red_list(hood: Harness) -> None:
    h = hood
    people = await residents(h, 5)
    opened = await h.send("王书记", "/开启评价 季度 12-31")
    assert opened == ["🗳 2026年第4季度考评开始了，截止 12月31日：认证居民请在与我的私聊中匿名评价 物业公司：/评价。"
                      "结束前结果保密。"]
    assert await rate(h, people[0], "/评价 物业公司 5 5 4 5 4 电梯修得快") == RECORDED
    assert await rate(h, people[1], "/评价 物业公司 4 4 4 4 4") == RECORDED
    assert await rate(h, people[2], "/rate 1 ５５５４４") == RECORDED  # by number, full-width digits
    assert await rate(h, people[3], "/评价 物业公司 4 5 4 4 4") == RECORDED
    assert await rate(h, people[4], "/评价 物业公司 5 4 5 4 4") == RECORDED
    # Sealed: only the count, for anyone who asks, and /redblack says so.
    assert await h.say("居民1", "/评价进度") == (
        "2026年第4季度考评，截止 12月31日。结束前结果保密；目前：\n物业公司：已有 5 份评价")
    assert await h.say("居民1", "/红黑榜") == (
        "2026年第4季度考评进行中，截止 12月31日；结束前结果保密（/评价进度）。\n还没有公布过结果。")
    await h.run_jobs(after=timedelta(days=40))  # past 12-31: the clock closes the period
    assert h.said()[-1] == (
        "📊 红黑榜：2026年第4季度考评已结束。结果：\n"
        "• 物业公司: 4.36 — 🔴 红榜 (5 份评价，认证住户 5 户)\n"
        "  服务态度 4.6 · 维修及时 4.6 · 环境卫生 4.4 · 安全秩序 4.2 · 收费透明 4.0\n"
        "  留言：“电梯修得快”")
    assert await h.say("居民1", "/红黑榜") == (
        "最新：2026年第4季度考评\n• 物业公司: 4.36 — 🔴 红榜 (5 份评价，认证住户 5 户)")
    assert await rate(h, "居民1", "/评价 物业公司 1 1 1 1 1") == (
        "目前没有进行中的评价期：2026年第4季度考评已于 1月2日 10:00 结束。下一期由组织者开启。"), \
        "a rating outside an open period is refused with the reason"


async def test_a_low_score_lands_on_the_black_list_and_history_shows_the_trend(hood: Harness) -> None:
    h = hood
    people = await residents(h, 5)
    await h.send("王书记", "/开启评价 季度 12-31")
    for name in people:
        await rate(h, name, "/评价 物业公司 3 3 3 3 4")
    await h.send("王书记", "/结束评价")
    assert "• 物业公司: 3.20 — 未上榜 (5 份评价，认证住户 5 户)" in h.said()[-1]
    await h.send("王书记", "/开启评价 季度 3-31 2027年第1季度考评")
    for name in people:
        await rate(h, name, "/评价 物业公司 2 3 3 2 3")
    await h.send("王书记", "/结束评价")
    assert "• 物业公司: 2.60 — ⚫ 黑榜 (5 份评价，认证住户 5 户)" in h.said()[-1]
    shown = await h.say("居民2", "/红黑榜")
    assert shown.endswith("历史（从早到晚）：\n• 物业公司: 2026年第4季度考评 3.20 → 2027年第1季度考评 2.60 ↓"), shown


async def test_too_few_ratings_are_insufficient_data_and_show_no_scores(hood: Harness) -> None:
    h = hood
    people = await residents(h, 2)
    await h.send("王书记", "/开启评价 季度 12-31")
    await rate(h, people[0], "/评价 物业公司 1 1 1 1 1 太差了")
    await rate(h, people[1], "/评价 物业公司 1 2 1 1 1")
    await h.run_jobs(after=timedelta(days=40))
    assert h.said()[-1] == (
        "📊 红黑榜：2026年第4季度考评已结束。结果：\n"
        "• 物业公司: - — 数据不足，不排名 (2 份评价，认证住户 2 户)\n"
        "  评价少于 5 份：不足以排名，不公布分数。"), "no list, no scores, no comments from two households"


async def test_a_later_rating_of_the_same_household_replaces_the_earlier_one(hood: Harness) -> None:
    h = hood
    people = await residents(h, 5)
    await h.send("家人", "/whoami")
    await h.send("王书记", "/认证居民 @家人 1-1-101")  # lives with 居民1: one household
    await h.send("王书记", "/开启评价 季度 12-31")
    await rate(h, people[0], "/评价 物业公司 1 1 1 1 1")
    assert await rate(h, "家人", "/评价 物业公司 5 5 5 5 5") == RECORDED.replace(
        "已匿名记录。", "已匿名记录。它替换了之前的评价。")
    await rate(h, people[1], "/评价 物业公司 5 5 5 5 5")
    for name in people[2:]:
        await rate(h, name, "/评价 物业公司 5 5 5 5 5")
    assert await h.say("王书记", "/评价进度") == (
        "2026年第4季度考评，截止 12月31日。结束前结果保密；目前：\n物业公司：已有 5 份评价")
    await h.send("王书记", "/结束评价")
    assert "• 物业公司: 5.00 — 🔴 红榜 (5 份评价，认证住户 5 户)" in h.said()[-1]


async def test_rate_step_by_step_with_buttons_and_numbered_answers(hood: Harness) -> None:
    h = hood
    await h.send("王书记", "/评价对象 添加 保安公司")
    people = await residents(h, 1)
    await h.send("王书记", "/开启评价 季度 12-31")
    [question] = await h.deliver(h.event(people[0], "/评价", direct=True))
    assert question.text == "(1/2) 您要评价哪一个？请发送编号或名称。\n1. 物业公司\n2. 保安公司\n（发送 /cancel 取消）"
    assert [[b.label for b in row] for row in question.buttons] == [["物业公司"], ["保安公司"]]
    press = h.event(people[0], "", direct=True, button_data=question.buttons[1][0].data, button_token="press:1")
    pressed = [m.text for m in await h.deliver(press)]
    assert pressed == ["(2/2) 请给每一项打 1 到 5 星，后面可以附一句留言。\n依次为：服务态度 / 维修及时 / 环境卫生 / "
                       "安全秩序 / 收费透明\n例如：5 5 5 5 5\n（发送 /cancel 取消）"]
    assert await rate(h, people[0], "4 4 9") == (
        "每一项打 1 到 5 星，例如 5 4 4 5 3。\n(2/2) 请给每一项打 1 到 5 星，后面可以附一句留言。\n依次为：服务态度 / "
        "维修及时 / 环境卫生 / 安全秩序 / 收费透明\n例如：5 5 5 5 5\n（发送 /cancel 取消）")
    assert await rate(h, people[0], "4 4 4 4 4 晚上巡逻多了") == RECORDED
    counts = await h.say("王书记", "/评价进度")
    assert counts.endswith("物业公司：已有 0 份评价\n保安公司：已有 1 份评价")


async def test_rating_in_the_group_is_refused_before_anything_is_asked_or_stored(hood: Harness) -> None:
    h = hood
    await residents(h, 1)
    await h.send("王书记", "/开启评价 季度 12-31")
    private = "请在与我的私聊中评价，这样群里的人看不到您的打分：打开与机器人的私聊，在那里发送 /rate。"
    assert await h.say("居民1", "/评价") == private
    assert await h.say("居民1", "/评价 物业公司 5 5 5 5 5") == private
    assert await h.say("王书记", "/评价进度") == (
        "2026年第4季度考评，截止 12月31日。结束前结果保密；目前：\n物业公司：已有 0 份评价")


def test_in_english_each_count_has_its_own_plural() -> None:
    from gettext import NullTranslations
    from types import SimpleNamespace
    from typing import Any

    from core.i18n import Translator
    from plugins.ratings.models import Standing
    from plugins.ratings.speaker import result_lines

    scope: Any = SimpleNamespace(t=Translator("en", NullTranslations()))
    period: Any = SimpleNamespace(households=1, dimensions=[], kind=None, min_ratings=5)
    result: Any = SimpleNamespace(target=SimpleNamespace(name="Property Co."), ratings=1, composite=None,
                                  overall=None, standing=Standing.INSUFFICIENT, scores=[], comments=[], reply=None)
    assert result_lines(scope, period, result)[0] == (
        "• Property Co.: - — insufficient data, not ranked (1 rating from 1 verified household)")
    period.households, result.ratings = 40, 3
    assert "(3 ratings from 40 verified households)" in result_lines(scope, period, result)[0]
