"""Registration and teams: ``/volunteer join`` (``/注册志愿者``), ``/volunteer name``, ``/team``."""

from __future__ import annotations

from core.plugin import N_, Arg, CommandContext, Mention, Rest, Role, Text, User, command, group, sub
from plugins.service_log import people
from plugins.service_log.models import Team
from plugins.service_log.people import require_volunteer

#: What to type in a suggested command (``/登记姓名 <姓名>``).
NAME_SLOT = N_("<name>")
TEAM_SLOT = N_("<team name>")
TEAM = Arg("team", Text(50), label=N_("team"))


async def _make_volunteer(ctx: CommandContext) -> bool:
    """The person's core role becomes volunteer (one notion of volunteer); True when it was granted now."""
    membership = ctx.membership
    if membership is None or ctx.has_role(Role.VOLUNTEER):
        return False
    membership.roles = sorted({*membership.roles, Role.VOLUNTEER.value})
    await membership.save(update_fields=["roles"])
    return True


async def _name_and_team(community_id: int, details: str | None) -> tuple[str | None, str | None]:
    """``张三丰``, ``张三丰 敲门组`` or ``敲门组 张三丰``: a word naming one of the community's teams is the team
    (first or last), the rest is the name for certificates; without a name it is the chat name."""
    words = (details or "").split()
    if not words:
        return None, None
    teams = set(await Team.filter(community_id=community_id).values_list("name", flat=True))
    for team, rest in ((words[-1], words[:-1]), (words[0], words[1:])):
        if team in teams:
            return " ".join(rest) or None, team
    return " ".join(words), None


@command("register", aliases=("注册志愿者",),
         args=(Arg("details", Rest(100), optional=True, label=N_("name for certificates and team")),),
         help=N_("Register as a volunteer (红马甲), optionally with the name for your certificates (else your "
                 "chat name) and then a team by its name"))
async def register(ctx: CommandContext, details: str | None) -> None:
    t = ctx.t
    name, team = await _name_and_team(ctx.community_id, details)
    volunteer, created = await people.register(ctx.community_id, ctx.user.id, name, team, ctx.now(),
                                               default_name=ctx.user.display_name)
    await _make_volunteer(ctx)
    team_text = ""
    if volunteer.team_id is not None:
        found = await Team.get(id=volunteer.team_id)
        team_text = " " + t("Team: {team}.", team=found.name)
    if created:
        text = t("🦺 Welcome, {user}! Your volunteer number is {number}. Certificates name you {name}; to change "
                 "it send {command}.", user=await ctx.name(ctx.user.id), number=volunteer.number,
                 name=volunteer.real_name, command=await ctx.hint("volunteername", t(NAME_SLOT)))
    else:
        text = t("{user}, you are registered already (number {number}, certificates name you {name}).",
                 user=await ctx.name(ctx.user.id), number=volunteer.number, name=volunteer.real_name)
    ctx.reply(text + team_text)


@command("volunteername", aliases=("登记姓名",), args=(Arg("name", Rest(50), label=N_("name")),),
         help=N_("The name your certificates carry"))
async def set_name(ctx: CommandContext, name: str) -> None:
    volunteer = await require_volunteer(ctx.community_id, ctx.user.id)
    await people.register(ctx.community_id, ctx.user.id, name, None, ctx.now())
    ctx.reply(ctx.t("Certificates now name you {name} (number {number}).", name=name.strip(),
                    number=volunteer.number))


VOLUNTEER = group("volunteer", aliases=("志愿者",), help=N_("Register as a volunteer, or change your name"),
                  subcommands=(sub(register, "join", "注册", "加入"), sub(set_name, "name", "姓名", "改名")))


async def teams(ctx: CommandContext) -> None:
    t = ctx.t
    listing = await people.teams_with_members(ctx.community_id)
    if not listing:
        ctx.reply(t("No teams yet. An organizer creates one: {command}",
                    command=await ctx.hint("newteam", t(TEAM_SLOT))))
        return
    ids = [m.user_id for _team, members in listing for m in members]
    ids += [team.leader_user_id for team, _members in listing if team.leader_user_id]
    names = await ctx.names(ids)
    lines = [t("Teams:")]
    for team, members in listing:
        leader = names[team.leader_user_id] if team.leader_user_id else t("none")
        shown = t(", ").join(names[m.user_id] for m in members) or t("nobody yet")
        lines.append(t("{team} (leader: {leader}): {members}", team=team.name, leader=leader, members=shown))
    ctx.reply("\n".join(lines))


@command("newteam", aliases=("新建服务队",), args=(Arg("name", Rest(50), label=N_("team name")),),
         role=Role.ORGANIZER,
         help=N_("Create a volunteer team"))
async def new_team(ctx: CommandContext, name: str) -> None:
    team = await people.create_team(ctx.community_id, name, ctx.now())
    ctx.reply(ctx.t("Team {team} is created. Appoint its leader: {command}", team=team.name,
                    command=await ctx.hint("teamleader", team.name, "@…")))


@command("teamleader", aliases=("任命队长",), args=(TEAM, Arg("user", Mention(), label=N_("user"))),
         role=Role.ORGANIZER, help=N_("Appoint a team's leader, who may approve the team's hours"))
async def team_leader(ctx: CommandContext, team: str, user: User) -> None:
    found = await people.appoint_leader(ctx.community_id, team, user.id)
    ctx.reply(ctx.t("{user} leads {team} now and may approve the team's hours.", user=await ctx.name(user.id),
                    team=found.name))


@command("teammove", aliases=("调队",), args=(TEAM, Arg("user", Mention(), label=N_("user"))),
         role=Role.ORGANIZER, help=N_("Move a volunteer to another team"))
async def team_move(ctx: CommandContext, team: str, user: User) -> None:
    found = await people.move(ctx.community_id, team, user.id)
    ctx.reply(ctx.t("{user} is in {team} now.", user=await ctx.name(user.id), team=found.name))


TEAMS = command("team", aliases=("服务队", "teams"), help=N_("Volunteer teams and their members"),
                subcommands=(sub(new_team, "new", "新建", "创建"), sub(team_leader, "leader", "队长"),
                             sub(team_move, "move", "调入", "调队")))(teams)

COMMANDS = [VOLUNTEER, register, set_name, TEAMS, new_team, team_leader, team_move]
