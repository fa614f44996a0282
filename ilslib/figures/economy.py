"""Economy: the budget follow-up, the cumulative monthly series, the accounts that deviate most.

Definitions (``docs/contract.md``, *Economy*): the period's months
are year to date (T1 = January-April, T2 = January-August, BO = the year);
income and costs are sums of ``outcome`` by ``kind``; the budget the same from
``budget``; deviation = net - budget net (positive = better than budget);
deviation % = deviation / budget costs * 100; the full-year forecast is read
from the period's last month only and compared with the budget net of all
twelve months. Amounts are rounded to whole öre (two decimals) after summing,
which removes floating-point noise that differs between database engines.

**Months not yet booked.** ``ledger.outcome`` empty means not booked. A month
is *booked* for an organisation when any of its ledger rows of that month has
an outcome. When some months of the period are not booked (typically its last
months: the books of July and August are closed in September), the outcome is
the sum over the booked months and is compared with the budget of the same
months only: an unbooked month never counts as zero, neither in the outcome
nor in the budget it is compared with. ``booked_through`` is the last booked
month of the period and ``booked_months`` how many of its months are booked;
when every month is booked, ``booked_through`` is the period's last month.
Nothing booked at all: the outcome and the deviation are missing, the budget is
the whole period's, ``booked_through`` is None. This rule is
:func:`booked_months`; every figure here, ``figures.json``, the report's and
the group report's tables and ``report.xlsx`` follow it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..periods import Period
from ..settings import TOP_ACCOUNTS
from ..warehouse import Warehouse
from ._common import frame, money, org_row, placeholders, ratio
from .latest import as_period

#: The columns of :func:`economy`, exactly the output contract's economy keys.
ECONOMY_COLUMNS = (
    "income",
    "costs",
    "net",
    "budget_income",
    "budget_costs",
    "budget_net",
    "deviation",
    "deviation_pct",
    "forecast_net",
    "forecast_deviation",
)

SERIES_COLUMNS = (
    "month",
    "booked",
    "income",
    "costs",
    "net",
    "budget_income",
    "budget_costs",
    "budget_net",
    "cum_income",
    "cum_costs",
    "cum_net",
    "cum_budget_income",
    "cum_budget_costs",
    "cum_budget_net",
)

#: Beside the contract's keys: the last booked month of the period (``YYYY-MM`` or None) and how many of
#: its months are booked (see the module docstring).
BOOKED_COLUMNS = ("booked_through", "booked_months")

ACCOUNT_COLUMNS = ("account", "account_name", "kind", "outcome", "budget", "deviation", "deviation_pct")

# One row per (month, org, kind): the scan follows the covering index
# ix_ledger_period (month, org_id, kind, outcome, budget, forecast), so the
# grouping streams without a sort (measured 4x faster than GROUP BY org_id on
# 10 million rows in SQLite); the few hundred rows are combined in pandas.
_MONTHLY_SQL = """
SELECT month, org_id, kind,
       SUM(outcome) AS outcome, SUM(budget) AS budget,
       SUM(forecast) AS forecast, COUNT(forecast) AS n_forecast
