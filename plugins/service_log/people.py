"""Volunteers and teams: registration with a community volunteer number, teams and their leaders, and who
may review whose hours.

The person's core role becomes ``volunteer`` when they register (one notion of "volunteer" in linli): the
command does that on the person's membership; this module keeps the plugin's own profile.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.plugin import N_, Hint, Person, Refusal
from plugins.service_log.models import Team, Volunteer

NAME_MAX = 50
TEAM_MAX = 50


async def volunteer_of(community_id: int, user_id: int) -> Volunteer | None:
    return await Volunteer.get_or_none(community_id=community_id, user_id=user_id)


async def require_volunteer(community_id: int, user_id: int, *, me: bool = True) -> Volunteer:
    found = await volunteer_of(community_id, user_id)
    if found is None:
        if me:
            raise Refusal(N_("Please register as a volunteer first: {command}"), command=Hint("register"))
        raise Refusal(N_("{user} is not a registered volunteer."), user=Person(user_id))
    return found


async def find_team(community_id: int, name: str) -> Team:
    team = await Team.get_or_none(community_id=community_id, name=name.strip())
    if team is None:
        raise Refusal(N_("There is no team {name}. Send {command} to see the teams."), name=name,
                      command=Hint("team"))
    return team


async def register(community_id: int, user_id: int, real_name: str | None, team_name: str | None,
                   now: datetime, default_name: str = "") -> tuple[Volunteer, bool]:
    """The volunteer's profile, created with the next free number and ``real_name`` (else ``default_name``,
    the chat name); ``False`` when it already existed: a team or a name given again updates it, nothing
    given changes nothing."""
    name = (real_name if real_name is not None else default_name).strip()
    if not 0 < len(name) <= NAME_MAX:
        raise Refusal(N_("A name has 1 to {maximum} characters."), maximum=NAME_MAX)
    team = await find_team(community_id, team_name) if team_name else None
    existing = await volunteer_of(community_id, user_id)
    if existing is not None:
        changes: dict[str, object] = {"real_name": name} if real_name is not None else {}
        if team is not None:
            changes["team_id"] = team.id
        if changes:
            await Volunteer.filter(id=existing.id).update(**changes)
            await existing.refresh_from_db()
        return existing, False
    for _attempt in range(5):  # two registrations at once may pick the same number: take the next
        count = await Volunteer.filter(community_id=community_id).count()
        number = f"{count + 1:05d}"
        try:
            async with in_transaction():
                volunteer = await Volunteer.create(
                    community_id=community_id, user_id=user_id, number=number, real_name=name,
                    team_id=team.id if team else None, joined_at=now)
            return volunteer, True
        except IntegrityError:
            again = await volunteer_of(community_id, user_id)
            if again is not None:
                return again, False
    raise Refusal(N_("Someone was quicker; please try again."))


async def create_team(community_id: int, name: str, now: datetime) -> Team:
    name = name.strip()
    if not 0 < len(name) <= TEAM_MAX:
        raise Refusal(N_("A team name has 1 to {maximum} characters."), maximum=TEAM_MAX)
    try:
        async with in_transaction():
            return await Team.create(community_id=community_id, name=name, created_at=now)
    except IntegrityError:
        raise Refusal(N_("There is already a team {name}."), name=name) from None


async def appoint_leader(community_id: int, team_name: str, user_id: int) -> Team:
    team = await find_team(community_id, team_name)
    volunteer = await require_volunteer(community_id, user_id, me=False)
    await Volunteer.filter(id=volunteer.id).update(team_id=team.id)
    await Team.filter(id=team.id).update(leader_user_id=user_id)
    team.leader_user_id = user_id
    return team


async def move(community_id: int, team_name: str, user_id: int) -> Team:
    team = await find_team(community_id, team_name)
    volunteer = await require_volunteer(community_id, user_id, me=False)
    await Team.filter(community_id=community_id, leader_user_id=user_id).exclude(id=team.id).update(
        leader_user_id=None)
    await Volunteer.filter(id=volunteer.id).update(team_id=team.id)
    return team


async def teams_with_members(community_id: int) -> list[tuple[Team, list[Volunteer]]]:
    teams = await Team.filter(community_id=community_id).order_by("id")
    members = await Volunteer.filter(community_id=community_id).order_by("number")
    return [(team, [m for m in members if m.team_id == team.id]) for team in teams]


async def leads_team(community_id: int, user_id: int) -> bool:
    return await Team.exists(community_id=community_id, leader_user_id=user_id)


async def may_review(community_id: int, reviewer_id: int, is_organizer: bool, owner_id: int) -> bool:
    """An organizer, or the leader of the owner's team; never the owner (checked by the caller first)."""
    if is_organizer:
        return True
    owner = await volunteer_of(community_id, owner_id)
    if owner is None or owner.team_id is None:
        return False
    return await Team.exists(id=owner.team_id, leader_user_id=reviewer_id)
