"""Core commands that manage plugins per community. Core-owned, so they stay available whatever is off."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from core.arguments import Arg, Rest, Text
from core.commands import command
from core.context import CommandContext
from core.events import PluginToggled
from core.i18n import N_, Translator
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
        changed = await manager.set_enabled(ctx.community_id, name, enabled, ctx.uow)
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



@command(
    "config",
    aliases=("配置",),
    args=(Arg("plugin", Text(64), label=N_("plugin")), Arg("key", Text(64), optional=True, label=N_("setting")),
          Arg("value", Rest(200), optional=True, label=N_("value"))),
    role=Role.ORGANIZER,
    help=N_("Show or change a plugin's settings for this community"),
)
async def config(ctx: CommandContext, plugin: str, key: str | None, value: str | None) -> None:
    t = ctx.t
    manager = ctx.app.plugins
    manifest = manager.manifests.get(plugin)
    if manifest is None or plugin == "core":
        ctx.reply(t("There is no plugin called {name}. Send /plugins to see them.", name=plugin))
        return
    model = manifest.settings_model
    if model is None:
        ctx.reply(t("{plugin} has no settings.", plugin=manifest.title(t.language)))
        return
    current = ctx.app.plugin_settings(plugin, model, ctx.community_id)
    own = ctx.app.translator(t.language, plugin)  # descriptions are the plugin's strings (marked with N_)
    if key is not None and value is None and key in model.model_fields:
        field = model.model_fields[key]
        ctx.reply(f"{key} = {_shown(t, getattr(current, key))}" + (f" — {own(field.description)}"
                                                                  if field.description else "")
                  + "\n" + t("Usage: {usage}", usage=f"/config {plugin} {key} <{t('value')}>"))
        return
    if key is None or value is None:
        lines = [t("Settings of {plugin}:", plugin=manifest.title(t.language))]
        for name, field in model.model_fields.items():
            lines.append(f"• {name} = {_shown(t, getattr(current, name))}"
                         + (f" — {own(field.description)}" if field.description else ""))
        lines.append(t("Usage: {usage}", usage=f"/config {plugin} <{t('setting')}> <{t('value')}>"))
        ctx.reply("\n".join(lines))
        return
    if key not in model.model_fields:
        ctx.reply(t("{plugin} has no setting called {key}.", plugin=manifest.title(t.language), key=key)
                  + "\n" + t("Usage: {usage}", usage="/config " + plugin + " <" + "|".join(model.model_fields) + "> …"))
        return
    overrides = {**manager.overrides(ctx.community_id, plugin), key: _parse_value(value)}
    try:
        model.model_validate({**ctx.app.settings.plugin.get(plugin, {}), **overrides})
    except ValidationError as exc:
        ctx.reply(t("{value} is not a valid value for {key}: {problem}", value=value, key=key,
                    problem=exc.errors()[0]["msg"]))
        return
    await manager.set_overrides(ctx.community_id, plugin, overrides, ctx.uow)
    ctx.reply(t("{plugin}: {key} is now {value}.", plugin=manifest.title(t.language), key=key, value=value))


def _shown(t: Translator, value: Any) -> str:
    """A setting's value as people type it: 是/否 for switches, plain text otherwise."""
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value.value if hasattr(value, "value") else value)


def _parse_value(raw: str) -> Any:
    """Accept what people type: numbers, true/false, 是/否, or text."""
    lowered = raw.strip().lower()
    if lowered in ("true", "yes", "on", "是", "开"):
        return True
    if lowered in ("false", "no", "off", "否", "关"):
        return False
    try:
        return json.loads(raw)
    except ValueError:
        return raw


COMMANDS = [list_plugins, enable, disable, config]
