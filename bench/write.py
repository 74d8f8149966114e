"""write: ``/thanks`` between distinct people (one ledger entry each) and ``/claim`` by distinct people, on
SQLite and PostgreSQL; then contention: 1,000 claims at once on one project with 50 places, which must
give exactly 50 holders (exit status 1 otherwise). Ceiling: the raw sqlite3 / asyncpg transaction of the
same shape (mark the event, read the membership, insert the row, update a counter, store the reply).

Run: python -m bench.write [--quick] [--rounds 3] [--databases sqlite,postgres]
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import time
import uuid
from datetime import timedelta
from typing import Any

from bench.common import Row, Run, check, database_urls, drive, harness, main, print_table, setup_rooms, workdir
from core.events import MessageReceived
from core.points import PointsEntry
from core.testing import Harness
from plugins.claims.models import Claim

PLACES = 50
SHAPE = [
    "CREATE TABLE IF NOT EXISTS bench_mark (id INTEGER PRIMARY KEY, k TEXT UNIQUE)",
    "CREATE TABLE IF NOT EXISTS bench_member (id INTEGER PRIMARY KEY, c INT, u INT, UNIQUE (c, u))",
    "CREATE TABLE IF NOT EXISTS bench_entry (id INTEGER PRIMARY KEY, c INT, u INT, delta INT, k TEXT UNIQUE)",
    "CREATE TABLE IF NOT EXISTS bench_balance (id INTEGER PRIMARY KEY, c INT, u INT, b INT, UNIQUE (c, u))",
    "CREATE TABLE IF NOT EXISTS bench_out (id INTEGER PRIMARY KEY, body TEXT)",
]


def raw_sqlite(path: str, count: int) -> Run:
    """The ceiling on SQLite: the same transaction through sqlite3 in-thread, same file, same pragmas."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for statement in SHAPE:
        db.execute(statement)
    db.executemany("INSERT OR IGNORE INTO bench_member (c, u) VALUES (1, ?)", [(u,) for u in range(count)])
    tag = uuid.uuid4().hex
    latencies = []
    cpu, begin = time.process_time(), time.perf_counter()
    for i in range(count):
        t = time.perf_counter()
        db.execute("BEGIN")
        db.execute("INSERT INTO bench_mark (k) VALUES (?)", (f"{tag}{i}",))
        db.execute("SELECT id FROM bench_member WHERE c = 1 AND u = ?", (i,)).fetchall()
        db.execute("INSERT INTO bench_entry (c, u, delta, k) VALUES (1, ?, 1, ?)", (i, f"{tag}{i}"))
        db.execute("INSERT INTO bench_balance (c, u, b) VALUES (1, ?, 1) ON CONFLICT (c, u) DO UPDATE SET b = b + 1",
                   (i,))
        db.execute("INSERT INTO bench_out (body) VALUES (?)", (f"reply {i}",))
        db.execute("COMMIT")
        latencies.append((time.perf_counter() - t) * 1000)
    run = Run(count, time.perf_counter() - begin, latencies, time.process_time() - cpu)
    db.close()
    return run


