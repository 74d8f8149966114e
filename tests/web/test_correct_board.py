"""A reversed verification leaves the public board: the completed project no longer thanks the person whose
work was not verified after all (review of issue 17's corrections)."""

from __future__ import annotations

from tests.web.conftest import Board
from tests.web.test_pages_rankings import earn


async def test_a_reversed_verification_is_no_longer_thanked_on_the_board(board: Board) -> None:
    h = board.harness
    await h.send("张三", "/whoami")
    await earn(h, "张三", "整治共享单车", 10)
    _status, _headers, before = await board.get("/c/guanmei/projects/")
    assert "整治共享单车" in before and "张三" in before
    await h.send("王书记", "/更正 认领 1 @张三 不是他做的")
    _status, _headers, after = await board.get("/c/guanmei/projects/")
    assert "整治共享单车" in after and "张三" not in after
