"""Which periods the warehouse has, which of them is ``latest``, and what a period argument means.

The one home of ``period="latest"`` (and ``latest-BO``, ``latest-T``,
``senaste``): the reports, the runner, ``ils check``, ``ils book``, ``ils publish``
and the notebooks all resolve a period with :func:`as_period`. The words
themselves and the calendar order of periods are :mod:`ilslib.periods`'.
"""

from __future__ import annotations

import datetime as dt
import difflib

import pandas as pd

from ..errors import UnknownValueError
from ..periods import LATEST_CODES, PERIOD_CODES, Period, is_latest, is_period, is_period_shaped, latest_code
from ..settings import REPORTING_KINDS
from ..warehouse import Warehouse
from ._common import frame, text

PERIOD_COLUMNS = (
    "period",
    "year",
    "code",
    "title",
    "outcomes",
    "assessments",
    "activities",
    "comments",
    "economy",
    "personnel",
)


def _distinct_periods(wh: Warehouse, view: str) -> dict[str, int]:
    return {str(p): int(n) for p, n in wh.rows(f"SELECT period, COUNT(*) FROM {view} GROUP BY period")}


def _month_range(wh: Warehouse, view: str) -> tuple[str | None, str | None]:
    lo, hi = wh.rows(f"SELECT MIN(month), MAX(month) FROM {view}")[0]
    return text(lo), text(hi)


def periods(wh: Warehouse) -> pd.DataFrame:
    """The periods that have data, oldest first (BU < T1 < T2 < BO within a year).

    Columns: ``period, year, code, title``, the row counts ``outcomes,
    assessments, activities`` (activity statuses) and ``comments`` for the
    period, and ``economy``/``personnel``: True when the ledger/personnel
    data reaches the period's last month (BU: when the year has budget rows).

    >>> f.periods(wh)["period"].iloc[0]
    '2024-BU'
    >>> str(f.latest_period(wh))
    '2026-T2'
    """
    counts = {
        "outcomes": _distinct_periods(wh, "v_outcome"),
        "assessments": _distinct_periods(wh, "v_assessment"),
        "activities": _distinct_periods(wh, "v_activity_status"),
        "comments": _distinct_periods(wh, "v_comment"),
    }
    found: set[Period] = set()
    for c in counts.values():
        found.update(Period.parse(p) for p in c)
    ranges = {"economy": _month_range(wh, "v_ledger"), "personnel": _month_range(wh, "v_personnel")}
    for lo, hi in ranges.values():
        if lo and hi:
            for year in range(int(lo[:4]), int(hi[:4]) + 1):
                for code in ("BU", "T1", "T2", "BO"):
                    p = Period(year, code)
                    if code == "BU" or lo <= p.last_month <= hi:
                        found.add(p)
    for (year,) in wh.rows("SELECT DISTINCT year FROM v_target"):
        found.add(Period(int(year), "BU"))
    rows = []
    for p in sorted(found):
        row = {"period": str(p), "year": p.year, "code": p.code, "title": p.title}
        for name, c in counts.items():
            row[name] = c.get(str(p), 0)
        for name, (lo, hi) in ranges.items():
            if not (lo and hi):
                row[name] = False
            elif p.code == "BU":
                row[name] = lo[:4] <= str(p.year) <= hi[:4]
            else:
                row[name] = lo <= p.last_month <= hi
        rows.append(row)
    return frame(rows, PERIOD_COLUMNS)


def _reporting_orgs(wh: Warehouse) -> set[str]:
    """The organisations of the reporting kinds (all organisations when there are none)."""
    rows = wh.rows("SELECT org_id, kind FROM v_organisation")
    reporting = {str(o) for o, k in rows if k in REPORTING_KINDS}
    return reporting or {str(o) for o, _ in rows}


def _reported_by(wh: Warehouse) -> dict[str, set[str]]:
    """``{period: org_ids}``: who has reported each period (an outcome; in a budget, a target for the year).

    A warehouse without any outcome or target counts booked ledger months and
    personnel months instead: an organisation has a period when its last month is there.
    """
    out: dict[str, set[str]] = {}
    for per, org in wh.rows("SELECT DISTINCT period, org_id FROM v_outcome"):
        out.setdefault(str(per), set()).add(str(org))
    for year, org in wh.rows("SELECT DISTINCT year, org_id FROM v_target"):
        out.setdefault(f"{int(year):04d}-BU", set()).add(str(org))
    if out:
        return out
    months: dict[str, set[str]] = {}
    for sql in (
        "SELECT DISTINCT month, org_id FROM v_ledger WHERE outcome IS NOT NULL",
        "SELECT DISTINCT month, org_id FROM v_personnel",
    ):
        for month, org in wh.rows(sql):
            months.setdefault(str(month), set()).add(str(org))
    for month, orgs in months.items():
        year, mm = int(month[:4]), int(month[5:7])
        for code in ("T1", "T2", "BO"):
            if Period(year, code).last_month_number == mm:
                out.setdefault(f"{year:04d}-{code}", set()).update(orgs)
    return out