async def raw_asyncpg(url: str, count: int) -> Run:
    """The ceiling on PostgreSQL: the same transaction through one asyncpg connection."""
    import asyncpg  # only where PostgreSQL is measured

    db: Any = await asyncpg.connect(url)
    try:
        for statement in SHAPE:
            await db.execute(statement.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY"))
        await db.executemany("INSERT INTO bench_member (c, u) VALUES (1, $1) ON CONFLICT DO NOTHING",
                             [(u,) for u in range(count)])
        tag = uuid.uuid4().hex
        latencies = []
        cpu, begin = time.process_time(), time.perf_counter()
        for i in range(count):
            t = time.perf_counter()
            async with db.transaction():
                await db.execute("INSERT INTO bench_mark (k) VALUES ($1)", f"{tag}{i}")
                await db.fetch("SELECT id FROM bench_member WHERE c = 1 AND u = $1", i)
                await db.execute("INSERT INTO bench_entry (c, u, delta, k) VALUES (1, $1, 1, $2)", i, f"{tag}{i}")
                await db.execute("INSERT INTO bench_balance (c, u, b) VALUES (1, $1, 1) "
                                 "ON CONFLICT (c, u) DO UPDATE SET b = bench_balance.b + 1", i)
                await db.execute("INSERT INTO bench_out (body) VALUES ($1)", f"reply {i}")
            latencies.append((time.perf_counter() - t) * 1000)
        return Run(count, time.perf_counter() - begin, latencies, time.process_time() - cpu)
    finally:
        await db.close()


async def ceiling(dialect: str, url: str, count: int) -> Run:
    if dialect == "sqlite":
        return raw_sqlite(url.removeprefix("sqlite://").split("?")[0], count)
    return await raw_asyncpg(url.replace("postgres://", "postgresql://", 1), count)


async def publish(h: Harness, places: int) -> int:
    replies = await h.send("王书记", f"/发布项目 菜园 {places} 无", room="room0")
    match = re.search(r"#(\d+)", replies[-1] if replies else "")
    check(match is not None, f"publishing a project: {replies!r}")
    assert match is not None
    return int(match.group(1))


def claimed(event: MessageReceived) -> re.Pattern[str]:
    return re.compile(re.escape(f"✅ {event.sender.display_name} 认领了 ") + ".*")


async def run(args: argparse.Namespace) -> None:
    count = 100 if args.quick else 500
    crowd = 200 if args.quick else 1000
    people = max(count, crowd)
    settings = {"plugin": {"claims": {"max_places": max(count, PLACES)}}}
    with workdir() as folder:
        for dialect, url in database_urls(args, folder):
            async with harness(url, settings=settings) as h:
                await setup_rooms(h, 1)
                warm = [h.event(f"{who}{i}", "/echo hi", room="room0") for who in ("甲", "乙") for i in range(people)]
                await drive(h, warm, lambda e: "echo hi", concurrent=True)
                thanks = Row(f"{dialect}: /thanks one at a time (distinct pairs)", "cmds/s", ceiling_name="raw txn")
                claims = Row(f"{dialect}: /claim one at a time (distinct people)", "cmds/s", ceiling_name="raw txn")
                cpu = Row(f"{dialect}: CPU per /thanks", "µs", higher_is_better=False)
                for _r in range(args.rounds):
                    h.clock.advance(timedelta(days=1))  # a new day: every pair's thanks books again
                    before = await PointsEntry.all().count()
                    evs = [h.event(f"甲{i}", f"/thanks @乙{i}", room="room0") for i in range(count)]
                    mine = await drive(h, evs, lambda e: f"{e.sender.display_name} 感谢 {e.text.split('@')[1]}！",
                                       concurrent=False)
                    booked = await PointsEntry.all().count() - before
                    check(booked == count, f"{dialect}: {booked} ledger entries for {count} thanks")
                    raw = await ceiling(dialect, url, count)
                    thanks.values.append(mine.rate)
                    thanks.ceiling.append(raw.rate)
                    cpu.values.append(mine.cpu_us)
                    project = await publish(h, count)
                    evs = [h.event(f"乙{i}", f"/认领 {project}", room="room0") for i in range(count)]
                    mine = await drive(h, evs, claimed, concurrent=False)
                    held = await Claim.filter(project_id=project, holding__isnull=False).count()
                    check(held == count, f"{dialect}: {held} claims held of {count}")
                    raw = await ceiling(dialect, url, count)
                    claims.values.append(mine.rate)
                    claims.ceiling.append(raw.rate)
                contention = Row(f"{dialect}: {crowd} claims at once on {PLACES} places", "cmds/s")
                for _r in range(args.rounds):
                    project = await publish(h, PLACES)
                    evs = [h.event(f"甲{i}", f"/认领 {project}", room="room0") for i in range(crowd)]
                    mine = await drive(h, evs, lambda e: None, concurrent=True)
                    held = await Claim.filter(project_id=project, holding__isnull=False).count()
                    check(held == PLACES, f"{dialect}: {held} holders on {PLACES} places after {crowd} claims")
                    answers = [mine.replies.get(e.message_id or "", []) for e in evs]
                    check(all(len(a) == 1 for a in answers), f"{dialect}: not one reply to each of {crowd} claims")
                    won = sum(a[0].startswith("✅") for a in answers)
                    waiting = sum("候补" in a[0] for a in answers)
                    check(won == PLACES and waiting == crowd - PLACES,
                          f"{dialect}: {won} claimed and {waiting} waitlisted replies of {crowd}")
                    contention.values.append(mine.rate)
                print_table(f"write and contention ({dialect}, {args.rounds} rounds)",
                            [thanks, claims, cpu, contention])


if __name__ == "__main__":
    main(run, __doc__ or "")
