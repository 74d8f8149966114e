"""Core commands /help and /cancel."""

from __future__ import annotations

from core.arguments import Arg, Text
from core.commands import command
from core.context import CommandContext
from core.i18n import N_


@command("help", aliases=("帮助",), args=(Arg("command", Text(64), optional=True, label=N_("command")),),
         needs_community=False, help=N_("What I can do for you here"))
async def help_(ctx: CommandContext, command: str | None) -> None:
    t = ctx.t
    router = ctx.app.router
    if command:
        cmd = router.table.find(command.lstrip("/／"))
        if cmd is None or not router.visible(cmd, ctx):
            ctx.reply(t("Unknown command /{name}. Send /help to see what I can do.", name=command.lstrip("/")))
            return
        own = ctx.app.translator(t.language, cmd.plugin)
        ctx.reply(f"{cmd.title(own)}: {own(cmd.help)}\n" + t("Usage: {usage}", usage=cmd.usage(own)))
        return
    lines = [t("Commands you can use here:")]
    for cmd in (c for c in router.table.commands if router.visible(c, ctx)):
        own = ctx.app.translator(t.language, cmd.plugin)
        lines.append(f"{cmd.title(own)} {' '.join(a.usage(own) for a in cmd.args)}".rstrip() + f" — {own(cmd.help)}")
    if ctx.community is None:
        lines.append(t("This chat is not set up yet. A chat admin can start with /setup <community name>."))
    ctx.reply("\n".join(lines))


@command("cancel", aliases=("取消",), needs_community=False, help=N_("Stop a step-by-step command"))
async def cancel(ctx: CommandContext) -> None:
    stopped = await ctx.app.dialogs.cancel(ctx)
    ctx.reply(ctx.t("Stopped.") if stopped else ctx.t("There is nothing to stop."))


COMMANDS = [help_, cancel]
