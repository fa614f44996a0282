"""A report table as data: one definition that the HTML and the Excel workbook are both made from.

A :class:`Table` has a caption, a Swedish sheet name, :class:`Column` definitions
(key, header label, the unit named in the header, numeric or not) and rows of
:class:`Cell` objects. A cell carries the raw value Excel stores (a number stays
a number, a status becomes its word, a missing value is empty), the text a reader
sees (Swedish formats from :mod:`ilslib.fmt`), the Excel number format that shows
the value the same way, and optional richer HTML (a status badge). The cell
constructors below (:func:`number`, :func:`amount`, :func:`status` ...) are the one
place where a kind of value gets its text and its Excel format, so the two outputs
cannot drift apart.

>>> t = Table("ex", "Exempel", "Exempel", [Column("namn", "Namn"), Column("v", "Värde", numeric=True, unit="%")],
...           [{"namn": text("Ö & <b>"), "v": number(12.25, 1)}], row_header="namn")
>>> "<th scope=\\"row\\">Ö &amp; &lt;b&gt;</th>" in t.html(), t.columns[1].header
(True, 'Värde (%)')
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from .. import fmt
from .present import Html, esc, tag

if TYPE_CHECKING:
    import pandas as pd

#: Rows up to this many are kept on one page in print.
KEEP_ROWS = 16
#: Characters Excel does not allow in a sheet name.
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a figure frame as dicts by column name (every column of a figure frame is named by a str);
    the same dicts as ``df.to_dict("records")`` (:func:`ilslib.figures._common.records`)."""
    from ..figures._common import records as _records

    return _records(df)


def record(df: pd.DataFrame, key: str) -> dict[str, Any]:
    """The row ``key`` of a figure frame indexed by a unique id (org_id) as a dict by column name."""
    return cast("dict[str, Any]", df.loc[key].to_dict())


@dataclass
class Cell:
    """One table cell: what Excel stores, what a reader sees, and how."""

    value: Any = None
    text: str = ""
    number_format: str | None = None
    css: str | None = None
    html: Html | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the notebook's metadata (the richer HTML is not kept)."""
        out: dict[str, Any] = {"v": self.value, "t": self.text}
        if self.number_format:
            out["f"] = self.number_format
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cell:
        """The inverse of :meth:`to_dict`."""
        return cls(d.get("v"), d.get("t", ""), d.get("f"))


