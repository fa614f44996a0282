"""What a period means, in one table: the calendar order of periods and what ``latest`` resolves to.

Every caller that reads a period (the figures and notebooks through ``as_period``,
``latest_period``, ``ils check``'s default, the runner's plan of reports and of books)
is asked the same question for every row of the same table, on every backend.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from test_figures_data import outcome, write
from test_latest import BOARDS, _state, city  # noqa: F401  (city is a fixture)

import ilslib.figures as f
from ilslib.check import run_checks
from ilslib.errors import IlsError
from ilslib.periods import PERIOD_CODES, Period, is_latest, latest_code, period_order
from ilslib.runner.batch import RunRequest, plan

CALENDAR = ["2024-BO", "2025-BU", "2025-T1", "2025-T2", "2025-BO", "2026-BU", "2026-T1", "2026-T2", "2026-BO"]


def test_periods_order_by_the_calendar_bu_t1_t2_bo() -> None:
    shuffled = CALENDAR[:]
    random.Random(7).shuffle(shuffled)
    assert [str(p) for p in sorted(Period.parse(x) for x in shuffled)] == CALENDAR
    assert sorted(shuffled, key=period_order) == CALENDAR
    assert list(PERIOD_CODES) == ["BU", "T1", "T2", "BO"]
    bu, t1, t2, bo = (Period(2026, c) for c in PERIOD_CODES)
    assert bu < t1 < t2 < bo and bo > bu and bo >= bo and not bo < bo
    assert Period(2025, "BO") < bu and max(bu, bo, t1) == bo and min(Period(2027, "BU"), bo) == bo
    assert Period.parse("2026-T2") == t2 and hash(Period.parse("2026-T2")) == hash(t2)
    assert sorted(["2026-BO", "junk", "2026-BU"], key=period_order) == ["junk", "2026-BU", "2026-BO"]


def _draft_bo(wh: Any) -> None:
    outcome(wh, "B1", "IH", "2026-BO", 90)  # one company reports its annual figures early: not "most"


def _most_report_bo(wh: Any) -> None:
    for org in BOARDS[:4]:
        outcome(wh, org, "IH", "2026-BO", 88)


def _bo_ready(wh: Any) -> None:
    _draft_bo(wh)
    _state(wh, "N1", "2026-BO", "klar")


def _bo_deadline_passed(wh: Any) -> None:
    _draft_bo(wh)
    write(wh, "deadlines", [{"period": "2026-BO", "kind": None, "deadline": "2026-01-15"}])


def _bo_deadline_ahead(wh: Any) -> None:
    _most_report_bo(wh)  # most have reported early, but the deadline is ahead: not due
    write(wh, "deadlines", [{"period": "2026-BO", "kind": None, "deadline": "2099-02-12"}])


def _nothing(wh: Any) -> None:
    pass


#: (situation, what is asked, what every caller answers: a period, or the start of the error's text)
TABLE = [
    (_nothing, "latest", "2026-T2"),
    (_nothing, "senaste", "2026-T2"),
    (_nothing, " Latest ", "2026-T2"),
    (_nothing, "latest-BO", "2025-BO"),
    (_nothing, "senaste-bo", "2025-BO"),
    (_nothing, "latest-T", "2026-T2"),
    (_nothing, "latest-T1", "2026-T1"),
    (_nothing, "latest-BU", "2026-BU"),
    (_nothing, "2025-T1", "2025-T1"),
    (_draft_bo, "latest", "2026-T2"),
    (_draft_bo, "latest-BO", "2025-BO"),
    (_most_report_bo, "latest", "2026-BO"),
    (_most_report_bo, "latest-T", "2026-T2"),
    (_bo_ready, "latest", "2026-BO"),
    (_bo_ready, "latest-BO", "2026-BO"),
    (_bo_deadline_passed, "latest", "2026-BO"),
    (_bo_deadline_ahead, "latest", "2026-T2"),
    (_bo_deadline_ahead, "latest-BO", "2025-BO"),
    (_nothing, "latest-T3", "error: period 'latest-T3': expected latest, latest-T (a tertial), or latest-BU"),
    (_nothing, "latest-", "error: period 'latest-': expected latest, latest-T"),
    (_nothing, "2026-T5", "error: malformed period '2026-T5'"),
    (_nothing, "1899-BO", "error: period '1899-BO': the year must be 1900-2199"),
]


def _callers(wh: Any, url: str, out: Path) -> dict[str, Any]:
    """Every way a period given by a user or a notebook is read, each answering a period's text."""
    return {
        "figures.as_period (notebooks, reports, ils book, ils publish)": lambda spec: str(f.as_period(wh, spec)),
        "ils run (the runner's plan)": lambda spec: (
            plan(RunRequest(period=spec, orgs=["N1"], warehouse=url, out=str(out))).period
        ),
        "ils run --book": lambda spec: (
            plan(RunRequest(period=spec, book=["namnd"], warehouse=url, out=str(out))).period
        ),
        "ils check": lambda spec: str(run_checks(wh, spec).period),
    }


@pytest.mark.parametrize(("situation", "spec", "expected"), TABLE, ids=[f"{s.__name__}:{p}" for s, p, _ in TABLE])
def test_every_caller_reads_a_period_the_same_way(city, wh_url, tmp_path, situation, spec, expected) -> None:  # noqa: F811
    situation(city)
    for name, ask in _callers(city, wh_url, tmp_path / "out").items():
        if expected.startswith("error: "):
            with pytest.raises(IlsError) as caught:
                ask(spec)
            assert str(caught.value).startswith(expected.removeprefix("error: ")), (name, str(caught.value))
        else:
            assert ask(spec) == expected, name
    if is_latest(spec) and not expected.startswith("error: "):
        assert str(f.latest_period(city, latest_code(spec))) == expected
