"""The report's frames built without pandas in the loops are the frames pandas built (the figures issue).

The figure functions build their frames column by column, rank one organisation with
plain numbers and read rows with :func:`ilslib.figures._common.records`; each test
compares the result with the pandas formulation it replaced (``to_dict("records")``,
a ranked frame per figure, the periods' frames concatenated), value for value and type
for type, on the demo and on random data with ties, special values and missing values.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest

import ilslib
from ilslib import figures as f
from ilslib.figures._common import records
from ilslib.figures.compare import (
    KEY_FIGURES,
    _selected_row,
    indicator_values,
    key_figure_values,
    ranked_frame,
)
from ilslib.figures.context import ReportContext
from ilslib.figures.indicators import INDICATOR_COLUMNS, indicator_rows
from ilslib.fmt import MISSING, NOT_APPLICABLE
from ilslib.periods import Period


def _typed(rows: list[dict[str, Any]]) -> list[list[tuple[str, str, str]]]:
    """Rows as (column, type, repr): NaN, None and pd.NA, float and numpy.float64 all told apart."""
    return [[(k, type(v).__name__, repr(v)) for k, v in r.items()] for r in rows]


def test_records_are_to_dict_records_for_every_dtype() -> None:
    df = pd.DataFrame(
        {
            "f": [1.5, float("nan"), -0.0],
            "i": np.array([1, 2, 3], dtype="int64"),
            "b": [True, False, True],
            "s": ["Åsa \"'<b>", None, "=1+1"],
            "o": pd.Series([None, 1.5, "x"], dtype=object),
            "n": pd.array([1, None, 3], dtype="Int64"),
            "d": pd.to_datetime(["2026-01-31", None, "2026-08-31"]),
        }
    )
    for frame_ in (df, df.iloc[0:0], df.head(1), df.set_index("s").reset_index(), df[["f"]], df[[]]):
        assert _typed(records(frame_)) == _typed(frame_.to_dict("records"))


@pytest.mark.parametrize("period", ["2026-T2", "2025-BO", "2026-BU"])
def test_records_of_every_context_frame_are_to_dict_records(demo_url: str, period: str) -> None:
    with ilslib.connect(demo_url) as wh:
        ctx = ReportContext(wh, "ALN", period)
        names = ("kind_indicators", "goals", "goal_tree", "history", "activities", "texts", "comparisons", "loads")
        for name in names:
            df = getattr(ctx, name)
            assert _typed(records(df)) == _typed(df.to_dict("records")), name
        for df in (ctx.kind_economy, ctx.kind_personnel):  # indexed by org_id
            assert _typed(records(df.reset_index())) == _typed(df.reset_index().to_dict("records"))


def _reference_row(orgs: pd.DataFrame, *args: Any) -> dict[str, Any]:
    """The organisation's row of the ranked frame of every organisation (how comparisons were made)."""
    df = ranked_frame(orgs, *args)
    r = df[df["selected"]].iloc[0]
    return {c: r[c] for c in ("value", "special", "rank", "ranked", "colour", "status")}


def _same(a: Any, b: Any) -> bool:
    """The same value of the same kind: NA, None and NaN told apart; an int rank equals a NumPy int rank."""
    if a is pd.NA or b is pd.NA or a is None or b is None:
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return bool(a == b)


def test_one_organisations_rank_is_its_row_of_the_ranked_frame_on_random_data() -> None:
    rnd = random.Random(15)
    for case in range(1500):
        n = rnd.randint(1, 14)
        orgs = pd.DataFrame({"org_id": [f"O{i}" for i in range(n)], "name": [f"Org {i}" for i in range(n)]})
        pool = [rnd.choice([0.0, -0.0, 1.0, 1.05, 1.049, 1.15, 2.5, -3.25, 100.0, 4.94, 5.04]) for _ in range(4)]
        values: dict[str, float | None] = {}
        special: dict[str, str | None] = {}
        status: dict[str, Any] = {}
        for o in orgs["org_id"]:
            k = rnd.random()
            if k < 0.1:
                continue  # not in the figure at all: the absent special value
            if k < 0.2:
                values[o], special[o] = None, rnd.choice([None, "..", "-", "."])
                continue
            values[o] = float("inf") if k < 0.25 else rnd.choice(pool) if rnd.random() < 0.7 else rnd.uniform(-9, 9)
            special[o] = None if rnd.random() < 0.9 else ".."
            if case % 3:
                status[o] = rnd.choice(["uppfyllt", None, float("nan"), "delvis"])
            else:
                status[o] = None if case % 2 else float("nan")
        direction = rnd.choice(["higher", "lower"])
        decimals = rnd.choice([0, 1, 2])
        org = rnd.choice(list(orgs["org_id"]))
        absent = rnd.choice([MISSING, NOT_APPLICABLE])
        args = (values, special, status, direction, org, absent, decimals)
        want = _reference_row(orgs, *args)
        got = _selected_row(list(orgs["org_id"]), *args)
        for c, v in want.items():
            assert _same(v, got[c]), (case, c, v, got[c])


