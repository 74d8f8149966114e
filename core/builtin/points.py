"""The points ledger in chat: /points, /top, and the subscriber that books what domain events earn."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import TYPE_CHECKING

from core.arguments import Arg, Choice, Mention
from core.commands import Command, command
from core.context import CommandContext
from core.events import AwardingEvent, PointsBooked
from core.i18n import N_, NP_
from core.identity import User
from core.points import award, balance_of, leaderboard, period_start
from core.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from core.app import Application

PERIOD_CHOICE = Choice(
    {"week": "week", "本周": "week", "周": "week", "month": "month", "本月": "month", "月": "month",
     "quarter": "quarter", "本季度": "quarter", "季度": "quarter", "year": "year", "今年": "year", "年": "year",
     "all": "all", "全部": "all", "总": "all"},
    shown=(N_("week"), N_("month"), N_("quarter"), N_("year"), N_("all")),
)
PERIOD_LABELS = {"week": N_("this week"), "month": N_("this month"), "quarter": N_("this quarter"),
                 "year": N_("this year"), "all": N_("all time")}
HAS_POINTS = NP_("{user} has {n} point.", "{user} has {n} points.")


def commands(app: Application) -> list[Command]:
    @command("points", aliases=("积分",), args=(Arg("user", Mention(), optional=True, label=N_("user")),),
             help=N_("Show your points, or someone else's"))
    async def points(ctx: CommandContext, user: User | None) -> None:
        target = user or ctx.user
        balance = await balance_of(ctx.community_id, target.id)
        ctx.reply(ctx.t.n(*HAS_POINTS, balance, user=await ctx.name(target.id)))

    @command("top", aliases=("排行", "排行榜"), args=(Arg("period", PERIOD_CHOICE, optional=True, label=N_("period")),),
             help=N_("The points ranking of this community"))
    async def top(ctx: CommandContext, period: str | None) -> None:
        t = ctx.t
        period = period or "all"
        since = period_start(period, ctx.now(), app.settings.timezone)
        rows = await leaderboard(ctx.community_id, since, limit=10, period=period)
        heading = t("Points ranking, {period}:", period=t(PERIOD_LABELS[period]))
        if not rows:
            ctx.reply(heading + "\n" + t("No points yet."))
            return
        names = await ctx.names([user_id for user_id, _ in rows])
        lines = [heading, *(f"{rank}. {names[uid]} {total}" for rank, (uid, total) in enumerate(rows, start=1))]
        ctx.reply("\n".join(lines))

    return [points, top]


def awards_booker(zone: tzinfo) -> Callable[[AwardingEvent, UnitOfWork], Awaitable[None]]:
    """The subscriber that books what a domain event earns, in the calendar of ``zone`` (the application's)."""

    async def book_awards(event: AwardingEvent, uow: UnitOfWork) -> None:
        """A source key seen before books nothing (idempotent)."""
        for item in event.awards():
            booking = await award(event.community_id, item.user_id, item.delta, item.reason, event.source_plugin,
                                  item.source_key, at=uow.now, zone=zone)
            if booking.booked:
                uow.publish(PointsBooked(community_id=event.community_id, user_id=item.user_id, delta=item.delta,
                                         reason=item.reason, source_key=item.source_key, balance=booking.balance))

    return book_awards
