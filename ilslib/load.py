"""``ils load``: validate a directory of contract files and write it, all or nothing.

:func:`load_dir` reads every file of the load (CSV or XLSX, see
:mod:`ilslib.readers`), checks every cell against :mod:`ilslib.contract`
(codes, numbers, periods, months, dates, required values, duplicate keys,
references to this load or to the warehouse) and writes the rows with
:class:`ilslib.store.TableWriter` in ONE transaction. Any reject rolls the
whole load back; every reject is reported (file, row as a spreadsheet user
counts it, column, value, reason) and written to a rejects file. Each load,
accepted or rejected, is recorded in ``ils_load``/``ils_load_file``.

:func:`load_frames` runs DataFrames (the demo generator's) through the same
validation and writer, so demo and real data cannot drift apart.

Files are read in chunks and written as they are validated (while the load has
no reject), so memory stays flat for a million-row ledger; the transaction
keeps the all-or-nothing promise, also when the process is killed.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import functools
import gc
import io
import itertools
import math
import operator
import os
import pickle
import queue
import re
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from . import identifiers
from . import rights as rights_
from .cells import csv_text
from .contract import FILES, LOAD_ORDER, MAX_ABS_NUMBER, YEAR_RANGE, Column, FileSpec
from .contract import MAX_TEXT as MAX_TEXT
from .errors import AccessDeniedError, LoadBusyError, LoadError, WarehouseError
from .fsutil import atomic_write_bytes
from .periods import is_month, is_period
from .readers import (
    BAD_CELL,
    CsvSource,
    FileProblem,
    RowWidth,
    XlsxSource,
    column_letter,
    open_source,
    sha256_of,
)
from .round import workbook as wbk
from .round.state import Change, after_load, states
from .round.workbook import WorkbookMeta, WorkbookProblem
from .schema import LOAD_LOCK
from .store import FileRecord, LoadRecord, TableWriter, now_utc, record_load
from .warehouse import Warehouse

REJECTS_FILE = "rejects.csv"
"""Name of the rejects file written into the load directory (ignored when loading)."""

MAX_ID = identifiers.MAX_LENGTH
"""Longest identifier (the warehouse columns are VARCHAR(64))."""

CHUNK = 20_000
"""Rows validated and written at a time (fewer for a wide file: see CHUNK_CELLS)."""

CHUNK_CELLS = 400_000
"""Cells held at a time: a file with thousands of columns is read in smaller chunks."""

SHOWN_UNKNOWN_COLUMNS = 5
"""Unknown columns named in the warning about a file; the rest are counted."""

SUFFIXES = (".csv", ".xlsx")
_INT_MAX = 2**31 - 1

# -- one reject ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reject:
    """Why one place of a load was rejected. ``row`` counts as a spreadsheet does (header = 1)."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            # "ledger.csv row 3", but "inrapportering_ALN_2026-T2.xlsx, sheet outcomes, row 7"
            where += f"{',' if ', sheet ' in self.file else ''} row {self.row}"
        if self.column:
            where += f", column {self.column}"
        value = f" ({_short(self.value, 60)!r})" if self.value not in (None, "") else ""
        return f"{where}{value}: {self.reason}"


def _short(value: str | None, limit: int) -> str:
    if value is None:
        return ""
    value = str(value)
    if len(value) <= limit:
        return value
    return value[:limit] + f"… ({len(value)} characters)"


@dataclass
class FileResult:
    """What happened to one file of a load."""

    name: str  # as in the directory, e.g. "ledger.csv"
    file: str  # the contract file, e.g. "ledger"
    sha256: str = ""
    rows_read: int = 0
    inserted: int = 0
    replaced: int = 0
    rejects: int = 0
    seconds: float = 0.0


@dataclass
class LoadResult:
    """The outcome of a load: per-file counts, rejects, warnings. ``ok`` is False when rejected."""

    source: str
    load_id: str = ""
    files: list[FileResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    rejects_path: Path | None = None
    workbooks: list[WorkbookMeta] = field(default_factory=list)
    """The reporting workbooks of the load (organisation, period, sheets)."""
    state_changes: list[Change] = field(default_factory=list)
    """The reporting-round states the load changed (:func:`ilslib.round.state.after_load`)."""

    @property
    def ok(self) -> bool:
        """True when the load was accepted and written."""
        return not self.rejects

    @property
    def inserted(self) -> int:
        """Rows inserted with a new key, over all files."""
        return sum(f.inserted for f in self.files)

    @property
    def replaced(self) -> int:
        """Rows that replaced a row with the same key, over all files."""
        return sum(f.replaced for f in self.files)


class Progress(Protocol):
    """Where a load reports its progress (the CLI shows a bar or plain lines)."""

    def start(self, name: str, total: int | None) -> None: ...
    def advance(self, rows: int) -> None: ...
    def done(self, result: FileResult) -> None: ...


# -- converting one cell --------------------------------------------------------------------


class _Bad(Exception):
    """A cell that does not hold what its column needs (the message is the reason)."""


_INVALID = object()  # a cell already rejected: no "required value missing" on top of it

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_SIMPLE_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}", re.ASCII)  # already valid and in NFC as it stands
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_MAX_EMAIL = 254
_PLAIN_NUM = re.compile(r"-?\d{1,15}(?:[.,]\d+)?", re.ASCII)
_GROUPED_NUM = re.compile(r"-?\d{1,3}(?:[ \u00a0\u202f]\d{3}){1,4}(?:[.,]\d+)?", re.ASCII)
_SEPARATORS = str.maketrans({",": ".", " ": None, "\u00a0": None, "\u202f": None})
_NUM_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_GROUPED = re.compile(r"(\d{1,3}(?:[ \u00a0\u202f]\d{3})+)((?:[.,]\d*)?(?:[eE][+-]?\d+)?)", re.ASCII)
_INT_RE = re.compile(r"[+-]?\d+", re.ASCII)
_NUMBER_HELP = "use digits with a decimal comma or point; spaces may separate thousands (1 234,5)"


def _number_text(s: str) -> str:
    """Normalise a number as Swedish exports write it to Python's syntax, or raise _Bad."""
    t = s.strip()
    if t[:1] in ("−", "–"):  # U+2212 minus and the en dash some exports use
        t = "-" + t[1:]
    sign = ""
    if t[:1] in "+-":
        sign, t = t[:1], t[1:].lstrip()
    m = _GROUPED.fullmatch(t)
    if m:
        t = re.sub(r"[ \u00a0\u202f]", "", m.group(1)) + m.group(2)
    if t.count(".") > 1:
        raise _Bad(
            "ambiguous number: more than one point (a thousands separator?); write 1234567 or 1 234 567, "
            "with a decimal comma or point"
        )
    if "," in t and "." in t:
        raise _Bad("ambiguous number: both a comma and a point (which is the decimal sign?); write 1234,5 or 1 234,5")
    if "," in t:
        if t.count(",") > 1:
            raise _Bad(f"not a number: {_NUMBER_HELP}")
        t = t.replace(",", ".")
    if not t.isascii() or not _NUM_RE.fullmatch(t):
        raise _Bad(f"not a number: {_NUMBER_HELP}")
    return sign + t


def _to_number(s: str, col: Column) -> float | None:
    t = s.strip()
    if not t:
        return None
    # Fast paths for what exports usually hold: 1234,5 and 1 234,5 (or with a point); at
    # most 15 digits before the decimal sign, so always within the limit.
    if _PLAIN_NUM.fullmatch(t):
        value = float(t.replace(",", "."))
    elif _GROUPED_NUM.fullmatch(t):
        value = float(t.translate(_SEPARATORS))
    else:
        value = float(_number_text(t))
        if not math.isfinite(value) or abs(value) >= MAX_ABS_NUMBER:
            raise _Bad("the number is outside the limits: numbers must be below 10^15 (1 000 000 000 000 000)")
    if col.minimum is not None or col.maximum is not None:
        _bounds(value, col)
    return value


def _bounds(value: float, col: Column) -> None:
    """The column's own limits (``Column.minimum``/``maximum``), e.g. no negative hours."""
    if col.minimum is not None and value < col.minimum:
        if col.minimum == 0:
            raise _Bad(f"{col.name} cannot be negative")
        raise _Bad(f"{col.name} must be at least {_shown(col.minimum)}")
    if col.maximum is not None and value > col.maximum:
        raise _Bad(f"{col.name} must be at most {_shown(col.maximum)}")


