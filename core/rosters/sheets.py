"""Reading a roster as organizers keep it: an Excel workbook or a CSV file, headed in Chinese.

Excel in China writes CSV files in GBK unless told otherwise ("CSV UTF-8" adds a byte-order mark), so a
CSV is read as UTF-8 (with or without the mark), else as GB18030 (GBK's superset); anything else is refused
in one line saying how to save it. Sheets often carry a title row above the header (``观梅社区住户名单``),
so the header is the row among the first few that names the most known columns; a merged cell (楼栋 merged
down its flats) counts for every cell it covers (read-only openpyxl does not say: the sheet's mergeCell list
is read). Cells become stripped text (a phone number typed as a number stays its digits; ``301.0``, from a
numeric cell or written so into a CSV, is ``301``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from core.i18n import N_
from core.refusal import Refusal
from core.rosters.kinds import Column

#: Rows above the header that may be titles or notes.
HEADER_SEARCH_ROWS = 10
#: A sheet larger than this is refused: a roster, not a database dump (and a guard for chat uploads).
MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
#: The old binary Excel format (.xls), which openpyxl cannot read.
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
TOO_LARGE = N_("{file} is larger than {megabytes} MB; split the roster into several files.")
#: ``301.0``, ``13800138000.0``: a number a tool (pandas, WPS) wrote as a float into a CSV or a text cell.
FLOAT_INTEGER = re.compile(r"^(\d+)\.0+$")


@dataclass(frozen=True)
class SheetRow:
    #: The row's number as the spreadsheet program shows it (the header row is 1 when it is the first).
    number: int
    #: Cells by column key.
    values: dict[str, str]


@dataclass
class Sheet:
    rows: list[SheetRow]
    #: Headers that name no column of the kind: ignored, and said so.
    unknown: list[str] = field(default_factory=list)
    #: Which encoding a CSV was read in ("" for a workbook).
    encoding: str = ""


def header_word(text: str) -> str:
    """A header as compared: full-width folded, no spaces, no required-marks or notes (``手机号（选填）``)."""
    word = unicodedata.normalize("NFKC", text).strip().lower()
    for opening in ("(", "["):
        if opening in word and not word.startswith(opening):
            word = word.split(opening, 1)[0]
    return "".join(ch for ch in word if not ch.isspace() and ch not in "*:：")


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    whole = FLOAT_INTEGER.match(text)
    return whole.group(1) if whole else text  # else 301.0 became the flat 3-2-301-0


def read_table(data: bytes, filename: str) -> tuple[list[list[str]], str]:
    """The cells of the file's first sheet (a workbook) or of the CSV, as text; the CSV's encoding."""
    if len(data) > MAX_BYTES:
        raise Refusal(TOO_LARGE, file=filename, megabytes=MAX_BYTES // (1024 * 1024))
    suffix = Path(filename).suffix.lower()
    if data.startswith(XLSX_MAGIC) or suffix in (".xlsx", ".xlsm"):
        return _read_workbook(data, filename), ""
    if suffix == ".xls" or data.startswith(OLE_MAGIC):
        raise Refusal(N_("{file} is an old Excel file (.xls); save it as .xlsx or as CSV and send that."),
                      file=filename)
    text, encoding = _decode(data, filename)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error:
        rows = list(csv.reader(io.StringIO(text)))
    return [[cell_text(c) for c in row] for row in rows], encoding


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), "UTF-8" if encoding == "utf-8-sig" else "GBK"
        except UnicodeDecodeError:
            continue
    raise Refusal(N_("{file} is neither UTF-8 nor GBK text; in Excel choose Save As → CSV UTF-8, or save it "
                     "as .xlsx."), file=filename)


def _read_workbook(data: bytes, filename: str) -> list[list[str]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise Refusal(N_("{file} is not an Excel workbook that can be read; save it again as .xlsx or as CSV."),
                      file=filename) from None
    try:
        sheet = book.worksheets[0]
        table: list[list[str]] = []
        filled = 0
        for row in sheet.iter_rows(values_only=True):
            cells = [cell_text(c) for c in row]
            if not any(cells):
                table.append([])  # a row only formatted (borders drawn down to row 60000): no row, no memory
                continue
            table.append(cells)
            filled += 1
            if filled > MAX_ROWS + HEADER_SEARCH_ROWS:
                break  # refused as too large anyway: no need to read the rest
        path = getattr(sheet, "_worksheet_path", "")
    finally:
        book.close()
    _fill_merged(table, _merged_ranges(data, path) if path else [])
    return table


MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')


def _merged_ranges(data: bytes, member: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges of a worksheet (``<mergeCell ref="B3:B12"/>``), which openpyxl's read-only mode skips:
    organizers merge 楼栋 and 单元 down their rows, and the value is only in the first cell."""
    from zipfile import ZipFile

    from openpyxl.utils.cell import range_boundaries

    found: list[tuple[int, int, int, int]] = []
    tail = b""
    with ZipFile(io.BytesIO(data)) as book, book.open(member) as xml:
        while chunk := xml.read(1 << 20):
            text = tail + chunk
            end = text.rfind(b"<")  # a tag cut by the chunk is read with the next one
            for ref in MERGE_CELL.findall(text[:end] if end > 0 else text):
                bounds = range_boundaries(ref.decode())
                found.append(tuple(int(b or 0) for b in bounds))  # type: ignore[arg-type]
            tail = text[end:] if end > 0 else b""
    return found


