"""Shared helpers of the figure modules: argument checks, SQL fragments, null handling."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ..errors import UnknownValueError
from ..periods import Period
from ..warehouse import Warehouse

CODE_ORDER = {"BU": 0, "T1": 1, "T2": 2, "BO": 3}


def period_key(p: Period) -> tuple[int, int]:
    """Calendar order of periods: BU < T1 < T2 < BO within a year."""
    return (p.year, CODE_ORDER[p.code])


def as_period(wh: Warehouse, period: str | Period) -> Period:
    """``period`` as a :class:`Period`; ``"latest"`` is the latest reported period.

    A malformed period, or a year the warehouse has no data for at all, is an
    :class:`UnknownValueError` listing the nearest periods with data. A
    :class:`Period` object is taken as it is.
    """
    if isinstance(period, Period):
        return period
    if isinstance(period, str) and period.strip().lower() == "latest":
        from .orgs import latest_period

        return latest_period(wh)
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
    from .orgs import periods

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


def org_row(wh: Warehouse, org_id: str) -> dict[str, Any]:
    """The organisation's row (org_id, name, kind, parent_id, controller); a helpful error when unknown."""
    rows = wh.rows("SELECT org_id, name, kind, parent_id, controller FROM v_organisation WHERE org_id = ?", (org_id,))
    if rows:
        return dict(zip(("org_id", "name", "kind", "parent_id", "controller"), rows[0], strict=True))
    raise unknown_org(wh, org_id)


def unknown_org(wh: Warehouse, org_id: object) -> UnknownValueError:
    """The error for an unknown organisation id, naming the nearest valid ids."""
    ids = [r[0] for r in wh.rows("SELECT org_id FROM v_organisation")]
    by_lower = {i.lower(): i for i in ids}
    near = difflib.get_close_matches(str(org_id).lower(), list(by_lower), n=5, cutoff=0.5)
    if near:
        hint = "did you mean " + ", ".join(by_lower[n] for n in near) + "?"
    elif ids:
        shown = sorted(ids)
        listed = ", ".join(shown[:40]) + (f" and {len(shown) - 40} more" if len(shown) > 40 else "")
        hint = f"valid organisation ids: {listed}"
    else:
        hint = "the warehouse has no organisations (load organisations.csv or run 'ils demo')"
    return UnknownValueError(f"unknown organisation {org_id!r}: {hint}")


def placeholders(values: Sequence[Any]) -> str:
    """``?, ?, ?`` for an ``IN (...)`` list (at least one value)."""
    if not values:
        raise ValueError("empty IN list")
    return ", ".join("?" for _ in values)


def num(value: Any) -> float | None:
    """A float, or None for missing/NaN."""
    if value is None or value is pd.NA:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def money(value: Any) -> float | None:
    """A sum of kronor rounded to whole öre: removes floating-point noise that differs between engines."""
    f = num(value)
    return None if f is None else round(f, 2) + 0.0


def ratio(numerator: Any, denominator: Any, scale: float = 100.0) -> float | None:
    """``numerator / denominator * scale``; None when either is missing or the denominator is zero."""
    n, d = num(numerator), num(denominator)
    if n is None or d is None or d == 0:
        return None
    return n / d * scale


def text(value: Any) -> str | None:
    """A string, or None for missing (dates become ISO strings)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


def frame(rows: Iterable[dict[str, Any]] | pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """A DataFrame with exactly these columns, in this order (an empty one keeps them)."""
    df = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(list(rows), columns=list(columns))
    for c in columns:
        if c not in df.columns:
            df[c] = None
    return df.loc[:, list(columns)].reset_index(drop=True)
