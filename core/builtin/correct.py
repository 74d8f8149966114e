"""``/correct <kind> <ref…> <reason>`` (``/更正``): an organizer reverses a verification, an approval or an award.

The kinds come from the plugins (``linli_corrections``, :mod:`core.corrections`) plus the core's own
``points`` (one ledger entry). This module finds the kind, lets its owner find and mark the record, books
the opposite ledger entries, tells the person privately and completes the audit row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import corrections
from core.arguments import Arg, Int, Mention, Rest, Text, split_with_rests, unquote_phrase
from core.commands import Command, command
from core.context import CommandContext
from core.corrections import CORRECTED, Correction, Reversal
from core.i18n import N_, NP_
from core.permissions import Role
from core.points import PointsEntry
from core.refusal import Refusal

if TYPE_CHECKING:
    from core.app import Application

CORE = "core"
TAKEN_BACK = NP_("{n} point taken back.", "{n} points taken back.")
RETURNED = NP_("{n} point given back.", "{n} points given back.")
#: Two sentences in a row: a space between them in English, none in Chinese.
JOINED = N_("{first} {second}")
ENTRY_NUMBER = Int(minimum=1, maximum=10**15)


def kinds(app: Application, community_id: int) -> list[Correction]:
    """The corrections offered in a community: the core's, then those of the plugins enabled there."""
    found = [POINTS]
    for plugin, offered in app.plugins.collect("linli_corrections"):
        if plugin != CORE and app.plugins.is_enabled(community_id, plugin):
            found += [c if c.plugin else _owned(c, plugin) for c in offered]
    return found


def _owned(correction: Correction, plugin: str) -> Correction:
    from dataclasses import replace

    return replace(correction, plugin=plugin)


def usage_of(ctx: CommandContext, correction: Correction) -> str:
    own = ctx.host.translator(ctx.t.language, correction.plugin or CORE)
    name = next((a for a in correction.aliases if not a.isascii()), correction.kind) if ctx.t.language != "en" \
        else correction.kind
    refs = " ".join(f"<{own(ref)}>" for ref in correction.refs)
    return f"/{ctx.host.command_spelling('correct', ctx.t.language, False)} {name} {refs} <{ctx.t('reason')}>"


def commands(app: Application) -> list[Command]:
    @command("correct", aliases=("更正",), role=Role.ORGANIZER,
             args=(Arg("kind", Text(32), label=N_("kind")), Arg("rest", Rest(400), label=N_("record… reason"))),
             help=N_("Reverse a verification, an approval or an award, with a reason; the person is told privately"))
    async def correct(ctx: CommandContext, kind: str, rest: str) -> None:
        offered = kinds(app, ctx.community_id)
        chosen = next((c for c in offered if kind.lower() in (s.lower() for s in (c.kind, *c.aliases))), None)
        words, rests = split_with_rests(rest)
        reason_at = 0
        line = rest  # ``/更正 时长 3 -0.5 …``: a kind with a grammar of its own gets what follows its name
        if chosen is None and kind.lstrip("#＃").isdigit():  # ``/更正 3 -0.5 …``: the kind that takes bare numbers
            chosen = next((c for c in offered if c.bare), None)
            words, reason_at, line = [kind, *words], -1, f"{kind} {rest}"
        if chosen is not None and chosen.run_bare is not None:
            core_t = ctx.t
            ctx.plugin, ctx.t = chosen.plugin, ctx.host.translator(core_t.language, chosen.plugin)
            await chosen.run_bare(ctx, line)
            await ctx.audit("correct", kind=chosen.kind)  # the owner said whose record and why
            ctx.plugin, ctx.t = CORE, core_t
            return
        if chosen is None:
            raise Refusal(N_("I cannot correct {value}. What I can correct here: {kinds}"), usage=True, value=kind,
                          kinds="; ".join(usage_of(ctx, c) for c in offered))
        needed = len(chosen.refs)
        given = needed + reason_at
        reason = unquote_phrase(rests[given]).strip() if 0 <= given < len(rests) else ""
        if len(words) <= needed or not reason:
            raise Refusal(N_("A correction needs the record and a reason: {line}"), line=usage_of(ctx, chosen))
        # The owner's refusals are answered in its language (which falls back to the core's), so the
        # plugin's translator stays in place if it refuses.
        core_t = ctx.t
        ctx.plugin, ctx.t = chosen.plugin or CORE, ctx.host.translator(core_t.language, chosen.plugin or CORE)
        reversal = await chosen.reverse(ctx, words[:needed], reason)
        await corrections.mark(ctx.community_id, chosen, reversal, ctx.user.id, reason, ctx.now())
        taken = await corrections.book_opposites(ctx.community_id, reversal.source_keys, reason, ctx.now(),
                                                    app.timezone)
        told = await ctx.render(reversal.notice, reversal.values)
        summary = await ctx.render(reversal.summary or reversal.notice, reversal.values)
        await ctx.audit("correct", target=reversal.user_id, reason=reason, kind=chosen.kind,
                        record=reversal.record, points=-taken)
        ctx.plugin, ctx.t = CORE, core_t
        t = ctx.t
        if taken:
            points = t.n(*(TAKEN_BACK if taken > 0 else RETURNED), abs(taken))
            told, summary = t(JOINED, first=told, second=points), t(JOINED, first=summary, second=points)
        notice = t("A correction by an organizer: {what} Reason: {reason}", what=told, reason=reason)
        await ctx.notify(reversal.user_id, notice, sensitive=True)
        ctx.reply(t(JOINED, first=t("Corrected: {what}", what=summary),
                    second=t("{user} is told privately.", user=await ctx.name(reversal.user_id))))

    return [correct]


async def _reverse_entry(ctx: CommandContext, words: list[str], reason: str) -> Reversal:
    """The core's own kind: one ledger entry, by its number; ``@name`` lists the person's latest ones."""
    raw = words[0]
    if raw.startswith(("@", "＠")):
        user = await Mention().convert(raw, ctx)
        entries = await PointsEntry.filter(community_id=ctx.community_id, user_id=user.id).order_by("-id").limit(10)
        lines = [f"#{e.id} {e.delta:+d} {e.reason} ({ctx.when(e.created_at)})" for e in entries]
        raise Refusal(N_("Which entry of {user}? {entries}"), user=await ctx.name(user.id),
                      entries="; ".join(lines) or ctx.t("No points yet."))
    number = await ENTRY_NUMBER.convert(raw.lstrip("#＃"), ctx)
    entry = await PointsEntry.get_or_none(id=number, community_id=ctx.community_id)
    if entry is None:
        raise Refusal(N_("There is no ledger entry #{id} here."), id=number)
    if entry.source_key.startswith(CORRECTED):
        raise Refusal(N_("Entry #{id} is a correction itself; it cannot be corrected."), id=number)
    if await PointsEntry.exists(community_id=ctx.community_id, source_key=(CORRECTED + entry.source_key)[:191]):
        raise Refusal(N_("Entry #{id} was already corrected."), id=number)
    return Reversal(record=f"entry {entry.id}", user_id=entry.user_id,
                    notice=N_("the {points} points of entry #{id} ({what}) are taken back."),
                    values={"points": entry.delta, "id": entry.id, "what": entry.reason},
                    source_keys=(entry.source_key,))


POINTS = Correction(kind="points", aliases=("积分",), refs=(N_("entry"),), plugin=CORE,
                    help=N_("a points entry, by its number (@name lists them)"), reverse=_reverse_entry)
