"""Chat commands of the claims plugin: parse → call the service → say what happened.

The rules live in :mod:`plugins.claims.service`, the wording in :mod:`plugins.claims.speaker`.
``/project new|edit|close|reopen|cancel …`` is the spelling people know: subcommands of ``/project``, each
also a command of its own (``/发布项目`` …). Refusals are raised (:class:`core.plugin.Refusal`), by the
service or here, and answered by the router. Every command the bot suggests in its text is spelled by
``ctx.hint`` (it knows where only Latin commands reach the bot); button data always uses the Latin names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.plugin import (
    N_,
    NP_,
    Arg,
    Button,
    Choice,
    Command,
    CommandContext,
    Int,
    Refusal,
    Rest,
    Role,
    Text,
    command,
    sub,
)
from plugins.claims.arguments import (
    Deadline,
    Person,
    Places,
    PlacesSpec,
    Points,
    ProjectOrAction,
    parse_options,
)
from plugins.claims.models import ClaimStatus
from plugins.claims.service import ClaimsService, Origin, ProjectDraft
from plugins.claims.settings import ClaimsSettings
from plugins.claims.speaker import CLAIM_MARK, CLAIM_STATUS, Speaker, mention, place_mark

#: Largest id PostgreSQL's integer column holds; a bigger number is a typo, not a project.
MAX_ID = 2_147_483_647
#: The badge that lets someone claim inside a 'party members first' window.
PARTY_BADGE = "party_member"
PROJECT = Arg("project", Int(minimum=1, maximum=MAX_ID), label=N_("project"))
EDIT_FIELDS = Choice(
    {"title": "title", "标题": "title", "名称": "title",
     "desc": "description", "description": "description", "说明": "description", "描述": "description",
     "places": "places", "名额": "places", "地块": "places",
     "deadline": "deadline", "截止": "deadline", "截止日期": "deadline", "期限": "deadline",
     "points": "points", "积分": "points",
     "party": "party", "党员优先": "party",
     "each": "each", "每人": "each"},
    # msgids: a Chinese usage line reads <标题|说明|名额|截止日期|积分|党员优先|每人>, each of which is accepted
    shown=("title", "desc", "places", "deadline", "points", "party", "each"),
)
MORE_PROJECTS = NP_("… and {n} more; {command} <id> shows any of them.",
                    "… and {n} more; {command} <id> shows any of them.")
CLAIMERS_TOLD = NP_("{n} claimer was told.", "{n} claimers were told.")
WAITING_TOLD = NP_("{n} person on the waitlist was told.", "{n} people on the waitlist were told.")
EARNS = NP_("✅ Verified: {user} completed {project} and earns {n} point.",
            "✅ Verified: {user} completed {project} and earns {n} points.")


def _service(ctx: CommandContext) -> ClaimsService:
    async def party_member(user_id: int) -> bool:
        return await ctx.has_badge(user_id, PARTY_BADGE)

    async def party_verifiable() -> bool:
        return PARTY_BADGE in await ctx.verifiable_badges()

    return ClaimsService(ctx.community_id, ctx.settings(ClaimsSettings), ctx.now(), ctx.uow,
                         badge_check=party_member, party_verifiable=party_verifiable)


def _origin(ctx: CommandContext) -> Origin:
    return Origin(ctx.event.channel.platform, ctx.event.channel.chat_id)


# -- reading -----------------------------------------------------------------------------------------
async def projects(ctx: CommandContext, what: int | None) -> None:
    if what is None:
        await _list(ctx)
        return
    await _show(ctx, what)


async def _list(ctx: CommandContext) -> None:
    t = ctx.t
    speaker = Speaker.for_command(ctx)
    shown, waiting, total = await _service(ctx).open_projects()
    if not shown:
        text = t("No open projects right now.")
        if ctx.has_role(Role.ORGANIZER):
            text += "\n" + t("Publish one: {command} <title> <places> <deadline>",
                             command=await ctx.hint("newproject"))
        ctx.reply(text)
        return
    lines = [t("Open projects:")]
    lines += [f"{speaker.project(p)} {speaker.facts(p, waiting.get(p.id, 0))}" for p in shown]
    if total > len(shown):
        lines.append(t.n(*MORE_PROJECTS, total - len(shown), command=await ctx.hint("project")))
    ctx.reply("\n".join(lines), buttons=[[speaker.claim_button(p)] for p in shown])


async def _show(ctx: CommandContext, project_id: int) -> None:
    speaker = Speaker.for_command(ctx)
    view = await _service(ctx).view(project_id, ctx.user.id)
    text = await speaker.details(view.project, view.claims, view.waiting, view.my_position)
    buttons = []
    mine = any(c.user_id == ctx.user.id for c in view.claims)
    if speaker.claimable(view.project) and not mine and view.my_position is None:
        buttons.append([speaker.claim_button(view.project)])
    ctx.reply(text, buttons=buttons)


@command("mine", aliases=("我的认领",), help=N_("Your claims and where you are on waitlists"))
async def mine(ctx: CommandContext) -> None:
    t = ctx.t
    speaker = Speaker.for_command(ctx)
    result = await _service(ctx).mine(ctx.user.id)
    if not result.claims and not result.waiting:
        ctx.reply(t("You have no claims yet. Send {command} to see what needs doing.",
                    command=await ctx.hint("projects")))
        return
    lines = [t("Your claims:")] if result.claims else []
    for claim in result.claims:
        deadline = claim.project.deadline
        due = ""
        if deadline is not None and claim.status is ClaimStatus.ACTIVE:
            due = " · " + t("until {date}", date=speaker.when(deadline))
        lines.append(f"{CLAIM_MARK[claim.status]} {speaker.project(claim.project)}{place_mark(claim.place)} — "
                     f"{t(CLAIM_STATUS[claim.status])}{due}")
    lines = _counted(lines)
    for project, position in result.waiting:
        lines.append(t("Waitlist of {project}: you are #{k}.", project=speaker.project(project), k=position))
    ctx.reply("\n".join(lines))


def _counted(lines: list[str]) -> list[str]:
    """Two places of one project without names read the same: one line with ×2, not two equal lines."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    return [line if n == 1 else f"{line} ×{n}" for line, n in counts.items()]


