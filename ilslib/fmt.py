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
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

NBSP = "\u00a0"
MINUS = "\u2212"

MISSING = "-"
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


def _missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(x != x) or (isinstance(x, float) and math.isnan(x))  # NaN, pd.NA
    except (TypeError, ValueError):
        return True


def number(x: Any, decimals: int = 0, *, missing: str = MISSING) -> str:
    """``1 234 567,5``: grouped thousands, decimal comma, real minus; ``missing`` for None/NaN.

    Rounds half away from zero on the decimal value (``2,25`` -> ``2,3``).

    >>> number(1234567.25, 1), number(0.04, 1), number(-0.04, 1)
    ('1\\xa0234\\xa0567,3', '0,0', '0,0')
    """
    if _missing(x):
        return missing
    d = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    negative = d < 0
    whole, _, frac = f"{abs(d):f}".partition(".")
    groups = []
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
    return money(None if _missing(x) else float(x) / 1000, decimals, missing=missing, unit="tkr")


def pct(x: Any, decimals: int = 1, *, missing: str = MISSING, suppressed: bool = False) -> str:
    """A percentage: ``12,5 %``; ``..`` when ``suppressed``.

    >>> pct(4.25), pct(None, suppressed=True)
    ('4,3\\xa0%', '..')
    """
    if suppressed:
        return SUPPRESSED
    text = number(x, decimals, missing=missing)
    return text if text == missing else f"{text}{NBSP}%"


def value(x: Any, unit: str | None = None, decimals: int = 1, *, missing: str = MISSING) -> str:
    """An indicator value with its unit when the unit reads well after a number (``%``, ``kr``, ``dagar``...).

    Units that only name what is counted (``antal``, ``index``, ``st``) are left out.

    >>> value(87.25, "%", 1), value(12, "antal", 0), value(3.5, "dagar", 1)
    ('87,3\\xa0%', '12', '3,5\\xa0dagar')
    """
    text = number(x, decimals, missing=missing)
    u = (unit or "").strip()
    if text == missing or not u or u.lower() in ("antal", "index", "st", "st.", "poäng"):
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
    if code is None or _missing(code):
        return ""
    symbol, word = STATUS[code]
    return f"{symbol} {word}" if symbol else word


def status_word(code: str | None) -> str:
    """The word of a status, without the symbol (``Delvis uppfyllt``)."""
    return "" if code is None or _missing(code) else STATUS[code][1]


def status_symbol(code: str | None) -> str:
    """The symbol of a status (``✓``, ``◐``, ``✗``, ``–``; empty for ``ej_malsatt``)."""
    return "" if code is None or _missing(code) else STATUS[code][0]


def assessment(code: str | None) -> str:
    """An organisation's judgement of a goal: like :func:`status`; ``– Ej bedömt`` when there is none.

    >>> assessment("uppfyllt"), assessment(None)
    ('✓ Uppfyllt', '– Ej bedömt')
    """
    if code is None or _missing(code) or code == "saknas":
        return "– Ej bedömt"
    return status(code)


def activity(code: str | None) -> str:
    """An activity status in Swedish (``Påbörjad``); ``– Saknas`` when none was reported."""
    if code is None or _missing(code):
        return "– Saknas"
    return ACTIVITY_STATUS[code]
