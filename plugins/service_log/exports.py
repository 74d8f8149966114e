"""Hours as a spreadsheet: CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese) or XLSX.

Hours are written as exact decimals (CSV text ``2.5``; XLSX numbers shown with their tenth) and a
last row holds the totals, so what an organizer reports adds up to what linli counted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from decimal import Decimal

from plugins.service_log.reports import EXPORT_HEADER

Progress = Callable[[int, int], None]
FORMATS = ("csv", "xlsx")


#: A text cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    """Text people typed (what they did, names) shown as text: a leading ``'`` keeps it from being a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _totals(rows: Sequence[tuple[object, ...]]) -> tuple[Decimal, int]:
    hours = sum((Decimal(str(r[5])) for r in rows), Decimal("0.0"))
    points = sum(int(str(r[6])) for r in rows)
    return hours, points


def _no_progress(done: int, total: int) -> None:
    return None


def to_csv(rows: Sequence[tuple[object, ...]], progress: Progress = _no_progress) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    for index, row in enumerate(rows, start=1):
        writer.writerow([str(v) if isinstance(v, (Decimal, int)) else str(_safe(str(v))) for v in row])
        progress(index, len(rows))
    hours, points = _totals(rows)
    writer.writerow(["total", "", "", "", "", str(hours), points, "", "", "", "", "", ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[tuple[object, ...]], progress: Progress = _no_progress) -> bytes:
    from openpyxl import Workbook  # only organizers' exports need it

    book = Workbook(write_only=True)
    sheet = book.create_sheet("hours")
    sheet.append(list(EXPORT_HEADER))
    for index, row in enumerate(rows, start=1):
        sheet.append([float(v) if isinstance(v, Decimal) else _safe(v) for v in row])
        progress(index, len(rows))
    hours, points = _totals(rows)
    sheet.append(["total", "", "", "", "", float(hours), points])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(rows: Sequence[tuple[object, ...]], fmt: str, progress: Progress = _no_progress) -> bytes:
    return to_xlsx(rows, progress) if fmt == "xlsx" else to_csv(rows, progress)
