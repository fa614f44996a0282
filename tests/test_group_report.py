"""The group report "Mål och måluppfyllelse" (notebooks/group_report.ipynb) on the embedded demo.

For the companies of the koncern and the boards of the city, in every period
type: it runs; ``figures.json`` equals the API (``rollup``, ``economy``); the
roll-up table, the status matrix and the economy table show exactly those
figures; data text is escaped; no code, warnings or network references; the
tables match a committed snapshot (``ILS_UPDATE_SNAPSHOTS=1`` rewrites it).
"""

from __future__ import annotations

import json
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
from ilslib.report.group import CELL_TEXT

MATRIX = [(kind, per) for kind in GROUP_KINDS for per in PERIODS]
IDS = [f"{k}-{p}" for k, p in MATRIX]
FOLLOW_UP = [(k, p) for k, p in MATRIX if not p.endswith("BU")]
FOLLOW_UP_IDS = [f"{k}-{p}" for k, p in FOLLOW_UP]
PLURAL = {"bolag": "bolagen", "namnd": "nämnderna"}


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
    assert (doc["contract_version"], doc["kind"], doc["period"]) == (2, kind, period)
    roll = f.rollup(demo_wh, period, kind)
    assert doc["rollup"] == json.loads(roll.to_json(orient="records", force_ascii=False))
    members = set(f.organisations(demo_wh, kind)["org_id"])
    econ = f.economy(demo_wh, period)
    econ = econ[econ.index.isin(members)]
    api = {o: {k: (None if v != v else float(v)) for k, v in r.items()} for o, r in econ.iterrows()}
    assert {e["org_id"]: {k: v for k, v in e.items() if k != "org_id"} for e in doc["economy"]} == api
    matrix = f.status_matrix(demo_wh, period, kind)
    assert doc["indicator_status"] == {
        o: {i: (None if v is None or v != v else v) for i, v in row.items()} for o, row in matrix.iterrows()
    }
    soup = report.soup()
    assert soup.title.string == f"Mål och måluppfyllelse – {PLURAL[kind]}, {f.as_period(demo_wh, period).title}"
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
    ]
    assert len(rows) == len(doc["rollup"]) > 0
    for goal, row in zip(doc["rollup"], rows, strict=True):
        cells = [text(c) for c in row.values()]
        assert cells == [
            goal["title"],
            *(fmt.number(goal[k]) for k in ("uppfyllt", "delvis", "ej_uppfyllt", "saknas", "organisations")),
        ]
        assert goal["uppfyllt"] + goal["delvis"] + goal["ej_uppfyllt"] + goal["saknas"] == goal["organisations"]


@pytest.mark.parametrize(("kind", "period"), FOLLOW_UP, ids=FOLLOW_UP_IDS)
def test_status_matrix_shows_every_status_with_symbol_and_word(
    reports: Reports, demo_wh: Any, kind: str, period: str
) -> None:
    soup = done(reports.group(kind, period)).soup()
    matrix = f.status_matrix(demo_wh, period, kind)
    names = dict(zip(f.organisations(demo_wh, kind)["org_id"], f.organisations(demo_wh, kind)["name"], strict=True))
    ind_names = dict(
        zip(f.indicator_catalogue(demo_wh)["indicator_id"], f.indicator_catalogue(demo_wh)["name"], strict=True)
    )
    tables = [t for t in soup.find_all("table") if text(t.caption).startswith("Indikatorernas status,")]
    assert tables
    seen: dict[tuple[str, str], str] = {}
    by_name = {v: k for k, v in ind_names.items()}
    org_by_name = {v: k for k, v in names.items()}
    for table in tables:
        headers, rows = table_rows(table)
        assert headers[0] == "Organisation"
        for row in rows:
            org = org_by_name[text(row["Organisation"])]
            for h in headers[1:]:
                seen[(org, by_name[h])] = text(row[h])
    expected = {
        (o, i): (
            "." if matrix.loc[o, i] is None or matrix.loc[o, i] != matrix.loc[o, i] else CELL_TEXT[matrix.loc[o, i]]
        )
        for o in matrix.index
        for i in matrix.columns
    }
    assert seen == expected
    words = {"Uppfyllt", "Delvis", "Ej uppfyllt", "Saknas", "Ej målsatt"}
    for cell in soup.select("td[class*=status-]"):
        assert any(w in text(cell) for w in words), "a status cell without its word"


@pytest.mark.parametrize(("kind", "period"), FOLLOW_UP, ids=FOLLOW_UP_IDS)
def test_largest_budget_deviations(reports: Reports, kind: str, period: str) -> None:
    report = done(reports.group(kind, period))
    doc, soup = report.figures(), report.soup()
    _, rows = table_rows(find_table(soup, f"{PLURAL[kind].capitalize()} med störst budgetavvikelse"))
    econ = [e for e in doc["economy"] if e["deviation"] is not None]
    econ.sort(key=lambda e: (-abs(e["deviation"]), e["org_id"]))
    assert len(rows) == min(10, len(econ))
    for e, row in zip(econ, rows, strict=False):
        assert text(row["Budgetavvikelse"]) == fmt.money(e["deviation"])
        assert text(row["Nettoresultat"]) == fmt.money(e["net"])
        assert text(row["Avvikelse (%)"]) == fmt.pct(e["deviation_pct"])


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
    _, rows = table_rows(find_table(soup, "Budget 2026 per organisation"))
    budgets = {e["org_id"]: e["budget_net"] for e in doc["economy"]}
    assert len(rows) == len(budgets)
    assert sorted(text(r["Budgeterat nettoresultat"]) for r in rows) == sorted(fmt.money(v) for v in budgets.values())


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
