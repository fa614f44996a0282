"""Reading one file of a load directory as rows of text cells: CSV or XLSX (first sheet).

The readers only turn bytes into cells; every rule about what a cell may hold
lives in :mod:`ilslib.load`. Cells are strings (``None`` for an empty XLSX
cell), never guessed types, so ``007`` stays ``007``.

CSV: UTF-8 with or without BOM (anything else is a :class:`FileProblem` naming
the line of the first bad byte), ``;`` or ``,`` detected from the header line,
``"`` quoting with ``""`` for a quote and line breaks inside quoted fields.
XLSX: the first sheet, read with openpyxl in read-only mode; a formula cell is
a problem naming the cell (paste values instead); numbers become their shortest
exact text and dates ISO text.

Row numbers are those a spreadsheet user sees: the header is row 1, so the
first data row is row 2; a CSV line break inside a quoted field does not start
a new row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Longer fields are read whole and then rejected with a clear message (see load.MAX_TEXT).
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))

_BLOCK = 16 * 1024 * 1024


class _BadCell:
    """A cell already reported (a formula, an error value): not to be reported again as missing."""

    def __repr__(self) -> str:
        return "BAD_CELL"


BAD_CELL = _BadCell()


@dataclass
class FileProblem(Exception):
    """A file (or one place in it) that cannot be read; becomes a reject."""

    reason: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    index: int | None = None  # 0-based column index, when the reader knows only that

    def __str__(self) -> str:
        return self.reason


Report = Callable[[FileProblem], None]


@dataclass
class FileScan:
    """What one pass over a file's bytes tells: checksum, size and number of line breaks."""

    sha256: str
    size: int
    lines: int