# -- managing projects (organizers) -------------------------------------------------------------------
@command(
    "newproject",
    aliases=("发布项目",),
    args=(
        Arg("title", Text(100), label=N_("title"),
            prompt=N_("What is the project called? For example: 整治共享单车")),
        Arg("places", Places(), label=N_("places"),
            prompt=N_("How many places? A number such as 3, named places such as A1-A70, "
                      "or - for the default.")),
        Arg("deadline", Deadline(), label=N_("deadline"),
            prompt=N_("By when? For example 12-31, or +7 for a week from today; 无 for no deadline.")),
        # typed lines give the points among the details (10分); a dialog asks for them on their own
        Arg("points", Points(), optional=True, label=N_("points"), dialog_only=True,
            prompt=N_("How many points does each completed place earn? For example 10.")),
        Arg("details", Rest(1000), optional=True, label=N_("details"),
            prompt=N_("A description for the neighbours? It may start with 党员优先24 (party members "
                      "first for 24 h) or 每人2 (places per person).")),
    ),
    role=Role.ORGANIZER,
    dialog=True,
    help=N_("Publish a project: title, places, deadline, then details if you like (10分 = points per "
            "completion, 党员优先24 = party members first for 24 h, 每人2 = places per person, then a "
            "description). Without them I ask step by step."),
)
async def new_project(ctx: CommandContext, title: str, places: PlacesSpec, deadline: datetime | None,
                      points: int | None, details: str | None) -> None:
    options = parse_options(details, ctx.settings(ClaimsSettings))
    draft = ProjectDraft(title=title, places=places.count, place_names=places.names, deadline=deadline,
                         points=options.points if points is None else points,
                         party_first_hours=options.party_first_hours, per_person=options.per_person,
                         description=options.description, hours_tenths=options.hours_tenths)
    try:
        project = await _service(ctx).create(ctx.user.id, draft)
    except Refusal as refusal:  # the project as given does not work: show how to write it
        refusal.usage = True
        raise
    speaker = Speaker.for_command(ctx)
    lines = ["📢 " + ctx.t("New project {project}", project=speaker.project(project))]
    if project.description:
        lines.append(project.description)
    lines.append(speaker.facts(project, 0))
    lines.append(ctx.t("Send {command} or press the button to take part.",
                       command=await ctx.hint("claim", project.id)))
    await ctx.announce("\n".join(lines), buttons=[[speaker.claim_button(project)]], kind="projects")