FROM v_ledger
WHERE month >= ? AND month <= ?{org_filter}
GROUP BY month, org_id, kind
"""


def _monthly(wh: Warehouse, year: int, org_id: str | None = None, kinds: list[str] | None = None) -> pd.DataFrame:
    """Per month, organisation and kind of the year: sums of outcome, budget, forecast."""
    params: list[object] = [f"{year}-01", f"{year}-12"]
    org_filter = ""
    if org_id is not None:
        org_filter = " AND org_id = ?"
        params.append(org_id)
    elif kinds is not None:
        org_filter = f" AND org_id IN (SELECT org_id FROM v_organisation WHERE kind IN ({placeholders(kinds)}))"
        params += kinds
    df = wh.query(_MONTHLY_SQL.format(org_filter=org_filter), params)
    for c in ("outcome", "budget", "forecast"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["n_forecast"] = pd.to_numeric(df["n_forecast"]).fillna(0).astype("int64")
    return df


def _booked(m: pd.DataFrame, p: Period) -> list[str]:
    """The booked months of the period in monthly sums of one organisation (any row with an outcome), in order."""
    if m.empty:
        return []
    in_period = (m["month"] >= p.first_month) & (m["month"] <= p.last_month)
    return sorted({str(x) for x in m.loc[in_period & m["outcome"].notna(), "month"]})


def booked_months(wh: Warehouse, org_id: str, period: str | Period) -> list[str]:
    """The months of the period booked for the organisation (``YYYY-MM``, in order); see the module docstring.

    A month is booked when any ledger row of the organisation for that month has
    an outcome; an empty ``outcome`` is a month not yet booked, never a zero.

    >>> f.booked_months(wh, "ALN", "2026-T2")[-1]
    '2026-08'
    """
    p = as_period(wh, period)
    org_row(wh, org_id)
    if not p.has_outcomes:
        return []
    return _booked(_monthly(wh, p.year, org_id), p)


def partly_booked(econ: Mapping[str, Any] | pd.Series, period: str | Period) -> bool:
    """True when an economy row has booked months, but not every month of the period (see the module docstring).

    >>> partly_booked({"booked_through": "2026-06", "booked_months": 6}, "2026-T2")
    True
    >>> partly_booked({"booked_through": "2026-08", "booked_months": 8}, "2026-T2"), partly_booked({}, "2026-T2")
    (False, False)
    """
    p = period if isinstance(period, Period) else Period.parse(str(period))
    n = econ.get("booked_months")
    if not p.has_outcomes or n is None or n != n or not econ.get("booked_through"):
        return False
    return int(n) < p.last_month_number


def _nansum(values: np.ndarray) -> float:
    """``Series.sum()`` of float64 values: NaN skipped (counted as 0), NumPy's pairwise summation, 0 when empty.

    The same operation pandas does (``nanops.nansum``), so that a figure computed
    from arrays is the very float it was when computed from a frame.
    """
    return float(np.where(np.isnan(values), 0.0, values).sum())


def _economy_row(m: pd.DataFrame, p: Period) -> dict[str, object]:
    """The contract's economy figures for one organisation from its monthly sums, and how far it is booked."""
    return _economy_values(_Monthly.of(m), p)


class _Monthly:
    """One organisation's monthly sums (:func:`_monthly`) as NumPy arrays, in the frame's row order."""

    __slots__ = ("month", "intakt", "kostnad", "outcome", "budget", "forecast", "n_forecast")

    def __init__(
        self,
        month: np.ndarray,
        kind: np.ndarray,
        outcome: np.ndarray,
        budget: np.ndarray,
        forecast: np.ndarray,
        n_forecast: np.ndarray,
    ) -> None:
        self.month = month
        self.intakt = kind == "intakt"
        self.kostnad = kind == "kostnad"
        self.outcome, self.budget, self.forecast, self.n_forecast = outcome, budget, forecast, n_forecast

    @classmethod
    def of(cls, m: pd.DataFrame) -> _Monthly:
        """From a frame of :func:`_monthly` (or a part of it)."""
        return cls(
            # a missing month compares as the frame's NaN did: after every month, never equal to one
            np.array([x if isinstance(x, str) else "\uffff" for x in m["month"].tolist()], dtype=object),
            np.array([x if isinstance(x, str) else None for x in m["kind"].tolist()], dtype=object),
            m["outcome"].to_numpy(dtype="float64"),
            m["budget"].to_numpy(dtype="float64"),
            m["forecast"].to_numpy(dtype="float64"),
            m["n_forecast"].to_numpy(dtype="int64"),
        )

    def take(self, rows: np.ndarray) -> _Monthly:
        """The rows ``rows`` (indices, in order)."""
        out = object.__new__(_Monthly)
        for name in self.__slots__:
            setattr(out, name, getattr(self, name)[rows])
        return out


