"""Hours as exact decimals and what they are worth: parsing, rounding, stars.

Hours are :class:`~decimal.Decimal` with at most one decimal place (a tenth of an hour, six minutes), so
thirty records of 0.1 h add up to exactly 3.0 h. Points are whole numbers: each record earns its hours ×
the community's rate, rounded half up on that record alone (0.05 h × 10 = 0.5 → 1 point).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from core.plugin import N_, Refusal

TENTH = Decimal("0.1")
#: Star levels by total final hours (民政部: 100 / 300 / 600 / 1000 / 1500 hours for 1–5 stars).
STAR_HOURS = (Decimal(100), Decimal(300), Decimal(600), Decimal(1000), Decimal(1500))
HOURS = re.compile(r"^([+-]?\d{1,4}(?:\.\d+)?)\s*(?:h|hr|hrs|hours?|小时|个小时|时)?$", re.IGNORECASE)
MAX_RECORD_HOURS = Decimal(24)


def parse_hours(raw: str, *, signed: bool = False) -> Decimal:
    """``2``, ``1.5``, ``2h``, ``2小时``; refuses what is not a number, not positive (unless ``signed``, for
    corrections), or finer than a tenth of an hour."""
    text = raw.strip().translate(str.maketrans("０１２３４５６７８９．＋－", "0123456789.+-"))
    match = HOURS.match(text)
    if match is None:
        raise Refusal(N_("{value} is not a number of hours (try 2 or 1.5)"), value=raw)
    try:
        value = Decimal(match.group(1))
    except InvalidOperation:
        raise Refusal(N_("{value} is not a number of hours (try 2 or 1.5)"), value=raw) from None
    if value != value.quantize(TENTH):
        raise Refusal(N_("{value}: hours are recorded to a tenth of an hour (for example 1.5)."), value=raw)
    if (value <= 0 and not signed) or value == 0:
        raise Refusal(N_("{value}: the hours have to be more than 0."), value=raw)
    if abs(value) > MAX_RECORD_HOURS:
        raise Refusal(N_("{value}: one record holds at most {maximum} hours."), value=raw,
                      maximum=MAX_RECORD_HOURS)
    return value.quantize(TENTH)


def points_for(hours: Decimal, rate: int) -> int:
    """Whole points for one record: hours × rate, rounded half up (away from zero for corrections)."""
    return int((hours * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tenths_of(span: timedelta) -> Decimal:
    """Time served as hours, rounded down to the tenth: six started minutes are not yet a tenth."""
    return (Decimal(int(span.total_seconds())) / Decimal(3600)).quantize(TENTH, rounding=ROUND_DOWN)


def star_level(total: Decimal) -> int:
    return sum(1 for threshold in STAR_HOURS if total >= threshold)


def to_next_star(total: Decimal) -> Decimal | None:
    """Hours still missing for the next star; None at five stars."""
    for threshold in STAR_HOURS:
        if total < threshold:
            return threshold - total
    return None


def shown(hours: Decimal) -> str:
    """Hours as they read in chat and on certificates, always with their tenth: ``2.5``, ``3.0``."""
    return str(hours.quantize(TENTH))
