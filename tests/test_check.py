"""``ils check``: each data-quality check finds exactly the gaps planted in tests/good_loads/quality."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ilslib.check import CHECKS, is_outlier, run_checks, write_report
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
}


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
    assert report.ran == [name for name, _, _ in CHECKS]
    out = next(f for f in report.findings if f.check == "outlier")
    assert out.value == 200.0
    assert out.detail == "200 against a median of 80 (MAD 1) over 7 earlier periods"


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
    assert budget.ran == ["org_no_targets"]
    assert budget.notes == ["2026-BU is a budget period (no outcomes): only the targets are checked"]
    with pytest.raises(UnknownValueError, match="malformed period '2026-T4'"):
        run_checks(quality_wh, "2026-T4")


def test_an_empty_warehouse_has_nothing_to_check(wh):
    report = run_checks(wh)
    assert report.period is None and report.findings == []
    assert report.notes == ["the warehouse has no data for any period: nothing to check"]


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
    assert md.startswith("# Data quality: 2026-T2\n")
    assert "| Outliers (far from the indicator's own history) | 1 |" in md
    assert "| N1 | TI | 2026-T2 | 200 | 200 against a median of 80 (MAD 1) over 7 earlier periods |" in md
    with write_report(report, tmp_path / "q.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == ["check", "org_id", "item", "period", "value", "detail"]
    assert len(rows) - 1 == sum(len(v) for v in EXPECTED_T2.values())
    assert ["outlier", "N1", "TI", "2026-T2", "200.0"] == rows[[r[0] for r in rows].index("outlier")][:5]
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
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"Data quality of {wh_url}, period 2026-T2\n")
    assert "Ledger months missing" in proc.stdout and "... and 6 more (write them all with --out FILE)" in proc.stdout
    assert f"16 findings written to {out}" in proc.stdout
    assert out.is_file()
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
