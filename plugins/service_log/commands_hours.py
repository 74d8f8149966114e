"""Entered hours and their review: ``/log`` (``/记录时长``), ``/pending``, ``/approve``, ``/deny``,
``/object``, ``/correct``; and what people are told when a record moves on.
"""

from __future__ import annotations

from decimal import Decimal

from core.plugin import (
    N_,
    NP_,
    Arg,
    Button,
    CommandContext,
    Hint,
    Int,
    Refusal,
    Rest,
    Role,
    Scope,
    command,
)
from plugins.service_log.arguments import Hours, parse_log
from plugins.service_log.hours import shown
from plugins.service_log.models import Objection, Record
from plugins.service_log.people import leads_team, may_review
from plugins.service_log.records import OBJECTED, Finalized, Review, final_total
from plugins.service_log.settings import ServiceLogSettings
from plugins.service_log.speaker import describe, records_for

MAX_ID = 2_147_483_647
#: What to type in a suggested command (``/异议 1 <理由>``).
REASON_SLOT = N_("<reason>")
RECORD = Arg("record", Int(minimum=1, maximum=MAX_ID), label=N_("record"))
FINAL_POINTS = NP_("✅ Your record {record} is final and earns {n} point.",
                   "✅ Your record {record} is final and earns {n} points.")
#: A correction taking hours off is final too: its points are taken off, not "earned".
FINAL_POINTS_OFF = NP_("✅ Your correction {record} is final: {n} point is taken off.",
                       "✅ Your correction {record} is final: {n} points are taken off.")
STAR = NP_("🌟 {user} has reached {n} star with {hours} hours of volunteer service. Thank you!",
           "🌟 {user} has reached {n} stars with {hours} hours of volunteer service. Thank you!")


async def tell_final(scope: Scope, finals: list[Finalized]) -> None:
    """The volunteer hears their record is final (privately); a new star is announced to everyone."""
    for done in finals:
        record = done.record
        said = (scope.t.n(*FINAL_POINTS, record.points, record=describe(scope, record)) if record.points >= 0
                else scope.t.n(*FINAL_POINTS_OFF, -record.points, record=describe(scope, record)))
        await scope.notify(record.user_id, said)
        if done.new_stars:
            total = await final_total(scope.community_id, record.user_id)
            await scope.announce(scope.t.n(*STAR, done.new_stars, user=await scope.name(record.user_id),
                                           hours=shown(total)), kind="hours")


async def _reviewer_check(ctx: CommandContext) -> bool:
    return ctx.has_role(Role.ORGANIZER) or await leads_team(ctx.community_id, ctx.user.id)


@command("log", aliases=("记录时长",),
         args=(Arg("hours", Hours(), label=N_("hours")), Arg("what", Rest(300), label=N_("what you did"))),

         help=N_("Log service hours done outside an activity: hours, what, and optionally the day (昨天, 11-30) "
                 "and time (9:00-11:00); a photo is welcome. An organizer or your team leader approves them."))
async def log_hours(ctx: CommandContext, hours: Decimal, what: str) -> None:
    settings = ctx.settings(ServiceLogSettings)
    details = parse_log(what, ctx.local_day(), settings.entry_window_days)
    photos = [a.ref for a in ctx.event.attachments if a.kind == "photo"]
    record = await records_for(ctx).log(ctx.user.id, hours, details.what, details.day, details.span,
                                        photos[0] if photos else "")
    ctx.reply(ctx.t("📝 Logged {record}. An organizer or your team leader reviews it: {command}",
                    record=describe(ctx, record), command=await ctx.hint("approve", record.id)))


@command("pending", aliases=("审核", "待审核"),
         help=N_("Service records waiting for review (organizers and team leaders)"))