@command(
    "editproject",
    aliases=("编辑项目", "修改项目"),
    args=(PROJECT, Arg("field", EDIT_FIELDS, label=N_("what")), Arg("value", Rest(1000), label=N_("value"))),
    role=Role.ORGANIZER,
    help=N_("Change a project: title, desc, places (3 or A1-A70), deadline (12-31 or 无), points, "
            "party (hours, 0 = off), each (places per person)"),
)
async def edit_project(ctx: CommandContext, project: int, field: str, value: str) -> None:
    t = ctx.t
    service = _service(ctx)
    try:
        changes = await _edit_values(ctx, field, value)
        release = await service.edit(project, **changes)
    except Refusal as refusal:
        refusal.usage = True
        raise
    speaker = Speaker.for_command(ctx)
    view = await service.view(project)
    lines = [t("{project} is updated.", project=speaker.project(view.project)),
             speaker.facts(view.project, view.waiting), *await speaker.promotions(release)]
    await speaker.reply("\n".join(lines))


async def _edit_values(ctx: CommandContext, field: str, value: str) -> dict[str, object]:
    """The typed change for one field; raises Refusal for a value that does not fit."""
    if field == "title":
        return {"title": value}
    if field == "description":
        return {"description": "" if value.strip() in ("无", "none", "-") else value}
    if field == "places":
        spec = await Places().convert(value, ctx)
        count = spec.count if spec.count is not None else ctx.settings(ClaimsSettings).default_places
        return {"places": count, "place_names": spec.names}
    if field == "deadline":
        return {"deadline": await Deadline().convert(value, ctx)}
    number = await Int(minimum=0, maximum=MAX_ID).convert(value.rstrip("分hH小时个处"), ctx)
    key = {"points": "points", "party": "party_first_hours", "each": "per_person"}[field]
    return {key: number}


@command("closeproject", aliases=("关闭项目",), args=(PROJECT,), role=Role.ORGANIZER,
         help=N_("Stop taking claims for a project (claimers carry on) until it is reopened"))
async def close_project(ctx: CommandContext, project: int) -> None:
    speaker = Speaker.for_command(ctx)
    closing = await _service(ctx).close(project)
    if closing.completed:
        await speaker.completed(closing.project)
        return
    ctx.reply(ctx.t("{project} is closed: no new claims. Current claimers carry on. {command} opens it again.",
                    project=speaker.project(closing.project),
                    command=await ctx.hint("reopenproject", closing.project.id)))


@command("reopenproject", aliases=("重开项目",), args=(PROJECT,), role=Role.ORGANIZER,
         help=N_("Take claims for a closed project again"))
async def reopen_project(ctx: CommandContext, project: int) -> None:
    speaker = Speaker.for_command(ctx)
    release = await _service(ctx).reopen(project)
    lines = [ctx.t("{project} takes claims again.", project=speaker.project(release.project)),
             *await speaker.promotions(release)]
    await speaker.reply("\n".join(lines), buttons=[[speaker.claim_button(release.project)]])


@command("cancelproject", aliases=("取消项目",),
         args=(PROJECT, Arg("reason", Rest(300), optional=True, label=N_("reason"))), role=Role.ORGANIZER,
         help=N_("Cancel a project; its claimers are told"))
async def cancel_project(ctx: CommandContext, project: int, reason: str | None) -> None:
    t = ctx.t
    speaker = Speaker.for_command(ctx)
    release = await _service(ctx).cancel(project, ctx.user.id)
    name = speaker.project(release.project)
    lines = [t("{project} is cancelled: {reason}", project=name, reason=reason) if reason else
             t("{project} is cancelled.", project=name)]
    mine, claimers = await speaker.tell((c.user_id for c in release.ended),
                                        N_("{names}: your claim on {project} has ended."), project=name)
    mine_waiting, waiting = await speaker.tell((e.user_id for e in release.dropped_waitlist),
                                               N_("{names}: you are no longer on the waitlist of {project}."),
                                               project=name)
    lines += [x for x in (mine, mine_waiting) if x]
    if claimers:
        lines.append(t.n(*CLAIMERS_TOLD, claimers))
    if waiting:
        lines.append(t.n(*WAITING_TOLD, waiting))
    await speaker.reply("\n".join(lines))


