"""Economy and personnel on hand-computed data, on every backend."""

from __future__ import annotations

import json
import math

import pytest
from test_figures_data import base, ledger_rows, personnel_rows, write

import ilslib.figures as f
from ilslib.figures.economy import BOOKED_COLUMNS, ECONOMY_COLUMNS


def _ledger(wh) -> None:
    rows = []
    # N1, 2026: income 100.10/month (budget 100), costs 200.25/month (budget 210), all twelve months
    rows += ledger_rows("N1", 2026, range(1, 13), "3010", "intakt", 100.10, 100)
    rows += ledger_rows("N1", 2026, range(1, 13), "4010", "kostnad", 200.25, 210)
    # forecasts: only August's count for T2; July's must be ignored
    for r in rows:
        if r["month"] == "2026-07":
            r["forecast"] = 99999.0
        if r["month"] == "2026-08":
            r["forecast"] = 1250.5 if r["kind"] == "intakt" else 2500.0
    # another year, must not count
    rows += ledger_rows("N1", 2025, range(1, 13), "3010", "intakt", 7777, 1, 5)
    # N2: rows only after T2
    rows += ledger_rows("N2", 2026, range(9, 13), "3010", "intakt", 10, 10, 40)
    # N3: no cost budget (deviation % not computable)
    rows += ledger_rows("N3", 2026, range(1, 9), "3010", "intakt", 50, 40, 0.0)
    rows += ledger_rows("N3", 2026, range(1, 9), "4010", "kostnad", 5, 0)
    # N4: August has rows but no forecast
    rows += ledger_rows("N4", 2026, range(1, 9), "4010", "kostnad", 10, 10)
    write(wh, "ledger", rows)


@pytest.fixture
def ledger(wh):
    base(wh)
    _ledger(wh)
    return wh


def test_economy_hand_computed_t2(ledger):
    row = f.economy(ledger, "2026-T2", "N1").loc["N1"]
    expected = {
        "income": 800.80,
        "costs": 1602.00,
        "net": -801.20,
        "budget_income": 800.0,
        "budget_costs": 1680.0,
        "budget_net": -880.0,
        "deviation": 78.80,
        "forecast_net": -1249.5,
        "forecast_deviation": 70.5,  # -1249.5 - (1200 - 2520)
    }
    for k, v in expected.items():
        assert row[k] == v, k
    assert row["deviation_pct"] == pytest.approx(78.80 / 1680 * 100, rel=1e-12)


def test_economy_columns_are_the_contract_keys_and_how_far_it_is_booked(ledger):
    df = f.economy(ledger, "2026-T2")
    assert list(df.columns) == list(ECONOMY_COLUMNS) + list(BOOKED_COLUMNS)
    assert (df.loc["N1", "booked_through"], df.loc["N1", "booked_months"]) == ("2026-08", 8)
    assert df.index.name == "org_id"
    assert set(df.index) == {"K", "N1", "N2", "N3", "N4", "N5", "N6", "KC", "B1", "E1"}


def test_economy_year_to_date_and_full_year(ledger):
    bo = f.economy(ledger, "2026-BO", "N1").loc["N1"]
    assert (bo["income"], bo["costs"], bo["budget_net"]) == (1201.2, 2403.0, -1320.0)
    assert math.isnan(bo["forecast_net"])  # December has no forecast rows with a value
    t1 = f.economy(ledger, "2026-T1", "N1").loc["N1"]
    assert (t1["income"], t1["costs"]) == (400.4, 801.0)
    assert math.isnan(t1["forecast_net"])


def test_economy_missing_and_not_computable(ledger):
    df = f.economy(ledger, "2026-T2")
    assert df.loc["N2"].isna().all()  # rows only after the period
    assert df.loc["N5"].isna().all()  # no ledger at all
    assert df.loc["N5", "booked_through"] is None
    n3 = df.loc["N3"]
    assert (n3["budget_costs"], n3["deviation"]) == (0.0, 80.0 - 40.0)
    assert math.isnan(n3["deviation_pct"])  # zero denominator
    assert (n3["forecast_net"], n3["forecast_deviation"]) == (0.0, -320.0)
    assert math.isnan(df.loc["N4", "forecast_net"]) and math.isnan(df.loc["N4", "forecast_deviation"])
    assert df.loc["N4", "income"] == 0.0 and df.loc["N4", "net"] == -80.0


def test_economy_budget_period_has_the_plan_only(ledger):
    bu = f.economy(ledger, "2026-BU", "N1").loc["N1"]
    assert (bu["budget_income"], bu["budget_costs"], bu["budget_net"]) == (1200.0, 2520.0, -1320.0)
    assert bu[["income", "costs", "net", "deviation", "deviation_pct", "forecast_net"]].isna().all()


