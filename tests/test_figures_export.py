"""figures.json, the data hash, the projection, organisations and periods; the same on every backend."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from test_figures_data import outcome, scenario, write

import ilslib
import ilslib.figures as f
from ilslib.errors import UnknownValueError
from ilslib.schema import init_schema

CONTRACT_KEYS = {
    "contract_version",
    "org_id",
    "period",
    "indicators",
    "goals",
    "activities",
    "economy",
    "personnel",
    "provenance",
}
ECONOMY_KEYS = {
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
    "booked_through",  # added in contract version 2: months not yet booked
    "booked_months",
}
PERIODS = ("2026-BU", "2026-T1", "2026-T2", "2026-BO")


@pytest.fixture
def city(wh):
    scenario(wh)
    return wh


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same scenario in a separate embedded warehouse: what every backend must reproduce."""
    url = "sqlite:///" + str(tmp_path_factory.mktemp("ref") / "ref.sqlite")
    wh = ilslib.connect(url, create=True, check_schema=False)
    init_schema(wh)
    scenario(wh)
    yield wh
    wh.close()


def _doc(wh, org_id, period):
    return f.figures_json(wh, org_id, period, notebook="notebooks/report.py", generated_at="2026-09-30T12:00:00+00:00")


@pytest.mark.parametrize("period", PERIODS)
def test_figures_json_has_the_contract_shape(city, period):
    doc = _doc(city, "N1", period)
    assert CONTRACT_KEYS <= set(doc)
    assert (doc["contract_version"], doc["org_id"], doc["period"]) == (2, "N1", period)
    json.dumps(doc, allow_nan=False)  # never NaN
    assert set(doc["economy"]) == ECONOMY_KEYS
    assert set(doc["personnel"]) >= {"headcount", "fte", "sick_leave_pct", "suppressed"}
    assert set(doc["provenance"]) >= {"data_hash", "notebook", "ilslib_version", "generated_at"}
    assert doc["provenance"]["ilslib_version"] == ilslib.__version__
    for i in doc["indicators"]:
        assert {"indicator_id", "goal_id", "value", "target", "partial_limit", "status", "by_gender"} <= set(i)
        assert set(i["by_gender"]) == {"K", "M"}
    for g in doc["goals"]:
        assert {"goal_id", "assessment", "comment"} <= set(g)
    for a in doc["activities"]:
        assert {"activity_id", "status"} <= set(a)


def test_figures_json_values_equal_the_api(city):
    doc = _doc(city, "N1", "2026-T2")
    ih = next(i for i in doc["indicators"] if i["indicator_id"] == "IH")
    assert (ih["value"], ih["target"], ih["partial_limit"], ih["status"]) == (70.0, 75.0, 67.5, "delvis")
    assert ih["by_gender"] == {"K": 75.0, "M": 65.0}
    assert ih["comment"] == "Under målet: <b>åtgärder</b> pågår"
    assert [i["indicator_id"] for i in doc["indicators"]] == ["IH", "IL"]  # tertial only
    eco = f.economy(city, "2026-T2", "N1").loc["N1"]
    assert doc["economy"]["net"] == eco["net"] == 80.0
    assert doc["personnel"] == {"headcount": 12, "fte": 11.5, "sick_leave_pct": 5.0, "suppressed": False}
    assert doc["texts"] == {"vd_kommentar": "Tertialen."}
    assert {p["indicator_id"]: p["projected"] for p in doc["projections"]} == {"IH": 80.0, "IL": 10.0}


def test_figures_json_nulls_for_what_cannot_be_computed(city):
    doc = _doc(city, "N2", "2026-BO")
    assert doc["personnel"]["suppressed"] is True and doc["personnel"]["sick_leave_pct"] is None
    assert doc["personnel"]["headcount"] == 3
    bu = _doc(city, "N1", "2026-BU")
    assert bu["economy"]["net"] is None and bu["economy"]["budget_net"] == 60.0
    assert all(i["status"] is None and i["value"] is None for i in bu["indicators"])
    e1 = _doc(city, "E1", "2026-BO")
    assert all(v is None for v in e1["economy"].values())
    assert e1["personnel"] == {"headcount": None, "fte": None, "sick_leave_pct": None, "suppressed": False}
    text = f.dumps(e1)
    assert "NaN" not in text and text.endswith("\n")


def test_projection_methods_and_labels(city):
    p = f.projection(city, "N1", "2026-T2").set_index("indicator_id")
    ih, il = p.loc["IH"], p.loc["IL"]
    assert (ih["projected"], ih["method"], ih["status"], ih["met"]) == (80.0, "last_year_pattern", "delvis", False)
    assert ih["annual_target"] == 85.0 and ih["label"] == "Prognos"
    assert ih["note"] == "Prognos: utfallet T2 2026 (70,0) plus förra årets förändring från T2 till bokslut (+10,0)."
    assert (il["projected"], il["method"], il["status"], il["met"]) == (10.0, "trend", "uppfyllt", True)
    t1 = f.projection(city, "N1", "2026-T1").set_index("indicator_id")
    assert t1.loc["IH", "method"] == "none" and math.isnan(t1.loc["IH", "projected"])
    assert t1.loc["IH", "status"] == "saknas" and t1.loc["IH", "met"] is None
    assert f.projection(city, "N1", "2026-BO").empty


