"""ledger: ``/top week|month|all`` at 1 M ledger rows and 10 k members (p50 / p95), and the ``/echo`` latency
of an unrelated community while the rankings run, on SQLite and PostgreSQL.

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

from bench.common import Row, check, database_urls, drive, harness, main, print_table, setup_rooms, workdir
from core.events import MessageReceived
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


def _ranking_or_echo(pattern: re.Pattern[str]) -> Callable[[MessageReceived], str | re.Pattern[str]]:
    return lambda event: pattern if "top" in event.text else "echo " + event.text.split()[1]


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
                table = {p: (Row(f"{name}: /top {p}, p50 ({rows:,} rows)", "ms", higher_is_better=False),
                             Row(f"{name}: /top {p}, p95", "ms", higher_is_better=False)) for p in HEADINGS}
                bystander = Row(f"{name}: /echo in another community during /top, p99", "ms",
                                higher_is_better=False)
                for _r in range(args.rounds):
                    for period, heading in HEADINGS.items():
                        pattern = re.compile(re.escape(heading) + r"(\n\d+\. .+ \d+){1,10}")
                        evs = [h.event(f"看榜{i}", f"/top {period}", room="room0") for i in range(asks)]
                        mine = await drive(h, evs, _always(pattern), concurrent=False)
                        table[period][0].values.append(mine.pct(0.5))
                        table[period][1].values.append(mine.pct(0.95))
                    mixed = [h.event(f"看榜{i}", "/top month", room="room0") for i in range(asks)]
                    echoes = [h.event(f"邻居{i}", f"/echo {i}", room="room1") for i in range(asks * 5)]
                    both = [e for pair in zip(mixed, echoes[::5], strict=True) for e in pair] + \
                           [e for i, e in enumerate(echoes) if i % 5]
                    pattern = re.compile(re.escape(HEADINGS["month"]) + r"(\n\d+\. .+ \d+){1,10}")
                    result = await drive(h, both, _ranking_or_echo(pattern), concurrent=True)
                    echo_ids = {e.message_id for e in echoes}
                    check(all(len(result.replies.get(m or "", [])) == 1 for m in echo_ids), "an /echo went unanswered")
                    bystander.values.append(sorted(
                        lat for e, lat in zip(both, result.latencies_ms, strict=True) if e.message_id in echo_ids
                    )[int(len(echo_ids) * 0.99) - 1])
                print_table(f"ledger ({name}, {args.rounds} rounds)",
                            [row for pair in table.values() for row in pair] + [bystander])


if __name__ == "__main__":
    main(run, __doc__ or "")
