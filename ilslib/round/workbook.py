"""The reporting workbook's layout: its sheets and columns, how it is written, and how it is recognised.

One home for the workbook's shape, used by the writer (:func:`write`, from the
rows :mod:`ilslib.round.template` builds) and by the loader
(:mod:`ilslib.load`, through :func:`read_meta` and :func:`contract_header`),
so that what ``ils template`` writes is exactly what ``ils load`` expects:

- a first sheet ``Läs först`` with the instructions in Swedish;
- a sheet per contract file a reporter changes (``outcomes``, ``assessments``,
  ``activity_status``, ``comments``), named after the file; row 1 the headings
  (``Utfall (value)``: the Swedish name, then the contract column in
  parentheses; read-only columns only the Swedish name), one row per item from
  row 2; the cells to fill in are unlocked and yellow, everything else is
  locked (sheet protection without a password: a guide, not a lock; the loader
  checks every row anyway);
- drop-down lists (data validation) for the codes, a number check for the
  values; the loader never relies on them (openpyxl and other programs drop
  some validations), it reads the codes from the contract;
- a very hidden sheet ``_ils`` that says which organisation and period the
  workbook is for, and which sheets it has: the loader checks every row
  against it.

Every text cell from the data is a string cell, never a formula; a text a
spreadsheet would evaluate (:func:`ilslib.cells.is_dangerous`) gets the
quote-prefix style; the cells a reporter writes text into have the Text
number format (``@``), so that what is typed there (``=HYPERLINK(...)``) stays
text.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..cells import is_dangerous
from ..contract import ACTIVITY_STATUSES, ASSESSMENTS, CONTRACT_VERSION, MAX_ABS_NUMBER
from ..fmt import ACTIVITY_STATUS, STATUS

if TYPE_CHECKING:  # openpyxl is imported when a workbook is made
    from openpyxl.cell.cell import Cell, MergedCell
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

README_SHEET = "Läs först"
META_SHEET = "_ils"
FORMAT = "ils-inrapportering"
FORMAT_VERSION = 1
FILE_PREFIX = "inrapportering_"

#: What each sheet holds, in Swedish, for the instructions.
SHEET_TITLES = {
    "outcomes": "Utfall för indikatorer",
    "assessments": "Bedömning av mål",
    "activity_status": "Status för aktiviteter",
    "comments": "Kommentarer",
}

# Colours: the header and read-only cells grey, the cells to fill in light yellow (the contrast of black
# text on both is far above WCAG AA).
HEADER_FILL = "DCE3EA"
LOCKED_FILL = "F1F3F5"
INPUT_FILL = "FFF4C2"


@dataclass(frozen=True)
class WbColumn:
    """One column of a workbook sheet.

    ``contract``: the contract column it holds (None for a read-only column
    that only helps the reporter, ignored when loading); ``editable``: a cell
    the reporter fills in; ``kind``: ``text``, ``number``, ``code`` or
    ``date`` (how the cell is written and checked).
    """

    key: str
    label: str
    contract: str | None = None
    editable: bool = False
    kind: str = "text"
    width: float = 14
    help: str = ""

    @property
    def heading(self) -> str:
        """The heading in row 1: ``Utfall (value)`` for a contract column, the label alone otherwise."""
        return f"{self.label} ({self.contract})" if self.contract else self.label


def _col(key: str, label: str, contract: str | None = None, **kw: Any) -> WbColumn:
    return WbColumn(key, label, contract, **kw)


#: The sheets' columns, in order.
SHEETS: Mapping[str, tuple[WbColumn, ...]] = {
    "outcomes": (
        _col("org_id", "Organisation", "org_id", width=13, help="organisationens id (ändras inte)"),
        _col("period", "Period", "period", width=10, help="perioden (ändras inte)"),
        _col("indicator_id", "Indikator-id", "indicator_id", width=13, help="indikatorns id (ändras inte)"),
        _col("name", "Indikator", width=42, help="indikatorns namn"),
        _col("gender", "Kön", "gender", width=9, help="T = totalt, K = kvinnor, M = män"),
        _col("unit", "Enhet", width=9, help="enheten utfallet anges i"),
        _col("direction", "Riktning", width=16, help="om ett högre eller lägre värde är bättre"),
        _col("target", "Målvärde", kind="number", width=11, help="målvärdet som gäller för perioden"),
        _col("previous", "Föregående utfall", kind="number", width=12, help="senaste tidigare utfall"),
        _col("previous_period", "Föregående period", width=11, help="perioden för det föregående utfallet"),
        _col(
            "value",
            "Utfall",
            "value",
            editable=True,
            kind="number",
            width=12,
            help="periodens utfall, ett tal (12,5); tomt om det saknas, aldrig 0 för en saknad uppgift",
        ),
        _col("comment", "Kommentar", "comment", editable=True, width=50, help="kommentar till utfallet (frivillig)"),
    ),
    "assessments": (
        _col("org_id", "Organisation", "org_id", width=13, help="organisationens id (ändras inte)"),
        _col("period", "Period", "period", width=10, help="perioden (ändras inte)"),
        _col("goal_id", "Mål-id", "goal_id", width=12, help="målets id (ändras inte)"),
        _col("title", "Mål", width=44, help="målets rubrik"),
        _col("level", "Nivå", width=11, help="nämndmål eller bolagsmål"),
        _col("kf_goal", "KF-mål", width=34, help="kommunfullmäktiges mål som målet konkretiserar"),
        _col("previous", "Föregående bedömning", width=24, help="senaste tidigare bedömning och dess period"),
        _col(
            "assessment",
            "Bedömning",
            "assessment",
            editable=True,
            kind="code",
            width=14,
            help="uppfyllt, delvis eller ej_uppfyllt (välj i listan); tomt = ej bedömt",
        ),
        _col("comment", "Kommentar", "comment", editable=True, width=50, help="motivering av bedömningen"),
    ),
    "activity_status": (
        _col("activity_id", "Aktivitets-id", "activity_id", width=13, help="aktivitetens id (ändras inte)"),
        _col("period", "Period", "period", width=10, help="perioden (ändras inte)"),
        _col("title", "Aktivitet", width=44, help="aktivitetens rubrik"),
        _col("start_date", "Start", kind="date", width=11, help="startdatum"),
        _col("end_date", "Slut", kind="date", width=11, help="slutdatum"),
        _col("previous", "Föregående status", width=24, help="senaste tidigare status och dess period"),
        _col(
            "status",
            "Status",
            "status",
            editable=True,
            kind="code",
            width=14,
            help="ej_paborjad, paborjad, genomford, forsenad eller avbruten (välj i listan)",
        ),
        _col("comment", "Kommentar", "comment", editable=True, width=50, help="kommentar till statusen (frivillig)"),
    ),
    "comments": (
        _col("org_id", "Organisation", "org_id", width=13, help="organisationens id (ändras inte)"),
        _col("period", "Period", "period", width=10, help="perioden (ändras inte)"),
        _col("kind", "Slag", "kind", width=17, help="kommentarens slag (ändras inte)"),
        _col("label", "Rubrik", width=22, help="kommentarens rubrik i rapporten"),
        _col("text", "Text", "text", editable=True, width=90, help="texten, som den ska stå i rapporten"),
    ),
}

#: The codes a reporter chooses in a drop-down list, by contract column (from the contract itself).
CODE_LISTS: Mapping[str, tuple[str, ...]] = {"assessment": ASSESSMENTS, "status": ACTIVITY_STATUSES}

#: Each code in Swedish, for the instructions and the cell's help text.
CODE_WORDS: Mapping[str, Mapping[str, str]] = {
    "assessment": {c: STATUS[c][1] for c in ASSESSMENTS},
    "status": dict(ACTIVITY_STATUS),
    "gender": {"T": "Totalt", "K": "Kvinnor", "M": "Män"},
}


@dataclass
class SheetData:
    """The rows of one sheet: dicts keyed by :attr:`WbColumn.key` (missing keys are empty cells).

    ``decimals``: per row, the decimals shown for its numbers (an indicator's own).
    """

    file: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    decimals: list[int] = field(default_factory=list)


@dataclass
class WorkbookData:
    """Everything a reporting workbook shows: who it is for, the instructions' facts, and the sheets."""

    org_id: str
    org_name: str
    kind: str
    period: str
    period_title: str
    deadline: dt.date | None
    controller: str | None
    sheets: list[SheetData]
    required: list[str] = field(default_factory=list)  # what counts for completeness, in Swedish
    created_at: str = ""


@dataclass(frozen=True)
class WorkbookMeta:
    """What the hidden sheet ``_ils`` says: the organisation, the period and the sheets of the workbook."""

    org_id: str
    period: str
    sheets: tuple[str, ...]
    version: int
    values: Mapping[str, str] = field(default_factory=dict)
    file: str = ""  # the workbook's file name, once it is being loaded


def file_name(org_id: str, period: str) -> str:
    """``inrapportering_ID_P.xlsx`` (the id as an output folder would be named: never hidden or reserved)."""
    from ..identifiers import folder_name

    return f"{FILE_PREFIX}{folder_name(org_id)}_{period}.xlsx"


def is_workbook_name(name: str) -> bool:
    """True for a file name that a reporting workbook has (``inrapportering_*``, any extension)."""
    return name.lower().startswith(FILE_PREFIX)


# -- writing ------------------------------------------------------------------------------------


def _put(ws: Worksheet, row: int, col: int, value: Any, *, number_format: str | None = None) -> Cell | MergedCell:
    """Write one cell: text always as a string (never a formula), a dangerous text quote-prefixed."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would take a text starting with "=" for a formula
        if is_dangerous(value):
            cell.quotePrefix = True
        return cell
    if isinstance(value, float) and value != value:  # NaN: nothing
        return cell
    cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def number_format(decimals: int) -> str:
    """An Excel number format with thousands grouping and ``decimals`` decimals (Swedish Excel: ``1 234,5``)."""
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def _lines(value: Any, width: float) -> int:
    """About how many lines ``value`` takes wrapped in a column ``width`` characters wide."""
    if not isinstance(value, str) or not value:
        return 1
    per = max(int(width * 1.1) - 2, 1)  # the column's width is in characters of the default font's digits
    return sum(max(1, -(-len(part) // per)) for part in value.split("\n"))


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

    thin = Side(style="thin", color="9AA5B1")
    return {
        "head_font": Font(name="Calibri", bold=True),
        "head_fill": PatternFill("solid", fgColor=HEADER_FILL),
        "locked_fill": PatternFill("solid", fgColor=LOCKED_FILL),
        "input_fill": PatternFill("solid", fgColor=INPUT_FILL),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "top": Alignment(vertical="top"),
        "unlocked": Protection(locked=False),
    }


def _validation(col: WbColumn, ref: str) -> DataValidation:
    from openpyxl.worksheet.datavalidation import DataValidation

    if col.kind == "code":
        codes = CODE_LISTS[col.contract or ""]
        words = CODE_WORDS[col.contract or ""]
        dv = DataValidation(type="list", formula1='"' + ",".join(codes) + '"', allow_blank=True)
        dv.error = f"Välj en av: {', '.join(codes)}."
        dv.errorTitle = "Okänd kod"
        dv.errorStyle = "stop"
        dv.promptTitle = col.label
        dv.prompt = "; ".join(f"{c} = {words[c]}" for c in codes)[:250]
    else:
        limit = MAX_ABS_NUMBER - 1
        dv = DataValidation(type="decimal", operator="between", formula1=str(-limit), formula2=str(limit))
        dv.allow_blank = True
        dv.errorStyle = "warning"  # the loader decides; a warning lets a reporter keep what it typed
        dv.errorTitle = "Inte ett tal"
        dv.error = "Utfallet ska vara ett tal, t.ex. 12,5. Lämna cellen tom om uppgiften saknas."
        dv.promptTitle = col.label
        dv.prompt = "Ett tal, t.ex. 12,5. Tomt om uppgiften saknas (skriv aldrig 0 för en saknad uppgift)."
    dv.showErrorMessage = True
    dv.showInputMessage = True
    dv.add(ref)
    return dv


def _data_sheet(wb: Workbook, data: SheetData, st: dict[str, Any]) -> None:
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=data.file)
    cols = SHEETS[data.file]
    for j, col in enumerate(cols, 1):
        cell = _put(ws, 1, j, col.heading)
        cell.font = st["head_font"]
        cell.fill = st["head_fill"]
        cell.border = st["border"]
        cell.alignment = st["wrap"]
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.row_dimensions[1].height = 32
    n = len(data.rows)
    for i, row in enumerate(data.rows):
        r = i + 2
        decimals = data.decimals[i] if i < len(data.decimals) else 1
        for j, col in enumerate(cols, 1):
            value = row.get(col.key)
            fmt = number_format(decimals) if col.kind == "number" else None
            cell = _put(ws, r, j, value, number_format=fmt)
            cell.border = st["border"]
            if col.editable:
                cell.fill = st["input_fill"]
                cell.protection = st["unlocked"]
                if col.kind in ("text", "code"):
                    cell.number_format = "@"  # typed text stays text (a leading = is not a formula)
                elif fmt:
                    cell.number_format = fmt
            else:
                cell.fill = st["locked_fill"]
            cell.alignment = st["wrap"] if col.kind == "text" and col.width >= 30 else st["top"]
        # Heights set, not left to the program: neither Excel nor LibreOffice grows a row for wrapped text
        # when it opens a workbook, and the lines of a long name would overlap the next row.
        lines = max([_lines(row.get(c.key), c.width) for c in cols if c.kind == "text" and c.width >= 30] + [1])
        least = 120 if data.file == "comments" else 15  # room to write (and read) a few paragraphs
        ws.row_dimensions[r].height = max(least, 15 * lines)
    for j, col in enumerate(cols, 1):
        if col.editable and col.kind in ("code", "number") and n:
            letter = get_column_letter(j)
            ws.add_data_validation(_validation(col, f"{letter}2:{letter}{n + 1}"))
    # The ids and names stay in view while scrolling to the cells to fill in.
    first_ro = next((j for j, c in enumerate(cols, 1) if c.contract is None), 1)
    ws.freeze_panes = ws.cell(row=2, column=first_ro + 1).coordinate
    ws.protection.sheet = True
    # Protected, but the reporter may still widen columns, heighten rows and format cells.
    ws.protection.formatCells = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _long_date(d: dt.date) -> str:
    from ..fmt import MONTH_NAMES

    days = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
    return f"{days[d.weekday()]} {d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


def readme_lines(data: WorkbookData) -> list[tuple[str, str]]:
    """The instructions sheet as (style, text) lines: ``title``, ``sub``, ``head``, ``strong``, ``text``, ``code``."""
    name = file_name(data.org_id, data.period)
    present = [s.file for s in data.sheets]
    out: list[tuple[str, str]] = [
        ("title", f"Inrapportering: {data.period_title}"),
        ("sub", f"{data.org_name} ({data.org_id}), period {data.period}"),
        ("text", ""),
    ]
    if data.deadline is not None:
        out.append(("strong", f"Sista dag: {_long_date(data.deadline)}."))
    else:
        out.append(("strong", "Ingen sista dag är inlagd för perioden: fråga din controller."))
    if data.controller:
        out.append(("text", f"Controller: {data.controller}"))
    out += [("text", ""), ("head", "Det här fyller du i")]
    for file in present:
        out.append(("text", f"• Bladet {file}: {SHEET_TITLES[file].lower()}."))
    if data.required:
        out += [("text", ""), ("text", "Det här räknas när inrapporteringens fullständighet mäts:")]
        out += [("text", f"• {r}") for r in data.required]
        out.append(
            (
                "text",
                "Det övriga (uppdelning på kvinnor och män, avvikelser, analys, bedömningar under året) fyller du i "
                "när det finns något att säga.",
            )
        )
    out += [
        ("text", ""),
        ("head", "Så fyller du i"),
        ("text", "• Fyll i de gula cellerna. De grå cellerna visar uppgifter ur lagret och kan inte ändras."),
        ("text", "• Skriv utfall som tal, med decimalkomma (12,5). Lämna cellen tom om uppgiften saknas:"),
        ("text", "  skriv aldrig 0 för en uppgift som saknas."),
        ("text", "• Välj bedömning och status i listan som visas i cellen."),
        ("text", "• En rad där du inte fyller i något läses inte in."),
        ("text", "• Ändra inte bladens namn, rubrikraden eller kolumnerna Organisation, Period och id:"),
        ("text", f"  varje rad måste höra till {data.org_id} och {data.period}, annars läses ingenting in."),
        ("text", "• Spara som Excel-arbetsbok (.xlsx), inte .xls eller .ods."),
        ("text", ""),
        ("head", "Så lämnar du in"),
        ("text", f"Spara arbetsboken med samma namn, {name}, och lämna den till din controller."),
        ("text", "Har du själv behörighet att läsa in, gör du det och klarmarkerar sedan:"),
        ("code", f"ils load {name}"),
        ("code", f"ils ready --period {data.period} --org {data.org_id}"),
        ("text", "Inläsningen kontrollerar varje rad. Hittas ett fel läses ingenting in, och felet anges med"),
        ("text", "blad, rad och kolumn, t.ex. 'sheet outcomes, row 7, column value'."),
        ("text", ""),
        ("head", "Koder"),
    ]
    for column, words in CODE_WORDS.items():
        what = {"assessment": "Bedömning", "status": "Status", "gender": "Kön"}[column]
        out.append(("text", f"{what} ({column}): " + ", ".join(f"{c} = {w}" for c, w in words.items())))
    out += [("text", ""), ("head", "Kolumnerna")]
    for file in present:
        out.append(("strong", f"Bladet {file} ({SHEET_TITLES[file].lower()})"))
        for col in SHEETS[file]:
            out.append(("text", f"• {col.heading}: {col.help}"))
    out += [("text", ""), ("text", f"Skapad {data.created_at} ur lagret av ilslib {__version__}.")]
    return out


README_WIDTH = 96
"""Characters per line of the instructions: longer lines are broken (the sheet prints on A4, portrait)."""


def _wrapped(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The lines broken at :data:`README_WIDTH` characters; a bullet's continuation is indented under its text."""
    import textwrap

    out = []
    for style, line in lines:
        if style == "code" or len(line) <= README_WIDTH:
            out.append((style, line))
            continue
        indent = "  " if line.startswith(("• ", "  ")) else ""
        out.extend((style, part) for part in textwrap.wrap(line, README_WIDTH, subsequent_indent=indent))
    return out


def _readme(wb: Workbook, data: WorkbookData) -> None:
    from openpyxl.styles import Font
    from openpyxl.worksheet.properties import PageSetupProperties

    ws = wb.worksheets[0]  # the sheet a new workbook has
    ws.title = README_SHEET
    fonts = {
        "title": Font(name="Calibri", bold=True, size=16, color="0B4F8A"),
        "sub": Font(name="Calibri", size=12),
        "head": Font(name="Calibri", bold=True, size=13, color="0B4F8A"),
        "strong": Font(name="Calibri", bold=True, size=12),
        "text": Font(name="Calibri", size=11),
        "code": Font(name="DejaVu Sans Mono", size=10),
    }
    heights = {"title": 24, "sub": 18, "head": 21, "strong": 18}
    for r, (style, line) in enumerate(_wrapped(readme_lines(data)), 1):
        cell = _put(ws, r, 1, line or None)
        cell.font = fonts.get(style, fonts["text"])
        if style in heights:
            ws.row_dimensions[r].height = heights[style]
    ws.column_dimensions["A"].width = README_WIDTH + 8
    ws.sheet_view.showGridLines = False
    ws.protection.sheet = True
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)  # fit to the page width


