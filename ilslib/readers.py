"""Reading one file of a load directory as rows of text cells: CSV or XLSX (first sheet).

The readers only turn bytes into cells; every rule about what a cell may hold
lives in :mod:`ilslib.load`. Cells are strings (``None`` for an empty XLSX
cell), never guessed types, so ``007`` stays ``007``.

Only a regular file is opened, never through a symbolic link and never
blocking on a pipe (:func:`open_regular`). The SHA-256 recorded for a file is
that of the bytes actually read and parsed (:class:`HashingReader`), so a file
changed while it is loaded is recorded as it was read.

CSV: UTF-8 with or without BOM (anything else is a :class:`FileProblem` naming
the line of the first bad byte), ``;`` or ``,`` detected from the header line,
``"`` quoting with ``""`` for a quote and line breaks inside quoted fields;
read in one pass.
XLSX: the first sheet. Before anything is unpacked, the zip directory is
checked against :data:`XLSX_LIMITS` (a small file that unpacks to gigabytes is
refused in one line); then the sheet is read row by row with openpyxl's
streaming parser, taking only the cells present in the file and bounding rows
and cells. A formula cell is a problem naming the cell (paste values
instead); numbers become their shortest exact text (as :class:`NumberText`)
and dates ISO text.

Row numbers are those a spreadsheet user sees: the header is row 1, so the
first data row is row 2; a CSV line break inside a quoted field does not start
a new row.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import errno
import hashlib
import io
import itertools
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

# Longer fields are read whole and then rejected with a clear message (see contract.MAX_TEXT).
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))

_BLOCK = 1024 * 1024


class _BadCell:
    """A cell already reported (a formula, an error value): not to be reported again as missing."""

    def __repr__(self) -> str:
        return "BAD_CELL"


BAD_CELL = _BadCell()


class NumberText(str):
    """The text of a workbook's number cell: a real number, so no decimal sign was typed (never ambiguous)."""

    __slots__ = ()


class RowWidth(str):
    """Stands for the cells of a row beyond its header that hold values: only their count is kept.

    A row with a value in column XFD is one short list and this marker, not
    16 384 cells (the loader rejects such a row and names its width).
    """

    __slots__ = ("width",)
    width: int

    def __new__(cls, width: int) -> RowWidth:
        self = super().__new__(cls, f"<{width} cells>")
        self.width = width
        return self


@dataclass
class FileProblem(Exception):
    """A file (or one place in it) that cannot be read; becomes a reject."""

    reason: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    index: int | None = None  # 0-based column index, when the reader knows only that
    sha256: str = ""  # of what was read, when the reader got that far

    def __str__(self) -> str:
        return self.reason


Report = Callable[[FileProblem], None]


@dataclass(frozen=True)
class XlsxLimits:
    """What a workbook may expand to; checked on the zip directory before anything is unpacked."""

    file_bytes: int = 128 * 2**20
    members: int = 2_000
    member_bytes: int = 1 * 2**30
    total_bytes: int = 3 * 2**29  # 1.5 GiB
    ratio: float = 100.0  # uncompressed / compressed, for members above ratio_from bytes
    ratio_from: int = 2**20
    shared_strings_bytes: int = 64 * 2**20
    rows: int = 1_048_576  # Excel's own limits
    columns: int = 16_384
    cells: int = 30_000_000  # present cells of the sheet


XLSX_LIMITS = XlsxLimits()
"""The bounds :class:`XlsxSource` enforces (``docs/loading.md`` lists them)."""


def column_letter(index: int) -> str:
    """The spreadsheet column letter for a 0-based column index (0 -> A, 27 -> AB)."""
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB".replace(",", " ")