# -- claiming ------------------------------------------------------------------------------------------
@command(
    "claim",
    aliases=("认领",),
    args=(PROJECT, Arg("place", Text(20), optional=True, label=N_("place"))),
    help=N_("Claim a place in a project (a named place such as A12 if it has them)"),
)
async def claim(ctx: CommandContext, project: int, place: str | None) -> None:
    t = ctx.t
    if ctx.settings(ClaimsSettings).who_may_claim == "volunteer" and not ctx.has_role(Role.VOLUNTEER):
        ctx.reply(t("In this community only volunteers claim projects. An organizer can make you one: {command}",
                    command=await ctx.hint("grant", mention(ctx.user.display_name), t("volunteer"))))
        return
    speaker = Speaker.for_command(ctx)
    service = _service(ctx)
    outcome = await service.claim(project, ctx.user.id, place, _origin(ctx))
    name = speaker.project(outcome.project)
    # While party members come first, a claim says its claimer is one (their badge may be hidden): the
    # confirmation goes to them alone and the group is not told who claimed.
    party_only = service.party_window_open(outcome.project) and await service.party_verifiable()
    if outcome.waitlist_position is not None:
        key = (N_("You are already #{k} on the waitlist of {project}.") if outcome.already else
               N_("{project} is full, you are #{k} on the waitlist. You will be told when a place frees up."))
        ctx.reply(t(key, k=outcome.waitlist_position, project=name),
                  buttons=[[Button(t("Leave the waitlist"), f"/unclaim {outcome.project.id}")]])
        return
    if outcome.already:
        ctx.reply(t("You have already claimed {project}{place}.", project=name,
                    place=place_mark(*(c.place for c in outcome.claims))))
        return
    taken = outcome.claims[0]
    ctx.reply(t("✅ {user} claimed {project}{place} ({left}). When it is done, send {command} (a photo is "
                "welcome).", user=await ctx.name(ctx.user.id), project=name, place=place_mark(taken.place),
                left=speaker.places_left(outcome.project), command=await ctx.hint("done", outcome.project.id)),
              private=party_only)
    if outcome.became_full and party_only:
        await ctx.announce(t("📣 {project} is fully claimed! Want to help too? {command} puts you on the "
                             "waitlist.", project=name, command=await ctx.hint("claim", outcome.project.id)),
                           kind="projects")
    elif outcome.became_full:
        view = await _service(ctx).view(outcome.project.id)
        await ctx.announce(t("📣 {project} is fully claimed, thanks to {names}! Want to help too? "
                             "{command} puts you on the waitlist.", project=name,
                             command=await ctx.hint("claim", outcome.project.id),
                             names=await speaker.name_list(c.user_id for c in view.claims)), kind="projects")


@command(
    "unclaim",
    aliases=("取消认领",),
    args=(PROJECT, Arg("place", Text(20), optional=True, label=N_("place"))),
    help=N_("Give your place back (or leave the waitlist); the next in line gets it"),
)
async def unclaim(ctx: CommandContext, project: int, place: str | None) -> None:
    t = ctx.t
    speaker = Speaker.for_command(ctx)
    release = await _service(ctx).unclaim(project, ctx.user.id, place)
    name = speaker.project(release.project)
    if release.left_waitlist:
        ctx.reply(t("You left the waitlist of {project}.", project=name))
        return
    lines = [t("{user} gave back {project}{place}.", user=await ctx.name(ctx.user.id), project=name,
               place=place_mark(*(c.place for c in release.ended)))]
    await speaker.reply("\n".join([*lines, *await speaker.promotions(release)]))
    if release.completed:
        await speaker.completed(release.project)


@command("progress", aliases=("进展",),
         args=(PROJECT, Arg("note", Rest(500), optional=True, label=N_("remarks"))),
         help=N_("Say you are still on it, so your claim is not released"))
