"""The :class:`core.web.pages.WebScope` the board hands a page: one community, one request, one language.

Built by the frame for every request from the application's services, so a page's code never holds the
application (nor ``request.app``): it gets names with only the badges people chose to show, its own
translations with the core's as fallback, and its plugin's settings for this community.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from core.i18n import Translator


def board_path(slug: str, name: str = "", query: Mapping[str, str] | None = None) -> str:
    """``/c/<slug>/`` or ``/c/<slug>/<name>/``, with a query string when there is one."""
    path = f"/c/{slug}/" + (f"{name.strip('/')}/" if name else "")
    return path + (f"?{urlencode(dict(query))}" if query else "")


@dataclass
class BoardScope:
    """What a page may use (implements :class:`core.web.pages.WebScope`)."""

    community_id: int
    community_name: str
    slug: str
    language: str
    now: datetime
    query: Mapping[str, str]
    translator: Translator = field(repr=False)
    #: ``?lang=`` as the reader chose it, kept in the links between pages (None: negotiated, not kept).
    chosen_language: str | None = None
    _names: Callable[[int, list[int]], Awaitable[dict[int, str]]] = field(default=None, repr=False)  # type: ignore[assignment]
    _settings: Callable[[], Any] = field(default=lambda: None, repr=False)

    def _(self, msgid: str, **kwargs: Any) -> str:
        return self.translator.t(msgid, **kwargs)

    def n_(self, singular: str, plural: str, n: int, **kwargs: Any) -> str:
        return self.translator.n(singular, plural, n, **kwargs)

    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        return await self._names(self.community_id, list(dict.fromkeys(user_ids)))

    def settings(self) -> Any:
        return self._settings()

    def page_url(self, name: str, **query: str) -> str:
        if self.chosen_language is not None and "lang" not in query:
            query = {**query, "lang": self.chosen_language}
        return board_path(self.slug, name, query)

    def for_plugin(self, translator: Translator, settings: Callable[[], Any]) -> BoardScope:
        """The same request as seen by another provider (its translations and settings)."""
        return BoardScope(self.community_id, self.community_name, self.slug, self.language, self.now, self.query,
                          translator, self.chosen_language, self._names, settings)