def _economy_values(m: _Monthly, p: Period) -> dict[str, object]:
    """:func:`_economy_row` from arrays (the same operations, without a frame per organisation)."""
    out: dict[str, object] = dict.fromkeys(ECONOMY_COLUMNS + BOOKED_COLUMNS)
    if not len(m.month):
        return out
    inc, cost = m.intakt, m.kostnad
    in_period = m.month <= p.last_month
    last = m.month == p.last_month

    def total(values: np.ndarray, mask: np.ndarray) -> float:
        return _nansum(values[mask])  # NaN skipped; an empty sum is 0

    if p.has_outcomes:  # the booked months of the period: any row with an outcome (as _booked)
        with_outcome = (m.month >= p.first_month) & in_period & ~np.isnan(m.outcome)
        booked = sorted({str(x) for x in m.month[with_outcome]})
    else:
        booked = []
    # Outcome against the budget of the same months: the booked ones (all of the period's when none is).
    compared = in_period & np.isin(m.month, booked) if booked else in_period
    out["budget_income"] = money(total(m.budget, compared & inc))
    out["budget_costs"] = money(total(m.budget, compared & cost))
    out["budget_net"] = budget_net = money(total(m.budget, compared & inc) - total(m.budget, compared & cost))
    if not p.has_outcomes:  # the budget period: the plan only
        return out
    out["booked_months"] = len(booked)
    if booked:  # nothing booked yet: missing, not 0
        income, costs = total(m.outcome, compared & inc), total(m.outcome, compared & cost)
        net = money(income - costs)
        out["income"], out["costs"], out["net"] = money(income), money(costs), net
        out["deviation"] = None if net is None or budget_net is None else money(net - budget_net)
        out["deviation_pct"] = ratio(out["deviation"], out["budget_costs"])
        out["booked_through"] = booked[-1]
    elif not in_period.any():
        out["budget_income"] = out["budget_costs"] = out["budget_net"] = None
        out["booked_months"] = None
    if int(m.n_forecast[last].sum()) > 0:
        forecast_net = total(m.forecast, last & inc) - total(m.forecast, last & cost)
        year_budget_net = total(m.budget, inc) - total(m.budget, cost)
        out["forecast_net"] = money(forecast_net)
        out["forecast_deviation"] = money(forecast_net - year_budget_net)
    return out


def economy(wh: Warehouse, period: str | Period, org_id: str | None = None, kind: str | None = None) -> pd.DataFrame:
    """The budget follow-up per organisation for a period.

    One row per organisation (every organisation when ``org_id`` is None, those
    of one kind with ``kind``: only their ledger is read),
    indexed by ``org_id``; the columns are exactly the output contract's
    economy keys: ``income, costs, net, budget_income, budget_costs,
    budget_net`` (sums over the period's booked months, kronor), ``deviation`` (net -
    budget net; positive is better than budget), ``deviation_pct`` (deviation /
    budget costs * 100), ``forecast_net`` (full-year forecast net from the
    period's last month; NaN when that month has no forecast) and
    ``forecast_deviation`` (forecast net - budget net of all twelve months);
    then ``booked_through`` (the last booked month, ``YYYY-MM``, or None) and
    ``booked_months`` (how many of the period's months are booked): the outcome
    is compared with the budget of the booked months only (module docstring).
    A figure that cannot be computed is NaN (``null`` in figures.json): an
    organisation without ledger rows in the period, a zero budget cost. In
    ``YYYY-BU`` only the budget of the year is given.

    >>> e = f.economy(wh, "2026-T2", "ALN")
    >>> e.index.name, e.columns.tolist()[:3], e.columns.tolist()[-3:]
    ('org_id', ['income', 'costs', 'net'], ['forecast_deviation', 'booked_through', 'booked_months'])
    >>> every = f.economy(wh, "2026-T2")                        # all organisations, one query
    """
    p = as_period(wh, period)
    if org_id is not None:
        org_row(wh, org_id)
    if kind is not None:
        from .orgs import check_kind

        return economy_frame(wh, p, org_id, [check_kind(kind)])
    return economy_frame(wh, p, org_id)


