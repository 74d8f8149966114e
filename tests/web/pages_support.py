"""Loading a board page the way the frame does, for unit tests of pages' ``load``: the frame's own
:class:`core.web.scope.BoardScope` for a community of a running harness, in a language, with a query."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.identity import Community
from core.testing import Harness
from core.web.pages import WebPage
from core.web.scope import BoardScope


def pages_of(h: Harness) -> dict[str, tuple[str, WebPage]]:
    """Every page the application offers, by name, with its provider (``core`` for the core's)."""
    return {page.name: (plugin, page) for plugin, pages in h.app.plugins.collect("linli_web_pages") for page in pages}


def scope_for(h: Harness, community: Community, plugin: str, *, language: str = "zh_CN",
              query: Mapping[str, str] | None = None) -> BoardScope:
    """The scope the board builds for a request to one of ``plugin``'s pages (see ``core.web.board``)."""
    app = h.app
    manifest = app.plugins.manifests.get(plugin)
    model = manifest.settings_model if manifest is not None else None

    def settings() -> Any:
        return app.plugin_settings(plugin, model, community.id) if model is not None else None

    return BoardScope(community.id, community.name, community.slug or "", language,
                      app.now().astimezone(app.timezone), dict(query or {}), app.translator(language, plugin),
                      None, app.render_names, settings)


async def load_page(h: Harness, name: str, *, language: str = "zh_CN", query: Mapping[str, str] | None = None,
                    community: str = "观梅社区") -> Mapping[str, Any]:
    """What page ``name`` of ``community``'s board hands its template, read as a visitor would see it now."""
    plugin, page = pages_of(h)[name]
    row = await Community.get(name=community)
    return await page.load(scope_for(h, row, plugin, language=language, query=query))
