"""Kept period totals: what ``/top week|month|quarter|year`` reads instead of summing the ledger. Whatever
is booked, corrected, merged or rolled back, they say what the ledger says, on both databases."""

from __future__ import annotations

import asyncio
import random
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from core import period_totals
from core.builtin.mydata import merge_core
from core.identity import User
from core.period_totals import KEPT, PeriodTotal
from core.points import _ADD, PERIODS, PointsEntry, _rank, award, leaderboard, period_start
from core.rankings_memo import rankings_memo
from core.storage import _dialect_sql, dialect, fetch
from core.testing import Harness
from tests.core.test_backup import linli, migrate_up_to

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # Tuesday noon in Shanghai


async def _kept() -> dict[tuple[int, str, str, int], int]:
    return {(t.community_id, t.period, t.starts.isoformat(), t.user_id): t.total
            for t in await PeriodTotal.all() if t.total != 0}


async def _random_ledger(zone: ZoneInfo, entries: int = 300) -> None:
    rng = random.Random(11)
    for n in range(entries):
        at = NOW - timedelta(minutes=rng.randrange(rng.choice((2, 500)) * 24 * 60))  # half in this week
        await award(rng.choice((1, 2)), rng.randrange(1, 12), rng.choice((1, 1, 2, 5, -1)), "thanks", "test",
                    f"k{n}", at=at, zone=zone)


async def test_kept_totals_are_what_counting_the_ledger_again_gives(harness: Harness) -> None:
    await _random_ledger(SHANGHAI)
    kept = await _kept()
    assert {period for _c, period, _s, _u in kept} == set(KEPT)
    await period_totals.recount(SHANGHAI)
    assert await _kept() == kept


async def test_each_period_ranking_is_the_ledger_sum_since_the_period_began(harness: Harness) -> None:
    await _random_ledger(SHANGHAI)
    for period in PERIODS:
        since = period_start(period, NOW, "Asia/Shanghai")
        for community_id in (1, 2):
            rankings_memo.clear()
            kept = await leaderboard(community_id, since, limit=5, period=period)
            assert kept == await _rank(community_id, since.astimezone(UTC) if since else None, 5, None), period
            assert kept, period
            only = [user_id for user_id, _points in kept[1:3]]
            assert await leaderboard(community_id, since, user_ids=only, period=period) == kept[1:3]


async def test_monday_3am_in_shanghai_counts_in_this_week_not_the_last(harness: Harness) -> None:
    monday_3am = datetime(2026, 11, 29, 19, 0, tzinfo=UTC)  # Sunday in UTC
    await award(1, 7, 4, "thanks", "test", "monday", at=monday_3am, zone=SHANGHAI)
    await award(1, 8, 1, "thanks", "test", "sunday", at=monday_3am - timedelta(hours=4), zone=SHANGHAI)
    week = period_start("week", NOW, "Asia/Shanghai")
    assert await leaderboard(1, week, period="week") == [(7, 4)]
    last_week = period_start("week", NOW - timedelta(days=7), "Asia/Shanghai")
    assert await period_totals.top(1, "week", last_week.date() if last_week else NOW.date(), 10) == [(8, 1)]


async def test_a_new_time_zone_counts_the_totals_again_and_others_are_summed(harness: Harness) -> None:
    await _random_ledger(SHANGHAI, 120)
    new_york = ZoneInfo("America/New_York")
    assert await period_totals.ensure(SHANGHAI) is False  # counted already: nothing to do
    assert await period_totals.ensure(new_york) is True
    assert await period_totals.counted_in() == "America/New_York"
    for zone in (new_york, ZoneInfo("Asia/Kolkata")):  # the counted zone, and one read from the ledger
        since = period_start("week", NOW, zone.key)
        rankings_memo.clear()
        assert since is not None
        assert await leaderboard(1, since, period="week") == await _rank(1, since.astimezone(UTC), 10, None)
    assert await period_totals.kept_start("week", period_start("week", NOW, "Asia/Kolkata")) is None


async def test_a_rolled_back_booking_leaves_the_totals_and_concurrent_ones_all_count(harness: Harness) -> None:
    try:
        async with in_transaction():
            await award(1, 7, 5, "thanks", "test", "undone", at=NOW, zone=SHANGHAI)
            raise RuntimeError("the handler failed")
    except RuntimeError:
        pass
    assert await _kept() == {}

    async def attempt(n: int) -> None:
        async with in_transaction():
            await award(1, 8, 2, "thanks", "test", f"key-{n}", at=NOW, zone=SHANGHAI)

    await asyncio.gather(*(attempt(n) for n in range(20)), *(attempt(n) for n in range(20)))
    assert set((await _kept()).values()) == {40}
    assert len(await _kept()) == len(KEPT)