def _shown(value: Any) -> str:
    """A number as a person writes it: ``900`` rather than ``900.0``, a decimal comma."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < MAX_ABS_NUMBER:
            return str(int(value))
        return repr(value).replace(".", ",")
    return str(value)


def _to_int(s: str, col: Column) -> int | None:
    t = s.strip()
    if not t:
        return None
    if not _INT_RE.fullmatch(t):
        try:
            t = _number_text(t)
        except _Bad:
            raise _Bad("not a whole number") from None
        whole, _, frac = t.partition(".")
        if "e" in t.lower() or frac.strip("0") or not _INT_RE.fullmatch(whole or "0"):
            raise _Bad("not a whole number")
        t = whole or "0"
    value = int(t)
    if abs(value) > _INT_MAX:
        raise _Bad("the number is too large")
    if col.minimum is not None or col.maximum is not None:
        _bounds(value, col)
    return value


def _to_year(s: str, col: Column) -> int | None:
    t = s.strip()
    if not t:
        return None
    if not (len(t) == 4 and t.isascii() and t.isdigit() and YEAR_RANGE[0] <= int(t) <= YEAR_RANGE[1]):
        raise _Bad(f"not a year: expected four digits, e.g. 2026 ({YEAR_RANGE[0]}-{YEAR_RANGE[1]})")
    return int(t)


def _to_id(s: str, col: Column) -> str | None:
    if _SIMPLE_ID.fullmatch(s) and s != "." and s != "..":
        return s  # the usual case, decided by one regular expression
    t = identifiers.normalise(s)  # trimmed, NFC: two spellings of Ö are one id
    if not t:
        return None
    reason = identifiers.problem(t)
    if reason is not None:
        raise _Bad(reason)
    return t


def _to_login(s: str, col: Column) -> str | None:
    """A warehouse login (``users.user_id``): an identifier that may also hold ``@`` and ``\\``."""
    t = identifiers.normalise(s)
    if not t:
        return None
    reason = identifiers.login_problem(t)
    if reason is not None:
        raise _Bad(reason)
    return t


def _to_email(s: str, col: Column) -> str | None:
    t = s.strip()
    if not t:
        return None
    if len(t) > _MAX_EMAIL or not _EMAIL.fullmatch(t):
        raise _Bad("not an e-mail address: expected name@example.se")
    return t


def _to_text(s: str, col: Column) -> str | None:
    if not s.strip():
        return None
    if len(s) > MAX_TEXT:
        raise _Bad(f"the text has {len(s)} characters; at most {MAX_TEXT:,} are accepted".replace(",", " "))
    return s  # exactly as given


def _to_code(s: str, col: Column) -> str | None:
    t = s.strip()
    if not t:
        return None
    if t in col.codes:
        return t
    hint = ""
    for c in col.codes:
        if c.lower() == t.lower():
            hint = f" (codes are case-sensitive: write {c!r})"
            break
    raise _Bad(f"unknown code {t!r}: expected one of {', '.join(col.codes)}{hint}")


def _to_period(s: str, col: Column) -> str | None:
    t = s.strip()
    if not t:
        return None
    if is_period(t):
        return t
    hint = f" (write {t.upper()!r})" if is_period(t.upper()) else ""
    raise _Bad(f"malformed period: expected YYYY-BU, YYYY-T1, YYYY-T2 or YYYY-BO, e.g. 2026-T2{hint}")


def _to_month(s: str, col: Column) -> str | None:
    t = s.strip()
    if not t:
        return None
    if is_month(t):
        return t
    raise _Bad("malformed month: expected YYYY-MM, e.g. 2026-03")


def _to_date(s: str, col: Column) -> str | None:
    t = s.strip()
    if not t:
        return None
    if not _DATE_RE.fullmatch(t):
        raise _Bad("malformed date: expected YYYY-MM-DD, e.g. 2026-03-31")
    try:
        dt.date.fromisoformat(t)
    except ValueError:
        raise _Bad("not a calendar date (YYYY-MM-DD)") from None
    return t


_CONVERT: dict[str, Callable[[str, Column], Any]] = {
    "id": _to_id,
    "text": _to_text,
    "code": _to_code,
    "int": _to_int,
    "year": _to_year,
    "number": _to_number,
    "period": _to_period,
    "month": _to_month,
    "date": _to_date,
    "email": _to_email,
    "login": _to_login,
}
_INTERNED = ("id", "login", "code", "period", "month", "date")
_MEMO_MAX = 50_000  # distinct identifiers remembered per column (org ids and accounts repeat a lot)


class _Failed:
    """A distinct value that failed its column's rule, remembered with the reason (None: the reader reported it)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str | None):
        self.reason = reason


# The types whose conversion depends on the cell's text alone (and the column): memoised per distinct value.
_MEMO_TYPES = frozenset(("id", "login", "code", "period", "month", "date", "email", "year", "int"))

# A whole column of numbers as exports write them (1234,5 and 1 234,5 or with a point, or empty), one per
# line: exactly the fast paths of _to_number (at most 15 digits before the decimal sign: within the limit).
_NUMBER_COLUMN = re.compile(
    r"(?:(?:-?\d{1,15}(?:[.,]\d+)?|-?\d{1,3}(?:[ \u00a0\u202f]\d{3}){1,4}(?:[.,]\d+)?)?\n)*", re.ASCII
)


def _numbers_at_once(values: Sequence[Any], col: Column) -> list[Any] | None:
    """A number column converted in one pass when every cell is of the usual form, else None.

    The same values as :func:`_to_number` (``float`` of the text with the
    decimal comma made a point and the thousands spaces removed); None when a
    cell needs the cell-by-cell rule (another form, a bound of the column not
    met, a workbook's empty cell), which then gives the message.
    """
    try:
        text = "\n".join(values)
    except TypeError:  # None (a workbook's empty cell) or a reader's marker
        return None
    text += "\n"
    if not _NUMBER_COLUMN.fullmatch(text):
        return None
    parts = text.translate(_SEPARATORS).split("\n")
    parts.pop()
    if len(parts) != len(values):  # a line break inside a cell
        return None
    if "" in parts:
        out: list[Any] = [float(p) if p else None for p in parts]
        present = [v for v in out if v is not None]
    else:
        out = present = list(map(float, parts))
    if present and (
        (col.minimum is not None and min(present) < col.minimum)
        or (col.maximum is not None and max(present) > col.maximum)
    ):
        return None
    return out


def _texts_at_once(values: Sequence[Any]) -> list[Any] | None:
    """A text column as :func:`_to_text` gives it (blank = None), or None when a cell needs the rule itself."""
    try:
        if values and max(map(len, values)) > MAX_TEXT:
            return None
        if all(map(str.strip, values)):
            return list(values)
    except TypeError:  # None (a workbook's empty cell) or a reader's marker
        return None
    return [v if v.strip() else None for v in values]


_WHAT = {
    "organisations.org_id": "organisation",
    "goals.goal_id": "goal",
    "indicators.indicator_id": "indicator",
    "activities.activity_id": "activity",
}
# What a file holds, for the rule "no outcomes, statuses or judgements for a budget period".
_BUDGET_WHAT = {"outcomes": "outcomes", "activity_status": "activity statuses", "assessments": "judgements"}
_TREE_WHAT = {"organisations": "an organisation", "goals": "a goal"}

# -- the directory -------------------------------------------------------------------------


_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
_OTHER_SPREADSHEETS = {
    ".xls": "an old Excel workbook (.xls)",
    ".xlsm": "an Excel workbook with macros (.xlsm)",
    ".xlsb": "a binary Excel workbook (.xlsb)",
    ".ods": "an OpenDocument spreadsheet (.ods)",
    ".txt": "a text file (.txt)",
    ".tsv": "a tab-separated file (.tsv)",
}


def _not_regular(entry: Path) -> str | None:
    """Why ``entry`` is not loaded as a file (a link, a pipe, a device ...), or None for a regular file.

    Decided on the entry itself (``lstat``), never on what a link points to: a
    load reads only regular files inside its directory, so a pipe cannot make
    it hang and a link cannot bring in (or show) a file from elsewhere.
    """
    try:
        mode = entry.lstat().st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISLNK(mode):
        try:
            target = f" to {os.readlink(entry)}"
        except OSError:
            target = ""
        return (
            f"a symbolic link{target}: only regular files inside the load directory are loaded "
            "(copy the file into the directory instead)"
        )
    for test, what in _SPECIAL:
        if test(mode):
            return f"{what}, not a regular file: only regular files are loaded"
    return None


def _plan(
    directory: Path, rejects: list[Reject], warnings: list[str], workbooks: list[Path] | None = None
) -> dict[str, Path]:
    """The contract files of a load directory by contract name; unknown names, links and pipes are rejects.

    Reporting workbooks (``inrapportering_*.xlsx``) go to ``workbooks``; one saved in
    another format is a reject saying so.
    """
    found: dict[str, Path] = {}
    names = ", ".join(LOAD_ORDER)
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name.startswith(".") or name.lower() == REJECTS_FILE:
            continue
        if name.startswith("~$"):
            warnings.append(f"{name}: an Excel lock file (is the workbook still open?) - ignored")
            continue
        if stat.S_ISDIR(entry.lstat().st_mode):
            warnings.append(f"{name}/: a subdirectory - ignored")
            continue
        why = _not_regular(entry)
        if why is not None:
            rejects.append(Reject(name, None, None, None, why))
            continue
        stem, suffix = entry.stem.lower(), entry.suffix.lower()
        if wbk.is_workbook_name(name):
            bad = wbk.workbook_path(entry)
            if bad is not None:
                rejects.append(Reject(name, None, None, None, bad))
            elif workbooks is not None:
                workbooks.append(entry)
            continue
        if stem in FILES and suffix in SUFFIXES:
            if stem in found:
                rejects.append(
                    Reject(name, None, None, None, f"both {found[stem].name} and {name} are in the load: keep one")
                )
                continue
            found[stem] = entry
        elif stem in FILES:
            what = _OTHER_SPREADSHEETS.get(suffix, "a file of another type")
            rejects.append(
                Reject(
                    name,
                    None,
                    None,
                    None,
                    f"unsupported file type {entry.suffix!r} ({what}): save it as {stem}.csv (UTF-8) or {stem}.xlsx",
                )
            )
        else:
            close = difflib.get_close_matches(stem, list(FILES), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}{suffix if suffix in SUFFIXES else '.csv'}?)" if close else ""
            rejects.append(
                Reject(
                    name,
                    None,
                    None,
                    None,
                    f"not a file of the data contract{hint}: a load may hold only {names} (as .csv or .xlsx) "
                    f"and reporting workbooks ({wbk.FILE_PREFIX}ID_PERIOD.xlsx)",
                )
            )
    if not found and not rejects and not workbooks:
        rejects.append(
            Reject(
                directory.name or str(directory),
                None,
                None,
                None,
                f"no contract files in {directory}: expected some of {names} (.csv or .xlsx)",
            )
        )
    return found


# -- one file ------------------------------------------------------------------------------


class _Known:
    """Identifiers that references may point to: this load's, then the warehouse's (read once)."""

    def __init__(self, wh: Warehouse):
        self.wh = wh
        self.loaded: dict[str, set[str]] = {}
        self._stored: dict[str, set[str]] = {}
        self._activity_orgs: dict[str, str] | None = None

    def stored(self, ref: str) -> set[str]:
        if ref not in self._stored:
            file, column = ref.split(".")
            table = FILES[file].table
            self._stored[ref] = {r[0] for r in self.wh.rows(f"SELECT {column} FROM {table}")}
        return self._stored[ref]

    def has(self, ref: str, value: str) -> bool:
        return value in self.loaded.get(ref, ()) or value in self.stored(ref)

    def all(self, ref: str) -> set[str]:
        """Every known value (this load's and the warehouse's); a snapshot."""
        return self.loaded.get(ref, set()) | self.stored(ref)

    def activity_orgs(self) -> dict[str, str]:
        """activity_id -> org_id of the activities in the warehouse, read once when first asked.

        Asked while activity statuses are checked, which is after this load's
        own activities were written (files are written in LOAD_ORDER, in the
        load's transaction), so they are included.
        """
        if self._activity_orgs is None:
            self._activity_orgs = {
                str(a): str(o) for a, o in self.wh.rows("SELECT activity_id, org_id FROM ils_activity")
            }
        return self._activity_orgs

    def parents(self, spec: FileSpec) -> dict[str, str | None]:
        """The stored rows of a tree-shaped file (organisations, goals): id -> parent id."""
        assert spec.parent is not None
        return dict(self.wh.rows(f"SELECT {spec.key[0]}, {spec.parent} FROM {spec.table}"))