async def pending(ctx: CommandContext) -> None:
    t = ctx.t
    if not await _reviewer_check(ctx):
        ctx.reply(t("Only organizers and team leaders review hours."))
        return
    organizer = ctx.has_role(Role.ORGANIZER)
    waiting = [r for r in await records_for(ctx).pending(limit=100) if r.user_id != ctx.user.id
               and await may_review(ctx.community_id, ctx.user.id, organizer, r.user_id)][:20]
    if not waiting:
        ctx.reply(t("Nothing waits for review."))
        return
    names = await ctx.names(r.user_id for r in waiting)
    lines, buttons = [t("Waiting for review:")], []
    for record in waiting:
        flag = f" ⚠️ {t(record.flag)}" if record.flag else ""
        if record.flag == OBJECTED:
            objection = await Objection.filter(record_id=record.id).order_by("-id").first()
            if objection is not None:
                flag += t(": {reason}", reason=objection.reason)
        lines.append(t("{user}: {record}", user=names[record.user_id], record=describe(ctx, record)) + flag)
        buttons.append([Button(t("Approve #{id}", id=record.id), f"/approve {record.id}"),
                        Button(t("Deny #{id}", id=record.id), f"/deny {record.id}")])
    ctx.reply("\n".join(lines), buttons=buttons)


@command("approve", aliases=("批准", "通过"), args=(RECORD,),
         help=N_("Approve a service record (organizers, or the volunteer's team leader)"))
async def approve(ctx: CommandContext, record: int) -> None:
    t = ctx.t
    review: Review = await records_for(ctx).approve(record, ctx.user.id, ctx.has_role(Role.ORGANIZER))
    approved = review.record
    await ctx.audit(target=approved.user_id)  # whose hours: /audit @volunteer shows who approved them
    if review.final:
        ctx.reply(t("✅ Approved {record}.", record=describe(ctx, approved)))
        await tell_final(ctx, review.final)
        return
    assert approved.public_until is not None
    ctx.reply(t("✅ Approved {record}. It is published until {until}; anyone may object: {command}",
                record=describe(ctx, approved), until=ctx.when(approved.public_until),
                command=await ctx.hint("object", approved.id, t(REASON_SLOT))))
    await ctx.notify(approved.user_id, t("Your record {record} was approved and is published until {until}.",
                                         record=describe(ctx, approved), until=ctx.when(approved.public_until)))


@command("deny", aliases=("驳回", "不通过"),
         args=(RECORD, Arg("reason", Rest(300), label=N_("reason"), prompt=N_("Why is it not approved?"))),
         dialog=True, help=N_("Turn a service record down, with the reason"))
async def deny(ctx: CommandContext, record: int, reason: str) -> None:
    denied = await records_for(ctx).deny(record, ctx.user.id, ctx.has_role(Role.ORGANIZER), reason)
    await ctx.audit(target=denied.user_id)
    ctx.reply(ctx.t("Record #{id} is not approved: {reason}", id=denied.id, reason=reason))
    await ctx.notify(denied.user_id, ctx.t("Your record {record} was not approved: {reason}",
                                           record=describe(ctx, denied), reason=reason))


@command("object", aliases=("异议",), args=(RECORD, Arg("reason", Rest(300), label=N_("reason"))),
         help=N_("Object to a published service record; it goes back to review (you are not named)"))
async def object_to(ctx: CommandContext, record: int, reason: str) -> None:
    if not ctx.event.channel.is_direct:
        raise Refusal(N_("Objections are sent in a private chat, so you are not named: send me {command} "
                         "privately."), command=Hint("object", record, ctx.t(REASON_SLOT)))
    found = await records_for(ctx).object(record, ctx.user.id, reason)
    ctx.reply(ctx.t("Thank you. Record #{id} goes back to review.", id=found.id), private=True)
    await ctx.notify(found.user_id, ctx.t("Someone objected to your record {record}: {reason}. It goes back to "
                                          "review.", record=describe(ctx, found), reason=reason))


@command("correct", aliases=("更正",),
         args=(RECORD, Arg("hours", Hours(signed=True), label=N_("±hours")),
               Arg("reason", Rest(300), label=N_("reason"))),
         role=Role.ORGANIZER,
         help=N_("Correct a final record with a new, linked record (+1 or -0.5 hours, and why)"))
async def correct(ctx: CommandContext, record: int, hours: Decimal, reason: str) -> None:
    review = await records_for(ctx).correct(record, hours, reason, ctx.user.id)
    correction: Record = review.record
    ctx.reply(ctx.t("Correction {record} of #{original}: {reason}", record=describe(ctx, correction),
                    original=record, reason=reason))
    await ctx.notify(correction.user_id, ctx.t("{user} corrected your record #{original} by {hours} hours: "
                                               "{reason}", user=await ctx.name(ctx.user.id), original=record,
                                               hours=shown(hours), reason=reason))
    await tell_final(ctx, review.final)


COMMANDS = [log_hours, pending, approve, deny, object_to, correct]
