"""The demo warehouse: deterministic, realistic, with the edge cases other tests rely on."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from ilslib import connect, demo
from ilslib.contract import FILES, LOAD_ORDER
from ilslib.errors import WarehouseError
from ilslib.schema import init_schema

ROOT = Path(__file__).resolve().parents[1]


def dump(url: str) -> dict[str, list[tuple]]:
    """Every contract table's rows, in key order."""
    with connect(url) as wh:
        return {
            name: wh.rows(f"SELECT * FROM {FILES[name].table} ORDER BY {', '.join(FILES[name].key)}")
            for name in LOAD_ORDER
        }


def frame(url: str, sql: str, params: tuple = ()) -> pd.DataFrame:
    with connect(url) as wh:
        return wh.query(sql, params)


def scalar(url: str, sql: str, params: tuple = ()):
    with connect(url) as wh:
        return wh.scalar(sql, params)


# -- determinism ------------------------------------------------------------------------------


def test_same_seed_gives_identical_content_and_other_seed_differs(tmp_path: Path, demo_url: str) -> None:
    again = f"sqlite:///{tmp_path / 'again.sqlite'}"
    other = f"sqlite:///{tmp_path / 'other.sqlite'}"
    demo.build(again)
    demo.build(other, seed=7)
    first, second, third = dump(demo_url), dump(again), dump(other)
    assert repr(first) == repr(second)  # byte-identical, floats included
    assert first["organisations"] == third["organisations"]  # the catalogue is fixed ...
    for name in ("outcomes", "ledger", "personnel", "assessments", "comments"):
        assert first[name] != third[name], name  # ... the figures are not


def test_rebuild_replaces_the_previous_demo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    demo.build(url, seed=3)
    small = dump(url)
    demo.build(url, seed=3, ledger_rows=40_000)
    demo.build(url, seed=3)
    assert dump(url) == small
    with connect(url) as wh:
        assert demo.demo_seed(wh) == 3
        # recorded as one load; earlier demo builds' records are replaced with their data
        assert wh.rows("SELECT source, outcome, rows_inserted FROM v_load") == [
            ("ils demo --seed 3", "ok", sum(len(rows) for rows in small.values()))
        ]
        assert wh.scalar("SELECT COUNT(*) FROM v_load_file") == len(LOAD_ORDER)
        assert wh.scalar("SELECT value FROM ils_meta WHERE name = ?", (demo.META_LEDGER_ROWS,)) == str(
            len(small["ledger"])
        )


def test_generate_matches_what_build_writes(demo_url: str) -> None:
    tables = demo.generate()
    with connect(demo_url) as wh:
        for name, df in tables.items():
            assert wh.scalar(f"SELECT COUNT(*) FROM {FILES[name].table}") == len(df), name


# -- organisations and the goal model ---------------------------------------------------------


def test_organisations(demo_url: str) -> None:
    orgs = frame(demo_url, "SELECT * FROM v_organisation")
    kinds = orgs["kind"].value_counts().to_dict()
    assert kinds["kommun"] == 1 and kinds["koncern"] == 1
    assert 12 <= kinds["bolag"] <= 18 and 12 <= kinds["namnd"] <= 18
    city = orgs.loc[orgs["kind"] == "kommun", "org_id"].item()
    group = orgs.loc[orgs["kind"] == "koncern", "org_id"].item()
    assert (orgs.loc[orgs["kind"] == "bolag", "parent_id"] == group).all()
    assert (orgs.loc[orgs["kind"] == "namnd", "parent_id"] == city).all()
    assert orgs["name"].str.contains("stadsdelsnämnd").sum() >= 3  # district boards
    assert orgs["name"].str.contains("[åäöÅÄÖ]").sum() >= 5
    assert orgs["name"].str.contains("&").any()
    per_controller = orgs["controller"].value_counts()
    assert orgs["controller"].notna().all() and len(per_controller) >= 3 and (per_controller >= 3).all()
    # Invented names only: no real Stockholm company or board.
    assert not orgs["name"].str.contains("Stockholm").any()


