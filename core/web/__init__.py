"""The web server: /healthz, /metrics, adapters' webhooks and the public board, on aiohttp.

This package's top level stays light (no aiohttp, no Jinja2 imported here) so the plugin API and a start
without the web server do not pay for the web stack: :class:`WebRoute` is declared here and the server is
built by :mod:`core.web.server` on first use. The board's page contract is :mod:`core.web.pages`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

    from core.app import Application

WebHandler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]


@dataclass(frozen=True)
class WebRoute:
    """A raw endpoint: an adapter's webhook (``path`` absolute), or a plugin's (``path`` relative to
    ``/c/<slug>/<plugin>``)."""

    method: str
    path: str
    handler: WebHandler


def build_web_app(app: Application) -> web.Application:
    """The aiohttp application for ``app`` (see :func:`core.web.server.build_web_app`)."""
    from core.web.server import build_web_app as build

    return build(app)


async def start_web(app: Application, host: str, port: int) -> web.AppRunner:
    """Listen on ``host:port``; the caller cleans the returned runner up."""
    from core.web.server import start_web as start

    return await start(app, host, port)
