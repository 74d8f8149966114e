"""The certificate: a PDF sent privately, with the required fields in Chinese in an embedded font, that
renders (poppler's pdftoppm) where its text is; a verification code that a tampered copy fails."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from core.events import OutgoingMessage
from core.testing import Harness
from plugins.service_log.certificate import FONT, unprintable
from tests.plugins.service_log.conftest import Hear


async def _certified(h: Harness) -> OutgoingMessage:
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("张三", "/volunteer name 张三丰")
    await h.send("张三", "/记录时长 2 敲门探访独居老人 昨天")
    await h.send("张三", "/记录时长 1.5 楼道清理")
    await h.send("王书记", "/approve 1")
    await h.send("王书记", "/approve 2")
    sent = await h.deliver(h.event("张三", "/证明 2026"))
    assert len(sent) == 1
    return sent[0]


def _text(pdf: bytes) -> str:
    """The page text as pypdf extracts it, without spaces and line breaks. pypdf 6 reads the 2-byte codes
    of fpdf2's embedded CFF font with a NUL before each character, which is dropped here; poppler's reading
    (:func:`_poppler_text`) needs no such help."""
    reader = PdfReader(io.BytesIO(pdf))
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)


def _poppler_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "extract.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return "".join(out.split())


async def test_the_certificate_pdf_has_the_fields_in_chinese_in_an_embedded_font(red: Harness,
                                                                                 tmp_path: Path) -> None:
    message = await _certified(red)
    assert message.private_to is not None and message.private_to.display_name == "张三" and message.sensitive
    assert message.text.startswith("📄 证明 ZY2026-001-00001：3.5 小时。验证码 ")
    (document,) = message.files
    assert document.filename == "ZY2026-001-00001.pdf" and document.mime_type == "application/pdf"
    text = _text(document.data)
    code = message.text.rsplit("验证码 ", 1)[1].rstrip("。")
    for field in ("志愿服务记录证明", "姓名：张三丰", "志愿者编号：00001", "服务时长（小时）：3.5", "服务内容",
                  "敲门探访独居老人", "楼道清理", "出具组织：观梅社区居委会", "负责人：王书记", "经办人：刘主任",
                  "证明编号：ZY2026-001-00001", "出具日期：2026-11-23", f"验证码：{code}", "2026-11-22"):
        assert field in text, field
    _require_poppler()
    assert _poppler_text(document.data, tmp_path) == text
    reader = PdfReader(io.BytesIO(document.data))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile3" in descriptor or "/FontFile2" in descriptor, "the font is embedded"


def _require_poppler() -> None:
    """pdftoppm and pdftotext come with Debian's poppler-utils, which .ci/run installs; a laptop without it
    skips, CI (LINLI_REQUIRE_SERVICES=1) fails."""
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        return
    if os.environ.get("LINLI_REQUIRE_SERVICES") == "1":
        pytest.fail("poppler-utils (pdftoppm, pdftotext) is missing, and LINLI_REQUIRE_SERVICES=1 requires it")
    pytest.skip("poppler-utils is not installed (apt-get install poppler-utils)")


async def test_the_rendered_page_is_not_blank_where_the_text_is(red: Harness, tmp_path: Path) -> None:
    _require_poppler()
    message = await _certified(red)
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(message.files[0].data)
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    (image,) = tmp_path.glob("page*.pgm")
    width, height, pixels = _pgm(image.read_bytes())
    title_band = pixels[int(height * 0.03) * width:int(height * 0.09) * width]  # the title at the top
    assert sum(1 for p in title_band if p < 128) > 50, "the title renders as dark pixels"
    bottom = pixels[int(height * 0.9) * width:]
    assert sum(1 for p in bottom if p < 128) < sum(1 for p in title_band if p < 128), "below the text is white"


def _pgm(data: bytes) -> tuple[int, int, bytes]:
    """A binary PGM (P5) as width, height and one byte per pixel."""
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P5"
    return int(parts[1]), int(parts[2]), parts[4]


async def test_a_certificate_verifies_and_a_tampered_code_is_refused(red: Harness) -> None:
    message = await _certified(red)
    code = message.text.rsplit("验证码 ", 1)[1].rstrip("。")
    assert await red.say("李四", f"/验证证明 {code.lower()}") == (
        "✅ 真实有效：证明 ZY2026-001-00001，张三丰（志愿者编号 00001），3.5 小时，2026-11-23 出具。")
    tampered = ("B" if code[0] != "B" else "C") + code[1:]
    assert await red.say("李四", f"/verifycert {tampered}") == (
        f"{tampered} 不是本社区开具的证明的验证码：证明不是真的，或验证码输错了。")


async def test_a_name_the_font_cannot_print_is_refused_with_the_character(red: Harness) -> None:
    h = red
    assert unprintable("张三丰") == [] and unprintable("𠮷野") == ["𠮷"] and FONT.stat().st_size < 2_000_000
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("张三", "/volunteer name 𠮷野家")
    await h.send("张三", "/记录时长 2 敲门")
    await h.send("王书记", "/approve 1")
    assert await h.say("张三", "/证明") == (
        "证明所用字体无法打印姓名 𠮷野家 中的 𠮷。请联系组织者：系统可以配置完整字体（certificate_font）。")
    assert await h.say("李四", "/证明") == "还没有已生效的服务记录可以证明。"


async def test_no_certificate_without_final_records(red: Harness, hear: Hear) -> None:
    await red.send("张三", "/记录时长 2 敲门")
    assert await red.say("张三", "/证明") == "还没有已生效的服务记录可以证明。"


def _font_with(path: Path, characters: str) -> Path:
    """A tiny TrueType font whose every glyph is a box: enough to show that a configured font is used."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = [".notdef", *(f"g{ord(c):X}" for c in characters)]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({ord(c): f"g{ord(c):X}" for c in characters})
    glyphs = {}
    for name in names:
        pen = TTGlyphPen(None)
        pen.moveTo((100, 0))
        pen.lineTo((100, 700))
        pen.lineTo((900, 700))
        pen.lineTo((900, 0))
        pen.closePath()
        glyphs[name] = pen.glyph()
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: (1000, 100) for name in names})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "LinliTest", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    builder.save(str(path))
    return path


