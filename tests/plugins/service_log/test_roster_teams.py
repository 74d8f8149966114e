"""service_log's rosters (issue 17): a teams sheet creates the teams once; the volunteer sheet's 服务队 column
registers volunteers in them (the name for certificates from the sheet); a disbanded team goes, unless it
held activities."""

from __future__ import annotations

from core.identity import User
from core.rosters.kinds import Outcome
from core.testing import Harness
from plugins.service_log.models import Team, Volunteer
from tests.core.roster_support import csv_bytes, run_import, xlsx


async def test_teams_then_volunteers_in_them_exactly_once(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    teams = xlsx([["服务队", "负责人"], ["敲门组", "刘"], ["巡逻队", ""], ["敲门组", ""]])
    dry = await run_import(h, "服务队", teams, "teams.xlsx", apply=False)
    assert [(p.row, p.reason) for p in dry.problems] == [(4, "与第 2 行相同")]
    assert dry.unknown_columns == ["负责人"] and await Team.all().count() == 0
    applied = await run_import(h, "teams", teams, "teams.xlsx", apply=True)
    assert applied.counts == {Outcome.NEW: 2}
    assert sorted(await Team.all().values_list("name", flat=True)) == ["巡逻队", "敲门组"]
    assert (await run_import(h, "teams", teams, "teams.xlsx", apply=True)).counts == {Outcome.UNCHANGED: 2}

    volunteers = csv_bytes([["姓名", "服务队", "用户名"], ["张三丰", "巡逻队", "张三"]], "gbk")
    first = await run_import(h, "volunteers", volunteers, "v.csv", apply=True)
    assert first.counts == {Outcome.NEW: 1}
    zhang = await User.get(display_name="张三")
    volunteer = await Volunteer.get(user_id=zhang.id)
    patrol = await Team.get(name="巡逻队")
    assert (volunteer.real_name, volunteer.team_id, volunteer.number) == ("张三丰", patrol.id, "00001")
    assert (await run_import(h, "volunteers", volunteers, "v.csv", apply=True)).changes == 0

    moved = csv_bytes([["服务队", "状态"], ["巡逻队", "迁出"]], "utf-8-sig")
    assert (await run_import(h, "teams", moved, "t.csv", apply=True)).counts == {Outcome.REMOVED: 1}
    assert await Team.filter(name="巡逻队").count() == 0
    assert (await Volunteer.get(user_id=zhang.id)).team_id is None, "the volunteer stays, without the team"