def test_small_unit_under_five_employees(demo_url: str) -> None:
    small = frame(demo_url, "SELECT org_id, headcount FROM v_personnel WHERE month = ? AND headcount < 5", ("2026-08",))
    assert len(small) >= 1
    org_id = small["org_id"].iloc[0]
    sick = frame(demo_url, "SELECT text FROM v_comment WHERE org_id = ?", (org_id,))
    assert not sick["text"].str.contains("Sjukfrånvaro").any()  # never published, not even in prose


def test_goal_model(demo_url: str) -> None:
    goals = frame(demo_url, "SELECT g.*, o.kind FROM v_goal g JOIN v_organisation o ON o.org_id = g.org_id")
    levels = goals["level"].value_counts().to_dict()
    assert levels["vision"] == 1 and levels["inriktningsmal"] == 3 and 8 <= levels["kf_mal"] <= 12
    assert (goals.loc[goals["level"].isin(["vision", "inriktningsmal", "kf_mal"]), "kind"] == "kommun").all()
    own = goals[goals["level"].isin(["namndmal", "bolagsmal"])]
    kf = set(goals.loc[goals["level"] == "kf_mal", "goal_id"])
    assert own["parent_goal_id"].isin(kf).all()  # every own goal concretises a KF goal
    assert set(own.loc[own["level"] == "namndmal", "kind"]) == {"namnd"}
    assert set(own.loc[own["level"] == "bolagsmal", "kind"]) == {"bolag", "koncern"}
    orgs_with_goals = set(own["org_id"])
    assert len(orgs_with_goals) == len(frame(demo_url, "SELECT org_id FROM v_organisation WHERE kind <> 'kommun'"))
    titles = own["title"]
    assert titles.str.contains("<b>").any() and titles.str.contains('"').any() and titles.str.contains("&").any()
    assert titles.str.contains("'").any()


def test_indicators(demo_url: str) -> None:
    ind = frame(demo_url, "SELECT * FROM v_indicator")
    assert 22 <= len(ind) <= 28
    assert set(ind["direction"]) == {"higher", "lower"}
    assert set(ind["frequency"]) == {"tertial", "annual"}
    assert set(ind["source"]) == {"KF", "own"}
    assert {"%", "antal", "kr", "index"} <= set(ind["unit"])
    assert set(ind["decimals"]) == {0, 1, 2}
    lower = set(ind.loc[ind["direction"] == "lower", "name"])
    assert any("Sjukfrånvaro" in n for n in lower) and any("Kostnad" in n for n in lower)


def test_targets(demo_url: str) -> None:
    t = frame(
        demo_url,
        "SELECT t.*, i.direction, i.name FROM v_target t JOIN v_indicator i ON i.indicator_id = t.indicator_id",
    )
    assert t["period_type"].isna().sum() > 0  # annual targets (stored as '', shown as NULL)
    assert {"T1", "T2"} <= set(t["period_type"].dropna())
    assert t["partial_limit"].notna().sum() >= 20
    zero = t[(t["target"] == 0) & (t["direction"] == "lower")]
    assert len(zero) > 0 and zero["name"].str.contains("arbetsplatsolyckor").all()
    assert set(t["year"]) == {2024, 2025, 2026}
    assert t["goal_id"].notna().all()
    # Partial limits lie on the unfavourable side of the target.
    p = t[t["partial_limit"].notna()]
    assert ((p["direction"] == "higher") == (p["partial_limit"] <= p["target"])).all()


