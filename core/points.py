"""The points ledger: append-only entries, a cached balance kept in the same transaction.

Points are never edited: a correction is a new entry with the opposite delta. Every entry carries a
``source_key`` unique within its community, so the same reason (a verified claim, an approved service
record) can be booked any number of times, concurrently, and counts once.

Booking is on the hot path of every thanks and verified claim, so it is two hand-written statements
(``INSERT … ON CONFLICT DO NOTHING RETURNING`` and an upsert of the balance that returns the new
balance): a duplicate is a normal outcome, not an error that needs a savepoint around it, and nothing
the statement just wrote is read back. Period rankings read only the covering index
``(community_id, created_at, user_id, delta)``, never the table, and every time is compared in UTC,
which is how it is stored (SQLite compares the stored text).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from tortoise import fields
from tortoise.functions import Sum
from tortoise.models import Model

from core import period_totals
from core.rankings_memo import rankings_memo
from core.storage import dialect, fetch
from core.unit_of_work import after_this_commit, current_work

PERIODS = ("week", "month", "quarter", "year", "all")


def utc_now() -> datetime:
    return datetime.now(UTC)


class PointsEntry(Model):
    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    user_id = fields.IntField()
    delta = fields.IntField()
    reason = fields.CharField(max_length=256)
    source_plugin = fields.CharField(max_length=64)
    source_key = fields.CharField(max_length=191)
    created_at = fields.DatetimeField(default=utc_now, db_index=True)

    class Meta:
        table = "linli_points_entry"
        unique_together = (("community_id", "source_key"),)
        #: the second covers period rankings: ``WHERE community_id = ? AND created_at >= ?``, summing
        #: ``delta`` per ``user_id``, read from the index alone
        indexes = (("community_id", "user_id"), ("community_id", "created_at", "user_id", "delta"))


class PointsBalance(Model):
    id = fields.IntField(primary_key=True)
    community_id = fields.IntField()
    user_id = fields.IntField()
    balance = fields.IntField(default=0)

    class Meta:
        table = "linli_points_balance"
        unique_together = (("community_id", "user_id"),)


@dataclass(frozen=True)
class Booking:
    """The outcome of :func:`award`: ``booked`` is False when the source key was already used."""

    booked: bool
    balance: int


_BOOK = ("INSERT INTO linli_points_entry (community_id, user_id, delta, reason, source_plugin, source_key, "
         "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (community_id, source_key) DO NOTHING RETURNING id")
_ADD = ("INSERT INTO linli_points_balance (community_id, user_id, balance) VALUES (?, ?, ?) "
        "ON CONFLICT (community_id, user_id) DO UPDATE SET balance = linli_points_balance.balance + excluded.balance "
        "RETURNING balance")
_BALANCE = "SELECT balance FROM linli_points_balance WHERE community_id = ? AND user_id = ?"
_BOOKED = "SELECT 1 AS booked FROM linli_points_entry WHERE community_id = ? AND source_key = ? LIMIT 1"
_RANKING = ("SELECT user_id, SUM(delta) AS total FROM linli_points_entry WHERE community_id = ? AND created_at >= ? "
            "GROUP BY user_id HAVING SUM(delta) > 0 ORDER BY total DESC, user_id LIMIT ?")
#: SQLite with statistics prefers the (community_id, user_id) index for its grouping order and then reads
#: every row of the community (10 s at 1 M rows); ``+user_id`` keeps the grouping off that index, so the
#: covering index's range on created_at is used
_RANKING_SQLITE = _RANKING.replace("GROUP BY user_id", "GROUP BY +user_id")


async def award(
    community_id: int, user_id: int, delta: int, reason: str, source_plugin: str, source_key: str,
    at: datetime | None = None, *, zone: tzinfo,
) -> Booking:
    """Book ``delta`` points once per ``(community_id, source_key)``; safe under any concurrency (the
    unique key decides; a concurrent second booking waits for the first and then books nothing).

    ``zone`` is the application's time zone, whose calendar the period totals follow."""
    created = (at or utc_now()).astimezone(UTC)
    booked = await fetch(_BOOK, community_id, user_id, delta, reason[:256], source_plugin, source_key, created)
    if not booked:
        return Booking(False, await balance_of(community_id, user_id))
    rows = await fetch(_ADD, community_id, user_id, delta)
    await period_totals.add(community_id, user_id, delta, created, zone)
    rankings_changed(community_id)
    return Booking(True, int(rows[0]["balance"]))


