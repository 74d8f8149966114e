"""The points ledger: append-only entries, a cached balance kept in the same transaction.

Points are never edited: a correction is a new entry with the opposite delta. Every entry carries a
``source_key`` unique within its community, so the same reason (a verified claim, an approved service
record) can be booked any number of times, concurrently, and counts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise import fields
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.models import Model
from tortoise.transactions import in_transaction

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
        indexes = (("community_id", "user_id"),)


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


async def award(
    community_id: int, user_id: int, delta: int, reason: str, source_plugin: str, source_key: str,
    at: datetime | None = None,
) -> Booking:
    """Book ``delta`` points once per ``(community_id, source_key)``; safe under any concurrency."""
    try:
        async with in_transaction():  # a savepoint when called inside a transaction
            await PointsEntry.create(
                community_id=community_id,
                user_id=user_id,
                delta=delta,
                reason=reason[:256],
                source_plugin=source_plugin,
                source_key=source_key,
                created_at=at or utc_now(),
            )
            return Booking(True, await _add_to_balance(community_id, user_id, delta))
    except IntegrityError:
        return Booking(False, await balance_of(community_id, user_id))


async def _add_to_balance(community_id: int, user_id: int, delta: int) -> int:
    query = PointsBalance.filter(community_id=community_id, user_id=user_id)
    if not await query.update(balance=F("balance") + delta):
        try:
            async with in_transaction():
                await PointsBalance.create(community_id=community_id, user_id=user_id, balance=delta)
        except IntegrityError:  # created concurrently by another first award
            await query.update(balance=F("balance") + delta)
    return await balance_of(community_id, user_id)


async def balance_of(community_id: int, user_id: int) -> int:
    row = await PointsBalance.get_or_none(community_id=community_id, user_id=user_id)
    return row.balance if row else 0


def period_start(period: str, now: datetime, timezone: str) -> datetime | None:
    """Start of the calendar period containing ``now`` in the community's time zone; None for 'all'."""
    local = now.astimezone(ZoneInfo(timezone))
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(day=1, month=(day.month - 1) // 3 * 3 + 1)
    if period == "year":
        return day.replace(day=1, month=1)
    return None


async def leaderboard(
    community_id: int, since: datetime | None, limit: int = 10, user_ids: list[int] | None = None
) -> list[tuple[int, int]]:
    """``(user_id, points)`` best first; ``since=None`` ranks by balance, otherwise by points earned since."""
    if since is None:
        query = PointsBalance.filter(community_id=community_id, balance__gt=0)
        if user_ids is not None:
            query = query.filter(user_id__in=user_ids)
        rows = await query.order_by("-balance", "user_id").limit(limit).values_list("user_id", "balance")
        return [(int(u), int(b)) for u, b in rows]
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
    return await PointsEntry.exists(community_id=community_id, source_key=source_key)
