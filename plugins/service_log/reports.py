"""What the hours add up to: a volunteer's summary, a team's, an organizer's report, export rows.

Only final records count towards totals, stars, reports and certificates; what is waiting or published is
shown beside them, never added in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from plugins.service_log.hours import star_level, to_next_star
from plugins.service_log.models import Record, RecordStatus, Team, Volunteer

ZERO = Decimal("0.0")


@dataclass
class Summary:
    total: Decimal = ZERO
    this_year: Decimal = ZERO
    by_month: dict[int, Decimal] = field(default_factory=dict)
    waiting: Decimal = ZERO  # pending review or published, not final yet
    stars: int = 0
    to_next: Decimal | None = None


async def summary(community_id: int, user_id: int, today: date) -> Summary:
    records = await Record.filter(community_id=community_id, user_id=user_id,
                                  status__in=(RecordStatus.PENDING, RecordStatus.PUBLIC, RecordStatus.FINAL))
    result = Summary()
    months: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for record in records:
        if record.status is not RecordStatus.FINAL:
            result.waiting += record.hours
            continue
        result.total += record.hours
        if record.day.year == today.year:
            result.this_year += record.hours
            months[record.day.month] += record.hours
    result.by_month = dict(sorted(months.items()))
    result.stars = star_level(result.total)
    result.to_next = to_next_star(result.total)
    return result


async def totals(community_id: int, since: date | None = None, until: date | None = None,
                 user_ids: list[int] | None = None) -> dict[int, Decimal]:
    """Final hours per person in a period (days inclusive)."""
    query = Record.filter(community_id=community_id, status=RecordStatus.FINAL)
    if since is not None:
        query = query.filter(day__gte=since)
    if until is not None:
        query = query.filter(day__lte=until)
    if user_ids is not None:
        query = query.filter(user_id__in=user_ids)
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for user_id, hours in await query.values_list("user_id", "hours"):
        out[int(user_id)] += Decimal(hours)
    return dict(out)


async def final_records(community_id: int, user_id: int | None = None, since: date | None = None,
                        until: date | None = None) -> list[Record]:
    query = Record.filter(community_id=community_id, status=RecordStatus.FINAL)
    if user_id is not None:
        query = query.filter(user_id=user_id)
    if since is not None:
        query = query.filter(day__gte=since)
    if until is not None:
        query = query.filter(day__lte=until)
    return await query.order_by("day", "id")


EXPORT_HEADER = ("record", "volunteer_number", "name", "team", "day", "hours", "points", "kind", "content",
                 "activity", "approved_by", "final_at", "corrects")


async def export_rows(community_id: int, since: date, until: date) -> list[tuple[object, ...]]:
    """One row per final record in the period, in day order; the hours stay exact decimals."""
    volunteers = {v.user_id: v for v in await Volunteer.filter(community_id=community_id)}
    teams = {t.id: t.name for t in await Team.filter(community_id=community_id)}
    rows: list[tuple[object, ...]] = []
    for record in await final_records(community_id, since=since, until=until):
        volunteer = volunteers.get(record.user_id)
        rows.append((
            record.id, volunteer.number if volunteer else "", volunteer.real_name if volunteer else "",
            teams.get(volunteer.team_id, "") if volunteer and volunteer.team_id else "",
            record.day.isoformat(), record.hours, record.points, record.kind.value, record.what,
            record.activity_title, record.approved_by or "",
            record.final_at.isoformat() if record.final_at else "", record.corrects_id or ""))
    return rows