def economy_frame(wh: Warehouse, p: Period, org_id: str | None = None, kinds: list[str] | None = None) -> pd.DataFrame:
    """:func:`economy` for one organisation, the organisations of some kinds, or all (internal)."""
    if org_id is not None:
        orgs = [org_id]
    elif kinds is not None:
        orgs = [
            r[0] for r in wh.rows(f"SELECT org_id FROM v_organisation WHERE kind IN ({placeholders(kinds)})", kinds)
        ]
    else:
        orgs = [r[0] for r in wh.rows("SELECT org_id FROM v_organisation")]
    monthly = _monthly(wh, p.year, org_id, kinds)
    every = _Monthly.of(monthly)
    # each organisation's rows, in the frame's order (as groupby(sort=False) gives them)
    rows_of: dict[str, list[int]] = {}
    for i, o in enumerate(monthly["org_id"].tolist()):
        if isinstance(o, str):  # groupby left out a missing key
            rows_of.setdefault(o, []).append(i)
    orgs = sorted(set(orgs) | set(rows_of))
    nothing = np.arange(0)
    rows = [_economy_values(every.take(np.asarray(rows_of.get(o, nothing), dtype=np.intp)), p) for o in orgs]
    # column by column, in the order of ECONOMY_COLUMNS + BOOKED_COLUMNS: one float block, missing as NaN,
    # booked_through as text or None
    index = pd.Index(orgs, name="org_id")
    data: dict[str, Any] = {}
    for c in (*ECONOMY_COLUMNS, *BOOKED_COLUMNS):
        if c == "booked_through":  # a Series of dtype object: a plain array would be inferred as str (NaN)
            data[c] = pd.Series([r[c] for r in rows], index=index, dtype=object)
        else:
            data[c] = np.array([np.nan if r[c] is None else r[c] for r in rows], dtype="float64")
    return pd.DataFrame(data, index=index)


def economy_series(wh: Warehouse, org_id: str, period: str | Period) -> pd.DataFrame:
    """Month by month for a chart: outcome and budget (income, costs, net) and their cumulative sums.

    Columns: ``month`` (``YYYY-MM``), ``booked`` (True when the month is booked),
    ``income, costs, net, budget_income, budget_costs, budget_net`` (the month's
    sums) and the same with a ``cum_`` prefix (year to date). One row per month
    of the period that has ledger rows. A month not yet booked has no outcome
    (NaN, never 0) and no cumulative outcome; the budget goes on. In
    ``YYYY-BU`` the twelve budget months, outcome columns NaN. The cumulative
    values of the last booked month equal :func:`economy` for the period when
    no month before it is unbooked.

    >>> s = f.economy_series(wh, "ALN", "2026-T2")
    >>> s["month"].iloc[-1], bool(s["cum_net"].iloc[-1] == f.economy(wh, "2026-T2", "ALN").loc["ALN", "net"])
    ('2026-08', True)
    >>> s.plot(x="month", y=["cum_net", "cum_budget_net"])      # doctest: +SKIP
    """
    p = as_period(wh, period)
    org_row(wh, org_id)
    m = _monthly(wh, p.year, org_id)
    m = m[m["month"] <= p.last_month]
    if m.empty:
        return frame([], SERIES_COLUMNS)
    booked = set(_booked(m, p)) if p.has_outcomes else set()
    months = sorted({str(x) for x in m["month"].tolist()})
    at = {mo: i for i, mo in enumerate(months)}
    # The month's sum of each kind (one row per month and kind): as pivot_table(aggfunc="sum", fill_value=0)
    # gave it, a sum that starts at 0.0, so a missing or NaN sum is 0.0 and -0.0 becomes 0.0.
    sums = {key: np.zeros(len(months)) for key in ("income", "costs", "budget_income", "budget_costs")}
    for month, kind, outcome, budget in zip(
        *(m[c].tolist() for c in ("month", "kind", "outcome", "budget")), strict=True
    ):
        name = {"intakt": "income", "kostnad": "costs"}.get(kind)
        if name is None:
            continue
        i = at[str(month)]
        for prefix, x in (("", outcome), ("budget_", budget)):
            if x == x:  # not NaN
                sums[prefix + name][i] += x
    unbooked = np.array([mo not in booked for mo in months], dtype=bool)
    cols: dict[str, np.ndarray] = {}
    for prefix in ("", "budget_"):
        cols[prefix + "income"] = sums[prefix + "income"]
        cols[prefix + "costs"] = sums[prefix + "costs"]
        cols[prefix + "net"] = sums[prefix + "income"] - sums[prefix + "costs"]
    for c in ("income", "costs", "net"):
        cols[c] = np.where(unbooked, np.nan, cols[c])  # not booked: missing, not 0
    for c in list(cols):
        x = cols[c]
        # cumsum() skipping NaN, as pandas does it: NaN counted as 0, then NaN again where it was
        cum = np.cumsum(np.where(np.isnan(x), 0.0, x))
        cols["cum_" + c] = np.where(np.isnan(x), np.nan, cum)
    for c in ("cum_income", "cum_costs", "cum_net"):
        cols[c] = np.where(unbooked, np.nan, cols[c])
    data: dict[str, Any] = {"month": months, "booked": ~unbooked}
    data.update({c: np.round(x, 2) for c, x in cols.items()})
    return pd.DataFrame({c: data[c] for c in SERIES_COLUMNS})


