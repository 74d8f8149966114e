"""The 红黑榜 page of the board (``/c/<slug>/ratings/``): each target's latest published result and its history.

Only what the close published is shown (:func:`plugins.ratings.service.results`): per target its latest
closed period, the list it is on, the score per dimension, the turnout, residents' comments (stored without
names, in random order, and only when there were enough ratings) and the property manager's reply; a
target with too few ratings reads "insufficient data" and shows no scores. The history is one chart, a line
per target over the closed periods. Nothing about a single rating, a household or a person is read here:
no rating row is touched at all, so nothing on the page can tie a score to anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.plugin import N_, ChartGuide, ChartPoint, ChartSeries, WebPage, WebScope, board_date, line_chart
from plugins.ratings import service
from plugins.ratings.models import Period, PeriodKind, Result, Standing
from plugins.ratings.speaker import SOURCE_TITLES, STANDINGS

#: A class per list, for the colour of the badge on the page (the text says it too).
STANDING_CLASSES = {Standing.RED: "red", Standing.BLACK: "black", Standing.MIDDLE: "middle",
                    Standing.INSUFFICIENT: "insufficient", Standing.INCOMPLETE: "insufficient"}


def _score(result: Result) -> float | None:
    return result.composite["total"] if result.composite else result.overall


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _latest(scope: WebScope, period: Period, result: Result) -> dict[str, Any]:
    composite = []
    if result.composite is not None and period.kind is PeriodKind.ANNUAL:
        parts, weights = result.composite["parts"], result.composite["weights"]
        composite = [{"source": scope._(SOURCE_TITLES[s]), "score": _number(parts.get(s)), "weight": weights.get(s)}
                     for s in ("residents", "community", "third_party")]
    return {
        "target": result.target.name, "period": period.title,
        "closed": board_date(scope, period.closed_at) if period.closed_at else None,
        "standing": scope._(STANDINGS[result.standing]), "standing_class": STANDING_CLASSES[result.standing],
        "insufficient": result.standing is Standing.INSUFFICIENT, "minimum": period.min_ratings,
        "score": _number(_score(result)), "ratings": result.ratings, "households": period.households,
        "dimensions": [{"name": d, "score": f"{s:.1f}"} for d, s in zip(period.dimensions, result.scores,
                                                                         strict=False)],
        "composite": composite, "comments": list(result.comments), "reply": result.reply,
    }


def _chart(scope: WebScope, history: list[tuple[Period, list[Result]]]) -> Any:
    periods = list(reversed(history))  # oldest first
    names = list(dict.fromkeys(r.target.name for _, rows in periods for r in rows))
    insufficient = scope._("insufficient data")
    series = []
    for name in names:
        points = []
        for period, rows in periods:
            found = next((r for r in rows if r.target.name == name), None)
            value = _score(found) if found is not None else None
            points.append(ChartPoint(period.title, value, _number(value) if value is not None else (
                insufficient if found is not None else "")))
        if any(p.value is not None for p in points):  # a target never ranked has no line (its card says why)
            series.append(ChartSeries(name, points))
    if not series:
        return None
    latest = history[0][0]
    return line_chart(
        "ratings-history", series, title=scope._("Scores over the periods"),
        description=scope._("Overall score of each target in each closed period, from 1 to 5 stars."),
        table_caption=scope._("The figures"), corner=scope._("Period"), low=1.0, high=5.0,
        guides=[ChartGuide(latest.red_threshold, scope._("red list from {score}", score=latest.red_threshold),
                           "#b3261e"),
                ChartGuide(latest.black_threshold, scope._("black list at {score} and below",
                                                           score=latest.black_threshold), "#1f1f1f")])


async def load(scope: WebScope) -> Mapping[str, Any]:
    history = await service.results(scope.community_id)
    current = await service.open_period(scope.community_id)
    latest: dict[int, tuple[Period, Result]] = {}
    for period, rows in history:  # newest first: the first result met per target is its latest
        for result in rows:
            latest.setdefault(result.target.id, (period, result))
    active = {t.id for t in await service.targets(scope.community_id)}
    shown = [_latest(scope, period, result) for target_id, (period, result) in sorted(latest.items())
             if target_id in active]
    return {
        "open_period": {"title": current.title, "until": board_date(scope, current.closes_at)} if current else None,
        "latest": shown, "chart": _chart(scope, history) if history else None,
        "periods": len(history),
    }


RATINGS_PAGE = WebPage(name="ratings", title=N_("Red and black list"), template="ratings_board.html", load=load,
                       order=40, summary_template="ratings_summary.html")
