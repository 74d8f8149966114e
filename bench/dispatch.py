"""dispatch: the trivial command (``/echo``) end to end, one at a time and 1,000 at once over 1 / 10 / 100
communities, on SQLite and PostgreSQL. Ceiling: bare asyncio dispatch of the same events (a queue and a
worker per community, the reply built and handed to a list), measured in the same run; on PostgreSQL also
a raw asyncpg loop that inserts the processed mark and commits (the issue's ceiling for that database); on
SQLite also the statements ``/echo`` takes, sent by plain sqlite3 (the floor under it).

Run: python -m bench.dispatch [--quick] [--rounds 3] [--databases sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
import uuid
from collections import defaultdict, deque
from datetime import UTC, datetime
from typing import Any

from bench.common import Row, Run, check, database_urls, drive, harness, main, print_table, setup_rooms, workdir
from core.events import MessageReceived, OutgoingMessage
from core.storage import SQLITE_DEFAULT_PRAGMAS
from core.testing import Harness

PEOPLE = 200


def events(h: Harness, count: int, rooms: int, tag: str) -> list[MessageReceived]:
    return [h.event(f"居民{i % PEOPLE}", f"/echo {tag}{i}", room=f"room{i % rooms}") for i in range(count)]


def expected(event: MessageReceived) -> str:
    return "echo " + event.text.split(maxsplit=1)[1]


async def bare(evs: list[MessageReceived], *, concurrent: bool) -> Run:
    """The ceiling: what asyncio alone costs for the same events, ordered per community."""
    sent: list[OutgoingMessage] = []
    queues: dict[str, deque[tuple[MessageReceived, asyncio.Future[None]]]] = defaultdict(deque)
    workers: dict[str, asyncio.Task[None]] = {}
    arrived: dict[str, float] = {}

    async def drain(key: str) -> None:
        queue = queues[key]
        while queue:
            event, done = queue.popleft()
            await asyncio.sleep(0)
            word = event.text.split(maxsplit=1)[1]
            sent.append(OutgoingMessage(channel=event.channel, text="echo " + word,
                                        reply_to_message_id=event.message_id))
            arrived[event.message_id or ""] = time.perf_counter()
            done.set_result(None)
        del workers[key]

    loop = asyncio.get_running_loop()
    started: dict[str, float] = {}
    futures = []
    cpu, begin = time.process_time(), time.perf_counter()
    for event in evs:
        started[event.message_id or ""] = time.perf_counter()
        done: asyncio.Future[None] = loop.create_future()
        queues[event.channel.key].append((event, done))
        if event.channel.key not in workers:
            workers[event.channel.key] = asyncio.create_task(drain(event.channel.key))
        if concurrent:
            futures.append(done)
        else:
            await done
    await asyncio.gather(*futures)
    seconds, cpu_seconds = time.perf_counter() - begin, time.process_time() - cpu
    check([m.text for m in sent] == [expected(e) for e in evs] or concurrent, "bare dispatch lost a reply")
    return Run(len(evs), seconds, [(arrived[k] - t) * 1000 for k, t in started.items()], cpu_seconds)


async def raw_mark_and_commit(url: str, count: int) -> Run:
    """PostgreSQL's ceiling as issue 10 names it: a raw asyncpg loop that inserts the processed mark and
    commits, one event at a time (every row counted afterwards)."""
    import asyncpg  # only where PostgreSQL is measured

    db: Any = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await db.execute("CREATE TABLE IF NOT EXISTS bench_processed (event_key TEXT PRIMARY KEY, at TIMESTAMPTZ)")
        tag = uuid.uuid4().hex
        latencies = []
        cpu, begin = time.process_time(), time.perf_counter()
        for i in range(count):
            started = time.perf_counter()
            async with db.transaction():
                await db.execute("INSERT INTO bench_processed (event_key, at) VALUES ($1, now()) "
                                 "ON CONFLICT (event_key) DO NOTHING", f"{tag}{i}")
            latencies.append((time.perf_counter() - started) * 1000)
        seconds, cpu_seconds = time.perf_counter() - begin, time.process_time() - cpu
        marked = await db.fetchval("SELECT count(*) FROM bench_processed WHERE event_key LIKE $1", f"{tag}%")
        check(marked == count, f"raw mark and commit: {marked} rows for {count} events")
        return Run(count, seconds, latencies, cpu_seconds)
    finally:
        await db.close()


def raw_statements(path: str, count: int) -> Run:
    """SQLite's floor under ``/echo``: the statements its guarantees take, sent by plain sqlite3 in a tight
    loop on the same file with linli's pragmas, into linli's own tables — BEGIN IMMEDIATE, the processed
    mark, the reply's outbox row, COMMIT, and the delete once the reply is sent (every row checked, the
    marks removed afterwards). SQLite checkpoints inline here, as a plain connection does: in a loop like
    this the log then starts over after each checkpoint and stays small, the fastest way to run them."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma, value in SQLITE_DEFAULT_PRAGMAS.items():
            db.execute(f"PRAGMA {pragma}={value}")
        tag = uuid.uuid4().hex
        latencies = []
        payload = json.dumps({"text": "echo hi"})
        cpu, begin = time.process_time(), time.perf_counter()
        for i in range(count):
            started = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            now = str(datetime.now(UTC))  # as sqlite3 writes linli's datetimes
            db.execute("INSERT INTO linli_processed_event (event_key, processed_at) VALUES (?, ?) "
                       "ON CONFLICT (event_key) DO NOTHING RETURNING id", (f"{tag}{i}", now)).fetchall()
            row_id = db.execute("INSERT INTO linli_outbox (platform, lane, payload, created_at, state, uncertain, "
                                "owner) VALUES ('bench', ?, ?, ?, 0, 0, ?) RETURNING id",
                                (f"bench:{tag}", payload, now, tag)).fetchall()[0][0]
            db.execute("COMMIT")
            db.execute("DELETE FROM linli_outbox WHERE id = ?", (row_id,))
            latencies.append((time.perf_counter() - started) * 1000)
        seconds, cpu_seconds = time.perf_counter() - begin, time.process_time() - cpu
        marked = db.execute("SELECT count(*) FROM linli_processed_event WHERE event_key LIKE ?",
                            (f"{tag}%",)).fetchone()[0]
        left = db.execute("SELECT count(*) FROM linli_outbox WHERE owner = ?", (tag,)).fetchone()[0]
        check(marked == count and left == 0, f"raw statements: {marked} marks for {count} events, {left} rows left")
        db.execute("DELETE FROM linli_processed_event WHERE event_key LIKE ?", (f"{tag}%",))
        return Run(count, seconds, latencies, cpu_seconds)
    finally:
        db.close()