def test_data_hash_changes_with_the_inputs_and_not_otherwise(city):
    h0 = f.data_hash(city, "N1", "2026-BO")
    assert len(h0) == 64 and h0 == f.data_hash(city, "N1", "2026-BO")
    # unrelated: another kind's text, another board's text, a later period's outcome
    write(city, "comments", [{"org_id": "B1", "period": "2026-BO", "kind": "analys", "text": "x"}])
    write(city, "comments", [{"org_id": "N2", "period": "2026-BO", "kind": "analys", "text": "y"}])
    outcome(city, "N1", "IH", "2027-T1", 1)
    assert f.data_hash(city, "N1", "2026-BO") == h0
    # reloading identical rows changes nothing
    outcome(city, "N1", "IH", "2026-BO", 80)
    assert f.data_hash(city, "N1", "2026-BO") == h0
    # the organisation's own data
    outcome(city, "N1", "IH", "2026-BO", 80.5)
    h1 = f.data_hash(city, "N1", "2026-BO")
    assert h1 != h0
    # a comparison input: another board's outcome for the period
    outcome(city, "N3", "IH", "2026-BO", 91)
    h2 = f.data_hash(city, "N1", "2026-BO")
    assert h2 != h1
    # a text of the organisation, exactly as stored
    write(city, "comments", [{"org_id": "N1", "period": "2026-BO", "kind": "analys", "text": "Ny"}])
    assert f.data_hash(city, "N1", "2026-BO") != h2
    hashes = f.data_hashes(city, "2026-BO")
    assert hashes["N1"] == f.data_hash(city, "N1", "2026-BO") and len(hashes) == 10


def test_data_hash_follows_the_ledger_to_the_ore(city):
    h0 = f.data_hash(city, "N1", "2026-T2")
    write(
        city,
        "ledger",
        [
            {
                "org_id": "N1",
                "month": "2026-03",
                "account": "4010",
                "account_name": "Konto 4010",
                "kind": "kostnad",
                "outcome": 90.01,
                "budget": 95,
                "forecast": 1100,
            }
        ],
    )
    assert f.data_hash(city, "N1", "2026-T2") != h0
    h1 = f.data_hash(city, "N1", "2026-T2")
    write(
        city,
        "ledger",
        [
            {
                "org_id": "N2",
                "month": "2026-03",
                "account": "4010",
                "account_name": "Konto 4010",
                "kind": "kostnad",
                "outcome": 1,
                "budget": 95,
                "forecast": 1100,
            }
        ],
    )
    assert f.data_hash(city, "N1", "2026-T2") != h1  # the comparison of budget deviation reads it


def test_same_results_on_every_backend(city, reference):
    for period in PERIODS:
        for org in ("N1", "N2", "E1", "B1"):
            assert _doc(city, org, period) == _doc(reference, org, period), (org, period)
    for fn in (
        lambda w: f.rollup(w, "2026-BO"),
        lambda w: f.compare(w, "2026-BO", "deviation_pct", "namnd"),
        lambda w: f.economy(w, "2026-T2"),
        lambda w: f.personnel(w, "2026-BO"),
        lambda w: f.goal_tree(w, "N2", 2026),
        lambda w: f.economy_series(w, "N1", "2026-T2"),
        lambda w: f.periods(w),
        lambda w: f.organisations(w),
    ):
        a, b = fn(city), fn(reference)
        assert a.equals(b), (a, b)


def test_organisations_and_errors(city):
    orgs = f.organisations(city)
    assert orgs["kind"].tolist()[0] == "kommun" and len(orgs) == 10
    assert f.organisations(city, "bolag")["org_id"].tolist() == ["B1"]
    e1 = f.organisation(city, "E1")
    assert (e1.parent_id, e1.parent_name, e1.kind) == ("N1", 'Nämnd "Ett" & <Två>', "enhet")
    with pytest.raises(UnknownValueError, match=r"did you mean N1"):
        f.organisation(city, "n1 ")
    with pytest.raises(UnknownValueError, match="valid organisation ids: B1, E1, K, KC, N1, N2, N3, N4, N5, N6$"):
        f.economy(city, "2026-T2", "Zzzzzzzzz")


def test_periods_and_latest(city):
    p = f.periods(city)
    assert p["period"].tolist() == ["2025-T2", "2025-BO", "2026-BU", "2026-T1", "2026-T2", "2026-BO"]
    row = p.set_index("period").loc["2026-T2"]
    assert (row["outcomes"], row["comments"], bool(row["economy"]), bool(row["personnel"])) == (4, 1, True, True)
    assert str(f.latest_period(city)) == "2026-BO"
    assert f.indicators(city, "N1", "latest").equals(f.indicators(city, "N1", "2026-BO"))


def test_loads_newest_first(city):
    assert f.loads(city).empty
    for i, t in enumerate(("2026-09-01T10:00:00", "2026-09-02T10:00:00")):
        city.execute(
            "INSERT INTO ils_load (load_id, started_at, finished_at, user_name, host_name, source, "
            "outcome, rows_inserted, rows_replaced, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (f"L{i}", t, t, "åsa", "host", "/data/load", "ok", 10, 0, None),
        )
    assert f.loads(city, n=1)["load_id"].tolist() == ["L1"]


def test_docs_reference_every_public_function():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "figures.md").read_text(encoding="utf-8")
    missing = [name for name in f.__all__ if f"`{name}" not in doc]
    assert not missing, f"docs/figures.md does not describe {missing}"