def _fill_merged(table: list[list[str]], ranges: list[tuple[int, int, int, int]]) -> None:
    """Every cell of a merged range says what its first cell says, in the rows that hold something."""
    for min_col, min_row, max_col, max_row in ranges:
        if min_row > len(table) or min_col > len(table[min_row - 1]):
            continue
        value = table[min_row - 1][min_col - 1]
        for row in table[min_row - 1:max_row]:
            if not any(row):
                continue  # a merge reaching into blank rows below the list makes no rows
            row.extend([""] * (max_col - len(row)))
            for col in range(min_col - 1, max_col):
                row[col] = row[col] or value


def _matches(columns: Iterable[Column]) -> dict[str, str]:
    """Header word → column key."""
    return {header_word(h): c.key for c in columns for h in (*c.headers, c.key)}


def column_of(known: dict[str, str], header: str) -> str | None:
    """The column a header names: as a whole, or by one of its parts (``用户名/Telegram``, ``姓名 Name``)."""
    word = header_word(header)
    if word in known:
        return known[word]
    for part in unicodedata.normalize("NFKC", header).replace("/", " ").replace("|", " ").split():
        found = known.get(header_word(part))
        if found is not None:
            return found
    return None


def find_header(table: list[list[str]], columns: list[Column]) -> int:
    """The index of the header row: the one, among the first rows, naming the most known columns."""
    known = _matches(columns)
    best, best_count = -1, 0
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        count = len({c for c in (column_of(known, cell) for cell in row) if c is not None})
        if count > best_count:
            best, best_count = index, count
    if best < 0:
        required = next((c for c in columns if c.required), columns[0])
        raise Refusal(N_("No header row found: the sheet needs a row of column names such as {column}."),
                      column=required.headers[0])
    return best


def read_sheet(data: bytes, filename: str, columns: list[Column]) -> Sheet:
    """The rows of a roster by column key; refused (one reason) when a required column is missing."""
    table, encoding = read_table(data, filename)
    if not table:
        raise Refusal(N_("{file} is empty."), file=filename)
    start = find_header(table, columns)
    known = _matches(columns)
    positions: dict[int, str] = {}
    unknown: list[str] = []
    for position, header in enumerate(table[start]):
        key = column_of(known, header)
        if key is None:
            if header.strip():
                unknown.append(header.strip())
        elif key not in positions.values():
            positions[position] = key
    for column in columns:
        if column.required and column.key not in positions.values():
            raise Refusal(N_("The sheet has no column {column}; it is needed (a header row was found in row {row})."),
                          column=column.headers[0], row=start + 1)
    if sum(1 for row in table[start + 1:] if any(row)) > MAX_ROWS:  # blank rows are no rows
        raise Refusal(N_("{file} has more than {maximum} rows; split it into several files."), file=filename,
                      maximum=MAX_ROWS)
    return Sheet(list(_rows(table, start, positions)), unknown, encoding)


def _rows(table: list[list[str]], start: int, positions: dict[int, str]) -> Iterator[SheetRow]:
    for index in range(start + 1, len(table)):
        cells = table[index]
        values = {key: (cells[p] if p < len(cells) else "") for p, key in positions.items()}
        if any(values.values()):  # an empty line between blocks is no row
            yield SheetRow(index + 1, values)
