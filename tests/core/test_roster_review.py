"""Rosters as organizers really send them, found in review: numbers a tool wrote as ``301.0``, borders drawn
down to row 60,000, and the Apply button of one dry run while other dry runs were sent since."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Border, Side

from core.events import Attachment
from core.households import Household
from core.rosters.kinds import Outcome
from core.rosters.models import RosterEntry
from core.testing import Harness
from tests.core.roster_support import run_import, xlsx
from tests.core.test_roster_chat import serve


async def test_numbers_written_as_floats_are_the_numbers(community: Harness) -> None:
    """pandas and WPS write 301.0 and 13800138000.0 into a CSV: the flat is 3-2-301, not a flat 3-2-301-0."""
    h = community
    data = "姓名,手机号,楼栋,单元,户号\n张三,13800138000.0,3,2,301.0\n".encode()
    report = await run_import(h, "households", data, "住户.csv", apply=True)
    assert report.problems == [] and report.counts == {Outcome.NEW: 1}
    [entry] = await RosterEntry.all()
    assert entry.data == {"household": "3-2-301", "name": "张三", "phone": "13800138000"}


async def test_rows_that_are_only_formatted_are_not_rows(community: Harness) -> None:
    """A 居委会 sheet with its table borders drawn far below the last name is two people, not "too large"."""
    h = community
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["姓名", "楼栋", "单元", "户号"], ["张三", 3, 2, 301], ["李四", 3, 2, 302]):
        sheet.append(row)
    thin = Border(left=Side(style="thin"))
    for number in range(4, 50_010):
        sheet.cell(row=number, column=1).border = thin
    import io

    out = io.BytesIO()
    book.save(out)
    report = await run_import(h, "households", out.getvalue(), "住户.xlsx", apply=False)
    assert (report.rows, report.counts[Outcome.NEW], report.problems) == (2, 2, [])


def _buttons(message: object) -> list[str]:
    return [b.data for row in message.buttons for b in row]  # type: ignore[attr-defined]


async def test_apply_applies_the_file_its_dry_run_read(community: Harness) -> None:
    """The Apply button under a dry run never applies another sheet sent since (of another kind, or newer)."""
    h = community
    first = xlsx([["姓名", "楼栋", "单元", "户号"], ["李四", 3, 2, 302]])
    volunteers = xlsx([["姓名", "楼栋", "单元", "户号"], ["赵六", 5, 1, 101]])
    newer = xlsx([["姓名", "楼栋", "单元", "户号"], ["王五", 3, 2, 303]])
    serve(h, {"f1": first, "f2": volunteers, "f3": newer})

    async def dry(kind: str, ref: str) -> list[str]:
        document = (Attachment("file", ref, caption=f"/import {kind}"),)
        [answer] = await h.deliver(h.event("王书记", f"/import {kind}", direct=True, attachments=document))
        return _buttons(answer)

    async def press(data: str) -> str:
        [answer] = await h.deliver(h.event("王书记", "", direct=True, button_data=data, button_token=data))
        return answer.text

    [apply_first] = await dry("households", "f1")
    [apply_volunteers] = await dry("volunteers", "f2")
    assert (await press(apply_volunteers)).startswith("已导入志愿者名单")
    assert await RosterEntry.filter(kind="volunteers").values_list("name", flat=True) == ["赵六"]
    [apply_newer] = await dry("households", "f3")
    assert await press(apply_first) == (
        "这不是这份名单最新的一次试运行：请点最新那条下面的“确认导入”，或以 /import households 为说明重新发送文件。")
    assert await RosterEntry.filter(kind="households").count() == 0, "nothing applied from a stale button"
    assert (await press(apply_newer)).startswith("已导入住户名单")
    assert await RosterEntry.filter(kind="households").values_list("name", flat=True) == ["王五"]
    assert await Household.all().count() == 0, "nobody has spoken yet: the rows wait for their codes"


async def test_a_username_taken_months_later_does_not_inherit_the_row(community: Harness) -> None:
    """A Telegram username the person gave up goes to someone else: after the waiting time, only the code."""
    from datetime import timedelta

    from core.rosters.pending import USERNAME_MATCH

    h = community
    sheet = xlsx([["姓名", "楼栋", "单元", "户号", "用户名"], ["孙七", 6, 1, 201, "@sunqi"]])
    [code] = (await run_import(h, "households", sheet, "住户.xlsx", apply=True)).codes
    h.clock.advance(USERNAME_MATCH + timedelta(days=1))
    assert await h.send("sunqi", "大家好") == [], "the new owner of @sunqi is not told they are 孙七"
    assert await Household.all().count() == 0, "6-1-201 is not verified for a stranger"
    assert await RosterEntry.filter(user_id__isnull=True).count() == 1
    assert await h.say("孙七", f"/join {code.code}", direct=True) == "欢迎，孙七：您现在已在观梅社区的住户名单上。"


async def test_building_and_entrance_merged_down_the_rows(community: Harness) -> None:
    """楼栋 and 单元 merged over their flats, as 居委会 sheets are drawn: each row is in 3栋 2单元, not flat 302."""
    import io

    h = community
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["观梅社区住户名单"])
    sheet.merge_cells("A1:D1")
    for row in (["姓名", "楼栋", "单元", "户号"], ["张三", "3栋", "2单元", 301], ["李四", None, None, 302],
                ["王五", None, "3单元", 401], ["赵六", None, None, 402]):
        sheet.append(row)
    for cells in ("B3:B6", "C3:C4", "C5:C6"):
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    report = await run_import(h, "households", out.getvalue(), "住户.xlsx", apply=False)
    assert report.problems == []
    assert [c.about for c in report.codes] == ["3-2-301", "3-2-302", "3-3-401", "3-3-402"]


def test_a_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    """A 3 GB "roster" (a database dump, a video) is one line, not the whole file in memory first."""
    import resource
    import subprocess
    import sys

    from tests.core.test_first_hour_cli import ROOT, migrated, one_line_failure
    from tests.core.test_roster_cli import _community

    db = migrated(tmp_path)
    _community(db, tmp_path)
    huge = tmp_path / "住户.csv"
    with huge.open("wb") as handle:  # sparse: no disk used
        handle.truncate(3 * 1024 ** 3)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 1024 ** 2, 1536 * 1024 ** 2))

    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "import", "households", str(huge), "--community", "观梅社区",
         "--language", "en"], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
        preexec_fn=limit, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "LINLI_WEB__ENABLED": "false",
                               "LINLI_DATABASE_URL": db})
    assert one_line_failure(result) == "linli: 住户.csv is larger than 20 MB; split the roster into several files."