def _meta(wb: Workbook, data: WorkbookData) -> None:
    ws = wb.create_sheet(title=META_SHEET)
    pairs = [
        ("nyckel", "värde"),
        ("format", FORMAT),
        ("version", str(FORMAT_VERSION)),
        ("org_id", data.org_id),
        ("period", data.period),
        ("sheets", ",".join(s.file for s in data.sheets)),
        ("contract_version", str(CONTRACT_VERSION)),
        ("created_at", data.created_at),
        ("ilslib", __version__),
    ]
    for r, (k, v) in enumerate(pairs, 1):
        _put(ws, r, 1, k)
        _put(ws, r, 2, v)
    ws.protection.sheet = True
    ws.sheet_state = "veryHidden"


def write(data: WorkbookData) -> bytes:
    """The workbook (xlsx bytes): ``Läs först``, a sheet per :class:`SheetData`, and the hidden ``_ils``."""
    from openpyxl import Workbook

    wb = Workbook()
    st = _styles()
    _readme(wb, data)
    for sheet in data.sheets:
        _data_sheet(wb, sheet, st)
    _meta(wb, data)
    wb.active = 0
    title = f"Inrapportering {data.period_title} – {data.org_name}"
    wb.properties.title = title[:255]
    wb.properties.language = "sv-SE"
    wb.properties.creator = f"ilslib {__version__}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- reading (for the loader) --------------------------------------------------------------------


