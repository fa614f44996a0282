"""The report context: every figure of a report computed once, one implementation for every output.

- While a report notebook runs (the full report, the short version, the group report), no
  identical statement (SQL and parameters) reaches the warehouse twice: a tracer on the
  warehouse records every statement.
- ``figures.figures_json`` is the context's document; the context's frames are those of the
  public figure functions.
- Nothing is rebound at run time: the figure functions are the library's own after a report ran.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from report_support import GROUP_NB, KORT_NB, REPORT_NB, warehouse_env

import ilslib
from ilslib import figures as f
from ilslib import warehouse
from ilslib.figures.context import GroupContext, ReportContext, Snapshot


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """Every statement any warehouse executes while the test runs (a tracer on each connection)."""
    seen: list[tuple[str, tuple[Any, ...]]] = []
    original = warehouse.Warehouse._trace

    def trace(self: Any, sql: str, params: Any) -> None:
        seen.append((sql, tuple(params)))
        original(self, sql, params)

    monkeypatch.setattr(warehouse.Warehouse, "_trace", trace)
    return seen


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """A frame with object columns and None for every missing value (dtypes aside, the same data)."""
    df = df.reset_index(drop=True).astype(object)
    return df.where(df.notna(), None)


def _repeats(seen: list[tuple[str, tuple[Any, ...]]]) -> dict[tuple[str, tuple[Any, ...]], int]:
    return {k: n for k, n in collections.Counter(seen).items() if n > 1}


CASES = [
    (REPORT_NB, {"org_id": "SDN_SJV", "period": "2026-T2"}),
    (REPORT_NB, {"org_id": "ENERGI", "period": "2025-BO"}),
    (REPORT_NB, {"org_id": "KONST", "period": "2026-BU"}),
    (REPORT_NB, {"org_id": "STAD", "period": "2026-T1"}),
    (KORT_NB, {"org_id": "ALN", "period": "2026-T2"}),
    (GROUP_NB, {"kind": "bolag", "period": "2025-BO"}),
    (GROUP_NB, {"kind": "koncern", "period": "2026-T2"}),
]


@pytest.mark.parametrize(("notebook", "params"), CASES, ids=[f"{nb.stem}-{'-'.join(p.values())}" for nb, p in CASES])
def test_a_report_executes_no_statement_twice(
    demo_url: str, tmp_path: Path, traced: list, notebook: Path, params: dict[str, str]
) -> None:
    from ilslib.runner.job import Job, run_job

    with warehouse_env(demo_url):
        result = run_job(Job(str(notebook), params, str(tmp_path / "out"), ("html",)))
    assert (result.status, result.error) == ("done", None)
    assert len(traced) > 10, "the tracer saw the report's statements"
    repeats = _repeats(traced)
    assert repeats == {}, "statements executed more than once:\n" + "\n".join(
        f"{n}x {' '.join(sql.split())[:160]} {params}" for (sql, params), n in repeats.items()
    )


def test_the_old_report_would_have_repeated_statements(demo_wh: Any, traced: list) -> None:
    """The tracer finds repeats when figures are asked for one by one, as the notebook did before."""
    org, per = "SDN_SJV", "2026-T2"
    f.figures_json(demo_wh, org, per)
    f.indicators(demo_wh, org, per)
    f.goals(demo_wh, org, per)
    f.comparisons(demo_wh, org, per)
    assert _repeats(traced)


def test_figures_json_is_the_contexts_document(demo_wh: Any) -> None:
    for org, per in (("SDN_SJV", "2026-T2"), ("KONST", "2025-BO"), ("STAD", "2026-BU")):
        api = f.figures_json(demo_wh, org, per, generated_at="2026-01-01T00:00:00+00:00")
        ctx = ReportContext(demo_wh, org, per).figures_json(generated_at="2026-01-01T00:00:00+00:00")
        assert json.dumps(api, sort_keys=True) == json.dumps(ctx, sort_keys=True)


@pytest.mark.parametrize(("org", "per"), [("SDN_SJV", "2026-T2"), ("ENERGI", "2025-BO"), ("KONST", "2026-T1")])
def test_the_contexts_frames_are_the_public_figures(demo_wh: Any, org: str, per: str) -> None:
    ctx = ReportContext(demo_wh, org, per)
    pairs = [
        (ctx.indicators, f.indicators(demo_wh, org, per)),
        (ctx.goals, f.goals(demo_wh, org, per)),
        (ctx.activities, f.activities(demo_wh, org, per)),
        (ctx.texts, f.texts(demo_wh, org, per)),
        (ctx.comparisons, f.comparisons(demo_wh, org, per)),
        (ctx.projection, f.projection(demo_wh, org, per)),
        (ctx.deviations, f.deviations(demo_wh, org, per)),
        (ctx.accounts(8), f.accounts(demo_wh, org, per, n=8)),
        (ctx.economy_series, f.economy_series(demo_wh, org, per)),
        (ctx.sick_leave_series, f.sick_leave_series(demo_wh, org, per)),
        (ctx.goal_tree, f.goal_tree(demo_wh, org, per)),
    ]
    for got, expected in pairs:
        pd.testing.assert_frame_equal(plain(got), plain(expected))
    economy = f.economy(demo_wh, per, org).iloc[0]
    assert ctx.economy == {
        k: (None if v is None or v != v else v if isinstance(v, str) else float(v)) for k, v in economy.items()
    }
    sick = f.compare(demo_wh, per, "sick_leave_pct", org_id=org)
    assert ctx.sick_leave_compare[["org_id", "value", "rank", "colour"]].equals(
        sick[["org_id", "value", "rank", "colour"]]
    )
    assert ctx.data_hash == f.data_hash(demo_wh, org, per)


def test_each_frame_is_computed_once(demo_wh: Any) -> None:
    ctx = ReportContext(demo_wh, "ALN", "2026-T2")
    assert ctx.indicators is ctx.indicators and ctx.comparisons is ctx.comparisons
    g = GroupContext(demo_wh, "2026-T2", "bolag")
    assert g.rollup is g.rollup and g.status_matrix is g.status_matrix


def test_the_snapshot_runs_a_statement_once_and_hands_out_copies(demo_url: str, traced: list) -> None:
    with ilslib.connect(demo_url) as wh:
        snap = Snapshot(wh)
        a = snap.query("SELECT org_id FROM v_organisation WHERE kind = ?", ("bolag",))
        a["org_id"] = "changed"
        b = snap.query("SELECT org_id FROM v_organisation WHERE kind = ?", ("bolag",))
        assert "changed" not in set(b["org_id"])
        assert snap.rows("SELECT COUNT(*) FROM v_organisation") == snap.rows("SELECT COUNT(*) FROM v_organisation")
        assert snap.dialect == wh.dialect
    counts = collections.Counter(sql for sql, _ in traced)
    assert counts["SELECT org_id FROM v_organisation WHERE kind = ?"] == 1
    assert counts["SELECT COUNT(*) FROM v_organisation"] == 1


def test_nothing_is_rebound_at_run_time(demo_url: str, tmp_path: Path) -> None:
    import importlib

    from ilslib.runner.job import Job, run_job

    economy = importlib.import_module("ilslib.figures.economy")
    indicators = importlib.import_module("ilslib.figures.indicators")
    before = (indicators.indicator_rows, economy.economy_frame)
    with warehouse_env(demo_url):
        run_job(Job(str(REPORT_NB), {"org_id": "ALN", "period": "2026-T2"}, str(tmp_path / "o"), ("html",)))
    assert (indicators.indicator_rows, economy.economy_frame) == before
    assert not hasattr(indicators.indicator_rows, "__ils_memoised__")
