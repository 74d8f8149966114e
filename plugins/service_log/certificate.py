"""Certificates of service (志愿服务记录证明): issued from final records only, numbered, and verifiable.

The PDF embeds its font (a subset of Noto Sans CJK SC shipped in ``fonts/``, or the file the operator names
in ``certificate_font``), so Chinese renders on any machine, with no CJK fonts installed and nothing
downloaded. A certificate must carry the volunteer's name exactly: a name with a character the font lacks
is refused with that character named, never printed as a blank box; free text (what was done) shows such
a character as □.

The verification code is random and stored with the certificate; ``/verifycert`` finds it or says it is
not genuine. Nothing in the PDF but the code is needed to check it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.plugin import N_, Refusal
from plugins.service_log.hours import shown
from plugins.service_log.models import Certificate, Record, Volunteer

FONT = Path(__file__).parent / "fonts" / "NotoSansSC-GB2312-subset.otf"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
MISSING = "□"


@cache
def font_characters(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path, fontNumber=0).getBestCmap())


def unprintable(text: str, font: Path = FONT) -> list[str]:
    have = font_characters(str(font))
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in have})


def printable(text: str, font: Path = FONT) -> str:
    have = font_characters(str(font))
    return "".join(ch if ch.isspace() or ord(ch) in have else MISSING for ch in text)


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normal_code(raw: str) -> str:
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    return f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}" if len(cleaned) == 12 else raw.strip().upper()


@dataclass
class Issued:
    certificate: Certificate
    records: list[Record]


async def issue(community_id: int, volunteer: Volunteer, records: list[Record], year: int | None,
                now: datetime, font: Path = FONT) -> Issued:
    if not records:
        raise Refusal(N_("There are no final service records to certify yet."))
    missing = unprintable(volunteer.real_name, font)
    if missing:
        raise Refusal(N_("The certificate font cannot print {chars} in the name {name}. Please ask an organizer: "
                         "the installation can name a complete font (certificate_font)."),
                      chars=" ".join(missing), name=volunteer.real_name)
    hours = sum((r.hours for r in records), Decimal("0.0"))
    for _attempt in range(5):
        count = await Certificate.filter(community_id=community_id).count()
        number = f"ZY{year or now.year}-{community_id:03d}-{count + 1:05d}"
        try:
            async with in_transaction():
                certificate = await Certificate.create(
                    community_id=community_id, user_id=volunteer.user_id, number=number, code=new_code(), year=year,
                    hours=hours, real_name=volunteer.real_name, volunteer_number=volunteer.number,
                    record_ids=[r.id for r in records], issued_at=now)
            return Issued(certificate, records)
        except IntegrityError:
            continue
    raise Refusal(N_("Someone was quicker; please try again."))


async def verify(community_id: int, raw: str) -> Certificate:
    found = await Certificate.get_or_none(community_id=community_id, code=normal_code(raw))
    if found is None:
        raise Refusal(N_("{code} is not the code of a certificate issued here: it is not genuine, or mistyped."),
                      code=raw)
    return found


@dataclass
class Labels:
    """The certificate's wording in the community's language (translated by the caller)."""

    title: str
    intro: str
    name: str
    number: str
    hours: str
    period: str
    content: str
    day: str
    what: str
    hours_col: str
    organization: str
    in_charge: str
    handler: str
    certificate_number: str
    issued: str
    code: str
    verify: str
    basis: str


def render(issued: Issued, labels: Labels, *, organization: str, in_charge: str, handler: str, period: str,
           timezone: ZoneInfo, font: Path = FONT) -> bytes:
    from fpdf import FPDF  # imported when a certificate is made, not at start-up

    cert = issued.certificate
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font("cert", "", str(font))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: float = 12, height: float = 8, align: str = "L") -> None:
        pdf.set_font("cert", size=size)
        pdf.multi_cell(width, height, printable(text, font), align=align, new_x="LMARGIN", new_y="NEXT")

    line(labels.title, size=22, height=14, align="C")
    pdf.ln(4)
    line(labels.intro)
    line(f"{labels.name}：{cert.real_name}")
    line(f"{labels.number}：{cert.volunteer_number}")
    line(f"{labels.period}：{period}")
    line(f"{labels.hours}：{shown(Decimal(cert.hours))}")
    pdf.ln(2)
    line(labels.content, size=13)
    pdf.set_font("cert", size=10)
    widths = (width * 0.2, width * 0.65, width * 0.15)
    for cells in [(labels.day, labels.what, labels.hours_col)] + [
            (r.day.isoformat(), r.activity_title or r.what, shown(r.hours)) for r in issued.records]:
        for cell_width, text in zip(widths, cells, strict=True):
            pdf.cell(cell_width, 7, printable(text[:60], font), border=1)
        pdf.ln(7)
    pdf.ln(6)
    line(f"{labels.organization}：{organization}")
    line(f"{labels.in_charge}：{in_charge}")
    line(f"{labels.handler}：{handler}")
    line(f"{labels.certificate_number}：{cert.number}")
    line(f"{labels.issued}：{cert.issued_at.astimezone(timezone).date().isoformat()}")
    line(f"{labels.code}：{cert.code}")
    line(labels.verify, size=9, height=6)
    line(labels.basis, size=9, height=6)
    return bytes(pdf.output())