def column_letter(index: int) -> str:
    """The spreadsheet column letter for a 0-based column index (0 -> A, 27 -> AB)."""
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def sha256_of(path: Path) -> str:
    """The file's SHA-256 as hex."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def scan_text(path: Path) -> FileScan:
    """Checksum a CSV file and check that it is UTF-8 text; raise :class:`FileProblem` if not."""
    h = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    size = 0
    lines = 0
    first = True
    with path.open("rb") as fh:
        while True:
            block = fh.read(_BLOCK)
            final = not block
            if first:
                first = False
                if final:
                    raise FileProblem("the file is empty (0 bytes): it needs at least a header row")
                _check_magic(block)
            h.update(block)
            if b"\x00" in block:
                line = lines + block.count(b"\n", 0, block.index(b"\x00")) + 1
                raise FileProblem(f"binary content (a NUL byte on line {line}): this is not a CSV text file", row=line)
            try:
                decoder.decode(block, final)
            except UnicodeDecodeError as exc:
                data = exc.object  # the decoder's pending bytes + this block
                line = lines + data.count(b"\n", 0, exc.start) + 1
                bad = data[exc.start : exc.start + 1].hex().upper()
                raise FileProblem(
                    f"not UTF-8 text (byte 0x{bad} on line {line}); save the file as UTF-8 "
                    "(in Excel: 'CSV UTF-8 (comma delimited)')",
                    row=line,
                ) from None
            if final:
                break
            size += len(block)
            lines += block.count(b"\n")
    return FileScan(h.hexdigest(), size, lines)


def _check_magic(block: bytes) -> None:
    if block.startswith(b"PK\x03\x04"):
        raise FileProblem("this is an Excel workbook or other zip file, not CSV text: name it .xlsx")
    if block.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem("the file is UTF-16 encoded: save it as UTF-8 (in Excel: 'CSV UTF-8')")
    if block.startswith((b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG")):
        raise FileProblem("binary content (an old .xls workbook, a PDF or an image), not CSV text")


def _detect_delimiter(first_line: str) -> str:
    counts = {";": 0, ",": 0}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return ";" if counts[";"] >= counts[","] and counts[";"] else ","


class CsvSource:
    """A CSV file: ``header`` (row 1) and ``rows()`` (row number, cells)."""

    kind = "csv"

    def __init__(self, path: Path):
        self.path = path
        scan = scan_text(path)
        self.sha256 = scan.sha256
        self.size = scan.size
        self.approx_rows = max(scan.lines - 1, 0)
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            first_line = fh.readline()
        self.delimiter = _detect_delimiter(first_line)
        self._fh = path.open("r", encoding="utf-8-sig", newline="")
        self._reader = csv.reader(self._fh, delimiter=self.delimiter, quotechar='"', strict=True)
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            self.close()
            raise FileProblem(f"malformed CSV in the header row: {exc}", row=1) from None
        if header is None or not any(c.strip() for c in header):
            self.close()
            raise FileProblem("no header row: row 1 must name the columns", row=1)
        self.header: list[str] = header

    def set_month_columns(self, indexes: set[int]) -> None:
        """Only XLSX needs to know (Excel turns ``2026-01`` into a date)."""

    def rows(self, report: Report) -> Iterator[tuple[int, list[Any]]]:
        """Data rows as (row number, cells); malformed quoting raises :class:`FileProblem` (reading stops)."""
        row = 1
        reader = self._reader
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileProblem(
                    f"malformed CSV ({exc}): check the quotes on this row or just above it", row=row + 1
                ) from None
            row += 1
            yield row, cells

    def close(self) -> None:
        """Release the file."""
        self._fh.close() if hasattr(self, "_fh") else None


def _xlsx_text(value: Any, as_month: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if as_month and value.day == 1 and value.time() == dt.time(0):
            return value.strftime("%Y-%m")
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        if as_month and value.day == 1:
            return value.strftime("%Y-%m")
        return value.isoformat()
    return str(value)


class XlsxSource:
    """The first sheet of an XLSX workbook: ``header`` (row 1) and ``rows()``."""

    kind = "xlsx"

    def __init__(self, path: Path):
        self.path = path
        self.sha256 = sha256_of(path)
        self.size = path.stat().st_size
        self.approx_rows = None
        self._months: set[int] = set()
        if self.size == 0:
            raise FileProblem("the file is empty (0 bytes): it needs at least a header row")
        if not zipfile.is_zipfile(path):
            raise FileProblem("not an xlsx workbook (the file is not a zip archive); save it as .xlsx or .csv")
        import openpyxl  # only when a workbook is loaded

        try:
            self._wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises many types for a damaged workbook
            raise FileProblem(f"not a readable xlsx workbook: {type(exc).__name__}: {exc}") from None
        if not self._wb.worksheets:
            self.close()
            raise FileProblem("the workbook has no worksheet")
        ws = self._wb.worksheets[0]
        self.sheet = ws.title
        stated_rows = ws.max_row  # from the sheet's dimension tag: only a hint for the progress bar
        ws.reset_dimensions()  # the stored dimension is not always right; read every row
        self._rows = ws.iter_rows()
        first = next(self._rows, None)
        if first is None:
            self.close()
            raise FileProblem(f"the first sheet ({self.sheet!r}) is empty: it needs at least a header row", row=1)
        for cell in first:
            self._formula_check(cell, 1)
        header = [_xlsx_text(c.value, False) or "" for c in first]
        if not any(h.strip() for h in header):
            # Distinguish "sheet empty" from "header not on row 1".
            for n, later in enumerate(self._rows, start=2):
                if any(c.value is not None for c in later):
                    self.close()
                    raise FileProblem(
                        f"row 1 of the first sheet ({self.sheet!r}) is empty: the header must be on row 1",
                        row=1,
                    )
                if n > 1000:
                    break
            self.close()
            raise FileProblem(f"the first sheet ({self.sheet!r}) is empty: it needs at least a header row", row=1)
        while header and not header[-1].strip():
            header.pop()
        self.header = header
        self.approx_rows = max((stated_rows or 1) - 1, 0) or None

    def set_month_columns(self, indexes: set[int]) -> None:
        """Columns holding ``YYYY-MM``: a date cell on the 1st of a month there is read as that month."""
        self._months = set(indexes)

    def _formula_check(self, cell: Any, row: int) -> None:
        if getattr(cell, "data_type", None) == "f":
            raise FileProblem(
                f"cell {cell.coordinate} holds a formula ({cell.value}); paste it as values",
                row=row,
                index=cell.column - 1,
                value=str(cell.value),
            )

    def rows(self, report: Report) -> Iterator[tuple[int, list[Any]]]:
        """Data rows as (row number, cells); a formula or error cell is reported and read as empty."""
        months = self._months
        for row, cells in enumerate(self._rows, start=2):
            out: list[Any] = []
            for i, cell in enumerate(cells):
                kind = getattr(cell, "data_type", "n")
                if kind == "f":
                    report(
                        FileProblem(
                            f"cell {cell.coordinate} holds a formula ({cell.value}); paste it as values",
                            row=row,
                            index=i,
                            value=str(cell.value),
                        )
                    )
                    out.append(BAD_CELL)
                elif kind == "e":
                    report(
                        FileProblem(
                            f"cell {cell.coordinate} holds the error value {cell.value}",
                            row=row,
                            index=i,
                            value=str(cell.value),
                        )
                    )
                    out.append(BAD_CELL)
                else:
                    out.append(_xlsx_text(cell.value, i in months))
            yield row, out

    def close(self) -> None:
        """Release the workbook."""
        wb = getattr(self, "_wb", None)
        if wb is not None:
            wb.close()
            self._wb = None


def open_source(path: Path) -> CsvSource | XlsxSource:
    """Open a load file by its extension; raise :class:`FileProblem` when it cannot be read."""
    if path.suffix.lower() == ".xlsx":
        return XlsxSource(path)
    return CsvSource(path)
