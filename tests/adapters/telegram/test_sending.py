"""Files the bot sends: photos by sendPhoto, documents (PDF, CSV, XLSX) by sendDocument, the text as the
caption where it fits Telegram's 1024 characters, else first and the files after it."""

from __future__ import annotations

from adapters.telegram.sending import CAPTION_LIMIT, plan
from core.events import Button, OutgoingFile, OutgoingMessage
from tests.adapters.telegram.conftest import Neighbourhood, channel, stack
from tests.support.telegram_emulator import BotApiEmulator, tiny_png

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CSV = "姓名,积分\n张三,11\n李四,1\n".encode()


def test_the_text_rides_as_the_caption_when_it_fits() -> None:
    pdf, csv = OutgoingFile("证书.pdf", PDF, mime_type="application/pdf"), OutgoingFile("积分.csv", CSV)
    [only] = plan("服务证书", [pdf])
    assert (only.text, only.file) == ("服务证书", pdf)
    first, second = plan("导出", [csv, pdf], reply_to="7")
    assert (first.text, first.file, first.reply_to) == ("导出", csv, "7")
    assert (second.text, second.file, second.reply_to) == ("", pdf, None)
    long = "长" * (CAPTION_LIMIT + 1)
    text, attached = plan(long, [pdf])
    assert (text.text, text.file, attached.text, attached.file) == (long, None, "", pdf)
    [bare] = plan("", [pdf])
    assert (bare.text, bare.file) == ("", pdf)
    [edit] = plan("改过的", edit_id="12")
    assert edit.edit_id == "12"
    [with_file] = plan("改过的", [pdf], edit_id="12")
    assert with_file.edit_id is None, "a message with a file is sent anew"


async def test_a_pdf_and_a_csv_are_sent_as_documents_and_a_photo_as_a_photo(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    pdf = OutgoingFile("服务证书.pdf", PDF, mime_type="application/pdf")
    csv = OutgoingFile("积分.csv", CSV, mime_type="text/csv")
    photo = OutgoingFile("合影.png", tiny_png(64, 48), kind="photo", mime_type="image/png")
    buttons = ((Button("查看排行", "/top"),),)
    long = "\n".join(f"{n}. 张三 {n} 积分" for n in range(200))
    async with stack(emu, sqlite_url) as linli:
        adapter = (await linli.start()).adapter
        await adapter.send(OutgoingMessage(channel(hood.group), "张三的服务证书", files=(pdf,), buttons=buttons,
                                           reply_to_message_id="1"))
        await adapter.send(OutgoingMessage(channel(hood.group), long, files=(csv, photo)))
        await adapter.flush()

    captioned, text, exported, picture = emu.sent
    assert (captioned.method, captioned.file_name, captioned.mime_type) == ("sendDocument", "服务证书.pdf",
                                                                            "application/pdf")
    assert captioned.file_data == PDF and captioned.plain_text == "张三的服务证书"
    assert captioned.callback_data == ["/top"], "the buttons stay with the text"
    assert emu.calls_of("sendDocument")[0].params["reply_parameters"]["message_id"] == 1
    assert (text.method, text.plain_text) == ("sendMessage", long), "too long for a caption: the text first"
    assert (exported.method, exported.file_name, exported.mime_type) == ("sendDocument", "积分.csv", "text/csv")
    assert exported.file_data == CSV and exported.plain_text is None
    assert (picture.method, picture.file_data) == ("sendPhoto", photo.data)
    assert emu.file(picture.photo_file_id or "").data == photo.data


async def test_a_photo_telegram_cannot_process_still_arrives_as_a_file(
    emu: BotApiEmulator, hood: Neighbourhood, sqlite_url: str
) -> None:
    broken = OutgoingFile("scan.jpg", b"not really a jpeg", kind="photo", mime_type="image/jpeg")
    async with stack(emu, sqlite_url) as linli:
        adapter = (await linli.start()).adapter
        await adapter.send(OutgoingMessage(channel(hood.group), "扫描件", files=(broken,)))
        await adapter.flush()
    [sent] = emu.sent
    assert (sent.method, sent.file_name, sent.file_data, sent.plain_text) == (
        "sendDocument", "scan.jpg", broken.data, "扫描件")
