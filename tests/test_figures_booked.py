"""Months not yet booked: an empty ledger outcome is never a zero, and the outcome is compared with the budget of
the same months only. Hand-made ledgers on every backend; the report, figures.json, report.xlsx and the group
report on the demo (where two organisations have not closed their last months of 2026).
"""

from __future__ import annotations

import math

import pytest
from test_figures_data import base, ledger_rows, write

import ilslib.figures as f
from ilslib.report import tables as t


def _unbooked(rows: list[dict]) -> list[dict]:
    for r in rows:
        r["outcome"] = None
    return rows


@pytest.fixture
def ledger(wh):
    """2026, income 100/month (budget 90) and costs 50/month (budget 60):

    - N1: January-June booked, July and August not (the outcome empty, the budget there);
    - N2: every month to August booked, but March not (a month missing in the middle);
    - N3: July booked for one account only (a month is booked when any of its rows is);
    - N4: nothing booked yet (the budget only);
    - N5: booked through August, a zero outcome in August (a real zero, not a missing month).
    """
    base(wh)
    rows = []
    for org in ("N1", "N2", "N3", "N4", "N5"):
        for m in range(1, 9):
            unbooked = (org == "N1" and m > 6) or (org == "N2" and m == 3) or org == "N4" or (org == "N3" and m == 8)
            inc = ledger_rows(org, 2026, range(m, m + 1), "3010", "intakt", 100, 90, 1300 if m == 8 else None)
            cost = ledger_rows(org, 2026, range(m, m + 1), "4010", "kostnad", 50, 60, 650 if m == 8 else None)
            if unbooked or (org == "N3" and m == 7):
                cost = _unbooked(cost)  # N3's July: the costs are not booked, the income is
            if unbooked:
                inc = _unbooked(inc)
            if org == "N5" and m == 8:
                inc[0]["outcome"] = cost[0]["outcome"] = 0.0
            rows += inc + cost
        rows += _unbooked(ledger_rows(org, 2026, range(9, 13), "3010", "intakt", 0, 90))  # the rest of the year
    write(wh, "ledger", rows)
    return wh


def test_the_outcome_is_compared_with_the_same_months_budget(ledger) -> None:
    e = f.economy(ledger, "2026-T2")
    n1 = e.loc["N1"]
    assert (n1["income"], n1["costs"], n1["net"]) == (600.0, 300.0, 300.0)  # six months, never eight with two zeros
    assert (n1["budget_income"], n1["budget_costs"], n1["budget_net"]) == (540.0, 360.0, 180.0)  # January-June
    assert n1["deviation"] == 120.0 and n1["deviation_pct"] == pytest.approx(120 / 360 * 100)
    assert (n1["booked_through"], n1["booked_months"]) == ("2026-06", 6)
    # the full-year forecast is read from the period's last month as the contract says, booked or not
    assert (n1["forecast_net"], n1["forecast_deviation"]) == (650.0, 650.0 - 12 * 90 + 8 * 60)


def test_a_month_missing_in_the_middle_and_a_month_booked_for_one_account(ledger) -> None:
    e = f.economy(ledger, "2026-T2")
    n2 = e.loc["N2"]
    assert (n2["booked_through"], n2["booked_months"]) == ("2026-08", 7)
    assert (n2["income"], n2["budget_income"], n2["deviation"]) == (700.0, 630.0, 7 * 10 + 7 * 10)
    n3 = e.loc["N3"]  # July is booked (its income is); August is not
    assert (n3["booked_through"], n3["booked_months"]) == ("2026-07", 7)
    assert (n3["income"], n3["costs"]) == (700.0, 300.0)  # July's unbooked cost row is not a zero either ...
    assert n3["budget_costs"] == 420.0  # ... but July is booked, so its cost budget counts (the month-level rule)
    assert f.partly_booked(e.loc["N2"].to_dict(), "2026-T2") and f.partly_booked(n3.to_dict(), "2026-T2")


def test_nothing_booked_and_a_real_zero(ledger) -> None:
    e = f.economy(ledger, "2026-T2")
    n4 = e.loc["N4"]
    assert math.isnan(n4["income"]) and math.isnan(n4["net"]) and math.isnan(n4["deviation"])  # missing, not 0
    assert n4["budget_net"] == 8 * 30.0 and n4["booked_through"] is None and n4["booked_months"] == 0
    n5 = e.loc["N5"]
    assert (n5["booked_through"], n5["booked_months"], n5["income"]) == ("2026-08", 8, 700.0)  # 0 is booked
    assert not f.partly_booked(n5.to_dict(), "2026-T2") and not f.partly_booked(n4.to_dict(), "2026-T2")
    # the annual report: September-December are not booked for anyone
    bo = f.economy(ledger, "2026-BO").loc["N5"]
    assert (bo["booked_through"], bo["booked_months"], bo["budget_income"]) == ("2026-08", 8, 720.0)


