"""``latest`` cannot run ahead: the latest period whose reporting is due (a deadline passed) or done (an
organisation ready or approved), else, without deadlines, the latest period most organisations reported.

On every backend, with hand-made data written as a load writes it; ``latest-X`` of the runner and
``ils check``'s default follow the same rule.
"""

from __future__ import annotations

import datetime as dt

import pytest
from test_figures_data import base, outcome, target, write

import ilslib.figures as f
from ilslib.errors import UnknownValueError
from ilslib.figures import as_period

TODAY = dt.date(2026, 11, 27)
BOARDS = ("N1", "N2", "N3", "N4", "N5", "N6")  # with B1, the seven reporting organisations of the data


@pytest.fixture
def city(wh):
    """Outcomes of 2025-T1 .. 2026-T2 from every board and the company; no deadlines, no states."""
    base(wh)
    write(
        wh,
        "indicators",
        [
            {
                "indicator_id": "IH",
                "name": "Nöjda",
                "unit": "%",
                "direction": "higher",
                "frequency": "tertial",
                "source": "KF",
                "decimals": 1,
            }
        ],
    )
    for org in (*BOARDS, "B1"):
        target(wh, org, "IH", 2025, 80)
        target(wh, org, "IH", 2026, 85)
        for per in ("2025-T1", "2025-T2", "2025-BO", "2026-T1", "2026-T2"):
            outcome(wh, org, "IH", per, 81)
    return wh


def _state(wh, org: str, period: str, state: str) -> None:
    wh.execute(
        "INSERT INTO ils_round_state (org_id, period, state, changed_at, changed_by) VALUES (?, ?, ?, ?, ?)",
        (org, period, state, "2026-11-01T10:00:00.000+00:00", "test"),
    )


def _deadline(wh, period: str, day: str, kind: str | None = None) -> None:
    write(wh, "deadlines", [{"period": period, "kind": kind, "deadline": day}])


def test_an_early_row_for_the_next_period_does_not_move_latest(city) -> None:
    assert str(f.latest_period(city, today=TODAY)) == "2026-T2"
    outcome(city, "B1", "IH", "2026-BO", 90)  # one company reports its annual figure early (a draft)
    write(city, "comments", [{"org_id": "N1", "period": "2026-BO", "kind": "rapportkommentar", "text": "Utkast"}])
    assert str(f.latest_period(city, today=TODAY)) == "2026-T2"
    assert str(f.latest_period(city, "BO", today=TODAY)) == "2025-BO"
    for org in BOARDS[:3]:  # now four of seven: most of them have reported it
        outcome(city, org, "IH", "2026-BO", 88)
    assert str(f.latest_period(city, today=TODAY)) == "2026-BO"


def test_a_passed_deadline_makes_a_period_due_and_one_ahead_does_not(city) -> None:
    _deadline(city, "2026-T2", "2026-11-20")
    _deadline(city, "2026-BO", "2027-02-12")
    outcome(city, "B1", "IH", "2026-BO", 90)
    for org in BOARDS:  # most have reported 2026-BO early, but its deadline is ahead: not due, not latest
        outcome(city, org, "IH", "2026-BO", 88)
    assert str(f.latest_period(city, today=TODAY)) == "2026-T2"
    assert str(f.latest_period(city, today=dt.date(2027, 2, 12))) == "2026-T2"  # the deadline day itself
    assert str(f.latest_period(city, today=dt.date(2027, 2, 13))) == "2026-BO"


def test_a_period_with_deadlines_counts_once_one_of_them_has_passed(city) -> None:
    _deadline(city, "2027-T1", "2027-05-29")
    _deadline(city, "2027-T1", "2027-05-20", kind="bolag")  # the companies' deadline comes first
    assert str(f.latest_period(city, today=dt.date(2027, 5, 21))) == "2027-T1"  # due, even with nothing in yet
    assert str(f.latest_period(city, today=dt.date(2027, 5, 20))) == "2026-T2"


