"""Points earned per person and calendar period (this week, month, quarter, year), kept as they are booked.

Why: a period ranking summed from the ledger reads every entry of the period — a month of a busy
district is ≈ 75 k entries, 20 ms on SQLite, during which the one writer waits and every other
community's command with it. Kept totals make ``/top month`` read at most one row per member of the
community, from an index alone, whatever the ledger's size.

The totals are kept in one time zone, the application's: a period starts at local midnight. The zone they
were counted in is stored beside them (:class:`PeriodCalendar`), and a ranking is read from them only for
a period of that zone (any other is summed from the ledger, as before: slower, never wrong). After
``linli migrate`` and before events flow, :func:`ensure` counts them again from the ledger when they were
counted in another zone (the setting changed), never (the upgrade that added them) or do not add up to
the balances' sum (bookings made around them: an older linli run on the same database, entries written
by hand). The zone is one setting for every worker process: to change it, stop them all, then start them
(a worker still running the old setting would count its bookings into the old zone's periods).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, tzinfo

from tortoise import fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

from core.rankings_memo import rankings_memo
from core.storage import dialect, execute, execute_many, fetch, placeholders

log = logging.getLogger(__name__)

#: The periods kept; "all" is the balance (:class:`core.points.PointsBalance`).
KEPT = ("week", "month", "quarter", "year")
#: Ledger entries read per page when the totals are counted again.
PAGE = 20_000
#: Sums held in memory at most while counting, before they are written.
FLUSH = 100_000


class PeriodTotal(Model):
    id = fields.BigIntField(primary_key=True)
    community_id = fields.IntField()
    period = fields.CharField(max_length=8)
    #: the local date the period starts on (a Monday, the 1st of a month, quarter or year)
    starts = fields.DateField()
    user_id = fields.IntField()
    total = fields.IntField(default=0)

    class Meta:
        table = "linli_points_period_total"
        unique_together = (("community_id", "period", "starts", "user_id"),)
        #: a period's totals read from the index alone, the best sorted out. Measured at 10 k members in a
        #: month: it costs a booking ≈ 25 µs more SQLite work and saves a month's ranking ≈ 5 ms (SQLite) and
        #: 6 ms (PostgreSQL), time during which SQLite's one writer waits — so it stays
        indexes = (("community_id", "period", "starts", "total", "user_id"),)


class PeriodCalendar(Model):
    """The one row saying in which time zone the totals were counted."""

    id = fields.IntField(primary_key=True)
    zone = fields.CharField(max_length=64)

    class Meta:
        table = "linli_points_calendar"


def first_day(period: str, day: date) -> date:
    """The first day of the calendar period containing ``day`` (a local date)."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(day=1, month=(day.month - 1) // 3 * 3 + 1)
    if period == "year":
        return day.replace(day=1, month=1)
    raise ValueError(f"no such period: {period!r}")


def zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone)


_INSERT = "INSERT INTO linli_points_period_total (community_id, period, starts, user_id, total) "
#: what makes every write of a total an addition to what is stored
_ADDING = (" ON CONFLICT (community_id, period, starts, user_id) DO UPDATE "
           "SET total = linli_points_period_total.total + excluded.total")
_ADD = _INSERT + "VALUES " + ", ".join(["(?, ?, ?, ?, ?)"] * len(KEPT)) + _ADDING
_ADD_ONE = _INSERT + "VALUES (?, ?, ?, ?, ?)" + _ADDING
_TOP = ("SELECT user_id, total FROM linli_points_period_total WHERE community_id = ? AND period = ? AND starts = ? "
        "AND total > 0{only} ORDER BY total DESC, user_id LIMIT ?")
_ZONE = "SELECT zone FROM linli_points_calendar WHERE id = 1"
#: per community, the index's range of its year rows (a filter on the period alone would read every total)
_ADDS_UP = ("SELECT COALESCE(SUM(c.balances), 0) AS balances, COALESCE(SUM((SELECT SUM(total) "
            "FROM linli_points_period_total WHERE linli_points_period_total.community_id = c.community_id "
            "AND period = 'year')), 0) AS kept "
            "FROM (SELECT community_id, SUM(balance) AS balances FROM linli_points_balance GROUP BY community_id) c")


async def add(community_id: int, user_id: int, delta: int, at: datetime, zone: tzinfo) -> None:
    """Count a booked entry into its week, month, quarter and year: one statement, in the booking's
    transaction (so a rollback takes it back with the entry)."""
    day = at.astimezone(zone).date()
    params: list[object] = []
    for period in KEPT:
        params += [community_id, period, first_day(period, day), user_id, delta]
    await execute(_ADD, *params)


async def top(community_id: int, period: str, starts: date, limit: int,
              user_ids: list[int] | None = None) -> list[tuple[int, int]]:
    """``(user_id, points)`` best first, ties by user id: the kept totals of one period."""
    if user_ids is not None and not user_ids:
        return []
    only = f" AND user_id IN ({placeholders(len(user_ids))})" if user_ids else ""
    rows = await fetch(_TOP.format(only=only), community_id, period, starts, *(user_ids or ()), limit)
    return [(int(r["user_id"]), int(r["total"])) for r in rows]


