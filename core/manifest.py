"""What a plugin says about itself: its manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel


@dataclass(frozen=True)
class PluginManifest:
    """A plugin's identity and needs.

    ``models`` are module paths holding the plugin's Tortoise models; they become a Tortoise app labelled
    ``name`` with its own migrations under ``migrations/<name>/`` (or ``migrations_module``).
    ``requires`` names plugins that must be enabled in a community before this one may be.
    """

    name: str
    title_zh: str
    title_en: str
    version: str
    description: str = ""
    requires: tuple[str, ...] = ()
    settings_model: type[BaseModel] | None = None
    models: tuple[str, ...] = ()
    migrations_module: str | None = None
    locales: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_zh
