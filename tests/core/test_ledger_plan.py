"""The period ranking reads the covering ledger index, never every row of the community (on both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise import connections
from tortoise.transactions import in_transaction

from core.points import _RANKING, _RANKING_SQLITE, PointsEntry, award
from core.storage import _dialect_sql, dialect
from core.testing import Harness

COVERING = ("community_id", "created_at", "user_id", "delta")


async def test_the_week_ranking_is_answered_from_the_covering_index_alone(harness: Harness) -> None:
    start = datetime(2026, 8, 1, tzinfo=UTC)
    await PointsEntry.bulk_create([
        PointsEntry(community_id=n % 3, user_id=n % 400, delta=1, reason="thanks", source_plugin="test",
                    source_key=f"k{n}", created_at=start + timedelta(hours=n % 2800))
        for n in range(6000)
    ])
    await award(1, 7, 1, "thanks", "test", "this week", at=datetime(2026, 11, 24, tzinfo=UTC),
                zone=harness.app.timezone)
    since = datetime(2026, 11, 23, tzinfo=UTC)
    # statistics (and on PostgreSQL the visibility map), as a live database has them: with statistics
    # SQLite once preferred the (community_id, user_id) index for its grouping order and read every row
    await connections.get("default").execute_script(
        "VACUUM ANALYZE linli_points_entry" if dialect() == "postgres" else "ANALYZE")
    async with in_transaction() as connection:
        if dialect() == "postgres":  # a tiny table is scanned whatever its indexes: ask the planner not to
            await connection.execute_script("SET LOCAL enable_seqscan = off")
            sql = "EXPLAIN " + _dialect_sql(connection, _RANKING)
        else:
            sql = "EXPLAIN QUERY PLAN " + _RANKING_SQLITE
        _count, rows = await connection.execute_query(sql, [1, since, 10])
        plan = " ".join(str(value) for row in rows for value in dict(row).values())
    index = await _covering_index_name()
    assert index in plan, plan
    assert ("Index Only Scan" in plan) if dialect() == "postgres" else ("COVERING INDEX" in plan), plan


async def _covering_index_name() -> str:
    connection = connections.get("default")
    if dialect() == "postgres":
        rows = await connection.execute_query_dict(
            "SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE tablename = 'linli_points_entry'")
        columns = {r["name"]: r["definition"].split("(", 1)[1].rstrip(")").replace(" ", "").split(",") for r in rows}
    else:
        names = [r["name"] for r in await connection.execute_query_dict("PRAGMA index_list('linli_points_entry')")]
        columns = {name: [c["name"] for c in await connection.execute_query_dict(f"PRAGMA index_info('{name}')")]
                   for name in names}
    matching = [name for name, cols in columns.items() if tuple(cols) == COVERING]
    assert matching, columns
    return matching[0]


async def test_an_at_name_is_looked_up_by_index_not_by_reading_every_account(harness: Harness) -> None:
    """``@name`` matches a username or a display name: each has an index, so neither scans the accounts."""
    from core.identity import _MEMBERS_NAMED

    await harness.send("王书记", "/setup 观梅社区")
    async with in_transaction() as connection:
        if dialect() == "postgres":
            await connection.execute_script("SET LOCAL enable_seqscan = off")
            sql = "EXPLAIN " + _dialect_sql(connection, _MEMBERS_NAMED)
        else:
            sql = "EXPLAIN QUERY PLAN " + _MEMBERS_NAMED
        _count, rows = await connection.execute_query(sql, [1, "张三", "张三"])
        plan = " ".join(str(value) for row in rows for value in dict(row).values())
    if dialect() == "postgres":
        assert "display_name" in plan.split("Index Cond", 1)[-1] and "Index Cond" in plan, plan
    else:
        assert "SCAN i" not in plan and "USING INDEX" in plan, plan
