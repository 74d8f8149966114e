"""The aiohttp application: ``/healthz``, ``/metrics``, adapters' webhooks, the board and plugins' endpoints.

Every answer carries the security headers (a Content-Security-Policy that allows no script and no inline
style, ``X-Content-Type-Options``, ``Referrer-Policy``, no framing). Raw plugin endpoints
(``linli_web_routes``) are mounted at ``/c/<slug>/<plugin>/…`` and answer 404 where the plugin is off or
the board is private, like everything else a disabled plugin does; adapters' routes (the Telegram webhook,
which checks its own secret token) are mounted as they declare them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from core.web import WebHandler
from core.web.board import Board
from core.web.health import HEALTH_TIMEOUT, health_report

if TYPE_CHECKING:
    from core.app import Application

__all__ = ["APP_KEY", "HEALTH_TIMEOUT", "build_web_app", "start_web"]

APP_KEY = web.AppKey("linli", object)
#: No script at all, styles only from our own stylesheet, images from us or inline data (the QR code, SVG).
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


@web.middleware
async def security_headers(request: web.Request, handler: WebHandler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects and 404s get the headers too
        exc.headers.update(SECURITY_HEADERS)
        if exc.status >= 400:
            exc.headers.setdefault("Cache-Control", "no-store")
        raise
    response.headers.update(SECURITY_HEADERS)
    if request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def build_web_app(app: Application) -> web.Application:
    webapp = web.Application(middlewares=[
        security_headers, web.normalize_path_middleware(append_slash=True, merge_slashes=True)])
    webapp[APP_KEY] = app

    async def healthz(request: web.Request) -> web.Response:
        status, report = await health_report(app)
        return web.json_response(report, status=status, headers={"Cache-Control": "no-store"})

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=app.metrics.exposition(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})

    webapp.router.add_get("/healthz", healthz)
    webapp.router.add_get("/metrics", metrics)
    for adapter in app.adapters.values():
        for route in adapter.web_routes():
            webapp.router.add_route(route.method, route.path, route.handler)
    board = Board(app, webapp)
    board.add_redirects(webapp.router)
    for plugin, routes in app.plugins.collect("linli_web_routes"):
        for route in routes:
            webapp.router.add_route(route.method, f"/c/{{slug}}/{plugin}{route.path}",
                                    _gated(app, board, plugin, route.handler))
    board.add_routes(webapp.router)
    return webapp


def _gated(app: Application, board: Board, plugin: str, handler: WebHandler) -> WebHandler:
    """The plugin's handler, where its plugin is on and the board public; it finds the community's id in
    ``request.match_info["community_id"]``."""

    async def gated(request: web.Request) -> web.StreamResponse:
        community = await board.community(request.match_info["slug"], request)
        if not app.plugins.is_enabled(community.id, plugin):
            raise web.HTTPNotFound()
        request.match_info["community_id"] = str(community.id)
        return await handler(request)

    return gated


async def start_web(app: Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(build_web_app(app))
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner
