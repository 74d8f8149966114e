"""The web server: /healthz, /metrics, adapters' webhooks and plugins' pages, on aiohttp.

The aiohttp application is built here; handlers for plugin pages live with their plugins and are mounted
under ``/c/{community_id}/{plugin}/…`` through the ``linli_web_routes`` hook, and answer 404 where the
plugin is off, like everything else a disabled plugin does.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest
from tortoise import connections

from core.deadletters import DeadLetter
from core.identity import Community
from core.outbox import OutboxMessage, OutboxState

if TYPE_CHECKING:
    from core.app import Application

WebHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
APP_KEY = web.AppKey("linli", object)


@dataclass(frozen=True)
class WebRoute:
    """A plugin page: ``path`` is relative to ``/c/{community_id}/{plugin}``."""

    method: str
    path: str
    handler: WebHandler


#: Seconds /healthz waits for the database before it answers 503.
HEALTH_TIMEOUT = 2.0


async def _stored_counts() -> tuple[int, int]:
    await connections.get("default").execute_query("SELECT 1")
    waiting = await OutboxMessage.filter(state=OutboxState.PENDING).count()
    dead = await DeadLetter.filter(replayed_at__isnull=True).count()
    return waiting, dead


def build_web_app(app: Application) -> web.Application:
    webapp = web.Application()
    webapp[APP_KEY] = app
    registry = _metrics(app)

    async def healthz(request: web.Request) -> web.Response:
        try:  # bounded: a database held by another process must not hang the health check
            waiting, dead = await asyncio.wait_for(_stored_counts(), HEALTH_TIMEOUT)
        except TimeoutError:
            return web.json_response({"status": "error", "database": "busy: no answer within "
                                      f"{HEALTH_TIMEOUT:g} s"}, status=503)
        except Exception as exc:  # the operator needs to see what is wrong, not a 500 page
            return web.json_response({"status": "error", "database": str(exc)}, status=503)
        return web.json_response({
            "status": "ok", "pending_events": app.bus.pending, "adapters": sorted(app.adapters),
            "outbox": {"waiting": waiting, "sent": app.delivery.sent, "retries": app.delivery.retries,
                       "expired": app.delivery.expired, "failed": app.delivery.failed},
            # events the core failed on for a reason of their own: `linli deadletters list`
            "dead_letters": dead,
        })

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def index(request: web.Request) -> web.Response:
        heading = app.translator(app.settings.language).t("Communities")
        items = "".join(
            f"<li>{html.escape(c.name)}</li>" for c in await Community.all().order_by("id")
        )
        body = (f"<!doctype html><meta charset=utf-8><title>linli 邻里</title><h1>{html.escape(heading)}</h1>"
                f"<ul>{items}</ul>")
        return web.Response(text=body, content_type="text/html")

    webapp.router.add_get("/healthz", healthz)
    webapp.router.add_get("/metrics", metrics)
    webapp.router.add_get("/", index)
    for adapter in app.adapters.values():
        for route in adapter.web_routes():
            webapp.router.add_route(route.method, route.path, route.handler)
    for plugin, routes in app.plugins.collect("linli_web_routes"):
        for route in routes:
            webapp.router.add_route(route.method, f"/c/{{community_id:\\d+}}/{plugin}{route.path}",
                                    _gated(app, plugin, route.handler))
    return webapp


def _gated(app: Application, plugin: str, handler: WebHandler) -> WebHandler:
    async def gated(request: web.Request) -> web.StreamResponse:
        if not app.plugins.is_enabled(int(request.match_info["community_id"]), plugin):
            raise web.HTTPNotFound()
        return await handler(request)

    return gated


def _metrics(app: Application) -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge("linli_bus_pending_events", "Events accepted and not yet handled", registry=registry).set_function(
        lambda: app.bus.pending)
    Gauge("linli_bus_handled_events", "Events handled since start", registry=registry).set_function(
        lambda: app.bus.handled)
    Gauge("linli_bus_duplicate_events", "Redelivered events ignored since start", registry=registry).set_function(
        lambda: app.bus.duplicates)
    Gauge("linli_bus_failures", "Failed subscribers since start", registry=registry).set_function(
        lambda: app.bus.failures)
    for name, what in (("sent", "Messages delivered from the outbox since start"),
                       ("retries", "Failed delivery attempts that will be tried again, since start"),
                       ("expired", "Messages given up after delivery.ttl_seconds, since start"),
                       ("failed", "Messages refused for good or whose answers were lost twice, since start")):
        Gauge(f"linli_delivery_{name}", what, registry=registry).set_function(partial(getattr, app.delivery, name))
    return registry


async def start_web(app: Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(build_web_app(app))
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner
