"""The board's pages over plain HTTP from the real server: an empty community reads as empty (no error),
and a display name or a project title made of markup comes back escaped, as text."""

from __future__ import annotations

from tests.web.conftest import Board
from tests.web.test_pages_rankings import earn

EVIL_NAME = "<script>alert(1)</script>"


async def test_an_empty_board_says_there_is_nothing_yet(board: Board) -> None:
    expected = {"/c/guanmei/projects/": ["目前没有可以认领的项目。", "还没有完成的项目。"],
                "/c/guanmei/rankings/": ["这段时间还没有人获得积分。"],
                "/c/guanmei/hours/": ["今年还没有计入的服务时长。", "0.0 小时"],
                "/c/guanmei/ratings/": ["还没有公布过结果。"]}
    for path, texts in expected.items():
        status, _headers, body = await board.get(path, headers={"Accept-Language": "zh-CN"})
        assert status == 200, path
        for text in texts:
            assert text in body, (path, text)
    status, _headers, body = await board.get("/c/guanmei/hours/", headers={"Accept-Language": "zh-CN"})
    assert body.count('class="chart-point"') == 12, "twelve empty months are still drawn"


async def test_markup_in_a_name_and_a_title_is_escaped(board: Board) -> None:
    h = board.harness
    await h.send(EVIL_NAME, "/whoami")
    await earn(h, EVIL_NAME, "<b>粗体</b>", 5)
    for path in ("/c/guanmei/rankings/?period=week", "/c/guanmei/projects/", "/c/guanmei/"):
        status, _headers, body = await board.get(path)
        assert status == 200, path
        assert "<script>alert" not in body and "<b>" not in body, path
    _status, _headers, ranking = await board.get("/c/guanmei/rankings/?period=week")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ranking
    _status, _headers, projects = await board.get("/c/guanmei/projects/")
    assert "&lt;b&gt;粗体&lt;/b&gt;" in projects and "感谢：&lt;script&gt;alert(1)&lt;/script&gt;" in projects
