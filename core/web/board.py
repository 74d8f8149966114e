"""The public board: ``/`` lists the public communities, ``/c/<slug>/`` is a community's front page and
``/c/<slug>/<name>/`` the pages plugins contribute (:mod:`core.web.pages`).

The frame finds the community by its slug (an old ``/c/<id>/…`` address redirects), answers 404 for a
private board and for a page whose plugin is off there, picks the reader's language, builds the page's
:class:`core.web.scope.BoardScope`, and renders the page's template inside ``base.html``: the navigation, the
language switch, the community's name. Each provider's templates are found in its own ``templates/`` folder
(one Jinja2 environment per folder, falling back to the core's, autoescaped).
"""

from __future__ import annotations

import hashlib
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup
from tortoise.functions import Sum

from core.i18n import N_
from core.identity import Community, Membership
from core.permissions import Role
from core.points import PointsEntry
from core.web.language import negotiate
from core.web.pages import WebPage
from core.web.scope import BoardScope, board_path
from core.web.slugs import ensure_slugs, owner_of_old

if TYPE_CHECKING:
    from core.app import Application

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
CORE_TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
#: Seconds a board page may be cached by browsers and proxies: fresh enough for a chat link, cheap to serve.
CACHE_SECONDS = 60
LANGUAGE_NAMES = (("zh_CN", "中文"), ("en", "English"))


@dataclass(frozen=True)
class MountedPage:
    """A page and where it came from: its plugin (for enablement, translations, settings) and templates."""

    plugin: str
    page: WebPage
    env_key: web.AppKey[jinja2.Environment]


def templates_of(page: WebPage) -> Path:
    """The ``templates/`` folder beside the module that declared ``page.load`` (its package's folder)."""
    module = sys.modules.get(page.load.__module__)
    source = getattr(module, "__file__", None)
    return Path(source).parent / "templates" if source else CORE_TEMPLATES


