"""The board's service hours page: this year's final hours, by team, month by month, and nobody's name."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

from core.testing import Harness
from tests.plugins.service_log.conftest import sweep
from tests.web.pages_support import load_page


async def test_final_hours_this_year_by_team_and_per_month(red: Harness) -> None:
    h = red
    await h.send("王书记", "/服务队 新建 敲门组")
    await h.send("王书记", "/服务队 调入 敲门组 @张三")
    await h.send("张三", "/记录时长 2 敲门探访独居老人")
    await h.send("李四", "/记录时长 1.5 巡逻 昨天")
    await h.send("张三", "/记录时长 3 值班 昨天")  # never approved: not counted
    await h.send("王书记", "/approve 1")
    await h.send("王书记", "/approve 2")
    page = await load_page(h, "hours")
    assert page["total"] == "0.0", "published, not final yet"

    await sweep(h, timedelta(days=14))
    page = await load_page(h, "hours")
    assert (page["year"], page["total"], page["volunteers"]) == (2026, "3.5", 2)
    assert page["teams"] == [{"name": "敲门组", "hours": "2.0"}, {"name": "未分队", "hours": "1.5"}]
    chart = str(page["chart"])
    svg = ElementTree.fromstring(chart[chart.index("<svg"):chart.index("</svg>") + 6])
    bars = svg.findall(".//{http://www.w3.org/2000/svg}rect")
    assert len(bars) == 12
    assert [b.findtext("{http://www.w3.org/2000/svg}title") for b in bars][10:] == ["11月: 3.5 小时", "12月: 0.0 小时"]
    assert "张三" not in chart and "李四" not in repr(page), "no volunteer is named on this page"

    english = await load_page(h, "hours", language="en")
    assert english["teams"][1]["name"] == "No team" and "Nov: 3.5 h" in str(english["chart"])
