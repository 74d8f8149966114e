"""The service hours page of the board (``/c/<slug>/hours/``): this year's hours, by team, and month by month.

Only final records count (as in ``/hours`` and the certificates, :mod:`plugins.service_log.reports`): hours
still waiting for review or in publication are not added in. Teams are shown by name with their totals;
no volunteer is named here, and no real name or volunteer number ever leaves the plugin.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import get_month_names

from core.plugin import N_, ChartPoint, WebPage, WebScope, bar_chart
from plugins.service_log.hours import shown
from plugins.service_log.models import Team, Volunteer
from plugins.service_log.reports import ZERO, final_records

NO_TEAM = N_("No team")


async def load(scope: WebScope) -> Mapping[str, Any]:
    today = scope.now.date()
    records = await final_records(scope.community_id, since=date(today.year, 1, 1), until=date(today.year, 12, 31))
    teams = {t.id: t.name for t in await Team.filter(community_id=scope.community_id)}
    team_of = dict(await Volunteer.filter(community_id=scope.community_id).values_list("user_id", "team_id"))
    total = ZERO
    by_month: dict[int, Decimal] = defaultdict(lambda: ZERO)
    by_team: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
    people: set[int] = set()
    for record in records:
        total += record.hours
        by_month[record.day.month] += record.hours
        team_id = team_of.get(record.user_id)
        by_team[team_id if team_id in teams else None] += record.hours
        people.add(record.user_id)
    team_rows = sorted(((teams[t] if t is not None else scope._(NO_TEAM), hours, t is None)
                        for t, hours in by_team.items()), key=lambda row: (row[2], -row[1], row[0]))
    label = scope._("Month")
    months = get_month_names("abbreviated", locale=scope.language)
    points = [ChartPoint(months[month], float(by_month[month]),
                         scope._("{hours} h", hours=shown(by_month[month]))) for month in range(1, 13)]
    chart = bar_chart(
        "hours-by-month", points, title=scope._("Service hours per month, {year}", year=today.year),
        description=scope._("{hours} hours of service in {year}, month by month.", hours=shown(total),
                            year=today.year),
        table_caption=scope._("The figures"), headers=(label, scope._("Hours")))
    return {"year": today.year, "total": shown(total), "volunteers": len(people),
            "teams": [{"name": name, "hours": shown(hours)} for name, hours, _ in team_rows],
            "chart": chart}


def totals(scope: WebScope, values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The front page's figure: hours this year (from what ``load`` read, no second query)."""
    return [(N_("hours this year"), values["total"])]


HOURS_PAGE = WebPage(name="hours", title=N_("Hours of service"), template="service_log_hours.html", load=load,
                     order=30, summary_template="service_log_summary.html", totals=totals)
