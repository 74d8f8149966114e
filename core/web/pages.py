"""The contract of a board page: what a plugin (or the core) declares, and what its code may use.

A plugin returns :class:`WebPage`\\ s from ``linli_web_pages``; the frame (:mod:`core.web.board`) mounts each
at ``/c/<slug>/<name>/``, shows it in the navigation when the plugin is on in the community (404 otherwise,
and 404 for everything when the board is private), calls ``load`` with a :class:`WebScope` and renders
``template`` (which extends ``base.html``) with what it returned. A page never reaches the application: it
reads its own tables and asks the scope for names, translations and settings, like a command does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class WebScope(Protocol):
    """What a page may use: one community, one request, the reader's language. Never the Application."""

    community_id: int
    community_name: str
    slug: str
    language: str
    """``"zh_CN"`` or ``"en"``: ``?lang=`` first, then the browser's Accept-Language, then the community's."""
    now: datetime
    """Aware, in the community's time zone."""
    query: Mapping[str, str]
    """The request's query string (``period=week``)."""

    def _(self, msgid: str, **kwargs: Any) -> str:
        """Translate in the providing plugin's domain, falling back to the core's."""
        ...

    def n_(self, singular: str, plural: str, n: int, **kwargs: Any) -> str:
        """The plural form for ``n`` (``{n}`` is filled in), in the provider's domain."""
        ...

    async def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        """Display names with only the badges people chose to show (``linli_decorate_names``)."""
        ...

    def settings(self) -> Any:
        """The provider's community settings: the same model its commands see (None without a model)."""
        ...

    def page_url(self, name: str, **query: str) -> str:
        """The address of another page of this community's board (``"rankings"``, ``period="week"``), or
        of the front page with ``name=""``; ``lang`` is kept when the reader chose it."""
        ...


@dataclass(frozen=True)
class WebPage:
    """One page of a community's board, contributed through ``linli_web_pages``."""

    name: str
    """URL part: ``/c/<slug>/<name>/`` (``"projects"``, ``"hours"``, ``"ratings"``, ``"rankings"``)."""
    title: str
    """English msgid, translated in the providing plugin's domain, shown in the navigation."""
    template: str
    """A Jinja2 template in the provider's ``templates/`` folder (next to the package ``__init__.py`` of the
    module that declared the page; core pages in ``core/web/templates/``). It extends ``base.html``."""
    load: Callable[[WebScope], Awaitable[Mapping[str, Any]]]
    """The template's variables."""
    order: int = 50
    """Navigation order (lower first)."""
    summary_template: str | None = None
    """An optional card on the front page ``/c/<slug>/``, rendered with the same variables from ``load``."""
    totals: Callable[[WebScope, Mapping[str, Any]], Sequence[tuple[str, Any]]] | None = None
    """Optional figures for the front page's totals, from what ``load`` returned (no second query):
    ``lambda scope, v: [(N_("projects done"), v["done_total"])]``; labels are msgids of the provider's domain."""
