"""The web server: health, metrics, and plugin pages gated by enablement."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from core.testing import Harness
from core.web import build_web_app


async def test_healthz_and_metrics(community: Harness) -> None:
    async with TestClient(TestServer(build_web_app(community.app))) as client:
        health = await client.get("/healthz")
        assert health.status == 200
        assert (await health.json())["status"] == "ok"
        metrics = await (await client.get("/metrics")).text()
        assert "linli_bus_handled_events" in metrics
        index = await (await client.get("/")).text()
        assert "观梅社区" in index


async def test_healthz_reports_a_broken_database(community: Harness) -> None:
    from tortoise import connections

    async with TestClient(TestServer(build_web_app(community.app))) as client:
        original = connections.get("default").execute_query

        async def broken(*args: object, **kwargs: object) -> object:
            raise ConnectionError("database gone")

        connections.get("default").execute_query = broken  # type: ignore[method-assign]
        try:
            response = await client.get("/healthz")
        finally:
            connections.get("default").execute_query = original  # type: ignore[method-assign]
        assert response.status == 503
        assert "database gone" in (await response.json())["database"]



async def test_healthz_counts_what_waits_in_the_outbox_and_the_dead_letters(community: Harness) -> None:
    from core.deadletters import set_aside

    await community.app.delivery.stop()  # as if nothing were sending: replies stay stored
    await community.app.receive(community.event("张三", "/whoami"))
    await community.app.bus.join()
    await set_aside(community.event("李四", "/whoami"), RuntimeError("a bug"), community.clock())
    async with TestClient(TestServer(build_web_app(community.app))) as client:
        health = await (await client.get("/healthz")).json()
        metrics = await (await client.get("/metrics")).text()
    assert health["outbox"]["waiting"] == 1 and health["dead_letters"] == 1
    assert "linli_delivery_expired 0.0" in metrics
