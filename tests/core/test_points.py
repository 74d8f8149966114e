"""The points ledger: idempotent awards under concurrency, balances, rankings by period."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from core.points import PointsBalance, PointsEntry, award, leaderboard, period_start
from core.testing import Harness


async def test_the_same_award_attempted_100_times_concurrently_is_booked_once(harness: Harness) -> None:
    async def attempt() -> bool:
        async with in_transaction():  # each attempt is its own transaction, as in separate workers
            return (await award(1, 7, 5, "verified", "test", "claims:verify:1:7", zone=harness.app.timezone)).booked

    results = await asyncio.gather(*(attempt() for _ in range(100)))
    assert results.count(True) == 1
    assert await PointsEntry.filter(community_id=1, user_id=7).count() == 1
    assert (await PointsBalance.get(community_id=1, user_id=7)).balance == 5


async def test_distinct_awards_for_a_new_user_all_count_under_concurrency(harness: Harness) -> None:
    async def attempt(n: int) -> None:
        async with in_transaction():
            await award(1, 8, 2, "thanks", "test", f"key-{n}", zone=harness.app.timezone)

    await asyncio.gather(*(attempt(n) for n in range(30)))
    assert (await PointsBalance.get(community_id=1, user_id=8)).balance == 60


async def test_corrections_are_new_entries_and_balance_follows(harness: Harness) -> None:
    await award(1, 9, 10, "verified", "test", "a", zone=harness.app.timezone)
    booking = await award(1, 9, -3, "correction of a", "test", "a:correction", zone=harness.app.timezone)
    assert booking.balance == 7
    assert [e.delta for e in await PointsEntry.filter(user_id=9).order_by("id")] == [10, -3]


def test_period_starts_follow_the_local_calendar() -> None:
    now = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # Monday 01:00 in Shanghai
    week = period_start("week", now, "Asia/Shanghai")
    assert week is not None and week.isoformat() == "2026-11-23T00:00:00+08:00"
    quarter = period_start("quarter", now, "Asia/Shanghai")
    assert quarter is not None and quarter.date().isoformat() == "2026-10-01"
    assert period_start("all", now, "Asia/Shanghai") is None


async def test_leaderboard_ranks_by_period(harness: Harness) -> None:
    await award(1, 1, 5, "old", "test", "old", zone=harness.app.timezone)
    await PointsEntry.filter(source_key="old").update(created_at=datetime.now(UTC) - timedelta(days=400))
    await award(1, 2, 3, "new", "test", "new", zone=harness.app.timezone)
    assert await leaderboard(1, None) == [(1, 5), (2, 3)]
    assert await leaderboard(1, datetime.now(UTC) - timedelta(days=30)) == [(2, 3)]


async def test_points_and_top_in_chat(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    await h.send("王书记", "/thanks @张三 帮忙搬车")
    await h.send("李四", "/thanks @张三")
    await h.send("张三", "/thanks @李四")
    assert await h.say("张三", "/points") == "张三 有 2 积分。"
    assert await h.say("张三", "/积分 @李四") == "李四 有 1 积分。"
    assert await h.say("张三", "/top") == "积分排行榜（总榜）：\n1. 张三 2\n2. 李四 1"
    assert await h.say("张三", "/排行 本周") == "积分排行榜（本周）：\n1. 张三 2\n2. 李四 1"
    assert (await h.say("张三", "/top decade")).startswith("decade 不是可选项之一")


async def test_thanks_from_one_neighbour_earn_once_a_day(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    await h.send("李四", "/thanks @张三")
    await h.send("李四", "/thanks @张三 again")
    assert await h.say("张三", "/points") == "张三 有 1 积分。"


async def test_this_week_counts_a_thanks_given_monday_3am_shanghai_on_every_database(community: Harness) -> None:
    """Monday 03:00 in Shanghai is Sunday 19:00 UTC: stored in UTC, it must still be in this week's ranking
    (the week starts Monday 00:00 local time, 16:00 UTC on Sunday)."""
    h = community
    await h.send("张三", "/whoami")
    h.clock.current = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)  # Monday 2026-11-23 03:00 in Shanghai
    await h.send("李四", "/thanks @张三")
    h.clock.current = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    assert await h.say("张三", "/top week") == "积分排行榜（本周）：\n1. 张三 1"
    h.clock.current = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # next Monday: last week's thanks is gone
    assert await h.say("张三", "/top week") == "积分排行榜（本周）：\n还没有人获得积分。"


async def test_a_ranking_read_in_a_burst_changes_as_soon_as_points_do(community: Harness) -> None:
    h = community
    for name in ("张三", "李四", "王五"):
        await h.send(name, "/whoami")
    await h.send("张三", "/thanks @李四")
    first = [await h.send(f"看榜{i}", "/top week") for i in range(5)]
    assert all(replies == first[0] for replies in first), "a burst sees one ranking"
    assert "李四" in first[0][-1] and "王五" not in first[0][-1]
    await h.send("张三", "/thanks @王五")  # the memo must not hide this
    assert "王五" in (await h.send("看榜0", "/top week"))[-1]
    h.clock.advance(timedelta(days=1))
    await h.send("李四", "/thanks @王五")
    board = (await h.send("看榜0", "/top week"))[-1]
    assert board.index("王五") < board.index("李四"), "王五 now has two points this week, 李四 one"


def test_a_ranking_read_before_a_change_is_not_kept_and_none_outlives_its_time() -> None:
    from core.rankings_memo import RankingsMemo

    memo = RankingsMemo(ttl_s=60)
    seen = memo.version(1)
    memo.forget(1)  # a booking committed while the ranking was being read
    memo.put((1, None, 10, None), [(7, 5)], seen)
    assert memo.get((1, None, 10, None)) is None
    memo.put((1, None, 10, None), [(7, 6)], memo.version(1))
    memo.put((2, None, 10, None), [(8, 1)], memo.version(2))
    assert memo.get((1, None, 10, None)) == [(7, 6)]
    memo.forget(None)  # two people merged: every community's rankings
    assert memo.get((2, None, 10, None)) is None
    stale = RankingsMemo(ttl_s=0)
    stale.put((1, None, 10, None), [(7, 6)], stale.version(1))
    assert stale.get((1, None, 10, None)) is None, "another process's bookings are heard at least this often"
