"""Charts for the board, drawn on the server as inline SVG: no JavaScript, no CDN, readable without the picture.

Every chart is a ``<figure>`` holding an ``<svg role="img">`` named by its ``<title>`` and ``<desc>``, one
shape per data point (a ``<rect>`` or ``<circle>``) with a ``<title>`` giving its value (a tooltip on a
desktop, read out by a screen reader), and the same numbers as a table under a ``<details>``, for those
who cannot see the picture or want the figures. Only presentation attributes are used, no ``style``
attribute, so a strict Content-Security-Policy (no inline styles or scripts) leaves the charts intact.

A page builds its charts in ``load`` (with its texts already translated) and hands the template the
returned :class:`~markupsafe.Markup`; every text that goes in is escaped here, so a target called
``<script>`` is drawn as text. Hand-made SVG, because the libraries that draw charts either need a browser
script or inline styles, and these are a handful of bars and lines.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Drawn in a 480-wide box and scaled to the page: on a phone (≈ 360 px) the 13-unit text stays ≈ 10 px.
WIDTH, PLOT_HEIGHT = 480, 180
LEFT, RIGHT, TOP = 40, 10, 12
FONT = 13
#: Longer x labels are cut in the picture (the table keeps them whole).
LABEL_MAX = 12
#: Dark enough on white for text and thin lines (WCAG AA, ≥ 4.5:1).
INK, GRID, MUTED = "#1f1f1f", "#d0d0d0", "#595959"
BAR = "#b3261e"
#: Series colours for lines, each ≥ 3:1 against white (graphical objects, WCAG 1.4.11).
SERIES = ("#b3261e", "#1f5fa8", "#2e7d32", "#6a3d9a", "#8a5a00", "#00796b")


@dataclass(frozen=True)
class ChartPoint:
    """One value: its label on the x axis, the number (None: no value, drawn as a gap), how it reads."""

    label: str
    value: float | None
    shown: str


@dataclass(frozen=True)
class ChartSeries:
    name: str
    points: Sequence[ChartPoint]


@dataclass(frozen=True)
class ChartGuide:
    """A dashed horizontal line with a label (the red list's threshold)."""

    value: float
    label: str
    colour: str = MUTED


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def text_width(text: str) -> float:
    """Roughly how wide ``text`` is drawn: a Chinese character is about twice a Latin letter."""
    return sum(FONT if unicodedata.east_asian_width(ch) in "WF" else FONT * 0.58 for ch in text)


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def nice_ceiling(value: float) -> float:
    """The axis maximum: 1, 2, 2.5 or 5 times a power of ten, at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop ends at 10 × power


def nice_ticks(low: float, high: float) -> list[float]:
    """Grid values from ``low`` to ``high`` in round steps: 0–5 by 1, 0–20 by 5, 0–2.5 by 0.5."""
    span = high - low
    power = 10 ** math.floor(math.log10(span)) if span > 0 else 1
    count = 4 if round(span / power, 6) in (2.0, 4.0, 8.0) else 5
    return [low + span * i / count for i in range(count + 1)]


def _safe_id(chart_id: str) -> str:
    """Ids go into attributes unescaped: letters, digits and dashes only."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", chart_id):
        raise ValueError(f"a chart id is letters, digits and dashes: {chart_id!r}")
    return chart_id


@dataclass(frozen=True)
class _Box:
    """Where the plot lies in the picture: below the legend, above the x labels (slanted when long)."""

    top: float
    slanted: bool
    bottom: float  # height of the x labels' band

    @property
    def height(self) -> float:
        return self.top + PLOT_HEIGHT + self.bottom

    def y(self, value: float, low: float, high: float) -> float:
        span = (high - low) or 1.0
        return self.top + PLOT_HEIGHT * (1 - (value - low) / span)


def _box(labels: Sequence[str], legend_rows: int = 0) -> _Box:
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    widest = max((text_width(_cut(label)) for label in labels), default=0.0)
    slanted = widest > slot * 0.92
    bottom = FONT + 14 + (widest * 0.5 if slanted else 0.0)
    return _Box(TOP + legend_rows * (FONT + 8) + (8 if legend_rows else 0), slanted, bottom)


def _frame(chart_id: str, box: _Box, title: str, description: str, body: str) -> str:
    chart_id = _safe_id(chart_id)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
            f'viewBox="0 0 {WIDTH} {box.height:.0f}" width="100%" preserveAspectRatio="xMidYMid meet" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="sans-serif" font-size="{FONT}">'
            f'<title id="{chart_id}-title">{escape(title)}</title>'
            f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
            f"{body}</svg>")


def _y_axis(box: _Box, low: float, high: float) -> str:
    parts = []
    for tick in nice_ticks(low, high):
        y = box.y(tick, low, high)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
                     f'stroke-width="1"/>'
                     f'<text x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{_number(tick)}</text>')
    return f'<g class="chart-axis" aria-hidden="true">{"".join(parts)}</g>'


