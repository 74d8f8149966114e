"""What every benchmark shares: rounds with min / median / max, reply checks, throwaway databases, a table.

Every figure is taken through the real application (``core.testing.Harness``: bus, router, handler,
outbox, delivery to a recording adapter) and every reply is compared with the text the person must see;
one wrong reply (a refusal, a duplicate, a missing row) ends the run with exit status 1, so a benchmark
never measures the wrong path. The ceiling of each measure is taken in the same run, interleaved with
linli's rounds, so a loaded machine slows both and the ratio stays meaningful.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.arguments import Arg, Rest
from core.commands import Command, command
from core.context import CommandContext
from core.events import MessageReceived, OutgoingMessage
from core.hookspecs import hookimpl
from core.manifest import PluginManifest
from core.testing import Harness, RecordingAdapter

#: the built-in plugins are loaded (as in production) unless a run says otherwise
BUILTINS = True
POSTGRES = "postgres://postgres@127.0.0.1:5432"


class Mismatch(SystemExit):
    """A reply or a row was not what the person must see: the figures would measure the wrong path."""

    def __init__(self, message: str) -> None:
        print(f"MISMATCH: {message}", file=sys.stderr)
        super().__init__(1)


class EchoPlugin:
    """``/echo word`` answers ``echo word``: the trivial command (parsing, context, outbox, delivery)."""

    @hookimpl
    def linli_manifest(self) -> PluginManifest:
        return PluginManifest(name="echo", title_zh="回声", title_en="Echo", version="1")

    @hookimpl
    def linli_commands(self) -> list[Command]:
        @command("echo", args=(Arg("word", Rest(200), label="word"),), help="echo")
        async def echo(ctx: CommandContext, word: str) -> None:
            ctx.reply("echo " + word)

        return [echo]


class TimingAdapter(RecordingAdapter):
    """Stamps when the reply to each message arrives and keeps its text, to be checked."""

    def __init__(self, harness: Harness) -> None:
        super().__init__(harness.app)
        self.arrived: dict[str, float] = {}
        self.texts: dict[str, list[str]] = {}
        self._waiting: dict[str, asyncio.Event] = {}

    async def send(self, message: OutgoingMessage) -> str | None:
        if message.reply_to_message_id:
            self.arrived.setdefault(message.reply_to_message_id, time.perf_counter())
            self.texts.setdefault(message.reply_to_message_id, []).append(message.text)
            if message.reply_to_message_id in self._waiting:
                self._waiting[message.reply_to_message_id].set()
        return await super().send(message)

    async def answered(self, message_id: str) -> None:
        """Wait (without spinning the loop) until the reply to ``message_id`` has arrived."""
        if message_id not in self.arrived:
            await self._waiting.setdefault(message_id, asyncio.Event()).wait()


@dataclass
class Run:
    """One round: commands per second, latencies (ms), CPU µs per command."""

    count: int
    seconds: float
    latencies_ms: list[float]
    cpu_seconds: float
    #: the texts answering each message, by message id
    replies: dict[str, list[str]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms) or [0.0]
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds / self.count * 1e6


async def drive(h: Harness, events: Sequence[MessageReceived],
                expect: Callable[[MessageReceived], str | re.Pattern[str] | None],
                *, concurrent: bool) -> Run:
    """Hand ``events`` in (all at once, or each after the last one's commit), wait for every reply, and check
    each reply's text with ``expect(event)`` (None: any text containing nothing unexpected is not enough —
    the caller must say what each person sees)."""
    adapter = TimingAdapter(h)
    h.app.adapters["console"] = adapter
    started: dict[str, float] = {}
    cpu = time.process_time()
    begin = time.perf_counter()
    try:
        if concurrent:
            for event in events:
                started[event.message_id or ""] = time.perf_counter()
                await h.app.receive(event)
        else:
            for event in events:
                started[event.message_id or ""] = time.perf_counter()
                await h.app.accept(event)
        await h.app.settle()
    finally:
        h.app.adapters["console"] = h.adapter
    seconds = time.perf_counter() - begin
    cpu_seconds = time.process_time() - cpu
    for event in events:
        key = event.message_id or ""
        wanted = expect(event)
        got = adapter.texts.get(key, [])
        if isinstance(wanted, re.Pattern):
            if len(got) != 1 or not wanted.fullmatch(got[0]):
                raise Mismatch(f"{event.text!r} by {event.sender.display_name}: expected {wanted.pattern!r}, "
                               f"got {got!r}")
        elif wanted is not None and got != [wanted]:
            raise Mismatch(f"{event.text!r} by {event.sender.display_name}: expected {[wanted]!r}, got {got!r}")
    latencies = [(adapter.arrived[m] - t) * 1000 for m, t in started.items()]
    return Run(len(events), seconds, latencies, cpu_seconds, adapter.texts)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Mismatch(message)


# -- the table ----------------------------------------------------------------------------------------
@dataclass
class Row:
    measure: str
    unit: str
    values: list[float] = field(default_factory=list)
    ceiling: list[float] = field(default_factory=list)
    ceiling_name: str = ""
    higher_is_better: bool = True

    def cells(self) -> list[str]:
        def mmm(vs: list[float]) -> str:
            return " / ".join(_fmt(v) for v in (min(vs), statistics.median(vs), max(vs))) if vs else "–"

        ratio = "–"
        if self.values and self.ceiling:
            mine, best = statistics.median(self.values), statistics.median(self.ceiling)
            ratio = f"{(mine / best if self.higher_is_better else best / mine):.3f}" if mine and best else "–"
        return [self.measure, self.unit, mmm(self.values), f"{self.ceiling_name} {mmm(self.ceiling)}".strip(), ratio]


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n### {title}\n")
    print("| measure | unit | linli min / median / max | ceiling (same run) min / median / max | ratio |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")
    sys.stdout.flush()


# -- databases ---------------------------------------------------------------------------------------
def reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A folder for SQLite files, removed afterwards whatever happens."""
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as folder:
        yield Path(folder)