class WorkbookProblem(Exception):
    """Why a file is not a reporting workbook that can be loaded as it is (one line, for a reject)."""


def _by_heading(file: str) -> dict[str, WbColumn]:
    """Every heading a column is recognised by (its heading, its label and its contract name), lower case."""
    out: dict[str, WbColumn] = {}
    for col in SHEETS[file]:
        for name in (col.heading, col.label, col.contract):
            if name:
                out.setdefault(" ".join(name.split()).lower(), col)
    return out


def contract_header(file: str, header: Sequence[str]) -> tuple[list[str], list[int], list[str]]:
    """The header of a workbook sheet as the loader reads it, the editable columns' indexes, and the problems.

    Each heading becomes its contract column (``Utfall (value)`` -> ``value``);
    a read-only column becomes ``""`` (ignored, no warning); an unknown heading
    stays as it is (the loader warns and ignores it). A column of the
    workbook that is missing (deleted or renamed) is a problem: the sheet was
    changed structurally.
    """
    known = _by_heading(file)
    out: list[str] = []
    editable: list[int] = []
    seen: set[str] = set()
    for i, raw in enumerate(header):
        col = known.get(" ".join(str(raw or "").split()).lower())
        if col is None:
            out.append(raw)
            continue
        seen.add(col.key)
        out.append(col.contract or "")
        if col.editable:
            editable.append(i)
    problems = [
        f"the column {col.heading!r} is missing (deleted or renamed?): the workbook's columns must stay as "
        "ils template wrote them; give it back its heading, or fill in a new workbook"
        for col in SHEETS[file]
        if col.key not in seen
    ]
    return out, editable, problems