@pytest.mark.parametrize("period", ["2026-T1", "2025-BO", "2026-BU"])
def test_comparisons_are_the_rows_of_the_ranked_frames(demo_url: str, period: str) -> None:
    with ilslib.connect(demo_url) as wh:
        for org in ("ALN", "STADSNAT", "STAD"):
            ctx = ReportContext(wh, org, period)
            rows = []
            for r in ctx.indicators.to_dict("records"):
                vals, spec, st = indicator_values(ctx.kind_indicators, r["indicator_id"])
                args = (vals, spec, st, r["direction"], org, NOT_APPLICABLE, int(r["decimals"]))
                rows.append({"what": r["indicator_id"], **_reference_row(ctx.peers, *args)})
            sources = {"economy": ctx.kind_economy, "personnel": ctx.kind_personnel}
            for fig in KEY_FIGURES.values():
                vals, spec, st = key_figure_values(None, None, "", fig, sources[fig.source])
                args = (vals, spec, st, fig.direction, org, MISSING, fig.decimals)
                rows.append({"what": fig.key, **_reference_row(ctx.peers, *args)})
            want = pd.DataFrame.from_records(rows).astype({"value": "float64", "rank": "Int64"})
            got = ctx.comparisons[list(want.columns)]
            pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_history_is_the_periods_indicator_tables_concatenated(demo_url: str) -> None:
    """Periods where no indicator has a comment and periods where some have: the column is as concat made it."""
    with ilslib.connect(demo_url) as wh:
        for org in ("ALN", "UTN", "STADSNAT", "STAD"):
            got = f.history(wh, org, until="2026-T2")
            found = sorted(
                Period.parse(r[0]) for r in wh.rows("SELECT DISTINCT period FROM v_outcome WHERE org_id = ?", (org,))
            )
            parts = [indicator_rows(wh, p, org_id=org).assign(period=str(p)) for p in found if str(p) <= "2026-T2"]
            columns = ["period", *INDICATOR_COLUMNS]
            want = pd.concat(parts, ignore_index=True).loc[:, columns].reset_index(drop=True)
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            assert _typed(records(got)) == _typed(records(want))


def test_economy_frame_sums_as_pandas_summed(demo_url: str) -> None:
    """Each organisation's figures from arrays equal those computed from its monthly frame with pandas."""
    from ilslib.figures.economy import ECONOMY_COLUMNS, _monthly

    with ilslib.connect(demo_url) as wh:
        for period in ("2026-T1", "2026-T2", "2025-BO", "2026-BU"):
            p = Period.parse(period)
            every = f.economy(wh, period)
            monthly = _monthly(wh, p.year)
            for org, m in monthly.groupby("org_id", sort=False):
                inc, cost = m["kind"] == "intakt", m["kind"] == "kostnad"
                in_period = m["month"] <= p.last_month
                with_outcome = (m["month"] >= p.first_month) & in_period & m["outcome"].notna()
                booked = sorted(set(m.loc[with_outcome, "month"])) if p.has_outcomes else []
                compared = in_period & m["month"].isin(booked) if booked else in_period
                budget_costs = round(float(m.loc[compared & cost, "budget"].sum()), 2) + 0.0
                assert every.loc[org, "budget_costs"] == budget_costs
                if booked:
                    income = round(float(m.loc[compared & inc, "outcome"].sum()), 2) + 0.0
                    assert every.loc[org, "income"] == income
                assert set(every.columns) >= set(ECONOMY_COLUMNS)
