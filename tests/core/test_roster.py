"""Rosters from spreadsheets (issue 17): a 2,000-household workbook and a volunteer sheet with mistakes, a
dry run that lists every bad row and changes nothing, an apply that takes the good rows exactly once, a
GBK CSV as Excel in China writes it, and people who had not spoken to the bot matched when they do: by
the code the organizer hands out, or by their username. Never by display name."""

from __future__ import annotations

import asyncio
import json

import pytest

from core.households import Household
from core.identity import Membership, User
from core.refusal import Refusal
from core.rosters.kinds import Outcome
from core.rosters.models import RosterEntry
from core.rosters.summary import summary_lines
from core.testing import Harness
from tests.core.roster_support import community_id, csv_bytes, household_sheet, run_import, xlsx

VOLUNTEER_HEADER = ["姓名", "手机号", "楼栋", "单元", "户号", "服务队", "用户名/Telegram"]


async def test_two_thousand_households_dry_run_then_exactly_once(community: Harness) -> None:
    h = community
    data = xlsx(household_sheet(2000), title="观梅社区住户名单（2026年11月）")
    dry = await run_import(h, "households", data, "住户.xlsx", apply=False)
    assert (dry.rows, dry.counts[Outcome.NEW], dry.problems) == (2000, 2000, [])
    assert dry.unknown_columns == ["序号", "备注"], "columns it does not know are named, not guessed at"
    assert await RosterEntry.all().count() == 0 and await Household.all().count() == 0, "a dry run changes nothing"
    lines = summary_lines(dry, h.app.translator("zh_CN"))
    assert lines[0] == "住户名单试运行（尚未做任何更改）："
    assert lines[1] == "2000 行：新增 2000，更新 0，未变 0，移除 0，无法导入 0。"

    applied = await run_import(h, "住户", data, "住户.xlsx", apply=True)
    assert applied.applied and applied.counts[Outcome.NEW] == 2000
    assert await RosterEntry.filter(user_id__isnull=True).count() == 2000, "nobody has spoken: all wait with a code"
    assert len({c.code for c in applied.codes}) == 2000, "one code each, all different"
    first = applied.codes[0]
    assert first.row == 3 and first.about.count("-") == 2, "row numbers as Excel shows them (a title row above)"

    again = await run_import(h, "households", data, "住户.xlsx", apply=True)
    assert again.counts == {Outcome.UNCHANGED: 2000} and again.changes == 0, "the same file twice: nothing new"
    assert await RosterEntry.all().count() == 2000
    assert [c.code for c in again.codes] == [c.code for c in applied.codes], "the codes stay the same"


async def _volunteer_setup(h: Harness) -> None:
    await h.send("张三", "/whoami")
    await h.send("王书记", "/team new 敲门组")


def _volunteer_sheet() -> bytes:
    return xlsx([
        VOLUNTEER_HEADER,
        ["张三", "13800000001", 3, 2, 301, "敲门组", "@张三"],  # row 2: has spoken, found by username
        ["", "13800000002", 3, 2, 302, "敲门组", ""],  # row 3: no name
        ["李四", "13800000003", "", "", "我家", "敲门组", ""],  # row 4: not a household
        ["张三", "13800000001", 3, 2, 301, "敲门组", "张三"],  # row 5: the same person as row 2
        ["王五", "13800000005", 4, 1, 101, "不存在组", ""],  # row 6: no such team
        ["赵六", "13900000006", "", "", "5-1-102", "敲门组", ""],  # row 7: not yet spoken: a code
        ["孙七", "", 6, 1, 201, "", "sunqi"],  # row 8: a username the bot has not seen yet
    ], title="2026年志愿者名册")


async def test_a_volunteer_sheet_with_mistakes_lists_each_bad_row_and_takes_the_rest_once(
        community: Harness) -> None:
    h = community
    await _volunteer_setup(h)
    data = _volunteer_sheet()
    dry = await run_import(h, "volunteers", data, "志愿者.xlsx", apply=False)
    assert [(p.row, p.reason) for p in dry.problems] == [
        (4, "没有姓名"),
        (5, "我家 不是门牌号；请写成 楼栋-单元-户号，例如 3-2-301"),
        (6, "与第 3 行相同"),
        (7, "没有 不存在组 这个服务队；请先导入服务队，或用 /team new 创建"),
    ]
    assert dry.counts == {Outcome.NEW: 3}
    zhang = await User.get(display_name="张三")
    membership = await Membership.get(user_id=zhang.id)
    assert "volunteer" not in membership.roles and await RosterEntry.all().count() == 0, "the dry run changed nothing"

    applied = await run_import(h, "volunteers", data, "志愿者.xlsx", apply=True, by_user_id=None)
    assert applied.counts == {Outcome.NEW: 3} and len(applied.problems) == 4
    membership = await Membership.get(user_id=zhang.id)
    assert "volunteer" in membership.roles and membership.verified_resident
    assert await h.say("张三", "/team") == "服务队：\n敲门组（队长：无）：张三", "registered, in the team"
    assert sorted(c.name for c in applied.codes) == ["孙七", "赵六"]

    again = await run_import(h, "volunteers", data, "志愿者.xlsx", apply=True)
    assert again.counts == {Outcome.UNCHANGED: 3} and again.changes == 0