def rankings_changed(community_id: int | None) -> None:
    """Rankings of ``community_id`` (None: of any community) are out of date: now, and again after the
    commit (a concurrent PostgreSQL transaction may still compute and keep the old one until then)."""
    rankings_memo.forget(community_id)
    after_this_commit(lambda: rankings_memo.forget(community_id))
    uow = current_work.get()
    if uow is not None:  # a ranking this unit of work reads now may include what a rollback undoes
        uow.changed_rankings.add(community_id)


async def balance_of(community_id: int, user_id: int) -> int:
    rows = await fetch(_BALANCE, community_id, user_id)
    return int(rows[0]["balance"]) if rows else 0


def period_start(period: str, now: datetime, timezone: str) -> datetime | None:
    """Start of the calendar period containing ``now`` in the community's time zone; None for 'all'."""
    if period not in period_totals.KEPT:
        return None
    zone = ZoneInfo(timezone)
    return datetime.combine(period_totals.first_day(period, now.astimezone(zone).date()), time(), tzinfo=zone)


async def leaderboard(
    community_id: int, since: datetime | None, limit: int = 10, user_ids: list[int] | None = None,
    period: str | None = None,
) -> list[tuple[int, int]]:
    """``(user_id, points)`` best first; ``since=None`` ranks by balance, otherwise by points earned since.

    ``period`` names the calendar period that ``since`` starts (as :func:`period_start` gives it): its kept
    totals are read (:mod:`core.period_totals`) instead of summing the ledger, when they were counted in
    the zone of ``since``. A ranking is computed once per change of the community's points
    (:mod:`core.rankings_memo`)."""
    key = (community_id, since, limit, tuple(user_ids) if user_ids is not None else None, period)
    remembered = rankings_memo.get(key)
    if remembered is not None:
        return remembered
    seen = rankings_memo.version(community_id)
    starts = await period_totals.kept_start(period, since)
    if starts is not None and period is not None:
        ranking = await period_totals.top(community_id, period, starts, limit, user_ids)
    else:
        ranking = await _rank(community_id, since, limit, user_ids)
    uow = current_work.get()
    if uow is None or not uow.changed_rankings & {community_id, None}:
        rankings_memo.put(key, ranking, seen)
    return ranking


async def _rank(
    community_id: int, since: datetime | None, limit: int, user_ids: list[int] | None,
) -> list[tuple[int, int]]:
    if since is None:
        query = PointsBalance.filter(community_id=community_id, balance__gt=0)
        if user_ids is not None:
            query = query.filter(user_id__in=user_ids)
        rows = await query.order_by("-balance", "user_id").limit(limit).values_list("user_id", "balance")
        return [(int(u), int(b)) for u, b in rows]
    since = since.astimezone(UTC)  # stored in UTC; SQLite compares the text, so the offset must match
    if user_ids is None:
        ranked = await fetch(_RANKING_SQLITE if dialect() == "sqlite" else _RANKING, community_id, since, limit)
        return [(int(r["user_id"]), int(r["total"])) for r in ranked]
    entries = PointsEntry.filter(community_id=community_id, created_at__gte=since)
    if user_ids is not None:
        entries = entries.filter(user_id__in=user_ids)
    grouped = (
        await entries.annotate(total=Sum("delta"))
        .group_by("user_id")
        .order_by("-total", "user_id")
        .limit(limit)
        .values_list("user_id", "total")
    )
    return [(int(u), int(t)) for u, t in grouped if t and t > 0]


async def is_booked(community_id: int, source_key: str) -> bool:
    """Whether an award with this source key was booked already (e.g. today's thanks from one neighbour)."""
    return bool(await fetch(_BOOKED, community_id, source_key))