def find_cycles(parents: Mapping[str, str | None], starts: Iterable[str]) -> list[list[str]]:
    """The parent cycles reachable from ``starts`` in ``parents`` (id -> parent id), each once, in walking order.

    >>> find_cycles({"a": "b", "b": "c", "c": "a", "d": "a", "e": None}, ["d", "e"])
    [['a', 'b', 'c']]
    """
    done: set[str] = set()
    cycles: list[list[str]] = []
    for start in starts:
        path: list[str] = []
        on_path: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = parents.get(node)
        if node is not None and node in on_path:
            cycles.append(path[on_path[node] :])
        done.update(path)
    return cycles


@dataclass
class Scope:
    """A reporting workbook's organisation and period: every row of its sheets must belong to them."""

    org_id: str
    period: str
    workbook: str  # the file name, for messages
    known: _Known


class _FileCheck:
    """Validates one contract file, chunk by chunk, and hands the good rows to the writer."""

    def __init__(
        self,
        spec: FileSpec,
        name: str,
        header: list[str],
        known: _Known,
        reject: Callable[[Reject], None],
        warnings: list[str],
        scope: Scope | None = None,
    ):
        self.spec = spec
        self.scope = scope
        self.name = name
        self.known = known
        self._reject = reject
        self.rejected = 0
        self.index: dict[str, int] = {}  # contract column -> cell index
        self.labels: dict[int, str] = {}  # cell index -> column name for messages
        self.missing: set[str] = set()
        self.fatal = False
        seen: dict[str, int] = {}
        unknown: list[str] = []
        for i, raw in enumerate(header):
            label = (raw or "").strip()
            key = label.lower().lstrip("\ufeff")
            self.labels[i] = key or column_letter(i)
            if not key:
                continue
            if key in seen:
                self.bad(
                    1,
                    key,
                    label,
                    f"the column appears twice (columns {column_letter(seen[key])} and {column_letter(i)})",
                )
                self.fatal = True
                continue
            seen[key] = i
            if key in spec.column_names:
                self.index[key] = i
            else:
                unknown.append(f"{_short(label, 40)!r} (column {column_letter(i)})")
                unknown_label, unknown_at = label, i
        if unknown:
            # One line, however many: a header of 100 000 unknown columns is one warning.
            shown = ", ".join(unknown[:SHOWN_UNKNOWN_COLUMNS])
            more = len(unknown) - SHOWN_UNKNOWN_COLUMNS
            if len(unknown) == 1:
                warnings.append(
                    f"{name}: unknown column {unknown_label!r} ignored (column {column_letter(unknown_at)})"
                )
            else:
                rest = f" and {_count(more)} more" if more > 0 else ""
                warnings.append(f"{name}: {_count(len(unknown))} unknown columns ignored: {shown}{rest}")
        self.width = len(header)
        for col in spec.columns:
            if col.required and col.name not in self.index:
                self.missing.add(col.name)
                names = [h.strip() for h in header if h and h.strip()]
                shown = ", ".join(names[:20]) + (f" and {_count(len(names) - 20)} more" if len(names) > 20 else "")
                self.bad(
                    1, col.name, None, f"required column {col.name!r} is missing (the header has: {shown or 'nothing'})"
                )
        self.key_idx = [spec.column_names.index(k) for k in spec.key]
        self.seen_keys: dict[Any, int] = {}
        self.ref_columns = [
            (spec.column_names.index(c.name), c, c.references.startswith(spec.name + "."))
            for c in spec.columns
            if c.references
        ]
        # Files are checked in LOAD_ORDER, so the files referred to (other than this one) are complete.
        self.ref_sets = {c.references: known.all(c.references or "") for _, c, own in self.ref_columns if not own}
        # Key values are kept for the whole file (duplicate check): share equal strings.
        self.interned: dict[str, dict[str, str]] = {
            c.name: {} for c in spec.columns if c.type in _INTERNED and c.name in spec.key and len(spec.key) > 1
        }
        # Identifiers, codes, months ... repeat (a ledger has a few org ids and accounts): each distinct one once.
        self.memo: dict[str, dict[Any, Any]] = {c.name: {} for c in spec.columns if c.type in _MEMO_TYPES}
        self.failed_values: dict[str, set[Any]] = {}  # per column: the values in memo that failed their rule
        self.self_refs: list[tuple[int, str, str, str]] = []  # row, column, value, ref
        self.rows_read = 0
        # Number columns: the first row with a decimal comma and with a decimal point (mixing them is ambiguous).
        self.decimal_signs: dict[str, dict[str, tuple[int, str]]] = {}
        self.mixed: set[str] = set()
        # A tree-shaped file (organisations, goals): id -> (parent, row), for the cycle check.
        self.tree: dict[str, tuple[str | None, int]] = {}
        pick = [self.index[c.name] for c in spec.columns if c.name in self.index]
        self._pick = operator.itemgetter(*pick) if pick else None
        self._picked = {name: n for n, name in enumerate(c.name for c in spec.columns if c.name in self.index)}

    def bad(self, row: int | None, column: str | None, value: Any, reason: str) -> None:
        self.rejected += 1
        self._reject(Reject(self.name, row, column, None if value is None else str(value), reason))

    def problem(self, p: FileProblem) -> None:
        column = p.column
        if column is None and p.index is not None:
            column = self.labels.get(p.index, column_letter(p.index))
        self.bad(p.row, column, p.value, p.reason)

    def month_columns(self) -> set[int]:
        return {i for name, i in self.index.items() if self.spec.column(name).type == "month"}

    def check(self, rownums: list[int], cells: list[list[Any]]) -> list[tuple[Any, ...]]:
        """Validate a chunk of rows; return the good ones as tuples in contract column order."""
        spec = self.spec
        n = len(rownums)
        self.rows_read += n
        bad_rows: set[int] = set()
        width = self.width
        # Cells beyond the header: allowed only when empty (a trailing delimiter); _chunks marks the others.
        for j, wide in enumerate(cells) if cells and max(map(len, cells)) > width else ():
            if len(wide) > width:
                self.bad(
                    rownums[j],
                    None,
                    None,
                    f"the row has {wide[width].width} cells but the header names only {width} columns",
                )
                bad_rows.add(j)
        # The contract's columns by position; a wide file (many other columns) is picked from first.
        if self.width > 2 * len(self.index) + 2 and self._pick is not None:
            positions = self._picked
            if len(positions) == 1:
                picked: list[Any] = [list(map(self._pick, cells))]
            else:
                picked = list(zip(*map(self._pick, cells), strict=False))
        else:
            positions = self.index
            picked = list(zip(*cells, strict=False))
        columns: list[list[Any]] = []
        for col in spec.columns:
            at = positions.get(col.name)
            if at is None:
                values: list[Any] = [None] * n
            else:
                values = self._convert(col, picked[at], rownums, bad_rows)
            if col.default is not None and None in values:
                default = col.default
                values = [default if v is None else v for v in values]
            if col.required and col.name not in self.missing and None in values:
                for j, v in enumerate(values):
                    if v is None:
                        self.bad(rownums[j], col.name, None, "a value is required")
                        bad_rows.add(j)
            columns.append(values)
        self._row_rules(columns, rownums, bad_rows)
        if self.scope is not None:
            self._scope_rules(self.scope, columns, rownums, bad_rows)
        rows = list(zip(*columns, strict=True))
        if self._keys_and_references_at_once(columns, rownums):
            return rows if not bad_rows else [row for j, row in enumerate(rows) if j not in bad_rows]
        key_idx = self.key_idx
        single = len(key_idx) == 1
        get_key = operator.itemgetter(*key_idx)
        seen = self.seen_keys
        refs = self.ref_columns
        tree = self.tree if spec.parent is not None else None
        parent_at = spec.column_names.index(spec.parent) if spec.parent is not None else -1
        out: list[tuple[Any, ...]] = []
        for j, row in enumerate(rows):
            ok = j not in bad_rows
            key = get_key(row)
            if (key is not None and key is not _INVALID) if single else (None not in key and _INVALID not in key):
                first = seen.get(key)
                if first is None:
                    seen[key] = rownums[j]
                    if tree is not None:
                        parent = row[parent_at]
                        tree[key] = (None if parent is _INVALID else parent, rownums[j])
                else:
                    self._duplicate(rownums[j], key, first)
                    ok = False
            for i, col, own in refs:
                v = row[i]
                if v is None or v is _INVALID or v == "":
                    continue
                if own:
                    if v == key:
                        self.bad(
                            rownums[j],
                            col.name,
                            v,
                            f"{_WHAT.get(col.references or '', 'row')} {v!r} cannot refer to itself",
                        )
                        ok = False
                    else:
                        self.self_refs.append((rownums[j], col.name, v, col.references or ""))
                elif v not in self.ref_sets[col.references]:
                    self.bad(rownums[j], col.name, v, _dangling(col.references or "", v))
                    ok = False
            if ok:
                out.append(row)
        return out

    def _keys_and_references_at_once(self, columns: list[list[Any]], rownums: list[int]) -> bool:
        """The duplicate-key and reference checks of a chunk in a few passes in C, when nothing is wrong.

        True when every key is complete, new and unique and every reference is
        known (the keys are then remembered); False, with nothing changed,
        when the chunk needs the row-by-row check that names each problem.
        Tree-shaped files and references within the file always go row by row.
        """
        if self.tree is not None and self.spec.parent is not None:
            return False
        if any(own for _, _, own in self.ref_columns):
            return False
        key_columns = [columns[i] for i in self.key_idx]
        for kc in key_columns:
            distinct = set(kc)
            if None in distinct or _INVALID in distinct:
                return False
        for i, col, _own in self.ref_columns:
            unknown = set(columns[i]).difference(self.ref_sets[col.references])
            unknown.difference_update((None, _INVALID, ""))
            if unknown:
                return False
        keys = key_columns[0] if len(key_columns) == 1 else list(zip(*key_columns, strict=True))
        first = dict(zip(keys, rownums, strict=True))
        if len(first) != len(keys) or not self.seen_keys.keys().isdisjoint(first):
            return False
        self.seen_keys.update(first)
        return True

    def _row_rules(self, columns: list[list[Any]], rownums: list[int], bad_rows: set[int]) -> None:
        """The contract's rules within a row: no budget period, values in order, conditionally required."""
        spec = self.spec
        names = spec.column_names
        if spec.no_budget_period and spec.no_budget_period in self.index:
            name = spec.no_budget_period
            for j, v in enumerate(columns[names.index(name)]):
                if isinstance(v, str) and v.endswith("-BU"):
                    what = _BUDGET_WHAT.get(spec.name, "these rows")
                    self.bad(
                        rownums[j],
                        name,
                        v,
                        f"{v} is a budget period, which has no {what}: they are reported for "
                        f"{v[:4]}-T1, {v[:4]}-T2 and {v[:4]}-BO",
                    )
                    bad_rows.add(j)
        for order in spec.orders:
            if order.low not in self.index or order.high not in self.index:
                continue
            lows, highs = columns[names.index(order.low)], columns[names.index(order.high)]
            for j, (lo, hi) in enumerate(zip(lows, highs, strict=True)):
                if lo is None or hi is None or lo is _INVALID or hi is _INVALID or not lo > hi:
                    continue
                value = _shown(hi if order.at == order.high else lo)
                self.bad(rownums[j], order.at, value, order.reason.format(low=_shown(lo), high=_shown(hi)))
                bad_rows.add(j)
        for column, code_column, codes in spec.required_when:
            if column in self.missing or code_column not in self.index:
                continue
            needed, codes_at = columns[names.index(column)], columns[names.index(code_column)]
            for j, (v, code) in enumerate(zip(needed, codes_at, strict=True)):
                if code in codes and v in (None, ""):
                    self.bad(rownums[j], column, None, f"a value is required for the {code_column} {code!r}")
                    bad_rows.add(j)

    def _scope_rules(self, scope: Scope, columns: list[list[Any]], rownums: list[int], bad_rows: set[int]) -> None:
        """A workbook's rows belong to its organisation and period (an activity to an activity of the organisation)."""
        names = self.spec.column_names
        if "org_id" in self.index:
            for j, v in enumerate(columns[names.index("org_id")]):
                if isinstance(v, str) and v != scope.org_id:
                    self.bad(
                        rownums[j],
                        "org_id",
                        v,
                        f"the row is for organisation {v!r}, but {scope.workbook} is the workbook of {scope.org_id}: "
                        "a workbook holds only its own organisation's rows",
                    )
                    bad_rows.add(j)
        if "period" in self.index:
            for j, v in enumerate(columns[names.index("period")]):
                if isinstance(v, str) and v != scope.period:
                    self.bad(
                        rownums[j],
                        "period",
                        v,
                        f"the row is for period {v}, but {scope.workbook} is the workbook of {scope.period}: "
                        "a workbook holds only its own period's rows (make a new one with ils template for another)",
                    )
                    bad_rows.add(j)
        if "activity_id" in self.index and "org_id" not in names:
            owners = scope.known.activity_orgs()
            for j, v in enumerate(columns[names.index("activity_id")]):
                owner = owners.get(v) if isinstance(v, str) else None
                if owner is not None and owner != scope.org_id:
                    self.bad(
                        rownums[j],
                        "activity_id",
                        v,
                        f"activity {v!r} belongs to organisation {owner!r}, but {scope.workbook} is the workbook of "
                        f"{scope.org_id}: a workbook holds only its own organisation's rows",
                    )
                    bad_rows.add(j)

    def _duplicate(self, row: int, key: Any, first: int) -> None:
        spec = self.spec
        parts = (key,) if len(spec.key) == 1 else key
        shown = ", ".join(f"{k}={v}" for k, v in zip(spec.key, parts, strict=True))
        self.bad(
            row,
            ", ".join(spec.key),
            " | ".join(str(v) for v in parts),
            f"duplicate key ({shown}): the same key is on row {first}",
        )

    def _convert(self, col: Column, values: Sequence[Any], rownums: list[int], bad_rows: set[int]) -> list[Any]:
        """One column of a chunk converted; a bad cell is a reject and ``_INVALID``.

        Column by column, not cell by cell: a column of values that repeat
        (identifiers, codes, months ...) converts each distinct value once; a
        column of numbers or text is checked by one pass in C when every cell
        is of the usual form. Anything else goes through the cell-by-cell rule
        (:data:`_CONVERT`), which is the one home of every message: the fast
        paths only accept what that rule accepts, with the same value.
        """
        if col.type in _MEMO_TYPES:
            return self._convert_distinct(col, values, rownums, bad_rows)
        out: list[Any] | None = None
        if col.type == "number":
            out = _numbers_at_once(values, col)
        elif col.type == "text":
            out = _texts_at_once(values)
        if out is None:
            out = self._convert_cells(col, values, rownums, bad_rows)
        if col.type == "number" and col.name not in self.mixed:
            self._decimal_signs(col, values, out, rownums, bad_rows)
        return out

    def _convert_cells(self, col: Column, values: Sequence[Any], rownums: list[int], bad_rows: set[int]) -> list[Any]:
        """Cell by cell: the rule itself, for the cells the fast paths leave."""
        conv = _CONVERT[col.type]
        cache = self.interned.get(col.name)
        out: list[Any] = []
        append = out.append
        for j, v in enumerate(values):
            if v is None or v == "":
                append(None)
                continue
            if v is BAD_CELL:  # reported by the reader
                bad_rows.add(j)
                append(_INVALID)
                continue
            try:
                value = conv(v, col)
            except _Bad as exc:
                self.bad(rownums[j], col.name, v, str(exc))
                bad_rows.add(j)
                append(_INVALID)
                continue
            if cache is not None and value is not None:
                value = cache.setdefault(value, value)
            append(value)
        return out

    def _convert_distinct(
        self, col: Column, values: Sequence[Any], rownums: list[int], bad_rows: set[int]
    ) -> list[Any]:
        """A column whose conversion depends on the cell alone: each distinct value converted once.

        A ledger repeats a few organisations, months, accounts and codes a
        million times. Distinct values are remembered across chunks (at most
        :data:`_MEMO_MAX` per column); a bad one is remembered with its reason
        and reported on every row that holds it, in row order.
        """
        memo = self.memo[col.name]
        failed_values = self.failed_values.setdefault(col.name, set())
        # The usual chunk: every value seen before and none failed; one lookup per cell in C.
        out = list(map(memo.get, values, itertools.repeat(_INVALID, len(values))))
        if _INVALID not in out and (not failed_values or failed_values.isdisjoint(values)):
            return out
        conv = _CONVERT[col.type]
        cache = self.interned.get(col.name)
        table: dict[Any, Any] = {}
        failed = False
        for v in set(values):
            result = memo.get(v, _INVALID)
            if result is _INVALID:
                if v is None or v == "":
                    result = None
                elif v is BAD_CELL:  # reported by the reader
                    result = _Failed(None)
                else:
                    try:
                        result = conv(v, col)
                    except _Bad as exc:
                        result = _Failed(str(exc))
                    else:
                        if cache is not None and result is not None:
                            result = cache.setdefault(result, result)
                if len(memo) < _MEMO_MAX:
                    memo[v] = result
            if type(result) is _Failed:
                failed = True
                failed_values.add(v)
            table[v] = result
        out = list(map(table.__getitem__, values))
        if failed:
            for j, result in enumerate(out):
                if type(result) is _Failed:
                    if result.reason is not None:
                        self.bad(rownums[j], col.name, values[j], result.reason)
                    bad_rows.add(j)
                    out[j] = _INVALID
        return out

    def _decimal_signs(
        self, col: Column, values: Sequence[Any], converted: list[Any], rownums: list[int], bad_rows: set[int]
    ) -> None:
        """Remember the first decimal comma and point typed in the column; both in one file are ambiguous.

        A workbook's number cells (:class:`NumberText`) were typed as numbers: no sign to mix up.
        """
        signs = self.decimal_signs.setdefault(col.name, {})
        text: str | None = None
        for sign in (",", "."):
            if sign in signs:
                continue
            # Most chunks have none of the sign that is not used: one search in C decides that.
            if text is None:  # joined once for both signs
                try:
                    text = "\x00".join(values)  # a CSV column: text only
                except TypeError:  # a workbook's: empty cells are None
                    text = "\x00".join([v for v in values if isinstance(v, str)])
            if sign not in text:
                continue
            for j, v in enumerate(values):
                if type(v) is str and sign in v and converted[j] is not _INVALID:
                    signs[sign] = (rownums[j], v)
                    break
        if len(signs) == 2:
            self._mixed(col, signs)
            (row_a, _), (row_b, _) = signs[","], signs["."]
            later = max(row_a, row_b)
            if later in rownums:
                bad_rows.add(rownums.index(later))

    def _mixed(self, col: Column, signs: dict[str, tuple[int, str]]) -> None:
        self.mixed.add(col.name)
        (comma_row, comma), (point_row, point) = signs[","], signs["."]
        row, value = max((comma_row, comma), (point_row, point))
        self.bad(
            row,
            col.name,
            value,
            f"ambiguous numbers: the column mixes decimal commas (row {comma_row}: {comma.strip()!r}) and "
            f"decimal points (row {point_row}: {point.strip()!r}); use one decimal sign in the whole file",
        )

    def finish(self) -> None:
        """Check references within the file itself (a parent defined further down is fine) and parent cycles."""
        ids = set(self.seen_keys) if len(self.spec.key) == 1 else set()
        for row, column, value, ref in self.self_refs:
            if value in ids or self.known.has(ref, value):
                continue
            self.bad(row, column, value, _dangling(ref, value))
        own = self.spec.key[0] if len(self.spec.key) == 1 else None
        if own is not None:
            ref = f"{self.spec.name}.{own}"
            self.known.loaded.setdefault(ref, set()).update(ids)
        if self.spec.parent is not None and self.tree:
            self._cycles()

    def _cycles(self) -> None:
        """A parent cycle among this file's rows, or formed with rows already in the warehouse, is a reject."""
        spec = self.spec
        assert spec.parent is not None
        parents = self.known.parents(spec)
        stored = set(parents)
        parents.update({k: p for k, (p, _) in self.tree.items()})
        for cycle in find_cycles(parents, self.tree):
            if len(cycle) == 1:
                continue  # "cannot refer to itself" already
            shown = " → ".join([*cycle, cycle[0]])
            outside = [c for c in cycle if c not in self.tree and c in stored]
            note = f"; {', '.join(outside)} {'is' if len(outside) == 1 else 'are'} in the warehouse" if outside else ""
            what = _TREE_WHAT.get(spec.name, "a row")
            for node in cycle:
                if node in self.tree:
                    parent, row = self.tree[node]
                    self.bad(
                        row,
                        spec.parent,
                        parent,
                        f"parent cycle {shown}: {what} cannot be its own ancestor{note}",
                    )