def test_outcomes(demo_url: str) -> None:
    o = frame(
        demo_url, "SELECT o.*, i.frequency FROM v_outcome o JOIN v_indicator i ON i.indicator_id = o.indicator_id"
    )
    periods = set(o["period"])
    assert periods == {"2024-T1", "2024-T2", "2024-BO", "2025-T1", "2025-T2", "2025-BO", "2026-T1", "2026-T2"}
    assert max(periods, key=lambda p: (p[:4], ["BU", "T1", "T2", "BO"].index(p[5:]))) == demo.LATEST_PERIOD
    assert set(o.loc[o["frequency"] == "annual", "period"].str[5:]) == {"BO"}
    total = o[o["gender"] == "T"]
    assert total["value"].isna().sum() >= 10  # gaps, shown as missing (never as zero)
    assert total.loc[total["period"] == "2026-T2", "value"].isna().any()
    by_gender = o[o["gender"].isin(["K", "M"])]
    assert set(by_gender["gender"]) == {"K", "M"} and len(by_gender) > 100
    keys = set(zip(total["org_id"], total["indicator_id"], total["period"], strict=True))
    assert all(k in keys for k in zip(by_gender["org_id"], by_gender["indicator_id"], by_gender["period"], strict=True))


def test_sick_leave_indicator_agrees_with_personnel(demo_url: str) -> None:
    value = scalar(
        demo_url,
        "SELECT value FROM v_outcome WHERE org_id = 'UTN' AND indicator_id = 'SJUKFR' "
        "AND period = '2026-T2' AND gender = 'T'",
    )
    hours = frame(
        demo_url,
        "SELECT SUM(sick_hours) AS s, SUM(scheduled_hours) AS h FROM v_personnel "
        "WHERE org_id = 'UTN' AND month >= '2026-01' AND month <= '2026-08'",
    )
    assert value == pytest.approx(round(hours["s"][0] / hours["h"][0] * 100, 1))


def test_activities_and_statuses(demo_url: str) -> None:
    status = frame(demo_url, "SELECT * FROM v_activity_status")
    assert set(status["status"]) == {"ej_paborjad", "paborjad", "genomford", "forsenad", "avbruten"}
    acts = frame(demo_url, "SELECT * FROM v_activity")
    assert set(acts["source"]) == {"KF", "own"}
    assert (acts["start_date"].astype(str) <= acts["end_date"].astype(str)).all()
    assert status.loc[status["status"].isin(["forsenad", "avbruten"]), "comment"].notna().all()


def _statuses(url: str) -> pd.DataFrame:
    """Status per org, indicator and period by the contract's rule (a small test-side copy)."""
    o = frame(
        url,
        "SELECT o.org_id, o.indicator_id, o.period, o.value, i.direction, i.frequency "
        "FROM v_outcome o JOIN v_indicator i ON i.indicator_id = o.indicator_id WHERE o.gender = 'T'",
    )
    t = frame(url, "SELECT org_id, indicator_id, goal_id, year, period_type, target, partial_limit FROM v_target")
    o["year"] = o["period"].str[:4].astype(int)
    o["code"] = o["period"].str[5:]
    annual = t[t["period_type"].isna()].drop(columns="period_type")
    own = t[t["period_type"].notna()]
    m = o.merge(annual, on=["org_id", "indicator_id", "year"], how="left")
    m = m.merge(
        own,
        left_on=["org_id", "indicator_id", "year", "code"],
        right_on=["org_id", "indicator_id", "year", "period_type"],
        how="left",
        suffixes=("", "_p"),
    )
    m["target"] = m["target_p"].fillna(m["target"])
    better = ((m["direction"] == "higher") & (m["value"] >= m["target"])) | (
        (m["direction"] == "lower") & (m["value"] <= m["target"])
    )
    m["met"] = better
    return m


def test_judgements(demo_url: str) -> None:
    a = frame(demo_url, "SELECT * FROM v_assessment")
    assert set(a["assessment"].dropna()) == {"uppfyllt", "delvis", "ej_uppfyllt"}
    assert a["assessment"].isna().any()  # not assessed
    assert a["comment"].notna().sum() > len(a) / 2
    # Judged met although none of the goal's followed-up indicators is met: the report must show both.
    s = _statuses(demo_url)
    s = s[s["value"].notna() & (s["frequency"].eq("tertial") | s["code"].eq("BO"))]
    per_goal = s.groupby(["org_id", "goal_id", "period"])["met"].agg(["any", "count"]).reset_index()
    met = a[a["assessment"] == "uppfyllt"].merge(per_goal, on=["org_id", "goal_id", "period"])
    diverging = met[~met["any"] & (met["count"] > 0)]
    assert len(diverging) >= 1
    assert diverging["period"].eq(demo.LATEST_PERIOD).any()