@dataclass
class Column:
    """A column: key, Swedish header label, the unit named in the header, and where it is shown."""

    key: str
    label: str
    numeric: bool = False
    unit: str | None = None
    html: bool = True
    excel: bool = True

    @property
    def header(self) -> str:
        """The header text: ``Utfall (tkr)``."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"key": self.key, "label": self.label, "numeric": self.numeric, "unit": self.unit, "excel": self.excel}


@dataclass
class Table:
    """A table of the report (see the module docstring)."""

    key: str
    caption: str
    sheet: str
    columns: list[Column]
    rows: list[dict[str, Cell]]
    row_header: str | None = None
    empty: str = "Inga uppgifter finns för perioden."
    notes: list[str] = field(default_factory=list)
    total: bool = False  # the last row is a total (sums)
    split: int | None = None  # in HTML, at most this many columns beside the row header per table

    # -- HTML ------------------------------------------------------------------------------
    def html(self) -> Html:
        """The table as accessible HTML (caption, header cells with scope, a row header in each row).

        Without rows: the ``empty`` text; a lower-case one follows the caption
        ("Aktiviteter: inga aktiviteter."), a sentence stands alone.
        """
        shown = [c for c in self.columns if c.html]
        if not self.rows:
            said = self.empty if self.empty[:1].isupper() else f"{self.caption}: {self.empty}"
            return Html(f'<p class="empty">{esc(said)}</p>') + self._notes()
        head_col = next((c for c in shown if c.key == self.row_header), None)
        others = [c for c in shown if c is not head_col]
        if self.split and len(others) > self.split:
            chunks = [others[i : i + self.split] for i in range(0, len(others), self.split)]
            parts = []
            for i, chunk in enumerate(chunks, 1):
                cols = ([head_col] if head_col else []) + chunk
                parts.append(self._one(cols, f"{self.caption} (del {i} av {len(chunks)})"))
            return Html("".join(parts)) + self._notes()
        return self._one(shown, self.caption) + self._notes()

    def __html__(self) -> str:
        return str(self.html())

    def _repr_html_(self) -> str:
        return str(self.html())

    def _notes(self) -> Html:
        return Html("".join(f'<p class="note table-note">{esc(n)}</p>' for n in self.notes))

    def _one(self, cols: list[Column], caption: str) -> Html:
        num = ' class="num"'
        head = "".join(f'<th scope="col"{num if c.numeric else ""}>{esc(c.header)}</th>' for c in cols)
        body = []
        last = len(self.rows) - 1
        for i, row in enumerate(self.rows):
            cells = []
            for c in cols:
                cell = row.get(c.key) or Cell()
                classes = [x for x in ("num" if c.numeric else None, cell.css) if x]
                cls = f' class="{esc(" ".join(classes))}"' if classes else ""
                content = cell.html if cell.html is not None else esc(cell.text)
                if c.key == self.row_header:
                    cells.append(f'<th scope="row"{cls}>{content}</th>')
                else:
                    cells.append(f"<td{cls}>{content}</td>")
            tr = '<tr class="total">' if self.total and i == last else "<tr>"
            body.append(tr + "".join(cells) + "</tr>")
        # The wrapper scrolls a wide table sideways on a narrow screen; a scrollable region must be
        # reachable by keyboard (WCAG 2.1.1), so it is focusable and named after the caption.
        wrap = "table-wrap keep" if len(self.rows) <= KEEP_ROWS else "table-wrap"
        return Html(
            f'<div class="{wrap}" role="region" aria-label="{esc(caption)}" tabindex="0">'
            f'<table class="data"><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )

    # -- plain data (the notebook's metadata, read back for the workbook) --------------------
    def to_dict(self) -> dict[str, Any]:
        """The table as plain data (JSON); what Excel needs, without the HTML."""
        cols = [c for c in self.columns if c.excel]
        return {
            "key": self.key,
            "caption": self.caption,
            "sheet": self.sheet,
            "columns": [c.to_dict() for c in cols],
            "rows": [[(row.get(c.key) or Cell()).to_dict() for c in cols] for row in self.rows],
            "row_header": self.row_header,
            "empty": self.empty,
            "notes": list(self.notes),
            "total": self.total,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Table:
        """The inverse of :meth:`to_dict`."""
        cols = [
            Column(c["key"], c["label"], bool(c.get("numeric")), c.get("unit"), excel=c.get("excel", True))
            for c in d["columns"]
        ]
        rows = [{c.key: Cell.from_dict(v) for c, v in zip(cols, r, strict=True)} for r in d["rows"]]
        return cls(
            d["key"],
            d["caption"],
            d["sheet"],
            cols,
            rows,
            d.get("row_header"),
            d.get("empty", ""),
            list(d.get("notes", [])),
            bool(d.get("total")),
        )


def sheet_name(text: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique Excel sheet name: at most 31 characters, none of ``[]:*?/\\``.

    >>> sheet_name("Indikatorer: tertial [del 1]"), sheet_name("Aktiviteter", ["Aktiviteter"])
    ('Indikatorer  tertial  del 1', 'Aktiviteter (2)')
    """
    base = " ".join(str(text).translate(_SHEET_FORBIDDEN).split(" ")).strip().strip("'") or "Tabell"
    base = base[:31].rstrip()
    lower = {t.lower() for t in taken}
    name, n = base, 1
    while name.lower() in lower:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)].rstrip() + suffix
    return name


# -- cells: every kind of value, its text and its Excel format, in one place ------------------


def text(value: Any, *, missing: str = "") -> Cell:
    """Text from the data or a label; shown exactly as written (escaped in HTML)."""
    if fmt.is_missing(value):
        return Cell(None, missing)
    s = str(value)
    return Cell(s, s)


def html_text(value: str, html: Html) -> Cell:
    """Text for Excel, richer HTML in the report (e.g. a name with a line under it)."""
    return Cell(value, value, html=html)


