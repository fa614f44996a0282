"""The group report "Mål och måluppfyllelse" (notebooks/group_report.ipynb) on the embedded demo.

For the companies of the koncern and the boards of the city, in every period
type: it runs; ``figures.json`` equals the API (``rollup``, ``economy``); the
roll-up table, the status matrix and the economy table show exactly those
figures; data text is escaped; no code, warnings or network references; the
tables match a committed snapshot (``ILS_UPDATE_SNAPSHOTS=1`` rewrites it).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from report_support import (
    GROUP_KINDS,
    PERIODS,
    SNAPSHOT_MASK,
    Reports,
    assert_clean,
    assert_inert,
    check_snapshot,
    done,
    find_table,
    table_rows,
    table_snapshot,
    text,
)

from ilslib import figures as f
from ilslib import fmt
from ilslib.contract import CONTRACT_VERSION
from ilslib.report.group import CELL_TEXT, JUDGEMENT_TEXT

MATRIX = [(kind, per) for kind in GROUP_KINDS for per in PERIODS]
IDS = [f"{k}-{p}" for k, p in MATRIX]
FOLLOW_UP = [(k, p) for k, p in MATRIX if not p.endswith("BU")]
FOLLOW_UP_IDS = [f"{k}-{p}" for k, p in FOLLOW_UP]
PLURAL = {"bolag": "bolagen", "namnd": "nämnderna", "koncern": "koncernens bolag"}


@pytest.mark.parametrize(("kind", "period"), MATRIX, ids=IDS)
def test_group_report_runs_and_its_figures_equal_the_api(
    reports: Reports, demo_wh: Any, kind: str, period: str
) -> None:
    report = done(reports.group(kind, period))
    assert report.warnings == ()
    for name in ("report.ipynb", "report.html", "figures.json"):
        assert (report.out / name).stat().st_size > 0, name
    outputs = [o for c in report.notebook().cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")]
    doc = report.figures()
    assert (doc["contract_version"], doc["kind"], doc["period"]) == (CONTRACT_VERSION, kind, period)
    roll = f.rollup(demo_wh, period, kind)
    assert [{k: v for k, v in r.items() if k != "cells"} for r in doc["rollup"]] == json.loads(
        roll.to_json(orient="records", force_ascii=False)
    )
    detail = f.rollup_detail(demo_wh, period, kind)
    for goal in doc["rollup"]:
        cells = {c["org_id"]: c for c in goal["cells"]}
        d = detail[detail["goal_id"] == goal["goal_id"]]
        assert {o: (c["assessment"], c["derived"]) for o, c in cells.items()} == {
            r["org_id"]: (r["assessment"], bool(r["derived"])) for r in d.to_dict("records")
        }
        assert all(c["derived"] == (c["basis"] == "own_goals") for c in cells.values())
        assert sum(c["derived"] for c in cells.values()) == goal["derived"]
    members = set(f.organisations(demo_wh, kind)["org_id"])
    econ = f.economy(demo_wh, period)
    econ = econ[econ.index.isin(members)]
    api = {
        o: {k: (None if v is None or v != v else v if isinstance(v, str) else float(v)) for k, v in r.items()}
        for o, r in econ.iterrows()
    }
    assert {e["org_id"]: {k: v for k, v in e.items() if k != "org_id"} for e in doc["economy"]} == api
    matrix = f.status_matrix(demo_wh, period, kind)
    assert doc["indicator_status"] == {
        o: {i: (None if v is None or v != v else v) for i, v in row.items()} for o, row in matrix.iterrows()
    }
    soup = report.soup()
    draft = " (utkast)" if doc["not_approved"] else ""  # the reporting of some member is not approved
    assert soup.title.string == f"Mål och måluppfyllelse – {PLURAL[kind]}, {f.as_period(demo_wh, period).title}{draft}"
    assert [text(h) for h in soup.find_all("h1")] == ["Mål och måluppfyllelse"]


@pytest.mark.parametrize(("kind", "period"), FOLLOW_UP, ids=FOLLOW_UP_IDS)
def test_rollup_table_counts_the_judgements(reports: Reports, kind: str, period: str) -> None:
    report = done(reports.group(kind, period))
    doc, soup = report.figures(), report.soup()
    headers, rows = table_rows(find_table(soup, "Bedömd måluppfyllelse per KF-mål"))
    assert headers == [
        "Mål i kommunfullmäktiges budget",
        "✓ Uppfyllt",
        "◐ Delvis uppfyllt",
        "✗ Ej uppfyllt",
        "– Ej bedömt",
        "Antal organisationer",
        "Därav härledda",
    ]
    assert len(rows) == len(doc["rollup"]) > 0
    for goal, row in zip(doc["rollup"], rows, strict=True):
        cells = [text(c) for c in row.values()]
        assert cells == [
            goal["title"],
            *(fmt.number(goal[k]) for k in ("uppfyllt", "delvis", "ej_uppfyllt", "saknas", "organisations", "derived")),
        ]
        assert goal["uppfyllt"] + goal["delvis"] + goal["ej_uppfyllt"] + goal["saknas"] == goal["organisations"]


@pytest.mark.parametrize(("kind", "period"), FOLLOW_UP, ids=FOLLOW_UP_IDS)
def test_every_organisations_judgement_with_derived_cells_marked(reports: Reports, kind: str, period: str) -> None:
    report = done(reports.group(kind, period))
    doc, soup = report.figures(), report.soup()
    names = {o["org_id"]: o["name"] for o in doc["organisations"]}
    by_name = {v: k for k, v in names.items()}
    titles = {g["title"]: g["goal_id"] for g in doc["rollup"]}
    seen = {}
    for table in [t for t in soup.find_all("table") if text(t.caption).startswith("Varje organisations bedömning")]:
        headers, rows = table_rows(table)
        for row in rows:
            for h in headers[1:]:
                seen[(by_name[text(row["Organisation"])], titles[h])] = row[h]
    expected = {(c["org_id"], g["goal_id"]): c for g in doc["rollup"] for c in g["cells"]}
    assert set(seen) == set(expected)
    for key, cell in expected.items():
        shown = text(seen[key])
        assert shown.startswith(JUDGEMENT_TEXT[cell["assessment"]])
        assert shown.endswith("(härledd)") == cell["derived"], (key, shown)
    if any(c["derived"] for c in expected.values()):
        assert "(härledd): organisationen har inte bedömt KF-målet direkt" in text(soup)


@pytest.mark.parametrize(("kind", "period"), FOLLOW_UP, ids=FOLLOW_UP_IDS)
def test_group_indicator_table_shows_kf_indicators_with_symbol_and_word(
    reports: Reports, demo_wh: Any, kind: str, period: str
) -> None:
    soup = done(reports.group(kind, period)).soup()
    matrix = f.status_matrix(demo_wh, period, kind)
    catalogue = f.indicator_catalogue(demo_wh).set_index("indicator_id")
    assert set(catalogue.loc[list(matrix.columns), "source"]) == {"KF"}, "the group table holds KF indicators"
    names = dict(zip(f.organisations(demo_wh, kind)["org_id"], f.organisations(demo_wh, kind)["name"], strict=True))
    ind_names = catalogue["name"].to_dict()
    tables = [t for t in soup.find_all("table") if text(t.caption).startswith("Indikatorernas status,")]
    assert tables
    seen: dict[tuple[str, str], str] = {}
    by_name = {v: k for k, v in ind_names.items()}
    org_by_name = {v: k for k, v in names.items()}
    for table in tables:
        headers, rows = table_rows(table)
        assert headers[0] == "Organisation"
        assert len(headers) <= 1 + 4, "a part of the table has at most four indicators (it fits an A4 page)"
        for row in rows:
            org = org_by_name[text(row["Organisation"])]
            for h in headers[1:]:
                seen[(org, by_name[h])] = text(row[h])
    expected = {
        (o, i): (
            "-" if matrix.loc[o, i] is None or matrix.loc[o, i] != matrix.loc[o, i] else CELL_TEXT[matrix.loc[o, i]]
        )
        for o in matrix.index
        for i in matrix.columns
    }
    assert seen == expected
    words = {"Uppfyllt", "Delvis", "Ej uppfyllt", "Saknas", "Ej målsatt", "Ej bedömt"}
    for cell in soup.select("td[class*=status-]"):
        assert any(w in text(cell) for w in words), "a status cell without its word"


@pytest.mark.parametrize(("kind", "period"), FOLLOW_UP, ids=FOLLOW_UP_IDS)
def test_economy_covers_every_organisation_with_a_total_of_sums(reports: Reports, kind: str, period: str) -> None:
    report = done(reports.group(kind, period))
    doc, soup = report.figures(), report.soup()
    headers, rows = table_rows(find_table(soup, "Budgetuppföljning per organisation"))
    unit = re.search(r"\((kr|tkr|mnkr)\)$", headers[1]).group(1)  # Nettoresultat (tkr)
    u = {"kr": fmt.KR, "tkr": fmt.TKR, "mnkr": fmt.MNKR}[unit]
    econ = {e["org_id"]: e for e in doc["economy"]}
    names = {o["org_id"]: o["name"] for o in doc["organisations"]}
    assert len(rows) == len(econ) + 1, "every organisation of the group, and the total"
    assert [re.sub(r" \(utfall t\.o\.m\. \w+\)$", "", text(r["Organisation"])) for r in rows[:-1]] == sorted(
        (names[o] for o in econ), key=lambda n: n.lower().translate(str.maketrans("åäö", "{|}"))
    )
    by_name = {names[o]: e for o, e in econ.items()}
    for row in rows[:-1]:
        e = by_name[re.sub(r" \(utfall t\.o\.m\. \w+\)$", "", text(row["Organisation"]))]
        assert text(row[f"Nettoresultat ({unit})"]) == u.number(e["net"])
        assert text(row[f"Budgetavvikelse ({unit})"]) == u.signed(e["deviation"])
        assert text(row["Budgetavvikelse (%)"]) == fmt.signed(e["deviation_pct"], 1)  # with its sign, as the kronor
    total = rows[-1]
    assert text(total["Organisation"]) == "Summa" and "total" in total["Organisation"].parent.get("class", [])
    have = [e for e in econ.values() if e["deviation"] is not None]
    assert doc["economy_total"]["deviation"] == pytest.approx(sum(e["deviation"] for e in have))
    ratio = sum(e["deviation"] for e in have) / sum(e["budget_costs"] for e in have) * 100
    assert doc["economy_total"]["deviation_pct"] == pytest.approx(ratio)  # a ratio of sums
    assert ratio != pytest.approx(sum(e["deviation_pct"] for e in have) / len(have))  # not a mean of ratios
    assert text(total["Budgetavvikelse (%)"]) == fmt.signed(ratio, 1)
    assert text(total[f"Budgetavvikelse ({unit})"]) == u.signed(doc["economy_total"]["deviation"])


@pytest.mark.parametrize(("kind", "period"), FOLLOW_UP, ids=FOLLOW_UP_IDS)
def test_personnel_of_every_organisation_and_sick_leave_of_the_group_as_a_ratio_of_sums(
    reports: Reports, demo_wh: Any, kind: str, period: str
) -> None:
    report = done(reports.group(kind, period))
    doc, soup = report.figures(), report.soup()
    headers, rows = table_rows(find_table(soup, "Personal per organisation"))
    assert headers == ["Organisation", "Antal anställda", "Årsarbetare", "Sjukfrånvaro (%)"]
    pers = {p["org_id"]: p for p in doc["personnel"]}
    names = {o["org_id"]: o["name"] for o in doc["organisations"]}
    assert len(rows) == len(pers) + 1
    for row in rows[:-1]:
        p = pers[next(o for o, n in names.items() if n == text(row["Organisation"]))]
        assert text(row["Antal anställda"]) == fmt.number(p["headcount"])
        assert text(row["Sjukfrånvaro (%)"]) == (".." if p["suppressed"] else fmt.number(p["sick_leave_pct"], 1))
    hours = demo_wh.rows(
        "SELECT SUM(sick_hours), SUM(scheduled_hours) FROM v_personnel WHERE month >= ? AND month <= ? "
        f"AND org_id IN ({', '.join('?' for _ in pers)})",
        (f"{period[:4]}-01", f.as_period(demo_wh, period).last_month, *pers),
    )[0]
    total = doc["personnel_total"]
    assert total["sick_leave_pct"] == pytest.approx(hours[0] / hours[1] * 100)
    assert total["headcount"] == sum(p["headcount"] for p in pers.values())
    assert text(rows[-1]["Sjukfrånvaro (%)"]) == fmt.number(total["sick_leave_pct"], 1)


@pytest.mark.parametrize("kind", GROUP_KINDS)
def test_budget_group_report_shows_the_budget_not_empty_statuses(reports: Reports, kind: str) -> None:
    report = done(reports.group(kind, "2026-BU"))
    doc, soup = report.figures(), report.soup()
    assert not [
        t
        for t in soup.find_all("table")
        if text(t.caption).startswith(("Indikatorernas status", "Bedömd måluppfyllelse"))
    ]
    assert "inga bedömningar" in text(soup)
    headers, rows = table_rows(find_table(soup, "Budget 2026 per organisation"))
    budgets = {e["org_id"]: e["budget_net"] for e in doc["economy"]}
    assert len(rows) == len(budgets) + 1 and text(rows[-1]["Organisation"]) == "Summa"
    col = next(h for h in headers if h.startswith("Budgeterat nettoresultat"))
    u = {"kr": fmt.KR, "tkr": fmt.TKR, "mnkr": fmt.MNKR}[col.rsplit("(", 1)[1].rstrip(")")]
    assert sorted(text(r[col]) for r in rows[:-1]) == sorted(u.number(v) for v in budgets.values())
    assert text(rows[-1][col]) == u.number(sum(budgets.values()))


def test_koncern_report_covers_the_parent_company_and_every_company(reports: Reports, demo_wh: Any) -> None:
    report = done(reports.group("koncern", "2025-BO"))
    doc = report.figures()
    expected = set(f.organisations(demo_wh, "bolag")["org_id"]) | set(f.organisations(demo_wh, "koncern")["org_id"])
    assert {o["org_id"] for o in doc["organisations"]} == expected
    assert {e["org_id"] for e in doc["economy"]} == expected
    _, rows = table_rows(find_table(report.soup(), "Budgetuppföljning per organisation"))
    assert len(rows) == len(expected) + 1


@pytest.mark.parametrize(("kind", "period"), MATRIX, ids=IDS)
def test_group_html_is_clean_inert_and_offline(reports: Reports, kind: str, period: str) -> None:
    report = done(reports.group(kind, period))
    assert_inert(report.soup())
    assert_clean(report)


def test_company_names_with_ampersand_are_escaped(reports: Reports) -> None:
    report = done(reports.group("bolag", "2025-BO"))
    assert "Mälarviks Energi & Vatten AB" in text(report.soup())
    assert "Mälarviks Energi &amp; Vatten AB" in report.html()


def test_group_tables_match_the_snapshot(reports: Reports) -> None:
    soup = done(reports.group("namnd", "2025-BO")).soup()
    check_snapshot("group_report_namnd_2025-BO.txt", table_snapshot(soup, masked=SNAPSHOT_MASK))