def test_comments_and_texts(demo_url: str) -> None:
    c = frame(demo_url, "SELECT * FROM v_comment")
    kinds = c.groupby("kind")["period"].agg(lambda p: set(p.str[5:])).to_dict()
    assert kinds["vd_kommentar"] == {"BU", "T1", "T2"}
    assert kinds["rapportkommentar"] == {"BO"}
    assert "avvikelse" in kinds and "analys" in kinds
    text = c["text"]
    assert text.str.contains('<script>alert("x")</script> & "citat"', regex=False).any()
    assert text.str.contains("'").any() and text.str.contains("\n").any()
    assert text.str.contains("[åäö]").mean() > 0.9
    latest = c[(c["period"] == demo.LATEST_PERIOD) & (c["kind"] == "vd_kommentar")]
    # every organisation but the one that has not started the 2026-T2 round and the one partly reported
    orgs = set(frame(demo_url, "SELECT org_id FROM v_organisation")["org_id"])
    assert orgs - set(latest["org_id"]) == {"EXN", "SBN"}


def _number(text: str) -> float:
    return float(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))


def test_the_heads_comments_quote_the_computed_figures(demo_url: str) -> None:
    """A VD's or förvaltningschef's comment never contradicts the report: its amounts and sick leave are
    the figures the report computes (forecast or budget deviation, sick leave)."""
    from ilslib import figures as f

    c = frame(demo_url, "SELECT org_id, period, text FROM v_comment WHERE kind = 'vd_kommentar'")
    checked = {"forecast": 0, "so_far": 0, "sick": 0}
    units = {"mnkr": 1e6, "tkr": 1e3, "kr": 1.0}
    with connect(demo_url) as wh:
        for period in ("2025-T1", "2025-T2", "2026-T1", "2026-T2"):
            econ, pers = f.economy(wh, period), f.personnel(wh, period)
            for r in c[c["period"] == period].to_dict("records"):
                e = econ.loc[r["org_id"]]
                m = re.search(
                    r"(överskott|positiv avvikelse|underskott|negativ avvikelse) på ([\d ,]+) (mnkr|tkr|kr)", r["text"]
                )
                if m:
                    shown = _number(m.group(2)) * units[m.group(3)]
                    assert e["forecast_deviation"] == pytest.approx(
                        shown if m.group(1) in ("överskott", "positiv avvikelse") else -shown, abs=units[m.group(3)] / 2
                    ), (r["org_id"], period, r["text"])
                    checked["forecast"] += 1
                m = re.search(r"utfallet hittills är ([\d ,]+) (mnkr|tkr|kr) (bättre|sämre)", r["text"])
                if m:
                    assert pd.isna(e["forecast_deviation"])
                    shown = _number(m.group(1)) * units[m.group(2)]
                    expected = shown if m.group(3) == "bättre" else -shown
                    assert e["deviation"] == pytest.approx(expected, abs=units[m.group(2)] / 2), r
                    checked["so_far"] += 1
                m = re.search(r"(\d+,\d) procent", r["text"])
                if m:
                    assert pers.loc[r["org_id"], "sick_leave_pct"] == pytest.approx(_number(m.group(1)), abs=0.05)
                    assert not pers.loc[r["org_id"], "suppressed"]
                    checked["sick"] += 1
    assert checked["forecast"] > 50 and checked["so_far"] > 0 and checked["sick"] > 50, checked


# -- every reference resolves ------------------------------------------------------------------


