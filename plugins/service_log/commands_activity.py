"""Activities: ``/activity`` lists them, ``/activity new`` creates one (organizers and team leaders),
``/checkin`` (``/签到``) and ``/checkout`` (``/签退``) during it."""

from __future__ import annotations

from datetime import date

from core.plugin import N_, Arg, CommandContext, Date, Int, Refusal, Rest, Role, Text, command, sub
from plugins.service_log.activities import Activities
from plugins.service_log.arguments import TimeRange, activity_times, parse_activity_options
from plugins.service_log.commands_hours import tell_final
from plugins.service_log.hours import shown
from plugins.service_log.people import leads_team
from plugins.service_log.records import Span
from plugins.service_log.speaker import describe, records_for

MAX_ID = 2_147_483_647
ACTIVITY = Arg("activity", Int(minimum=1, maximum=MAX_ID), label=N_("activity"))


def _activities(ctx: CommandContext) -> Activities:
    return Activities(records_for(ctx))


async def activities(ctx: CommandContext) -> None:
    t = ctx.t
    found = await _activities(ctx).upcoming()
    if not found:
        ctx.reply(t("No activities coming up."))
        return
    lines = [t("Activities:")]
    for activity in found:
        lines.append(t("#{id} {title} · {place} · {start}–{end}", id=activity.id, title=activity.title,
                       place=activity.place, start=ctx.when(activity.starts_at),
                       end=activity.ends_at.astimezone(ctx.timezone).strftime("%H:%M")))
    ctx.reply("\n".join(lines))


@command("newactivity", aliases=("发布活动",),
         args=(Arg("title", Text(100), label=N_("title")), Arg("place", Text(100), label=N_("place")),
               Arg("day", Date(), label=N_("day")), Arg("time", TimeRange(), label=N_("time")),
               Arg("options", Rest(200), optional=True, label=N_("options"))),
         help=N_("Create an activity with sign-in: title, place, day, 9:00-11:00, then 10人 (places), "
                 "上限2小时 (hours cap), 签到码 (check-in needs the code shown on site)"))
async def new_activity(ctx: CommandContext, title: str, place: str, day: date, time: Span,
                       options: str | None) -> None:
    t = ctx.t
    if not ctx.has_role(Role.ORGANIZER) and not await leads_team(ctx.community_id, ctx.user.id):
        raise Refusal(N_("Only organizers and team leaders create activities."))
    parsed = parse_activity_options(options)
    starts_at, ends_at = activity_times(day, time, ctx)
    activity = await _activities(ctx).create(ctx.user.id, title, place, starts_at, ends_at, parsed.places,
                                             parsed.cap_hours, parsed.with_code)
    lines = ["📢 " + t("Activity #{id} {title} at {place}, {start}–{end}.", id=activity.id, title=activity.title,
                      place=activity.place, start=ctx.when(starts_at), end=ends_at.astimezone(ctx.timezone)
                      .strftime("%H:%M"))]
    if activity.places:
        lines.append(t("Places: {n}.", n=activity.places))
    if activity.cap_hours is not None:
        lines.append(t("Credited at most {hours} hours.", hours=shown(activity.cap_hours)))
    lines.append(t("Volunteers check in on site: {command}", command=await ctx.hint("checkin", activity.id)))
    await ctx.announce("\n".join(lines), kind="hours")
    if activity.code:
        await ctx.notify(ctx.user.id, t("The check-in code of activity #{id} is {code}. Show it on site only.",
                                        id=activity.id, code=activity.code), sensitive=True)


ACTIVITIES = command("activity", aliases=("活动", "activities"), help=N_("Volunteer activities with sign-in"),
                     subcommands=(sub(new_activity, "new", "新建", "发布"),))(activities)


@command("checkin", aliases=("签到",),
         args=(ACTIVITY, Arg("code", Text(8), optional=True, label=N_("code"))),
         help=N_("Check in to an activity on site (with the code shown there, if it has one)"))
async def check_in(ctx: CommandContext, activity: int, code: str | None) -> None:
    attendance = await _activities(ctx).check_in(activity, ctx.user.id, code, ctx.event.channel.is_direct)
    if attendance is None:
        ctx.reply(ctx.t("That is not the check-in code of activity #{id}.", id=activity))
        return
    found = await _activities(ctx).get(attendance.activity_id)
    ctx.reply(ctx.t("🟢 {user} checked in to {title}. Check out when you leave: {command}",
                    user=await ctx.name(ctx.user.id), title=found.title,
                    command=await ctx.hint("checkout", found.id)))


@command("checkout", aliases=("签退",), args=(ACTIVITY,),
         help=N_("Check out of an activity; the time inside the activity is credited"))
async def check_out(ctx: CommandContext, activity: int) -> None:
    t = ctx.t
    service = _activities(ctx)
    result = await service.check_out(activity, ctx.user.id)
    found = await service.get(activity)
    if result.record is None:
        ctx.reply(t("🔴 {user} checked out of {title}; less than six minutes are not credited.",
                    user=await ctx.name(ctx.user.id), title=found.title))
        return
    finals = await service.records.finalize_due(only=result.record.id)
    ctx.reply(t("🔴 {user} checked out of {title}: {record}.", user=await ctx.name(ctx.user.id),
                title=found.title, record=describe(ctx, finals[0].record if finals else result.record)))
    await tell_final(ctx, finals)


COMMANDS = [ACTIVITIES, new_activity, check_in, check_out]