def _count(n: int) -> str:
    return f"{n:,d}".replace(",", " ")


def _dangling(ref: str, value: str) -> str:
    file = ref.split(".")[0]
    what = _WHAT.get(ref, ref)
    return f"unknown {what} {value!r}: not in {file} of this load nor in the warehouse"


# -- the load ------------------------------------------------------------------------------


class _Rejected(Exception):
    """Raised inside the transaction to roll the load back."""


class _Busy(Exception):
    """Another load holds the load lock."""


class _TooMany(Exception):
    """So many rejects that checking further rows would only use memory."""


MAX_REJECTS = 100_000
"""Rejects collected before a load stops checking (it is rejected anyway; the rejects file says so)."""

LOCK_ATTEMPT_MS = 500
"""How long one attempt to take the load lock waits for another load (milliseconds)."""


def _chunks(
    rows: Iterable[tuple[int, list[Any]]], size: int, width: int
) -> Iterator[tuple[list[int], list[list[Any]]]]:
    """Rows in chunks, each exactly ``width`` cells (+1 for the cells beyond the header, when they hold values).

    A short row is padded with empty cells; the cells of a long row beyond the
    header are replaced by one :class:`RowWidth`, so that a file of very wide
    rows is held as narrow rows (never more than :data:`CHUNK_CELLS` cells).
    """
    nums: list[int] = []
    cells: list[list[Any]] = []
    per_chunk = max(1, min(size, CHUNK_CELLS // max(width, 1)))
    for num, row in rows:
        # A row whose every cell is empty is skipped (Excel exports trailing empty rows like that).
        if not any(row):
            continue
        row = _fit(row, width)
        nums.append(num)
        cells.append(row)
        if len(nums) >= per_chunk:
            yield nums, cells
            nums, cells = [], []
    if nums:
        yield nums, cells


def _chunks_of(source: Any, report: Callable[[FileProblem], None], size: int, width: int) -> Iterator[Any]:
    """The source's rows in chunks as :func:`_chunks` makes them; a CSV file's read a block at a time.

    The chunks, row numbers and problems are exactly those of ``_chunks(source.rows(report), ...)``:
    a problem that stops reading is raised after the chunks completed before it, and the rows read
    since the last complete chunk are dropped with it.
    """
    blocks = getattr(source, "row_blocks", None)
    if blocks is None:
        yield from _chunks(source.rows(report), size, width)
        return
    per_chunk = max(1, min(size, CHUNK_CELLS // max(width, 1)))
    nums: list[int] = []
    cells: list[list[Any]] = []
    for first, block, problem in blocks(per_chunk):
        n = len(block)
        if n and all(map(any, block)) and max(map(len, block)) == width == min(map(len, block)):
            nums.extend(range(first, first + n))  # the usual block: no empty row, every row as wide as the header
            cells.extend(block)
        else:
            for num, row in zip(range(first, first + n), block, strict=True):
                if not any(row):
                    continue
                cells.append(_fit(row, width))
                nums.append(num)
        while len(nums) >= per_chunk:
            yield nums[:per_chunk], cells[:per_chunk]
            del nums[:per_chunk], cells[:per_chunk]
        if problem is not None:
            raise problem
    if nums:
        yield nums, cells


def _fit(row: list[Any], width: int) -> list[Any]:
    """A row made exactly ``width`` cells (+1 for the cells beyond the header, when they hold values)."""
    n = len(row)
    if n != width:
        if n < width:
            row = list(row) + [None] * (width - n)
        elif not isinstance(row[-1], RowWidth):
            beyond = any(c is not None and str(c).strip() for c in row[width:])
            row = row[:width] + [RowWidth(n)] if beyond else row[:width]
    return row


def _is_busy(exc: BaseException) -> bool:
    """Whether a failed statement means that another transaction holds the lock (on any backend)."""
    cause = exc.__cause__ or exc
    text = " ".join(str(a) for a in getattr(cause, "args", ())) or str(cause)
    low = text.lower()
    return (
        "database is locked" in low  # SQLite (embedded and ODBC)
        or "database table is locked" in low
        or "55p03" in low  # PostgreSQL lock_not_available (lock_timeout)
        or "lock timeout" in low
        or "lock request time out" in low  # SQL Server 1222 (LOCK_TIMEOUT)
    )


def take_load_lock(wh: Warehouse) -> None:
    """Take the warehouse's load lock as the first statement of a load's transaction, or raise :class:`_Busy`.

    The lock is the ``ils_meta`` row ``load_lock``, updated at once: the
    database holds the row (SQLite: the whole database) for this transaction
    until it commits or rolls back, also when the process dies. A second load
    waits at most :data:`LOCK_ATTEMPT_MS` for it instead of the backend's
    usual 20-60 s, so it can say at once that another load is writing.
    """
    attempt = int(LOCK_ATTEMPT_MS)
    restore: str | None = None
    if wh.dialect == "sqlite":
        before = wh.scalar("PRAGMA busy_timeout")
        restore = f"PRAGMA busy_timeout = {int(before) if before else 30_000}"
        wh.execute(f"PRAGMA busy_timeout = {attempt}")
    elif wh.dialect == "postgresql":
        wh.execute(f"SET LOCAL lock_timeout = {attempt}")
        restore = "SET LOCAL lock_timeout = DEFAULT"
    else:
        wh.execute(f"SET LOCK_TIMEOUT {attempt}")
        restore = "SET LOCK_TIMEOUT -1"
    try:
        updated = wh.execute("UPDATE ils_meta SET value = value WHERE name = ?", (LOAD_LOCK,))
        if updated == 0:  # a warehouse initialised before the lock row existed
            wh.execute("INSERT INTO ils_meta (name, value) VALUES (?, ?)", (LOAD_LOCK, None))
    except WarehouseError as exc:
        if _is_busy(exc):
            raise _Busy from None
        raise
    wh.execute(restore)


class _Round:
    """The reporting round's part of a load: who may load what, and which (organisation, period) it gives data to.

    Files other than the reporting files (:data:`ilslib.rights.REPORTING_FILES`)
    are shared data: only an admin loads them. A reporting file's rows need
    the login to be reporter or controller of each row's organisation (an
    activity status: the activity's organisation), or an admin. The states
    before the load are remembered per period the first time a row of it is
    seen (before that row is written), for :func:`ilslib.round.state.after_load`.
    """

    def __init__(self, wh: Warehouse, known: _Known):
        self.wh = wh
        self.known = known
        self.rights = rights_.rights(wh)
        self.touched: set[tuple[str, str]] = set()
        self.before: dict[tuple[str, str], str] = {}
        self._periods: set[str] = set()

    def require_files(self, files: Sequence[tuple[str, str]], workbook_orgs: Sequence[str] = ()) -> None:
        """Refuse shared files (not an admin) and workbooks of organisations the login may not report for."""
        r = self.rights
        if r.is_admin:
            return
        shared = sorted({shown for file, shown in files if file not in rights_.REPORTING_FILES})
        if shared:
            listed = ", ".join(shared[:8]) + (f" and {len(shared) - 8} more" if len(shared) > 8 else "")
            raise AccessDeniedError(
                f"{rights_.shown(r.user)} may not load {listed}: shared data (everything but "
                f"{', '.join(rights_.REPORTING_FILES)}) needs the role admin (you are: {r.describe()}); "
                "nothing was loaded"
            )
        refused = sorted({o for o in workbook_orgs if not r.may_report(o)})
        if refused:
            raise rights_.denied(r, "load the reporting workbook", refused, _REPORT_ROLE)

    def rows(self, file: str, shown: str, good: list[tuple[Any, ...]]) -> None:
        """Before ``good`` rows of ``file`` are written: check the login's rights and note (org, period)."""
        if file not in rights_.REPORTING_FILES or not good:
            return
        names = FILES[file].column_names
        per_at = names.index("period")
        if "org_id" in names:
            at = names.index("org_id")
            pairs = {(row[at], row[per_at]) for row in good}
        else:  # activity_status: the activity's organisation
            owners = self.known.activity_orgs()
            at = names.index("activity_id")
            pairs = {(owners.get(row[at]), row[per_at]) for row in good}
        pairs = {(o, p) for o, p in pairs if isinstance(o, str) and isinstance(p, str)}
        r = self.rights
        if not r.is_admin:
            refused = sorted({o for o, _ in pairs if not r.may_report(o)})
            if refused:
                raise AccessDeniedError(f"{shown}: {rights_.denied(r, 'load reporting data', refused, _REPORT_ROLE)}")
        for period in sorted({p for _, p in pairs} - self._periods):
            self._periods.add(period)
            for org, state_ in states(self.wh, period).items():
                self.before[(org, period)] = state_
        self.touched |= pairs


_REPORT_ROLE = "reporter or controller of the organisation (or admin)"


class _Loader:
    """One load: the lock, the transaction, the files in contract order, the rejects and the record."""

    def __init__(self, wh: Warehouse, source: str, progress: Progress | None, *, round_checks: bool = False):
        self.wh = wh
        self.result = LoadResult(source=source)
        self.progress = progress
        self.known = _Known(wh)
        # Permissions and the reporting round's states (ils load); the demo's frames go without.
        self.round = _Round(wh, self.known) if round_checks else None

    def reject(self, r: Reject) -> None:
        if len(self.result.rejects) >= MAX_REJECTS:
            raise _TooMany
        self.result.rejects.append(r)

    def _note(self, text: str) -> None:
        note = getattr(self.progress, "note", None)
        if note is not None:
            note(text)

    def run(
        self,
        inputs: list[tuple[str, str, Callable[[], Any]]],
        *,
        wait: float = 0.0,
        workbook_orgs: Sequence[str] = (),
    ) -> LoadResult:
        """``inputs``: (contract file, shown name, opener) in any order; written in LOAD_ORDER.

        ``wait``: seconds to wait for another load that holds the load lock
        (announced through the progress's ``note``); then :class:`LoadBusyError`.
        ``workbook_orgs``: the organisations of the load's reporting workbooks
        (the login must be allowed to report for each before anything is read).
        With the round's checks, a login that may not load a file or a row is
        refused with :class:`AccessDeniedError` and nothing is written (the
        attempt is recorded as ``refused``); a successful load sets the
        reporting-round states of what it gave reporting data to.
        """
        result = self.result
        started = now_utc()
        t0 = time.monotonic()
        order = {name: i for i, name in enumerate(LOAD_ORDER)}
        inputs = sorted(inputs, key=lambda x: order[x[0]])
        if self.round is not None:
            try:  # shared data and other organisations' workbooks are refused before anything is read
                self.round.require_files([(file, shown) for file, shown, _ in inputs], workbook_orgs)
            except AccessDeniedError as exc:
                record_load(self.wh, self._record(started, "refused", str(exc)[:2000]))
                raise
        deadline = time.monotonic() + max(wait, 0.0)
        announced = False
        # A million rows are millions of new tuples and strings, none in a reference cycle: the
        # cyclic collector would walk the growing heap again and again (a third of the load's CPU).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run(inputs, result, started, t0, deadline, wait, announced)
        finally:
            if collecting:
                gc.enable()

    def _run(
        self,
        inputs: list[tuple[str, str, Callable[[], Any]]],
        result: LoadResult,
        started: str,
        t0: float,
        deadline: float,
        wait: float,
        announced: bool,
    ) -> LoadResult:
        while True:
            try:
                with self.wh.transaction():
                    take_load_lock(self.wh)
                    try:
                        for file, shown, opener in inputs:
                            self._one(file, shown, opener)
                    except _TooMany:
                        result.rejects.append(
                            Reject(
                                result.files[-1].name if result.files else result.source,
                                None,
                                None,
                                None,
                                f"more than {_count(MAX_REJECTS)} rejects: checking stopped here; "
                                "fix these and load again",
                            )
                        )
                    for m in result.workbooks if not result.rejects else ():
                        self._nothing_filled_in(m)
                    if result.rejects:
                        raise _Rejected
                    result.seconds = time.monotonic() - t0
                    result.load_id = record_load(self.wh, self._record(started, "ok", self._summary()))
                    if self.round is not None and self.round.touched:
                        result.state_changes = after_load(
                            self.wh, self.round.touched, load_id=result.load_id, before=self.round.before
                        )
                break
            except _Busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise LoadBusyError(
                        f"another load is writing into the warehouse {self.wh.url}: nothing was loaded; "
                        "load again when it has finished, or wait for it with --wait SECONDS"
                    ) from None
                if not announced:
                    self._note(
                        f"another load is writing into the warehouse: waiting for it to finish (at most {wait:g} s)"
                    )
                    announced = True
                time.sleep(min(1.0, left))
                continue
            except _Rejected:
                break
            except AccessDeniedError as exc:  # rolled back: nothing written; the refusal is recorded
                record_load(self.wh, self._record(started, "refused", str(exc)[:2000]))
                raise
            except BaseException as exc:
                # The transaction is rolled back; leave a trace of the attempt if the warehouse still answers.
                if isinstance(exc, Exception):
                    try:
                        record_load(self.wh, self._record(started, "failed", f"{type(exc).__name__}: {exc}"[:2000]))
                    except Exception:
                        pass
                raise
        if result.rejects:
            for f in result.files:
                f.inserted = f.replaced = 0
            result.seconds = time.monotonic() - t0
            first = result.rejects[0]
            message = f"{_plural(len(result.rejects), 'reject')}; first: {first}"
            result.load_id = record_load(self.wh, self._record(started, "rejected", message[:2000]))
        return result

    def _nothing_filled_in(self, meta: WorkbookMeta) -> None:
        """A workbook in which nothing at all is filled in is a reject: there is nothing to load (say so)."""
        name = meta.file
        sheets = [f for f in self.result.files if f.name.startswith(f"{name}, sheet ")]
        if sheets and not any(f.rows_read for f in sheets):
            self.reject(
                Reject(
                    name,
                    None,
                    None,
                    None,
                    f"nothing is filled in: every cell to fill in of the workbook of {meta.org_id} for {meta.period} "
                    "is empty, so there is nothing to load",
                )
            )

    def _summary(self) -> str:
        r = self.result
        return f"{len(r.files)} files, {r.inserted} rows inserted, {r.replaced} replaced, {len(r.warnings)} warnings"

    def _record(self, started: str, outcome: str, message: str) -> LoadRecord:
        files = [
            FileRecord(
                f.name,
                f.sha256 or "-",
                f.rows_read,
                f.inserted if outcome == "ok" else 0,
                f.replaced if outcome == "ok" else 0,
            )
            for f in self.result.files
        ]
        return LoadRecord(
            source=self.result.source,
            outcome=outcome,
            started_at=started,
            message=message,
            files=files,
            user_name=rights_.login(self.wh),  # the warehouse login (the OS user on the embedded warehouse)
        )

    def _one(self, file: str, shown: str, opener: Callable[[], Any]) -> None:
        spec = FILES[file]
        fr = FileResult(shown, file)
        self.result.files.append(fr)
        t0 = time.monotonic()
        before = len(self.result.rejects)
        try:
            source = opener()
        except FileProblem as p:
            fr.sha256 = p.sha256
            self.reject(Reject(shown, p.row, p.column, p.value, p.reason))
            fr.rejects = 1
            return
        except MemoryError:
            self.reject(Reject(shown, None, None, None, _OUT_OF_MEMORY))
            fr.rejects = 1
            return
        child_sha: str | None = None
        try:
            check = _FileCheck(
                spec,
                shown,
                source.header,
                self.known,
                self.reject,
                self.result.warnings,
                getattr(source, "scope", None),
            )
            if check.fatal:
                return
            source.set_month_columns(check.month_columns())
            writer = TableWriter(self.wh, file) if not self.result.rejects else None
            if self.progress:
                self.progress.start(shown, getattr(source, "approx_rows", None))
            if writer is not None and _parallel(source, check):
                # A big CSV file: read and checked in a forked process while this one writes.
                child_sha = ""  # if the checker fails: no checksum (this process's reader is not where it began)
                child_sha = self._checked_in_child(file, shown, source, check, writer)
            if child_sha is None:  # not forked (a small file, or no process could be started): here
                self._check_chunks(file, shown, source, check, writer)
                check.finish()
            fr.rows_read = check.rows_read
            # A workbook's sheet with nothing filled in is fine (the workbook as a whole is checked in run()).
            empty_ok = isinstance(source, WorkbookSheet)
            if check.rows_read == 0 and len(self.result.rejects) == before and not empty_ok:
                self.reject(
                    Reject(
                        shown,
                        2,
                        None,
                        None,
                        "the file has a header but no data rows (remove the file if there is nothing to load)",
                    )
                )
            if writer is not None and not self.result.rejects:
                w = writer.finish()
                fr.inserted, fr.replaced = w.inserted, w.replaced
        finally:
            if child_sha is not None:  # the forked checker read the file (this process's reader did not move)
                fr.sha256 = child_sha
            else:
                try:
                    fr.sha256 = source.sha256  # of the bytes read (CSV: the rest is read now if reading stopped early)
                except (OSError, ValueError):
                    fr.sha256 = fr.sha256 or ""
            source.close()
            # This file's rejects in row order (they are found column by column).
            mine = self.result.rejects[before:]
            mine.sort(key=lambda r: r.row or 0)
            self.result.rejects[before:] = mine
            fr.rejects = len(self.result.rejects) - before
            fr.seconds = time.monotonic() - t0
            if self.progress:
                self.progress.done(fr)

    def _check_chunks(self, file: str, shown: str, source: Any, check: _FileCheck, writer: TableWriter | None) -> None:
        """Read and check the file chunk by chunk in this process, writing the good rows while there is no reject."""
        try:
            for rownums, cells in _chunks_of(source, check.problem, CHUNK, check.width):
                good = check.check(rownums, cells)
                if self.round is not None:  # before the rows are written: may this login load them?
                    self.round.rows(file, shown, good)
                if writer is not None and not self.result.rejects:
                    writer.add(good)
                if self.progress:
                    self.progress.advance(len(rownums))
        except FileProblem as p:
            self.reject(Reject(shown, p.row, p.column, p.value, p.reason))
        except MemoryError:
            self.reject(Reject(shown, None, None, None, _OUT_OF_MEMORY))

    def _checked_in_child(
        self, file: str, shown: str, source: CsvSource, check: _FileCheck, writer: TableWriter
    ) -> str | None:
        """Read and check the file in a forked process while this one writes what it sends; return the checksum.

        None when no process could be forked: nothing was read or written, the caller checks the file itself.

        Two cores do the two halves of a big load at once: the child reads the
        CSV file and checks every chunk exactly as :meth:`_check_chunks` does
        (the same code, on a copy of this process's state: the check, the
        references it knows, the rejects so far), and sends each chunk's good
        rows (pickled) through a pipe; this process checks the login's rights
        on them and writes them, as before, while the child checks the next
        chunks (at most :data:`CHUNKS_AHEAD` ahead, so memory stays flat). At the
        end the child sends its rejects, warnings and counts, which become this
        process's, in the same order as without the child. The child never
        touches the warehouse connection and leaves with ``os._exit``; if this
        process fails or is interrupted, the child is killed and reaped.
        """
        import ctypes  # noqa: F401 (imported before the fork: the child imports nothing)
        from multiprocessing.connection import Connection

        before_rejects = len(self.result.rejects)
        before_warnings = len(self.result.warnings)
        read_fd, write_fd = os.pipe()
        _grow_pipe(write_fd)
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:  # no process to be had (a process limit, no memory): check the file in this one
            os.close(read_fd)
            os.close(write_fd)
            return None
        if pid == 0:  # the child: never returns
            _die_with(parent)
            os.close(read_fd)
            self._child(Connection(write_fd, readable=False), shown, source, check, before_rejects, before_warnings)
        os.close(write_fd)
        conn = Connection(read_fd, writable=False)
        reaped = False
        try:
            while True:
                try:
                    message = pickle.loads(conn.recv_bytes())
                except (EOFError, OSError):  # the child ended: between messages (EOF) or in the middle of one
                    _, status = os.waitpid(pid, 0)
                    reaped = True
                    raise LoadError(
                        f"{shown}: the process checking the file ended unexpectedly, {_exit_status(status)}: "
                        "nothing was loaded"
                    ) from None
                kind = message[0]
                if kind == "rows":
                    _, n, good, rejected = message
                    if self.round is not None:  # before the rows are written: may this login load them?
                        self.round.rows(file, shown, good)
                    if not rejected:
                        writer.add(good)
                    del good, message
                    if self.progress:
                        self.progress.advance(n)
                elif kind == "end":
                    end = message[1]
                    break
                else:  # "error": an unexpected exception in the child, raised here as it was there
                    raise message[1]
            os.waitpid(pid, 0)
            reaped = True
        finally:
            conn.close()
            if not reaped:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
        self.result.rejects.extend(end["rejects"])
        self.result.warnings.extend(end["warnings"])
        check.rows_read = end["rows_read"]
        check.rejected += len(end["rejects"])
        for ref, ids in end["loaded"].items():
            self.known.loaded.setdefault(ref, set()).update(ids)
        if end["too_many"]:
            raise _TooMany
        return str(end["sha256"])

    def _child(
        self,
        conn: Any,
        shown: str,
        source: CsvSource,
        check: _FileCheck,
        before_rejects: int,
        before_warnings: int,
    ) -> None:
        """The forked checker of :meth:`_checked_in_child`: check the file, send the good rows, then the outcome."""
        code = 0
        outbox = _Outbox(conn)
        try:
            try:
                # The same loop as _check_chunks; rows are written by the parent only while the load has no reject.
                try:
                    for rownums, cells in _chunks_of(source, check.problem, CHUNK, check.width):
                        good = check.check(rownums, cells)
                        data = pickle.dumps(("rows", len(rownums), good, bool(self.result.rejects)), protocol=5)
                        del good, cells, rownums
                        outbox.send(data)
                        del data
                except FileProblem as p:
                    self.reject(Reject(shown, p.row, p.column, p.value, p.reason))
                except MemoryError:
                    self.reject(Reject(shown, None, None, None, _OUT_OF_MEMORY))
                loaded_before = {ref: len(ids) for ref, ids in self.known.loaded.items()}
                check.finish()
                too_many = False
            except _TooMany:
                too_many = True
                loaded_before = {ref: len(ids) for ref, ids in self.known.loaded.items()}
            try:
                sha = source.sha256  # of the bytes read (the rest is read now if reading stopped early)
            except (OSError, ValueError):
                sha = ""
            end = {
                "rejects": self.result.rejects[before_rejects:],
                "warnings": self.result.warnings[before_warnings:],
                "rows_read": check.rows_read,
                "too_many": too_many,
                "sha256": sha,
                # What check.finish() added to the identifiers this load defines (later files refer to them).
                "loaded": {
                    ref: ids for ref, ids in self.known.loaded.items() if len(ids) != loaded_before.get(ref, -1)
                },
            }
            outbox.send(pickle.dumps(("end", end), protocol=5))
        except BaseException as exc:  # a bug, or an interruption: tell the parent
            code = 1
            try:
                data = pickle.dumps(("error", exc), protocol=5)
                pickle.loads(data)  # an exception whose __init__ takes other arguments pickles but does not load
            except BaseException:
                data = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")), protocol=5)
            outbox.send(data)
        finally:
            try:
                outbox.close()
            finally:
                # No cleanup of the parent's objects (the warehouse connection, open files, atexit handlers).
                os._exit(code)


_OUT_OF_MEMORY = "reading the file needed more memory than there is: split it, or save a workbook as CSV"


PARALLEL_MIN_BYTES = 4 << 20
"""A CSV file at least this big is read and checked in a forked process while this one writes (Linux)."""


def _parallel(source: Any, check: _FileCheck) -> bool:
    """Whether to check the file in a forked process: a big CSV file whose checks need no warehouse query.

    The child must not use the warehouse connection, so files whose checks
    read the warehouse while rows are checked (trees: parent cycles; references
    within the file; a workbook's scope) are checked in this process. So is
    every file when this process runs other threads (a notebook's kernel, a
    server): a fork copies only the calling thread, and a lock another one held
    would never be released in the child.
    """
    return (
        sys.platform.startswith("linux")
        and _single_threaded()
        and isinstance(source, CsvSource)
        and getattr(source, "size", 0) >= PARALLEL_MIN_BYTES
        and check.scope is None
        and check.spec.parent is None
        and not any(own for _, _, own in check.ref_columns)
    )


CHUNKS_AHEAD = 4
"""Checked chunks the forked checker may hold, pickled, beyond the one in the pipe (about 1.5 MB each)."""


class _Outbox:
    """The forked checker's sending end: a thread writes to the pipe while the checker goes on with the next chunks.

    With only the pipe between them the two processes ran in lock step (the
    pipe holds less than one chunk): on a busy machine each waited for the
    other whenever either was descheduled. Up to :data:`CHUNKS_AHEAD` chunks
    wait here instead. The thread holds the GIL only between two writes.
    """

    def __init__(self, conn: Any):
        self.conn = conn
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=CHUNKS_AHEAD)
        self.thread = threading.Thread(target=self._run, name="ils-load-outbox", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            try:
                self.conn.send_bytes(data)
            except BaseException:  # the parent is gone (a broken pipe): nobody to check for
                os._exit(1)

    def send(self, data: bytes) -> None:
        """Queue one message (waits while CHUNKS_AHEAD are queued)."""
        self.queue.put(data)

    def close(self) -> None:
        """Send what is queued and stop the thread."""
        self.queue.put(None)
        self.thread.join()


def _die_with(parent: int) -> None:
    """In the forked checker: be killed when the parent dies (killed too), rather than check on for no one."""
    try:
        import ctypes  # imported already, before the fork

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # without it the child ends at its next write to the closed pipe
        pass
    if os.getppid() != parent:  # the parent died before prctl
        os._exit(1)


def _single_threaded() -> bool:
    """True when this process runs no thread but the calling one (a fork copies only the calling thread)."""
    return threading.active_count() == 1


def _grow_pipe(fd: int) -> None:
    """Let the pipe hold a whole chunk (1 MiB instead of 64 KiB): fewer switches between the two processes."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:  # not Linux, or above /proc/sys/fs/pipe-max-size: the default works too
        pass


def _exit_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"killed by {name}" + (" (out of memory?)" if sig == signal.SIGKILL else "")
    return f"with exit status {os.waitstatus_to_exitcode(status)}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class _PathOpener:
    def __init__(self, path: Path):
        self.path = path

    def __call__(self) -> CsvSource | XlsxSource:
        return open_source(self.path)


def load_dir(
    wh: Warehouse,
    directory: str | os.PathLike[str],
    *,
    rejects_path: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    wait: float = 0.0,
) -> LoadResult:
    """Validate and write the contract files in ``directory``, all or nothing.

    Returns the :class:`LoadResult`; ``result.ok`` is False when the load was
    rejected, in which case nothing was written and every reject is in
    ``result.rejects`` and in the rejects file (``DIR/rejects.csv`` unless
    ``rejects_path`` says otherwise). A successful load removes a stale
    rejects file. Raises :class:`LoadError` when the directory does not exist,
    and :class:`LoadBusyError` when another load is writing into the warehouse
    (after waiting up to ``wait`` seconds for it).
    """
    d = Path(directory).expanduser()
    if not d.is_dir():
        raise LoadError(f"the load directory {d} does not exist or is not a directory")
    loader = _Loader(wh, str(d.resolve()), progress, round_checks=True)
    pre_rejects: list[Reject] = []
    workbooks: list[Path] = []
    found = _plan(d, pre_rejects, loader.result.warnings, workbooks)
    inputs: list[tuple[str, str, Callable[[], Any]]] = [
        (name, path.name, _PathOpener(path)) for name, path in found.items()
    ]
    seen: dict[tuple[str, str], str] = {}
    for path in workbooks:
        meta, more = _workbook_inputs(path, loader.known, pre_rejects, seen)
        if meta is not None:
            loader.result.workbooks.append(meta)
            inputs += more
    return _finish(loader, inputs, pre_rejects, d, Path(rejects_path) if rejects_path else d / REJECTS_FILE, wait)


def load_workbook(
    wh: Warehouse,
    path: str | os.PathLike[str],
    *,
    period: str | None = None,
    rejects_path: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    wait: float = 0.0,
) -> LoadResult:
    """Validate and write one reporting workbook (``ils template``'s), all or nothing.

    Every rule of the contract applies to each sheet, and: the file must be a
    reporting workbook with its sheets and columns as written (a renamed
    sheet, a deleted column, an ``.xls``/``.ods`` file is a reject with the
    reason); every row must belong to the workbook's organisation and period
    (``period``, when given, must be the workbook's); the login must be allowed
    to report for the organisation (:class:`AccessDeniedError` otherwise,
    before anything is read). A row whose cells to fill in are all empty is
    not loaded. The rejects file is ``rejects.csv`` beside the workbook unless
    ``rejects_path`` says otherwise.
    """
    f = Path(path).expanduser()
    if not f.exists() and not f.is_symlink():
        raise LoadError(f"the load directory or workbook {f} does not exist")
    if f.is_dir():
        return load_dir(wh, f, rejects_path=rejects_path, progress=progress, wait=wait)
    if f.suffix.lower() != ".xlsx" and not wbk.is_workbook_name(f.name):
        raise LoadError(
            f"{f.name}: ils load takes a directory of contract files or one reporting workbook "
            f"({wbk.FILE_PREFIX}ID_PERIOD.xlsx); put {f.name} in a directory of its own and load the directory"
        )
    loader = _Loader(wh, str(f.resolve()), progress, round_checks=True)
    pre_rejects: list[Reject] = []
    inputs: list[tuple[str, str, Callable[[], Any]]] = []
    why = _not_regular(f) or wbk.workbook_path(f)
    if why is not None:
        pre_rejects.append(Reject(f.name, None, None, None, why))
    else:
        meta, inputs = _workbook_inputs(f, loader.known, pre_rejects, {}, period=period)
        if meta is not None:
            loader.result.workbooks.append(meta)
    target = Path(rejects_path) if rejects_path else f.parent / REJECTS_FILE
    return _finish(loader, inputs, pre_rejects, f.parent, target, wait)


def _finish(
    loader: _Loader,
    inputs: list[tuple[str, str, Callable[[], Any]]],
    pre_rejects: list[Reject],
    directory: Path,
    target: Path,
    wait: float,
) -> LoadResult:
    """Run the load (the rejects found while planning included) and write or remove the rejects file."""
    for r in pre_rejects:
        loader.reject(r)
        # Unknown files are recorded too (with their checksum, when they are regular files).
        name = r.file.split(", sheet ", 1)[0]
        loader.result.files.append(FileResult(r.file, "", sha256_of(directory / name), rejects=1))
    result = loader.run(inputs, wait=wait, workbook_orgs=[m.org_id for m in loader.result.workbooks])
    if result.rejects:
        result.rejects_path = _write_rejects(target, result.rejects, result.warnings)
    elif target.is_file():
        try:
            target.unlink()
        except OSError:
            result.warnings.append(f"could not remove the old rejects file {target}")
    return result


def _workbook_inputs(
    path: Path,
    known: _Known,
    rejects: list[Reject],
    seen: dict[tuple[str, str], str],
    *,
    period: str | None = None,
) -> tuple[WorkbookMeta | None, list[tuple[str, str, Callable[[], Any]]]]:
    """A reporting workbook's sheets as load inputs, after the checks of the workbook as a whole.

    A workbook that is not one (or is damaged, renamed, for the wrong period,
    or a second one for the same organisation and period) is one reject naming it.
    """
    try:
        meta, names = wbk.read_meta(path)
    except FileProblem as p:
        rejects.append(Reject(path.name, None, None, None, p.reason))
        return None, []
    except WorkbookProblem as exc:
        rejects.append(Reject(path.name, None, None, None, str(exc)))
        return None, []
    if period is not None and meta.period != period:
        rejects.append(
            Reject(
                path.name,
                None,
                None,
                None,
                f"this is the workbook of {meta.org_id} for {meta.period}, not for {period}: was the wrong "
                f"workbook filled in? Make the one for {period} with ils template --period {period} "
                f"--org {meta.org_id}",
            )
        )
        return None, []
    problem = wbk.check_sheets(meta, names)
    if problem is not None:
        rejects.append(Reject(path.name, None, None, None, problem))
        return None, []
    other = seen.get((meta.org_id, meta.period))
    if other is not None:
        rejects.append(
            Reject(
                path.name,
                None,
                None,
                None,
                f"{other} is the workbook of {meta.org_id} for {meta.period} too: a load holds one workbook per "
                "organisation and period; keep one",
            )
        )
        return None, []
    seen[(meta.org_id, meta.period)] = path.name
    meta = replace(meta, file=path.name)
    scope = Scope(meta.org_id, meta.period, path.name, known)
    inputs: list[tuple[str, str, Callable[[], Any]]] = [
        (file, f"{path.name}, sheet {file}", _WorkbookOpener(path, file, scope))
        for file in meta.sheets
        if file in names
    ]
    return meta, inputs


class _WorkbookOpener:
    def __init__(self, path: Path, file: str, scope: Scope):
        self.path, self.file, self.scope = path, file, scope

    def __call__(self) -> WorkbookSheet:
        return WorkbookSheet(self.path, self.file, self.scope)


class WorkbookSheet:
    """One data sheet of a reporting workbook, read as its contract file.

    The headings become contract columns (``Utfall (value)`` -> ``value``;
    the read-only columns are dropped without a warning); a missing column is
    a :class:`FileProblem` (the sheet was changed structurally). Rows whose
    cells to fill in are all empty are not loaded. ``scope`` tells the loader
    the workbook's organisation and period.
    """

    kind = "xlsx"

    def __init__(self, path: Path, file: str, scope: Scope):
        self.scope = scope
        self._src = XlsxSource(path, sheet=file)
        try:
            header, self._editable, problems = wbk.contract_header(file, self._src.header)
            if problems:
                more = f" (and {_plural(len(problems) - 1, 'more column')})" if len(problems) > 1 else ""
                raise FileProblem(problems[0] + more, row=1, sha256=self._src.sha256)
        except BaseException:
            self._src.close()
            raise
        self.header = header
        self.sha256 = self._src.sha256
        self.approx_rows = self._src.approx_rows

    def set_month_columns(self, indexes: set[int]) -> None:
        self._src.set_month_columns(indexes)

    def rows(self, report: Any) -> Iterator[tuple[int, list[Any]]]:
        editable = self._editable
        for row, cells in self._src.rows(report):
            if not any(_filled(cells[i]) for i in editable if i < len(cells)):
                continue  # nothing filled in: nothing to load (what the warehouse holds stays)
            yield row, cells

    def close(self) -> None:
        self._src.close()


def _filled(cell: Any) -> bool:
    return cell is BAD_CELL or (cell is not None and bool(str(cell).strip()))


def _write_rejects(path: Path, rejects: list[Reject], warnings: list[str]) -> Path | None:
    """Write the rejects file atomically (temp file + rename); return None if it cannot be written.

    Every cell is inert in a spreadsheet program (:func:`ilslib.cells.csv_text`): a
    value such as ``=HYPERLINK(...)`` from a rejected file is shown, never evaluated.
    """
    try:
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        w.writerow(["file", "row", "column", "value", "reason"])
        for r in rejects:
            w.writerow(
                [
                    csv_text(r.file),
                    "" if r.row is None else r.row,
                    csv_text(r.column or ""),
                    csv_text(_short(r.value, 200)),
                    csv_text(r.reason),
                ]
            )
        atomic_write_bytes(path, buf.getvalue().encode("utf-8-sig"))
    except OSError as exc:
        warnings.append(f"could not write the rejects file {path}: {exc}")
        return None
    return path


# -- DataFrames (the demo) --------------------------------------------------------------------


def _cell_text(value: Any) -> str | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class _FrameSource:
    """A DataFrame seen as a load file (cells as text), for :func:`load_frames`."""

    kind = "frame"

    def __init__(self, frame: pd.DataFrame, name: str):
        self.frame = frame
        self.header = [str(c) for c in frame.columns]
        self.approx_rows = len(frame)
        import hashlib

        h = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        self.sha256 = h.hexdigest()

    def set_month_columns(self, indexes: set[int]) -> None:
        pass

    def rows(self, report: Any) -> Iterator[tuple[int, list[Any]]]:
        cols = [self.frame[c].tolist() for c in self.frame.columns]
        for j, row in enumerate(zip(*cols, strict=True)):
            yield j + 2, [_cell_text(v) for v in row]

    def close(self) -> None:
        pass


def load_frames(
    wh: Warehouse,
    frames: Mapping[str, pd.DataFrame],
    *,
    source: str = "frames",
    progress: Progress | None = None,
) -> LoadResult:
    """Validate and write DataFrames named by contract file, exactly as :func:`load_dir` does.

    Used by ``ils demo`` so that the demo goes through the same checks as real
    files. Raises :class:`LoadError` (nothing written) when any row is rejected.
    """
    unknown = [n for n in frames if n not in FILES]
    if unknown:
        raise LoadError(f"not contract files: {', '.join(unknown)}")
    loader = _Loader(wh, source, progress)
    inputs: list[tuple[str, str, Callable[[], Any]]] = []
    for name, frame in frames.items():
        inputs.append((name, name, functools.partial(_FrameSource, frame, name)))
    result = loader.run(inputs)
    if not result.ok:
        shown = "; ".join(str(r) for r in result.rejects[:5])
        raise LoadError(f"{source}: {_plural(len(result.rejects), 'reject')}, nothing written: {shown}")
    return result


def format_rejects(result: LoadResult, limit: int | None = 200) -> list[str]:
    """The rejects as lines for the terminal (at most ``limit``; ``None`` for all)."""
    lines = [f"  {r}" for r in (result.rejects if limit is None else result.rejects[:limit])]
    more = len(result.rejects) - len(lines)
    if more > 0:
        where = f" (all are in {result.rejects_path})" if result.rejects_path else ""
        lines.append(f"  ... and {more} more{where}")
    return lines


def format_state_changes(result: LoadResult) -> list[str]:
    """A line for every organisation whose ready mark or approval the load took back, and what to do."""
    out = []
    for c in result.state_changes:
        if c.from_state == "klar":
            out.append(
                f"{c.org_id} {c.period} was marked ready; this load sets it back to in progress: mark it ready "
                f"again (ils ready --period {c.period} --org {c.org_id})"
            )
        elif c.from_state == "godkand":
            out.append(
                f"{c.org_id} {c.period} was approved; this load sets it back to in progress: it is marked ready "
                f"and approved again (ils ready, then ils approve --period {c.period} --org {c.org_id})"
            )
    return out


def format_summary(result: LoadResult, warehouse: str = "") -> list[str]:
    """The end-of-load summary: rows per file inserted and replaced, warnings, time."""
    out: list[str] = []
    name_w = max([len("file")] + [len(f.name) for f in result.files])

    def num(n: int) -> str:
        return f"{n:,d}".replace(",", " ")

    head = "Loaded" if result.ok else "Rejected"
    into = f" into {warehouse}" if warehouse else ""
    out.append(f"{head} {result.source}{into} in {result.seconds:.1f} s (load {result.load_id})")
    for m in result.workbooks:
        out.append(f"  reporting workbook of {m.org_id} for {m.period}: sheets {', '.join(m.sheets)}")
    out.append(f"  {'file':<{name_w}}  {'rows read':>10}  {'inserted':>10}  {'replaced':>10}  {'rejects':>8}")
    for f in result.files:
        out.append(
            f"  {f.name:<{name_w}}  {num(f.rows_read):>10}  {num(f.inserted):>10}  "
            f"{num(f.replaced):>10}  {num(f.rejects):>8}"
        )
    out.append(
        f"  {'total':<{name_w}}  {num(sum(f.rows_read for f in result.files)):>10}  "
        f"{num(result.inserted):>10}  {num(result.replaced):>10}  {num(len(result.rejects)):>8}"
    )
    if result.warnings:
        out.append(f"Warnings ({len(result.warnings)}):")
        out.extend(f"  {w}" for w in result.warnings)
    return out
