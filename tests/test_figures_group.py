"""Goals and judgements, activities, texts, roll-ups and comparisons, on every backend."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from test_figures_data import scenario

import ilslib.figures as f
from ilslib import store
from ilslib.errors import UnknownValueError
from ilslib.periods import Period


@pytest.fixture
def city(wh):
    scenario(wh)
    return wh


def test_goal_tree_for_a_board(city):
    tree = f.goal_tree(city, "N1", 2026)
    assert tree["goal_id"].tolist() == ["V", "I1", "KF1", "N1G1", "KF2", "N1G2"]
    assert tree["depth"].tolist() == [0, 1, 2, 3, 2, 3]
    assert tree.set_index("goal_id").loc["N1G2", "kf_goal_id"] == "KF2"
    assert tree["own"].tolist() == [False, False, False, True, False, True]
    older = f.goal_tree(city, "N1", 2023)
    assert "KFOLD" in set(older["goal_id"])
    n2 = f.goal_tree(city, "N2", 2026).set_index("goal_id")
    assert (n2.loc["N2G2", "depth"], n2.loc["N2G2", "kf_goal_id"]) == (4, "KF1")


def test_goals_with_judgements_indicator_statuses_and_divergence(city):
    g = f.goals(city, "N1", "2026-BO")
    assert g["goal_id"].tolist() == ["KF1", "N1G1", "N1G2"]
    g = g.set_index("goal_id")
    n1g1 = g.loc["N1G1"]
    assert (n1g1["assessment"], n1g1["indicators"], n1g1["uppfyllt"], n1g1["delvis"], n1g1["ej_uppfyllt"]) == (
        "uppfyllt",
        3,
        0,
        1,
        2,
    )
    assert bool(n1g1["divergence"]) is True
    assert n1g1["divergence_note"] == "Bedömt uppfyllt, men bara 0 av 3 indikatorer är uppfyllda"
    assert n1g1["comment"] == "Vi bedömer att målet är uppfyllt & mer <script>alert(1)</script>"
    assert bool(g.loc["KF1", "divergence"]) is False and g.loc["KF1", "indicators"] == 0
    assert (g.loc["N1G2", "assessment"], bool(g.loc["N1G2", "divergence"])) == ("delvis", False)


@pytest.mark.parametrize(
    "assessment, met, partly, not_met, expected",
    [
        ("uppfyllt", 0, 0, 0, False),  # no indicators with a status
        ("uppfyllt", 1, 0, 1, False),  # half is not most
        ("uppfyllt", 1, 0, 2, True),
        ("uppfyllt", 0, 3, 0, True),  # partly met is not met: most are not met
        ("uppfyllt", 2, 1, 0, False),
        ("uppfyllt", 1, 2, 0, True),
        ("ej_uppfyllt", 2, 1, 0, True),
        ("ej_uppfyllt", 1, 1, 0, False),
        ("delvis", 0, 0, 5, False),
        (None, 0, 0, 5, False),
    ],
)
def test_divergence_rule(assessment, met, partly, not_met, expected):
    assert f.divergence(assessment, met, partly, not_met)[0] is expected


def test_activities_overlap_the_year_or_have_a_status(city):
    bo = f.activities(city, "N1", "2026-BO")
    assert bo["activity_id"].tolist() == ["A2", "A1"]  # KF first; A3 ended 2024; A4 is N2's
    a1 = bo.set_index("activity_id").loc["A1"]
    assert (a1["status"], a1["comment"], a1["start_date"]) == ("genomford", 'Klart "i tid"', "2026-01-01")
    assert pd.isna(bo.set_index("activity_id").loc["A2", "status"])
    assert f.activities(city, "N1", "2026-T2").set_index("activity_id").loc["A1", "status"] == "paborjad"
    # a Period object is taken as it is (a string for a year without any data is an error)
    assert f.activities(city, "N1", Period(2024, "BO"))["activity_id"].tolist() == ["A2", "A3"]
    with pytest.raises(UnknownValueError, match="no data for 2024"):
        f.activities(city, "N1", "2024-BO")


def test_texts_exactly_as_loaded_in_kind_order(city):
    t = f.texts(city, "N1", "2026-BO")
    assert t["kind"].tolist() == ["rapportkommentar", "avvikelse"]
    assert t["text"].iloc[0] == "Året i korthet:\nbra & <bättre>"
    assert t["label"].iloc[1] == "Avvikelserapportering"
    assert f.text_of(city, "N1", "2026-T2", "vd_kommentar") == "Tertialen."
    assert f.text_of(city, "N1", "2026-T2", "analys") is None


def test_rollup_counts_include_organisations_without_judgement(city):
    # The contract's rule: only judgements of the KF goal itself count; the others are saknas.
    r = f.rollup(city, "2026-BO", "namnd").set_index("goal_id")
    assert list(r.index) == ["KF1", "KF2"]  # KFOLD ended 2024
    cols = ["uppfyllt", "delvis", "ej_uppfyllt", "saknas", "organisations"]
    assert r.loc["KF1", cols].tolist() == [1, 0, 0, 5, 6]
    assert r.loc["KF2", cols].tolist() == [0, 0, 0, 6, 6]
    d = f.rollup_detail(city, "2026-BO", "namnd").set_index(["goal_id", "org_id"])
    assert (d.loc[("KF1", "N1"), "basis"], d.loc[("KF1", "N2"), "assessment"]) == ("direct", "saknas")
    assert d.loc[("KF2", "N4"), "assessment"] == "saknas"  # a row without an assessment
    # more direct judgements: each kind counted once per organisation
    store.write(
        city,
        "assessments",
        pd.DataFrame(
            {
                "org_id": ["N3", "N5", "N6"],
                "goal_id": ["KF1", "KF1", "KF2"],
                "period": ["2026-BO"] * 3,
                "assessment": ["ej_uppfyllt", "delvis", "uppfyllt"],
                "comment": [None, "Delvis & <b>", None],
            }
        ),
    )
    r = f.rollup(city, "2026-BO", "namnd").set_index("goal_id")
    assert r.loc["KF1", cols].tolist() == [1, 1, 1, 3, 6]
    assert r.loc["KF2", cols].tolist() == [1, 0, 0, 5, 6]
    # the extension (not in the contract, not used by the reports): own goals' judgements combined
    ext = f.rollup_detail(city, "2026-BO", "namnd", own_goals=True).set_index(["goal_id", "org_id"])
    assert (ext.loc[("KF1", "N2"), "basis"], ext.loc[("KF1", "N2"), "assessment"]) == ("own_goals", "delvis")
    b = f.rollup(city, "2026-BO", "bolag").set_index("goal_id")
    assert b.loc["KF1", ["uppfyllt", "saknas"]].tolist() == [0, 1]
    both = f.rollup(city, "2026-BO")
    assert both["organisations"].tolist() == [7, 7]
    with pytest.raises(UnknownValueError, match="unknown organisation kind"):
        f.rollup(city, "2026-BO", "nämnd")


def test_compare_indicator_ranks_ties_missing_and_not_applicable(city):
    c = f.compare(city, "2026-BO", "IH", kind="namnd", org_id="N1")
    assert c["org_id"].tolist() == ["N2", "N3", "N1", "N4", "N5", "N6"]
    assert c["rank"].tolist() == [1, 1, 3, 4, pd.NA, pd.NA]
    assert c["colour"].tolist() == ["green", "green", "yellow", "red", "grey", "grey"]
    assert c["special"].fillna("").tolist() == ["", "", "", "", "-", "."]
    assert c["ranked"].unique().tolist() == [4]
    assert c["selected"].tolist() == [False, False, True, False, False, False]
    assert c.attrs["direction"] == "higher" and c.attrs["label"] == "Andel nöjda brukare"
    assert c.set_index("org_id").loc["N1", "status"] == "delvis"


def test_compare_key_figures(city):
    s = f.compare(city, "2026-BO", "sick_leave_pct", org_id="N1").set_index("org_id")
    assert (s.loc["N3", "value"], s.loc["N3", "rank"], s.loc["N1", "value"], s.loc["N1", "rank"]) == (2.5, 1, 5.0, 2)
    assert s.loc["N2", "special"] == ".." and math.isnan(s.loc["N2", "value"])
    assert s.loc["N4", "special"] == "-"
    assert set(s["colour"]) == {"yellow", "grey"}  # two ranked: no quarters
    d = f.compare(city, "2026-BO", "deviation_pct", kind="namnd").set_index("org_id")
    assert d.loc["N1", "value"] == d.loc["N4", "value"] == pytest.approx(60 / 1140 * 100)
    assert d.loc[["N1", "N4", "N2", "N3"], "rank"].tolist() == [1, 1, 3, 4]
    assert d.loc[["N1", "N4", "N2", "N3", "N5"], "colour"].tolist() == ["green", "green", "yellow", "red", "grey"]


def test_compare_unknown_figure_and_missing_kind(city):
    with pytest.raises(UnknownValueError, match=r"unknown indicator or key figure 'IHH'.*IH"):
        f.compare(city, "2026-BO", "IHH", kind="namnd")
    with pytest.raises(UnknownValueError, match="kind="):
        f.compare(city, "2026-BO", "IH")


def test_rank_values_lower_is_better_with_ties():
    r, c, n = f.rank_values(pd.Series([80.0, 90.0, 90.0, 70.0, None]), "lower")
    assert r.tolist() == [2, 3, 3, 1, pd.NA]
    assert c.tolist() == ["yellow", "red", "red", "green", "grey"]
    r, c, n = f.rank_values(pd.Series([1.0, 1.0, 1.0, 1.0]), "higher")
    assert r.tolist() == [1, 1, 1, 1] and set(c) == {"yellow"}


def test_status_matrix_and_comparisons(city):
    m = f.status_matrix(city, "2026-BO", "namnd")
    assert list(m.columns) == ["IA", "IH", "IL"]
    assert m.loc["N1"].tolist() == ["ej_uppfyllt", "delvis", "ej_uppfyllt"]
    assert m.loc["N2", "IH"] == "uppfyllt" and m.loc["N6"].isna().all()
    c = f.comparisons(city, "N1", "2026-BO").set_index("what")
    assert c.loc["IH", ["rank", "ranked", "colour"]].tolist() == [3, 4, "yellow"]
    assert c.loc["sick_leave_pct", "value"] == 5.0
    assert c.loc["IA", "ranked"] == 1
    assert set(c.index) == {"IH", "IL", "IA", "sick_leave_pct", "deviation_pct", "deviation", "forecast_deviation"}
