"""Chat commands of the thanks plugin: arguments in, :mod:`plugins.thanks.service` does it, a reply out."""

from __future__ import annotations

from core.plugin import N_, Arg, CommandContext, Mention, Rest, User, command
from plugins.thanks.service import give_thanks


@command(
    "thanks",
    aliases=("感谢", "thank"),
    args=(Arg("user", Mention(), label=N_("user")), Arg("reason", Rest(200), optional=True, label=N_("reason"))),
    help=N_("Thank a neighbour who helped; it earns them points"),
)
async def thank(ctx: CommandContext, user: User, reason: str | None) -> None:
    # ``reason`` is for the people in the chat, who read it in the command itself; it is not stored.
    earned_already = await give_thanks(ctx, ctx.user.id, user.id)
    names = await ctx.names([ctx.user.id, user.id])
    giver, receiver = names[ctx.user.id], names[user.id]
    if earned_already:
        ctx.reply(ctx.t("{giver} thanks {receiver}! Your thanks earned {receiver} points today already, so this "
                        "one earns nothing more.", giver=giver, receiver=receiver))
    else:
        ctx.reply(ctx.t("{giver} thanks {receiver}!", giver=giver, receiver=receiver))