async def run(args: argparse.Namespace) -> None:
    one_count = 100 if args.quick else 1000
    burst = 200 if args.quick else 1000
    spreads = (1, 10) if args.quick else (1, 10, 100)
    with workdir() as folder:
        for dialect, url in database_urls(args, folder):
            async with harness(url) as h:
                await setup_rooms(h, max(spreads))
                # everyone known in every room first: the figures are about dispatch, not sign-up
                for room in range(max(spreads)):
                    await drive(h, [h.event(f"居民{i}", "/echo hi", room=f"room{room}") for i in range(PEOPLE)],
                                expected, concurrent=True)
                rows = [Row(f"{dialect}: /echo one at a time", "cmds/s", ceiling_name="bare asyncio"),
                        Row(f"{dialect}: /echo one at a time, p50", "ms", higher_is_better=False),
                        Row(f"{dialect}: /echo one at a time, p99", "ms", higher_is_better=False),
                        Row(f"{dialect}: CPU per /echo, one at a time", "µs", ceiling_name="bare asyncio",
                            higher_is_better=False)]
                if dialect == "postgres":
                    rows.append(Row(f"{dialect}: /echo one at a time, against the mark and commit alone", "cmds/s",
                                    ceiling_name="raw asyncpg"))
                else:
                    rows.append(Row(f"{dialect}: /echo one at a time, against its statements alone", "cmds/s",
                                    ceiling_name="raw sqlite3"))
                spread_rows = {k: (Row(f"{dialect}: {burst} /echo at once, {k} communities", "cmds/s",
                                       ceiling_name="bare asyncio"),
                                   Row(f"{dialect}: {burst} /echo at once, {k} communities, p99", "ms",
                                       higher_is_better=False)) for k in spreads}
                for r in range(args.rounds):
                    evs = events(h, one_count, 1, f"a{r}-")
                    mine = await drive(h, evs, expected, concurrent=False)
                    ceiling = await bare(events(h, one_count, 1, f"b{r}-"), concurrent=False)
                    rows[0].values.append(mine.rate)
                    rows[0].ceiling.append(ceiling.rate)
                    rows[1].values.append(mine.pct(0.5))
                    rows[2].values.append(mine.pct(0.99))
                    rows[3].values.append(mine.cpu_us)
                    rows[3].ceiling.append(ceiling.cpu_us)
                    raw = (await raw_mark_and_commit(url, one_count) if dialect == "postgres"
                           else raw_statements(url.removeprefix("sqlite://").split("?")[0], one_count))
                    rows[4].values.append(mine.rate)
                    rows[4].ceiling.append(raw.rate)
                    for k in spreads:
                        mine = await drive(h, events(h, burst, k, f"c{r}-{k}-"), expected, concurrent=True)
                        ceiling = await bare(events(h, burst, k, f"d{r}-{k}-"), concurrent=True)
                        spread_rows[k][0].values.append(mine.rate)
                        spread_rows[k][0].ceiling.append(ceiling.rate)
                        spread_rows[k][1].values.append(mine.pct(0.99))
                print_table(f"dispatch ({dialect}, {args.rounds} rounds)",
                            rows + [row for pair in spread_rows.values() for row in pair])


if __name__ == "__main__":
    main(run, __doc__ or "")