def number(x: Any, decimals: int = 0, *, special: str | None = None, signed: bool = False) -> Cell:
    """A plain number: ``1 234,5`` (``signed``: ``+1 234,5``, a deviation); a special value (``..``, ``-``,
    ``.``) as text; missing empty."""
    if special:
        return Cell(special, special)
    v = _plain(x)
    if v is None:
        return Cell(None, fmt.MISSING)
    shown = fmt.signed(v, decimals) if signed else fmt.number(v, decimals)
    return Cell(v, shown, fmt.excel_format(decimals, signed=signed))


def count(x: Any) -> Cell:
    """A whole count."""
    v = _plain(x)
    if v is None:
        return Cell(None, fmt.MISSING)
    return Cell(int(v), fmt.number(v), fmt.excel_format(0))


def amount(x: Any, unit: fmt.AmountUnit, *, signed: bool = False) -> Cell:
    """An amount in the table's unit (named in the header); Excel keeps the exact kronor."""
    v = _plain(x)
    if v is None:
        return Cell(None, fmt.MISSING)
    shown = unit.signed(v) if signed else unit.number(v)
    return Cell(v, shown, fmt.excel_format(unit.decimals, scale=unit.excel_scale, signed=signed))


def pct(x: Any, decimals: int = 1, *, suppressed: bool = False, special: str | None = None) -> Cell:
    """A percentage (the unit ``%`` is in the header); ``..`` when suppressed."""
    if suppressed:
        return Cell(fmt.SUPPRESSED, fmt.SUPPRESSED)
    return number(x, decimals, special=special)


def value(x: Any, unit: str | None, decimals: int, *, special: str | None = None, signed: bool = False) -> Cell:
    """An indicator value whose unit differs from row to row: the unit is in the text and in the format."""
    if special:
        return Cell(special, special)
    v = _plain(x)
    if v is None:
        return Cell(None, fmt.MISSING)
    if fmt.unit_suffix(unit) == "kr":  # an amount: in kr, tkr or mnkr by its size, as in the tables
        u = fmt.amount_unit(v)
        shown = u.signed(v) if signed else u.number(v)
        return Cell(
            v,
            f"{shown}{fmt.NBSP}{u.label}",
            fmt.excel_format(u.decimals, scale=u.excel_scale, suffix=u.label, signed=signed),
        )
    if signed:
        suffix = fmt.change_unit(unit)
        return _with_unit(
            v, fmt.change(v, unit, decimals), suffix, fmt.excel_format(decimals, suffix=suffix, signed=True)
        )
    suffix = fmt.unit_suffix(unit)
    return _with_unit(v, fmt.value(v, unit, decimals), suffix, fmt.excel_format(decimals, suffix=suffix))


#: Units longer than this may go to a line of their own in a narrow column (``4 471`` / ``ton CO₂e``).
SHORT_UNIT = 4


def _with_unit(v: Any, text_: str, suffix: str, number_format: str) -> Cell:
    """A number with its unit; a long unit may wrap below the number in HTML (the number never breaks)."""
    if len(suffix) <= SHORT_UNIT or not text_.endswith(fmt.NBSP + suffix):
        return Cell(v, text_, number_format)
    number_text = text_[: -len(suffix) - 1]
    html = Html(f'<span class="nowrap">{esc(number_text)}</span> <span class="nowrap">{esc(suffix)}</span>')
    return Cell(v, text_, number_format, css="wrap", html=html)


def status(code: Any) -> Cell:
    """An indicator status: the word in Excel, symbol and word in a badge in the report."""
    if fmt.is_missing(code):
        return Cell(None, "")
    word = fmt.status_word(code)
    return Cell(word, fmt.status(code), css=None, html=tag("span", fmt.status(code), class_=f"status status-{code}"))


def assessment(code: Any) -> Cell:
    """An organisation's judgement: ``Ej bedömt`` where none was given."""
    key = "ej_bedomt" if fmt.is_missing(code) or code == "saknas" else code
    shown = fmt.assessment(None if key == "ej_bedomt" else code)
    word = "Ej bedömt" if key == "ej_bedomt" else fmt.status_word(code)
    return Cell(word, shown, html=tag("span", shown, class_=f"status status-{key}"))


def _plain(x: Any) -> float | int | None:
    """A finite Python number, or None."""
    if fmt.is_missing(x) or isinstance(x, bool):
        return None
    if hasattr(x, "item"):
        x = x.item()
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(f):
        return None
    return x if isinstance(x, int) else f
