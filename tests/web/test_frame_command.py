"""``/board`` in chat: the link and a QR code to print (or how to set the public address), and for organizers
``/board private|public|slug``; slugs made from names, de-duplicated, changed, and the old id address."""

from __future__ import annotations

import io

from PIL import Image

from core.identity import Community
from core.testing import Harness
from core.web.slugs import propose, slug_of
from tests.web.conftest import Board


def test_slugs_are_the_pinyin_of_the_name_without_the_kind_of_place() -> None:
    assert propose("观梅社区") == "guanmei"
    assert propose("阳光花园") == "yangguang"
    assert propose("Green Park") == "green-park"
    assert propose("3号院") == "3haoyuan"
    assert propose("123") == "c-123", "never only digits: those are the old id addresses"


async def test_the_same_pinyin_twice_gets_a_number(community: Harness) -> None:
    await community.send("王书记", "/setup 观梅小区", room="other")
    first, second = await Community.get(name="观梅社区"), await Community.get(name="观梅小区")
    assert (await slug_of(first), await slug_of(second)) == ("guanmei", "guanmei-2")


async def test_board_without_a_public_address_says_how_to_set_it(community: Harness) -> None:
    replies = await community.deliver(community.event("张三", "/board"))
    assert len(replies) == 1 and not replies[0].files
    assert "/c/guanmei/" in replies[0].text and "public_url" in replies[0].text
    assert "LINLI_WEB__PUBLIC_URL" in replies[0].text


async def test_board_sends_the_link_and_a_qr_code(db_url: str) -> None:
    async with Harness.create(db_url, settings={"web": {"enabled": False, "port": 0,
                                                        "public_url": "https://linli.example.org/"}}) as h:
        await h.send("王书记", "/setup 观梅社区")
        replies = await h.deliver(h.event("张三", "/看板"))
    assert len(replies) == 1
    assert "https://linli.example.org/c/guanmei/" in replies[0].text
    (qr,) = replies[0].files
    assert qr.kind == "photo" and qr.mime_type == "image/png"
    image = Image.open(io.BytesIO(qr.data))
    assert image.format == "PNG" and image.width == image.height >= 300, "big enough to print"


async def test_organizers_change_the_address_and_residents_cannot(board: Board) -> None:
    h = board.harness
    refused = await h.say("张三", "/board slug meihua")
    assert "/board slug" in refused and (await board.get("/c/guanmei/"))[0] == 200, refused
    assert "/c/meihua/" in await h.say("王书记", "/board slug meihua")
    assert (await board.get("/c/meihua/"))[0] == 200
    status, headers, _ = await board.get("/c/guanmei/rankings/?period=week")  # a printed QR code
    assert status == 302 and headers["Location"] == "/c/meihua/rankings/?period=week"
    community = await Community.get(name="观梅社区")
    status, headers, _ = await board.get(f"/c/{community.id}/")
    assert status == 301 and headers["Location"] == "/c/meihua/"


async def test_a_bad_or_taken_address_is_refused_with_the_usage(board: Board) -> None:
    h = board.harness
    await h.send("王书记", "/setup 阳光花园", room="other")
    digits = await h.say("王书记", "/board slug 2024")
    assert "数字" in digits and "用法：/board 地址 <地址>" in digits
    upper = await h.say("王书记", "/board slug Has_Space!")
    assert "小写字母" in upper
    taken = await h.say("王书记", "/board slug yangguang")
    assert "另一个社区" in taken
    assert (await board.get("/c/guanmei/"))[0] == 200, "nothing changed"
