"""``report.xlsx``: every table of the report, a sheet each, numbers as numbers, nothing a formula.

On a hand-made warehouse whose figures are computed by hand in the comments (amounts of 11
digits, a percentage and a count indicator, a gender split, a unit under five employees, text
that a spreadsheet would evaluate), the organisation report and the group report are run and
their workbooks opened with openpyxl: the sheets follow the report's tables in order, each sheet's
numbers equal ``figures.json`` and what the HTML shows, cells are numeric, hostile text is inert
(no formula cell at all, every dangerous text quote-prefixed). LibreOffice (headless) opens them
and shows the same figures. The demo's reports are checked the same way.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from report_support import (
    GROUP_NB,
    REPORT_NB,
    Report,
    Reports,
    done,
    table_rows,
    text,
    unavailable,
    warehouse_env,
)

import ilslib
from ilslib import store
from ilslib.cells import is_dangerous
from ilslib.report import report_files
from ilslib.report.excel import ABOUT_SHEET
from ilslib.schema import init_schema

HOSTILE_ACTIVITY = "=cmd|' /C calc'!A0"
HOSTILE_GOAL = "+Tryggare äldreomsorg"
HOSTILE_JUDGEMENT = '=HYPERLINK("http://x","klicka")'
HOSTILE_ORG = "=1+2 nämnden"
MONTHS = [f"2026-{m:02d}" for m in range(1, 9)]


def _write(wh: Any, name: str, rows: list[dict[str, Any]]) -> None:
    store.write(wh, name, pd.DataFrame(rows, dtype=object))


def build(url: str) -> None:
    """A city of three boards; every figure below is computed by hand in the test that checks it."""
    with ilslib.connect(url, create=True, check_schema=False) as wh:
        init_schema(wh)
        with wh.transaction():
            _write(
                wh,
                "organisations",
                [
                    {"org_id": "K", "name": "Staden", "kind": "kommun"},
                    {"org_id": "N1", "name": "Äldrenämnden", "kind": "namnd", "parent_id": "K", "controller": "Åsa"},
                    {"org_id": "N2", "name": HOSTILE_ORG, "kind": "namnd", "parent_id": "K"},
                    {"org_id": "N3", "name": "Nämnd tre", "kind": "namnd", "parent_id": "K"},
                ],
            )
            _write(
                wh,
                "goals",
                [
                    {"goal_id": "V", "org_id": "K", "level": "vision", "title": "En stad för alla"},
                    {"goal_id": "KF1", "org_id": "K", "level": "kf_mal", "parent_goal_id": "V", "title": "Trygg vård"},
                    {
                        "goal_id": "N1G1",
                        "org_id": "N1",
                        "level": "namndmal",
                        "parent_goal_id": "KF1",
                        "title": HOSTILE_GOAL,
                    },
                ],
            )
            _write(
                wh,
                "indicators",
                [
                    {"indicator_id": "P", "name": "Andel nöjda", "unit": "%", "direction": "higher",
                     "frequency": "tertial", "source": "KF", "decimals": 1},
                    {"indicator_id": "C", "name": "Antal fall", "unit": "antal", "direction": "lower",
                     "frequency": "tertial", "source": "own", "decimals": 0},
                ],
            )  # fmt: skip
            _write(
                wh,
                "targets",
                [
                    {"org_id": "N1", "indicator_id": "P", "year": 2026, "target": 85.0, "goal_id": "N1G1"},
                    {"org_id": "N1", "indicator_id": "C", "year": 2026, "target": 10.0, "goal_id": "N1G1"},
                    {"org_id": "N2", "indicator_id": "P", "year": 2026, "target": 85.0},
                    {"org_id": "N3", "indicator_id": "P", "year": 2026, "target": 85.0},
                ],
            )
            _write(
                wh,
                "outcomes",
                [
                    {"org_id": "N1", "indicator_id": "P", "period": "2026-T2", "value": 80.0, "gender": "T",
                     "comment": "@kolla"},
                    {"org_id": "N1", "indicator_id": "P", "period": "2026-T2", "value": 82.5, "gender": "K"},
                    {"org_id": "N1", "indicator_id": "P", "period": "2026-T2", "value": 77.5, "gender": "M"},
                    {"org_id": "N1", "indicator_id": "C", "period": "2026-T2", "value": 12.0, "gender": "T",
                     "comment": "-12 fall sedan i fjol"},
                    {"org_id": "N1", "indicator_id": "P", "period": "2025-T2", "value": 78.0, "gender": "T"},
                    {"org_id": "N1", "indicator_id": "C", "period": "2025-T2", "value": 15.0, "gender": "T"},
                    {"org_id": "N2", "indicator_id": "P", "period": "2026-T2", "value": 90.0, "gender": "T"},
                    {"org_id": "N3", "indicator_id": "P", "period": "2026-T2", "value": 70.0, "gender": "T"},
                ],
            )  # fmt: skip
            _write(
                wh,
                "assessments",
                [{"org_id": "N1", "goal_id": "N1G1", "period": "2026-T2", "assessment": "delvis",
                  "comment": HOSTILE_JUDGEMENT}],
            )  # fmt: skip
            _write(
                wh,
                "activities",
                [{"activity_id": "A1", "org_id": "N1", "goal_id": "N1G1", "title": HOSTILE_ACTIVITY, "source": "own",
                  "start_date": "2026-01-01", "end_date": "2026-12-31"}],
            )  # fmt: skip
            _write(
                wh,
                "activity_status",
                [{"activity_id": "A1", "period": "2026-T2", "status": "paborjad", "comment": "\tTabb först"}],
            )
            _write(
                wh,
                "comments",
                [
                    {"org_id": "N1", "period": "2026-T2", "kind": "vd_kommentar", "text": "Texten."},
                    {"org_id": "N1", "period": "2026-T2", "kind": "avvikelse", "text": "\rCR först"},
                ],
            )
            ledger = []
            for m in MONTHS:
                last = m == "2026-08"
                ledger += [
                    {"org_id": "N1", "month": m, "account": "3000", "account_name": "Intäkter", "kind": "intakt",
                     "outcome": 1_500_000_000.0, "budget": 1_600_000_000.0,
                     "forecast": 19_000_000_000.0 if last else None},
                    {"org_id": "N1", "month": m, "account": "4000", "account_name": "=SUM(A1:A9)", "kind": "kostnad",
                     "outcome": 1_400_000_000.0, "budget": 1_450_000_000.0,
                     "forecast": 17_500_000_000.0 if last else None},
                ]  # fmt: skip
            ledger += [
                {"org_id": "N2", "month": "2026-08", "account": "3000", "kind": "intakt", "outcome": 1000.0,
                 "budget": 1000.0},
                {"org_id": "N2", "month": "2026-08", "account": "4000", "kind": "kostnad", "outcome": 900.0,
                 "budget": 1000.0},
            ]  # fmt: skip
            _write(wh, "ledger", ledger)
            _write(
                wh,
                "personnel",
                [
                    {"org_id": "N1", "month": m, "headcount": 40, "fte": 36.5, "scheduled_hours": 6000.0,
                     "sick_hours": 300.0}
                    for m in MONTHS
                ]
                + [{"org_id": "N2", "month": "2026-08", "headcount": 3, "fte": 3.0, "scheduled_hours": 500.0,
                    "sick_hours": 50.0}],
            )  # fmt: skip


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The hand-made warehouse, the N1 report and the boards' group report, with their workbooks."""
    from ilslib.runner.job import Job, run_job

    root = tmp_path_factory.mktemp("excel")
    url = f"sqlite:///{root / 'city.sqlite'}"
    build(url)
    out: dict[str, Any] = {"url": url}
    with warehouse_env(url):
        for key, nb, params in (
            ("org", REPORT_NB, {"org_id": "N1", "period": "2026-T2"}),
            ("group", GROUP_NB, {"kind": "namnd", "period": "2026-T2"}),
        ):
            result = run_job(Job(str(nb), params, str(root / key), ("html",)))
            report = done(Report(root / key, result.status, result.error))
            data = report_files(report.notebook(), formats=("xlsx",))["report.xlsx"]
            (root / key / "report.xlsx").write_bytes(data)
            out[key] = (report, openpyxl.load_workbook(io.BytesIO(data)), root / key / "report.xlsx")
    return out