def test_every_reference_resolves(demo_url: str) -> None:
    tables = {name: frame(demo_url, f"SELECT * FROM {FILES[name].table}") for name in LOAD_ORDER}
    checked = 0
    for name, spec in FILES.items():
        for col in spec.columns:
            if col.references:
                ref_file, ref_col = col.references.split(".")
                values = set(tables[name][col.name].dropna())
                if col.default == "":  # users.org_id: empty for a role without organisation (part of the key)
                    values.discard("")
                assert values <= set(tables[ref_file][ref_col]), f"{name}.{col.name}"
                checked += 1
    assert checked >= 10
    # goal ids in targets, activities and assessments, which the contract leaves to the loader
    goals = set(tables["goals"]["goal_id"])
    for name in ("targets", "activities", "assessments"):
        assert set(tables[name]["goal_id"].dropna()) <= goals, name
    # an organisation's targets and activities point at its own goals or at KF's goals
    owner = dict(zip(tables["goals"]["goal_id"], tables["goals"]["org_id"], strict=True))
    for name in ("targets", "activities", "assessments"):
        df = tables[name].dropna(subset=["goal_id"])
        assert all(owner[g] in (o, "STAD") for o, g in zip(df["org_id"], df["goal_id"], strict=True)), name


# -- ledger and personnel ----------------------------------------------------------------------


def test_ledger(demo_url: str) -> None:
    with connect(demo_url) as wh:
        months = [r[0] for r in wh.rows("SELECT DISTINCT month FROM v_ledger ORDER BY month")]
        per_org = wh.rows("SELECT org_id, COUNT(DISTINCT month) FROM v_ledger GROUP BY org_id")
        after = wh.rows(
            "SELECT SUM(ABS(outcome)), COUNT(forecast), MIN(budget) FROM v_ledger WHERE month > ?",
            (demo.LAST_BOOKED_MONTH,),
        )[0]
        before = wh.rows(
            "SELECT MIN(ABS(outcome)), COUNT(*) - COUNT(forecast) FROM v_ledger WHERE month <= ?",
            (demo.LAST_BOOKED_MONTH,),
        )[0]
        kinds = wh.rows("SELECT kind, MIN(account), MAX(account), COUNT(*) FROM v_ledger GROUP BY kind ORDER BY kind")
        t2_forecast = wh.rows(
            "SELECT org_id FROM v_ledger WHERE month = ? GROUP BY org_id HAVING COUNT(forecast) = 0", ("2026-08",)
        )
        names = wh.scalar("SELECT COUNT(*) FROM v_ledger WHERE account_name IS NULL")
        n_orgs = wh.scalar("SELECT COUNT(*) FROM v_organisation")
    assert months == [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)]
    assert len(per_org) == n_orgs and {n for _, n in per_org} == {36}
    assert after[0] is None and after[1] == 0 and after[2] > 0  # budget; nothing booked (empty, never 0) or forecast
    assert before[0] > 0 and before[1] > 0  # booked months have outcomes; some have no forecast
    assert [k for k, *_ in kinds] == ["intakt", "kostnad"]
    assert kinds[0][1].startswith("3") and kinds[0][2].startswith("3")
    assert kinds[1][1][0] in "4567" and kinds[1][2][0] in "4567"
    assert len(t2_forecast) >= 1  # a null full-year forecast in the latest period
    assert names == 0


def test_personnel(demo_url: str) -> None:
    p = frame(demo_url, "SELECT * FROM v_personnel")
    assert p["month"].min() == "2024-01" and p["month"].max() == demo.LAST_BOOKED_MONTH
    assert p.groupby("org_id").size().eq(32).all()
    assert (p["sick_hours"] < p["scheduled_hours"]).all() and (p["fte"] <= p["headcount"]).all()


