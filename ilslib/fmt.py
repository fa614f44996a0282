"""Swedish formatting of figures for reports: numbers, amounts, percentages, statuses.

Conventions (the same in every report, table and chart label):

- thousands are separated by a NO-BREAK SPACE (U+00A0), the decimal sign is a
  comma, and a negative number has a real MINUS SIGN (U+2212):
  ``−1 234 567,5``. The no-break space (rather than the narrow U+202F) is in
  every font, and keeps a number and its unit on one line: ``1 234 567 kr``,
  ``12,5 %``;
- special values as in Kolada: ``-`` missing, ``.`` not applicable, ``..``
  confidential (suppressed); a missing number is never shown as zero;
- a status is a symbol and a word, never a colour alone: ``✓ Uppfyllt``,
  ``◐ Delvis uppfyllt``, ``✗ Ej uppfyllt``, ``– Saknas``, ``Ej målsatt``.

>>> money(1234567.4)
'1\\xa0234\\xa0567\\xa0kr'
>>> pct(12.54)
'12,5\\xa0%'
>>> number(-0.5, 1)
'−0,5'
>>> number(None)
'-'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

NBSP = "\u00a0"
MINUS = "\u2212"

MISSING = "-"
"""The sign of a missing value, everywhere a reader sees one (tables, texts, the portal): Kolada's ``-``."""
NOT_APPLICABLE = "."
SUPPRESSED = ".."

#: Status code -> (symbol, Swedish word).
STATUS = {
    "uppfyllt": ("✓", "Uppfyllt"),
    "delvis": ("◐", "Delvis uppfyllt"),
    "ej_uppfyllt": ("✗", "Ej uppfyllt"),
    "saknas": ("–", "Saknas"),
    "ej_malsatt": ("", "Ej målsatt"),
}

#: Activity status code -> Swedish word.
ACTIVITY_STATUS = {
    "ej_paborjad": "Ej påbörjad",
    "paborjad": "Påbörjad",
    "genomford": "Genomförd",
    "forsenad": "Försenad",
    "avbruten": "Avbruten",
}

#: Comparison colour -> Swedish description (for text alternatives and legends).
COLOUR = {
    "green": "Bästa fjärdedelen",
    "yellow": "Mittersta hälften",
    "red": "Sämsta fjärdedelen",
    "grey": "Uppgift saknas",
}


#: Organisation kind -> Swedish word, and the plural with article ("nämnderna").
KIND_LABELS = {"kommun": "Kommun", "koncern": "Koncern", "namnd": "Nämnd", "bolag": "Bolag", "enhet": "Enhet"}
KIND_PLURAL = {
    "kommun": "kommunen",
    "koncern": "koncernen",
    "namnd": "nämnderna",
    "bolag": "bolagen",
    "enhet": "enheterna",
}

#: Month names, January first.
MONTH_NAMES = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"})  # the three after z


def swedish_key(text: Any) -> str:
    """A sort key in Swedish alphabetical order (å, ä, ö after z)."""
    return str(text).lower().translate(_SWEDISH_ORDER)


def is_missing(x: Any) -> bool:
    """True for a value that is not there: None, NaN, NaT or pandas' NA (never zero, never an empty text).

    The one "is this value missing" of the library: the figures, the report's
    tables and charts and the workbooks ask it, and show :data:`MISSING` for it.

    >>> [is_missing(x) for x in (None, float("nan"), 0, "", [1])]
    [True, True, False, False, False]
    """
    if x is None:
        return True
    try:
        return bool(x != x)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):  # pandas' NA has no truth value; an array is not one value
        return type(x).__name__ == "NAType"


def _finite(x: Any) -> float | None:
    """``x`` as a finite float, or None (missing, NaN, infinite, or not a number at all)."""
    if is_missing(x) or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


def _exact(x: Any) -> Decimal | None:
    """The decimal value to show: an integer exactly (every digit of a 29-digit amount), a float as
    the shortest decimal that reads back as it; None for missing, infinite or not a number."""
    if isinstance(x, int) and not isinstance(x, bool):
        return Decimal(x)
    if isinstance(x, Decimal):
        return x if x.is_finite() else None
    f = _finite(x)
    return None if f is None else Decimal(repr(f))