async def test_an_operator_font_prints_a_name_beyond_the_subset(db_url: str, tmp_path: Path) -> None:
    font = _font_with(tmp_path / "full.ttf", " 𠮷野家□0123456789-：.ZY")
    settings = {"plugin": {"service_log": {"certificate_font": str(font), "publicity_days": 0}}}
    async with Harness.create(db_url, settings=settings) as h:
        await h.send("王书记", "/setup 观梅社区")
        await h.send("张三", "/注册志愿者")
        await h.send("张三", "/登记姓名 𠮷野家")
        await h.send("张三", "/记录时长 2 敲门")
        await h.send("王书记", "/approve 1")
        (message,) = await h.deliver(h.event("张三", "/证明"))
        assert "𠮷野家" in _text(message.files[0].data)


async def test_a_community_cannot_choose_the_file_a_certificate_embeds(red: Harness, tmp_path: Path) -> None:
    h = red
    assert await h.say("王书记", "/config service_log certificate_font /etc/passwd") == (
        "未修改：/etc/passwd 不是 certificate_font 的有效值。")
    font = _font_with(tmp_path / "full.ttf", " 𠮷野家□0123456789-：.ZY")
    await h.send("王书记", f"/config service_log certificate_font {font}")  # a real font, but not the operator's
    await h.send("王书记", "/config service_log publicity_days 0")
    await h.send("张三", "/登记姓名 𠮷野家")
    await h.send("张三", "/记录时长 2 敲门")
    await h.send("王书记", "/approve 1")
    said = await h.say("张三", "/证明")
    assert said.startswith("证明所用字体无法打印姓名 𠮷野家 中的 𠮷"), "the bundled font, not the community's file"
