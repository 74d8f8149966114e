"""Names with badges cost a constant number of queries: a 1,000-member leaderboard is rendered with as
many database round trips as a 10-member one, counted from Tortoise's own query log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from core.identity import Membership, User
from core.points import PointsBalance, leaderboard
from core.testing import Harness
from plugins.badges.models import Badge, BadgeStatus, CustomKind

MEMBERS = 1000
COMMUNITY = 1
AT = datetime(2026, 11, 23, tzinfo=UTC)


class QueryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.queries: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(("Created connection pool", "Closed connection pool")):
            self.queries.append(message)


@contextmanager
def counting() -> Iterator[QueryCounter]:
    """Every statement the database clients send while inside (Tortoise logs each one at DEBUG)."""
    logger = logging.getLogger("tortoise.db_client")
    counter, level = QueryCounter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


async def a_big_neighbourhood() -> list[int]:
    """1,000 members with points; every third shows the party badge, every fifth a custom ⭐ as well, every
    seventh holds the party badge hidden."""
    await User.bulk_create([User(display_name=f"居民{i:04d}") for i in range(MEMBERS)])
    ids = sorted(int(u) for u in await User.filter(display_name__startswith="居民").values_list("id", flat=True))
    await Membership.bulk_create([Membership(community_id=COMMUNITY, user_id=u, roles=[]) for u in ids])
    await PointsBalance.bulk_create([PointsBalance(community_id=COMMUNITY, user_id=u, balance=MEMBERS - i)
                                     for i, u in enumerate(ids)])
    await CustomKind.create(community_id=COMMUNITY, key="captain", emoji="⭐", name="队长", created_by=1,
                            created_at=AT)
    badges = []
    for i, user_id in enumerate(ids):
        if i % 3 == 0 or i % 7 == 0:
            badges.append(Badge(community_id=COMMUNITY, user_id=user_id, kind="party", status=BadgeStatus.VERIFIED,
                                shown=i % 3 == 0, requested_at=AT))
        if i % 5 == 0:
            badges.append(Badge(community_id=COMMUNITY, user_id=user_id, kind="captain",
                                status=BadgeStatus.VERIFIED, shown=True, requested_at=AT))
    await Badge.bulk_create(badges)
    return ids


async def rendered_board(h: Harness, size: int) -> tuple[list[str], list[str]]:
    with counting() as counter:
        rows = await leaderboard(COMMUNITY, None, limit=size)
        names = await h.app.render_names(COMMUNITY, [user_id for user_id, _ in rows])
        lines = [f"{rank}. {names[u]} {total}" for rank, (u, total) in enumerate(rows, start=1)]
    return lines, counter.queries


async def test_a_1000_member_leaderboard_with_badges_costs_as_many_queries_as_a_10_member_one(
        community: Harness) -> None:
    h = community
    await a_big_neighbourhood()
    small, small_queries = await rendered_board(h, 10)
    board, queries = await rendered_board(h, MEMBERS)
    assert len(board) == MEMBERS
    assert board[:4] == ["1. 居民0000 🚩⭐ 1000", "2. 居民0001 999", "3. 居民0002 998", "4. 居民0003 🚩 997"]
    assert board[7] == "8. 居民0007 993", "a hidden badge makes no mark"
    assert sum("🚩" in line for line in board) == len(range(0, MEMBERS, 3))
    assert sum("⭐" in line for line in board) == len(range(0, MEMBERS, 5))
    assert small == board[:10]
    assert len(queries) == len(small_queries), "rendering names must not cost a query per member"
    # the ranking, the names, and whatever each enabled plugin needs for its marks: two for badges (the
    # badges, and the custom kinds because some shown badge is one)
    assert len([q for q in queries if 'FROM badges_' in q.replace('"', '')]) == 2, queries
    assert len(queries) <= 6, queries