def _x_labels(box: _Box, labels: Sequence[str]) -> str:
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    y = box.top + PLOT_HEIGHT + FONT + 6
    parts = []
    for index, label in enumerate(labels):
        x = LEFT + slot * (index + 0.5)
        if box.slanted:
            parts.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" fill="{INK}" '
                         f'transform="rotate(-30 {x:.1f} {y:.1f})">{escape(_cut(label))}</text>')
        else:
            parts.append(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="{INK}">{escape(label)}</text>')
    return f'<g class="chart-labels" aria-hidden="true">{"".join(parts)}</g>'


def _legend(series: Sequence[ChartSeries]) -> tuple[str, int]:
    """Swatches and names above the plot, wrapped into rows; the markup and the number of rows."""
    parts, x, row = [], float(LEFT), 0
    for number, line in enumerate(series):
        width = 18 + text_width(_cut(line.name)) + 16
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, row = float(LEFT), row + 1
        y = TOP + row * (FONT + 8) + FONT / 2
        colour = SERIES[number % len(SERIES)]
        parts.append(f'<rect x="{x:.1f}" y="{y - 5:.1f}" width="12" height="10" fill="{colour}"/>'
                     f'<text x="{x + 16:.1f}" y="{y + 4:.1f}" fill="{INK}">{escape(_cut(line.name))}</text>')
        x += width
    return f'<g class="chart-legend" aria-hidden="true">{"".join(parts)}</g>', (row + 1 if series else 0)


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + f'<th scope="row">{escape(row[0])}</th>'
                   + "".join(f'<td class="number">{escape(cell)}</td>' for cell in row[1:]) + "</tr>" for row in rows)
    return (f'<details class="chart-data"><summary>{escape(caption)}</summary>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>")


def bar_chart(chart_id: str, points: Sequence[ChartPoint], *, title: str, description: str, table_caption: str,
              headers: tuple[str, str]) -> Markup:
    """Vertical bars, one ``<rect class="chart-point">`` per point (a zero is a bar of height 0, still there)."""
    high = nice_ceiling(max((p.value or 0.0 for p in points), default=0.0))
    box = _box([p.label for p in points])
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    bar = max(slot * 0.64, 2.0)
    shapes = []
    for index, point in enumerate(points):
        centre = LEFT + slot * (index + 0.5)
        top = box.y(point.value or 0.0, 0.0, high)
        shapes.append(
            f'<rect class="chart-point" x="{centre - bar / 2:.1f}" y="{top:.1f}" width="{bar:.1f}" '
            f'height="{box.y(0.0, 0.0, high) - top:.1f}" fill="{BAR}" data-value="{escape(point.shown)}">'
            f"<title>{escape(point.label)}: {escape(point.shown)}</title></rect>")
    body = (_y_axis(box, 0.0, high) + f'<g class="chart-points">{"".join(shapes)}</g>'
            + _x_labels(box, [p.label for p in points]))
    figure = _frame(chart_id, box, title, description, body) + _table(
        table_caption, headers, [(p.label, p.shown) for p in points])
    return Markup(f'<figure class="chart" id="{chart_id}">{figure}</figure>')


def line_chart(chart_id: str, series: Sequence[ChartSeries], *, title: str, description: str, table_caption: str,
               corner: str, low: float, high: float, guides: Sequence[ChartGuide] = ()) -> Markup:
    """Lines over shared x labels (from the first series), a ``<circle class="chart-point">`` per known value;
    a missing value breaks the line. A legend names the lines; ``corner`` heads the table's first column."""
    labels = [p.label for p in series[0].points] if series else []
    legend, rows = _legend(series)
    box = _box(labels, rows)
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    parts = [legend, _y_axis(box, low, high)]
    for guide in guides:
        y = box.y(guide.value, low, high)
        parts.append(f'<g class="chart-guide"><line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{guide.colour}" stroke-width="1.5" stroke-dasharray="6 4"/>'
                     f'<text x="{WIDTH - RIGHT}" y="{y - 4:.1f}" text-anchor="end" fill="{guide.colour}">'
                     f"{escape(guide.label)}</text></g>")
    parts.append(_x_labels(box, labels))
    for number, line in enumerate(series):
        colour = SERIES[number % len(SERIES)]
        runs: list[list[str]] = [[]]
        dots = []
        for index, point in enumerate(line.points):
            if point.value is None:
                runs.append([])
                continue
            x, y = LEFT + slot * (index + 0.5), box.y(point.value, low, high)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            dots.append(f'<circle class="chart-point" cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}" '
                        f'data-value="{escape(point.shown)}"><title>{escape(line.name)}, {escape(point.label)}: '
                        f"{escape(point.shown)}</title></circle>")
        lines = "".join(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
                        for run in runs if len(run) > 1)
        parts.append(f'<g class="chart-series" data-series="{escape(line.name)}">{lines}{"".join(dots)}</g>')
    table_rows = [(label, *(s.points[i].shown if i < len(s.points) else "" for s in series))
                  for i, label in enumerate(labels)]
    figure = _frame(chart_id, box, title, description, "".join(parts)) + _table(
        table_caption, [corner, *(s.name for s in series)], table_rows)
    return Markup(f'<figure class="chart" id="{chart_id}">{figure}</figure>')
