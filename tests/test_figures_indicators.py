"""The indicator table on every backend: statuses, targets that apply, periods, genders, last year."""

from __future__ import annotations

import math

import pytest
from test_figures_data import base, indicator, outcome, target

import ilslib.figures as f
from ilslib import settings
from ilslib.errors import UnknownValueError

# case id, direction, target, partial_limit, value, expected status (annual target, period 2026-BO)
STATUS_CASES = [
    ("h_eq_target", "higher", 80, None, 80, "uppfyllt"),
    ("h_above", "higher", 80, None, 95.5, "uppfyllt"),
    ("h_just_below", "higher", 80, None, 79.99, "delvis"),
    ("h_eq_default_limit", "higher", 80, None, 72, "delvis"),
    ("h_below_default_limit", "higher", 80, None, 71.99, "ej_uppfyllt"),
    ("h_eq_explicit_limit", "higher", 80, 75, 75, "delvis"),
    ("h_below_explicit_limit", "higher", 80, 75, 74.99, "ej_uppfyllt"),
    ("l_eq_target", "lower", 5, None, 5, "uppfyllt"),
    ("l_better", "lower", 5, None, 1, "uppfyllt"),
    ("l_eq_default_limit", "lower", 5, None, 5.5, "delvis"),
    ("l_over_default_limit", "lower", 5, None, 5.51, "ej_uppfyllt"),
    ("l_eq_explicit_limit", "lower", 5, 6, 6, "delvis"),
    ("l_over_explicit_limit", "lower", 5, 6, 6.01, "ej_uppfyllt"),
    ("h_zero_target_met", "higher", 0, None, 0, "uppfyllt"),
    ("h_zero_target_below", "higher", 0, None, -0.001, "ej_uppfyllt"),
    ("l_zero_target_met", "lower", 0, None, 0, "uppfyllt"),
    ("l_zero_target_over", "lower", 0, None, 0.0001, "ej_uppfyllt"),
    ("l_zero_target_explicit", "lower", 0, 2, 2, "delvis"),
    ("h_negative_target_met", "higher", -10, None, -9, "uppfyllt"),
    ("h_negative_eq_limit", "higher", -10, None, -11, "delvis"),
    ("h_negative_below_limit", "higher", -10, None, -11.01, "ej_uppfyllt"),
    ("l_negative_met", "lower", -10, None, -10, "uppfyllt"),
    ("l_negative_eq_limit", "lower", -10, None, -9, "delvis"),
    ("l_negative_over_limit", "lower", -10, None, -8.99, "ej_uppfyllt"),
    ("h_decimal_limit", "higher", 0.3, None, 0.27, "delvis"),
    ("l_decimal_limit", "lower", 0.3, None, 0.33, "delvis"),
    ("h_missing_value", "higher", 80, None, None, "saknas"),
]


@pytest.fixture
def cases(wh):
    base(wh)
    for cid, direction, tgt, partial, value, _ in STATUS_CASES:
        indicator(wh, cid, direction, frequency="annual")
        target(wh, "N1", cid, 2026, tgt, partial_limit=partial)
        outcome(wh, "N1", cid, "2026-BO", value)
    return wh


def test_status_table_both_directions_and_exact_boundaries(cases):
    df = f.indicators(cases, "N1", "2026-BO").set_index("indicator_id")
    got = {cid: df.at[cid, "status"] for cid, *_ in STATUS_CASES}
    assert got == {cid: expected for cid, *_, expected in STATUS_CASES}


def test_partial_limit_default_band_and_explicit(cases):
    df = f.indicators(cases, "N1", "2026-BO").set_index("indicator_id")
    assert df.at["h_eq_target", "partial_limit"] == 72.0
    assert bool(df.at["h_eq_target", "partial_limit_default"]) is True
    assert df.at["h_eq_explicit_limit", "partial_limit"] == 75.0
    assert bool(df.at["h_eq_explicit_limit", "partial_limit_default"]) is False
    assert df.at["l_eq_target", "partial_limit"] == 5.5
    assert df.at["h_negative_target_met", "partial_limit"] == -11.0
    assert df.at["l_negative_met", "partial_limit"] == -9.0
    assert df.at["l_zero_target_met", "partial_limit"] == 0.0
    assert df.at["h_decimal_limit", "partial_limit"] == 0.27


def test_default_band_comes_from_settings(cases, monkeypatch):
    monkeypatch.setattr(settings, "PARTIAL_BAND_PCT", 20.0)
    df = f.indicators(cases, "N1", "2026-BO").set_index("indicator_id")
    assert df.at["h_below_default_limit", "status"] == "delvis"  # 71.99 >= 64
    assert df.at["h_eq_target", "partial_limit"] == 64.0


