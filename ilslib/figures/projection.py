"""A year-end projection for tertial indicators: will the annual target be met?

Always a projection (*prognos*), never an outcome, and always with how it was
made. For a T1 or T2 period and each tertial indicator of the organisation:

1. ``last_year_pattern``: this period's value plus last year's change from
   the same tertial to the annual report (BO): ``value + (BO(y-1) - Tn(y-1))``;
2. otherwise, in T2 only, ``trend``: the change from T1 to T2 this year
   continued over the last tertial: ``T2 + (T2 - T1)``;
3. otherwise no projection (``method`` ``none``).

A projection is kept within what the unit allows: a percentage between 0
and 100, any other value not below zero when every outcome so far is
non-negative (a count or an amount cannot be projected below zero); the note
then says it was capped.

The projected value gets a status against the target that applies at year end
(the BO target row, else the annual target) by the same rule as outcomes
(:func:`ilslib.figures.status`). Arithmetic is done on the stored decimals.
"""

from __future__ import annotations

import pandas as pd

from .. import fmt
from ..periods import Period
from ..warehouse import Warehouse
from ._common import frame, num, org_row, records
from ._status import exact_difference, status
from .indicators import indicator_rows
from .latest import as_period

PROJECTION_COLUMNS = (
    "indicator_id",
    "name",
    "unit",
    "decimals",
    "direction",
    "value",
    "annual_target",
    "annual_partial_limit",
    "projected",
    "status",
    "met",
    "method",
    "note",
    "label",
)

LABEL = "Prognos"


def projection(wh: Warehouse, org_id: str, period: str | Period) -> pd.DataFrame:
    """The projected year-end value of each tertial indicator, and whether the annual target will be met.

    Only for T1 and T2 (empty otherwise). Columns: ``indicator_id, name, unit,
    decimals, direction``, ``value`` (this period's outcome),
    ``annual_target, annual_partial_limit`` (what applies at year end),
    ``projected`` (NaN without a method), ``status`` (of the projection:
    ``uppfyllt``, ``delvis``, ``ej_uppfyllt``; ``saknas`` without a
    projection; ``ej_malsatt`` without an annual target), ``met`` (True/False,
    None when unknown), ``method`` (``last_year_pattern``, ``trend``,
    ``none``), ``note`` (Swedish: how it was made) and ``label`` ("Prognos").
    See the module docstring for the methods.

    >>> p = f.projection(wh, "ALN", "2026-T2")
    >>> p["label"].unique().tolist(), f.projection(wh, "ALN", "2026-BO").empty
    (['Prognos'], True)
    >>> p[["name", "projected", "annual_target", "status", "note"]]     # doctest: +SKIP
    """
    p = as_period(wh, period)
    org_row(wh, org_id)
    if not p.is_tertial:
        return frame([], PROJECTION_COLUMNS)
    return projection_from(p, indicator_rows(wh, p, org_id=org_id), projection_inputs(wh, org_id, p))


def projection_inputs(wh: Warehouse, org_id: str, p: Period) -> pd.DataFrame:
    """The earlier outcomes a projection needs: this year's T1, last year's same tertial and BO (internal)."""
    y, ly = p.year, p.year - 1
    wanted = [f"{y}-T1", f"{ly}-{p.code}", f"{ly}-BO"]
    return wh.query(
        "SELECT indicator_id, period, value FROM v_outcome WHERE org_id = ? AND gender = ? AND period IN (?, ?, ?)",
        (org_id, "T", *wanted),
    )


def projection_from(p: Period, ind: pd.DataFrame, hist: pd.DataFrame) -> pd.DataFrame:
    """:func:`projection` from the indicator table and :func:`projection_inputs` (internal)."""
    if not p.is_tertial:
        return frame([], PROJECTION_COLUMNS)
    y, ly = p.year, p.year - 1
    past: dict[tuple[str, str], float | None] = {
        (r["indicator_id"], r["period"]): num(r["value"]) for r in records(hist)
    }
    rows = []
    for r in records(ind):
        i, value = r["indicator_id"], num(r["value"])
        ly_same, ly_bo = past.get((i, f"{ly}-{p.code}")), past.get((i, f"{ly}-BO"))
        t1 = past.get((i, f"{y}-T1"))
        projected, method = None, "none"
        dec = int(r["decimals"])
        if value is None:
            note = f"Ingen prognos: utfall för {p} saknas."
        elif ly_same is not None and ly_bo is not None:
            change = exact_difference(ly_bo, ly_same)
            projected = exact_difference(value, exact_difference(ly_same, ly_bo))  # value + change
            method = "last_year_pattern"
            note = (
                f"Prognos: utfallet {p.code} {y} ({fmt.number(value, dec)}) plus förra årets förändring "
                f"från {p.code} till bokslut ({fmt.signed(change, dec)})."
            )
        elif p.code == "T2" and t1 is not None:
            projected = exact_difference(value, exact_difference(t1, value))  # value + (value - t1)
            method = "trend"
            note = (
                f"Prognos: förändringen från T1 till T2 {y} ({fmt.signed(exact_difference(value, t1), dec)}) "
                f"framskriven över årets sista tertial; förra årets utfall saknas."
            )
        else:
            extra = f" eller T1 {y}" if p.code == "T2" else ""
            note = f"Ingen prognos: utfall för {p.code} och bokslut {ly}{extra} saknas."
        if projected is not None:
            capped = _within_unit(projected, str(r["unit"] or ""), value, ly_same, ly_bo, t1)
            if capped != projected:
                bound = "högsta" if capped < projected else "lägsta"
                projected = capped
                note += f" Prognosen är begränsad till {fmt.number(capped, dec)}, det {bound} möjliga värdet."
        st = status(projected, r["annual_target"], r["direction"], r["annual_partial_limit"])
        met = None if st in ("saknas", "ej_malsatt") else st == "uppfyllt"
        rows.append(
            {
                "indicator_id": i,
                "name": r["name"],
                "unit": r["unit"],
                "decimals": r["decimals"],
                "direction": r["direction"],
                "value": value,
                "annual_target": num(r["annual_target"]),
                "annual_partial_limit": num(r["annual_partial_limit"]),
                "projected": projected,
                "status": st,
                "met": met,
                "method": method,
                "note": note,
                "label": LABEL,
            }
        )
    df = frame(rows, PROJECTION_COLUMNS)
    for c in ("value", "annual_target", "annual_partial_limit", "projected"):
        df[c] = df[c].astype("float64")
    return df


def _within_unit(projected: float, unit: str, *seen: float | None) -> float:
    """``projected`` capped to the unit's possible range (0-100 for %, >= 0 for non-negative series)."""
    low = 0.0 if all(v is None or v >= 0 for v in seen) else None
    high = 100.0 if unit.strip() == "%" else None
    if low is not None and projected < low:
        return low
    if high is not None and projected > high:
        return high
    return projected
