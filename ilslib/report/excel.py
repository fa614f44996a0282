"""``report.xlsx``: every table of a report, a sheet each, numbers as numbers.

Made from the same :class:`~ilslib.report.model.Table` definitions as the HTML
(the notebook publishes the tables it shows, :func:`~ilslib.report.present.read_tables`):

- one sheet per table, in report order, named in Swedish (at most 31 characters,
  unique); the table's caption in the first row, the header row below it frozen
  and with an autofilter;
- numbers stored as numbers with a display format that shows them as the report
  does (Swedish Excel shows ``#,##0.0`` as ``1 234,5``), the unit in the header
  (``kr``, ``tkr``, ``%``) or, where it differs from row to row, in the format;
  amounts keep the exact kronor and are shown in the table's unit;
- statuses as words; a missing value is an empty cell; the special values the
  report shows (``..``, ``-``, ``.``) are kept as text;
- text from the data that a spreadsheet would evaluate (``=``, ``+``, ``-``,
  ``@``, tab, carriage return first: :func:`ilslib.cells.is_dangerous`) is a
  string cell with the quote-prefix style: shown as text, never a formula; no
  cell of the workbook is a formula;
- a last sheet "Om rapporten" with the report's title and provenance.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..cells import is_dangerous
from .model import Table, sheet_name

if TYPE_CHECKING:  # openpyxl is imported when a workbook is made
    from openpyxl.cell.cell import Cell, MergedCell
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

ABOUT_SHEET = "Om rapporten"
MAX_WIDTH = 60
MIN_WIDTH = 8


def _put(ws: Worksheet, row: int, col: int, value: Any, number_format: str | None = None) -> Cell | MergedCell:
    """Write one cell; text is always a string cell (never a formula), dangerous text quote-prefixed."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    if isinstance(value, bool):
        value = "Ja" if value else "Nej"
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would take a text starting with "=" for a formula
        if is_dangerous(value):
            cell.quotePrefix = True
        if "\n" in value:
            from openpyxl.styles import Alignment

            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell
    cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def _width(text: str) -> int:
    longest = max((len(line) for line in str(text).splitlines()), default=0)
    return longest


DRAFT_MARK = " (utkast)"
"""After every sheet's caption of a draft's workbook (as after the report's title)."""


def _sheet(wb: Workbook, table: Table, name: str, draft: bool = False) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=name)
    cols = [c for c in table.columns if c.excel]
    _put(ws, 1, 1, table.caption + (DRAFT_MARK if draft else "")).font = Font(bold=True, size=12)
    if draft:  # printed too: every page of the sheet says so
        ws.oddHeader.center.text = "Utkast – inrapporteringen är inte godkänd"
    head_fill = PatternFill("solid", fgColor="EEF2F6")
    rule = Border(bottom=Side(style="thin", color="8D99A6"))
    widths = [_width(c.header) for c in cols]
    for j, c in enumerate(cols, 1):
        head = _put(ws, 2, j, c.header)
        head.font = Font(bold=True)
        head.fill = head_fill
        head.border = rule
        head.alignment = Alignment(wrap_text=True, vertical="bottom", horizontal="right" if c.numeric else "left")
    last = 2
    if not table.rows:
        last = 3
        _put(ws, 3, 1, table.empty if table.empty[:1].isupper() else f"{table.caption}: {table.empty}")
    for i, row in enumerate(table.rows):
        r = 3 + i
        last = r
        for j, c in enumerate(cols, 1):
            cell = row.get(c.key)
            if cell is None:
                continue
            written = _put(ws, r, j, cell.value, cell.number_format)
            if isinstance(cell.value, str) and "\n" not in cell.value and c.numeric:
                from openpyxl.styles import Alignment as _A

                written.alignment = _A(horizontal="right")  # a special value in a column of numbers
            widths[j - 1] = max(widths[j - 1], _width(cell.text or ("" if cell.value is None else cell.value)))
        if table.total and i == len(table.rows) - 1:
            for j in range(1, len(cols) + 1):
                ws.cell(row=r, column=j).font = Font(bold=True)
    # header row frozen (with the caption above it), an autofilter over the header and the data
    ws.freeze_panes = "A3"
    if table.rows:  # a total row stays out of the filter (sorting must not move it among the rows)
        ws.auto_filter.ref = f"A2:{get_column_letter(len(cols))}{last - 1 if table.total else last}"
    for k, note in enumerate(table.notes):
        _put(ws, last + 2 + k, 1, note)
    for j, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = max(MIN_WIDTH, min(MAX_WIDTH, w + 2))
        if w > MAX_WIDTH:  # long text (comments) wraps inside the column
            for r in range(3, last + 1):
                cell = ws.cell(row=r, column=j)
                if isinstance(cell.value, str):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")


def _about(wb: Workbook, title: str, about: Sequence[tuple[str, Any]], notes: Iterable[str]) -> None:
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(title=ABOUT_SHEET)
    _put(ws, 1, 1, title).font = Font(bold=True, size=12)
    r = 3
    for label, value in about:
        _put(ws, r, 1, str(label)).font = Font(bold=True)
        _put(ws, r, 2, "" if value is None else value)
        r += 1
    for note in notes:
        r += 1
        cell = _put(ws, r, 1, note)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 15 * (1 + len(note) // 100)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 90


def workbook(
    tables: Iterable[Table | dict[str, Any]],
    *,
    title: str,
    about: Sequence[tuple[str, Any]] = (),
    notes: Iterable[str] = (),
    draft: bool = False,
) -> bytes:
    """The workbook (xlsx bytes): one sheet per table in order, then "Om rapporten" (``about`` pairs, ``notes``).

    A ``draft`` (its reporting is not approved) says so on every sheet: "(utkast)" after the caption, and in
    the printed page header.
    """
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the empty sheet a new workbook has
    taken: list[str] = [ABOUT_SHEET]
    for t in tables:
        table = Table.from_dict(t) if isinstance(t, dict) else t
        name = sheet_name(table.sheet, taken)
        taken.append(name)
        _sheet(wb, table, name, draft)
    _about(wb, title, about, notes)
    wb.properties.title = title[:255]
    wb.properties.language = "sv-SE"
    wb.properties.creator = "ilslib"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def with_notice(xlsx: bytes, notice: str) -> bytes:
    """The workbook ``xlsx`` with ``notice`` under the title of its "Om rapporten" sheet (e.g. a partial publication).

    The text is written as text (never a formula), in bold, wrapped across the sheet's two columns.
    """
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    wb = load_workbook(io.BytesIO(xlsx))
    ws = wb[ABOUT_SHEET] if ABOUT_SHEET in wb.sheetnames else wb.worksheets[0]
    ws.insert_rows(2)
    cell = _put(ws, 2, 1, notice)
    cell.font = Font(bold=True)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=2)
    ws.row_dimensions[2].height = 15 * (1 + len(notice) // 100)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
