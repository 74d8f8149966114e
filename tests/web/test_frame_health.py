"""``/healthz`` and ``/metrics`` over a real socket: what an operator's monitoring reads.

(These were tests/core/test_web.py before the web server became the ``core/web`` package.)
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.deadletters import set_aside
from core.web.health import HEALTH_TIMEOUT
from tests.web.conftest import Board


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition, by name and labels (the parser fails on bad text)."""
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def health_of(board: Board) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(board.url("/healthz")) as response:
        return response.status, await response.json()


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


async def test_healthz_says_what_is_up(board: Board) -> None:
    status, headers, _ = await board.get("/healthz")
    assert status == 200
    _, health = await health_of(board)
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["adapters"] == {"console": "connected"}
    assert health["queue_depth"] == 0 and health["pending_events"] == 0
    assert health["scheduler"] == "not started"  # the harness runs jobs by hand
    assert set(health["outbox"]) >= {"waiting", "sent", "retries", "expired", "failed"}
    assert headers["Cache-Control"] == "no-store"


async def test_healthz_turns_503_when_the_database_is_gone(board: Board, db_url: str) -> None:
    """The database really stops answering: PostgreSQL stops accepting connections and ours are cut. The check
    answers within its bound, with the reason, and 200 again once the database is back."""
    if db_url.startswith("sqlite"):
        # An open SQLite file (WAL) cannot go away under its connection: readers go on even while another
        # process holds the write lock, and a connection that fails to reopen wedges Tortoise's client lock.
        pytest.skip("the database going away is a PostgreSQL event; SQLite keeps its open file")
    name = db_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(db_url.rsplit("/", 1)[0] + "/postgres")
    await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)

    async def restore() -> None:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()

    started = time.monotonic()
    try:
        status, health = await health_of(board)
    finally:
        await restore()
    assert status == 503, health
    assert time.monotonic() - started < HEALTH_TIMEOUT + 2, "a held database must not hang the health check"
    assert health["status"] == "error" and "database" in health["problems"]
    assert health["database"] != "ok", "the operator reads what is wrong"
    for _ in range(50):  # back: the next check is healthy again (PostgreSQL's pool reconnects)
        status, health = await health_of(board)
        if status == 200:
            break
        await asyncio.sleep(0.2)
    assert status == 200, health


async def test_healthz_counts_what_waits_in_the_outbox_and_the_dead_letters(board: Board) -> None:
    h = board.harness
    await h.app.delivery.stop()  # as if nothing were sending: replies stay stored
    await h.app.receive(h.event("张三", "/whoami"))
    await h.app.bus.join()
    await set_aside(h.event("李四", "/whoami"), RuntimeError("a bug"), h.clock())
    _, health = await health_of(board)
    assert health["outbox"]["waiting"] == 1 and health["dead_letters"] == 1


async def test_metrics_parse_and_the_counters_move_after_a_command(board: Board) -> None:
    h = board.harness
    _, headers, before = await board.get("/metrics")
    assert headers["Content-Type"].startswith("text/plain")
    kinds = {f.name: f.type for f in text_string_to_metric_families(before)}
    assert kinds["linli_events"] == "counter" and kinds["linli_handler_seconds"] == "histogram"
    assert kinds["linli_outbound_messages"] == "counter" and kinds["linli_bus_queue_depth"] == "gauge"
    await h.send("张三", "/whoami")
    await h.send("张三", "/points @nobody-here")  # refused: counted as such
    _, _, after = await board.get("/metrics")
    handled = ("linli_events_total", {"type": "MessageReceived", "outcome": "handled"})
    assert value(after, handled[0], **handled[1]) == value(before, handled[0], **handled[1]) + 2
    assert value(after, "linli_commands_total", plugin="core", outcome="ok") >= \
        value(before, "linli_commands_total", plugin="core", outcome="ok") + 1
    assert value(after, "linli_outbound_messages_total", adapter="console", outcome="sent") >= \
        value(before, "linli_outbound_messages_total", adapter="console", outcome="sent") + 2
    assert value(after, "linli_handler_seconds_count", plugin="core") > value(before, "linli_handler_seconds_count",
                                                                               plugin="core")
    assert value(after, "linli_bus_queue_depth") == 0


async def test_a_scheduler_run_is_counted(board: Board) -> None:
    h = board.harness
    await h.run_jobs(after=timedelta(hours=7))  # the core's 6-hourly clean-up is due
    _, _, text = await board.get("/metrics")
    assert value(text, "linli_scheduler_runs_total", job="core.forget_processed_events", outcome="ok") == 1