def meta_from_pairs(pairs: Mapping[str, str]) -> WorkbookMeta:
    """The :class:`WorkbookMeta` from the ``_ils`` sheet's key/value pairs; :class:`WorkbookProblem` if it is not one."""
    if pairs.get("format") != FORMAT:
        raise WorkbookProblem(f"the sheet {META_SHEET} does not say this is a reporting workbook ({FORMAT})")
    try:
        version = int(pairs.get("version") or "")
    except ValueError:
        raise WorkbookProblem(f"the sheet {META_SHEET} has no readable version") from None
    if version > FORMAT_VERSION:
        raise WorkbookProblem(
            f"the workbook is of version {version}, made by a newer ilslib (this one reads version {FORMAT_VERSION})"
        )
    org, period = (pairs.get("org_id") or "").strip(), (pairs.get("period") or "").strip()
    sheets = tuple(s.strip() for s in (pairs.get("sheets") or "").split(",") if s.strip())
    if not org or not period or not sheets or any(s not in SHEETS for s in sheets):
        raise WorkbookProblem(f"the sheet {META_SHEET} is damaged (organisation, period or sheets missing)")
    return WorkbookMeta(org, period, sheets, version, dict(pairs))


def check_sheets(meta: WorkbookMeta, names: Sequence[str]) -> str | None:
    """Why the workbook's sheets are not the ones it was written with (a renamed or deleted sheet), or None."""
    have = [n for n in names if n not in (README_SHEET, META_SHEET)]
    missing = [s for s in meta.sheets if s not in have]
    extra = [n for n in have if n not in meta.sheets]
    if not missing:
        return None
    if len(missing) == 1 and len(extra) == 1:
        return (
            f"the sheet {missing[0]!r} was renamed to {extra[0]!r}: the sheets must keep their names "
            f"({', '.join(meta.sheets)}); rename it back"
        )
    return (
        f"the sheet{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} "
        f"{'are' if len(missing) > 1 else 'is'} missing (renamed or deleted?): the workbook has "
        f"{', '.join(repr(h) for h in have) or 'no data sheet'}; the sheets must keep their names"
    )


