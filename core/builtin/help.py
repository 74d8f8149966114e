"""/help and /cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.arguments import Arg, Rest
from core.commands import Command, command
from core.context import CommandContext
from core.i18n import N_
from core.refusal import Refusal

if TYPE_CHECKING:
    from core.app import Application


def commands(app: Application) -> list[Command]:
    router = app.router

    @command("help", aliases=("帮助",), args=(Arg("command", Rest(64), optional=True, label=N_("command")),),
             needs_community=False, needs_person=False, help=N_("What I can do for you here"))
    async def help_(ctx: CommandContext, command: str | None) -> None:
        t = ctx.t
        latin_only = await ctx.latin_commands_only()  # Telegram in privacy mode: no /帮助 in the listing
        if command:
            name, *subwords = command.lstrip("/／").split()
            cmd = router.table.find(name)
            for word in subwords:  # /help project new
                cmd = cmd.subcommand(word) if cmd is not None else None
            if cmd is None or not router.visible(cmd, ctx):
                raise Refusal(N_("Unknown command /{name}. Send /help to see what I can do."),
                              name=" ".join([name, *subwords]))
            own = app.translator(t.language, cmd.plugin)
            lines = [f"{cmd.title(own, latin_only=latin_only)}: {own(cmd.help)}",
                     t("Usage: {usage}", usage=cmd.usage(own))]
            for sub in cmd.subcommands:
                if router.visible(sub, ctx):
                    lines.append(f"• {sub.usage(own)} — {own(sub.help)}")
            ctx.reply("\n".join(lines))
            return
        lines = [t("Commands you can use here:")]
        for cmd in (c for c in router.table.commands if router.visible(c, ctx)):
            own = app.translator(t.language, cmd.plugin)
            typed = " ".join(a.usage(own) for a in cmd.args if not a.dialog_only)
            lines.append(f"{cmd.title(own, latin_only=latin_only)} {typed}".rstrip() + f" — {own(cmd.help)}")
        if ctx.community is None:
            lines.append(t("This chat is not set up yet. A chat admin can start with /setup <community name>."))
        ctx.reply("\n".join(lines))

    @command("cancel", aliases=("取消",), needs_community=False, help=N_("Stop a step-by-step command"))
    async def cancel(ctx: CommandContext) -> None:
        stopped = await router.dialogs.cancel(ctx.event)
        ctx.reply(ctx.t("Stopped.") if stopped else ctx.t("There is nothing to stop."))

    return [help_, cancel]
