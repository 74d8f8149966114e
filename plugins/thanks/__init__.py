"""Plugin ``thanks`` (感谢): residents thank a neighbour who helped, and the thanks earn a point.

Small on purpose: it is the reference for plugin authors, showing a command, a domain event that earns
points through the core ledger, a per-community setting and translations, each in its own module.
"""

from __future__ import annotations

from pathlib import Path

from core.plugin import Command, PluginManifest, hookimpl
from plugins.thanks.commands import thank
from plugins.thanks.settings import ThanksSettings


@hookimpl
def linli_manifest() -> PluginManifest:
    return PluginManifest(
        name="thanks",
        title_zh="感谢",
        title_en="Thanks",
        version="0.1.0",
        description="Residents thank neighbours; each thanks is worth points.",
        settings_model=ThanksSettings,
        locales=Path(__file__).parent / "locales",
    )


@hookimpl
def linli_commands() -> list[Command]:
    return [thank]