def static_version() -> str:
    """A short hash of the stylesheet, so its address changes when it does (it is cached for a day)."""
    digest = hashlib.sha256()
    for path in sorted(STATIC.glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


class Board:
    """The board's handlers, holding the application privately (pages get a scope, never this)."""

    def __init__(self, app: Application, webapp: web.Application) -> None:
        self.app = app
        self.webapp = webapp
        self._envs: dict[Path, web.AppKey[jinja2.Environment]] = {}
        self.core_env = self._env_for(CORE_TEMPLATES)
        self.css_url = f"/static/board.css?v={static_version()}"
        mounted: list[MountedPage] = []
        for plugin, pages in app.plugins.collect("linli_web_pages"):
            for page in pages:
                if any(m.page.name == page.name for m in mounted):
                    raise ValueError(f"two board pages are named {page.name!r} (the second from plugin {plugin})")
                mounted.append(MountedPage(plugin, page, self._env_for(templates_of(page))))
        self.pages = {m.page.name: m for m in sorted(mounted, key=lambda m: (m.page.order, m.page.name))}

    def _env_for(self, folder: Path) -> web.AppKey[jinja2.Environment]:
        key = self._envs.get(folder)
        if key is None:
            key = web.AppKey(f"jinja2:{folder}", jinja2.Environment)
            loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(folder)]
            if folder != CORE_TEMPLATES:
                loaders.append(jinja2.FileSystemLoader(CORE_TEMPLATES))
            aiohttp_jinja2.setup(self.webapp, app_key=key, loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                                 trim_blocks=True, lstrip_blocks=True,
                                 default_helpers=False)
            self._envs[folder] = key
        return key

    def add_redirects(self, router: web.UrlDispatcher) -> None:
        """The old ``/c/<id>/…`` addresses, before anything else under ``/c/`` can match them."""
        router.add_get(r"/c/{ref:\d+}{tail:(/.*)?}", self.old_address)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/", self.index)
        router.add_get("/c/{slug}/", self.front)
        router.add_get("/c/{slug}/{page}/", self.page)
        router.add_static("/static/", STATIC, append_version=False)

    # -- finding the community ---------------------------------------------------------------------
    async def community(self, slug: str, request: web.Request | None = None) -> Community:
        """The community whose public board this is; 404 when there is none or it is private (the same 404,
        so a private board cannot be told from a missing one)."""
        found = await Community.get_or_none(slug=slug)
        if found is None and await Community.filter(slug__isnull=True).exists():  # made outside /setup
            await ensure_slugs()
            found = await Community.get_or_none(slug=slug)
        if found is None:
            moved = await owner_of_old(slug)  # a printed QR code with the address before /board slug
            found = await Community.get_or_none(id=moved) if moved is not None else None
            if request is not None and found is not None and found.slug and not found.board_private:
                # Found, not Moved Permanently: browsers keep a 301 for ever, and a board that takes its old
                # address back would then send them round in a circle
                raise web.HTTPFound(self._moved(request, slug, found.slug), headers={"Cache-Control": "no-store"})
            raise web.HTTPNotFound()
        if found.board_private:
            raise web.HTTPNotFound()
        return found

    @staticmethod
    def _moved(request: web.Request, old: str, new: str) -> str:
        """The same address and query under the board's current slug."""
        tail = request.path[len(f"/c/{old}"):] or "/"
        return f"/c/{new}{tail}" + (f"?{request.query_string}" if request.query_string else "")

    async def old_address(self, request: web.Request) -> web.StreamResponse:
        """``/c/<id>/…``, the addresses before slugs: moved for good to ``/c/<slug>/…``."""
        found = await Community.get_or_none(id=int(request.match_info["ref"]))
        if found is None or found.board_private:
            raise web.HTTPNotFound()
        if not found.slug:
            await ensure_slugs()
            found = await Community.get(id=found.id)
        tail = request.match_info["tail"] or "/"
        target = f"/c/{found.slug}{tail}" + (f"?{request.query_string}" if request.query_string else "")
        raise web.HTTPMovedPermanently(target)

    def scope(self, request: web.Request, community: Community, plugin: str) -> BoardScope:
        query = {k: v for k, v in request.query.items()}
        language, chosen = negotiate(query, request.headers, community.language)
        app = self.app
        manifest = app.plugins.manifests.get(plugin)
        model = manifest.settings_model if manifest is not None else None

        def settings() -> Any:
            return app.plugin_settings(plugin, model, community.id) if model is not None else None

        return BoardScope(community.id, community.name, community.slug or "", language,
                          app.now().astimezone(app.timezone), query, app.translator(language, plugin), chosen,
                          app.render_names, settings)

    def provider_scope(self, scope: BoardScope, plugin: str) -> BoardScope:
        app = self.app
        manifest = app.plugins.manifests.get(plugin)
        model = manifest.settings_model if manifest is not None else None
        community_id = scope.community_id

        def settings() -> Any:
            return app.plugin_settings(plugin, model, community_id) if model is not None else None

        return scope.for_plugin(app.translator(scope.language, plugin), settings)

    def visible_pages(self, community_id: int) -> list[MountedPage]:
        return [m for m in self.pages.values() if self.app.plugins.is_enabled(community_id, m.plugin)]

    # -- rendering ---------------------------------------------------------------------------------
    def frame(self, scope: BoardScope, current: str | None, title: str) -> dict[str, Any]:
        """What ``base.html`` needs, besides the page's own variables."""
        nav = [{"title": self.app.translator(scope.language, m.plugin)(m.page.title),
                "url": scope.page_url(m.page.name), "current": m.page.name == current}
               for m in self.visible_pages(scope.community_id)]
        here = board_path(scope.slug, current or "")
        languages = [{"code": code, "label": label, "current": code == scope.language,
                      "url": board_path(scope.slug, current or "", {**scope.query, "lang": code})}
                     for code, label in LANGUAGE_NAMES]
        return {"scope": scope, "_": scope._, "n_": scope.n_, "nav": nav, "home_url": scope.page_url(""),
                "home_current": current is None, "page_title": title, "languages": languages, "here": here,
                "css_url": self.css_url, "html_lang": html_lang(scope.language)}

    def respond(self, request: web.Request, key: web.AppKey[jinja2.Environment], template: str,
                context: Mapping[str, Any]) -> web.Response:
        text = aiohttp_jinja2.render_string(template, request, context, app_key=key)
        response = web.Response(text=text, content_type="text/html", charset="utf-8")
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
        response.headers["Vary"] = "Accept-Language"
        response.headers["Content-Language"] = html_lang(str(context["scope"].language))
        return response

    # -- handlers ----------------------------------------------------------------------------------
    async def index(self, request: web.Request) -> web.Response:
        """Every public board, by name."""
        await ensure_slugs()
        language, chosen = negotiate(request.query, request.headers, self.app.settings.language)
        t = self.app.translator(language)
        communities = await Community.filter(board_private=False).order_by("name")
        query = {"lang": chosen} if chosen else None
        boards = [{"name": c.name, "url": board_path(c.slug or "", "", query)} for c in communities]
        scope = _IndexScope(language, t)
        languages = [{"code": code, "label": label, "current": code == language, "url": f"/?lang={code}"}
                     for code, label in LANGUAGE_NAMES]
        return self.respond(request, self.core_env, "index.html", {
            "scope": scope, "_": t.t, "n_": t.n, "boards": boards, "nav": [], "home_url": None,
            "home_current": False, "page_title": t("Community boards"), "languages": languages,
            "css_url": self.css_url, "html_lang": html_lang(language)})

    async def front(self, request: web.Request) -> web.Response:
        """A community's front page: its totals, a card for each page, the navigation."""
        community = await self.community(request.match_info["slug"], request)
        scope = self.scope(request, community, "core")
        totals = await core_totals(scope)
        cards: list[Markup] = []
        for mounted in self.visible_pages(community.id):
            page = mounted.page
            if page.summary_template is None and page.totals is None:
                continue
            own = self.provider_scope(scope, mounted.plugin)
            try:
                values = await page.load(own)
            except Exception:  # one broken card must not take the front page down
                log.exception("board: page %s of plugin %s failed to load its card", page.name, mounted.plugin)
                continue
            if page.totals is not None:
                totals += [{"label": own._(label), "value": value} for label, value in page.totals(own, values)]
            if page.summary_template is not None:
                context = {**values, **self.frame(own, None, community.name)}
                cards.append(Markup(aiohttp_jinja2.render_string(page.summary_template, request, context,
                                                                 app_key=mounted.env_key)))
        context = {**self.frame(scope, None, community.name), "totals": totals, "cards": cards}
        return self.respond(request, self.core_env, "front.html", context)

    async def page(self, request: web.Request) -> web.Response:
        """One page contributed by a plugin (or the core), where that plugin is on."""
        mounted = self.pages.get(request.match_info["page"])
        community = await self.community(request.match_info["slug"], request)
        if mounted is None or not self.app.plugins.is_enabled(community.id, mounted.plugin):
            raise web.HTTPNotFound()
        scope = self.scope(request, community, mounted.plugin)
        values = await mounted.page.load(scope)
        context = {**values, **self.frame(scope, mounted.page.name, scope._(mounted.page.title))}
        return self.respond(request, mounted.env_key, mounted.page.template, context)


