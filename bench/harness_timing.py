"""Shared timing for benchmarks: push commands through the real application, measure per-command latency.

Latency is from handing the event to the application to the adapter receiving the reply, so it includes
the bus queue, the transaction, the handler and the commit.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.app import Application
from core.events import OutgoingMessage
from core.testing import Harness, RecordingAdapter


@dataclass
class Figures:
    label: str
    count: int
    seconds: float
    latencies_ms: list[float]

    def line(self) -> str:
        ordered = sorted(self.latencies_ms)
        p50 = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (f"{self.label:<58} {self.count:>6} cmds  {self.count / self.seconds:>8.0f} cmds/s  "
                f"p50 {p50:>7.2f} ms  p99 {p99:>7.2f} ms")


class TimingAdapter(RecordingAdapter):
    """Stamps the moment each reply arrives, keyed by the message it answers."""

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self.arrived: dict[str, float] = {}

    async def send(self, message: OutgoingMessage) -> str | None:
        if message.reply_to_message_id:
            self.arrived.setdefault(message.reply_to_message_id, time.perf_counter())
        return await super().send(message)


async def measure(h: Harness, label: str, count: int, line: Callable[[int], tuple[str, str]],
                  rooms: int = 1, burst: bool = True) -> Figures:
    """Push ``count`` commands (``line(i)`` gives speaker and text); collect latencies.

    ``burst``: all at once (throughput; latency includes queueing). Otherwise one after another
    (latency of a single command on an idle system).
    """
    adapter = TimingAdapter(h.app)
    h.app.adapters["console"] = adapter
    started: dict[str, float] = {}
    events = []
    for i in range(count):
        name, text = line(i)
        event = h.event(name, text, room=f"room{i % rooms}")
        events.append(event)
    begin = time.perf_counter()
    for event in events:
        started[event.message_id or ""] = time.perf_counter()
        await h.app.receive(event)
        if not burst:
            await h.app.bus.join()
    await h.app.bus.join()
    seconds = time.perf_counter() - begin
    latencies = [(adapter.arrived[m] - t) * 1000 for m, t in started.items() if m in adapter.arrived]
    h.app.adapters["console"] = h.adapter
    return Figures(label, len(latencies), seconds, latencies)


def database_urls(args: argparse.Namespace) -> list[tuple[str, str]]:
    urls = [("sqlite", f"sqlite://{Path(args.workdir) / f'linli-bench-{uuid.uuid4().hex[:8]}.db'}")]
    if args.postgres:
        urls.append(("postgres", f"{args.postgres.rstrip('/')}/linli_bench_{uuid.uuid4().hex[:8]}"))
    return urls


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("-n", type=int, default=2000, help="commands per run")
    p.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432",
                   help="PostgreSQL server URL without database ('' to skip)")
    return p


def run(main: Callable[[argparse.Namespace], object], description: str) -> None:
    """Parse the arguments and run ``main``; the SQLite files live in a folder removed afterwards."""
    args = parser(description).parse_args()
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as workdir:
        args.workdir = workdir
        asyncio.run(main(args))  # type: ignore[arg-type]