# -- reading a sheet -----------------------------------------------------------------------------


def sheet_table(ws: Any) -> tuple[str, list[str], list[list[Any]]]:
    """Caption (A1, without a draft's mark), headers (row 2) and the data rows (cells) of a table sheet."""
    caption = ws.cell(1, 1).value
    caption = caption.removesuffix(" (utkast)") if isinstance(caption, str) else caption
    width = ws.max_column
    headers = [ws.cell(2, j).value for j in range(1, width + 1)]
    rows = []
    r = 3
    while ws.cell(r, 1).value is not None or any(ws.cell(r, j).value is not None for j in range(2, width + 1)):
        rows.append([ws.cell(r, j) for j in range(1, width + 1)])
        r += 1
    return caption, headers, rows


def shown(cell: Any) -> str:
    """What Excel shows for a cell, in Swedish: numbers through their number format (see ``render``)."""
    if cell.value is None:
        return ""
    if isinstance(cell.value, (int, float)):
        return render(cell.value, cell.number_format)
    return str(cell.value)


def _sections(code: str) -> list[str]:
    parts, buf, quoted = [], "", False
    for ch in code:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
    return [*parts, buf]


def render(value: float, code: str) -> str:
    """A number shown by one of the report's number formats, with Swedish separators (as Swedish Excel shows it).

    Independent of ilslib's own formatter: it reads the format code (sections with ``[>=x]``/``[<=x]``
    conditions, literal text, ``#,##0`` with decimals, thousands scaling by trailing commas) and
    rounds half away from zero, as Excel and LibreOffice do.
    """
    from decimal import ROUND_HALF_UP, Decimal

    sections = _sections(code)
    chosen, magnitude = sections[-1], value
    conditional = False
    for section in sections:
        cond = re.match(r"\[(>=|<=)(-?[\d.]+)\]", section)
        if cond:
            conditional = True
            limit = float(cond.group(2))
            if (cond.group(1) == ">=" and value >= limit) or (cond.group(1) == "<=" and value <= limit):
                chosen = section
                break
    if conditional:
        magnitude = abs(value)  # the sections carry the signs
    section = re.sub(r"^\[[^\]]*\]", "", chosen)
    literals = re.findall(r'"([^"]*)"', section)
    body = re.sub(r'"[^"]*"', "\x00", section)
    m = re.search(r"(#,##0|0)(\.0+)?(,*)", body)
    decimals = len(m.group(2)) - 1 if m.group(2) else 0
    scale = len(m.group(3))
    d = (Decimal(repr(float(magnitude))) / (Decimal(1000) ** scale)).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
    )
    whole, _, frac = f"{abs(d):f}".partition(".")
    grouped = " ".join(reversed([whole[::-1][i : i + 3][::-1] for i in range(0, len(whole), 3)]))
    number = ("-" if d < 0 else "") + grouped + ("," + frac if frac else "")
    body = body.replace(m.group(0), "\x01", 1)
    pieces = body.split("\x00")
    out = pieces[0]
    for lit, rest in zip(literals, pieces[1:], strict=True):
        out += lit + rest
    return out.replace("\x01", number).strip()


