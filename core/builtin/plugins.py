"""Plugins per community: /plugins, /enable, /disable, /config. Core-owned, so they stay available whatever
is off."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from core.arguments import Arg, Rest, Text
from core.commands import Command, command
from core.context import CommandContext
from core.events import PluginToggled
from core.i18n import N_, Translator
from core.permissions import Role
from core.refusal import Refusal

if TYPE_CHECKING:
    from core.app import Application

NO_SUCH_PLUGIN = N_("There is no plugin called {name}. Send /plugins to see them.")
#: pydantic's error types, as short sentences people can act on.
VALIDATION_MESSAGES = {
    "int_parsing": N_("{value} is not a whole number"),
    "int_from_float": N_("{value} is not a whole number"),
    "float_parsing": N_("{value} is not a number"),
    "bool_parsing": N_("{value} is not yes or no"),
    "greater_than_equal": N_("{value} is too small (at least {limit})"),
    "greater_than": N_("{value} is too small (more than {limit})"),
    "less_than_equal": N_("{value} is too large (at most {limit})"),
    "less_than": N_("{value} is too large (less than {limit})"),
    "string_too_long": N_("that text is too long (at most {limit} characters)"),
    "string_too_short": N_("that text is too short (at least {limit} characters)"),
    "literal_error": N_("{value} is not one of: {limit}"),
    "enum": N_("{value} is not one of: {limit}"),
}


def describe_invalid(t: Translator, error: Any, value: str, key: str) -> str:
    """One pydantic error as a short sentence in the reader's language."""
    context = error.get("ctx") or {}
    limit = next((context[k] for k in ("ge", "gt", "le", "lt", "max_length", "min_length", "expected")
                  if k in context), "")
    message = VALIDATION_MESSAGES.get(error["type"])
    if message is None:
        return t("{value} is not a valid value for {key}.", value=value, key=key)
    return t(message, value=value, limit=limit)


def commands(app: Application) -> list[Command]:
    manager = app.plugins

    def manifest_of(ctx: CommandContext, name: str) -> Any:
        manifest = manager.manifests.get(name)
        if manifest is None or name == "core":
            raise Refusal(NO_SUCH_PLUGIN, name=name)
        return manifest

    @command("plugins", aliases=("插件",), needs_person=False, help=N_("List the plugins and whether they are on here"))
    async def list_plugins(ctx: CommandContext) -> None:
        t = ctx.t
        lines = [t("Plugins in {community}:", community=ctx.community.name if ctx.community else "")]
        for manifest in manager.iter_manifests():
            state = t("on") if manager.is_enabled(ctx.community_id, manifest.name) else t("off")
            if manager.is_new(ctx.community_id, manifest.name):  # added since this community began
                state = t("new, off until an organizer sends /enable {name}", name=manifest.name)
            lines.append(f"• {manifest.name} ({manifest.title(t.language)}): {state}")
        if len(lines) == 1:
            lines.append(t("(no plugins installed)"))
        ctx.reply("\n".join(lines))

    async def toggle(ctx: CommandContext, name: str, enabled: bool) -> None:
        t = ctx.t
        changed = await manager.set_enabled(ctx.community_id, name, enabled, ctx.uow)
        title = manager.manifests[name].title(t.language)
        if not changed:
            raise Refusal(N_("{plugin} is already on.") if enabled else N_("{plugin} is already off."), plugin=title)
        ctx.publish(PluginToggled(community_id=ctx.community_id, plugin=name, enabled=enabled,
                                  by_user_id=ctx.user.id))
        if enabled:
            ctx.reply(t("{plugin} is now on in this community.", plugin=title))
        else:
            ctx.reply(t("{plugin} is now off in this community. Its data is kept; /enable {name} brings it back.",
                        plugin=title, name=name))

    plugin_arg = Arg("plugin", Text(64), label=N_("plugin"))

    @command("enable", aliases=("启用",), args=(plugin_arg,), role=Role.ORGANIZER, needs_person=False,
             help=N_("Switch a plugin on in this community"))
    async def enable(ctx: CommandContext, plugin: str) -> None:
        await toggle(ctx, plugin, True)

    @command("disable", aliases=("停用",), args=(plugin_arg,), role=Role.ORGANIZER, needs_person=False,
             help=N_("Switch a plugin off in this community (its data is kept)"))
    async def disable(ctx: CommandContext, plugin: str) -> None:
        await toggle(ctx, plugin, False)

    @command(
        "config",
        aliases=("配置",),
        args=(plugin_arg, Arg("key", Text(64), optional=True, label=N_("setting")),
              Arg("value", Rest(200), optional=True, label=N_("value"))),
        role=Role.ORGANIZER,
        help=N_("Show or change a plugin's settings for this community"),
    )
    async def config(ctx: CommandContext, plugin: str, key: str | None, value: str | None) -> None:
        t = ctx.t
        manifest = manifest_of(ctx, plugin)
        model: type[BaseModel] | None = manifest.settings_model
        if model is None:
            raise Refusal(N_("{plugin} has no settings."), plugin=manifest.title(t.language))
        current = app.plugin_settings(plugin, model, ctx.community_id)
        own = app.translator(t.language, plugin)  # descriptions are the plugin's strings (marked with N_)

        def line(name: str) -> str:
            field = model.model_fields[name]
            return f"{name} = {_shown(t, getattr(current, name))}" + (
                f" — {own(field.description)}" if field.description else "")

        if key is not None and value is None and key in model.model_fields:
            ctx.reply(line(key) + "\n" + t("Usage: {usage}", usage=f"/config {plugin} {key} <{t('value')}>"))
            return
        if key is None or value is None:
            lines = [t("Settings of {plugin}:", plugin=manifest.title(t.language))]
            lines += [f"• {line(name)}" for name in model.model_fields]
            lines.append(t("Usage: {usage}", usage=f"/config {plugin} <{t('setting')}> <{t('value')}>"))
            ctx.reply("\n".join(lines))
            return
        if key not in model.model_fields:
            raise Refusal(N_("{plugin} has no setting called {key}. Settings: {keys}"),
                          plugin=manifest.title(t.language), key=key, keys=", ".join(model.model_fields))
        overrides = {**manager.overrides(ctx.community_id, plugin), key: _parse_value(value)}
        try:
            model.model_validate({**app.settings.plugin.get(plugin, {}), **overrides})
        except ValidationError as exc:
            problem = describe_invalid(t, exc.errors()[0], value, key)
            raise Refusal(N_("Not changed: {problem}."), problem=problem.rstrip("。."), usage=False) from None
        await manager.set_overrides(ctx.community_id, plugin, overrides, ctx.uow)
        ctx.reply(t("{plugin}: {key} is now {value}.", plugin=manifest.title(t.language), key=key, value=value))

    return [list_plugins, enable, disable, config]


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

