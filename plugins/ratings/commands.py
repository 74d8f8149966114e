"""Chat commands of the ratings plugin: arguments → :mod:`plugins.ratings.service` → a reply.

``/rate`` (``/评价``) asks step by step (the targets as buttons, numbered on the console) or takes
everything inline: ``/rate 物业公司 5 4 4 5 3 电梯修得快``. It works only in a private chat with the bot:
scores typed into a group would be read by everyone. Nothing it says back repeats the scores, and the
step-by-step dialog stores only the chosen target: the scores are its last answer and go straight in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.plugin import (
    N_,
    NP_,
    Arg,
    Choice,
    CommandContext,
    Date,
    Mention,
    Offer,
    Refusal,
    Rest,
    Role,
    Text,
    User,
    command,
    group,
    sub,
    when,
)
from plugins.ratings import service
from plugins.ratings.models import Period, PeriodKind, Result, Target
from plugins.ratings.speaker import default_title, opened, publication, result_lines

PRIVATE_ONLY = N_("Please rate in a private chat with me, so nobody in the group sees your scores: open a chat with "
                  "the bot and send /rate there.")
KIND = Choice({"quarterly": PeriodKind.QUARTERLY, "季度": PeriodKind.QUARTERLY, "季度考评": PeriodKind.QUARTERLY,
               "semiannual": PeriodKind.SEMIANNUAL, "半年": PeriodKind.SEMIANNUAL,
               "满意度": PeriodKind.SEMIANNUAL, "annual": PeriodKind.ANNUAL, "年度": PeriodKind.ANNUAL},
              shown=(N_("quarterly"), N_("semiannual"), N_("annual")))
TARGET_ACTION = Choice({"add": "add", "添加": "add", "remove": "remove", "删除": "remove", "link": "link",
                        "关联": "link", "list": "list", "列表": "list"},
                       shown=(N_("add"), N_("remove"), N_("link"), N_("list")))
SOURCE = Choice({"community": "community", "社区": "community", "third_party": "third_party",
                 "第三方": "third_party"}, shown=(N_("community"), N_("third_party")))
SO_FAR = NP_("{target}: {n} rating so far", "{target}: {n} ratings so far")


@dataclass(frozen=True)
class TargetChoice:
    """A rated target, by name or by its number in the list; a dialog offers them as buttons."""

    def placeholder(self, ctx_t: object, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> Target:
        return await service.target_named(ctx.community_id, raw)

    async def offer(self, ctx: CommandContext) -> Offer:
        _private(ctx)
        return Offer(options=tuple(t.name for t in await service.targets(ctx.community_id)))


@dataclass(frozen=True)
class Scores(Rest):
    """Stars per aspect, ``5 4 4 5 3`` (or ``54453``), then an optional comment: the rest of the line."""

    max_length: int = 500

    async def convert(self, raw: str, ctx: CommandContext) -> tuple[list[int], str | None]:  # type: ignore[override]
        await super().convert(raw, ctx)  # the length limit
        period = await service.open_period(ctx.community_id)
        if period is None:  # the handler says that no period is open
            return [], None
        wanted = len(period.dimensions)
        text = raw.translate(FULLWIDTH_DIGITS)
        scores: list[int] = []
        position = 0
        while position < len(text) and len(scores) < wanted:
            char = text[position]
            if char in SEPARATORS:
                position += 1
                continue
            if not char.isdigit():
                break
            if char not in "12345":
                raise Refusal(N_("Scores are 1 to 5 stars, one per aspect, such as 5 4 4 5 3."))
            scores.append(int(char))
            position += 1
        if len(scores) != wanted:
            raise Refusal(N_("{count} scores are needed, one per aspect: {dimensions}"),
                          count=wanted, dimensions=" ".join(period.dimensions))
        return scores, text[position:].strip() or None

    async def offer(self, ctx: CommandContext) -> Offer:
        _private(ctx)  # refused before the question: stars typed in a group are read by everyone
        period = await service.open_period(ctx.community_id)
        if period is None:
            return Offer()
        return Offer(lines=(ctx.t("In this order: {dimensions}", dimensions=" / ".join(period.dimensions)),
                            ctx.t("For example: {example}", example=" ".join("5" * len(period.dimensions)))))


FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
SEPARATORS = " ,，、\u3000"


def _private(ctx: CommandContext) -> None:
    if not ctx.event.channel.is_direct:
        raise Refusal(PRIVATE_ONLY)


@command("rate", aliases=("评价",), dialog=True, private_words=True,
         args=(Arg("target", TargetChoice(), label=N_("target"),
                   prompt=N_("What do you rate? Send its number or name.")),
               Arg("scores", Scores(), label=N_("scores and comment"),
                   prompt=N_("Your stars, 1 to 5 per aspect, and a comment after them if you like."))),
         help=N_("Rate the property services, anonymously (verified residents, in a private chat)"))
async def rate(ctx: CommandContext, target: Target, scores: tuple[list[int], str | None]) -> None:
    _private(ctx)
    # The thanks name no target: a message log (the outbox, the platform's history) then cannot tell
    # which target this person rated, let alone be lined up with a row by the moment it was stored.
    stars, comment = scores
    membership = ctx.membership
    rated = await service.rate(ctx, ctx.user.id, bool(membership and membership.verified_resident), target, stars,
                               comment)
    t = ctx.t
    if rated.households == 1:
        text = t("Thank you. Your household's rating in {period} is recorded, anonymously.",
                 period=rated.period.title)
    else:
        text = t("Thank you. It is recorded, anonymously, for each of your {n} households ({period}).",
                 n=rated.households, period=rated.period.title)
    sentences = [text]
    if rated.replaced:
        sentences.append(t("It replaces the earlier one."))
    sentences.append(t("Results are published when the period closes ({date}).", date=ctx.when(rated.period.closes_at)))
    ctx.reply((" " if t.language == "en" else "").join(sentences))


@command("ratingtarget", aliases=("评价对象",), role=Role.ORGANIZER,
         args=(Arg("action", TARGET_ACTION, optional=True, label=N_("action")),
               Arg("name", Text(64), optional=True, label=N_("name")),
               Arg("user", Mention(), optional=True, label=N_("property manager"))),
         help=N_("List, add or remove what residents rate, or link a property manager to it"))
async def rating_target(ctx: CommandContext, action: str | None, name: str | None, user: User | None) -> None:
    t = ctx.t
    if action in (None, "list") or name is None:
        listed = await service.targets(ctx.community_id)
        if not listed:
            ctx.reply(t("Nothing is rated here yet. Add the property company: {command}",
                        command=await ctx.hint("ratingtarget", t("add"), "物业公司")))
            return
        ctx.reply("\n".join([t("Rated here:"), *(f"{i}. {x.name}" for i, x in enumerate(listed, 1))]))
        return
    if action == "add":
        await service.add_target(ctx.community_id, name)
        ctx.reply(t("Residents can now rate {target}.", target=name))
    elif action == "remove":
        await service.remove_target(ctx.community_id, name)
        ctx.reply(t("{target} is no longer rated; its published results stay in the history.", target=name))
    else:
        if user is None:
            raise Refusal(N_("Whom? {command}"), command=await ctx.hint("ratingtarget", t("link"), name, "@name"))
        target = await service.target_named(ctx.community_id, name)
        if not await service.link_manager(target, user.id):
            raise Refusal(N_("{user} already answers for {target}."), user=await ctx.name(user.id), target=target.name)
        ctx.reply(t("{user} now answers for {target}: may reply to its results, may not rate it.",
                    user=await ctx.name(user.id), target=target.name))


@command("ratingopen", aliases=("开启评价",), role=Role.ORGANIZER,
         args=(Arg("kind", KIND, label=N_("kind")), Arg("end", Date(), label=N_("end date")),
               Arg("title", Rest(100), optional=True, label=N_("title"))),
         help=N_("Open a rating period: quarterly evaluation, semiannual survey or annual composite"))
async def rating_open(ctx: CommandContext, kind: PeriodKind, end: date, title: str | None) -> None:
    t = ctx.t
    period = await service.start_period(ctx, kind, when(end, ctx.timezone), title or default_title(ctx, kind, end))
    await ctx.announce(await opened(ctx, period, [x.name for x in await service.targets(ctx.community_id)]),
                       kind="results")
    if ctx.event.channel.is_direct:
        ctx.reply(t("{period} is open.", period=period.title))


@command("ratingclose", aliases=("结束评价",), role=Role.ORGANIZER,
         help=N_("Close the open rating period now and publish its results"))
async def rating_close(ctx: CommandContext) -> None:
    period = await service.open_period(ctx.community_id)
    if period is None:
        raise Refusal(N_("No rating period is open."))
    outcomes = await service.close(ctx, period)
    await ctx.announce(publication(ctx, period, [o.result for o in outcomes]), kind="results")
    if ctx.event.channel.is_direct:
        ctx.reply(ctx.t("{period} is closed.", period=period.title))


@command("ratingstatus", aliases=("评价进度",), help=N_("How many have rated so far (results stay sealed)"))
async def rating_status(ctx: CommandContext) -> None:
    t = ctx.t
    period = await service.open_period(ctx.community_id)
    if period is None:
        raise Refusal(N_("No rating period is open."))
    counts = await service.counts(period)
    lines = [t("{period}, open until {date}. Results are sealed until then; so far:", period=period.title,
               date=ctx.when(period.closes_at))]
    lines += [t.n(*SO_FAR, counts.get(x.id, 0), target=x.name) for x in await service.targets(ctx.community_id)]
    ctx.reply("\n".join(lines))


@command("ratingscore", aliases=("评价打分",), role=Role.ORGANIZER,
         args=(Arg("target", TargetChoice(), label=N_("target")), Arg("source", SOURCE, label=N_("source")),
               Arg("score", Text(8), label=N_("score")), Arg("note", Rest(300), label=N_("note"))),
         help=N_("Enter the community's or the third party's score (1–5) of the annual composite, with a note"))
async def rating_score(ctx: CommandContext, target: Target, source: str, score: str, note: str) -> None:
    try:
        value = float(score.replace("，", "."))
    except ValueError:
        value = 0.0
    if not 1 <= value <= 5:
        raise Refusal(N_("{value} is not a score from 1 to 5."), usage=True, value=score)
    period = await service.open_period(ctx.community_id)
    if period is None:
        raise Refusal(N_("No rating period is open."))
    await service.set_external(period, target, source, round(value, 2), note)
    ctx.reply(ctx.t("{source} score of {target} in {period}: {score} ({note}).", source=ctx.t(source),
                    target=target.name, period=period.title, score=f"{value:.2f}", note=note))


@command("ratingreply", aliases=("评价回复",), role=Role.PROPERTY_MANAGER,
         args=(Arg("target", TargetChoice(), label=N_("target")), Arg("text", Rest(500), label=N_("reply"))),
         help=N_("The property manager's one public reply to the latest result"))
async def rating_reply(ctx: CommandContext, target: Target, text: str) -> None:
    await service.post_reply(ctx.community_id, ctx.user.id, target, text)
    await ctx.announce(ctx.t("💬 Reply of {target} to its result: {reply}", target=target.name, reply=text),
                       kind="results")


@command("redblack", aliases=("红黑榜",), help=N_("The red and black list: latest results and their history"))
async def red_black(ctx: CommandContext) -> None:
    t = ctx.t
    history = await service.results(ctx.community_id)
    current = await service.open_period(ctx.community_id)
    lines: list[str] = []
    if current is not None:
        lines.append(t("{period} is open until {date}; its results are sealed until then ({command}).",
                       period=current.title, date=ctx.when(current.closes_at), command=await ctx.hint("ratingstatus")))
    if not history:
        lines.append(t("No results published yet."))
        ctx.reply("\n".join(lines))
        return
    latest, results = history[0]
    lines.append(t("Latest: {period}", period=latest.title))
    for result in results:
        lines += result_lines(ctx, latest, result, detail=False)
    if len(history) > 1:
        lines.append(t("History (oldest first):"))
        by_target: dict[str, list[str]] = {}
        for period, rows in reversed(history):
            for row in rows:
                score = row.composite["total"] if row.composite else row.overall
                by_target.setdefault(row.target.name, []).append(
                    f"{period.title} {'-' if score is None else f'{score:.2f}'}")
        for name, points in by_target.items():
            lines.append(f"• {name}: {' → '.join(points)}{_trend(history, name)}")
    ctx.reply("\n".join(lines))


def _trend(history: list[tuple[Period, list[Result]]], name: str) -> str:
    """↑ ↓ → from the period before to the latest (newest first in ``history``)."""
    scores = [r.composite["total"] if r.composite else r.overall for _, rows in history for r in rows
              if r.target.name == name]
    known = [s for s in scores if s is not None]
    if len(known) < 2:
        return ""
    newest, before = known[0], known[1]
    return " ↑" if newest > before else " ↓" if newest < before else " →"


rating = group("rating", aliases=("评价管理",), help=N_("Rating periods and targets (red and black list)"),
               subcommands=(sub(rating_target, "target", "对象"), sub(rating_open, "open", "开启"),
                            sub(rating_close, "close", "结束"), sub(rating_status, "status", "进度"),
                            sub(rating_score, "score", "打分"), sub(rating_reply, "reply", "回复")))

COMMANDS = [rate, rating, rating_target, rating_open, rating_close, rating_status, rating_score, rating_reply,
            red_black]
__all__ = ["COMMANDS"]
