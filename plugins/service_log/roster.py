"""service_log's rosters: the ``teams`` sheet, and the 服务队 column of the core's ``volunteers`` sheet.

A teams sheet lists the community's teams (服务队), one a row, and creates the ones missing; a 状态 of
迁出 (disbanded) removes a team that never held an activity (one that did stays, for its records). The
volunteer sheet's 服务队 names a team that must exist (import the teams first): the row registers the
person as a volunteer with the sheet's name for certificates and puts them in the team. A volunteer who
moved out keeps their profile and hours (official records) and leaves the team.
"""

from __future__ import annotations

from typing import Any

from core.plugin import N_, Refusal, RosterColumn, RosterKind, RosterOutcome, RosterScope
from plugins.service_log import people
from plugins.service_log.models import Activity, Team, Volunteer

TEAM = RosterColumn("team", N_("team"), ("服务队", "队伍", "小队", "志愿服务队", "所属服务队", "team"))
TEAM_REQUIRED = RosterColumn("team", N_("team"), TEAM.headers, required=True)


async def _team_name(raw: str) -> str:
    name = raw.strip()
    if len(name) > people.TEAM_MAX:
        raise Refusal(N_("a team name has at most {maximum} characters"), maximum=people.TEAM_MAX)
    return name


async def check_team_row(scope: RosterScope, values: dict[str, str]) -> dict[str, Any]:
    name = await _team_name(values.get("team", ""))
    if not name:
        raise Refusal(N_("no team name"))
    return {"team": name}


async def apply_team_row(scope: RosterScope, user_id: int | None, data: dict[str, Any],
                         removed: bool) -> RosterOutcome:
    name = str(data["team"])
    team = await Team.get_or_none(community_id=scope.community_id, name=name)
    if removed:
        if team is None:
            return RosterOutcome.UNCHANGED
        if await Activity.exists(community_id=scope.community_id, team_id=team.id):
            raise Refusal(N_("team {team} has held activities; it stays for their records"), team=name)
        await Volunteer.filter(community_id=scope.community_id, team_id=team.id).update(team_id=None)
        await team.delete()
        return RosterOutcome.REMOVED
    if team is not None:
        return RosterOutcome.UNCHANGED
    await people.create_team(scope.community_id, name, scope.now)
    return RosterOutcome.NEW


async def check_volunteer_team(scope: RosterScope, values: dict[str, str]) -> dict[str, Any]:
    name = await _team_name(values.get("team", ""))
    if name and not await Team.exists(community_id=scope.community_id, name=name):
        raise Refusal(N_("there is no team {team}; import the teams first or create it with /team new"), team=name)
    return {"team": name} if name else {}


async def apply_volunteer(scope: RosterScope, user_id: int | None, data: dict[str, Any],
                          removed: bool) -> RosterOutcome:
    assert user_id is not None
    existing = await people.volunteer_of(scope.community_id, user_id)
    if removed:
        if existing is None or existing.team_id is None:
            return RosterOutcome.UNCHANGED
        await Volunteer.filter(id=existing.id).update(team_id=None)
        await Team.filter(community_id=scope.community_id, leader_user_id=user_id).update(leader_user_id=None)
        return RosterOutcome.REMOVED
    name, team = str(data.get("name", "")), data.get("team") or None
    team_id = None
    if team is not None:
        team_id = (await Team.get(community_id=scope.community_id, name=team)).id
    if existing is not None and existing.real_name == name and (team is None or existing.team_id == team_id):
        return RosterOutcome.UNCHANGED
    _volunteer, created = await people.register(scope.community_id, user_id, name, team, scope.now)
    return RosterOutcome.NEW if created else RosterOutcome.UPDATED


TEAMS = RosterKind("teams", N_("teams"), (TEAM_REQUIRED,), check_team_row, apply_team_row,
                   aliases=("team", "服务队", "队伍"), people=False, row_key="team")
#: Adds 服务队 to the core's volunteer sheet, and registers each volunteer here.
VOLUNTEER_TEAMS = RosterKind("volunteer_teams", N_("volunteers"), (TEAM,), check_volunteer_team, apply_volunteer,
                             extends="volunteers")
KINDS = [TEAMS, VOLUNTEER_TEAMS]
