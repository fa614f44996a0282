"""Goals and judgements, activities, texts, roll-ups and comparisons, on every backend."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from test_figures_data import indicator, outcome, scenario, target

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
    # The contract's (v2) rule: the judgement of the KF goal itself; else derived from the organisation's own
    # goals under it (all met: met, all not met: not met, else partly); else saknas. Derived cells are marked.
    r = f.rollup(city, "2026-BO", "namnd").set_index("goal_id")
    assert list(r.index) == ["KF1", "KF2"]  # KFOLD ended 2024
    cols = ["uppfyllt", "delvis", "ej_uppfyllt", "saknas", "organisations", "derived"]
    # KF1: N1 direct uppfyllt; N2 from N2G1 (ej uppfyllt) and N2G2 (uppfyllt, under N2G1): delvis, derived
    assert r.loc["KF1", cols].tolist() == [1, 1, 0, 4, 6, 1]
    # KF2: N1 from N1G2 (delvis): delvis, derived; N4's row has no assessment: saknas
    assert r.loc["KF2", cols].tolist() == [0, 1, 0, 5, 6, 1]
    d = f.rollup_detail(city, "2026-BO", "namnd").set_index(["goal_id", "org_id"])
    assert (d.loc[("KF1", "N1"), "basis"], bool(d.loc[("KF1", "N1"), "derived"])) == ("direct", False)
    assert d.loc[("KF1", "N2"), ["assessment", "basis"]].tolist() == ["delvis", "own_goals"]
    assert bool(d.loc[("KF1", "N2"), "derived"]) is True
    assert d.loc[("KF2", "N4"), "assessment"] == "saknas" and not d.loc[("KF2", "N4"), "derived"]
    # version 1's rule on request: direct judgements only
    v1 = f.rollup(city, "2026-BO", "namnd", own_goals=False).set_index("goal_id")
    assert v1.loc["KF1", cols].tolist() == [1, 0, 0, 5, 6, 0]
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
    assert r.loc["KF1", cols].tolist() == [1, 2, 1, 2, 6, 1]
    assert r.loc["KF2", cols].tolist() == [1, 1, 0, 4, 6, 1]
    # a direct judgement wins over the own goals: N2 judges KF1 itself
    store.write(
        city,
        "assessments",
        pd.DataFrame({"org_id": ["N2"], "goal_id": ["KF1"], "period": ["2026-BO"], "assessment": ["uppfyllt"]}),
    )
    d = f.rollup_detail(city, "2026-BO", "namnd").set_index(["goal_id", "org_id"])
    assert d.loc[("KF1", "N2"), ["assessment", "basis"]].tolist() == ["uppfyllt", "direct"]
    b = f.rollup(city, "2026-BO", "bolag").set_index("goal_id")
    assert b.loc["KF1", ["uppfyllt", "saknas", "derived"]].tolist() == [1, 0, 1]  # B1G1 under KF1
    both = f.rollup(city, "2026-BO")
    assert both["organisations"].tolist() == [7, 7]
    with pytest.raises(UnknownValueError, match="unknown organisation kind"):
        f.rollup(city, "2026-BO", "nämnd")


def test_compare_indicator_ranks_ties_missing_and_not_applicable(city):
    c = f.compare(city, "2026-BO", "IH", kind="namnd", org_id="N1")
    assert c["org_id"].tolist() == ["N2", "N3", "N1", "N4", "N5", "N6"]
    assert c["rank"].tolist() == [1, 1, 3, 4, pd.NA, pd.NA]
    # N2 and N3 tie for the best: together they are half of four, more than the best quarter: yellow
    assert c["colour"].tolist() == ["yellow", "yellow", "yellow", "red", "grey", "grey"]
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
    assert d.loc[["N1", "N4", "N2", "N3", "N5"], "colour"].tolist() == ["yellow", "yellow", "yellow", "red", "grey"]


def test_compare_unknown_figure_and_missing_kind(city):
    with pytest.raises(UnknownValueError, match=r"unknown indicator or key figure 'IHH'.*IH"):
        f.compare(city, "2026-BO", "IHH", kind="namnd")
    with pytest.raises(UnknownValueError, match="kind="):
        f.compare(city, "2026-BO", "IH")


def test_rank_values_lower_is_better_with_ties():
    r, c, n = f.rank_values(pd.Series([80.0, 90.0, 90.0, 70.0, None]), "lower")
    assert r.tolist() == [2, 3, 3, 1, pd.NA]
    assert c.tolist() == ["yellow", "yellow", "yellow", "green", "grey"]  # the tied worst are half, not a quarter
    r, c, n = f.rank_values(pd.Series([1.0, 1.0, 1.0, 1.0]), "higher")
    assert r.tolist() == [1, 1, 1, 1] and set(c) == {"yellow"}


def test_status_matrix_and_comparisons(city):
    # the group indicator table (contract v2): KF indicators only, None ("-") where an organisation has no status
    m = f.status_matrix(city, "2026-BO", "namnd")
    assert list(m.columns) == ["IH"]
    assert m.loc["N1"].tolist() == ["delvis"]
    assert m.loc["N2", "IH"] == "uppfyllt" and m.loc["N6"].isna().all()
    every = f.status_matrix(city, "2026-BO", "namnd", source=None)
    assert list(every.columns) == ["IA", "IH", "IL"]
    assert every.loc["N1"].tolist() == ["ej_uppfyllt", "delvis", "ej_uppfyllt"]
    c = f.comparisons(city, "N1", "2026-BO").set_index("what")
    assert c.loc["IH", ["rank", "ranked", "colour"]].tolist() == [3, 4, "yellow"]
    assert c.loc["sick_leave_pct", "value"] == 5.0
    assert c.loc["IA", "ranked"] == 1
    assert set(c.index) == {"IH", "IL", "IA", "sick_leave_pct", "deviation_pct", "deviation", "forecast_deviation"}


def test_a_value_shown_the_same_ranks_and_colours_the_same():
    # 4,96 and 5,04 are both shown as 5,0: one rank, one colour (the same value never gets two colours)
    r, c, n = f.rank_values(pd.Series([4.96, 5.04, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]), "lower", decimals=1)
    assert r.tolist()[:2] == [1, 1] and c.tolist()[0] == c.tolist()[1] == "green"
    r, c, n = f.rank_values(pd.Series([4.96, 5.04, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]), "lower")
    assert r.tolist()[:2] == [1, 2]  # unrounded: two ranks


def test_many_ties_never_make_the_best_quarter_more_than_a_quarter():
    # five of eight share the best value: they cannot all be "the best quarter", so none is green
    values = pd.Series([1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0])
    r, c, n = f.rank_values(values, "lower")
    assert r.tolist() == [1, 1, 1, 1, 1, 6, 7, 8]
    assert c.tolist() == ["yellow"] * 6 + ["red", "red"]
    assert (c == "green").sum() <= n / 4 and (c == "red").sum() <= n / 4


def test_rounded_ties_rank_the_same_for_the_indicator_and_the_key_figure(city):
    # sick leave as an indicator (stored with one decimal) and as a key figure (computed from hours)
    indicator(city, "SJ", "lower", "tertial", name="Sjukfrånvaro", source="KF")
    store.write(
        city,
        "personnel",
        pd.DataFrame(
            [
                {
                    "org_id": o,
                    "month": "2027-12",
                    "headcount": 50,
                    "fte": 45.0,
                    "scheduled_hours": 10000.0,
                    "sick_hours": h,
                }
                for o, h in (("N1", 496.0), ("N2", 504.0), ("N3", 600.0), ("N4", 700.0), ("N5", 800.0))
            ]
        ),
    )
    for o, v in (("N1", 5.0), ("N2", 5.0), ("N3", 6.0), ("N4", 7.0), ("N5", 8.0)):
        target(city, o, "SJ", 2027, 5.5)
        outcome(city, o, "SJ", "2027-BO", v)
    c = f.comparisons(city, "N2", "2027-BO").set_index("what")
    ind, key = c.loc["SJ"], c.loc["sick_leave_pct"]
    assert key["value"] == pytest.approx(5.04) and ind["value"] == 5.0  # both shown as 5,0 %
    assert (ind["rank"], ind["colour"]) == (key["rank"], key["colour"]) == (1, "yellow")


def test_the_heads_comment_is_headed_by_who_wrote_it(city):
    # a board has no VD: its comment is the förvaltningschef's; a company's stays VD-kommentar
    t = f.texts(city, "N1", "2026-T2").set_index("kind")
    assert t.loc["vd_kommentar", "label"] == "Förvaltningschefens kommentar"
    from ilslib.figures.texts import text_label

    assert text_label("vd_kommentar", "bolag") == text_label("vd_kommentar", "koncern") == "VD-kommentar"
    assert text_label("vd_kommentar", "namnd") == "Förvaltningschefens kommentar"
    assert text_label("rapportkommentar", "namnd") == "Rapportkommentar"


def test_in_the_demo_a_shown_value_has_one_rank_and_one_colour(demo_wh):
    from ilslib import fmt

    for kind in ("namnd", "bolag"):
        for what in ("SJUKFR", "sick_leave_pct", "FAKT", "OLYCKOR", "deviation_pct"):
            c = f.compare(demo_wh, "2026-T2", what, kind=kind)
            dec = int(c.attrs["decimals"])
            shown = c[c["value"].notna()]
            shown = shown.assign(text=[fmt.number(v, dec) for v in shown["value"]])
            for _, same in shown.groupby("text"):
                assert same["rank"].nunique() == 1 and same["colour"].nunique() == 1, (kind, what, same)
            assert (c["colour"] == "green").sum() <= c["ranked"].iloc[0] / 4
    # the sick-leave indicator and the sick-leave key figure agree where every organisation has both
    for org in f.organisations(demo_wh, "bolag")["org_id"]:
        cmp = f.comparisons(demo_wh, org, "2026-T2").set_index("what")
        if "SJUKFR" in cmp.index and cmp.loc["SJUKFR", "value"] == cmp.loc["SJUKFR", "value"]:
            ind, key = cmp.loc["SJUKFR"], cmp.loc["sick_leave_pct"]
            if fmt.number(ind["value"], 1) == fmt.number(key["value"], 1):
                assert (ind["rank"], ind["colour"]) == (key["rank"], key["colour"]), org


def test_key_figure_values_from_a_given_frame_and_without_one():
    from ilslib.figures.compare import KEY_FIGURES, key_figure_values

    pers = pd.DataFrame(
        {"sick_leave_pct": [4.5, float("nan"), float("nan")], "suppressed": [False, True, False]},
        index=pd.Index(["ÅSA", "BÖR", 'Ö"1'], name="org_id"),
    )
    values, special, _ = key_figure_values(None, None, "namnd", KEY_FIGURES["sick_leave_pct"], pers)
    assert values == {"ÅSA": 4.5, "BÖR": None, 'Ö"1': None}
    assert special == {"ÅSA": None, "BÖR": "..", 'Ö"1': "-"}  # suppressed, missing
    econ = pd.DataFrame({"deviation": [0.0, -1.5], "deviation_pct": [float("nan"), -2.0]}, index=["A", "B"])
    values, special, _ = key_figure_values(None, None, "bolag", KEY_FIGURES["deviation_pct"], econ)
    assert values == {"A": None, "B": -2.0} and special == {"A": ".", "B": None}  # zero cost budget: no ratio
    # Without a frame it reads the warehouse: with none it says so (it failed on None.query before).
    with pytest.raises(ValueError, match="the warehouse and the period are needed"):
        key_figure_values(None, None, "namnd", KEY_FIGURES["sick_leave_pct"])