def test_a_ready_or_approved_organisation_makes_the_period_latest(city) -> None:
    _deadline(city, "2026-BO", "2027-02-12")  # ahead
    _state(city, "B1", "2026-BO", "pagaende")  # in progress does not count
    assert str(f.latest_period(city, today=TODAY)) == "2026-T2"
    _state(city, "N1", "2026-BO", "klar")
    assert str(f.latest_period(city, today=TODAY)) == "2026-BO"
    city.execute("UPDATE ils_round_state SET state = ? WHERE org_id = ?", ("godkand", "N1"))
    assert str(f.latest_period(city, today=TODAY)) == "2026-BO"


def test_without_deadlines_and_states_most_organisations_decide(city) -> None:
    # 2026-T2 by four of seven is "most"; by three it is not, and 2026-T1 is the latest
    city.execute(
        "DELETE FROM ils_outcome WHERE period = ? AND org_id IN (?, ?, ?, ?)", ("2026-T2", "N1", "N2", "N3", "B1")
    )
    assert str(f.latest_period(city, today=TODAY)) == "2026-T1"
    outcome(city, "N1", "IH", "2026-T2", None, comment="Mätningen gjordes inte")  # a row without a value is a report
    assert str(f.latest_period(city, today=TODAY)) == "2026-T2"
    # the budget counts by its targets: every organisation has targets for 2026
    assert str(f.latest_period(city, "BU", today=TODAY)) == "2026-BU"
    assert str(f.latest_period(city, "T", today=TODAY)) == "2026-T2"
    assert str(f.latest_period(city, "T1", today=TODAY)) == "2026-T1"


def test_nothing_due_or_reported_is_a_clear_error(wh) -> None:
    base(wh)
    with pytest.raises(UnknownValueError, match="the warehouse has no data for any period"):
        f.latest_period(wh)
    write(wh, "indicators", [{"indicator_id": "IH", "name": "N", "unit": "%", "direction": "higher"}])
    outcome(wh, "N1", "IH", "2026-T1", 5)  # one of seven
    with pytest.raises(UnknownValueError, match=r"no period is due or reported yet: .*give the period itself"):
        f.latest_period(wh)
    with pytest.raises(UnknownValueError, match="unknown period code 'T3'"):
        f.latest_period(wh, "T3")


def test_only_booked_months_count_in_a_warehouse_without_outcomes(wh) -> None:
    from test_figures_data import ledger_rows

    base(wh)
    rows = []
    for org in (*BOARDS, "B1"):
        rows += ledger_rows(org, 2026, range(1, 9), "3010", "intakt", 10, 10)
        for r in ledger_rows(org, 2026, range(9, 13), "3010", "intakt", 0, 10):  # the budget of the rest of the year
            r["outcome"] = None
            rows.append(r)
    write(wh, "ledger", rows)
    assert str(f.latest_period(wh)) == "2026-T2"  # not 2026-BO: September-December are not booked


def test_latest_x_of_the_runner_and_the_figures_agree(city) -> None:
    outcome(city, "B1", "IH", "2026-BO", 90)
    _deadline(city, "2026-T1", "2026-05-29")
    assert str(as_period(city, "latest")) == str(f.latest_period(city)) == "2026-T2"
    assert str(as_period(city, "senaste")) == "2026-T2"
    assert str(as_period(city, "latest-BO")) == "2025-BO"
    assert str(as_period(city, "senaste-bo")) == "2025-BO"
    assert str(as_period(city, "latest-T")) == "2026-T2"
    assert str(as_period(city, "latest-BU")) == "2026-BU"
    assert str(f.as_period(city, "latest")) == "2026-T2"
    with pytest.raises(UnknownValueError, match=r"period 'latest-T1': no T1 period is due"):
        city.execute("DELETE FROM ils_outcome WHERE period LIKE ?", ("%-T1",))
        city.execute("DELETE FROM ils_deadline")
        as_period(city, "latest-T1")


def test_the_demo_latest_is_its_tertial_and_the_nightly_run_stays_there(demo, tmp_path) -> None:
    """The documented nightly run (parameters/standard.yaml, period: latest) plans 2026-T2, not an empty 2026-BO."""
    from ilslib.runner.batch import RunRequest, plan

    assert plan(RunRequest(period="latest", all=True, out=str(tmp_path))).period == "2026-T2"
    assert plan(RunRequest(period="latest-BO", all=True, out=str(tmp_path))).period == "2025-BO"