def same(html_text: str, excel_text: str) -> bool:
    """The HTML cell and the Excel cell say the same (no-break spaces as spaces; a status's symbol aside)."""
    a = " ".join(html_text.replace("\u00a0", " ").split())
    b = " ".join(excel_text.replace("\u00a0", " ").split())
    if a == b:
        return True
    if b == "" and a in ("-", "–", ""):
        return True  # a missing value: an empty cell
    return a.endswith(" " + b) and a[:1] in "✓◐✗–"  # "◐ Delvis uppfyllt" / "Delvis uppfyllt"


def cell_text(node: Any) -> str:
    """An HTML cell's text without its second line (an indicator's direction is a column of its own in Excel)."""
    import copy

    node = copy.copy(node)
    for sub in node.select("span.sub"):
        sub.decompose()
    return text(node)


def html_tables(soup: Any) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    """Each HTML table by caption, the parts of a split table joined (del 1 av 2 ...)."""
    out: dict[str, tuple[list[str], list[dict[str, Any]]]] = {}
    for table in soup.find_all("table"):
        caption = re.sub(r" \(del \d+ av \d+\)$", "", text(table.caption))
        headers, rows = table_rows(table)
        if caption in out:
            old_headers, old_rows = out[caption]
            for old, new in zip(old_rows, rows, strict=True):
                old.update(new)
            out[caption] = (old_headers + headers[1:], old_rows)
        else:
            out[caption] = (headers, rows)
    return out