# -- opening ---------------------------------------------------------------------------------


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading when it is a regular file, without following a symbolic link.

    ``O_NOFOLLOW`` refuses a link as the last part of the path and
    ``O_NONBLOCK`` keeps a named pipe from blocking the open; the file's type
    is then checked on the open descriptor itself, so nothing can be swapped in
    between. Anything else is a :class:`FileProblem`.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileProblem("a symbolic link: only regular files inside the load directory are loaded") from None
        raise FileProblem(f"cannot be read: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise FileProblem("not a regular file (a pipe, socket or device): only regular files are loaded")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


class HashingReader(io.RawIOBase):
    """A raw byte stream that hashes every byte as it is read, counts line breaks and refuses NUL bytes."""

    def __init__(self, raw: BinaryIO, *, refuse_nul: bool = False):
        self.raw = raw
        self.hash = hashlib.sha256()
        self.size = 0
        self.lines = 0  # line breaks in the bytes read so far
        self.refuse_nul = refuse_nul

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        self.hash.update(data)
        if self.refuse_nul:
            at = data.find(b"\x00")
            if at >= 0:
                line = self.lines + data.count(b"\n", 0, at) + 1
                self.size += n
                raise FileProblem(
                    f"binary content (a NUL byte on line {line}): this is not a CSV text file",
                    row=line,
                    sha256=self.digest(),
                )
        self.lines += data.count(b"\n")
        self.size += n
        return n

    def digest(self) -> str:
        """The SHA-256 of the whole file as read: what was read so far, then the rest (read now)."""
        while block := self.raw.read(_BLOCK):
            self.hash.update(block)
            self.size += len(block)
        return self.hash.hexdigest()

    def close(self) -> None:
        self.raw.close()
        super().close()


def sha256_of(path: Path) -> str:
    """The SHA-256 of a regular file as hex ("" when it is not one or cannot be read)."""
    try:
        with open_regular(path) as fh:
            return HashingReader(fh).digest()
    except FileProblem:
        return ""


# -- CSV ---------------------------------------------------------------------------------------


def _check_magic(block: bytes) -> None:
    if block.startswith(b"PK\x03\x04"):
        raise FileProblem("this is an Excel workbook or other zip file, not CSV text: name it .xlsx")
    if block.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem("the file is UTF-16 encoded: save it as UTF-8 (in Excel: 'CSV UTF-8')")
    if block.startswith((b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG")):
        raise FileProblem("binary content (an old .xls workbook, a PDF or an image), not CSV text")


def _utf8_problem(fh: BinaryIO) -> FileProblem:
    """The first byte of ``fh`` that is not UTF-8, as a problem naming its line (read again from the start)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = 0
    offset = 0
    fd = fh.fileno()
    while True:
        block = os.pread(fd, _BLOCK, offset)
        final = not block
        try:
            decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            data = exc.object  # the decoder's pending bytes + this block
            line = lines + data.count(b"\n", 0, exc.start) + 1
            bad = data[exc.start : exc.start + 1].hex().upper()
            return FileProblem(
                f"not UTF-8 text (byte 0x{bad} on line {line}); save the file as UTF-8 "
                "(in Excel: 'CSV UTF-8 (comma delimited)')",
                row=line,
            )
        if final:
            return FileProblem("not UTF-8 text; save the file as UTF-8 (in Excel: 'CSV UTF-8 (comma delimited)')")
        lines += block.count(b"\n")
        offset += len(block)


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
    """A CSV file: ``header`` (row 1) and ``rows()`` (row number, cells), read in one pass."""

    kind = "csv"

    def __init__(self, path: Path):
        self.path = path
        self._raw = open_regular(path)
        self._hashing = HashingReader(self._raw)
        try:
            self._open()
        except FileProblem as p:
            p.sha256 = p.sha256 or self._hashing.digest()
            self.close()
            raise
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        self.size = os.fstat(self._raw.fileno()).st_size
        buffered = io.BufferedReader(self._hashing, _BLOCK)
        head = buffered.peek(_BLOCK)
        if not head:
            raise FileProblem("the file is empty (0 bytes): it needs at least a header row")
        _check_magic(head)
        at = head.find(b"\x00")
        if at >= 0:
            line = head.count(b"\n", 0, at) + 1
            raise FileProblem(f"binary content (a NUL byte on line {line}): this is not a CSV text file", row=line)
        self._hashing.refuse_nul = True  # for the rest of the file, as it is read
        # For the progress bar only: the line breaks of the first block, scaled to the file's size.
        lines = head.count(b"\n")
        self.approx_rows = max(lines - 1 if len(head) >= self.size else int(lines * self.size / len(head)) - 1, 0)
        self._fh = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")
        try:
            first_line = self._fh.readline()
        except UnicodeDecodeError:
            raise _utf8_problem(self._raw) from None
        self.delimiter = _detect_delimiter(first_line)
        self._reader = csv.reader(
            itertools.chain([first_line], self._fh), delimiter=self.delimiter, quotechar='"', strict=True
        )
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            raise FileProblem(f"malformed CSV in the header row: {exc}", row=1) from None
        except UnicodeDecodeError:
            raise _utf8_problem(self._raw) from None
        if header is None or not any(c.strip() for c in header):
            raise FileProblem("no header row: row 1 must name the columns", row=1)
        self.header: list[str] = header

    @property
    def sha256(self) -> str:
        """The checksum of the file as read (the rest is read now if reading stopped early)."""
        return self._hashing.digest()

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
            except UnicodeDecodeError:
                raise _utf8_problem(self._raw) from None
            row += 1
            yield row, cells

    def row_blocks(self, size: int) -> Iterator[tuple[int, list[list[str]], FileProblem | None]]:
        """Data rows in blocks of ``size``: (row number of the first, rows, the problem that ended reading or None).

        The same rows, numbers and problems as :meth:`rows`, read a block at a
        time by the ``csv`` module in C (no Python step per row). A block ended
        by a problem holds the rows read before it; it is the last.
        """
        row = 1
        reader = self._reader
        while True:
            block: list[list[str]] = []
            problem: FileProblem | None = None
            try:
                block.extend(itertools.islice(reader, size))  # keeps the rows read before an error
            except csv.Error as exc:
                problem = FileProblem(
                    f"malformed CSV ({exc}): check the quotes on this row or just above it", row=row + len(block) + 1
                )
            except UnicodeDecodeError:
                problem = _utf8_problem(self._raw)
            except FileProblem as p:
                problem = p
            if block or problem is not None:
                yield row + 1, block, problem
            if problem is not None or len(block) < size:
                return
            row += len(block)

    def close(self) -> None:
        """Release the file."""
        fh = getattr(self, "_fh", None)
        if fh is not None:
            try:
                fh.detach()  # the raw file is closed below; the text layer must not try again
            except (ValueError, OSError):
                pass
        self._raw.close()


# -- XLSX --------------------------------------------------------------------------------------


def _xlsx_text(value: Any, as_month: bool) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return NumberText(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return NumberText(int(value))
        return NumberText(repr(value))
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


def check_zip(data: bytes, limits: XlsxLimits = XLSX_LIMITS) -> zipfile.ZipFile:
    """Open a workbook's zip directory and check what it would expand to; raise :class:`FileProblem` if too much."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileProblem(f"not a readable xlsx workbook (a damaged zip archive: {exc})") from None
    members = archive.infolist()
    if len(members) > limits.members:
        raise FileProblem(
            f"the workbook has {len(members)} parts; a workbook of the contract has far fewer (at most {limits.members}): refused"
        )
    total = 0
    for m in members:
        total += m.file_size
        if m.file_size > limits.member_bytes:
            raise FileProblem(
                f"the workbook's part {m.filename} unpacks to {_mib(m.file_size)} (at most {_mib(limits.member_bytes)}): refused"
            )
        if m.file_size > limits.ratio_from and m.file_size > limits.ratio * max(m.compress_size, 1):
            raise FileProblem(
                f"the workbook's part {m.filename} unpacks from {_mib(m.compress_size)} to {_mib(m.file_size)}, "
                f"more than {limits.ratio:g} times its size (a decompression bomb?): refused"
            )
        if m.filename.lower().endswith("sharedstrings.xml") and m.file_size > limits.shared_strings_bytes:
            raise FileProblem(
                f"the workbook's shared strings unpack to {_mib(m.file_size)} "
                f"(at most {_mib(limits.shared_strings_bytes)}): refused"
            )
    if total > limits.total_bytes:
        raise FileProblem(f"the workbook unpacks to {_mib(total)} (at most {_mib(limits.total_bytes)}): refused")
    return archive


def open_workbook(data: bytes, limits: XlsxLimits = XLSX_LIMITS) -> Any:
    """An openpyxl workbook (read-only) of ``data``, after the checks that it is an xlsx within ``limits``.

    An ``.xls`` or ``.ods`` file (whatever its name), a file that is not a zip
    archive, or one that would unpack to too much is a :class:`FileProblem`.
    """
    if not data:
        raise FileProblem("the file is empty (0 bytes): it needs at least a header row")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("an old Excel workbook (.xls) named .xlsx: save it as .xlsx (Excel Workbook) or .csv")
    if not data.startswith(b"PK"):
        raise FileProblem("not an xlsx workbook (the file is not a zip archive); save it as .xlsx or .csv")
    archive = check_zip(data, limits)
    try:
        if "mimetype" in archive.namelist() and b"opendocument" in archive.read("mimetype")[:100]:
            raise FileProblem("an OpenDocument spreadsheet (.ods) named .xlsx: save it as .xlsx or .csv")
    finally:
        archive.close()
    import openpyxl  # only when a workbook is loaded

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise FileProblem(f"not a readable xlsx workbook: {type(exc).__name__}: {exc}") from None


def read_bounded(path: Path, limits: XlsxLimits = XLSX_LIMITS) -> bytes:
    """The bytes of the regular file ``path``, if it is not larger than ``limits.file_bytes``."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limits.file_bytes:
            raise FileProblem(
                f"the workbook is {_mib(size)}; at most {_mib(limits.file_bytes)} are loaded (save it as CSV)",
                sha256=HashingReader(fh).digest(),
            )
        return fh.read(limits.file_bytes + 1)


class XlsxSource:
    """One sheet of an XLSX workbook: ``header`` (row 1) and ``rows()``, within :data:`XLSX_LIMITS`.

    ``sheet`` names the sheet; by default the first one (a load directory's
    ``NAME.xlsx``). A workbook with a sheet per contract file is read with one
    source per sheet: the loader takes an opener per (file, sheet).
    """

    kind = "xlsx"

    def __init__(self, path: Path, limits: XlsxLimits = XLSX_LIMITS, *, sheet: str | None = None):
        self.path = path
        self.limits = limits
        self.sheet_name = sheet
        self.approx_rows: int | None = None
        self._months: set[int] = set()
        self._wb: Any = None
        self._src: Any = None
        self._where = "the first sheet" if sheet is None else "the sheet"
        # Read whole, bounded: the checksum is then exactly of the bytes the workbook is read from.
        data = read_bounded(path, limits)
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.size = len(data)
        try:
            self._open(data)
        except FileProblem as p:
            p.sha256 = self.sha256
            self.close()
            raise
        except BaseException:
            self.close()
            raise

    def _open(self, data: bytes) -> None:
        self._wb = open_workbook(data, self.limits)
        if not self._wb.worksheets:
            raise FileProblem("the workbook has no worksheet")
        self.sheet_names: list[str] = list(self._wb.sheetnames)
        if self.sheet_name is None:
            ws = self._wb.worksheets[0]
        elif self.sheet_name in self._wb.sheetnames:
            ws = self._wb[self.sheet_name]
        else:
            raise FileProblem(
                f"the workbook has no sheet {self.sheet_name!r} (it has {', '.join(self._wb.sheetnames)})"
            )
        self.sheet = ws.title
        stated_rows = ws.max_row  # from the sheet's dimension tag: only a hint for the progress bar
        self._rows = self._parse(ws)
        first: tuple[int, list[dict[str, Any]]] | None = None
        for row, cells in self._rows:
            if any(c["value"] is not None for c in cells):
                first = (row, cells)
                break
        if first is None:
            raise FileProblem(f"{self._where} ({self.sheet!r}) is empty: it needs at least a header row", row=1)
        if first[0] != 1:
            raise FileProblem(f"row 1 of {self._where} ({self.sheet!r}) is empty: the header must be on row 1", row=1)
        header: list[str] = []
        for cell in first[1]:
            if cell["data_type"] == "f":
                raise FileProblem(
                    f"cell {column_letter(cell['column'] - 1)}1 holds a formula ({cell['value']}); paste it as values",
                    row=1,
                    index=cell["column"] - 1,
                    value=str(cell["value"]),
                )
            at = cell["column"] - 1
            if at >= len(header):
                header.extend([""] * (at + 1 - len(header)))
            header[at] = _xlsx_text(cell["value"], False) or ""
        while header and not header[-1].strip():
            header.pop()
        self.header = header
        self.approx_rows = max((stated_rows or 1) - 1, 0) or None

    def _parse(self, ws: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """The sheet's rows as (row number, the cells present in the file), within the limits.

        openpyxl's streaming parser is used directly: its worksheet API pads
        every row to its last column, which lets a tiny file make millions of
        empty cells.
        """
        from openpyxl.worksheet._reader import WorkSheetParser

        wb = self._wb
        self._src = ws._get_source()
        parser = WorkSheetParser(
            self._src,
            ws._shared_strings,
            data_only=False,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        limits = self.limits
        cells_seen = 0
        try:
            for row, cells in parser.parse():
                if row > limits.rows:
                    raise FileProblem(f"{self._where} has a row {row}, beyond the last row of Excel ({limits.rows})")
                cells_seen += len(cells)
                if len(cells) > limits.columns or cells_seen > limits.cells:
                    raise FileProblem(
                        f"{self._where} has more than {limits.cells:,d} cells (at row {row}): refused".replace(
                            ",", " "
                        ),
                        row=row,
                    )
                yield row, cells
        except FileProblem:
            raise
        except MemoryError:
            raise
        except Exception as exc:  # a damaged sheet
            raise FileProblem(f"{self._where} cannot be read: {type(exc).__name__}: {exc}") from None

    def set_month_columns(self, indexes: set[int]) -> None:
        """Columns holding ``YYYY-MM``: a date cell on the 1st of a month there is read as that month."""
        self._months = set(indexes)

    def rows(self, report: Report) -> Iterator[tuple[int, list[Any]]]:
        """Data rows as (row number, cells); a formula or error cell is reported and read as empty.

        A row holds the header's columns, and beyond them only the cells that
        have a value (so a stray value far to the right is still seen).
        """
        months = self._months
        width = len(self.header)
        for row, cells in self._rows:
            out: list[Any] = [None] * width
            extra = 0
            for cell in cells:
                at = cell["column"] - 1
                value, kind = cell["value"], cell["data_type"]
                if value is None:
                    continue
                if kind == "f":
                    report(
                        FileProblem(
                            f"cell {column_letter(at)}{row} holds a formula ({value}); paste it as values",
                            row=row,
                            index=at,
                            value=str(value),
                        )
                    )
                    text: Any = BAD_CELL
                elif kind == "e":
                    report(
                        FileProblem(
                            f"cell {column_letter(at)}{row} holds the error value {value}",
                            row=row,
                            index=at,
                            value=str(value),
                        )
                    )
                    text = BAD_CELL
                else:
                    text = _xlsx_text(value, at in months)
                if at < width:
                    out[at] = text
                else:
                    extra = max(extra, at + 1)
            if extra:
                out.append(RowWidth(extra))  # values beyond the header: the row is as wide as its last one
            yield row, out

    def close(self) -> None:
        """Release the workbook."""
        if self._src is not None:
            self._src.close()
            self._src = None
        if self._wb is not None:
            self._wb.close()
            self._wb = None


def open_source(path: Path) -> CsvSource | XlsxSource:
    """Open a load file by its extension; raise :class:`FileProblem` when it cannot be read."""
    if path.suffix.lower() == ".xlsx":
        return XlsxSource(path)
    return CsvSource(path)
