"""Totals over a group of organisations: sums, and ratios recomputed from the sums (never averages of ratios).

Used by the group report's total rows and its ``figures.json``. Both take the
frames :func:`~ilslib.figures.economy` and the personnel figures give per
organisation (index ``org_id``), restricted to the organisations of the group.

- **Economy**: every amount is the sum over the organisations that have it;
  ``deviation_pct`` = total deviation / total budget costs * 100 over the
  organisations with a deviation; ``forecast_deviation`` the sum over the
  organisations with a forecast. ``missing`` names, per figure, the
  organisations left out for lack of data, so a reader knows what a sum covers.
- **Personnel**: headcount and FTE are sums of the last month's values; sick
  leave = all sick hours / all scheduled hours * 100 over the organisations
  whose headcount is known (a small unit's hours count in the total, its own
  percentage stays unpublished); suppressed only when the whole group has fewer
  than five employees.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._common import money, num, ratio
from .economy import ECONOMY_COLUMNS
from .personnel import is_suppressed

AMOUNTS = tuple(c for c in ECONOMY_COLUMNS if c != "deviation_pct")


def economy_total(econ: pd.DataFrame) -> dict[str, Any]:
    """The group's economy: the contract's economy keys summed (``deviation_pct`` from the sums).

    Also ``organisations`` (how many rows) and ``missing`` (figure -> the org ids without it).

    >>> e = pd.DataFrame({"deviation": [10.0, -30.0], "budget_costs": [100.0, 300.0]}, index=["A", "B"])
    >>> economy_total(e)["deviation_pct"]
    -5.0
    """
    out: dict[str, Any] = {}
    missing: dict[str, list[str]] = {}
    for c in AMOUNTS:
        if c not in econ:
            out[c] = None
            continue
        col = pd.to_numeric(econ[c], errors="coerce")
        have = col.notna()
        out[c] = money(col[have].sum()) if have.any() else None
        lacking = [str(o) for o in econ.index[~have]]
        if lacking:
            missing[c] = lacking
    if "deviation" in econ and "budget_costs" in econ:
        dev = pd.to_numeric(econ["deviation"], errors="coerce")
        costs = pd.to_numeric(econ["budget_costs"], errors="coerce")
        both = dev.notna() & costs.notna()
        out["deviation_pct"] = ratio(dev[both].sum(), costs[both].sum()) if both.any() else None
    else:
        out["deviation_pct"] = None
    out["organisations"] = len(econ)
    out["missing"] = missing
    return {k: out[k] for k in (*ECONOMY_COLUMNS, "organisations", "missing")}


def personnel_total(pers: pd.DataFrame) -> dict[str, Any]:
    """The group's personnel: summed headcount and FTE, sick leave as a ratio of the summed hours.

    ``pers`` needs the hour sums of the personnel frame (``sick_hours``,
    ``scheduled_hours``). Keys: ``headcount, fte, sick_leave_pct, suppressed,
    organisations, missing`` (the org ids whose last month is not reported).

    >>> p = pd.DataFrame({"headcount": [3, 40], "fte": [2.5, 36.0], "sick_hours": [10.0, 90.0],
    ...                   "scheduled_hours": [400.0, 1600.0]}, index=["A", "B"])
    >>> t = personnel_total(p); (t["headcount"], t["fte"], t["sick_leave_pct"], t["suppressed"])
    (43, 38.5, 5.0, False)
    """
    head = pd.to_numeric(pers["headcount"], errors="coerce").astype("float64")
    known = head.notna()
    headcount = int(round(head[known].sum())) if known.any() else None
    fte = pd.to_numeric(pers["fte"], errors="coerce").astype("float64")
    sick = pd.to_numeric(pers["sick_hours"], errors="coerce").astype("float64")
    sched = pd.to_numeric(pers["scheduled_hours"], errors="coerce").astype("float64")
    hours = known & sick.notna() & sched.notna()
    suppressed = is_suppressed(headcount)
    pct = None
    if hours.any() and not suppressed:
        pct = ratio(round(float(sick[hours].sum()), 6), round(float(sched[hours].sum()), 6))
    return {
        "headcount": headcount,
        "fte": num(round(float(fte[known & fte.notna()].sum()), 6)) if (known & fte.notna()).any() else None,
        "sick_leave_pct": pct,
        "suppressed": suppressed,
        "organisations": len(pers),
        "missing": [str(o) for o in pers.index[~known]],
    }
