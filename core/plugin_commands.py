"""Core commands that manage plugins per community. Core-owned, so they stay available whatever is off."""

from __future__ import annotations

from core.arguments import Arg, Text
from core.commands import command
from core.context import CommandContext
from core.events import PluginToggled
from core.i18n import N_
from core.permissions import Role
from core.plugins import PluginError


@command("plugins", aliases=("插件",), help=N_("List the plugins and whether they are on here"))
async def list_plugins(ctx: CommandContext) -> None:
    t = ctx.t
    manager = ctx.app.plugins
    lines = [t("Plugins in {community}:", community=ctx.community.name if ctx.community else "")]
    for manifest in manager.iter_manifests():
        state = t("on") if manager.is_enabled(ctx.community_id, manifest.name) else t("off")
        lines.append(f"• {manifest.name} ({manifest.title(t.language)}): {state}")
    if len(lines) == 1:
        lines.append(t("(no plugins installed)"))
    ctx.reply("\n".join(lines))


async def _toggle(ctx: CommandContext, name: str, enabled: bool) -> None:
    t = ctx.t
    manager = ctx.app.plugins
    try:
        changed = await manager.set_enabled(ctx.community_id, name, enabled)
    except PluginError as error:
        ctx.reply(t(error.message, **error.values))
        return
    title = manager.manifests[name].title(t.language)
    if not changed:
        ctx.reply(t("{plugin} is already on.", plugin=title) if enabled else t("{plugin} is already off.",
                                                                              plugin=title))
        return
    ctx.publish(PluginToggled(community_id=ctx.community_id, plugin=name, enabled=enabled, by_user_id=ctx.user.id))
    if enabled:
        ctx.reply(t("{plugin} is now on in this community.", plugin=title))
    else:
        ctx.reply(t("{plugin} is now off in this community. Its data is kept; /enable {name} brings it back.",
                    plugin=title, name=name))


@command("enable", aliases=("启用",), args=(Arg("plugin", Text(64), label=N_("plugin")),), role=Role.ORGANIZER,
         help=N_("Switch a plugin on in this community"))
async def enable(ctx: CommandContext, plugin: str) -> None:
    await _toggle(ctx, plugin, True)


@command("disable", aliases=("停用",), args=(Arg("plugin", Text(64), label=N_("plugin")),), role=Role.ORGANIZER,
         help=N_("Switch a plugin off in this community (its data is kept)"))
async def disable(ctx: CommandContext, plugin: str) -> None:
    await _toggle(ctx, plugin, False)


COMMANDS = [list_plugins, enable, disable]
