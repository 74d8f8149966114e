"""The board's 红黑榜 page: each target's latest published result, the manager's reply, the history as a
chart, "insufficient data" as such, comments without names, nothing that ties a rating to anyone."""

from __future__ import annotations

import json

from core.testing import Harness
from tests.plugins.ratings.conftest import rate, residents
from tests.web.pages_support import load_page


async def _quarter(h: Harness, people: list[str], title: str, stars: list[str], comments: dict[int, str]) -> None:
    await h.send("王书记", f"/开启评价 季度 12-31 {title}")
    for number, (name, score) in enumerate(zip(people, stars, strict=True)):
        comment = comments.get(number, "")
        await rate(h, name, f"/评价 物业公司 {' '.join(score * 5)} {comment}".rstrip())
    await h.send("王书记", "/结束评价")


async def test_latest_result_with_dimensions_reply_and_history_and_insufficient_data_as_such(hood: Harness) -> None:
    h = hood
    await h.send("王书记", "/评价对象 添加 保洁公司")
    people = await residents(h, 5)
    await h.send("王经理", "/whoami")
    await h.send("王书记", "/grant @王经理 物业")
    await h.send("王书记", "/评价对象 关联 物业公司 @王经理")

    page = await load_page(h, "ratings")
    assert page["latest"] == [] and page["chart"] is None and page["open_period"] is None

    await _quarter(h, people, "第一期", ["3", "3", "3", "2", "3"], {})
    await _quarter(h, people, "第二期", ["5", "4", "4", "5", "4"], {0: "电梯修得快", 3: "保安很负责"})
    await h.send("王经理", "/评价回复 物业公司 谢谢大家，我们会继续改进")
    await h.send("王书记", "/开启评价 季度 12-31 第三期")

    page = await load_page(h, "ratings")
    assert page["open_period"] == {"title": "第三期", "until": "2026年12月31日"}
    company, cleaning = page["latest"]
    assert (company["target"], company["period"], company["standing"], company["score"]) == (
        "物业公司", "第二期", "🔴 红榜", "4.40")
    assert company["ratings"] == 5 and company["households"] == 5
    assert [d["name"] for d in company["dimensions"]] == ["服务态度", "维修及时", "环境卫生", "安全秩序", "收费透明"]
    assert {d["score"] for d in company["dimensions"]} == {"4.4"}
    assert sorted(company["comments"]) == ["保安很负责", "电梯修得快"]
    assert company["reply"] == "谢谢大家，我们会继续改进"
    assert cleaning["target"] == "保洁公司" and cleaning["insufficient"]
    assert cleaning["standing"] == "数据不足，不排名" and cleaning["dimensions"] == []
    assert cleaning["comments"] == [] and cleaning["score"] == "-"

    chart = str(page["chart"])
    assert chart.count('class="chart-point"') == 2, "物业公司 twice; 保洁公司 never had enough ratings"
    assert "物业公司, 第一期: 2.80" in chart and "物业公司, 第二期: 4.40" in chart
    assert "保洁公司" not in chart, "a target never ranked draws no line"

    shown = json.dumps({k: v for k, v in page.items() if k != "chart"}, ensure_ascii=False) + chart
    for name in [*people, "王经理"]:
        assert name not in shown, f"{name} appears on the ratings page"
    assert "1-1-10" not in shown, "no household either"


async def test_the_page_in_english(hood: Harness) -> None:
    h = hood
    people = await residents(h, 5)
    await _quarter(h, people, "Q4", ["1", "2", "1", "2", "1"], {})
    page = await load_page(h, "ratings", language="en")
    [company] = page["latest"]
    assert (company["standing"], company["score"], company["closed"]) == ("⚫ black list", "1.40", "Nov 23, 2026")
