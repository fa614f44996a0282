"""Reporting periods: ``YYYY-BU`` (budget), ``YYYY-T1``, ``YYYY-T2`` (tertials) and ``YYYY-BO`` (bokslut).

>>> p = Period.parse("2026-T2")
>>> p.months()[0], p.months()[-1], p.last_month
('2026-01', '2026-08', '2026-08')
>>> p.title
'Tertialrapport 2 2026'

Periods order by the calendar, BU < T1 < T2 < BO within a year:

>>> [str(x) for x in sorted(Period.parse(t) for t in ("2026-BO", "2026-BU", "2025-T2", "2026-T1"))]
['2025-T2', '2026-BU', '2026-T1', '2026-BO']

Years are 1900-2199, as the data contract says. What ``latest``, ``senaste``,
``latest-BO`` and ``latest-T`` ask for is read here (:func:`latest_codes`); which
period that is depends on the warehouse's data and deadlines, and is decided by
:func:`ilslib.figures.latest_period` (``ilslib.figures.as_period`` reads a period
or one of these words: the report, the runner, ``ils check`` and the notebooks all
call it).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .errors import UnknownValueError

PERIOD_CODES = ("BU", "T1", "T2", "BO")
"""The period codes in calendar order within a year."""
_RANK = {code: i for i, code in enumerate(PERIOD_CODES)}
LATEST_WORDS = ("latest", "senaste")
"""The words for "the latest period due or reported" (``senaste`` is Swedish)."""
LATEST_CODES: dict[str, tuple[str, ...]] = {"T": ("T1", "T2"), **{c: (c,) for c in PERIOD_CODES}}
"""What ``latest-X`` may ask for: a period code, or ``T`` for either tertial."""
FIRST_YEAR, LAST_YEAR = 1900, 2199
"""The years a period, month or target may have (the data contract's limits)."""
_LAST_MONTH = {"BU": 12, "T1": 4, "T2": 8, "BO": 12}
_TITLES = {
    "BU": "Budget {year}",
    "T1": "Tertialrapport 1 {year}",
    "T2": "Tertialrapport 2 {year}",
    "BO": "Verksamhetsberättelse {year}",
}
_PERIOD_RE = re.compile(r"(\d{4})-(BU|T1|T2|BO)", re.ASCII)
_MONTH_RE = re.compile(r"(\d{4})-(0[1-9]|1[0-2])", re.ASCII)


@functools.total_ordering
@dataclass(frozen=True)
class Period:
    """A reporting period of one year; periods order by the calendar (BU < T1 < T2 < BO within a year)."""

    year: int
    code: str

    @property
    def sort_key(self) -> tuple[int, int]:
        """``(year, rank of the code)``: the calendar order, for sorting period strings with :func:`period_order`."""
        return (self.year, _RANK[self.code])

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self.sort_key < other.sort_key

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse ``YYYY-BU|T1|T2|BO`` (a year 1900-2199); raise :class:`UnknownValueError` saying what is wrong.

        >>> Period.parse("0000-T1")
        Traceback (most recent call last):
        ...
        ilslib.errors.UnknownValueError: period '0000-T1': the year must be 1900-2199
        """
        m = _PERIOD_RE.fullmatch(str(text).strip()) if text is not None else None
        if not m:
            raise UnknownValueError(
                f"malformed period {text!r}: expected YYYY-BU, YYYY-T1, YYYY-T2 or YYYY-BO (e.g. 2026-T2)"
            )
        year = int(m.group(1))
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise UnknownValueError(f"period {str(text).strip()!r}: the year must be {FIRST_YEAR}-{LAST_YEAR}")
        return cls(year, m.group(2))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.code}"

    @property
    def has_outcomes(self) -> bool:
        """False for the budget period, which has targets but no outcomes."""
        return self.code != "BU"

    @property
    def is_tertial(self) -> bool:
        """True for T1 and T2."""
        return self.code in ("T1", "T2")

    @property
    def last_month_number(self) -> int:
        """1-12: the last month of the period (year to date)."""
        return _LAST_MONTH[self.code]

    @property
    def first_month(self) -> str:
        """``YYYY-01``."""
        return f"{self.year}-01"

    @property
    def last_month(self) -> str:
        """``YYYY-MM`` of the period's last month (BU: December, the budget year)."""
        return f"{self.year}-{self.last_month_number:02d}"

    def months(self) -> list[str]:
        """The months of the period, ``YYYY-01`` to its last month."""
        return [f"{self.year}-{m:02d}" for m in range(1, self.last_month_number + 1)]

    @property
    def title(self) -> str:
        """The Swedish report name, e.g. ``Tertialrapport 2 2026``."""
        return _TITLES[self.code].format(year=self.year)

    def same_period_last_year(self) -> Period:
        """The same period one year earlier."""
        return Period(self.year - 1, self.code)


def is_year(year: object) -> bool:
    """True when ``year`` is a year the contract allows (1900-2199)."""
    return isinstance(year, int) and not isinstance(year, bool) and FIRST_YEAR <= year <= LAST_YEAR


def is_period(text: object) -> bool:
    """True when ``text`` is a well-formed period of a year 1900-2199 (what :meth:`Period.parse` accepts).

    >>> is_period("2026-T2"), is_period("0000-T1"), is_period("2026-t2")
    (True, False, False)
    """
    m = _PERIOD_RE.fullmatch(text) if isinstance(text, str) else None
    return m is not None and is_year(int(m.group(1)))


def is_month(text: object) -> bool:
    """True when ``text`` is a well-formed ``YYYY-MM`` month of a year 1900-2199."""
    m = _MONTH_RE.fullmatch(text) if isinstance(text, str) else None
    return m is not None and is_year(int(m.group(1)))


def is_period_shaped(text: object) -> bool:
    """``YYYY-BU|T1|T2|BO`` in form, whatever the year (then :meth:`Period.parse` names the year's problem)."""
    return isinstance(text, str) and bool(_PERIOD_RE.fullmatch(text.strip()))


def period_order(text: str) -> tuple[int, int]:
    """A sort key for period strings in calendar order; anything not a period sorts first.

    >>> sorted(["2026-T2", "2026-BO", "2026-BU", "2025-BO"], key=period_order)
    ['2025-BO', '2026-BU', '2026-T2', '2026-BO']
    """
    return Period.parse(text).sort_key if is_period(text) else (-1, -1)


def is_latest(text: object) -> bool:
    """True when ``text`` is one of the ``latest`` words: ``latest``, ``senaste``, ``latest-BO``, ``senaste-t``, ...

    >>> is_latest("Latest"), is_latest("senaste-bo"), is_latest("2026-T2")
    (True, True, False)
    """
    return isinstance(text, str) and text.strip().lower().partition("-")[0] in LATEST_WORDS


def latest_code(text: str) -> str | None:
    """The code a ``latest`` word asks for (a key of :data:`LATEST_CODES`), or None for any period.

    ``latest``/``senaste`` ask for any period; ``latest-BO`` (``senaste-bo``) for
    the latest bokslut; ``latest-T`` for either tertial. An unknown code is an
    :class:`UnknownValueError`.

    >>> latest_code("latest"), latest_code("Senaste-bo"), latest_code("latest-T")
    (None, 'BO', 'T')
    """
    word, dash, code = text.strip().partition("-")
    if not dash:
        return None
    if code.upper() not in LATEST_CODES:
        raise UnknownValueError(
            f"period {text!r}: expected latest, latest-T (a tertial), or latest-{', latest-'.join(PERIOD_CODES)}"
        )
    return code.upper()
