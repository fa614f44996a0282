"""Personnel: headcount and FTE, sick leave as a ratio of sums, suppressed for small units.

Definitions (``docs/contract.md``, *Personnel*): headcount and FTE
are the values of the period's last month; sick leave (%) = sum(sick_hours) /
sum(scheduled_hours) * 100 over the period's months, never a mean of monthly
percentages; when the last month's headcount is below
``settings.SUPPRESS_BELOW_HEADCOUNT`` (5) sick leave is not published: NaN
with ``suppressed`` True (shown as ``..``). When the period has personnel rows
but none for its last month, the period is incomplete and the headcount
unknown: sick leave is missing (NaN, shown as ``-``), not suppressed; no
number is published either way, so a small unit is not exposed by the gap.
"""

from __future__ import annotations

import pandas as pd

from .. import settings
from ..periods import Period
from ..warehouse import Warehouse
from ._common import frame, num, org_row, placeholders, ratio, records
from .latest import as_period

PERSONNEL_COLUMNS = ("headcount", "fte", "sick_leave_pct", "suppressed")
FRAME_COLUMNS = (*PERSONNEL_COLUMNS, "sick_hours", "scheduled_hours")
SERIES_COLUMNS = ("month", "headcount", "fte", "sick_leave_pct", "cum_sick_leave_pct", "suppressed")


def _hours(x: object) -> float | None:
    f = num(x)
    return None if f is None else round(f, 6)  # removes summation noise that differs between engines


def is_suppressed(headcount: object) -> bool:
    """True when sick leave may not be published for a unit of this headcount.

    An unknown headcount (no data for the period's last month) is not a
    suppression but missing data: sick leave is then null and shown as ``-``.

    >>> is_suppressed(4), is_suppressed(5), is_suppressed(None)
    (True, False, False)
    """
    h = num(headcount)
    return h is not None and h < settings.SUPPRESS_BELOW_HEADCOUNT


def personnel(wh: Warehouse, period: str | Period, org_id: str | None = None) -> pd.DataFrame:
    """Headcount, FTE and sick leave per organisation for a period.

    One row per organisation (every organisation when ``org_id`` is None),
    indexed by ``org_id``. Columns: ``headcount`` (``Int64``) and ``fte`` of the
    period's last month; ``sick_leave_pct`` = sum(sick) / sum(scheduled) * 100
    over the period's months; ``suppressed`` (bool) when sick leave is not
    published because the last month's headcount is below 5 (then
    ``sick_leave_pct`` is NaN). No rows in the period: NaN, not suppressed.
    NaN throughout for ``YYYY-BU``.

    >>> f.personnel(wh, "2026-T2", "ALN").columns.tolist()
    ['headcount', 'fte', 'sick_leave_pct', 'suppressed']
    """
    p = as_period(wh, period)
    if org_id is not None:
        org_row(wh, org_id)
    return personnel_frame(wh, p, org_id)[list(PERSONNEL_COLUMNS)]