@dataclass(frozen=True)
class _IndexScope:
    """The little ``/`` needs of a scope in ``base.html``: the reader's language."""

    language: str
    translator: Any

    def _(self, msgid: str, **kwargs: Any) -> str:
        return str(self.translator.t(msgid, **kwargs))


def html_lang(language: str) -> str:
    """The ``lang`` attribute for a language linli speaks (``zh-CN``, ``en``)."""
    return language.replace("_", "-")


async def core_totals(scope: BoardScope) -> list[dict[str, Any]]:
    """The figures the core knows: volunteers (members with the volunteer role or above, and everyone whose
    work earned points) and the points given."""
    rows = await Membership.filter(community_id=scope.community_id).values_list("user_id", "roles")
    helpers = {int(user_id) for user_id, held in rows
               if set(held or ()) & {Role.VOLUNTEER.value, Role.ORGANIZER.value}}
    earners: list[Any] = list(await PointsEntry.filter(community_id=scope.community_id, delta__gt=0)
                              .distinct().values_list("user_id", flat=True))
    sums: list[Any] = list(await PointsEntry.filter(community_id=scope.community_id, delta__gt=0).annotate(
        total=Sum("delta")).values_list("total", flat=True))
    given = int(sums[0] or 0) if sums else 0
    return [{"label": scope._(N_("volunteers")), "value": len(helpers | {int(u) for u in earners})},
            {"label": scope._(N_("points given")), "value": given}]