def test_economy_series_cumulative_ends_at_the_period_figure(ledger):
    s = f.economy_series(ledger, "N1", "2026-T2")
    assert s["month"].tolist() == [f"2026-{m:02d}" for m in range(1, 9)]
    assert s["net"].iloc[0] == pytest.approx(-100.15)
    last = s.iloc[-1]
    e = f.economy(ledger, "2026-T2", "N1").loc["N1"]
    assert (last["cum_net"], last["cum_budget_net"], last["cum_income"], last["cum_costs"]) == (
        e["net"],
        e["budget_net"],
        e["income"],
        e["costs"],
    )


def test_accounts_largest_deviation_first_n_in_pandas(ledger):
    write(
        ledger,
        "ledger",
        ledger_rows("N1", 2026, range(1, 9), "5010", "kostnad", 30, 20)
        + ledger_rows("N1", 2026, range(1, 9), "3020", "intakt", 1.5, 1),
    )
    df = f.accounts(ledger, "N1", "2026-T2", n=3)
    assert df["account"].tolist() == ["5010", "4010", "3020"]
    assert df["deviation"].tolist() == [-80.0, 78.0, 4.0]  # costs: budget - outcome
    assert df.loc[0, "deviation_pct"] == -50.0
    assert df.loc[0, "account_name"] == "Konto 5010"
    assert len(f.accounts(ledger, "N1", "2026-T2", n=10)) == 4
    assert f.accounts(ledger, "N1", "2026-BU").empty


@pytest.fixture
def staff(wh):
    base(wh)
    rows = personnel_rows("N1", 2026, {1: (6, 5.5, 1000, 100), **{m: (5, 4.5, 100, 0) for m in range(2, 9)}})
    rows += personnel_rows("N1", 2026, {9: (2, 2.0, 100, 100)})  # after the period
    rows += personnel_rows("N2", 2026, {m: (10, 9.0, 100, 5) for m in range(1, 8)} | {8: (4, 3.5, 80, 8)})
    rows += personnel_rows("N3", 2026, {m: (5, 5.0, 160, 16) for m in range(1, 8)})  # no August row
    rows += personnel_rows("N4", 2026, {7: (4, 4.0, 100, 10), 8: (5, 5.0, 100, 0)})
    write(wh, "personnel", rows)
    return wh


def test_sick_leave_is_a_ratio_of_sums(staff):
    row = f.personnel(staff, "2026-T2", "N1").loc["N1"]
    assert row["sick_leave_pct"] == pytest.approx(100 / 1700 * 100, rel=1e-12)  # not the mean 1.25 %
    assert (int(row["headcount"]), row["fte"], bool(row["suppressed"])) == (5, 4.5, False)


def test_suppression_at_four_not_at_five(staff):
    df = f.personnel(staff, "2026-T2")
    assert bool(df.loc["N2", "suppressed"]) is True and math.isnan(df.loc["N2", "sick_leave_pct"])
    assert int(df.loc["N2", "headcount"]) == 4
    assert bool(df.loc["N4", "suppressed"]) is False  # 4 in July, 5 in the last month
    assert df.loc["N4", "sick_leave_pct"] == 5.0
    # the last month is missing: no figure is published, and it is missing data ("-"), not confidential
    assert bool(df.loc["N3", "suppressed"]) is False and math.isnan(df.loc["N3", "sick_leave_pct"])
    assert bool(df.loc["N5", "suppressed"]) is False and math.isnan(df.loc["N5", "sick_leave_pct"])
    t1 = f.personnel(staff, "2026-T1", "N2").loc["N2"]
    assert bool(t1["suppressed"]) is False and t1["sick_leave_pct"] == 5.0


def test_sick_leave_series_suppresses_small_months(staff):
    s = f.sick_leave_series(staff, "N4", "2026-T2")
    assert s["month"].tolist() == ["2026-07", "2026-08"]
    assert s["suppressed"].tolist() == [True, False]
    assert math.isnan(s.loc[0, "sick_leave_pct"]) and s.loc[1, "sick_leave_pct"] == 0.0
    assert s.loc[1, "cum_sick_leave_pct"] == 5.0
    n1 = f.sick_leave_series(staff, "N1", "2026-T2")
    assert n1.iloc[-1]["cum_sick_leave_pct"] == f.personnel(staff, "2026-T2", "N1").loc["N1", "sick_leave_pct"]


def test_economy_and_personnel_are_json_clean(ledger):
    from ilslib.figures._common import plain

    doc = plain(f.economy(ledger, "2026-T2").reset_index().to_dict("records"))
    json.dumps(doc, allow_nan=False)