def check_workbook_against_html(wb: Any, soup: Any) -> int:
    """Every sheet (but the last) is a table of the HTML, in order; every cell says what the HTML says."""
    tables = html_tables(soup)
    names = wb.sheetnames
    assert names[-1] == ABOUT_SHEET
    assert len(names) == len(set(n.lower() for n in names)) and all(len(n) <= 31 for n in names)
    captions = []
    checked = 0
    for name in names[:-1]:
        ws = wb[name]
        caption, headers, rows = sheet_table(ws)
        captions.append(caption)
        assert ws.freeze_panes == "A3", name  # caption and header row stay in view
        if caption not in tables:  # an empty table: the report shows a sentence instead
            assert rows and rows[0][0].value and len(rows) == 1, name
            assert rows[0][0].value.rstrip(".").lower() in text(soup).lower()
            continue
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A2:"), name
        html_headers, html_rows = tables[caption]
        assert len(rows) == len(html_rows), caption
        for cells, html_row in zip(rows, html_rows, strict=True):
            for header, cell in zip(headers, cells, strict=True):
                if header not in html_row:
                    continue  # a column for the workbook only (ids, units, dates apart)
                html_text = cell_text(html_row[header])
                assert same(html_text, shown(cell)), (caption, header, html_text, shown(cell))
                checked += 1
    in_html_order = [c for c in tables if c in captions]
    assert [c for c in captions if c in tables] == in_html_order, "the sheets follow the report's tables"
    assert set(tables) <= set(captions), f"tables without a sheet: {set(tables) - set(captions)}"
    return checked


def check_inert(wb: Any) -> int:
    """No formula anywhere; every text a spreadsheet would evaluate is a quote-prefixed string cell."""
    dangerous = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str) and is_dangerous(cell.value):
                    assert cell.data_type == "s" and cell.quotePrefix, f"{ws.title}!{cell.coordinate}"
                    dangerous += 1
    return dangerous


# -- the hand-made city --------------------------------------------------------------------------


def test_sheets_follow_the_report_and_say_what_the_html_says(city: dict[str, Any]) -> None:
    for key in ("org", "group"):
        report, wb, _ = city[key]
        assert check_workbook_against_html(wb, report.soup()) > 20


