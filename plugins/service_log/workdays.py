"""Working days for the publication window (公示): weekends off, listed public holidays off, listed
make-up working days (调休) on.

A record approved on some day is published for the next ``n`` working days and becomes final at the
local midnight after the last of them: approved on a Friday with a 3-day window, it is final at the start
of Thursday (Monday, Tuesday, Wednesday were the window).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def is_working_day(day: date, holidays: Iterable[date], workdays: Iterable[date]) -> bool:
    if day in set(workdays):
        return True
    if day in set(holidays):
        return False
    return day.weekday() < 5


def window_end(approved: datetime, days: int, timezone: ZoneInfo, holidays: Iterable[date],
               workdays: Iterable[date]) -> datetime:
    """The moment a record approved at ``approved`` is final: local midnight after ``days`` working days."""
    holidays, workdays = set(holidays), set(workdays)
    day = approved.astimezone(timezone).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays, workdays):
            counted += 1
    following = day + timedelta(days=1)
    # in UTC: SQLite compares stored moments as text, so every stored moment has the same offset
    return datetime.combine(following, time(0, 0), tzinfo=timezone).astimezone(UTC)
