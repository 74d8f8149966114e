"""A plugin's raw endpoint (``linli_web_routes``) at ``/c/<slug>/<plugin>/…``: it learns its community, and
it is gone where the plugin is off or the board is private, like the plugin's pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from core.plugin import PluginManifest, WebRoute, hookimpl
from core.testing import Harness
from core.web import start_web
from tests.web.conftest import Board


class Counter:
    """A plugin with one JSON endpoint: how many members its community has (made up: 42 + the id)."""

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="counter", title_zh="计数", title_en="Counter", version="1")

    @hookimpl
    def linli_web_routes(self) -> list[WebRoute]:
        async def figures(request: web.Request) -> web.Response:
            return web.json_response({"community": int(request.match_info["community_id"])})

        return [WebRoute("GET", "/figures.json", figures)]


@pytest.fixture
async def counted(db_url: str, tmp_path: Path) -> AsyncIterator[Board]:
    async with Harness.create(db_url, plugins=[Counter()]) as h:
        await h.send("王书记", "/setup 观梅社区")
        runner = await start_web(h.app, "127.0.0.1", 0)
        try:
            yield Board(h, runner, int(runner.addresses[0][1]), tmp_path)
        finally:
            await runner.cleanup()


async def test_a_raw_endpoint_knows_its_community_and_follows_the_gates(counted: Board) -> None:
    status, headers, body = await counted.get("/c/guanmei/counter/figures.json")
    assert status == 200 and body == '{"community": 1}'
    assert headers["X-Content-Type-Options"] == "nosniff"
    await counted.harness.send("王书记", "/disable counter")
    assert (await counted.get("/c/guanmei/counter/figures.json"))[0] == 404
    await counted.harness.send("王书记", "/enable counter")
    await counted.harness.send("王书记", "/board private")
    assert (await counted.get("/c/guanmei/counter/figures.json"))[0] == 404
    await counted.harness.send("王书记", "/board public")
    assert (await counted.get("/c/guanmei/counter/figures.json"))[0] == 200
    assert (await counted.get("/c/1/counter/figures.json"))[1]["Location"] == "/c/guanmei/counter/figures.json"