def test_ledger_rows_scales_the_ledger(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'big.sqlite'}"
    lines: list[str] = []
    demo.build(url, ledger_rows=50_000, progress=lines.append)
    with connect(url) as wh:
        n = wh.scalar("SELECT COUNT(*) FROM v_ledger")
        accounts = [r[0] for r in wh.rows("SELECT DISTINCT account FROM v_ledger")]
        months = wh.scalar("SELECT COUNT(DISTINCT month) FROM v_ledger")
        indexes = {
            r[0]
            for r in wh.rows(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ils_ledger' AND sql IS NOT NULL"
            )
        }
        outcomes = wh.scalar("SELECT COUNT(*) FROM v_outcome")
    assert abs(n - 50_000) <= 5_000
    assert all(re.fullmatch(r"[3-7]\d{3}-\d{4}", a) for a in accounts)
    assert months == 36
    assert indexes == {"ix_ledger_period"}  # dropped for the bulk insert, recreated as schema.py defines it
    assert outcomes == len(demo.generate()["outcomes"])  # only the ledger grows
    assert any("ledger" in line for line in lines) and lines[-1].endswith("done")


# -- refusing other data -------------------------------------------------------------------------


def test_refuses_a_warehouse_with_other_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'real.sqlite'}"
    with connect(url, create=True, check_schema=False) as wh:
        init_schema(wh)
        wh.execute("INSERT INTO ils_organisation (org_id, name, kind) VALUES (?, ?, ?)", ("X", "Riktig nämnd", "namnd"))
    with pytest.raises(WarehouseError, match="not the demo"):
        demo.build(url)
    assert dump(url)["organisations"] == [("X", "Riktig nämnd", "namnd", None, None)]
    assert dump(url)["ledger"] == []


def test_refuses_a_demo_with_loaded_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    demo.build(url)
    with connect(url) as wh:
        wh.execute(
            "INSERT INTO ils_load (load_id, started_at, source, outcome) VALUES (?, ?, ?, ?)",
            ("L1", "2026-09-01T10:00:00", "/data/lis/2026-T2", "ok"),
        )
    with pytest.raises(WarehouseError, match="other data"):
        demo.build(url)