def test_economy_sheet_holds_the_exact_kronor_shown_in_mnkr(city: dict[str, Any]) -> None:
    report, wb, _ = city["org"]
    doc = report.figures()
    e = doc["economy"]
    # by hand: income 8 x 1 500 000 000, costs 8 x 1 400 000 000, budgets 8 x 1 600 000 000 and 1 450 000 000
    assert (e["income"], e["costs"], e["net"]) == (12e9, 11.2e9, 0.8e9)
    assert (e["budget_income"], e["budget_costs"], e["budget_net"], e["deviation"]) == (12.8e9, 11.6e9, 1.2e9, -0.4e9)
    assert e["deviation_pct"] == pytest.approx(-400 / 11600 * 100)
    assert (e["forecast_net"], e["forecast_deviation"]) == (1.5e9, 0.3e9)
    caption, headers, rows = sheet_table(wb["Ekonomi"])
    assert caption == "Budgetuppföljning januari–augusti 2026"
    assert headers == ["Post", "Utfall (mnkr)", "Budget (mnkr)", "Avvikelse mot budget (mnkr)"]
    values = [[c.value for c in r] for r in rows]
    assert values == [
        ["Intäkter", 12e9, 12.8e9, -0.8e9],
        ["Kostnader", 11.2e9, 11.6e9, 0.4e9],
        ["Nettoresultat", e["net"], e["budget_net"], e["deviation"]],
    ]
    assert all(c.data_type == "n" for r in rows for c in r[1:])
    assert [shown(c) for c in rows[2][1:]] == ["800,0", "1 200,0", "−400,0"]


def test_indicator_sheet_has_numbers_units_statuses_words_and_special_values(city: dict[str, Any]) -> None:
    report, wb, _ = city["org"]
    caption, headers, rows = sheet_table(wb["Indikatorer"])
    assert headers == [
        "Indikator", "Id", "Enhet", "Riktning", "Utfall", "Mål", "Måltyp", "Status", "Kvinnor", "Män", "I fjol",
        "Förändring",
    ]  # fmt: skip
    got = [[c.value for c in r] for r in rows]
    # P: 80 against 85, higher, default band 10 % (76,5): delvis; change 80 - 78 = 2 percentage points.
    # C: 12 against 10, lower, band to 11: ej uppfyllt; no gender split: "."
    assert got == [
        ["Andel nöjda", "P", "%", "Högre är bättre", 80.0, 85.0, "årsmål", "Delvis uppfyllt", 82.5, 77.5, 78.0, 2.0],
        ["Antal fall", "C", "antal", "Lägre är bättre", 12, 10, "årsmål", "Ej uppfyllt", ".", ".", 15, -3],
    ]
    assert [shown(c) for c in rows[0][4:6]] == ["80,0 %", "85,0 %"]
    assert shown(rows[0][11]) == "+2,0 p.e." and shown(rows[1][11]) == "−3"
    doc = report.figures()
    for ind, row in zip(doc["indicators"], got, strict=True):
        assert (row[4], row[5], row[10], row[11]) == (
            ind["value"],
            ind["target"],
            ind["last_year_value"],
            ind["change"],
        )


def test_comparison_and_counts_sheets(city: dict[str, Any]) -> None:
    report, wb, _ = city["org"]
    doc = report.figures()
    _, headers, rows = sheet_table(wb["Jämförelse"])
    by = {r[0].value: {h: c.value for h, c in zip(headers, r, strict=True)} for r in rows}
    # P: N2 90, N1 80, N3 70: rank 2 of 3 (fewer than four ranked: no quarter colours)
    assert (by["Andel nöjda"]["Värde"], by["Andel nöjda"]["Rang"], by["Andel nöjda"]["Antal rangordnade"]) == (
        80.0,
        2,
        3,
    )
    assert by["Andel nöjda"]["Jämfört med nämnderna"] == "Mittersta hälften"
    # sick leave 300 / 6000 = 5,0 %; N2 has three employees (..), N3 no data (-): one ranked
    assert (by["Sjukfrånvaro"]["Värde"], by["Sjukfrånvaro"]["Rang"]) == (5.0, 1)
    # budget deviation: N1 -400 000 000 kr (shown in mnkr), N2 +100 kr: rank 2 of 2
    assert by["Budgetavvikelse (belopp)"]["Värde"] == -4e8 and by["Budgetavvikelse (belopp)"]["Rang"] == 2
    for c in doc["comparisons"]:
        label = {"deviation": "Budgetavvikelse (belopp)", "deviation_pct": "Budgetavvikelse (%)"}.get(
            c["what"], c["label"]
        )
        expected = c["value"] if c["special"] is None else c["special"]
        # a workbook keeps 16 significant digits (Excel itself 15): equal to that precision, amounts exactly
        assert by[label]["Värde"] == (pytest.approx(expected, rel=1e-15) if c["special"] is None else expected), label
    _, _, rows = sheet_table(wb["Indikatorernas status"])
    assert {r[0].value: r[1].value for r in rows} == {
        "Uppfyllt": 0, "Delvis uppfyllt": 1, "Ej uppfyllt": 1, "Saknas": 0, "Ej målsatt": 0
    }  # fmt: skip