async def kept_start(period: str | None, since: datetime | None) -> date | None:
    """The local date whose kept totals rank ``period`` from ``since``; None unless ``since`` is the start of
    such a period in the zone the totals were counted in."""
    if since is None or period not in KEPT or since.tzinfo is None:
        return None
    day = since.date()
    if since != since.replace(hour=0, minute=0, second=0, microsecond=0) or first_day(period, day) != day:
        return None
    return day if await counted_in() == zone_name(since.tzinfo) else None


async def counted_in() -> str | None:
    """The zone the totals were counted in; None before they were counted."""
    rows = await fetch(_ZONE)
    return str(rows[0]["zone"]) if rows else None


async def merge_users(from_user_id: int, into_user_id: int) -> None:
    """One person's totals join another's (the same person with two accounts): what both earned in a
    period is added up."""
    await execute(_INSERT + "SELECT community_id, period, starts, ?, total FROM linli_points_period_total "
                  "WHERE user_id = ?" + _ADDING, into_user_id, from_user_id)
    await execute("DELETE FROM linli_points_period_total WHERE user_id = ?", from_user_id)


async def ensure(zone: tzinfo) -> bool:
    """Count the totals from the ledger unless they were counted in ``zone`` and add up; True if it counted."""
    if await _usable(zone_name(zone)):
        return False
    return await _recount(zone, unless_counted=True)


async def _usable(wanted: str) -> bool:
    """Counted in ``wanted`` and adding up: every year's totals together are every balance together (the
    balances are kept with each entry by every version of linli, and are one row per person: a cheap sum,
    where the ledger's would read every entry). What this catches: bookings that never reached the totals
    (an older linli run on this database, entries written by hand); not entries moved between people or
    periods, which add up the same."""
    if await counted_in() != wanted:
        return False
    rows = await fetch(_ADDS_UP)
    balances, kept = int(rows[0]["balances"]), int(rows[0]["kept"])
    if balances != kept:
        log.warning("the points of each period add up to %d, the balances to %d: counting them again",
                    kept, balances)
    return balances == kept


async def recount(zone: tzinfo) -> None:
    """Count every total again from the ledger (after entries were written around :func:`add`, as a bulk
    import does)."""
    await _recount(zone, unless_counted=False)


async def _recount(zone: tzinfo, *, unless_counted: bool) -> bool:
    """Several processes may start at once: the calendar row is locked (PostgreSQL) or the database is
    (SQLite's writer) before it is read again, so the others wait and then find the zone counted."""
    wanted = zone_name(zone)
    async with in_transaction():
        if dialect() == "postgres":
            await execute("LOCK TABLE linli_points_calendar IN EXCLUSIVE MODE")
            await execute("LOCK TABLE linli_points_entry IN SHARE MODE")  # no booking while counting
        if unless_counted and await _usable(wanted):
            return False
        if await fetch("SELECT 1 AS booked FROM linli_points_entry LIMIT 1"):  # a new database: nothing to say
            log.warning("counting the points of each period (%s) from the ledger, once: about 30 s per "
                        "million entries on SQLite, a minute on PostgreSQL", wanted)
        await execute("INSERT INTO linli_points_calendar (id, zone) VALUES (1, ?) "
                      "ON CONFLICT (id) DO UPDATE SET zone = excluded.zone", wanted)
        await execute("DELETE FROM linli_points_period_total")
        counted = await _count(zone)
    rankings_memo.clear()
    log.info("counted the points of each period in %s: %d entries", wanted, counted)
    return True


async def _count(zone: tzinfo) -> int:
    """The ledger read once in id order; sums are written whenever :data:`FLUSH` of them are held (added to
    what an earlier write of the same key stored), which bounds the memory a large ledger takes."""
    totals: dict[tuple[int, str, date, int], int] = {}
    after = entries = 0
    while True:
        page = await fetch("SELECT id, community_id, user_id, delta, created_at FROM linli_points_entry "
                           "WHERE id > ? ORDER BY id LIMIT ?", after, PAGE)
        for row in page:
            day = _moment(row["created_at"]).astimezone(zone).date()
            for period in KEPT:
                key = (int(row["community_id"]), period, first_day(period, day), int(row["user_id"]))
                totals[key] = totals.get(key, 0) + int(row["delta"])
        entries += len(page)
        if totals and (len(totals) >= FLUSH or not page):
            # in key order: the indexes' pages are filled one after another instead of at random
            await execute_many(_ADD_ONE, [(*key, total) for key, total in sorted(totals.items())])
            totals.clear()
        if not page:
            return entries
        after = int(page[-1]["id"])


def _moment(value: datetime | str) -> datetime:
    """A stored time as an aware datetime (SQLite hands back the stored text)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