async def test_merged_people_have_one_total_per_period(harness: Harness) -> None:
    one, other = await User.create(display_name="张三"), await User.create(display_name="张三 (Matrix)")
    await award(1, one.id, 3, "thanks", "test", "a", at=NOW, zone=SHANGHAI)
    await award(1, other.id, 2, "thanks", "test", "b", at=NOW, zone=SHANGHAI)
    await award(1, other.id, 1, "thanks", "test", "c", at=NOW - timedelta(days=40), zone=SHANGHAI)
    async with in_transaction():
        await merge_core(other.id, one.id)
    month = period_start("month", NOW, "Asia/Shanghai")
    rankings_memo.clear()
    assert await leaderboard(1, month, period="month") == [(one.id, 5)]
    assert {user for _c, _p, _s, user in await _kept()} == {one.id}
    kept = await _kept()
    await period_totals.recount(SHANGHAI)
    assert await _kept() == kept


async def test_a_period_ranking_reads_the_index_alone(harness: Harness) -> None:
    await _random_ledger(SHANGHAI, 200)
    await connections.get("default").execute_script(
        "VACUUM ANALYZE linli_points_period_total" if dialect() == "postgres" else "ANALYZE")
    async with in_transaction() as connection:
        if dialect() == "postgres":  # a tiny table is scanned whatever its indexes: ask the planner not to
            await connection.execute_script("SET LOCAL enable_seqscan = off")
            sql = "EXPLAIN " + _dialect_sql(connection, period_totals._TOP.format(only=""))
        else:
            sql = "EXPLAIN QUERY PLAN " + period_totals._TOP.format(only="")
        _count, rows = await connection.execute_query(sql, [1, "month", NOW.date().replace(day=1), 10])
        plan = " ".join(str(value) for row in rows for value in dict(row).values())
    assert ("Index Only Scan" in plan) if dialect() == "postgres" else ("COVERING INDEX" in plan), plan


async def test_the_check_at_every_start_reads_each_communitys_year_rows_through_the_index(harness: Harness) -> None:
    """Not every total: at a million entries there are millions of them. (linli runs no ANALYZE on SQLite,
    and SQLite without statistics plans as for a large table.)"""
    await _random_ledger(SHANGHAI, 200)
    if dialect() == "postgres":
        await connections.get("default").execute_script("VACUUM ANALYZE linli_points_period_total")
    async with in_transaction() as connection:
        if dialect() == "postgres":
            await connection.execute_script("SET LOCAL enable_seqscan = off")
        explain = "EXPLAIN " if dialect() == "postgres" else "EXPLAIN QUERY PLAN "
        _count, rows = await connection.execute_query(explain + period_totals._ADDS_UP, [])
        plan = " ".join(str(value) for row in rows for value in dict(row).values())
    ranged = (r"Index (Only )?Scan using \S+ on linli_points_period_total" if dialect() == "postgres" else
              r"SEARCH linli_points_period_total USING (COVERING )?INDEX \S+ \(community_id=\? AND period=\?\)")
    assert re.search(ranged, plan), plan
    assert await period_totals.ensure(SHANGHAI) is False  # and they add up