def test_hostile_text_is_inert_and_kept_exactly(city: dict[str, Any]) -> None:
    _, wb, _ = city["org"]
    assert check_inert(wb) >= 4
    values = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for hostile in (HOSTILE_ACTIVITY, HOSTILE_GOAL, "\tTabb först", "-12 fall sedan i fjol", "@kolla"):
        assert hostile in values, hostile
    _, wb, _ = city["group"]
    assert check_inert(wb) >= 1
    names = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == HOSTILE_ORG]
    assert names and all(c.quotePrefix and c.data_type == "s" for c in names)


def test_group_workbook_totals_are_sums(city: dict[str, Any]) -> None:
    report, wb, _ = city["group"]
    _, headers, rows = sheet_table(wb["Ekonomi"])
    total = {h: c for h, c in zip(headers, rows[-1], strict=True)}
    assert total["Organisation"].value == "Summa" and total["Organisation"].font.b
    # N1 -400 000 000, N2 +100, N3 no ledger: the sum covers the two; the percentage from the sums
    dev = next(h for h in headers if h.startswith("Budgetavvikelse (") and not h.endswith("(%)"))
    assert total[dev].value == -400_000_000 + 100
    assert total["Budgetavvikelse (%)"].value == pytest.approx((-400_000_000 + 100) / (11_600_000_000 + 1000) * 100)
    ref = wb["Ekonomi"].auto_filter.ref
    assert ref.endswith(str(2 + len(rows) - 1)), "the total row is outside the filter"
    _, headers, rows = sheet_table(wb["Personal"])
    total = {h: c.value for h, c in zip(headers, rows[-1], strict=True)}
    # N1 40 and N2 3 employees; sick leave (8 x 300 + 50) / (8 x 6000 + 500) of the hours reported
    assert total["Antal anställda"] == 43
    assert total["Sjukfrånvaro (%)"] == pytest.approx((8 * 300 + 50) / (8 * 6000 + 500) * 100)
    by = {r[0].value: r[3].value for r in rows}
    assert by[HOSTILE_ORG] == ".."  # three employees: not published, kept as the special value


def test_about_sheet_holds_the_provenance(city: dict[str, Any]) -> None:
    report, wb, _ = city["org"]
    ws = wb[ABOUT_SHEET]
    assert ws.cell(1, 1).value == "Tertialrapport 2 2026 – Äldrenämnden"
    pairs = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, ws.max_row + 1) if ws.cell(r, 1).value}
    doc = report.figures()
    assert pairs["Datats kontrollsumma"] == doc["provenance"]["data_hash"]
    assert pairs["Organisation"] == "Äldrenämnden (N1)" and pairs["Period"] == "Tertialrapport 2 2026 (2026-T2)"
    assert pairs["Programversion"].startswith("ilslib ")


# -- LibreOffice opens them and shows the same ---------------------------------------------------


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        unavailable("LibreOffice is missing (scripts/install-system.sh installs libreoffice-calc-nogui)")
    return exe