def test_bad_arguments(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    with pytest.raises(Exception, match="seed"):
        demo.build(url, seed=-1)
    with pytest.raises(Exception, match="ledger_rows"):
        demo.build(url, ledger_rows=0)
    assert not (tmp_path / "w.sqlite").exists()


# -- other backends --------------------------------------------------------------------------


def test_build_on_every_backend(empty_url: str, backend: str) -> None:
    info = demo.build(empty_url)
    expected = {name: len(df) for name, df in demo.generate().items()}
    assert info["rows"] == expected and expected["deadlines"] > 0 and expected["users"] > 0
    assert info["outcome_periods"][-1] in ("2026-T2", "2026-BO")
    with connect(empty_url) as wh:
        text = wh.scalar(
            "SELECT text FROM v_comment WHERE org_id = ? AND period = ? AND kind = ?", ("KS", "2026-T2", "avvikelse")
        )
        total = wh.scalar("SELECT SUM(budget) FROM v_ledger")
    assert text.startswith('Kommentar med <script>alert("x")</script> & "citat"') and "\n" in text
    assert total == pytest.approx(demo.generate()["ledger"]["budget"].sum())


# -- the command ---------------------------------------------------------------------------------


def _ils(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ilslib", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=120,
    )


def test_cli_builds_and_prints_summary(tmp_path: Path) -> None:
    path = tmp_path / "cli.sqlite"
    result = _ils("demo", "--warehouse", f"sqlite:///{path}", "--seed", "11")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "organisations: 15 bolag, 1 kommun, 1 koncern, 15 namnd" in out
    assert "ledger months: 2024-01 to 2026-12" in out
    assert out.rstrip().endswith(f"Demo warehouse: {path}")
    assert "done" in out
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT value FROM ils_meta WHERE name = 'demo_seed'").fetchone() == ("11",)


def test_cli_default_is_the_embedded_demo(isolated_env: Path) -> None:
    result = _ils("demo")
    assert result.returncode == 0, result.stderr
    expected = isolated_env / ".local" / "share" / "ils" / "demo.sqlite"
    assert expected.exists() and str(expected.resolve()) in result.stdout


def test_cli_refuses_other_data_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'real.sqlite'}"
    with connect(url, create=True, check_schema=False) as wh:
        init_schema(wh)
        wh.execute("INSERT INTO ils_organisation (org_id, name, kind) VALUES (?, ?, ?)", ("X", "x", "namnd"))
    result = _ils("demo", "--warehouse", url)
    assert result.returncode != 0
    assert result.stderr.startswith("ils: error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_cli_rejects_bad_numbers(tmp_path: Path) -> None:
    result = _ils("demo", "--warehouse", f"sqlite:///{tmp_path / 'w.sqlite'}", "--ledger-rows", "-5")
    assert result.returncode == 2 and "--ledger-rows" in result.stderr
    assert not (tmp_path / "w.sqlite").exists()


# -- the demo grown to many organisations (ils demo --orgs N) ------------------------------------

#: The default demo's content (every contract table as CSV, the builder's own admin row left out):
#: --orgs must not change it. When the demo is changed on purpose, print the new digest with
#: ``python -c "from tests.test_demo import digest; from ilslib import demo; print(digest(demo.generate()))"``.
DEFAULT_DEMO_DIGEST = "0699085726ee97dee77de673d6e648d24ddad32a442c0dd8b04b75150178829f"


def digest(tables: dict[str, pd.DataFrame]) -> str:
    """A digest of every table's content (the builder's admin row left out: it is whoever runs the test)."""
    import hashlib

    h = hashlib.sha256()
    for name, df in tables.items():
        if name == "users":
            df = df[df["name"] != "Den som byggde demon"]
        h.update(name.encode())
        h.update(df.to_csv(index=False).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def grown() -> dict[str, pd.DataFrame]:
    """The demo grown to 40 organisations (seed 2026)."""
    return demo.generate(orgs=40)


def test_default_demo_unchanged_by_orgs() -> None:
    assert digest(demo.generate()) == DEFAULT_DEMO_DIGEST
    assert digest(demo.generate(orgs=32)) == DEFAULT_DEMO_DIGEST  # 32: the catalogue's own


def test_grown_demo_is_deterministic(grown: dict[str, pd.DataFrame]) -> None:
    again, other = demo.generate(orgs=40), demo.generate(seed=7, orgs=40)
    assert digest(again) == digest(grown)
    # who the organisations and people are does not depend on the seed, their figures do
    assert grown["organisations"].equals(other["organisations"])
    assert grown["users"].equals(other["users"])
    for name in ("outcomes", "ledger", "personnel", "assessments", "comments"):
        assert not grown[name].equals(other[name]), name


def test_grown_demo_organisations(grown: dict[str, pd.DataFrame]) -> None:
    from ilslib import identifiers

    orgs = grown["organisations"]
    base = demo.generate()["organisations"]
    assert len(orgs) == 40 and orgs.iloc[:32].equals(base)  # the catalogue's first, unchanged
    added = orgs.iloc[32:]
    assert orgs["org_id"].is_unique and orgs["name"].is_unique
    assert all(identifiers.problem(i) is None and identifiers.normalise(i) == i for i in orgs["org_id"])
    assert set(added["kind"]) == {"namnd", "bolag"}
    assert (added.loc[added["kind"] == "namnd", "parent_id"] == "STAD").all()
    assert (added.loc[added["kind"] == "bolag", "parent_id"] == "KONCERN").all()
    assert added["name"].str.contains("[åäöÅÄÖ]").any() and added["name"].str.contains("&").any()
    assert added["controller"].notna().all() and not added["controller"].isin(base["controller"]).any()
    # every added organisation has its own goals, targets, outcomes, judgements, texts, ledger and staff
    for name in ("goals", "targets", "outcomes", "assessments", "comments", "ledger", "personnel"):
        assert set(added["org_id"]) <= set(grown[name]["org_id"]), name
    activity_orgs = grown["activities"]["org_id"]
    assert set(added["org_id"]) <= set(activity_orgs)
    assert grown["activities"]["activity_id"].is_unique and grown["goals"]["goal_id"].is_unique


def test_grown_demo_people(grown: dict[str, pd.DataFrame]) -> None:
    from ilslib import identifiers

    users, orgs = grown["users"], grown["organisations"]
    assert not users.duplicated(["user_id", "role", "org_id"]).any()
    assert all(identifiers.login_problem(u) is None for u in users["user_id"])
    # one person, one login: a login shared by two names would let one act as the other
    assert users.groupby("user_id")["name"].nunique().eq(1).all()
    assert users.dropna(subset=["email"]).groupby("email")["name"].nunique().eq(1).all()
    added = set(orgs["org_id"].iloc[32:])
    reporters = users[(users["role"] == "reporter") & users["org_id"].isin(added)]
    controllers = users[(users["role"] == "controller") & users["org_id"].isin(added)]
    assert set(reporters["org_id"]) == added and set(controllers["org_id"]) == added
    named = dict(zip(controllers["org_id"], controllers["name"], strict=True))
    assert all(named[o] == c for o, c in zip(orgs["org_id"], orgs["controller"], strict=True) if o in added)


def test_grown_demo_at_scale_has_unique_people_and_a_login_number() -> None:
    # what the 2 000-report benchmark builds, without its figures (they take long): names and logins
    orgs, controllers = demo.grown_organisations(demo.catalogue(), 2000)
    assert len(orgs) == 2000 and len({o["id"] for o in orgs}) == 2000 and len({o["name"] for o in orgs}) == 2000
    assert len(set(controllers)) == len(controllers) == 5 + -(-1968 // 24)
    states = pd.Series([o["latest"] for o in orgs[32:]]).value_counts()
    assert set(states.index) == {"ej_paborjad", "pagaende", "klar", "godkand"}
    with pytest.raises(Exception, match="orgs"):
        demo.generate(orgs=31)
    with pytest.raises(Exception, match="orgs"):
        demo.generate(orgs=demo.MAX_ORGS + 1)


def test_cli_grown_demo_passes_ils_check_like_the_default(tmp_path: Path) -> None:
    """``ils demo --orgs 40`` then ``ils check``: the same kinds of findings as the default demo, no new ones."""
    found = {}
    for name, extra in (("default", ()), ("grown", ("--orgs", "40"))):
        url = f"sqlite:///{tmp_path / name}.sqlite"
        built = _ils("demo", "--warehouse", url, *extra)
        assert built.returncode == 0, built.stderr
        csv = tmp_path / f"{name}.csv"
        checked = _ils("check", "--warehouse", url, "--out", str(csv), "--exit-zero")
        assert checked.returncode == 0, checked.stderr
        found[name] = pd.read_csv(csv, sep=";", encoding="utf-8-sig")
    assert "organisations: 19 bolag, 1 kommun, 1 koncern, 19 namnd" in built.stdout
    assert set(found["grown"]["kontroll"]) == set(found["default"]["kontroll"])
    assert len(found["grown"]) > len(found["default"])
    with sqlite3.connect(tmp_path / "grown.sqlite") as con:
        assert con.execute("SELECT value FROM ils_meta WHERE name = 'demo_orgs'").fetchone() == ("40",)
        assert con.execute("SELECT source FROM ils_load").fetchone() == ("ils demo --seed 2026 --orgs 40",)


def test_cli_rejects_too_few_orgs(tmp_path: Path) -> None:
    result = _ils("demo", "--warehouse", f"sqlite:///{tmp_path / 'w.sqlite'}", "--orgs", "10")
    assert result.returncode != 0 and result.stderr.startswith("ils: error: ") and "orgs" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "w.sqlite").exists()  # refused before the warehouse is created
