"""A roster sent to the bot as a Telegram document (issue 17): the real adapter, the Bot API emulator on
loopback. The organizer sends the .xlsx privately with ``/import households`` as its caption, reads the
dry run, presses Apply, and receives the join codes as a CSV document; the file is downloaded through
``getFile`` only when the command asks for it."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from tests.adapters.telegram.conftest import Neighbourhood, stack
from tests.support.telegram_emulator import BotApiEmulator


def workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["观梅社区住户名单"], ["姓名", "楼栋", "单元", "户号"], ["王建国", 3, 2, 301], ["李淑珍", 3, 2, 302],
                ["周某", 3, 2, "?"]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_an_organizer_imports_a_roster_sent_as_a_document(
        emu: BotApiEmulator, hood: Neighbourhood, db_url: str) -> None:
    async with stack(emu, db_url) as linli:
        await linli.start()
        emu.user_says(hood.group, hood.wang, "/setup 观梅社区")
        await emu.wait_for_sent(1)
        private = emu.private_chat(hood.wang)
        data = workbook()
        file_id = emu.add_file(data, kind="documents")
        emu.inject({"message": {
            "message_id": 501, "date": 1_800_000_000, "chat": private.to_api(), "from": hood.wang.to_api(),
            "caption": "/import households",
            "document": {"file_id": file_id, "file_unique_id": emu.file(file_id).file_unique_id,
                         "file_name": "住户.xlsx", "file_size": len(data),
                         "mime_type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}}})
        sent = await emu.wait_for_sent(1, chat_id=private.id)
        dry = sent[0]
        assert dry.plain_text is not None
        assert dry.plain_text.splitlines()[:2] == ["住户名单试运行（尚未做任何更改）：",
                                                   "3 行：新增 2，更新 0，未变 0，移除 0，无法导入 1。"]
        assert "第 5 行：3-2-? 不是门牌号" in dry.plain_text
        assert [c["file_id"] for c in (call.params for call in emu.calls_of("getFile"))] == [file_id]

        [callback] = dry.callback_data
        emu.user_presses(private, hood.wang, dry.message_id, callback)
        sent = await emu.wait_for_sent(2, chat_id=private.id)
        codes = next(s for s in sent[1:] if s.method == "sendDocument")
        assert codes.file_name == "join-codes.csv" and codes.file_data is not None
        rows = list(csv.reader(io.StringIO(codes.file_data.decode("utf-8-sig"))))
        assert [r[1] for r in rows[1:]] == ["王建国", "李淑珍"]
        assert len(emu.calls_of("getFile")) == 2, "the Apply button fetches the same file again"