def latest_period(wh: Warehouse, code: str | None = None, *, today: dt.date | None = None) -> Period:
    """The latest period whose reporting is due or done: what ``period="latest"`` means everywhere.

    A period counts when

    1. one of its deadlines (``deadlines``) has passed (the deadline day itself
       has not), or
    2. at least one organisation's reporting for it is ``klar`` or ``godkand``, or
    3. it has no deadline at all and more than half of the reporting
       organisations (nämnder and bolag) have reported it: an outcome (in a
       budget ``YYYY-BU``, a target for the year). This is the rule of a
       warehouse that does not use deadlines or the round's states; one
       without any outcome or target counts booked ledger and personnel months.

    The latest such period is returned, so one early row for the next period
    (a draft, a company that reports ahead) never moves ``latest``; nor does a
    deadline that is still ahead. ``code`` restricts it to one kind of period:
    ``BU``, ``T1``, ``T2``, ``BO``, or ``T`` for either tertial (``latest-BO``,
    ``latest-T``). ``today`` is the date the deadlines are judged on (default:
    today). No period that counts is an :class:`UnknownValueError`.

    >>> str(f.latest_period(wh)), str(f.latest_period(wh, "BO"))
    ('2026-T2', '2025-BO')
    """
    if code is not None and code not in LATEST_CODES:
        raise UnknownValueError(f"unknown period code {code!r}: expected T (a tertial), {', '.join(PERIOD_CODES)}")
    codes = LATEST_CODES[code] if code is not None else PERIOD_CODES
    day = today or dt.date.today()
    due: set[str] = set()
    with_deadline: set[str] = set()
    for per, deadline in wh.rows("SELECT period, deadline FROM v_deadline"):
        with_deadline.add(str(per))
        if deadline is not None and dt.date.fromisoformat(str(deadline)[:10]) < day:
            due.add(str(per))
    done = {
        str(r[0])
        for r in wh.rows("SELECT DISTINCT period FROM v_round_state WHERE state IN (?, ?)", ("klar", "godkand"))
    }
    reporting = _reporting_orgs(wh)
    for per, orgs in _reported_by(wh).items():
        if per not in with_deadline and reporting and len(orgs & reporting) * 2 > len(reporting):
            due.add(per)
    found = sorted(p for p in (Period.parse(x) for x in due | done if is_period(x)) if p.code in codes)
    if found:
        return found[-1]
    what = "period" if code is None else f"{code} period"
    if not periods(wh)["period"].tolist():
        raise UnknownValueError("the warehouse has no data for any period (load data or run 'ils demo')")
    raise UnknownValueError(
        f"no {what} is due or reported yet: none has a deadline that has passed, an organisation marked ready "
        "or approved, or (without deadlines) outcomes from most of the nämnder and bolag; give the period "
        "itself (e.g. --period 2026-T2)"
    )


def as_period(wh: Warehouse, period: str | Period) -> Period:
    """``period`` as a :class:`Period`: what a period given by a user, a notebook or a run set means, everywhere.

    ``latest`` (``senaste``) is :func:`latest_period`; ``latest-BO``,
    ``latest-T`` (``senaste-bo``, ...) the latest of a kind. A malformed
    period, a year outside 1900-2199, or a year the warehouse has no data for
    at all, is an :class:`UnknownValueError` (the last two listing the nearest
    periods with data). A :class:`Period` object is taken as it is.

    >>> str(f.as_period(wh, "latest")), str(f.as_period(wh, "senaste-bo")), str(f.as_period(wh, " 2025-T1 "))
    ('2026-T2', '2025-BO', '2025-T1')
    """
    if isinstance(period, Period):
        return period
    if is_latest(period):
        code = latest_code(period)
        if code is None:
            return latest_period(wh)
        try:
            return latest_period(wh, code)
        except UnknownValueError as exc:
            raise UnknownValueError(f"period {period!r}: {exc}") from None
    if is_period_shaped(period):
        Period.parse(period)  # a year outside 1900-2199 is refused with a message of its own
    try:
        p = Period.parse(period)
    except UnknownValueError:
        raise UnknownValueError(
            f"malformed period {period!r}: expected YYYY-BU, YYYY-T1, YYYY-T2, YYYY-BO or 'latest'"
            f"{_periods_hint(wh, str(period))}"
        ) from None
    if wh is not None and not _year_has_data(wh, p.year):
        raise UnknownValueError(f"the warehouse has no data for {p.year} (period {p}){_periods_hint(wh, str(p))}")
    return p


def _periods_hint(wh: Warehouse | None, text: str) -> str:
    have = periods(wh)["period"].tolist() if wh is not None else []
    if not have:
        return "; the warehouse has no data for any period"
    near = difflib.get_close_matches(text, have, n=4, cutoff=0.3)
    return f"; periods with data: {', '.join(near or have[-4:])}"


def _year_has_data(wh: Warehouse, year: int) -> bool:
    """True when anything is stored for the year (cheap: one index seek per table)."""
    periods = (f"{year}-BO", f"{year}-T2")  # the year's period codes sort between these
    months = (f"{year}-01", f"{year}-12")
    checks = (
        ("SELECT MIN(year) FROM v_target WHERE year = ?", (year,)),
        ("SELECT MIN(period) FROM v_outcome WHERE period >= ? AND period <= ?", periods),
        ("SELECT MIN(month) FROM v_ledger WHERE month >= ? AND month <= ?", months),
        ("SELECT MIN(month) FROM v_personnel WHERE month >= ? AND month <= ?", months),
        ("SELECT MIN(period) FROM v_assessment WHERE period >= ? AND period <= ?", periods),
        ("SELECT MIN(period) FROM v_comment WHERE period >= ? AND period <= ?", periods),
        ("SELECT MIN(period) FROM v_activity_status WHERE period >= ? AND period <= ?", periods),
    )
    return any(wh.scalar(sql, params) is not None for sql, params in checks)
