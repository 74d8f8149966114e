"""Argument shapes of the service_log commands, for typing on a phone.

``/记录时长 2 敲门探访独居老人 昨天 9:00-11:00``: the hours, then what was done; a day (``昨天``, ``11-30``)
and a time range (``9:00-11:00``) are recognised by their shape at either end of the text.
``/活动 新建 敲门行动 3号楼 12-05 9:00-11:00 10人 上限1.5小时 签到码``: title, place, day, time, then
options recognised by their shape (places, an hours cap, whether check-in needs the code shown on site).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from core.plugin import N_, CommandContext, Refusal
from plugins.service_log.hours import parse_hours
from plugins.service_log.records import Span

RANGE = re.compile(r"^(\d{1,2})[:：点](\d{2})?\s*[-~～—到至]\s*(\d{1,2})[:：点](\d{2})?$")
FULL_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
SHORT_DATE = re.compile(r"^(\d{1,2})[-/.月](\d{1,2})日?$")
RELATIVE = {"today": 0, "今天": 0, "yesterday": 1, "昨天": 1, "前天": 2}
PLACES = re.compile(r"^(\d{1,5})\s*(?:人|名|places?)$", re.IGNORECASE)
CAP = re.compile(r"^(?:上限|cap|最多)[:=：]?(\d{1,3}(?:\.\d+)?)\s*(?:h|小时)?$", re.IGNORECASE)
CODE_WORDS = {"签到码", "code", "需签到码"}


def parse_span(raw: str) -> Span | None:
    match = RANGE.match(raw.strip())
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) if g else 0 for g in match.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
        raise Refusal(N_("{value} is not a time range (try 9:00-11:00)"), value=raw)
    return Span(h1 * 60 + m1, h2 * 60 + m2)


def parse_past_day(raw: str, today: date, window_days: int) -> date | None:
    """A day in the past as people write it; ``11-30`` is this year's, or last year's when this year's has
    not come yet but last year's is recent enough to log. None when ``raw`` is not shaped like a day."""
    word = raw.strip().lower()
    if word in RELATIVE:
        return today - timedelta(days=RELATIVE[word])
    full, short = FULL_DATE.match(word), SHORT_DATE.match(word)
    try:
        if full:
            return date(int(full.group(1)), int(full.group(2)), int(full.group(3)))
        if short:
            day = date(today.year, int(short.group(1)), int(short.group(2)))
            if day > today:
                earlier = day.replace(year=today.year - 1)
                if earlier >= today - timedelta(days=window_days):
                    return earlier
            return day
    except ValueError:
        raise Refusal(N_("{value} is not a date (try 2026-12-31 or 12-31)"), value=raw) from None
    return None


@dataclass(frozen=True)
class Hours:
    """Hours as a decimal: ``2``, ``1.5``, ``2h``, ``2小时`` (``signed`` allows ``-0.5`` for corrections)."""

    signed: bool = False

    def placeholder(self, t: Any, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> Decimal:
        return parse_hours(raw, signed=self.signed)


@dataclass
class LogDetails:
    what: str
    day: date
    span: Span | None


def parse_log(text: str, today: date, window_days: int) -> LogDetails:
    """What was done, with a day and a time range at either end (``昨天 9:00-11:00 敲门`` or ``敲门 昨天``)."""
    words = text.replace("\u3000", " ").split()
    day: date | None = None
    span: Span | None = None
    changed = True
    while changed and words:
        changed = False
        for index in (0, -1):
            word = words[index]
            if span is None and (found := parse_span(word)) is not None:
                span = found
            elif day is None and (found_day := parse_past_day(word, today, window_days)) is not None:
                day = found_day
            else:
                continue
            words.pop(index)
            changed = True
            break
    return LogDetails(" ".join(words), day or today, span)


@dataclass
class ActivityOptions:
    places: int = 0
    cap_hours: Decimal | None = None
    with_code: bool = False


def parse_activity_options(text: str | None) -> ActivityOptions:
    options = ActivityOptions()
    for word in (text or "").replace("\u3000", " ").split():
        if match := PLACES.match(word):
            options.places = int(match.group(1))
        elif match := CAP.match(word):
            options.cap_hours = parse_hours(match.group(1))
        elif word.lower() in CODE_WORDS:
            options.with_code = True
        else:
            raise Refusal(N_("{value} is not an activity option (10人, 上限2小时, 签到码)"), value=word)
    return options


def activity_times(day: date, span: Span, ctx: CommandContext) -> tuple[datetime, datetime]:
    """Local times of the day as UTC moments (SQLite compares stored moments as text: one offset for all)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=ctx.timezone)
    return ((midnight + timedelta(minutes=span.start)).astimezone(UTC),
            (midnight + timedelta(minutes=span.end)).astimezone(UTC))


@dataclass(frozen=True)
class TypedDay:
    day: date
    #: The year was typed (``2026-11-01``), so the day is meant exactly.
    with_year: bool


@dataclass(frozen=True)
class PeriodDay:
    """A day of a reporting period: ``2026-11-01``, or ``11-01`` in this year (see :func:`period_of`)."""

    def placeholder(self, t: Any, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> TypedDay:
        word = raw.strip()
        full, short = FULL_DATE.match(word), SHORT_DATE.match(word)
        try:
            if full:
                return TypedDay(date(int(full.group(1)), int(full.group(2)), int(full.group(3))), True)
            if short:
                return TypedDay(date(ctx.local_day().year, int(short.group(1)), int(short.group(2))), False)
        except ValueError:
            pass
        raise Refusal(N_("{value} is not a date (try 2026-12-31 or 12-31)"), value=raw)


def period_of(first: TypedDay, last: TypedDay, today: date) -> tuple[date, date]:
    """A period typed without years means the latest one that has begun: ``12-01 12-31`` typed in January is
    last December, ``12-01 01-31`` the two months up to now."""
    since, until = first.day, last.day
    if first.with_year or last.with_year:
        return since, until
    if since > until:  # across New Year
        since = _year_before(since)
    if since > today:  # not begun yet this year: last year's
        since, until = _year_before(since), _year_before(until)
    return since, until


def _year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(
        year=day.year - 1)


@dataclass(frozen=True)
class TimeRange:
    def placeholder(self, t: Any, name: str) -> str:
        return name

    async def convert(self, raw: str, ctx: CommandContext) -> Span:
        span = parse_span(raw)
        if span is None:
            raise Refusal(N_("{value} is not a time range (try 9:00-11:00)"), value=raw)
        if span.end <= span.start:
            raise Refusal(N_("The time range has to end after it starts."))
        return span
