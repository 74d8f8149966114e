"""Entered hours, their review, the publication window (公示), points once, stars and views, as people type
them in the group; private notices read ``→ NAME: …``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.points import PointsEntry
from core.testing import Harness
from plugins.service_log.models import Record, RecordStatus, Volunteer
from tests.plugins.service_log.conftest import Hear, sweep


async def test_entered_hours_are_refused_for_each_bad_case_with_the_reason(red: Harness) -> None:
    h = red  # Monday 2026-11-23
    assert (await h.say("张三", "/记录时长 两 敲门")).startswith("两 不是时长（可以写 2 或 1.5）")
    assert (await h.say("张三", "/记录时长 0 敲门")).startswith("0：时长要大于 0。")
    assert (await h.say("张三", "/记录时长 -1 敲门")).startswith("-1：时长要大于 0。")
    assert (await h.say("张三", "/记录时长 1.25 敲门")).startswith("1.25：时长最多精确到 0.1 小时（例如 1.5）。")
    assert await h.say("张三", "/记录时长 2 敲门 11-24") == "2026-11-24 还没到；服务完成后再记录时长。"
    assert await h.say("张三", "/记录时长 2 敲门 2026-10-20") == (
        "2026-10-20 已超过 30 天，时长需要及时记录。更早的服务请联系组织者。")
    assert await h.say("张三", "/记录时长 2 昨天") == "请写明服务内容，例如：2 敲门探访独居老人"
    assert (await h.say("张三", "/记录时长 8 敲门探访独居老人 昨天 8:00-16:00")).startswith(
        "📝 已记录 #1 2026-11-22 8.0 小时 敲门探访独居老人（待审核）。")
    assert await h.say("张三", "/记录时长 5 巡逻 昨天") == (
        "这样 2026-11-22 就有 13.0 小时，超过每日上限 12.0 小时。")
    assert await h.say("张三", "/记录时长 1 巡逻 昨天 15:30-16:30") == (
        "15:30-16:30 与你 2026-11-22 的记录 #1（8:00-16:00）时间重叠。")
    assert await h.say("张三", "/记录时长 3 巡逻 昨天 16:00-17:00") == "3.0 小时超出了所填的时间段。"
    assert (await h.say("张三", "/记录时长 1 巡逻 昨天 16:00-17:00")).startswith("📝 已记录 #2 2026-11-22 1.0 小时")
    assert "请先注册志愿者" in await h.say("王五", "/记录时长 1 巡逻")
    assert await Record.all().count() == 2


async def test_the_team_leader_approves_an_ordinary_volunteer_does_not_nobody_their_own(
        red: Harness, hear: Hear) -> None:
    h = red
    await h.send("王书记", "/team new 敲门组")
    await h.send("李四", "/记录时长 2 敲门探访独居老人")
    await h.send("张三", "/记录时长 1 巡逻")
    assert await h.say("张三", "/approve 1") == "只有组织者或该志愿者的队长可以审核记录 #1。"
    assert await h.say("张三", "/审核") == "只有组织者和队长可以审核时长。"
    await h.send("王书记", "/team leader 敲门组 @张三")
    await h.send("王书记", "/team move 敲门组 @李四")
    assert await h.say("张三", "/approve 2") == "不能审核自己的时长，请其他组织者或队长审核。"
    pending = await h.deliver(h.event("张三", "/审核"))
    assert pending[0].text == "待审核：\n李四：#1 2026-11-23 2.0 小时 敲门探访独居老人（待审核）", (
        "the leader's own record is not offered")
    said = await hear(h, "张三", "", button_data="/approve 1")
    assert said[0].startswith("✅ 已通过 #1 2026-11-23 2.0 小时 敲门探访独居老人（公示中），公示至 11月27日 00:00")
    assert said[1].startswith("→ 李四: 你的记录 #1")
    assert await h.say("刘主任", "/approve 1") == "记录 #1 已经通过审核了。"
    await h.send("王书记", "/注册志愿者")
    await h.send("王书记", "/记录时长 1 值班")
    assert await h.say("王书记", "/approve 3") == "不能审核自己的时长，请其他组织者或队长审核。"
    said = await hear(h, "刘主任", "/驳回 3 当天没有排班")
    assert said == ["记录 #3 未通过：当天没有排班",
                    "→ 王书记: 你的记录 #3 2026-11-23 1.0 小时 值班（未通过）未通过审核：当天没有排班"]


async def test_publication_skips_the_weekend_and_a_listed_holiday(red: Harness) -> None:
    h = red
    h.clock.advance(timedelta(days=4))  # Friday 2026-11-27, 10:00
    await h.send("张三", "/记录时长 2 敲门探访独居老人")
    reply = (await h.send("王书记", "/approve 1"))[0]
    # Mon 11-30, Tue 12-01, (Wed 12-02 is a holiday), Thu 12-03: final at the start of Friday 12-04
    assert "公示至 12月4日 00:00" in reply, reply
    h.clock.current = datetime(2026, 12, 3, 15, 50, tzinfo=UTC)  # Thu 23:50 in Shanghai
    await h.run_jobs()
    assert (await Record.get(id=1)).status is RecordStatus.PUBLIC
    said = await sweep(h, timedelta(minutes=20))  # Friday 00:10
    assert "→ 张三: ✅ 你的记录 #1 2026-11-27 2.0 小时 敲门探访独居老人（已生效）已生效，获得 20 积分。" in said
    assert await h.say("张三", "/积分") == "张三 有 20 积分。"


async def test_an_objection_sends_it_back_without_naming_the_objector(red: Harness, hear: Hear) -> None:
    h = red
    await h.send("张三", "/记录时长 2 敲门探访独居老人")
    await h.send("王书记", "/approve 1")
    assert (await h.say("王五", "/异议 1")).startswith("缺少")
    said = await hear(h, "王五", "/异议 1 那天我在现场没看到他", direct=True)
    assert said[0] == "→ 王五: 谢谢。记录 #1 已退回审核。"
    assert said[1] == ("→ 张三: 有人对你的记录 #1 2026-11-23 2.0 小时 敲门探访独居老人（待审核）提出异议："
                       "那天我在现场没看到他。记录已退回审核。")
    assert not any("王五" in s for s in said[1:])
    pending = await h.say("刘主任", "/pending")
    assert "⚠️ 有异议：那天我在现场没看到他" in pending, "reviewers read the reason"
    await sweep(h, timedelta(days=14))
    assert (await Record.get(id=1)).status is RecordStatus.PENDING, "no window runs while it is in review"
    assert await h.say("王五", "/object 1 再说一次", direct=True) == "记录 #1 目前不在公示中；异议只针对公示中的记录。"


async def test_a_final_record_is_immutable_and_a_correction_is_a_new_linked_record(red: Harness, hear: Hear) -> None:
    h = red
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("张三", "/记录时长 2 敲门探访独居老人")
    said = await hear(h, "王书记", "/approve 1")
    assert said == ["✅ 已通过 #1 2026-11-23 2.0 小时 敲门探访独居老人（已生效）。",
                    "→ 张三: ✅ 你的记录 #1 2026-11-23 2.0 小时 敲门探访独居老人（已生效）已生效，获得 20 积分。"]
    final_refusal = "记录 #1 已生效，不能修改；组织者可以添加更正记录：/更正 1"
    assert await h.say("刘主任", "/deny 1 错了") == final_refusal
    assert await h.say("李四", "/object 1 不对", direct=True) == final_refusal
    assert await h.say("刘主任", "/approve 1") == final_refusal
    said = await hear(h, "刘主任", "/更正 1 -0.5 实际只服务了1.5小时")
    assert said[0] == "更正 #2 2026-11-23 -0.5 小时 敲门探访独居老人（已生效）（更正 #1）：实际只服务了1.5小时"
    original, correction = await Record.get(id=1), await Record.get(id=2)
    assert (original.hours, original.status, original.points) == (Decimal("2.0"), RecordStatus.FINAL, 20)
    assert (correction.corrects_id, correction.hours, correction.points) == (1, Decimal("-0.5"), -5)
    assert await h.say("张三", "/积分") == "张三 有 15 积分。"
    assert (await h.say("张三", "/时长")).startswith("张三：累计 1.5 小时，今年 1.5 小时。")


async def test_points_are_awarded_once_per_record_across_repeats_and_restarts(red: Harness) -> None:
    h = red
    await h.send("张三", "/记录时长 2 敲门探访独居老人")
    approval = h.event("王书记", "/approve 1")
    await h.deliver(approval)
    assert await h.deliver(approval) == [], "the same approval, redelivered, is a no-op"
    await h.restart()
    assert await h.say("刘主任", "/approve 1") == "记录 #1 已经通过审核了。"
    await sweep(h, timedelta(days=7))
    await h.restart()
    await sweep(h, timedelta(days=1))
    assert await PointsEntry.filter(source_key="service_log:record:1").count() == 1
    assert await h.say("张三", "/积分") == "张三 有 20 积分。"
    assert await h.deliver(approval) == []
    assert await h.say("张三", "/积分") == "张三 有 20 积分。"


async def test_hours_are_exact_decimals_and_points_round_per_record(red: Harness) -> None:
    h = red
    await h.send("王书记", "/config service_log publicity_days 0")
    for _ in range(30):
        await h.send("张三", "/记录时长 0.1 整理图书角")
    for number in range(1, 31):
        await h.send("王书记", f"/approve {number}")
    records = await Record.filter(status=RecordStatus.FINAL)
    assert sum((r.hours for r in records), Decimal(0)) == Decimal("3.0")
    assert [r.points for r in records] == [1] * 30
    assert await h.say("张三", "/积分") == "张三 有 30 积分。"
    assert (await h.say("张三", "/时长")).startswith("张三：累计 3.0 小时，今年 3.0 小时。\n2026年11月：3.0")


async def test_a_star_is_reached_announced_and_shown_beside_the_name(red: Harness) -> None:
    h = red
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("王书记", "/config service_log daily_cap_hours 24")
    for day in range(1, 6):
        await h.send("张三", f"/记录时长 20 连续值守 2026-11-{day + 17}")
    said = []
    for number in range(1, 6):
        said += await h.send("王书记", f"/approve {number}")
    stars = [s for s in said if "星" in s]
    assert stars == ["🌟 张三 ⭐1 志愿服务满 100.0 小时，达到 1 星志愿者！感谢付出！"]
    assert (await h.say("李四", "/积分 @张三")) == "张三 ⭐1 有 1000 积分。"
    view = await h.say("张三", "/时长")
    assert "1 星；距下一星还差 200.0 小时。" in view


async def test_views_team_and_report(red: Harness) -> None:
    h = red
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("王书记", "/team new 敲门组")
    await h.send("王书记", "/team leader 敲门组 @张三")
    await h.send("王书记", "/team move 敲门组 @李四")
    await h.send("张三", "/记录时长 2 敲门")
    await h.send("李四", "/记录时长 1.5 敲门")
    await h.send("王书记", "/approve 1")
    await h.send("王书记", "/approve 2")
    await h.send("李四", "/记录时长 1 巡逻")
    assert await h.say("李四", "/时长 服务队") == "敲门组：累计 3.5 小时。\n张三 2.0\n李四 1.5"
    assert await h.say("张三", "/时长 @李四") == (
        "李四：累计 1.5 小时，今年 1.5 小时。\n2026年11月：1.5\n尚无星级；距下一星还差 98.5 小时。\n"
        "另有 1.0 小时在审核或公示中。")
    assert await h.say("张三", "/时长 汇总") == "报表只对组织者开放。"
    assert await h.say("王书记", "/时长 汇总 月") == (
        "2026-11-01 以来的服务时长：2 位志愿者共 3.5 小时。\n1. 张三 2.0\n2. 李四 1.5")


async def test_switched_off_the_plugin_is_inert(red: Harness) -> None:
    h = red
    await h.send("张三", "/记录时长 2 敲门")
    await h.send("王书记", "/approve 1")
    await Volunteer.filter(user_id=(await Record.get(id=1)).user_id).update(stars=1)
    assert await h.say("李四", "/积分 @张三") == "张三 ⭐1 有 0 积分。"
    await h.send("王书记", "/disable service_log")
    off = "本社区未启用“志愿服务时长”功能；组织者可以发送 /enable service_log 启用。"
    assert await h.say("张三", "/记录时长 2 敲门") == off
    assert await h.say("王书记", "/时长") == off
    await sweep(h, timedelta(days=30))
    assert (await Record.get(id=1)).status is RecordStatus.PUBLIC, "no sweep where it is off"
    assert await h.say("李四", "/积分 @张三") == "张三 有 0 积分。", "no star beside the name either"
    await h.send("王书记", "/enable service_log")
    await sweep(h)
    assert await h.say("李四", "/积分 @张三") == "张三 ⭐1 有 20 积分。"