def test_booked_months_series_and_accounts_follow_the_rule(ledger) -> None:
    assert f.booked_months(ledger, "N1", "2026-T2") == [f"2026-0{m}" for m in range(1, 7)]
    assert f.booked_months(ledger, "N2", "2026-T1") == ["2026-01", "2026-02", "2026-04"]
    assert f.booked_months(ledger, "N4", "2026-T2") == [] and f.booked_months(ledger, "N1", "2026-BU") == []
    s = f.economy_series(ledger, "N1", "2026-T2")
    assert s["booked"].tolist() == [True] * 6 + [False] * 2
    assert s["net"].iloc[-2:].isna().all() and s["cum_net"].iloc[-2:].isna().all()  # not booked: no line, not 0
    assert s["cum_budget_net"].iloc[-1] == 8 * 30.0  # the plan goes on
    last = s[s["booked"]].iloc[-1]
    e = f.economy(ledger, "2026-T2").loc["N1"]
    assert (last["cum_net"], last["cum_budget_net"]) == (e["net"], e["budget_net"])
    acc = f.accounts(ledger, "N1", "2026-T2").set_index("account")
    assert (acc.loc["3010", "outcome"], acc.loc["3010", "budget"], acc.loc["3010", "deviation"]) == (600.0, 540.0, 60.0)
    assert f.accounts(ledger, "N4", "2026-T2").empty


def test_the_group_total_sums_the_same_months(ledger) -> None:
    e = f.economy(ledger, "2026-T2")
    total = f.economy_total(e)
    assert total["net"] == sum(e.loc[o, "net"] for o in ("N1", "N2", "N3", "N5"))
    assert total["deviation"] == sum(e.loc[o, "deviation"] for o in ("N1", "N2", "N3", "N5"))
    assert "N4" in total["missing"]["net"]


def test_the_report_says_so_beside_the_economy(ledger) -> None:
    from ilslib.figures._common import plain
    from ilslib.periods import Period

    per = Period.parse("2026-T2")
    every = f.economy(ledger, per)

    def row(org: str) -> dict:  # as the report context hands it to the tables: plain Python values
        return plain(every.loc[org].to_dict())

    e = row("N1")
    assert t.economy_caption(e, per) == "Budgetuppföljning januari–augusti 2026, utfall t.o.m. juni"
    table = t.economy_table(e, caption=t.economy_caption(e, per), period=per)
    assert table.notes == [
        "Utfall t.o.m. juni 2026: juli–augusti är ännu inte bokförda. Utfallet jämförs med budgeten för samma "
        "månader, januari–juni; en månad utan bokfört utfall räknas aldrig som noll."
    ]
    assert table.to_dict()["notes"] == table.notes  # report.xlsx writes the note under the table
    assert t.booked_note(row("N2"), per).startswith("Utfall t.o.m. augusti 2026, men bara 7 av periodens 8 månader")
    assert t.booked_note(row("N3"), per).startswith("Utfall t.o.m. juli 2026: augusti är ännu inte bokförd.")
    n5 = row("N5")
    assert t.economy_caption(n5, per) == "Budgetuppföljning januari–augusti 2026" and t.booked_note(n5, per) is None
    assert t.economy_table(row("N4"), caption="x", period=per).notes == []  # nothing booked: missing, said as -


# -- on the demo: the report, figures.json, report.xlsx, the group report ---------------------------------


def test_the_demo_report_of_an_organisation_booked_through_june(reports) -> None:
    r = reports.org("SDN_BJD", "2026-T2")
    doc = r.figures()
    assert (doc["economy"]["booked_through"], doc["economy"]["booked_months"]) == ("2026-06", 6)
    soup = r.soup()
    captions = [c.get_text(" ", strip=True) for c in soup.find_all("caption")]
    assert "Budgetuppföljning januari–augusti 2026, utfall t.o.m. juni" in captions
    text = soup.get_text(" ", strip=True)
    assert "Utfall t.o.m. juni 2026: juli–augusti är ännu inte bokförda." in text
    assert "Budgetavvikelse t.o.m. juni" in text  # the headline figure says which months it covers
    assert "utfall t.o.m. juni, senare månader är ännu inte bokförda" in text  # the chart's caption
    import io

    from openpyxl import load_workbook

    from ilslib.report import report_files

    wb = load_workbook(io.BytesIO(report_files(r.notebook(), formats=("xlsx",))["report.xlsx"]))
    ws = wb["Ekonomi"]
    cells = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert cells[0].removesuffix(" (utkast)") == "Budgetuppföljning januari–augusti 2026, utfall t.o.m. juni"
    assert any(v.startswith("Utfall t.o.m. juni 2026: juli–augusti är ännu inte bokförda") for v in cells)
    values = {row[0].value: row[1].value for row in ws.iter_rows(min_row=3, max_row=5)}
    assert values["Nettoresultat"] == doc["economy"]["net"]  # the exact kronor of the booked months


def test_the_demo_group_report_shows_the_booked_month(reports) -> None:
    r = reports.group("bolag", "2026-T2")
    doc = r.figures()
    by = {e["org_id"]: e for e in doc["economy"]}
    assert by["SJOTRAFIK"]["booked_through"] == "2026-07" and by["HAMN"]["booked_through"] == "2026-08"
    from report_support import find_table, table_rows
    from report_support import text as cell_text

    soup = r.soup()
    heads, rows = table_rows(find_table(soup, "Budgetuppföljning per organisation"))
    assert "Utfall t.o.m." not in heads  # the month goes after the name: the table still fits an A4 page
    names = [cell_text(row["Organisation"]) for row in rows]
    assert "Mälarviks Sjötrafik AB (utfall t.o.m. juli)" in names  # not yet booked in August
    assert "Mälarviks Hamn AB" in names and names[-1] == "Summa"  # fully booked: the name alone
    text = soup.get_text(" ", strip=True)
    assert "Periodens sista månader är ännu inte bokförda för Mälarviks Sjötrafik AB (bokfört t.o.m. juli)" in text