def number(x: Any, decimals: int = 0, *, missing: str = MISSING) -> str:
    """``1 234 567,5``: grouped thousands, decimal comma, real minus; ``missing`` for None/NaN.

    Rounds half away from zero on the decimal value (``2,25`` -> ``2,3``). Total
    for every finite number, however large (``1e308`` has 309 digits); an
    infinite value or something that is not a number is shown as ``missing``.

    >>> number(1234567.25, 1), number(0.04, 1), number(-0.04, 1)
    ('1\\xa0234\\xa0567,3', '0,0', '0,0')
    """
    exact = _exact(x)
    if exact is None:
        return missing
    places = min(max(int(decimals), 0), 20)
    # quantize() needs a precision that holds every digit of the result (the default 28 does not
    # hold a 29-digit amount): as many as the integer part has, plus the decimals.
    with localcontext() as ctx:
        ctx.prec = max(28, exact.adjusted() + places + 3)
        d = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    negative = d < 0
    whole, _, frac = f"{d.copy_abs():f}".partition(".")  # copy_abs: exact, abs() would round to 28 digits
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = NBSP.join(groups) + ("," + frac if frac else "")
    return (MINUS + out) if negative else out


def signed(x: Any, decimals: int = 0, *, missing: str = MISSING) -> str:
    """A change with its sign: ``+1,5``, ``−2``, ``0``.

    >>> signed(1.5, 1), signed(-2), signed(0)
    ('+1,5', '−2', '0')
    """
    text = number(x, decimals, missing=missing)
    if text == missing or text.startswith(MINUS) or set(text) <= set("0,"):
        return text
    return "+" + text


def money(x: Any, decimals: int = 0, *, missing: str = MISSING, unit: str = "kr") -> str:
    """An amount in kronor: ``1 234 567 kr``.

    >>> money(-1500), money(None)
    ('−1\\xa0500\\xa0kr', '-')
    """
    text = number(x, decimals, missing=missing)
    return text if text == missing else f"{text}{NBSP}{unit}"


def tkr(x: Any, decimals: int = 0, *, missing: str = MISSING) -> str:
    """An amount in thousands of kronor: ``1 235 tkr``."""
    f = _finite(x)
    return money(None if f is None else f / 1000, decimals, missing=missing, unit="tkr")


@dataclass(frozen=True)
class AmountUnit:
    """The unit a table or chart shows amounts in: ``kr``, ``tkr`` or ``mnkr``.

    ``divisor`` turns kronor into the unit, ``decimals`` is how many decimals are
    shown, ``excel_scale`` how many thousands Excel's number format divides by
    (the cell keeps the exact kronor).
    """

    label: str
    divisor: float
    decimals: int
    excel_scale: int

    def number(self, x: Any, *, missing: str = MISSING) -> str:
        """The amount in this unit, without the unit (it is in the table's header)."""
        f = _finite(x)
        return number(None if f is None else f / self.divisor, self.decimals, missing=missing)

    def signed(self, x: Any, *, missing: str = MISSING) -> str:
        """A change in this unit with its sign: ``+1 235``, ``−58,2``."""
        f = _finite(x)
        return signed(None if f is None else f / self.divisor, self.decimals, missing=missing)

    def text(self, x: Any, *, missing: str = MISSING) -> str:
        """The amount with the unit: ``58 234 tkr``."""
        shown = self.number(x, missing=missing)
        return shown if shown == missing else f"{shown}{NBSP}{self.label}"


KR = AmountUnit("kr", 1.0, 0, 0)
TKR = AmountUnit("tkr", 1e3, 0, 1)
MNKR = AmountUnit("mnkr", 1e6, 1, 2)