def database_urls(args: argparse.Namespace, folder: Path) -> list[tuple[str, str]]:
    urls = [("sqlite", f"sqlite://{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}")]
    if args.postgres and "postgres" in args.databases:
        if reachable(args.postgres):
            urls.append(("postgres", f"{args.postgres.rstrip('/')}/linli_bench_{uuid.uuid4().hex[:8]}"))
        else:
            print(f"postgres: not reachable at {args.postgres}, skipped")
    return [u for u in urls if u[0] in args.databases]


@contextlib.asynccontextmanager
async def harness(url: str, **options: Any) -> AsyncIterator[Harness]:
    """A running application on a new database (PostgreSQL's is dropped afterwards, SQLite's folder goes)."""
    plugins = [EchoPlugin(), *options.pop("plugins", ())]
    options.setdefault("load_builtins", BUILTINS)
    async with Harness.create(url, plugins=plugins, **options) as h:
        yield h


async def setup_rooms(h: Harness, rooms: int) -> None:
    for k in range(rooms):
        replies = await h.send("王书记", f"/setup 社区{k}", room=f"room{k}")
        check(bool(replies), f"/setup in room{k} got no reply")


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="small sizes, one pass: a smoke test, not figures")
    p.add_argument("--rounds", type=int, default=3, help="rounds per measure (at least 3 for figures)")
    p.add_argument("--postgres", default=POSTGRES, help="PostgreSQL server URL without database ('' to skip)")
    p.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    return p


def _stop(_signum: int, _frame: Any) -> None:
    raise SystemExit(143)


def main(run: Callable[[argparse.Namespace], Coroutine[Any, Any, None]], description: str,
         argv: Sequence[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _stop)  # a stopped run still removes its databases (the with-blocks unwind)
    args = parser(description).parse_args(argv)
    args.databases = args.databases.split(",")
    if args.quick:
        args.rounds = min(args.rounds, 1)
    asyncio.run(run(args))
