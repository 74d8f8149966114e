"""Chat commands of the badges plugin: parse → call the service → say what happened.

``/badge request|pending|verify|decline|show|hide|revoke|log|report|kinds|addkind`` (``/标识 申请…``) is the
spelling people know; each subcommand is also a command of its own (``/申请标识 党员``, ``/亮身份``). Whether
someone holds a badge, or asked for one, is sensitive, so every answer of these commands (refusals
included: "you already hold…", "not verified yet…") goes to the person alone (:func:`_privately`; a
private notice for the member a decision is about); only showing a badge is said in the group, because
showing it is the member's own choice. Declining and revoking carry a reason about someone: they are
refused outside a private chat (:class:`PrivateChatRequest`, checked before a dialog asks for the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.plugin import (
    N_,
    Arg,
    Button,
    Choice,
    Command,
    CommandContext,
    Hint,
    Int,
    Mention,
    Refusal,
    Rest,
    Role,
    Text,
    User,
    command,
    group,
    sub,
)
from plugins.badges.kinds import ROLE_NAMES, ROLE_WORDS, Kind
from plugins.badges.models import BadgeStatus
from plugins.badges.service import BadgesService, MayVerify

MAX_ID = 2_147_483_647
PRIVATE_ONLY = N_("A reason about someone stays between you and them: send {command} in a private chat with me.")


def _in_private(ctx: CommandContext) -> bool:
    return ctx.event.channel.is_direct


async def _refuse_outside_private(ctx: CommandContext, command: str) -> None:
    if not _in_private(ctx):
        raise Refusal(PRIVATE_ONLY, command=Hint(command))


@dataclass(frozen=True)
class PrivateChatRequest(Int):
    """A request number for declining: refused outside a private chat, before a dialog asks (in the group)
    for the reason."""

    async def convert(self, raw: str, ctx: CommandContext) -> int:
        await _refuse_outside_private(ctx, "declinebadge")
        return await super().convert(raw, ctx)


KIND = Arg("kind", Text(32), label=N_("badge"))
REQUEST = Arg("request", Int(minimum=1, maximum=MAX_ID), label=N_("request"))
DECLINED_REQUEST = Arg("request", PrivateChatRequest(minimum=1, maximum=MAX_ID), label=N_("request"))
ROLE_CHOICE = Choice(ROLE_WORDS, shown=(N_("organizer"), N_("volunteer"), N_("property_manager"), N_("admin")))
PERIOD_CHOICE = Choice(
    {"month": "month", "本月": "month", "月": "month", "quarter": "quarter", "本季度": "quarter",
     "季度": "quarter", "year": "year", "今年": "year", "年": "year"},
    shown=(N_("month"), N_("quarter"), N_("year")),
)
PERIOD_LABELS = {"month": N_("this month"), "quarter": N_("this quarter"), "year": N_("this year")}
ACTIONS = {
    "requested": N_("{badge} requested by {by}"),
    "verified": N_("{badge} verified by {by}"),
    "declined": N_("{badge} declined by {by}"),
    "shown": N_("{badge} shown by {by}"),
    "hidden": N_("{badge} hidden by {by}"),
    "revoked": N_("{badge} revoked by {by}"),
    "kind_added": N_("badge kind {badge} added by {by}"),
    "forgotten": N_("badges erased at the member's request"),
    "erased": N_("a step taken by {by}, erased at the member's request"),
    "reopened": N_("{badge} waits again: its verifier turned out to be the member's own linked account"),
}


def _service(ctx: CommandContext) -> BadgesService:
    return BadgesService(ctx.community_id, ctx.now(), ctx.uow, ctx.t)


def _privately(ctx: CommandContext) -> BadgesService:
    """Every answer from here on, refusals included, goes to the asker alone; the service to answer with."""
    ctx.private_answers = True
    return _service(ctx)


def _may_verify(ctx: CommandContext) -> MayVerify:
    def may(kind: Kind) -> bool:
        return ctx.has_role(Role.ORGANIZER) or ctx.has_role(kind.verifier_role)

    return may


# -- the member's side -----------------------------------------------------------------------------
@command("requestbadge", aliases=("申请标识",),
         args=(KIND, Arg("note", Rest(200), optional=True, label=N_("note"))),
         help=N_("Ask for a verified badge (党员, 楼栋长, 网格员…), with a note such as your party branch"))
async def request_badge(ctx: CommandContext, kind: str, note: str | None) -> None:
    service = _privately(ctx)
    found = await service.kind(kind)
    badge = await service.request(ctx.user.id, found, note or "")
    ctx.reply(ctx.t("Your request for the badge {badge} is waiting for a verifier (request #{id}). You will be "
                    "told privately; the badge stays hidden until you choose to show it.",
                    badge=service.label(found), id=badge.id))


async def _own_badge(service: BadgesService, user_id: int, kind: str | None, *, shown: bool) -> Kind:
    """The kind named, or, when none is, the one verified badge that is not yet ``shown``."""
    if kind is not None:
        return await service.kind(kind)
    candidates = [r.kind for r in await service.held(user_id)
                  if r.badge.status is BadgeStatus.VERIFIED and r.badge.shown != shown]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        if shown:
            raise Refusal(N_("You have no hidden verified badge to show. Ask for one with {command}."),
                          command=Hint("requestbadge"))
        raise Refusal(N_("None of your badges is showing."))
    raise Refusal(N_("Which badge? {choices}"), usage=True,
                  choices=service.t(", ").join(service.word(k) for k in candidates))


@command("showbadge", aliases=("亮身份", "展示标识"), args=(Arg("kind", Text(32), optional=True, label=N_("badge")),),
         help=N_("Show your verified badge beside your name (亮身份)"))
async def show_badge(ctx: CommandContext, kind: str | None) -> None:
    service = _privately(ctx)
    found = await _own_badge(service, ctx.user.id, kind, shown=True)
    if not await service.set_shown(ctx.user.id, found, True):
        ctx.reply(ctx.t("Your badge {badge} already shows beside your name.", badge=service.label(found)))
        return
    ctx.reply(ctx.t("{user} now shows the badge {badge}.", user=await ctx.name(ctx.user.id),
                    badge=service.label(found)), private=False)  # the member's own choice, said where they made it


@command("hidebadge", aliases=("隐藏标识",), args=(Arg("kind", Text(32), optional=True, label=N_("badge")),),
         help=N_("Hide your badge again; it stays verified"))
async def hide_badge(ctx: CommandContext, kind: str | None) -> None:
    service = _privately(ctx)
    found = await _own_badge(service, ctx.user.id, kind, shown=False)
    await service.set_shown(ctx.user.id, found, False)
    ctx.reply(ctx.t("Your badge {badge} is hidden: nobody sees it beside your name, you see it in {command}.",
                    badge=service.label(found), command=await ctx.hint("whoami")))


# -- the verifier's side ---------------------------------------------------------------------------
@command("pendingbadges", aliases=("待审标识",), help=N_("Badge requests waiting for you to verify"))
async def pending_badges(ctx: CommandContext) -> None:
    t = ctx.t
    service = _privately(ctx)
    may = _may_verify(ctx)
    if not any(may(k) for k in await service.kinds()):
        raise Refusal(N_("Only an organizer, or someone with the role a badge names, can verify badges."))
    requests = await service.pending(may, ctx.user.id)
    if not requests:
        ctx.reply(t("No badge requests are waiting."))
        return
    names = await ctx.names(r.badge.user_id for r in requests)
    lines = [t("Badge requests waiting for a verifier:")]
    for r in requests:
        note = f" — {r.badge.note}" if r.badge.note else ""
        lines.append(f"#{r.badge.id} {names[r.badge.user_id]} {service.label(r.kind)}{note}")
    lines.append(t("Verify with {verify} <number>, or decline with {decline} <number> <reason>.",
                   verify=await ctx.hint("verifybadge"), decline=await ctx.hint("declinebadge")))
    buttons = [[Button(t("Verify #{id}", id=r.badge.id), f"/verifybadge {r.badge.id}"),
                Button(t("Decline #{id}", id=r.badge.id), f"/declinebadge {r.badge.id}")] for r in requests]
    await ctx.notify(ctx.user.id, "\n".join(lines), buttons=buttons, sensitive=True)


@command("verifybadge", aliases=("核验标识",), args=(REQUEST,), help=N_("Verify a badge request"))
async def verify_badge(ctx: CommandContext, request: int) -> None:
    t = ctx.t
    service = _privately(ctx)
    decided = await service.verify(request, ctx.user.id, _may_verify(ctx))
    badge, member = service.label(decided.kind), decided.badge.user_id
    await ctx.audit(target=member)  # whose badge: /audit @member shows who verified it
    ctx.reply(t("✅ Verified: {user} holds the badge {badge}. They are told privately and choose whether it "
                "shows.", user=await ctx.name(member), badge=badge))
    await ctx.notify(member, t("✅ Your badge {badge} is verified. It stays hidden until you choose: {show} shows "
                               "it beside your name, {hide} keeps it hidden.", badge=badge,
                               show=await ctx.hint("showbadge", service.word(decided.kind)),
                               hide=await ctx.hint("hidebadge", service.word(decided.kind))),
                     buttons=[[Button(t("Show it"), f"/showbadge {decided.kind.key}"),
                               Button(t("Keep it hidden"), f"/hidebadge {decided.kind.key}")]], sensitive=True)


@command("declinebadge", aliases=("驳回标识",),
         args=(DECLINED_REQUEST, Arg("reason", Rest(300), label=N_("reason"),
                            prompt=N_("Why is it declined? The member reads your reason."))),
         dialog=True, help=N_("Decline a badge request, with a reason the member reads"))
async def decline_badge(ctx: CommandContext, request: int, reason: str) -> None:
    t = ctx.t
    service = _privately(ctx)
    decided = await service.decline(request, ctx.user.id, reason, _may_verify(ctx))
    badge, member = service.label(decided.kind), decided.badge.user_id
    await ctx.audit(target=member)
    ctx.reply(t("Declined request #{id} of {user} for the badge {badge}; they are told privately, with your "
                "reason.", id=request, user=await ctx.name(member), badge=badge))
    await ctx.notify(member, t("Your request for the badge {badge} was declined: {reason}", badge=badge,
                               reason=reason.strip()), sensitive=True)


# -- organizers ------------------------------------------------------------------------------------
@command("revokebadge", aliases=("撤销标识",),
         args=(Arg("user", Mention(), label=N_("user")), KIND, Arg("reason", Rest(300), label=N_("reason"))),
         role=Role.ORGANIZER, help=N_("Revoke someone's verified badge, with a reason they read"))
async def revoke_badge(ctx: CommandContext, user: User, kind: str, reason: str) -> None:
    t = ctx.t
    service = _privately(ctx)
    await _refuse_outside_private(ctx, "revokebadge")
    found = await service.kind(kind)
    await service.revoke(user.id, found, ctx.user.id, reason)
    badge = service.label(found)
    ctx.reply(t("Revoked the badge {badge} of {user}: {reason}", badge=badge, user=await ctx.name(user.id),
                reason=reason.strip()))
    if user.id != ctx.user.id:
        await ctx.notify(user.id, t("Your badge {badge} was revoked: {reason}", badge=badge, reason=reason.strip()),
                         sensitive=True)


@command("badgelog", aliases=("标识记录",), args=(Arg("user", Mention(), label=N_("user")),), role=Role.ORGANIZER,
         help=N_("Every badge step about someone: who, when, why"))
async def badge_log(ctx: CommandContext, user: User) -> None:
    t = ctx.t
    service = _privately(ctx)
    entries = await service.log(user.id)
    if not entries:
        ctx.reply(t("The badge log has nothing about {user}.", user=await ctx.name(user.id)))
        return
    kinds = {k.key: k for k in await service.kinds()}
    names = await ctx.names([user.id, *(e.by_user_id for e in entries)])
    lines = [t("Badge log of {user}:", user=names[user.id])]
    for entry in entries:
        kind = kinds.get(entry.kind)
        text = t(ACTIONS.get(entry.action, entry.action), badge=service.label(kind) if kind else entry.kind,
                 by=names[entry.by_user_id])
        lines.append(f"{ctx.when(entry.at)} {text}" + (f": {entry.text}" if entry.text else ""))
    ctx.reply("\n".join(lines))


@command("badgereport", aliases=("标识报告",),
         args=(KIND, Arg("period", PERIOD_CHOICE, optional=True, label=N_("period"))), role=Role.ORGANIZER,
         help=N_("How many hold a badge, show it, and took part in claims or service"))
async def badge_report(ctx: CommandContext, kind: str, period: str | None) -> None:
    t = ctx.t
    service = _privately(ctx)
    found = await service.kind(kind)
    period = period or "month"
    report = await service.report(found, _period_start(ctx, period))
    ctx.reply("\n".join([
        t("Badge {badge}, {period}:", badge=service.label(found), period=t(PERIOD_LABELS[period])),
        t("Verified: {verified} · showing the badge: {shown} · took part in claims or service: {active}",
          verified=report.verified, shown=report.shown, active=report.took_part),
    ]))


def _period_start(ctx: CommandContext, period: str) -> datetime:
    """The start of this month, quarter or year, in the community's time."""
    today = ctx.local_day()
    month = {"month": today.month, "quarter": 3 * ((today.month - 1) // 3) + 1, "year": 1}[period]
    return datetime(today.year, month, 1, tzinfo=ctx.timezone)


@command("badgekinds", aliases=("标识种类",), help=N_("The badges of this community and who verifies them"))
async def badge_kinds(ctx: CommandContext) -> None:
    t = ctx.t
    service = _service(ctx)
    lines = [t("Badges in this community:")]
    for kind in await service.kinds():
        verifiers = [t(ROLE_NAMES[Role.ORGANIZER])]
        if kind.verifier_role not in (Role.ORGANIZER, Role.ADMIN):
            verifiers.append(t(ROLE_NAMES.get(kind.verifier_role, kind.verifier_role.value)))
        badge = service.label(kind)
        if service.word(kind) != t(kind.name):  # a name of two words is typed as its key ("party")
            badge = t("{badge} ({word})", badge=badge, word=service.word(kind))
        lines.append(t("{badge}, verified by: {verifiers}", badge=badge, verifiers=t(", ").join(verifiers)))
    lines.append(t("Ask for one with {command} <badge>.", command=await ctx.hint("requestbadge")))
    ctx.reply("\n".join(lines))


@command("addbadgekind", aliases=("新增标识种类",),
         args=(Arg("key", Text(32), label=N_("key")), Arg("emoji", Text(16), label=N_("emoji")),
               Arg("name", Text(32), label=N_("name")), Arg("role", ROLE_CHOICE, optional=True, label=N_("role"))),
         role=Role.ORGANIZER,
         help=N_("Add a kind of badge: a short key, its emoji, its name, and the role that verifies it besides "
                 "organizers"))
async def add_badge_kind(ctx: CommandContext, key: str, emoji: str, name: str, role: Role | None) -> None:
    service = _service(ctx)
    kind = await service.add_kind(ctx.user.id, key, emoji, name, role or Role.ORGANIZER)
    ctx.reply(ctx.t("New badge {badge}: members ask for it with {command}.", badge=service.label(kind),
                    command=await ctx.hint("requestbadge", kind.key)))


BADGE: Command = group(
    "badge",
    aliases=("标识",),
    help=N_("Verified badges beside names: 党员🚩, 楼栋长, 网格员 and the community's own"),
    subcommands=(
        sub(request_badge, "request", "申请"),
        sub(show_badge, "show", "展示", "亮身份"),
        sub(hide_badge, "hide", "隐藏"),
        sub(pending_badges, "pending", "待审"),
        sub(verify_badge, "verify", "核验", "通过"),
        sub(decline_badge, "decline", "驳回"),
        sub(revoke_badge, "revoke", "撤销"),
        sub(badge_log, "log", "记录"),
        sub(badge_report, "report", "报告"),
        sub(badge_kinds, "kinds", "种类"),
        sub(add_badge_kind, "addkind", "新增种类"),
    ),
)

COMMANDS = [BADGE, request_badge, show_badge, hide_badge, pending_badges, verify_badge, decline_badge,
            revoke_badge, badge_log, badge_report, badge_kinds, add_badge_kind]
