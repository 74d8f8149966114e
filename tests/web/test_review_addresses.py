"""Board addresses from the start and for good: a community set up in chat has its address before anyone
opens a page, and an address changed with ``/board slug`` keeps leading to the board (a printed QR code)."""

from __future__ import annotations

from core.identity import Community
from tests.web.conftest import Board


async def test_a_community_set_up_in_chat_has_its_address_at_once(board: Board) -> None:
    h = board.harness
    await h.send("王书记", "/setup 阳光花园", room="other")
    assert (await Community.get(name="阳光花园")).slug == "yangguang"
    status, _headers, body = await board.get("/c/yangguang/")
    assert status == 200 and "阳光花园" in body


async def test_every_old_address_redirects_and_none_can_be_taken_by_another_community(board: Board) -> None:
    h = board.harness
    await h.say("王书记", "/board slug meihua")
    await h.say("王书记", "/board slug meilan")
    for old in ("guanmei", "meihua"):
        status, headers, _ = await board.get(f"/c/{old}/projects/")
        assert status == 302 and headers["Location"] == "/c/meilan/projects/", old
        # not 301, and not kept: browsers keep a permanent redirect for ever, and a board taking its old
        # address back (below) would then send them round in a circle
        assert headers["Cache-Control"] == "no-store", old
    await h.send("王书记", "/setup 阳光花园", room="other")
    taken = await h.say("王书记", "/board slug guanmei", room="other")
    assert "另一个社区" in taken
    assert (await board.get("/c/guanmei/"))[0] == 302, "the old address still leads to 观梅社区"
    await h.say("王书记", "/board slug guanmei")  # taking its own old address back
    assert (await board.get("/c/guanmei/"))[0] == 200
    assert (await board.get("/c/meilan/"))[0] == 302


async def test_an_old_address_of_a_private_board_is_a_404_like_any_other(board: Board) -> None:
    h = board.harness
    await h.say("王书记", "/board slug meihua")
    await h.say("王书记", "/board private")
    assert (await board.get("/c/guanmei/"))[0] == 404

