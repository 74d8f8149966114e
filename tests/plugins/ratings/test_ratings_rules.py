"""Who may rate, the secret, the annual composite, two households, and a community where the plugin is off."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from core.config import ConfigError, load_settings
from core.testing import Harness
from tests.plugins.ratings.conftest import rate, residents


async def test_unverified_members_and_managers_of_the_target_are_refused_with_reasons(hood: Harness) -> None:
    h = hood
    await residents(h, 1)
    await h.send("王书记", "/开启评价 季度 12-31")
    await h.send("路人", "/whoami")
    assert await rate(h, "路人", "/评价 物业公司 5 5 5 5 5") == (
        "只有认证居民可以评价。请申请认证您家的门牌号：/居民 申请 3-2-301（换成您自己的 楼栋-单元-户号）。")
    await h.send("王经理", "/whoami")
    await h.send("王书记", "/认证居民 @王经理 9-9-909")  # a property manager may live here too
    await h.send("王书记", "/grant @王经理 物业")
    assert await h.say("王书记", "/评价对象 关联 物业公司 @王经理") == (
        "王经理 现在是 物业公司 的负责人：可以回复评价结果，不能给它打分。")
    assert await rate(h, "王经理", "/评价 物业公司 5 5 5 5 5") == "您是 物业公司 的负责人，不能给它打分。"
    assert await rate(h, "居民1", "/评价 物业公司 5 5 5") == (
        "需要 5 个分数，每项一个：服务态度 维修及时 环境卫生 安全秩序 收费透明\n用法：/rate <评价对象> <分数和留言…>")
    assert await h.say("王书记", "/评价进度") == (
        "2026年第4季度考评，截止 12月31日。结束前结果保密；目前：\n物业公司：已有 0 份评价")


async def test_before_any_period_a_rating_is_refused(hood: Harness) -> None:
    await residents(hood, 1)
    assert await rate(hood, "居民1", "/评价 物业公司 5 5 5 5 5") == (
        "目前没有进行中的评价期；由组织者开启（/开启评价）。")


async def test_without_the_secret_no_period_opens_and_the_reason_is_given(hood: Harness,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINLI_SECRET_RATINGS")
    assert await hood.say("王书记", "/开启评价 季度 12-31") == (
        "本系统暂不能评价：运维人员还没有设置保证匿名的密钥（环境变量 LINLI_SECRET_RATINGS，至少 16 个字符）。")
    monkeypatch.setenv("LINLI_SECRET_RATINGS", "short")
    assert (await hood.say("王书记", "/开启评价 季度 12-31")).startswith("本系统暂不能评价")


def test_the_secret_is_refused_in_settings_toml_and_read_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[plugin.ratings]\nmin_ratings = 5\nsecret = "in-the-file-is-wrong"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(path, environ={})
    assert "plugin.ratings.secret is a secret; set it in the environment variable LINLI_SECRET_RATINGS" in str(
        refused.value)
    assert "in-the-file-is-wrong" not in str(refused.value)
    path.write_text("[plugin.ratings]\nmin_ratings = 5\n", encoding="utf-8")
    settings = load_settings(path, environ={"LINLI_SECRET_RATINGS": "from-the-environment-123"})
    assert settings.plugin == {"ratings": {"min_ratings": 5}}, "the variable is no setting"


async def test_the_annual_composite_follows_the_weights_and_shows_its_parts(hood: Harness) -> None:
    h = hood
    people = await residents(h, 5)
    await h.send("王书记", "/开启评价 年度 12-31")
    for name in people:
        await rate(h, name, "/评价 物业公司 4 4 4 4 4")
    assert await h.say("王书记", "/评价管理 打分 物业公司 社区 3.5 日常巡查扣分") == (
        "2026年度综合评价中社区对 物业公司 的评分：3.50（日常巡查扣分）。")
    await h.send("王书记", "/ratingscore 物业公司 第三方 5 第三方测评")
    await h.send("王书记", "/结束评价")
    # 4.0 × 50 % + 3.5 × 30 % + 5.0 × 20 % = 4.05
    assert h.said()[-1] == (
        "📊 红黑榜：2026年度综合评价已结束。结果：\n"
        "• 物业公司: 4.05 — 🔴 红榜 (5 份评价，认证住户 5 户)\n"
        "  服务态度 4.0 · 维修及时 4.0 · 环境卫生 4.0 · 安全秩序 4.0 · 收费透明 4.0\n"
        "  综合：居民 4.00 × 50% + 社区 3.50 × 30% (日常巡查扣分) + 第三方 5.00 × 20% (第三方测评)")
    await h.send("王书记", "/config ratings weight_residents 100")  # the next period weighs differently


async def test_an_annual_composite_without_the_organizers_parts_is_not_ranked(hood: Harness) -> None:
    h = hood
    people = await residents(h, 5)
    await h.send("王书记", "/开启评价 年度 12-31")
    for name in people:
        await rate(h, name, "/评价 物业公司 5 5 5 5 5")
    await h.send("王书记", "/结束评价")
    assert "• 物业公司: - — 综合评价不完整，不排名 (5 份评价，认证住户 5 户)" in h.said()[-1]


async def test_a_resident_of_two_households_rates_for_each_or_the_first_as_the_settings_say(hood: Harness) -> None:
    h = hood
    await residents(h, 2)
    await h.send("王书记", "/认证居民 @居民1 2-2-202")  # 居民1 also has their parents' flat
    await h.send("王书记", "/开启评价 季度 12-31")
    assert await rate(h, "居民1", "/评价 物业公司 5 5 5 5 5") == (
        "谢谢！已为您的 2 户分别匿名记录评价（2026年第4季度考评）。"
        "结果将在评价期结束时（12月31日）公布。")
    assert (await h.say("王书记", "/评价进度")).endswith("物业公司：已有 2 份评价")
    await h.send("王书记", "/结束评价")
    assert "(2 份评价，认证住户 3 户)" in h.said()[-1]
    await h.send("王书记", "/config ratings multiple_households first")
    await h.send("王书记", "/开启评价 季度 3-31 第二期")
    await rate(h, "居民1", "/评价 物业公司 5 5 5 5 5")
    assert (await h.say("王书记", "/评价进度")).endswith("物业公司：已有 1 份评价")


async def test_the_property_manager_replies_once_under_the_result(hood: Harness) -> None:
    h = hood
    people = await residents(h, 5)
    await h.send("王经理", "/whoami")
    await h.send("王书记", "/grant @王经理 物业")
    await h.send("王书记", "/评价对象 关联 物业公司 @王经理")
    await h.send("王书记", "/开启评价 季度 12-31")
    for name in people:
        await rate(h, name, "/评价 物业公司 3 3 3 3 3 电梯常坏")
    await h.send("王书记", "/结束评价")
    assert await h.say("王经理", "/评价回复 物业公司 电梯下月更换") == "💬 物业公司 对评价结果的回复：电梯下月更换"
    assert await h.say("王经理", "/评价回复 物业公司 再说一次") == "物业公司 已经回复过这次结果；每期只能回复一次。"
    assert (await h.say("居民1", "/红黑榜")).endswith("物业公司 的回复：电梯下月更换")


async def test_where_the_plugin_is_off_it_is_inert(hood: Harness) -> None:
    h = hood
    await residents(h, 1)
    await h.send("王书记", "/开启评价 季度 12-31")
    await h.send("王书记", "/disable ratings")
    assert await rate(h, "居民1", "/评价 物业公司 5 5 5 5 5") == (
        "本社区未启用“红黑榜”功能；组织者可以发送 /enable ratings 启用。")
    before = len(h.adapter.sent)
    await h.run_jobs(after=timedelta(days=40))
    assert h.adapter.sent[before:] == [], "no reminder, no close, no publication while it is off"
    await h.send("王书记", "/enable ratings")
    await h.run_jobs(after=timedelta(minutes=11))
    assert h.said()[-1].startswith("📊 红黑榜：2026年第4季度考评已结束。"), "back on, the overdue close happens"


async def test_on_the_calendar_each_quarter_opens_and_closes_by_itself(hood: Harness) -> None:
    h = hood
    await h.send("王书记", "/config ratings calendar quarterly")
    await h.run_jobs(after=timedelta(minutes=11))
    assert h.said()[-1].startswith("🗳 2026年第4季度考评开始了，截止 12月31日"), "the quarter it is in, to its end"
    await h.send("王书记", "/结束评价")  # closed early: this quarter does not open again
    before = len(h.said())
    await h.run_jobs(after=timedelta(days=1))
    assert len(h.said()) == before
    await h.run_jobs(after=timedelta(days=40))  # January 2027: the next quarter
    assert h.said()[-1].startswith("🗳 2027年第1季度考评开始了，截止 3月31日")


async def test_results_are_offered_to_the_web_board_through_a_hook(hood: Harness) -> None:
    h = hood
    people = await residents(h, 5)
    await h.send("王书记", "/开启评价 季度 12-31")
    community_id = (await h.app.plugins.fan_out("linli_published_results", None, community_id=1))
    assert community_id == [], "nothing is published while the period is open"
    for name in people:
        await rate(h, name, "/评价 物业公司 4 4 4 4 4 好")
    await h.send("王书记", "/结束评价")
    [(plugin, board)] = await h.app.plugins.fan_out("linli_published_results", None, community_id=1)
    assert plugin == "ratings"
    [period] = board["red_black_list"]
    assert period["period"] == "2026年第4季度考评" and period["households"] == 5
    assert period["results"] == [{"target": "物业公司", "ratings": 5, "scores": [4.0] * 5, "overall": 4.0,
                                  "composite": None, "standing": "red", "comments": ["好"] * 5, "reply": None}]


async def test_two_members_of_one_household_rating_at_once_leave_one_rating(hood: Harness) -> None:
    h = hood
    await residents(h, 1)
    await h.send("家人", "/whoami")
    await h.send("王书记", "/认证居民 @家人 1-1-101")
    await h.send("王书记", "/开启评价 季度 12-31")
    events = [h.event("居民1", "/评价 物业公司 1 1 1 1 1", direct=True),
              h.event("家人", "/评价 物业公司 5 5 5 5 5", direct=True)]
    sent = len(h.adapter.sent)
    await asyncio.gather(*(h.app.receive(e) for e in events))
    await h.app.bus.join()
    replies = [m.text for m in h.adapter.sent[sent:]]
    assert len(replies) == 2 and sum("它替换了之前的评价" in r for r in replies) == 1, replies
    assert (await h.say("王书记", "/评价进度")).endswith("物业公司：已有 1 份评价")


async def test_a_removed_target_is_no_longer_rated_but_its_history_stays(hood: Harness) -> None:
    h = hood
    people = await residents(h, 5)
    await h.send("王书记", "/开启评价 季度 12-31")
    for name in people:
        await rate(h, name, "/评价 物业公司 4 4 4 4 4")
    assert await h.say("王书记", "/评价对象 删除 物业公司") == (
        "物业公司 在进行中的评价期里已有评价；请在评价期结束后再删除。")
    await h.send("王书记", "/结束评价")
    assert await h.say("王书记", "/评价对象 删除 物业公司") == "物业公司 不再是评价对象；已公布的结果保留在历史中。"
    assert await h.say("王书记", "/评价对象") == "还没有评价对象。请先添加物业公司：/评价对象 添加 物业公司"
    assert "• 物业公司: 4.00 — 🔴 红榜" in await h.say("居民1", "/红黑榜")


async def test_after_the_end_date_a_rating_is_refused_even_before_the_close_runs(hood: Harness) -> None:
    h = hood
    await residents(h, 1)
    await h.send("王书记", "/开启评价 季度 12-31")
    h.clock.advance(timedelta(days=40))
    assert await rate(h, "居民1", "/评价 物业公司 5 5 5 5 5") == (
        "2026年第4季度考评已于 2026年12月31日 截止；结果即将公布。")