def amount_unit(*values: Any) -> AmountUnit:
    """The unit for a set of amounts, by the largest of them: below a million kronor ``kr``, below
    a thousand million ``tkr``, else ``mnkr`` with one decimal. Every amount of one table (and the
    chart beside it) is shown in the same unit, named in the header.

    >>> amount_unit(999_999).label, amount_unit(-58_233_940, 1_000).label, amount_unit(12_345_678_901).label
    ('kr', 'tkr', 'mnkr')
    >>> amount_unit(None, float("nan")).label
    'kr'
    """
    flat: list[Any] = []
    for v in values:
        if isinstance(v, (list, tuple, set)) or hasattr(v, "tolist"):
            flat.extend(v.tolist() if hasattr(v, "tolist") else v)
        else:
            flat.append(v)
    largest = max((abs(f) for f in map(_finite, flat) if f is not None), default=0.0)
    if largest < 1e6:
        return KR
    if largest < 1e9:
        return TKR
    return MNKR


def amount(x: Any, *, missing: str = MISSING) -> str:
    """One amount with the unit that suits its size (a headline figure): ``−58 234 tkr``, ``12 345,7 mnkr``.

    >>> amount(-58_233_940), amount(1_500), amount(None)
    ('−58\\xa0234\\xa0tkr', '1\\xa0500\\xa0kr', '-')
    """
    return amount_unit(x).text(x, missing=missing)


def pct(x: Any, decimals: int = 1, *, missing: str = MISSING, suppressed: bool = False) -> str:
    """A percentage: ``12,5 %``; ``..`` when ``suppressed``.

    >>> pct(4.25), pct(None, suppressed=True)
    ('4,3\\xa0%', '..')
    """
    if suppressed:
        return SUPPRESSED
    text = number(x, decimals, missing=missing)
    return text if text == missing else f"{text}{NBSP}%"


#: Units that only name what is counted: not written after a number.
COUNT_UNITS = ("antal", "index", "st", "st.", "poäng")


def unit_suffix(unit: str | None) -> str:
    """The unit as written after a number (``%``, ``dagar``), or ``""`` for a count unit."""
    u = (unit or "").strip()
    return "" if not u or u.lower() in COUNT_UNITS else u


def value(x: Any, unit: str | None = None, decimals: int = 1, *, missing: str = MISSING) -> str:
    """An indicator value with its unit when the unit reads well after a number (``%``, ``kr``, ``dagar``...).

    Units that only name what is counted (``antal``, ``index``, ``st``) are left out.

    >>> value(87.25, "%", 1), value(12, "antal", 0), value(3.5, "dagar", 1)
    ('87,3\\xa0%', '12', '3,5\\xa0dagar')
    """
    text = number(x, decimals, missing=missing)
    u = unit_suffix(unit)
    if text == missing or not u:
        return text
    return f"{text}{NBSP}{u}"


def change_unit(unit: str | None) -> str:
    """The unit of a difference between two values: percentage points (``p.e.``) for a percentage."""
    u = unit_suffix(unit)
    return "p.e." if u == "%" else u


def change(x: Any, unit: str | None = None, decimals: int = 1, *, missing: str = MISSING) -> str:
    """A change of an indicator with its sign and unit; a percentage changes in percentage points.

    >>> change(1.25, "%", 1), change(-2, "antal", 0), change(0.5, "dagar", 1)
    ('+1,3\\xa0p.e.', '−2', '+0,5\\xa0dagar')
    """
    text = signed(x, decimals, missing=missing)
    u = change_unit(unit)
    if text == missing or not u:
        return text
    return f"{text}{NBSP}{u}"


def special(code: str | None, x: Any = None, decimals: int = 1, unit: str | None = None) -> str:
    """A comparison cell: the special value (``-``, ``.``, ``..``) if any, else the value."""
    if code:
        return code
    return value(x, unit, decimals)


def status(code: str | None) -> str:
    """Symbol and word of an indicator status (``✓ Uppfyllt``); empty for None (no status in BU).

    >>> status("delvis"), status("ej_malsatt")
    ('◐ Delvis uppfyllt', 'Ej målsatt')
    """
    if code is None or is_missing(code):
        return ""
    symbol, word = STATUS[code]
    return f"{symbol} {word}" if symbol else word


