"""Activities with sign-in and sign-out: credit inside the activity's time, capped; a forgotten check-out is
closed at the end and waits for review; no early sign-in, no late sign-out; the code shown on site."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.testing import Harness
from plugins.service_log.models import Attendance, Record, RecordKind, RecordStatus
from tests.plugins.service_log.conftest import Hear, sweep


async def test_credit_is_capped_and_a_forgotten_checkout_is_closed_and_flagged(red: Harness, hear: Hear) -> None:
    h = red  # Monday 2026-11-23, 10:00
    assert "只有组织者和队长可以发布活动" in await h.say("张三", "/活动 新建 敲门行动 3号楼 11-23 14:00-17:00")
    said = await hear(h, "王书记", "/活动 新建 敲门行动 3号楼 11-23 14:00-17:00 10人 上限2小时")
    assert said[0] == ("📢 活动 #1 敲门行动，地点 3号楼，11月23日 14:00–17:00。\n名额：10。\n最多计 2.0 小时。\n"
                       "志愿者到现场签到：/签到 1")
    assert await h.say("张三", "/签到 1") == "敲门行动 11月23日 14:00 开始，到时再签到。"
    h.clock.advance(timedelta(hours=4))  # 14:00
    assert (await h.say("张三", "/签到 1")).startswith("🟢 张三 已签到 敲门行动。")
    assert await h.say("张三", "/签到 1") == "你已经签到过 敲门行动 了。"
    h.clock.advance(timedelta(minutes=30))
    await h.send("李四", "/签到 1")  # 14:30, and forgets to check out
    h.clock.advance(timedelta(hours=2, minutes=40))  # 17:10 - no: the activity ends at 17:00
    assert await h.say("张三", "/签退 1") == "敲门行动 已于 11月23日 17:00 结束；你的签退按结束时间记录，由组织者审核。"
    said = await sweep(h)
    credited = await Record.filter(kind=RecordKind.CREDIT).order_by("id")
    assert [(r.hours, r.status, r.flag) for r in credited] == [
        (Decimal("2.0"), RecordStatus.PENDING, "forgotten check-out"),
        (Decimal("2.0"), RecordStatus.PENDING, "forgotten check-out")], "3 h and 2.5 h, capped at 2"
    assert ("→ 李四: ⚠️ 你没有签退 敲门行动，已按活动结束时间记录（#2 2026-11-23 2.0 小时 敲门行动（待审核）），"
            "等待审核。") in said
    assert all(a.forgotten for a in await Attendance.all())
    pending = await h.say("刘主任", "/pending")
    assert pending.count("⚠️ 忘记签退") == 2
    assert await h.say("李四", "/签到 1") == "敲门行动 已经结束（11月23日 17:00）。"


async def test_a_checkout_in_time_credits_the_time_inside_the_activity(red: Harness, hear: Hear) -> None:
    h = red
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("王书记", "/活动 新建 清理楼道 5号楼 11-23 10:30-12:00 签到码")
    activity_code = next(m.text for m in h.adapter.sent if "签到码是" in m.text).split("签到码是 ")[1][:6]
    assert activity_code.isdigit() and len(activity_code) == 6
    h.clock.advance(timedelta(minutes=40))  # 10:40
    assert await h.say("张三", "/签到 1") == (
        "清理楼道 签到需要现场公布的签到码。请私聊发给我，不要发在群里，以免别人看到：/签到 1 加签到码")
    wrong = "000000" if activity_code != "000000" else "111111"
    assert await h.say("张三", f"/签到 1 {wrong}", direct=True) == "这不是活动 #1 的签到码。"
    assert (await h.say("张三", f"/签到 1 {activity_code}", direct=True)).startswith("🟢 张三 已签到 清理楼道。")
    h.clock.advance(timedelta(minutes=65))  # 11:45: 1 h 5 min served, 1.0 h credited (tenths rounded down)
    said = await hear(h, "张三", "/签退 1")
    assert said[0] == "🔴 张三 已签退 清理楼道：#1 2026-11-23 1.0 小时 清理楼道（已生效）。"
    assert said[1] == "→ 张三: ✅ 你的记录 #1 2026-11-23 1.0 小时 清理楼道（已生效）已生效，获得 10 积分。"
    assert await h.say("张三", "/签退 1") == "你已经签退过 清理楼道 了。"
    assert await h.say("李四", "/签退 1") == "你还没有签到 清理楼道：/签到 1"
    await sweep(h, timedelta(hours=2))
    assert await Record.filter(kind=RecordKind.CREDIT).count() == 1, "a closed check-out is not closed again"
