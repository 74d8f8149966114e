"""Plugin management from the command line (``linli plugins …``), through the same manager as /enable."""

from __future__ import annotations

from core import audit
from core.app import Application
from core.config import ConfigError, Settings
from core.events import PluginToggled
from core.identity import Community
from core.refusal import Refusal
from core.storage import close_database, open_database
from core.unit_of_work import UnitOfWork


async def _community(name: str) -> Community:
    community = await Community.get_or_none(name=name)
    if community is None:
        known = ", ".join(await Community.all().values_list("name", flat=True)) or "none yet"  # type: ignore[arg-type]
        raise ConfigError(f"no community called {name!r} (known: {known})")
    return community


async def list_plugins(settings: Settings, community_name: str | None) -> list[str]:
    app = Application(settings)
    await open_database(settings.database.url, app.plugins.model_modules())
    try:
        await app.plugins.load_state()
        community = await _community(community_name) if community_name else None
        lines = []
        for manifest in app.plugins.iter_manifests():
            state = ""
            if community is not None:
                state = "  on" if app.plugins.is_enabled(community.id, manifest.name) else "  off"
                if app.plugins.is_new(community.id, manifest.name):
                    state = f"  off (new since the community began: linli plugins enable {manifest.name})"
            else:
                state = "  default on" if app.plugins.default_enabled(manifest.name) else "  default off"
            requires = f"  requires {', '.join(manifest.requires)}" if manifest.requires else ""
            lines.append(f"{manifest.name:<14} {manifest.version:<8} {manifest.title_zh} / {manifest.title_en}"
                         f"{state}{requires}")
        return lines
    finally:
        await close_database()


async def set_plugin(settings: Settings, community_name: str, plugin: str, enabled: bool) -> str:
    app = Application(settings)
    await open_database(settings.database.url, app.plugins.model_modules())
    try:
        await app.plugins.load_state()
        community = await _community(community_name)
        if plugin not in app.plugins.names:  # the chat's wording ("Send /plugins") would not help here
            raise ConfigError(f"there is no plugin called {plugin!r} (installed: {', '.join(app.plugins.names)}); "
                              "`linli plugins list` shows them")

        async def toggle(uow: UnitOfWork) -> bool:
            changed = await app.plugins.set_enabled(community.id, plugin, enabled, uow)
            if changed:
                uow.publish(PluginToggled(community_id=community.id, plugin=plugin, enabled=enabled))
                await audit.record(community_id=community.id, plugin="core", action="enable" if enabled else "disable",
                                   by_operator=True, target=plugin, at=uow.now)
            return changed

        try:
            changed = await app.bus.run_in_transaction(toggle)
        except Refusal as refusal:
            raise ConfigError(refusal.message.format(**refusal.values)) from None
        state = "enabled" if enabled else "disabled"
        return f"{plugin} {state} in {community_name}" + ("" if changed else " (no change)")
    finally:
        await close_database()
