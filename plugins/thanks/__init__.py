"""Plugin ``thanks`` (感谢): residents thank a neighbour who helped, and the thanks earn a point.

Small on purpose: it is the reference for plugin authors (see "Anatomy of a plugin" in
``docs/architecture.md``). This module is the whole contribution in one screen: the manifest and the hooks.
The rule (one giver's thanks to one neighbour earn once a local day; nobody thanks themselves) is in
``service.py``, the chat handler in ``commands.py``, the domain event that earns points through the core
ledger in ``events.py``, the per-community setting in ``settings.py``, the Chinese strings in ``locales/``.
It imports nothing from linli but ``core.plugin``.

The plugin keeps no tables of its own: the points it awards live in the core ledger, which ``/mydata`` and
``/forgetme`` already cover, so it needs none of the personal-data hooks.
"""

from __future__ import annotations

from pathlib import Path

from core.plugin import Command, PluginManifest, hookimpl
from plugins.thanks.commands import thank
from plugins.thanks.service import PLUGIN
from plugins.thanks.settings import ThanksSettings


@hookimpl
def linli_manifest() -> PluginManifest:
    return PluginManifest(
        name=PLUGIN,
        title_zh="感谢",
        title_en="Thanks",
        version="0.2.0",
        description="Residents thank neighbours; each thanks is worth points.",
        settings_model=ThanksSettings,
        locales=Path(__file__).parent / "locales",
    )


@hookimpl
def linli_commands() -> list[Command]:
    return [thank]
