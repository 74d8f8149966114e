"""Chat commands of the thanks plugin."""

from __future__ import annotations

from core.plugin import N_, Arg, CommandContext, Mention, Rest, User, command
from plugins.thanks.events import ThanksGiven
from plugins.thanks.settings import ThanksSettings


@command(
    "thanks",
    aliases=("感谢", "thank"),
    args=(Arg("user", Mention(), label=N_("user")), Arg("reason", Rest(200), optional=True, label=N_("reason"))),
    help=N_("Thank a neighbour who helped; it earns them points"),
)
async def thank(ctx: CommandContext, user: User, reason: str | None) -> None:
    t = ctx.t
    if user.id == ctx.user.id:
        ctx.reply(t("Thanking yourself does not count, but it is a nice thought."))
        return
    points = ctx.settings(ThanksSettings).points
    ctx.publish(ThanksGiven(
        community_id=ctx.community_id, source_plugin="thanks", giver_user_id=ctx.user.id,
        receiver_user_id=user.id, points=points, day=ctx.local_day().isoformat(),
    ))
    ctx.reply(t("{giver} thanks {receiver}!", giver=await ctx.name(ctx.user.id), receiver=await ctx.name(user.id)))