def accounts(wh: Warehouse, org_id: str, period: str | Period, n: int = TOP_ACCOUNTS) -> pd.DataFrame:
    """The ``n`` accounts with the largest budget deviation (by absolute value) in the period.

    Columns: ``account, account_name, kind`` (``intakt``/``kostnad``),
    ``outcome, budget`` (sums over the period's months), ``deviation`` (the
    effect on the net: outcome - budget for income, budget - outcome for costs,
    so positive is better than budget, as for :func:`economy`) and
    ``deviation_pct`` (deviation / budget * 100; NaN for a zero budget).
    Largest absolute deviation first; ties by account. Only the booked months
    count (:func:`booked_months`): a month not yet booked is left out of both
    outcome and budget. Empty in ``YYYY-BU`` and when nothing is booked.

    >>> a = f.accounts(wh, "ALN", "2026-T2", n=3)
    >>> len(a), a.columns.tolist()[:3]
    (3, ['account', 'account_name', 'kind'])
    """
    p = as_period(wh, period)
    org_row(wh, org_id)
    if n < 0:
        raise ValueError(f"n must be zero or positive, got {n}")
    if not p.has_outcomes:
        return frame([], ACCOUNT_COLUMNS)
    booked = _booked(_monthly(wh, p.year, org_id), p)
    if not booked:
        return frame([], ACCOUNT_COLUMNS)
    df = wh.query(
        f"""
        SELECT account, MAX(account_name) AS account_name, kind,
               SUM(outcome) AS outcome, SUM(budget) AS budget
        FROM v_ledger
        WHERE org_id = ? AND month IN ({placeholders(booked)})
        GROUP BY account, kind
        """,
        (org_id, *booked),
    )
    if df.empty:
        return frame([], ACCOUNT_COLUMNS)
    df["outcome"] = df["outcome"].astype("float64").round(2)
    df["budget"] = df["budget"].astype("float64").round(2)
    sign = df["kind"].map({"intakt": 1.0, "kostnad": -1.0})
    df["deviation"] = ((df["outcome"] - df["budget"]) * sign).round(2) + 0.0
    df["deviation_pct"] = [ratio(d, b) for d, b in zip(df["deviation"], df["budget"], strict=True)]
    df["deviation_pct"] = df["deviation_pct"].astype("float64")
    df["_abs"] = df["deviation"].abs()
    df = df.sort_values(["_abs", "account", "kind"], ascending=[False, True, True], kind="mergesort")
    return frame(df.head(n), ACCOUNT_COLUMNS)