def status_word(code: str | None) -> str:
    """The word of a status, without the symbol (``Delvis uppfyllt``)."""
    return "" if code is None or is_missing(code) else STATUS[code][1]


def status_symbol(code: str | None) -> str:
    """The symbol of a status (``✓``, ``◐``, ``✗``, ``–``; empty for ``ej_malsatt``)."""
    return "" if code is None or is_missing(code) else STATUS[code][0]


def assessment(code: str | None) -> str:
    """An organisation's judgement of a goal: like :func:`status`; ``– Ej bedömt`` when there is none.

    >>> assessment("uppfyllt"), assessment(None)
    ('✓ Uppfyllt', '– Ej bedömt')
    """
    if code is None or is_missing(code) or code == "saknas":
        return "– Ej bedömt"
    return status(code)


def activity(code: str | None) -> str:
    """An activity status in Swedish (``Påbörjad``); ``– Saknas`` when none was reported."""
    if code is None or is_missing(code):
        return "– Saknas"
    return ACTIVITY_STATUS[code]


def excel_format(decimals: int = 0, *, scale: int = 0, suffix: str = "", signed: bool = False) -> str:
    """An Excel/LibreOffice number format that shows a number the way this module writes it.

    The codes are locale-neutral (``#,##0.0``): Swedish Excel shows them with a space between
    thousands and a decimal comma. ``scale`` thousands are divided off for display (``1`` shows
    kronor as tkr; the cell keeps the exact value); ``suffix`` is a unit written after the
    number. A negative number gets a real minus sign and, with ``signed``, a positive one a plus,
    but (as :func:`number` and :func:`signed`) only when it does not round to zero: the sign
    sections have conditions at half the last shown digit.

    >>> excel_format(1)
    '[<=-0.05]"−"#,##0.0;#,##0.0'
    >>> excel_format(0, scale=1)
    '[<=-500]"−"#,##0,;#,##0,'
    >>> excel_format(1, suffix="p.e.", signed=True)
    '[>=0.05]"+"#,##0.0" p.e.";[<=-0.05]"−"#,##0.0" p.e.";#,##0.0" p.e."'
    """
    places = min(max(int(decimals), 0), 20)
    scale = max(int(scale), 0)
    body = "#,##0" + ("." + "0" * places if places else "") + "," * scale
    unit = f'" {suffix}"' if suffix else ""
    half = f"{Decimal(5).scaleb(-places - 1) * Decimal(1000) ** scale:f}".rstrip("0").rstrip(".") or "0"
    if signed:
        return f'[>={half}]"+"{body}{unit};[<=-{half}]"{MINUS}"{body}{unit};{body}{unit}'
    return f'[<=-{half}]"{MINUS}"{body}{unit};{body}{unit}'


CITY_TIME_ZONE = "Europe/Stockholm"
"""The city's time zone: every time a reader sees (reports, portals, status pages, the review, ``ils log``)."""


def local_time(when: Any, *, seconds: bool = False) -> str:
    """A time as the city's local time, ``2026-11-22 12:36`` (``seconds``: ``12:36:05``); :data:`MISSING` when none.

    ``when`` is a :class:`datetime.datetime` or an ISO 8601 text; a time without a zone is taken as it is.
    The one rule for a time a reader sees, whatever the machine's own time zone is.

    >>> local_time("2026-11-22T11:36:05+00:00"), local_time("2026-07-01T10:00:00Z"), local_time(None)
    ('2026-11-22 12:36', '2026-07-01 12:00', '-')
    """
    import datetime as dt

    if is_missing(when) or not str(when).strip():
        return MISSING
    if isinstance(when, dt.datetime):
        t = when
    else:
        try:
            t = dt.datetime.fromisoformat(str(when))
        except ValueError:
            return str(when)
    pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    if t.tzinfo is not None:
        try:
            from zoneinfo import ZoneInfo

            t = t.astimezone(ZoneInfo(CITY_TIME_ZONE))
        except Exception:  # no time zone data on this machine: say it is UTC
            return t.astimezone(dt.UTC).strftime(pattern + " UTC")
    return t.strftime(pattern)