def libreoffice_csv(path: Path, out: Path, *, as_shown: bool) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook as LibreOffice reads it (CSV, one file per sheet)."""
    out.mkdir(parents=True, exist_ok=True)
    # filter options: comma, quote, UTF-8, line 1, -, language, quoted text, detect numbers, as shown,
    # formulas, remove space, all sheets (-1)
    options = f"44,34,76,1,,1033,false,true,{'true' if as_shown else 'false'},false,false,-1"
    proc = subprocess.run(
        [soffice(), "--headless", "--norestore", "--convert-to", f"csv:Text - txt - csv (StarCalc):{options}",
         "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(out)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sheets = {}
    for f in out.glob(f"{path.stem}-*.csv"):
        sheets[f.stem[len(path.stem) + 1 :]] = list(csv.reader(f.read_text(encoding="utf-8").splitlines()))
    assert sheets, proc.stdout + proc.stderr
    return sheets


@pytest.mark.slow
def test_libreoffice_opens_the_workbooks_and_evaluates_nothing(city: dict[str, Any], tmp_path: Path) -> None:
    report, wb, path = city["org"]
    raw = libreoffice_csv(path, tmp_path / "raw", as_shown=False)
    assert set(raw) == set(wb.sheetnames)
    economy = raw["Ekonomi"]
    assert economy[2][:4] == ["Intäkter", "12000000000", "12800000000", "-800000000"]
    texts = {cell for rows in raw.values() for row in rows for cell in row}
    assert HOSTILE_ACTIVITY in texts and HOSTILE_GOAL in texts, "a formula was evaluated (or the text was changed)"
    shown_ = libreoffice_csv(path, tmp_path / "shown", as_shown=True)
    # LibreOffice shows the amounts through our number formats (in its own en-US separators here)
    assert shown_["Ekonomi"][4][1:4] == ["800.0", "1,200.0", "−400.0"]
    assert shown_["Indikatorer"][2][4] == "80.0 %" and shown_["Indikatorer"][2][11] == "+2.0 p.e."


# -- the demo's reports ----------------------------------------------------------------------------

DEMO = [
    ("org", {"org_id": "SDN_SJV", "period": "2026-T2"}),
    ("org", {"org_id": "ENERGI", "period": "2025-BO"}),
    ("org", {"org_id": "KONST", "period": "2026-BU"}),
    ("group", {"kind": "bolag", "period": "2025-BO"}),
    ("group", {"kind": "namnd", "period": "2026-BU"}),
    ("kort", {"org_id": "UTN", "period": "2026-T2"}),
]


@pytest.mark.parametrize(("which", "params"), DEMO, ids=[f"{w}-{'-'.join(p.values())}" for w, p in DEMO])
def test_demo_workbooks(reports: Reports, which: str, params: dict[str, str]) -> None:
    if which == "org":
        report = done(reports.org(params["org_id"], params["period"]))
    elif which == "group":
        report = done(reports.group(params["kind"], params["period"]))
    else:
        report = done(reports.kort(params["org_id"], params["period"]))
    data = report_files(report.notebook(), formats=("xlsx",))["report.xlsx"]
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert check_workbook_against_html(wb, report.soup()) > 0
    # a draft (its reporting not approved) says so on every sheet, as its HTML and PDF do on every page
    doc = report.figures()
    draft = bool(doc.get("draft") or doc.get("not_approved"))
    for ws in wb.worksheets[:-1]:
        assert str(ws.cell(1, 1).value).endswith(" (utkast)") == draft, (ws.title, draft)
        assert ("Utkast" in (ws.oddHeader.center.text or "")) == draft, ws.title
    check_inert(wb)
    numeric = [
        c
        for ws in wb.worksheets[:-1]
        for row in ws.iter_rows(min_row=3)
        for c in row
        if c.data_type == "n" and c.value is not None
    ]
    assert numeric and all(isinstance(c.value, (int, float)) for c in numeric)
    assert not [
        c.value
        for ws in wb.worksheets[:-1]
        for row in ws.iter_rows(min_row=3)
        for c in row
        if isinstance(c.value, str) and re.fullmatch(r"[−+-]?\d[\d\u00a0 ]*(,\d+)?( ?%| ?kr| ?tkr)?", c.value)
    ], "a number stored as text"
