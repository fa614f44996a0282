"""``ils check``: each data-quality check finds exactly the gaps planted in tests/good_loads/quality."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ilslib.check import CHECKS, PLAUSIBILITY, is_outlier, run_checks, write_report
from ilslib.errors import ConfigError, UnknownValueError
from ilslib.load import load_dir

QUALITY = Path(__file__).parent / "good_loads" / "quality"

# The gaps planted in the quality load, for 2026-T2 (see the comments in docs/loading.md).
EXPECTED_T2 = {
    "org_no_targets": [("N2", None)],  # K is a kommun, not a reporting kind
    "indicator_no_outcome": [("B1", "TI")],  # N1 AI is annual: not followed up in a tertial
    "outcome_no_target": [("N2", "TI")],
    "goal_no_judgement": [("B1", "G2")],  # G3 ended in 2025; B1's row has no assessment
    "activity_no_status": [("B1", "A2")],  # A3 ended in 2025
    "outlier": [("N1", "TI")],  # 200 against about 80
    "ledger_month_missing": [("B1", f"2026-{m:02d}") for m in range(1, 9)] + [("N1", "2026-05")],
    "personnel_month_missing": [("N1", "2026-08")],  # N2's ledger is from 2023: not expected any more
} | {name: [] for name, _, _ in PLAUSIBILITY}  # the quality load is plausible


@pytest.fixture
def quality_wh(wh):
    result = load_dir(wh, QUALITY)
    assert result.ok, [str(r) for r in result.rejects]
    return wh


def found(report) -> dict[str, list[tuple[str | None, str | None]]]:
    return {name: [(f.org_id, f.item) for f in items] for name, items in report.by_check().items()}


def test_each_check_finds_exactly_the_planted_gaps(quality_wh):
    report = run_checks(quality_wh, "2026-T2")
    assert str(report.period) == "2026-T2"
    assert found(report) == EXPECTED_T2
    assert report.ran == [name for name, _, _ in CHECKS] + [name for name, _, _ in PLAUSIBILITY]
    out = next(f for f in report.findings if f.check == "outlier")
    assert out.value == 200.0
    assert out.detail == "200 mot medianen 80 (MAD 1) för 7 tidigare perioder"


def test_the_default_period_is_the_latest_reported(quality_wh):
    assert str(run_checks(quality_wh).period) == "2026-T2"


def test_other_periods(quality_wh):
    t1 = found(run_checks(quality_wh, "2026-T1"))
    assert t1["outlier"] == []  # 81 is within the history
    assert t1["indicator_no_outcome"] == []  # B1's target is for T2 only; N1 reported T1
    assert t1["outcome_no_target"] == []
    bo = found(run_checks(quality_wh, "2026-BO"))
    # In BO every indicator is followed up: N1's annual indicator has no BO outcome.
    assert ("N1", "AI") in bo["indicator_no_outcome"]
    budget = run_checks(quality_wh, "2026-BU")
    assert budget.ran == ["org_no_targets"] + [name for name, _, _ in PLAUSIBILITY]
    assert budget.notes == ["2026-BU är en budgetperiod (inga utfall): av periodens kontroller görs bara målvärdena"]
    with pytest.raises(UnknownValueError, match="malformed period '2026-T4'"):
        run_checks(quality_wh, "2026-T4")


def test_an_empty_warehouse_has_nothing_to_check(wh):
    report = run_checks(wh)
    assert report.period is None and report.findings == []
    assert report.notes == ["lagret har inga uppgifter för någon period: inga periodkontroller"]


def test_outlier_rule():
    assert is_outlier(250.0, [80.0, 82.0, 79.0, 81.0, 80.0])[0]
    assert not is_outlier(83.0, [80.0, 82.0, 79.0, 81.0, 80.0])[0]
    assert not is_outlier(5.0, [1.0, 2.0, 3.0])[0]  # too little history
    assert not is_outlier(86.4, [88.8, 88.5, 89.0, 88.9])[0]  # a steady series: at least 5 % of the median
    assert is_outlier(1.0, [0.0, 0.0, 0.0, 0.0])[0]  # flat at zero: anything else stands out
    assert not is_outlier(-0.0, [0.0, 0.0, 0.0, 0.0])[0]


def test_report_files(quality_wh, tmp_path):
    report = run_checks(quality_wh, "2026-T2")
    md = write_report(report, tmp_path / "q.md").read_text(encoding="utf-8")
    assert md.startswith("# Datakvalitet: 2026-T2\n")
    assert "| Avvikande värden \\(långt från indikatorns egen historik\\) | 1 |" in md
    assert "| N1 | TI | 2026-T2 | 200 | 200 mot medianen 80 \\(MAD 1\\) för 7 tidigare perioder |" in md
    with write_report(report, tmp_path / "q.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == ["kontroll", "rubrik", "organisation", "objekt", "period", "värde", "beskrivning"]
    assert len(rows) - 1 == sum(len(v) for v in EXPECTED_T2.values())
    assert ["outlier", "N1", "TI", "2026-T2", "200"] == [
        rows[[r[0] for r in rows].index("outlier")][i] for i in (0, 2, 3, 4, 5)
    ]
    with pytest.raises(ConfigError, match="written as .csv or .md"):
        write_report(report, tmp_path / "q.txt")


def test_cli_check(wh_url, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("the command is exercised on the embedded backend; the checks on all")
    env = dict(os.environ)
    run = [sys.executable, "-m", "ilslib"]
    assert (
        subprocess.run(
            [*run, "load", str(QUALITY), "--warehouse", wh_url, "-q"], env=env, capture_output=True
        ).returncode
        == 0
    )
    out = tmp_path / "report" / "quality.md"
    proc = subprocess.run(
        [*run, "check", "--period", "2026-T2", "--warehouse", wh_url, "--out", str(out), "--show", "3"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stderr  # findings: exit 1, for scheduled runs
    assert proc.stdout.startswith(f"Datakvalitet i {wh_url}, period 2026-T2\n")
    assert "Månader som saknas i huvudboken" in proc.stdout
    assert "... och 6 till (skriv ut alla med --out FIL)" in proc.stdout
    assert f"16 iakttagelser skrivna till {out}" in proc.stdout
    assert out.is_file()
    zero = subprocess.run(
        [*run, "check", "--period", "2026-T2", "--warehouse", wh_url, "--exit-zero"], env=env, capture_output=True
    )
    assert zero.returncode == 0 and zero.stdout.decode().endswith("\n16 iakttagelser.\n")
    bad = subprocess.run(
        [*run, "check", "--period", "T2", "--warehouse", wh_url], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("ils: error: malformed period 'T2'")


def test_a_broken_warehouse_is_an_error_not_a_clean_report(tmp_path, ils):
    """A missing view is a one-line error with a non-zero exit, never "nothing to check"."""
    import sqlite3

    from ilslib import connect
    from ilslib.schema import init_schema

    path = tmp_path / "broken.sqlite"
    with connect(f"sqlite:///{path}", create=True, check_schema=False) as w:
        init_schema(w)
    con = sqlite3.connect(path)
    con.execute("DROP VIEW v_ledger")
    con.commit()
    con.close()
    code, out, err = ils("check", "--warehouse", f"sqlite:///{path}")
    assert code != 0
    assert err.startswith("ils: error:") and "v_ledger" in err and "Traceback" not in err
    assert "nothing to check" not in out


# -- rows an older load could store, the report's formats ------------------------------------------


def _implausible(wh) -> None:
    """Rows that contract version 2 rejects at load, written directly (as a version-1 load could)."""
    with wh.transaction():
        wh.executemany(
            "INSERT INTO ils_organisation (org_id, name, kind, parent_id) VALUES (?, ?, ?, ?)",
            [
                ("K", "Staden", "kommun", None),
                ("A", '=HYPERLINK("http://x";"klicka") <b>A</b>', "namnd", "B"),
                ("B", "B | *fet* [länk](http://x)", "namnd", "A"),
            ],
        )
        wh.executemany(
            "INSERT INTO ils_goal (goal_id, org_id, level, parent_goal_id, title, first_year, last_year) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ("G1", "A", "namndmal", "G2", "Mål ett", 2027, 2026),
                ("G2", "A", "namndmal", "G1", "Mål två", None, None),
            ],
        )
        wh.execute(
            "INSERT INTO ils_activity (activity_id, org_id, title, source, start_date, end_date) VALUES (?, ?, ?, ?, ?, ?)",
            ("AK", "A", "@SUM(1)", "own", _date(wh, "2026-06-01"), _date(wh, "2026-05-01")),
        )
        wh.executemany(
            "INSERT INTO ils_personnel (org_id, month, headcount, fte, scheduled_hours, sick_hours) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [("A", "2026-01", 10, 9.5, 1600.0, 1700.25), ("B", "2026-01", -2, 9.0, 1600.0, 10.0)],
        )
        wh.execute(
            "INSERT INTO ils_indicator (indicator_id, name, unit, direction, frequency, source, decimals) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("I", "Ind", "%", "higher", "annual", "own", 1),
        )
        wh.execute(
            "INSERT INTO ils_outcome (org_id, indicator_id, period, value, gender) VALUES (?, ?, ?, ?, ?)",
            ("A", "I", "2026-BU", 1234.5, "T"),
        )


def _date(wh, iso: str):
    import datetime

    return iso if wh.dialect == "sqlite" and not wh.is_odbc else datetime.date.fromisoformat(iso)


EXPECTED_PLAUSIBILITY = {
    "org_cycle": [("A", None), ("B", None)],
    "goal_cycle": [("A", "G1"), ("A", "G2")],
    "activity_end_before_start": [("A", "AK")],
    "goal_years_reversed": [("A", "G1")],
    "sick_above_scheduled": [("A", "2026-01")],
    "negative_personnel": [("B", "2026-01")],
    "budget_period_rows": [("A", "I")],
}


def test_implausible_rows_in_the_warehouse_are_reported(wh, tmp_path):
    _implausible(wh)
    report = run_checks(wh, "2026-BU")
    got = {name: items for name, items in found(report).items() if name in EXPECTED_PLAUSIBILITY}
    assert got == EXPECTED_PLAUSIBILITY
    details = {f.check: f.detail for f in report.findings}
    assert details["org_cycle"] == "organisationen ingår i en cykel av överordnade: A → B → A"
    assert details["activity_end_before_start"] == "@SUM(1): slutar 2026-05-01, före start 2026-06-01"
    assert details["sick_above_scheduled"] == "1\xa0700,25 sjuktimmar men 1\xa0600 schemalagda timmar"
    assert details["negative_personnel"] == "antal anställda −2"
    assert details["budget_period_rows"] == "utfall för budgetperioden 2026-BU"

    with write_report(report, tmp_path / "k.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    sick = next(r for r in rows if r[0] == "sick_above_scheduled")
    assert sick[5] == "1700,25"  # a number Excel reads in Swedish: decimal comma, no grouping
    assert next(r for r in rows if r[0] == "negative_personnel")[5] == "-2"
    for r in rows:
        for cell in r:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
    assert next(r for r in rows if r[0] == "activity_end_before_start")[6].startswith("'@SUM(1)")

    md = write_report(report, tmp_path / "k.md").read_text(encoding="utf-8")
    assert "<b>" not in md and "](http" not in md
    assert "| Organisationer i en cykel av överordnade | 2 |" in md
    assert "| A |  |  |  | organisationen ingår i en cykel av överordnade: A → B → A |" in md


def test_cli_check_exit_codes_on_a_plausible_and_an_implausible_warehouse(wh, wh_url, backend, ils):
    if backend != "sqlite":
        pytest.skip("the command is exercised on the embedded backend; the checks on all")
    code, out, _ = ils("check", "--warehouse", wh_url)
    assert code == 0 and out.rstrip().endswith("Inga iakttagelser.")
    _implausible(wh)
    code, out, err = ils("check", "--warehouse", wh_url, "--period", "2026-BU")
    assert code == 1, err
    assert "Mål i en cykel av överordnade mål" in out and out.rstrip().endswith(
        "11 iakttagelser."
    )  # 9 + two boards without targets
    # No period given: no period has outcomes (a budget period's row does not count), so no period checks
    code, out, err = ils("check", "--warehouse", wh_url)
    assert code == 1, err
    assert "inga periodkontroller" in out and out.rstrip().endswith("9 iakttagelser.")
    code, _, _ = ils("check", "--warehouse", wh_url, "--exit-zero")
    assert code == 0
    code, out, _ = ils("check", "--help")
    assert code == 0 and "--exit-zero" in out and "exit codes: 0 nothing found, 1 findings" in out
