"""Rosters from chat: an organizer sends the sheet privately with ``/import KIND`` as its caption, reads
the dry run with the bad rows, presses Apply, and gets the join codes as a file; a resident may not import;
a platform that cannot hand the core a file says what to do instead; the party roster is verified and
hidden until the member shows it."""

from __future__ import annotations

import csv
import io

from core.events import Attachment, OutgoingMessage
from core.rosters.models import RosterEntry
from core.testing import Harness
from tests.core.roster_support import xlsx

SHEET = xlsx([["姓名", "楼栋", "单元", "户号", "用户名"], ["张三", 3, 2, 301, "张三"], ["李四", 3, 2, 302, ""],
              ["王五", 3, 2, "三零三", ""]], title="观梅社区住户")


def serve(h: Harness, files: dict[str, bytes]) -> None:
    """The recording adapter hands the core the bytes of the files "sent" in the test, as Telegram's does."""

    async def fetch(ref: str) -> bytes:
        return files[ref]

    h.adapter.fetch_attachment = fetch  # type: ignore[method-assign]


def texts(messages: list[OutgoingMessage]) -> list[str]:
    return [m.text for m in messages]


async def test_an_organizer_imports_households_from_a_private_chat(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    serve(h, {"file-1": SHEET})
    document = (Attachment("file", "file-1", caption="/import 住户"),)
    [dry] = await h.deliver(h.event("王书记", "/import 住户", direct=True, attachments=document))
    assert dry.private_to is not None and dry.private_to.display_name == "王书记"
    assert dry.text == (
        "住户名单试运行（尚未做任何更改）：\n"
        "3 行：新增 2，更新 0，未变 0，移除 0，无法导入 1。\n"
        "1 行无法导入：\n"
        "第 5 行：3-2-三零三 不是门牌号；请写成 楼栋-单元-户号，例如 3-2-301\n"
        "有 1 人还没有和机器人说过话：确认导入后，每人会得到一个加入码。\n"
        "确认执行这些更改：/导入 households 确认")
    assert [b.label for row in dry.buttons for b in row] == ["确认导入"]
    assert await RosterEntry.all().count() == 0

    [button] = [b for row in dry.buttons for b in row]
    press = h.event("王书记", "", direct=True, button_data=button.data, button_token="press:apply")
    [applied] = await h.deliver(press)
    assert applied.text.startswith("已导入住户名单：\n3 行：新增 2，更新 0，未变 0，移除 0，无法导入 1。")
    [codes] = applied.files
    rows = list(csv.reader(io.StringIO(codes.data.decode("utf-8-sig"))))
    assert rows[0] == ["行号", "姓名", "详情", "加入码", "发送"]
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [("4", "李四", "3-2-302")]
    assert rows[1][4] == f"/join {rows[1][3]}"
    assert "3-2-301" in await h.say("王书记", "/居民名单")

    assert await h.say("李四", f"/join {rows[1][3]}", direct=True) == "欢迎，李四：您现在已在观梅社区的住户名单上。"
    assert "李四: 3-2-302" in await h.say("王书记", "/居民名单")


async def test_only_organizers_import_and_only_in_private(community: Harness) -> None:
    h = community
    await h.send("张三", "/whoami")
    serve(h, {"file-1": SHEET})
    document = (Attachment("file", "file-1", caption="/import households"),)
    assert await h.say("张三", "/import households", direct=True, attachments=document) == (
        "抱歉，/import 只有组织者可以使用。")
    [answer] = await h.deliver(h.event("王书记", "/import households", attachments=document))
    assert answer.private_to is not None, "a roster names people and flats: never answered in the group"
    assert answer.text == "请在私聊中把名单发给我，并以 /import households 作为文件说明。"
    assert await h.say("王书记", "/import households", direct=True) == (
        "请把名单作为文件（.xlsx 或 .csv）发送，并以 /import households 作为文件说明。")


async def test_a_platform_that_cannot_fetch_files_points_to_the_cli(community: Harness) -> None:
    h = community
    document = (Attachment("file", "file-1", caption="/import households"),)
    assert await h.say("王书记", "/import households", direct=True, attachments=document) == (
        "在这个平台上我无法读取文件；请在服务器上运行：linli import households 文件 --community 观梅社区")
