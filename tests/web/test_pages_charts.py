"""The board's charts are real SVG a visitor can read without the picture: one shape per data point with
its value, a name and description for screen readers, the figures as a table, and every text escaped."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from core.web.charts import ChartGuide, ChartPoint, ChartSeries, bar_chart, line_chart, nice_ceiling, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


def _svg(markup: str) -> ElementTree.Element:
    start, end = markup.index("<svg"), markup.index("</svg>") + len("</svg>")
    return ElementTree.fromstring(markup[start:end])


def test_bar_chart_draws_one_titled_bar_per_month_and_the_same_figures_as_a_table() -> None:
    points = [ChartPoint(f"{m}月", value, f"{value} 小时") for m, value in ((1, 0.0), (2, 12.5), (3, 3.0))]
    markup = str(bar_chart("hours", points, title="每月时长", description="共 15.5 小时", table_caption="数据表",
                           headers=("月份", "小时")))
    svg = _svg(markup)
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "hours-title hours-desc"
    assert svg.find(f"{SVG}title").text == "每月时长" and svg.find(f"{SVG}desc").text == "共 15.5 小时"
    bars = svg.findall(f".//{SVG}rect[@class='chart-point']")
    assert [b.find(f"{SVG}title").text for b in bars] == ["1月: 0.0 小时", "2月: 12.5 小时", "3月: 3.0 小时"]
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[0] == 0 and heights[1] > heights[2] > 0, "bar heights follow the values"
    assert abs(heights[1] / heights[2] - 12.5 / 3.0) < 0.01
    assert "style=" not in markup, "no inline styles: a strict CSP keeps the chart"
    assert '<td class="number">12.5 小时</td>' in markup and '<th scope="row">2月</th>' in markup


def test_line_chart_breaks_at_a_missing_value_and_draws_guides() -> None:
    series = [ChartSeries("物业公司", [ChartPoint("Q1", 4.2, "4.20"), ChartPoint("Q2", None, "数据不足"),
                                   ChartPoint("Q3", 2.5, "2.50")]),
              ChartSeries("保安", [ChartPoint("Q1", 3.5, "3.50"), ChartPoint("Q2", 3.7, "3.70"),
                                 ChartPoint("Q3", 3.9, "3.90")])]
    markup = str(line_chart("history", series, title="历史", description="得分", table_caption="数据表",
                            corner="评价期", low=1.0, high=5.0,
                            guides=[ChartGuide(4.0, "红榜"), ChartGuide(3.0, "黑榜")]))
    svg = _svg(markup)
    circles = svg.findall(f".//{SVG}circle[@class='chart-point']")
    assert len(circles) == 5, "a point per known value, none for the insufficient one"
    assert circles[0].find(f"{SVG}title").text == "物业公司, Q1: 4.20"
    first, second = svg.findall(f".//{SVG}g[@class='chart-series']")
    assert first.findall(f"{SVG}polyline") == [], "a gap: two lone points, no line through the missing value"
    assert len(second.findall(f"{SVG}polyline")) == 1
    higher, lower = float(circles[0].get("cy", "0")), float(circles[1].get("cy", "0"))
    assert higher < lower, "a better score is drawn higher"
    assert "红榜" in markup and '<td class="number">数据不足</td>' in markup


def test_every_text_in_a_chart_is_escaped() -> None:
    evil = "<script>alert(1)</script>"
    markup = str(line_chart("x", [ChartSeries(evil, [ChartPoint(evil, 3.0, evil)])], title=evil, description=evil,
                            table_caption=evil, corner=evil, low=1.0, high=5.0))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    with pytest.raises(ValueError, match="chart id"):
        bar_chart('x" onload="alert(1)', [], title="", description="", table_caption="", headers=("", ""))


def test_axes_are_round_numbers() -> None:
    assert [nice_ceiling(v) for v in (0, 0.4, 3, 12.5, 40, 101)] == [1, 1, 5, 20, 50, 200]
    assert nice_ticks(0, 5) == [0, 1, 2, 3, 4, 5] and nice_ticks(0, 20) == [0, 5, 10, 15, 20]
    assert nice_ticks(1, 5) == [1, 2, 3, 4, 5] and nice_ticks(0, 2.5) == [0, 0.5, 1, 1.5, 2, 2.5]