async def test_a_correction_in_chat_takes_the_points_out_of_this_weeks_ranking(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    await h.send("李四", "/whoami")
    await h.send("王书记", "/thanks @张三 帮忙搬车")
    await h.send("王书记", "/thanks @李四 修自行车")
    await h.send("李四", "/thanks @张三")
    assert await h.say("张三", "/top week") == "积分排行榜（本周）：\n1. 张三 2\n2. 李四 1"
    await h.send("王书记", "/更正 积分 #1 给错人了")
    assert await h.say("张三", "/top 本月") == "积分排行榜（本月）：\n1. 张三 1\n2. 李四 1"
    assert await h.say("张三", "/top year") == "积分排行榜（今年）：\n1. 张三 1\n2. 李四 1"


async def test_the_first_start_after_the_upgrade_counts_the_totals_from_the_ledger(harness: Harness) -> None:
    await _random_ledger(SHANGHAI, 80)
    kept = await _kept()
    await PeriodTotal.all().delete()  # as the migration leaves them: no totals and no calendar
    await connections.get("default").execute_query("DELETE FROM linli_points_calendar")
    assert await period_totals.counted_in() is None
    assert await period_totals.ensure(SHANGHAI) is True
    assert await _kept() == kept and await period_totals.counted_in() == "Asia/Shanghai"


async def test_entries_booked_around_the_totals_are_counted_at_the_next_start(harness: Harness) -> None:
    await award(1, 7, 2, "thanks", "test", "a", at=NOW, zone=SHANGHAI)
    # what an older linli run on this database books: the entry and the balance, no totals
    await PointsEntry.create(community_id=1, user_id=8, delta=3, reason="by an older linli", source_plugin="test",
                             source_key="b", created_at=NOW)
    await fetch(_ADD, 1, 8, 3)
    week = period_start("week", NOW, "Asia/Shanghai")
    rankings_memo.clear()
    assert await leaderboard(1, week, period="week") == [(7, 2)]  # what the totals say, until they are counted
    assert await period_totals.ensure(SHANGHAI) is True
    assert await leaderboard(1, week, period="week") == [(8, 3), (7, 2)]
    assert await period_totals.ensure(SHANGHAI) is False


async def test_no_people_asked_for_is_an_empty_ranking(harness: Harness) -> None:
    await award(1, 7, 2, "thanks", "test", "a", at=NOW, zone=SHANGHAI)
    assert await leaderboard(1, period_start("week", NOW, "Asia/Shanghai"), user_ids=[], period="week") == []


async def test_a_merge_while_one_of_the_two_is_booked_waits_instead_of_deadlocking(
        harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    one, other = await User.create(display_name="张三"), await User.create(display_name="张三 (Matrix)")
    await award(1, one.id, 3, "thanks", "test", "a", at=NOW, zone=SHANGHAI)
    await award(1, other.id, 2, "thanks", "test", "b", at=NOW, zone=SHANGHAI)
    balance_held, merging = asyncio.Event(), asyncio.Event()
    add = period_totals.add

    async def slow_add(*args: Any) -> None:  # the booking holds the balance's row lock meanwhile
        balance_held.set()
        await merging.wait()
        await asyncio.sleep(0.3)  # the merge runs into the booking's locks now
        await add(*args)

    monkeypatch.setattr(period_totals, "add", slow_add)

    async def booking() -> None:
        async with in_transaction():
            await award(1, one.id, 1, "thanks", "test", "c", at=NOW, zone=SHANGHAI)

    async def merge() -> None:
        await balance_held.wait()
        merging.set()
        async with in_transaction():
            await merge_core(other.id, one.id)

    await asyncio.wait_for(asyncio.gather(booking(), merge()), 30)
    month = period_start("month", NOW, "Asia/Shanghai")
    rankings_memo.clear()
    assert await leaderboard(1, month, period="month") == [(one.id, 6)]


async def test_linli_migrate_counts_the_totals_of_an_older_ledger(tmp_path: Path) -> None:
    """The upgrade's wait is in ``linli migrate``, where an operator expects one, not at the next start."""
    path = tmp_path / "linli.db"
    await migrate_up_to(f"sqlite://{path}", "core", "0009_rosters")
    with sqlite3.connect(path) as db:  # what 0.3.0 booked: a Monday 03:00 in Shanghai, a Sunday, last month
        db.executemany("INSERT INTO linli_points_entry (community_id, user_id, delta, reason, source_plugin, "
                       "source_key, created_at) VALUES (1, ?, ?, 'thanks', 'thanks', ?, ?)",
                       [(7, 2, "a", "2026-11-29 19:00:00+00:00"), (7, 1, "b", "2026-11-29 15:00:00+00:00"),
                        (8, 5, "c", "2026-10-31 15:59:00+00:00")])
    result = linli("migrate", "--no-backup", url=f"sqlite://{path}", tmp_path=tmp_path)
    assert result.returncode == 0 and "core.0010_period_totals" in result.stdout, result.stderr
    assert "counting the points of each period (Asia/Shanghai)" in result.stderr
    with sqlite3.connect(path) as db:
        kept = set(db.execute("SELECT period, starts, user_id, total FROM linli_points_period_total"))
        zone = db.execute("SELECT zone FROM linli_points_calendar").fetchall()
    assert zone == [("Asia/Shanghai",)]
    assert kept == {("week", "2026-11-30", 7, 2), ("week", "2026-11-23", 7, 1), ("month", "2026-11-01", 7, 3),
                    ("quarter", "2026-10-01", 7, 3), ("year", "2026-01-01", 7, 3),
                    ("week", "2026-10-26", 8, 5), ("month", "2026-10-01", 8, 5), ("quarter", "2026-10-01", 8, 5),
                    ("year", "2026-01-01", 8, 5)}
    again = linli("migrate", "--no-backup", url=f"sqlite://{path}", tmp_path=tmp_path)
    assert again.returncode == 0 and "counting" not in again.stderr  # counted once