def personnel_frame(
    wh: Warehouse, p: Period, org_id: str | None = None, kinds: list[str] | None = None
) -> pd.DataFrame:
    """:func:`personnel` for one organisation, the organisations of some kinds, or all (internal).

    Also the period's hour sums ``sick_hours`` and ``scheduled_hours`` (None where the headcount
    of the last month is unknown), which :func:`personnel_total` adds up.
    """
    params: list[object] = [p.last_month, p.last_month, p.first_month, p.last_month]
    org_filter = ""
    if org_id is not None:
        org_filter = " AND org_id = ?"
        params.append(org_id)
        orgs = [org_id]
    elif kinds is not None:
        org_filter = f" AND org_id IN (SELECT org_id FROM v_organisation WHERE kind IN ({placeholders(kinds)}))"
        params += kinds
        orgs = [
            r[0] for r in wh.rows(f"SELECT org_id FROM v_organisation WHERE kind IN ({placeholders(kinds)})", kinds)
        ]
    else:
        orgs = [r[0] for r in wh.rows("SELECT org_id FROM v_organisation")]
    raw = pd.DataFrame(columns=["org_id"])
    if p.has_outcomes:
        raw = wh.query(
            f"""
            SELECT org_id,
                   MAX(CASE WHEN month = ? THEN headcount END) AS headcount,
                   MAX(CASE WHEN month = ? THEN fte END) AS fte,
                   SUM(sick_hours) AS sick, SUM(scheduled_hours) AS scheduled
            FROM v_personnel
            WHERE month >= ? AND month <= ?{org_filter}
            GROUP BY org_id
            """,
            params,
        )
    found = {r["org_id"]: r for r in records(raw)}
    orgs = sorted(set(orgs) | set(found))
    rows: list[dict[str, object]] = []
    for o in orgs:
        r = found.get(o)
        if r is None:
            rows.append({"headcount": None, "fte": None, "sick_leave_pct": None, "suppressed": False})
            continue
        suppressed = is_suppressed(r["headcount"])
        # Without the last month the period is incomplete (and the unit's size unknown): no figure.
        known = num(r["headcount"]) is not None
        pct = ratio(_hours(r["sick"]), _hours(r["scheduled"])) if known else None
        rows.append(
            {
                "headcount": num(r["headcount"]),
                "fte": num(r["fte"]),
                "sick_leave_pct": None if suppressed else pct,
                "suppressed": suppressed,
                "sick_hours": _hours(r["sick"]) if known else None,
                "scheduled_hours": _hours(r["scheduled"]) if known else None,
            }
        )
    df = pd.DataFrame.from_records(rows, columns=list(FRAME_COLUMNS), index=pd.Index(orgs, name="org_id"))
    df["sick_hours"] = df["sick_hours"].astype("float64")
    df["scheduled_hours"] = df["scheduled_hours"].astype("float64")
    df["headcount"] = pd.to_numeric(df["headcount"]).round().astype("Int64")
    df["fte"] = df["fte"].astype("float64")
    df["sick_leave_pct"] = df["sick_leave_pct"].astype("float64")
    df["suppressed"] = df["suppressed"].astype(bool)
    return df


def sick_leave_series(
    wh: Warehouse, org_id: str, period: str | Period, *, first_month: str | None = None
) -> pd.DataFrame:
    """Sick leave month by month for a trend chart, with the same suppression rule.

    Columns: ``month``, ``headcount``, ``fte``, ``sick_leave_pct`` (that
    month), ``cum_sick_leave_pct`` (ratio of sums from the first month shown
    to this month; the last row equals :func:`personnel` when the series
    starts in January) and ``suppressed`` (that month's headcount is below 5:
    both percentages NaN). From ``first_month`` (default the period's first
    month, ``YYYY-01``; give e.g. ``"2024-01"`` for a longer trend) to the
    period's last month.

    >>> s = f.sick_leave_series(wh, "ALN", "2026-T2")
    >>> s["month"].tolist()[:2], len(s)
    (['2026-01', '2026-02'], 8)
    >>> s.plot(x="month", y="sick_leave_pct")     # doctest: +SKIP
    """
    p = as_period(wh, period)
    org_row(wh, org_id)
    start = first_month or p.first_month
    df = wh.query(
        "SELECT month, headcount, fte, sick_hours, scheduled_hours FROM v_personnel "
        "WHERE org_id = ? AND month >= ? AND month <= ?",
        (org_id, start, p.last_month),
    )
    if df.empty:
        return frame([], SERIES_COLUMNS)
    df = df.sort_values("month").reset_index(drop=True)
    sick = pd.to_numeric(df["sick_hours"]).astype("float64")
    sched = pd.to_numeric(df["scheduled_hours"]).astype("float64")
    cum_sick, cum_sched = sick.cumsum(), sched.cumsum()
    rows = []
    for i, r in enumerate(df.to_dict("records")):  # the index is reset above: i is the row's label in sick
        suppressed = is_suppressed(r["headcount"])
        rows.append(
            {
                "month": r["month"],
                "headcount": num(r["headcount"]),
                "fte": num(r["fte"]),
                "sick_leave_pct": None if suppressed else ratio(_hours(sick[i]), _hours(sched[i])),
                "cum_sick_leave_pct": None if suppressed else ratio(_hours(cum_sick[i]), _hours(cum_sched[i])),
                "suppressed": suppressed,
            }
        )
    out = frame(rows, SERIES_COLUMNS)
    out["headcount"] = pd.to_numeric(out["headcount"]).round().astype("Int64")
    for c in ("fte", "sick_leave_pct", "cum_sick_leave_pct"):
        out[c] = out[c].astype("float64")
    out["suppressed"] = out["suppressed"].astype(bool)
    return out