async def progress(ctx: CommandContext, project: int, note: str | None) -> None:
    speaker = Speaker.for_command(ctx)
    service = _service(ctx)
    found, claims = await service.record_progress(project, ctx.user.id, note or "")
    release = await service.release_of(claims[0], found)
    if release is None:
        ctx.reply(ctx.t("👍 Noted. {project} stays yours.", project=speaker.project(found)))
        return
    ctx.reply(ctx.t("👍 Noted. {project} stays yours; without further news it is released on {date}.",
                    project=speaker.project(found), date=speaker.when(release[0])))


@command("done", aliases=("完成",),
         args=(PROJECT, Arg("note", Rest(500), optional=True, label=N_("remarks"))),
         help=N_("Report your claim done, with a note and a photo if you like; an organizer verifies it"))
async def done(ctx: CommandContext, project: int, note: str | None) -> None:
    t = ctx.t
    speaker = Speaker.for_command(ctx)
    photos = [a.ref for a in ctx.event.attachments if a.kind == "photo"]
    found, _claims = await _service(ctx).report_done(project, ctx.user.id, note or "", photos)
    user = await ctx.name(ctx.user.id)
    lines = [t("📝 {user} reports {project} done.", user=user, project=speaker.project(found))
             + (f" 📷{len(photos)}" if photos else "")]
    if note:
        lines.append(note)
    lines.append(t("An organizer can verify it: {command}",
                   command=await ctx.hint("verify", found.id, mention(ctx.user.display_name))))
    ctx.reply("\n".join(lines), buttons=[[Button(t("Verify {user}", user=ctx.user.display_name)[:40],
                                                 f"/verify {found.id} uid:{ctx.user.id}")]])


@command("verify", aliases=("验收",), args=(PROJECT, Arg("user", Person(), label=N_("user"))),
         role=Role.ORGANIZER,
         help=N_("Accept someone's work on a project; it earns them the project's points"))
async def verify(ctx: CommandContext, project: int, user: int) -> None:
    t = ctx.t
    speaker = Speaker.for_command(ctx)
    result = await _service(ctx).verify(project, user, ctx.user.id)
    name, title = await ctx.name(user), speaker.project(result.project)
    if not result.newly:
        ctx.reply(t("{user}'s work on {project} is already verified.", user=name, project=title))
        return
    if result.project.points:
        ctx.reply(t.n(*EARNS, result.project.points, user=name, project=title))
    else:
        ctx.reply(t("✅ Verified: {user} completed {project}.", user=name, project=title))
    if result.completed:
        await speaker.completed(result.project)


@command("sendback", aliases=("退回",),
         args=(PROJECT, Arg("user", Person(), label=N_("user")),
               Arg("reason", Rest(300), label=N_("reason"))),
         role=Role.ORGANIZER, help=N_("Send a report back to its claimer with what is missing"))
async def send_back(ctx: CommandContext, project: int, user: int, reason: str) -> None:
    t = ctx.t
    speaker = Speaker.for_command(ctx)
    found, _claims = await _service(ctx).send_back(project, user, ctx.user.id, reason)
    title = speaker.project(found)
    here, _told = await speaker.tell([user], N_(
        "↩️ {names}: your report on {project} was sent back: {reason}. Please finish it and send {command} "
        "again."), project=title, reason=reason, command=await ctx.hint("done", found.id))
    await speaker.reply(here or t("Sent back to {user}.", user=await ctx.name(user)))


def _project_actions() -> Sequence[Command]:
    return PROJECTS.subcommands


PROJECTS: Command = command(
    "projects",
    aliases=("project", "项目"),
    args=(Arg("what", ProjectOrAction(_project_actions), optional=True, label=N_("id")),),
    help=N_("Open projects to claim, or one project by its number; organizers manage them"),
    subcommands=(
        sub(new_project, "new", "add", "发布", "新建"),
        sub(edit_project, "edit", "编辑", "修改"),
        sub(close_project, "close", "关闭", "结束"),
        sub(reopen_project, "reopen", "重开"),
        sub(cancel_project, "cancel", "取消"),
    ),
)(projects)

COMMANDS = [PROJECTS, mine, new_project, edit_project, close_project, reopen_project, cancel_project, claim,
            unclaim, progress, done, verify, send_back]