def test_missing_outcome_and_missing_target(wh):
    base(wh)
    indicator(wh, "NOVAL", frequency="annual")
    indicator(wh, "NOROW", frequency="annual")
    indicator(wh, "NOTGT", frequency="annual")
    target(wh, "N1", "NOVAL", 2026, 10)
    target(wh, "N1", "NOROW", 2026, 10)
    outcome(wh, "N1", "NOVAL", "2026-BO", None)
    outcome(wh, "N1", "NOTGT", "2026-BO", 12)
    df = f.indicators(wh, "N1", "2026-BO").set_index("indicator_id")
    assert df.at["NOVAL", "status"] == "saknas"
    assert df.at["NOROW", "status"] == "saknas"
    assert df.at["NOTGT", "status"] == "ej_malsatt"
    assert math.isnan(df.at["NOTGT", "target"]) and math.isnan(df.at["NOTGT", "partial_limit"])
    assert df.at["NOTGT", "value"] == 12.0


@pytest.fixture
def periods(wh):
    """Tertial and annual indicators with annual, tertial and BO target rows."""
    base(wh)
    indicator(wh, "TER", "higher", "tertial")
    indicator(wh, "ANN", "higher", "annual")
    indicator(wh, "LOW", "lower", "tertial")
    # TER: annual 80, T1 target 60 (partial 50), BO target 85, goal links
    target(wh, "N1", "TER", 2026, 80, goal_id="N1G1")
    target(wh, "N1", "TER", 2026, 60, "T1", partial_limit=50, goal_id="N1G1")
    target(wh, "N1", "TER", 2026, 85, "BO", goal_id="N1G1")
    target(wh, "N1", "ANN", 2026, 10, goal_id="N1G2")
    target(wh, "N1", "LOW", 2026, 5, "T2", goal_id="KF1")
    for p, v in (("2026-T1", 55), ("2026-T2", 79), ("2026-BO", 84), ("2025-T1", 40), ("2025-BO", 70)):
        outcome(wh, "N1", "TER", p, v)
    outcome(wh, "N1", "ANN", "2026-BO", 10)
    outcome(wh, "N1", "ANN", "2026-T2", 3)  # an annual indicator's stray tertial value is not followed up
    outcome(wh, "N1", "LOW", "2026-T1", 6)
    outcome(wh, "N1", "LOW", "2026-T2", 5.5)
    return wh


def test_tertial_target_over_annual(periods):
    t1 = f.indicators(periods, "N1", "2026-T1").set_index("indicator_id")
    assert (t1.at["TER", "target"], t1.at["TER", "target_type"], t1.at["TER", "partial_limit"]) == (60.0, "T1", 50.0)
    assert t1.at["TER", "status"] == "delvis"  # 55 >= 50, explicit limit of the tertial row
    assert (t1.at["TER", "annual_target"], t1.at["TER", "annual_partial_limit"]) == (85.0, 76.5)
    t2 = f.indicators(periods, "N1", "2026-T2").set_index("indicator_id")
    assert (t2.at["TER", "target"], t2.at["TER", "target_type"], t2.at["TER", "partial_limit"]) == (
        80.0,
        "annual",
        72.0,
    )
    assert t2.at["TER", "status"] == "delvis"
    # LOW has a T2 target only: T1 has no target that applies
    assert t1.at["LOW", "status"] == "ej_malsatt"
    assert (t2.at["LOW", "target"], t2.at["LOW", "status"]) == (5.0, "delvis")


def test_bo_target_row_over_annual(periods):
    bo = f.indicators(periods, "N1", "2026-BO").set_index("indicator_id")
    assert (bo.at["TER", "target"], bo.at["TER", "target_type"]) == (85.0, "BO")
    assert bo.at["TER", "status"] == "delvis"  # 84 >= 76.5
    assert (bo.at["ANN", "target"], bo.at["ANN", "target_type"], bo.at["ANN", "status"]) == (10.0, "annual", "uppfyllt")


def test_annual_indicators_absent_from_tertial_reports(periods):
    for period in ("2026-T1", "2026-T2"):
        df = f.indicators(periods, "N1", period)
        assert set(df["indicator_id"]) == {"TER", "LOW"}
        assert set(df["frequency"]) == {"tertial"}
    assert set(f.indicators(periods, "N1", "2026-BO")["indicator_id"]) == {"TER", "ANN", "LOW"}


def test_budget_shows_targets_without_statuses(periods):
    bu = f.indicators(periods, "N1", "2026-BU").set_index("indicator_id")
    assert set(bu.index) == {"TER", "ANN", "LOW"}
    assert bu["status"].isna().all() and bu["value"].isna().all()
    assert (bu.at["TER", "target"], bu.at["TER", "target_type"]) == (85.0, "BO")
    assert bu.at["ANN", "target"] == 10.0
    assert math.isnan(bu.at["LOW", "target"])  # only a T2 target