async def test_a_pending_volunteer_is_matched_by_the_code_they_send(community: Harness) -> None:
    h = community
    await _volunteer_setup(h)
    applied = await run_import(h, "volunteers", _volunteer_sheet(), "志愿者.xlsx", apply=True)
    code = next(c.code for c in applied.codes if c.name == "赵六")
    unknown = "该加入码不存在或已被使用。请向给您加入码的组织者询问。"
    assert await h.say("赵六", "/join WRONG123", direct=True) == unknown
    assert await h.say("赵六", f"/join {code.lower()}", direct=True) == "欢迎，赵六：您现在已在观梅社区的志愿者名单上。"
    zhao = await User.get(display_name="赵六")
    membership = await Membership.get(user_id=zhao.id, community_id=await community_id(h))
    assert "volunteer" in membership.roles
    assert await Household.filter(membership=membership, code="5-1-102", verified=True).exists()
    assert "赵六" in await h.say("王书记", "/team")
    assert await h.say("李四", f"/join {code}", direct=True) == unknown, "a code works once"
    again = await run_import(h, "volunteers", _volunteer_sheet(), "志愿者.xlsx", apply=True)
    assert again.changes == 0 and "赵六" not in [c.name for c in again.codes], "matched: no code any more"


async def test_a_pending_person_is_matched_by_username_when_they_first_speak(community: Harness) -> None:
    h = community
    await _volunteer_setup(h)
    await run_import(h, "volunteers", _volunteer_sheet(), "志愿者.xlsx", apply=True)
    replies = await h.deliver(h.event("sunqi", "大家好"))
    assert [(m.private_to.display_name if m.private_to else None, m.text) for m in replies] == [
        ("sunqi", "欢迎，孙七：观梅社区的组织者已把您列入志愿者名单，现在对您生效。")]
    sun = await User.get(display_name="sunqi")
    membership = await Membership.get(user_id=sun.id)
    assert "volunteer" in membership.roles
    assert await h.send("sunqi", "再说一句") == [], "matched once; plain chat afterwards writes nothing"
    assert await h.send("孙七", "我也叫孙七") == [], "never matched by a display name"


async def test_a_gbk_csv_from_excel_is_read_and_other_encodings_refused(community: Harness) -> None:
    h = community
    rows = [["姓名", "楼栋", "单元", "户号"], ["王建国", "3", "2", "301"], ["李淑珍", "3", "2", "302"]]
    report = await run_import(h, "households", csv_bytes(rows, "gbk"), "住户.csv", apply=True)
    assert (report.encoding, report.counts) == ("GBK", {Outcome.NEW: 2})
    assert "（按 GBK 编码读取，Excel 在中国保存 CSV 时用的就是它）" in summary_lines(report, h.app.translator("zh_CN"))
    bom = await run_import(h, "households", csv_bytes(rows, "utf-8-sig"), "住户.csv", apply=True)
    assert (bom.encoding, bom.counts) == ("UTF-8", {Outcome.UNCHANGED: 2}), "the same rows, UTF-8 with a BOM"
    with pytest.raises(Refusal) as refused:
        await run_import(h, "households", "姓名,户号\n王,3-2-301\n".encode("utf-16"), "住户.csv", apply=False)
    assert h.app.translator("zh_CN")(refused.value.message, **refused.value.values) == (
        "住户.csv 既不是 UTF-8 也不是 GBK 文本；请在 Excel 中选择“另存为 → CSV UTF-8”，或保存为 .xlsx。")


async def test_a_missing_column_is_refused_in_one_line_naming_it(community: Harness) -> None:
    h = community
    with pytest.raises(Refusal) as refused:
        await run_import(h, "households", xlsx([["姓名", "楼栋", "单元"], ["王建国", 3, 2]]), "x.xlsx", apply=False)
    assert h.app.translator("zh_CN")(refused.value.message, **refused.value.values) == (
        "表格没有“户号”列，这一列是必需的（在第 1 行找到了表头）。")


async def test_moved_out_rows_remove_what_the_roster_gave(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    rows = [["姓名", "户号", "用户名", "状态"], ["张三", "3-2-301", "张三", "在住"], ["李四", "3-2-302", "", ""]]
    await run_import(h, "households", xlsx(rows), "h.xlsx", apply=True)
    assert await Household.filter(code="3-2-301", verified=True).exists()
    rows[1][3] = rows[2][3] = "迁出"
    moved = await run_import(h, "households", xlsx(rows), "h.xlsx", apply=True)
    assert moved.counts == {Outcome.REMOVED: 2}
    assert not await Household.filter(code="3-2-301").exists() and await RosterEntry.all().count() == 0
    assert (await run_import(h, "households", xlsx(rows), "h.xlsx", apply=True)).changes == 0


async def test_a_matched_roster_row_is_in_mydata_and_goes_with_forgetme(community: Harness) -> None:
    h = community
    await _volunteer_setup(h)
    applied = await run_import(h, "volunteers", _volunteer_sheet(), "志愿者.xlsx", apply=True)
    code = next(c.code for c in applied.codes if c.name == "赵六")
    await h.send("赵六", f"/join {code}", direct=True)
    [notice] = [m for m in await h.deliver(h.event("赵六", "/mydata", direct=True)) if m.files]
    data = json.loads(notice.files[0].data.decode("utf-8"))
    [row] = data["core"]["rosters"]
    assert (row["roster"], row["name"], row["values"]["phone"]) == ("volunteers", "赵六", "13900000006")
    await h.send("赵六", "/forgetme 确认", direct=True)
    assert not await RosterEntry.filter(name="赵六").exists(), "the sheet's name and phone go with the person"


async def test_two_organizers_applying_one_sheet_at_once_store_it_once(community: Harness) -> None:
    h = community
    data = xlsx(household_sheet(200))
    first, second = await asyncio.gather(run_import(h, "households", data, "a.xlsx", apply=True),
                                         run_import(h, "households", data, "a.xlsx", apply=True))
    assert first.counts[Outcome.NEW] + second.counts[Outcome.NEW] == 200
    assert await RosterEntry.all().count() == 200
    assert {c.code for c in first.codes} == {c.code for c in second.codes}, "one code per person, whoever won"
