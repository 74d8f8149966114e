"""ledger: ``/top week|month|all`` at 1 M ledger rows and 10 k members (p50 / p95, each computed), and the
``/echo`` latency of an unrelated community while a burst of rankings runs (with the rankings memo, and
without it), on SQLite and PostgreSQL.

Run: python -m bench.ledger [--quick] [--rounds 3] [--databases sqlite,postgres]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, timedelta

from tortoise import connections

from bench.common import (
    Row,
    TimingAdapter,
    check,
    database_urls,
    drive,
    harness,
    main,
    print_table,
    setup_rooms,
    workdir,
)
from core import period_totals
from core.events import MessageReceived
from core.rankings_memo import SIZE, rankings_memo
from core.storage import dialect
from core.testing import Harness

HEADINGS = {"week": "积分排行榜（本周）：", "month": "积分排行榜（本月）：", "all": "积分排行榜（总榜）："}


async def fill(h: Harness, rows: int, members: int) -> None:
    """``rows`` ledger entries over the last 400 days for ``members`` people of community 1, and balances."""
    now = h.clock()
    rng = random.Random(7)
    entries = [(1, rng.randrange(1, members + 1), 1, "thanks", "bench", f"b{n}",
                now - timedelta(seconds=rng.randrange(400 * 86400))) for n in range(rows)]
    totals: dict[int, int] = {}
    for _c, user, delta, *_rest in entries:
        totals[user] = totals.get(user, 0) + delta
    balances = [(1, user, total) for user, total in totals.items()]
    connection = connections.get("default")
    if dialect() == "postgres":
        async with connection.acquire_connection() as raw:  # COPY: a million rows in seconds
            await raw.copy_records_to_table(
                "linli_points_entry", records=entries,
                columns=["community_id", "user_id", "delta", "reason", "source_plugin", "source_key", "created_at"])
            await raw.copy_records_to_table("linli_points_balance", records=balances,
                                            columns=["community_id", "user_id", "balance"])
            await raw.execute("VACUUM ANALYZE linli_points_entry")
    else:
        text = [(*e[:6], e[6].astimezone(UTC).isoformat(" ")) for e in entries]
        await connection.execute_many(
            "INSERT INTO linli_points_entry (community_id, user_id, delta, reason, source_plugin, source_key, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", text)
        await connection.execute_many(
            "INSERT INTO linli_points_balance (community_id, user_id, balance) VALUES (?, ?, ?)", balances)
        await connection.execute_script("ANALYZE")


def _always(pattern: re.Pattern[str]) -> Callable[[MessageReceived], re.Pattern[str]]:
    return lambda _event: pattern


async def run(args: argparse.Namespace) -> None:
    rows = 20_000 if args.quick else 1_000_000
    members = 1_000 if args.quick else 10_000
    asks = 5 if args.quick else 20
    with workdir() as folder:
        for name, url in database_urls(args, folder):
            async with harness(url) as h:
                await setup_rooms(h, 2)  # community 1 in room0 holds the ledger; room1 is the bystander
                started = time.perf_counter()
                await fill(h, rows, members)
                print(f"{name}: {rows:,} ledger rows for {members:,} members written in "
                      f"{time.perf_counter() - started:.1f} s")
                started = time.perf_counter()  # written around award(): counted as after an upgrade
                await period_totals.recount(h.app.timezone)
                print(f"{name}: the totals of each period counted from them in {time.perf_counter() - started:.1f} s")
                table = {p: (Row(f"{name}: /top {p}, p50 ({rows:,} rows)", "ms", higher_is_better=False),
                             Row(f"{name}: /top {p}, p95", "ms", higher_is_better=False)) for p in HEADINGS}
                bystander = Row(f"{name}: /echo in another community during /top, p99", "ms",
                                higher_is_better=False)
                alone = Row(f"{name}: /echo in another community during /top, each /top computed, p99", "ms",
                            higher_is_better=False)
                for _r in range(args.rounds):
                    for period, heading in HEADINGS.items():
                        pattern = re.compile(re.escape(heading) + r"(\n\d+\. .+ \d+){1,10}")
                        latencies: list[float] = []
                        for i in range(asks):  # each one computed: the memo is what the burst below measures
                            rankings_memo.clear()
                            ev = h.event(f"看榜{i}", f"/top {period}", room="room0")
                            latencies += (await drive(h, [ev], _always(pattern), concurrent=False)).latencies_ms
                        latencies.sort()
                        table[period][0].values.append(latencies[int(len(latencies) * 0.5)])
                        table[period][1].values.append(latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))])
                    rankings_memo.clear()
                    computed = rankings_memo.misses
                    bystander.values.append(await _bystander_p99(h, asks))
                    check(rankings_memo.misses - computed == 1, "the burst computed the month's ranking more than once")
                    rankings_memo.size = 0  # off: every /top of the burst sums the month again
                    rankings_memo.clear()
                    computed = rankings_memo.misses
                    try:
                        alone.values.append(await _bystander_p99(h, asks))
                    finally:
                        rankings_memo.size = SIZE
                    check(rankings_memo.misses - computed == asks, "with the memo off, not every /top was computed")
                print_table(f"ledger ({name}, {args.rounds} rounds)",
                            [row for pair in table.values() for row in pair] + [bystander, alone])


async def _bystander_p99(h: Harness, asks: int) -> float:
    """``asks`` × ``/top month`` in community 1 at once and, while they are answered, one ``/echo`` after
    another in community 2 (each sent when the last was answered, at least ``5 × asks``): the p99 of the
    ``/echo`` latencies, from handing it in to its reply. Every reply's text is checked."""
    pattern = re.compile(re.escape(HEADINGS["month"]) + r"(\n\d+\. .+ \d+){1,10}")
    tops = [h.event(f"看榜{i}", "/top month", room="room0") for i in range(asks)]
    adapter = TimingAdapter(h)
    h.app.adapters["console"] = adapter
    latencies: list[float] = []
    echoes: list[MessageReceived] = []
    try:
        for event in tops:
            await h.app.receive(event)
        while len(echoes) < 5 * asks or not all(t.message_id in adapter.arrived for t in tops):
            echo = h.event(f"邻居{len(echoes) % 50}", f"/echo {len(echoes)}", room="room1")
            echoes.append(echo)
            started = time.perf_counter()
            await h.app.receive(echo)
            await adapter.answered(echo.message_id or "")
            latencies.append((adapter.arrived[echo.message_id or ""] - started) * 1000)
        await h.app.settle()
    finally:
        h.app.adapters["console"] = h.adapter
    for top in tops:
        got = adapter.texts.get(top.message_id or "", [])
        check(len(got) == 1 and bool(pattern.fullmatch(got[0])), f"/top month got {got!r}")
    for echo in echoes:
        got = adapter.texts.get(echo.message_id or "", [])
        check(got == ["echo " + echo.text.split()[1]], f"{echo.text!r} got {got!r}")
    latencies.sort()
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]

if __name__ == "__main__":
    main(run, __doc__ or "")