def test_goal_link_last_year_and_change(periods):
    bo = f.indicators(periods, "N1", "2026-BO").set_index("indicator_id")
    assert bo.at["TER", "goal_id"] == "N1G1" and bo.at["ANN", "goal_id"] == "N1G2"
    assert (bo.at["TER", "last_year_value"], bo.at["TER", "change"]) == (70.0, 14.0)
    t1 = f.indicators(periods, "N1", "2026-T1").set_index("indicator_id")
    assert t1.at["TER", "last_year_value"] == 40.0
    assert math.isnan(t1.at["LOW", "last_year_value"]) and math.isnan(t1.at["LOW", "change"])


def test_change_is_exact_on_decimals(wh):
    base(wh)
    indicator(wh, "D", frequency="annual")
    outcome(wh, "N1", "D", "2025-BO", 0.1)
    outcome(wh, "N1", "D", "2026-BO", 0.3)
    row = f.indicators(wh, "N1", "2026-BO").iloc[0]
    assert row["change"] == 0.2


def test_gender_rows_never_affect_the_status(wh):
    base(wh)
    indicator(wh, "G", "higher", "annual")
    indicator(wh, "GONLY", "higher", "annual")
    target(wh, "N1", "G", 2026, 50)
    target(wh, "N1", "GONLY", 2026, 50)
    outcome(wh, "N1", "G", "2026-BO", 50)
    outcome(wh, "N1", "G", "2026-BO", 10, gender="K")  # would be ej_uppfyllt
    outcome(wh, "N1", "G", "2026-BO", 90, gender="M")
    outcome(wh, "N1", "GONLY", "2026-BO", 90, gender="K")  # no total: saknas
    df = f.indicators(wh, "N1", "2026-BO").set_index("indicator_id")
    assert (df.at["G", "status"], df.at["G", "value"], df.at["G", "value_k"], df.at["G", "value_m"]) == (
        "uppfyllt",
        50.0,
        10.0,
        90.0,
    )
    assert df.at["GONLY", "status"] == "saknas" and df.at["GONLY", "value_k"] == 90.0


def test_only_the_organisations_own_rows(periods):
    target(periods, "N2", "ANN", 2026, 99)
    outcome(periods, "N2", "ANN", "2026-BO", 1)
    df = f.indicators(periods, "N1", "2026-BO").set_index("indicator_id")
    assert df.at["ANN", "target"] == 10.0 and df.at["ANN", "value"] == 10.0
    assert f.indicators(periods, "N3", "2026-BO").empty


def test_deviations_lists_not_met_first_with_comments(wh):
    base(wh)
    for i, v in (("A", 80), ("B", 75), ("C", 10)):
        indicator(wh, i, frequency="annual")
        target(wh, "N1", i, 2026, 80)
        outcome(wh, "N1", i, "2026-BO", v, comment=f'Kommentar <b>{i}</b> & "citat"')
    df = f.deviations(wh, "N1", "2026-BO")
    assert df["indicator_id"].tolist() == ["C", "B"]
    assert df["comment"].tolist()[0] == 'Kommentar <b>C</b> & "citat"'


def test_history_over_periods(periods):
    df = f.history(periods, "N1", "TER")
    assert df["period"].tolist() == ["2025-T1", "2025-BO", "2026-T1", "2026-T2", "2026-BO"]
    assert df.set_index("period").at["2026-T1", "target"] == 60.0


def test_unknown_organisation_lists_the_nearest(periods):
    with pytest.raises(UnknownValueError, match=r"unknown organisation 'n1x'.*N1"):
        f.indicators(periods, "n1x", "2026-BO")


def test_malformed_period_is_a_clear_error(periods):
    with pytest.raises(UnknownValueError, match=r"malformed period '2026-T3'.*periods with data: 2026-T"):
        f.indicators(periods, "N1", "2026-T3")


def test_a_year_without_data_is_a_clear_error(periods):
    with pytest.raises(UnknownValueError, match=r"no data for 2062 \(period 2062-T2\); periods with data: 20"):
        f.indicators(periods, "N1", "2062-T2")
    f.indicators(periods, "N1", "2025-T1")  # a year with some data is fine


def test_deviations_is_empty_when_nothing_deviates(periods):
    # pandas 3 gives an empty frame the rows of a Series assigned to it: the deviation table showed
    # a blank row per indicator ("– | - | -") when nothing deviated
    ind = f.indicators(periods, "N1", "2026-T2")
    from ilslib.figures.indicators import deviations_from

    met = ind.assign(status="uppfyllt")
    assert deviations_from(met).empty
    missing = ind.assign(status="saknas", value=float("nan"))
    assert deviations_from(missing).empty
    assert list(deviations_from(met).columns) == list(ind.columns)