def workbook_path(path: Path) -> str | None:
    """Why ``path`` (named like a reporting workbook) cannot be one by its extension, or None for ``.xlsx``."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return None
    what = {
        ".xls": "an old Excel workbook (.xls)",
        ".ods": "an OpenDocument spreadsheet (.ods)",
        ".xlsm": "an Excel workbook with macros (.xlsm)",
        ".xlsb": "a binary Excel workbook (.xlsb)",
        ".csv": "a CSV file",
    }.get(suffix, f"a {suffix or 'extension-less'} file")
    return (
        f"saved as {what}: a reporting workbook is loaded as an Excel workbook (.xlsx); open it and save it "
        f"as 'Excel Workbook (.xlsx)' with the name {path.stem}.xlsx"
    )


def read_meta(path: Path) -> tuple[WorkbookMeta, list[str]]:
    """The workbook's :class:`WorkbookMeta` and its sheet names.

    Raises :class:`~ilslib.readers.FileProblem` when the file is no readable
    xlsx workbook (an ``.xls`` or ``.ods`` inside, damaged, too large) and
    :class:`WorkbookProblem` when it is one but not a reporting workbook.
    """
    from ..readers import open_workbook, read_bounded

    wb = open_workbook(read_bounded(path))
    try:
        names = list(wb.sheetnames)
        if META_SHEET not in names:
            raise WorkbookProblem(
                f"not a reporting workbook made by ils template (it has no sheet {META_SHEET}, which says whose "
                "workbook it is): make one with ils template, or load contract files as a directory"
            )
        pairs: dict[str, str] = {}
        for row in wb[META_SHEET].iter_rows(min_row=1, max_row=50, max_col=2, values_only=True):
            if row and row[0] is not None:
                pairs[str(row[0]).strip()] = "" if len(row) < 2 or row[1] is None else str(row[1])
    finally:
        wb.close()
    return meta_from_pairs(pairs), names
