"""``ils load``: validation, all-or-nothing writes, idempotency, exact text, load records.

Every test runs on the three backends (embedded SQLite, SQLite over ODBC,
PostgreSQL over psqlODBC) through the shared ``wh_url``/``wh`` fixtures. The
bad-input corpus is ``tests/bad_loads/<case>/`` (static files, expectations in
``BAD_CASES`` below) plus XLSX cases built here with openpyxl; on the embedded
backend each case runs through the ``ils`` command as a subprocess.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from ilslib import connect, store
from ilslib.contract import FILES, LOAD_ORDER
from ilslib.errors import LoadError
from ilslib.load import MAX_TEXT, REJECTS_FILE, load_dir, load_frames

HERE = Path(__file__).parent
GOOD = HERE / "good_loads"
BASE = GOOD / "base"
BAD = HERE / "bad_loads"

# -- helpers --------------------------------------------------------------------------------


def snapshot(wh, *, records: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every contract table (and ils_meta; with ``records`` also the load records)."""
    tables = {name: FILES[name].table for name in LOAD_ORDER}
    tables["meta"] = "ils_meta"
    if records:
        tables["load"] = "ils_load"
        tables["load_file"] = "ils_load_file"
    return {name: sorted(wh.rows(f"SELECT * FROM {table}"), key=repr) for name, table in tables.items()}


def load_ok(wh, directory: Path, **kw):
    result = load_dir(wh, directory, **kw)
    assert result.ok, [str(r) for r in result.rejects]
    return result


def ils(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ilslib", *args], capture_output=True, text=True, timeout=timeout, env=dict(os.environ)
    )


def copy_case(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


@pytest.fixture
def base_wh(wh):
    """A warehouse holding tests/good_loads/base."""
    load_ok(wh, BASE)
    return wh


# -- a good load ------------------------------------------------------------------------------


def test_good_load_stores_exactly_what_the_files_say(wh):
    result = load_ok(wh, BASE)
    assert {f.name: (f.rows_read, f.inserted, f.replaced) for f in result.files} == {
        "organisations.csv": (5, 5, 0),
        "goals.csv": (5, 5, 0),
        "indicators.csv": (3, 3, 0),
        "targets.csv": (5, 5, 0),
        "outcomes.csv": (7, 7, 0),
        "activities.csv": (3, 3, 0),
        "activity_status.csv": (3, 3, 0),
        "assessments.csv": (3, 3, 0),
        "comments.csv": (2, 2, 0),
        "ledger.csv": (5, 5, 0),
        "personnel.csv": (3, 3, 0),
    }
    assert result.warnings == ["personnel.csv: unknown column 'extra' ignored (column G)"]

    orgs = {r[0]: r[1:] for r in wh.rows("SELECT org_id, name, kind, parent_id, controller FROM v_organisation")}
    assert orgs["0001"] == ("Staden", "kommun", None, None)  # BOM stripped from the first header
    assert orgs["0110"] == ("Bostäder & Co <AB>", "bolag", "0100", 'Erik "Kalle" Ek')
    assert orgs["0210"] == ("Enhet 007", "enhet", "0200", None)  # leading zeros kept

    goals = {r[0]: r[1:] for r in wh.rows("SELECT goal_id, title, description, first_year, last_year FROM v_goal")}
    assert goals["I1"] == ("En stad som håller ihop", "Rad ett\nrad två", 2024, 2030)
    assert goals["N1"] == ('Fler elever "klarar" skolan', "<b>fetstil</b> & mer", 2026, 2026)
    assert goals["B1"][2:] == (None, None)

    ind = {r[0]: r[1:] for r in wh.rows("SELECT indicator_id, frequency, source, decimals FROM v_indicator")}
    assert ind == {"IND01": ("tertial", "KF", 1), "IND02": ("tertial", "own", 1), "IND03": ("annual", "own", 0)}

    # The annual target is '' in the table (part of the key) and NULL in the view.
    assert sorted(
        r[0]
        for r in wh.rows("SELECT period_type FROM ils_target WHERE org_id = ? AND indicator_id = ?", ("0200", "IND01"))
    ) == ["", "T2"]
    targets = {
        tuple(r[:3]): r[3:]
        for r in wh.rows("SELECT org_id, indicator_id, period_type, target, partial_limit FROM v_target")
    }
    assert targets[("0200", "IND01", None)] == (85.5, 80.0)
    assert targets[("0110", "IND03", None)] == (1200.0, 1000.0)  # thousands separated by a space
    assert targets[("0110", "IND02", "BO")] == (0.0, 1.0)

    outcomes = {
        tuple(r[:4]): r[4:]
        for r in wh.rows("SELECT org_id, indicator_id, period, gender, value, comment FROM v_outcome")
    }
    assert outcomes[("0200", "IND01", "2026-T2", "T")] == (86.0, 'Bättre än väntat, se "analys"')  # gender default
    assert outcomes[("0110", "IND02", "2026-T2", "T")] == (None, "Saknas")  # empty value = missing
    assert outcomes[("0110", "IND03", "2026-T2", "T")] == (1150.0, "<p>ok</p>")

    texts = dict(((r[0], r[1]), r[2]) for r in wh.rows("SELECT org_id, kind, text FROM v_comment"))
    assert texts[("0200", "vd_kommentar")] == 'Första raden\nAndra raden med åäö, "citat", <tagg> & et-tecken'

    ledger = {
        tuple(r[:3]): r[3:] for r in wh.rows("SELECT org_id, month, account, outcome, budget, forecast FROM v_ledger")
    }
    assert ledger[("0200", "2026-01", "3010")] == (100000.5, 95000.0, 1200000.0)
    assert ledger[("0200", "2026-01", "4010")] == (80000.0, 82000.0, None)
    assert ledger[("0110", "2026-01", "03010")] == (-1.5, 0.0, None)

    assert wh.rows(
        "SELECT headcount, fte, scheduled_hours, sick_hours FROM v_personnel WHERE org_id = ? AND month = ?",
        ("0200", "2026-01"),
    ) == [(120, 110.5, 17000.0, 900.5)]
    activities = {r[0]: r[1:] for r in wh.rows("SELECT activity_id, source, start_date, end_date FROM v_activity")}
    assert activities["A01"][0] == "own"
    assert str(activities["A01"][1])[:10] == "2026-01-01"
    assert activities["A03"] == ("own", None, None)


def test_load_is_recorded_with_checksums(wh):
    result = load_ok(wh, BASE)
    loads = wh.rows("SELECT load_id, outcome, rows_inserted, rows_replaced, source, user_name FROM v_load")
    assert len(loads) == 1
    load_id, outcome, inserted, replaced, source, user = loads[0]
    assert (load_id, outcome, inserted, replaced) == (result.load_id, "ok", 44, 0)
    assert source == str(BASE.resolve()) and user
    files = {
        r[0]: r[1:]
        for r in wh.rows(
            "SELECT file_name, sha256, rows_read, rows_inserted FROM v_load_file WHERE load_id = ?", (load_id,)
        )
    }
    assert set(files) == {p.name for p in BASE.iterdir()}
    for name, (sha, rows_read, inserted) in files.items():
        assert sha == hashlib.sha256((BASE / name).read_bytes()).hexdigest()
        assert rows_read == inserted
    latest = store.latest_loads(wh)
    assert [x["load_id"] for x in latest] == [load_id]
    assert {f["file_name"] for f in latest[0]["files"]} == set(files)


def test_loading_twice_leaves_the_warehouse_as_after_the_first_load(wh):
    load_ok(wh, BASE)
    first = snapshot(wh)
    again = load_ok(wh, BASE)
    assert snapshot(wh) == first
    assert (again.inserted, again.replaced) == (0, 44)
    assert [r[0] for r in wh.rows("SELECT outcome FROM v_load")] == ["ok", "ok"]


def test_a_row_whose_key_exists_replaces_the_old_row(base_wh, tmp_path):
    wh = base_wh
    d = tmp_path / "update"
    d.mkdir()
    (d / "ledger.csv").write_text(
        "org_id;month;account;account_name;kind;outcome;budget\n"
        "0200;2026-01;3010;Intäkter (rättad);intakt;99,5;95 000\n"
        "0200;2026-03;3010;Intäkter;intakt;1;2\n",
        encoding="utf-8",
    )
    result = load_ok(wh, d)
    assert (result.files[0].inserted, result.files[0].replaced) == (1, 1)
    rows = wh.rows(
        "SELECT account_name, outcome, forecast FROM v_ledger WHERE org_id = ? AND month = ? AND account = ?",
        ("0200", "2026-01", "3010"),
    )
    assert rows == [("Intäkter (rättad)", 99.5, None)]  # the whole row replaced: forecast now missing
    assert store.count(wh, "ledger") == 6


def test_comma_delimiter_crlf_bom_decimal_point_and_header_case(wh, tmp_path):
    d = tmp_path / "comma"
    d.mkdir()
    (d / "organisations.csv").write_bytes(
        '\ufeff ORG_ID , Name ,KIND\r\nX1,"Nämnd, med komma",namnd\r\nX2,"Två\r\nrader",bolag\r\n'.encode()
    )
    (d / "personnel.csv").write_text(
        "org_id,month,headcount,fte,scheduled_hours,sick_hours\n"
        'X1,2026-01,"1\u00a0200",1 150.5,"201\u202f000.25",0.5\n'
        "X2,2026-01,+7,2,1e3,10\n",
        encoding="utf-8",
    )
    (d / "ledger.csv").write_text(
        "org_id,month,account,kind,outcome,budget\nX1,2026-01,3010,intakt,\u22122,-1.5\n", encoding="utf-8"
    )
    load_ok(wh, d)
    assert sorted(wh.rows("SELECT org_id, name, kind FROM v_organisation")) == [
        ("X1", "Nämnd, med komma", "namnd"),
        ("X2", "Två\r\nrader", "bolag"),
    ]
    assert sorted(wh.rows("SELECT org_id, headcount, fte, scheduled_hours, sick_hours FROM v_personnel")) == [
        ("X1", 1200, 1150.5, 201000.25, 0.5),
        ("X2", 7, 2.0, 1000.0, 10.0),
    ]
    assert wh.rows("SELECT outcome, budget FROM v_ledger") == [(-2.0, -1.5)]  # U+2212 minus; negative amounts


def test_text_up_to_the_limit_is_stored_exactly(wh, tmp_path):
    d = tmp_path / "long"
    d.mkdir()
    long_text = ('Åäö <b>&amp;</b> "citat" ;, ' * 2000)[:MAX_TEXT]
    (d / "organisations.csv").write_text("org_id;name;kind\n0200;Nämnd;namnd\n", encoding="utf-8")
    with (d / "comments.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["org_id", "period", "kind", "text"])
        w.writerow(["0200", "2026-T2", "analys", long_text])
        w.writerow(["0200", "2026-T1", "analys", "kort"])
    load_ok(wh, d)
    assert wh.scalar("SELECT text FROM v_comment WHERE period = ?", ("2026-T2",)) == long_text


def test_rows_with_only_empty_cells_are_skipped_and_row_numbers_count_them(wh, tmp_path):
    d = tmp_path / "blank"
    d.mkdir()
    (d / "organisations.csv").write_text("org_id;name;kind\nA;Ett;namnd\n;;\n\nB;Två;felkod\n;;\n", encoding="utf-8")
    result = load_dir(wh, d)
    assert [(r.file, r.row, r.column) for r in result.rejects] == [("organisations.csv", 5, "kind")]
    assert result.files[0].rows_read == 2


# -- XLSX -------------------------------------------------------------------------------------


def _csv_cells(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    return list(csv.reader(text.splitlines(True), delimiter=delimiter))


def _typed(value: str, col_type: str) -> Any:
    """A CSV cell as Excel would hold it: numbers as numbers, dates as dates, a month as a date."""
    if value == "":
        return None
    if col_type in ("number", "int", "year"):
        number = float(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))
        return int(number) if col_type != "number" or number.is_integer() else number
    if col_type == "date":
        return dt.date.fromisoformat(value)
    if col_type == "month":
        return dt.datetime(int(value[:4]), int(value[5:7]), 1)
    return value


def csv_dir_as_xlsx(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for path in src.glob("*.csv"):
        spec = FILES[path.stem]
        cells = _csv_cells(path)
        header = [h.strip().lower() for h in cells[0]]
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Data"
        ws.append(cells[0])
        for row in cells[1:]:
            ws.append(
                [
                    _typed(v, spec.column(h).type) if h in spec.column_names else v
                    for h, v in zip(header, row, strict=True)
                ]
            )
        wb.save(dst / f"{path.stem}.xlsx")
    return dst


def test_xlsx_load_gives_the_same_warehouse_as_csv(wh, tmp_path):
    xdir = csv_dir_as_xlsx(BASE, tmp_path / "xlsx")
    first = load_ok(wh, xdir)
    assert first.inserted == 44
    after_xlsx = snapshot(wh)
    again = load_ok(wh, BASE)  # the same data as CSV: every row replaces itself, nothing changes
    assert (again.inserted, again.replaced) == (0, 44)
    assert snapshot(wh) == after_xlsx


def _workbook(path: Path, rows: list[list[Any]], *, title: str = "Blad1", empty_first: bool = False) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    if empty_first:
        ws.title = "Tom"
        ws = wb.create_sheet("Data")
    else:
        ws.title = title
    for r in rows:
        ws.append(r)
    wb.save(path)


ORG_HEADER = ["org_id", "name", "kind", "parent_id"]

XLSX_CASES: dict[str, tuple[dict[str, Any], list[tuple[str, int | None, str | None, str]]]] = {
    "formula_cell": (
        {
            "organisations.xlsx": [
                ORG_HEADER,
                ["0300", "Västra", "namnd", "0001"],
                ["0310", '=A2&" norra"', "namnd", "0001"],
                ["0320", "Södra", "namnd", "=A2"],
            ]
        },
        [
            ("organisations.xlsx", 3, "name", 'cell B3 holds a formula (=A2&" norra"); paste it as values'),
            ("organisations.xlsx", 4, "parent_id", "cell D4 holds a formula (=A2)"),
        ],
    ),
    "empty_first_sheet": (
        {"organisations.xlsx": ("empty_first", [ORG_HEADER, ["0300", "Västra", "namnd", "0001"]])},
        [("organisations.xlsx", 1, None, "the first sheet ('Tom') is empty")],
    ),
    "header_not_on_row_1": (
        {"organisations.xlsx": [[None], [None], ORG_HEADER, ["0300", "Västra", "namnd", "0001"]]},
        [("organisations.xlsx", 1, None, "row 1 of the first sheet ('Blad1') is empty: the header must be on row 1")],
    ),
    "header_only": (
        {"organisations.xlsx": [ORG_HEADER]},
        [("organisations.xlsx", 2, None, "the file has a header but no data rows")],
    ),
    "bad_values": (
        {
            "indicators.xlsx": [
                ["indicator_id", "name", "unit", "direction", "decimals"],
                ["IND10", "Ny", "%", "up", 1],
                ["IND11", "Ny", "%", "lower", 1.5],
                [None, None, None, None, None],
                ["IND12", None, "%", "higher", 2],
            ]
        },
        [
            ("indicators.xlsx", 2, "direction", "unknown code 'up': expected one of higher, lower"),
            ("indicators.xlsx", 3, "decimals", "not a whole number"),
            ("indicators.xlsx", 5, "name", "a value is required"),
        ],
    ),
    "error_cell": (
        {
            "ledger.xlsx": [
                ["org_id", "month", "account", "kind", "outcome", "budget"],
                ["0200", dt.datetime(2026, 3, 1), "3010", "intakt", "#DIV/0!", 5],
            ]
        },
        [("ledger.xlsx", 2, "outcome", "cell E2 holds the error value #DIV/0!")],
    ),
    "csv_and_xlsx_of_one_file": (
        {
            "indicators.xlsx": [["indicator_id", "name", "unit", "direction"], ["IND10", "Ny", "%", "higher"]],
            "indicators.csv": "indicator_id;name;unit;direction\nIND11;Ny;%;higher\n",
        },
        [("indicators.xlsx", None, None, "both indicators.csv and indicators.xlsx are in the load: keep one")],
    ),
}


def make_xlsx_case(name: str, tmp_path: Path) -> Path:
    d = tmp_path / name
    d.mkdir()
    for file_name, content in XLSX_CASES[name][0].items():
        if isinstance(content, str):
            (d / file_name).write_text(content, encoding="utf-8")
        elif isinstance(content, tuple):
            _workbook(d / file_name, content[1], empty_first=True)
        else:
            _workbook(d / file_name, content)
    return d


def test_xlsx_month_and_date_cells_are_read_as_text(wh, tmp_path):
    d = tmp_path / "months"
    d.mkdir()
    _workbook(d / "organisations.xlsx", [ORG_HEADER, ["007", "Enhet", "enhet", None]])
    _workbook(
        d / "personnel.xlsx",
        [
            ["org_id", "month", "headcount", "scheduled_hours", "sick_hours"],
            ["007", dt.datetime(2026, 2, 1), 12.0, 1600.5, 0.1],
            ["007", "2026-03", "12", "1 600,5", "0,1"],
        ],
    )
    load_ok(wh, d)
    assert sorted(wh.rows("SELECT org_id, month, headcount, scheduled_hours, sick_hours FROM v_personnel")) == [
        ("007", "2026-02", 12, 1600.5, 0.1),
        ("007", "2026-03", 12, 1600.5, 0.1),
    ]


# -- the bad-input corpus -------------------------------------------------------------------

MANY_BAD_ROWS = [r for r in range(2, 38) if (r - 2) % 6 != 5]
NUMBER = "not a number: use digits with a decimal comma or point"
LIMIT = "the number is outside the limits: numbers must be below 10^15"

# case -> every expected reject: (file, row, column, reason substring).
BAD_CASES: dict[str, list[tuple[str, int | None, str | None, str]]] = {
    "unknown_file": [
        ("organisation.csv", None, None, "not a file of the data contract (did you mean organisations.csv?)")
    ],
    "missing_required_column": [
        (
            "goals.csv",
            1,
            "level",
            "required column 'level' is missing (the header has: goal_id, org_id, parent_goal_id, title)",
        )
    ],
    "unknown_code": [
        ("organisations.csv", 3, "kind", "unknown code 'förvaltning': expected one of kommun, koncern, namnd"),
        ("organisations.csv", 4, "kind", "(codes are case-sensitive: write 'namnd')"),
    ],
    "unparsable_number": [
        ("ledger.csv", 2, "outcome", NUMBER),
        ("ledger.csv", 3, "outcome", "ambiguous number: both a comma and a point"),
        ("ledger.csv", 4, "budget", NUMBER),
        ("ledger.csv", 5, "forecast", NUMBER),
    ],
    "malformed_period": [
        ("outcomes.csv", 2, "period", "malformed period: expected YYYY-BU, YYYY-T1, YYYY-T2 or YYYY-BO"),
        ("outcomes.csv", 3, "period", "(write '2026-T2')"),
        ("outcomes.csv", 4, "period", "malformed period"),
    ],
    "non_ascii_digits": [  # full-width and Arabic-Indic digits are not the contract's digits
        ("outcomes.csv", 2, "period", "malformed period"),
        ("outcomes.csv", 3, "value", "not a number"),
        ("personnel.csv", 2, "month", "malformed month"),
    ],
    "malformed_month": [
        ("ledger.csv", 2, "month", "malformed month: expected YYYY-MM"),
        ("personnel.csv", 2, "month", "malformed month: expected YYYY-MM"),
    ],
    "malformed_date": [
        ("activities.csv", 2, "start_date", "not a calendar date"),
        ("activities.csv", 3, "start_date", "malformed date: expected YYYY-MM-DD"),
    ],
    "dangling_organisation": [
        (
            "ledger.csv",
            3,
            "org_id",
            "unknown organisation '9999': not in organisations of this load nor in the warehouse",
        )
    ],
    "dangling_goal": [("targets.csv", 2, "goal_id", "unknown goal 'X9'")],
    "dangling_indicator": [("outcomes.csv", 2, "indicator_id", "unknown indicator 'IND99'")],
    "dangling_activity": [("activity_status.csv", 2, "activity_id", "unknown activity 'A99'")],
    "dangling_parent": [
        ("organisations.csv", 2, "parent_id", "unknown organisation 'NOPE'"),
        ("goals.csv", 2, "parent_goal_id", "unknown goal 'K9'"),
    ],
    "duplicate_key": [
        (
            "ledger.csv",
            4,
            "org_id, month, account",
            "duplicate key (org_id=0200, month=2026-03, account=3010): the same key is on row 2",
        )
    ],
    "wrong_encoding_latin1": [("organisations.csv", 2, None, "not UTF-8 text (byte 0xE4 on line 2)")],
    "utf16": [("organisations.csv", None, None, "the file is UTF-16 encoded: save it as UTF-8")],
    "binary_content": [("ledger.csv", None, None, "binary content")],
    "nul_bytes": [("comments.csv", 2, None, "binary content (a NUL byte on line 2)")],
    "not_xlsx": [("organisations.xlsx", None, None, "not an xlsx workbook")],
    "empty_file": [("comments.csv", None, None, "the file is empty (0 bytes)")],
    "header_only": [("comments.csv", 2, None, "the file has a header but no data rows")],
    "very_long_text": [("comments.csv", 2, "text", "the text has 33600 characters; at most 32 767 are accepted")],
    "valid_next_to_invalid": [("ledger.csv", 3, "outcome", NUMBER)],
    "many_bad_rows": [("personnel.csv", r, "headcount", "not a whole number") for r in MANY_BAD_ROWS],
    "missing_required_value": [
        ("targets.csv", 2, "target", "a value is required"),
        ("targets.csv", 3, "org_id", "a value is required"),
    ],
    "not_whole_number": [("personnel.csv", 2, "headcount", "not a whole number")],
    "unsupported_extension": [
        ("organisations.xls", None, None, "unsupported file type '.xls' (an old Excel workbook (.xls)): save it as"),
        ("goals.ods", None, None, "unsupported file type '.ods' (an OpenDocument spreadsheet (.ods))"),
    ],
    "malformed_quotes": [("comments.csv", 3, None, "malformed CSV")],
    "unclosed_quote": [("comments.csv", 2, None, "malformed CSV (unexpected end of data)")],
    "too_many_cells": [("indicators.csv", 2, None, "the row has 5 cells but the header names only 4 columns")],
    "id_too_long": [("organisations.csv", 2, "org_id", "at most 64 characters (this one has 70)")],
    "duplicate_column": [("organisations.csv", 1, "org_id", "the column appears twice (columns A and D)")],
    "self_parent": [("organisations.csv", 2, "parent_id", "organisation '0300' cannot refer to itself")],
    # -- contract version 2 --
    "identifier_rule": [
        ("organisations.csv", 3, "org_id", "the character U+200B (ZERO WIDTH SPACE) is not allowed in an identifier"),
        ("organisations.csv", 4, "org_id", "the character U+2028 (LINE SEPARATOR) is not allowed"),
        ("organisations.csv", 5, "org_id", "the character U+0085 is not allowed"),
        ("organisations.csv", 6, "org_id", "the character U+0020 (SPACE) is not allowed"),
        ("organisations.csv", 7, "org_id", "the character U+0007 is not allowed"),
        ("organisations.csv", 8, "parent_id", "the character U+200C (ZERO WIDTH NON-JOINER) is not allowed"),
        ("ledger.csv", 2, "account", "the character U+00A0 (NO-BREAK SPACE) is not allowed"),
    ],
    "number_limits": [
        ("outcomes.csv", 2, "value", LIMIT),
        ("outcomes.csv", 3, "value", LIMIT),
        ("ledger.csv", 2, "outcome", LIMIT),
        ("ledger.csv", 3, "outcome", LIMIT),
        ("personnel.csv", 2, "fte", LIMIT),
        ("personnel.csv", 3, "headcount", "the number is too large"),
    ],
    "negative_values": [
        ("indicators.csv", 2, "decimals", "decimals cannot be negative"),
        ("indicators.csv", 3, "decimals", "decimals must be at most 6"),
        ("personnel.csv", 2, "headcount", "headcount cannot be negative"),
        ("personnel.csv", 3, "fte", "fte cannot be negative"),
        ("personnel.csv", 4, "scheduled_hours", "scheduled_hours cannot be negative"),
        ("personnel.csv", 4, "sick_hours", "sick_hours cannot be negative"),
    ],
    "ambiguous_numbers": [
        ("ledger.csv", 2, "outcome", "ambiguous number: more than one point"),
        (
            "ledger.csv",
            5,
            "budget",
            "ambiguous numbers: the column mixes decimal commas (row 3: '12,5') and decimal points (row 5: '3.25')",
        ),
    ],
    "budget_period_rows": [
        ("outcomes.csv", 2, "period", "2026-BU is a budget period, which has no outcomes"),
        ("activity_status.csv", 2, "period", "2027-BU is a budget period, which has no activity statuses"),
        ("assessments.csv", 2, "period", "2026-BU is a budget period, which has no judgements"),
    ],
    "end_before_start": [
        ("goals.csv", 2, "last_year", "last_year 2026 is before first_year 2027"),
        ("activities.csv", 2, "end_date", "the end date 2026-05-31 is before the start date 2026-06-01"),
    ],
    "sick_above_scheduled": [("personnel.csv", 2, "sick_hours", "sick_hours 1600,5 is above scheduled_hours 1600")],
    "parent_cycle": [
        ("organisations.csv", r, "parent_id", "parent cycle 0300 → 0320 → 0310 → 0300: an organisation cannot be")
        for r in (2, 3, 4)
    ]
    + [
        ("goals.csv", r, "parent_goal_id", "parent cycle G1 → G2 → G1: a goal cannot be its own ancestor")
        for r in (2, 3)
    ],
    "parent_cycle_with_warehouse": [
        (
            "organisations.csv",
            2,
            "parent_id",
            "parent cycle 0100 → 0110 → 0100: an organisation cannot be its own ancestor; 0110 is in the warehouse",
        ),
        (
            "goals.csv",
            2,
            "parent_goal_id",
            "parent cycle I1 → N1 → K1 → I1: a goal cannot be its own ancestor; N1, K1 are in the warehouse",
        ),
    ],
    "bad_users": [
        ("users.csv", 3, "org_id", "a value is required for the role 'reporter'"),
        ("users.csv", 4, "email", "not an e-mail address"),
        ("users.csv", 5, "role", "unknown code 'superuser': expected one of reporter, controller, reader, admin"),
        ("users.csv", 6, "user_id", "the character U+0020 (SPACE) is not allowed"),
        ("users.csv", 7, "org_id", "unknown organisation '9999'"),
        ("users.csv", 8, "valid_to", "not a calendar date"),
        ("users.csv", 10, "user_id, role, org_id", "duplicate key (user_id=anna.a, role=reporter, org_id=0200)"),
    ],
    "bad_deadlines": [
        ("deadlines.csv", 4, "kind", "(codes are case-sensitive: write 'bolag')"),
        ("deadlines.csv", 5, "deadline", "malformed date: expected YYYY-MM-DD"),
        ("deadlines.csv", 6, "period, kind", "duplicate key (period=2026-T2, kind=): the same key is on row 2"),
        ("deadlines.csv", 7, "period", "malformed period"),
    ],
    "bad_year_and_reference": [
        ("targets.csv", 2, "year", "not a year: expected four digits"),
        ("targets.csv", 3, "indicator_id", "unknown indicator 'IND77'"),
        ("targets.csv", 3, "partial_limit", NUMBER),
    ],
}


def test_the_corpus_is_complete():
    on_disk = {p.name for p in BAD.iterdir() if p.is_dir()}
    assert on_disk == set(BAD_CASES)
    assert len(on_disk) + len(XLSX_CASES) >= 25


def _key(r) -> tuple[str, int, str]:
    return (r[0], r[1] or 0, r[2] or "")


def assert_rejects(
    found: list[tuple[str, int | None, str | None, str]], expected: list[tuple[str, int | None, str | None, str]]
) -> None:
    """Exactly the expected places, each with its reason."""
    assert sorted((f, r, c) for f, r, c, _ in found) == sorted((f, r, c) for f, r, c, _ in expected), found
    by_place = {(f, r, c): why for f, r, c, why in found}
    for f, r, c, why in expected:
        assert why in by_place[(f, r, c)], (f, r, c, by_place[(f, r, c)])


def run_bad_case(wh, wh_url: str, backend: str, directory: Path, expected) -> None:
    before = snapshot(wh)
    loads_before = wh.scalar("SELECT COUNT(*) FROM ils_load")
    if backend == "sqlite":
        # The embedded backend runs every case through the command, as a user would.
        wh.close()
        proc = ils("load", str(directory), "--warehouse", wh_url)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
        assert proc.stderr.strip().splitlines()[-1].startswith("ils: error: load rejected: ")
        assert f"nothing was written; they are listed in {directory / REJECTS_FILE}" in proc.stderr
        with (directory / REJECTS_FILE).open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
        assert rows[0] == ["file", "row", "column", "value", "reason"]
        found = [(f, int(r) if r else None, c or None, why) for f, r, c, _v, why in rows[1:]]
        for f, r, _c, _why in expected[:20]:
            assert (f"{f} row {r}" if r else f"{f}: ") in proc.stderr
        wh = connect(wh_url)
    else:
        result = load_dir(wh, directory)
        assert not result.ok
        assert result.rejects_path == directory / REJECTS_FILE
        found = [(r.file, r.row, r.column, r.reason) for r in result.rejects]
    try:
        assert_rejects(found, expected)
        assert snapshot(wh) == before  # nothing of the load landed
        assert wh.scalar("SELECT COUNT(*) FROM ils_load") == loads_before + 1
        assert wh.rows("SELECT outcome FROM v_load ORDER BY load_id DESC")[0] == ("rejected",)
    finally:
        if backend == "sqlite":
            wh.close()


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_load_is_rejected_whole_with_every_reason(case, wh, wh_url, backend, tmp_path):
    load_ok(wh, BASE)
    run_bad_case(wh, wh_url, backend, copy_case(BAD / case, tmp_path), BAD_CASES[case])


@pytest.mark.parametrize("case", sorted(XLSX_CASES))
def test_bad_xlsx_load_is_rejected_whole(case, wh, wh_url, backend, tmp_path):
    load_ok(wh, BASE)
    run_bad_case(wh, wh_url, backend, make_xlsx_case(case, tmp_path), XLSX_CASES[case][1])


def test_directory_without_contract_files(wh, tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    (d / REJECTS_FILE).write_text("an old rejects file is not a contract file\n")
    (d / ".hidden").write_text("ignored\n")
    result = load_dir(wh, d)
    assert [(r.file, r.row, r.reason[:22]) for r in result.rejects] == [("empty", None, "no contract files in /")]
    with pytest.raises(LoadError, match="does not exist"):
        load_dir(wh, tmp_path / "missing")


def test_rejects_file_is_replaced_atomically_and_removed_after_a_good_load(base_wh, tmp_path):
    wh = base_wh
    d = copy_case(BAD / "many_bad_rows", tmp_path)
    result = load_dir(wh, d)
    assert not result.ok and len(result.rejects) == len(MANY_BAD_ROWS)
    assert (d / REJECTS_FILE).is_file()
    assert not list(d.glob(".rejects-*"))  # no temporary file left behind
    # The rejects file is not taken for an unknown contract file on the next load.
    (d / "organisations.csv").write_text("org_id;name;kind\n0200;N;namnd\n", encoding="utf-8")
    (d / "personnel.csv").write_text(
        "org_id;month;headcount;scheduled_hours;sick_hours\n0200;2026-01;5;100;1\n", encoding="utf-8"
    )
    load_ok(wh, d)
    assert not (d / REJECTS_FILE).exists()
    other = tmp_path / "elsewhere" / "r.csv"
    bad = copy_case(BAD / "header_only", tmp_path)
    result = load_dir(wh, bad, rejects_path=other)
    assert result.rejects_path == other and other.is_file() and not (bad / REJECTS_FILE).exists()


def test_rejected_load_is_recorded_after_the_rollback(base_wh, tmp_path):
    wh = base_wh
    before = snapshot(wh)
    result = load_dir(wh, copy_case(BAD / "valid_next_to_invalid", tmp_path))
    assert not result.ok
    assert snapshot(wh) == before
    rec = wh.rows(
        "SELECT outcome, rows_inserted, rows_replaced, message FROM v_load WHERE load_id = ?", (result.load_id,)
    )
    assert rec[0][:3] == ("rejected", 0, 0)
    assert rec[0][3].startswith("1 reject; first: ledger.csv row 3, column outcome ('abc')")
    files = dict(wh.rows("SELECT file_name, rows_inserted FROM v_load_file WHERE load_id = ?", (result.load_id,)))
    assert files == {"organisations.csv": 0, "ledger.csv": 0}
    assert [x["load_id"] for x in store.latest_loads(wh, outcome=None)][0] == result.load_id
    assert result.load_id not in [x["load_id"] for x in store.latest_loads(wh)]


# -- the command -------------------------------------------------------------------------------


def test_cli_good_load_prints_a_summary(wh_url, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("the command is exercised on the embedded backend; the library on all")
    proc = ils("load", str(BASE), "--warehouse", wh_url)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "  ledger.csv: 5 rows checked in " in out  # plain lines when not on a terminal
    assert f"Loaded {BASE.resolve()} into {wh_url}" in out
    assert [line.split() for line in out.splitlines() if line.strip().startswith("total")] == [
        ["total", "44", "44", "0", "0"]
    ]
    assert "Warnings (1):" in out and "unknown column 'extra' ignored" in out
    again = ils("load", str(BASE), "--warehouse", wh_url, "--quiet")
    assert again.returncode == 0 and "rows checked" not in again.stdout
    assert [line.split() for line in again.stdout.splitlines() if line.strip().startswith("total")] == [
        ["total", "44", "0", "44", "0"]
    ]
    missing = ils("load", str(tmp_path / "nope"), "--warehouse", wh_url)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.startswith("ils: error: the load directory")


def test_cli_lists_at_most_show_rejects(wh_url, backend, tmp_path):
    if backend != "sqlite":
        pytest.skip("the command is exercised on the embedded backend")
    assert ils("load", str(BASE), "--warehouse", wh_url).returncode == 0
    d = copy_case(BAD / "many_bad_rows", tmp_path)
    proc = ils("load", str(d), "--warehouse", wh_url, "--show", "5")
    assert proc.returncode == 1
    assert proc.stderr.count("personnel.csv row ") == 5
    assert f"... and {len(MANY_BAD_ROWS) - 5} more (all are in {d / REJECTS_FILE})" in proc.stderr


# -- all or nothing, also when killed -----------------------------------------------------------


def _big_ledger(directory: Path, rows: int) -> None:
    directory.mkdir()
    orgs = [f"{i:04d}" for i in range(1, 21)]
    (directory / "organisations.csv").write_text(
        "org_id;name;kind\n" + "".join(f"{o};Org {o};namnd\n" for o in orgs), encoding="utf-8"
    )
    months = [f"{y}-{m:02d}" for y in range(2016, 2027) for m in range(1, 13)]
    per = -(-rows // (len(orgs) * len(months)))
    with (directory / "ledger.csv").open("w", encoding="utf-8") as fh:
        fh.write("org_id;month;account;account_name;kind;outcome;budget;forecast\n")
        n = 0
        for o in orgs:
            for m in months:
                fh.write("".join(f"{o};{m};{3000 + a};Konto åäö;intakt;{n + a},5;1 000;\n" for a in range(per)))
                n += per


def _cmdline_has(entry: Path, text: str) -> bool:
    try:
        return text.encode() in (entry / "cmdline").read_bytes()
    except OSError:  # gone meanwhile
        return False


@pytest.mark.slow
def test_killed_load_leaves_the_warehouse_exactly_as_before(wh, wh_url, backend, tmp_path):
    if backend == "odbc-sqlite":
        pytest.skip("the same SQLite file semantics as the embedded backend, only slower")
    load_ok(wh, BASE)
    before = snapshot(wh, records=True)
    d = tmp_path / "big"
    _big_ledger(d, 400_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ilslib", "load", str(d), "--warehouse", wh_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if backend == "sqlite":
                wal = Path(wh_url[len("sqlite:///") :] + "-wal")
                if wal.exists() and wal.stat().st_size > 8 * 2**20:  # ledger pages being written
                    break
            else:
                busy = wh.scalar(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE state = ? AND query LIKE ?",
                    ("active", "INSERT INTO ils_ledger%"),
                )
                if busy:
                    break
            time.sleep(0.05)
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the load finished before it could be killed"
    # The ledger (30 MB) was checked in a forked child: it dies with the load (no process left checking).
    for _ in range(100):
        left = [e.name for e in Path("/proc").iterdir() if e.name.isdigit() and _cmdline_has(e, str(d))]
        if not left:
            break
        time.sleep(0.05)
    assert left == [], f"processes left behind: {left}"
    wh.close()
    for _ in range(50):  # PostgreSQL notices the dropped connection and rolls back
        with connect(wh_url) as fresh:
            if wh_url.startswith("odbc:") and fresh.scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE ? AND pid <> pg_backend_pid()",
                ("INSERT INTO ils_ledger%",),
            ):
                time.sleep(0.1)
                continue
            assert snapshot(fresh, records=True) == before
            break
    else:
        pytest.fail("the killed load's session did not end")


# -- DataFrames (the demo's way in) ---------------------------------------------------------------


def test_load_frames_validates_like_files(wh):
    orgs = pd.DataFrame(
        {
            "org_id": ["0001", "0002"],
            "name": ["Stad", "Nämnd <&>"],
            "kind": ["kommun", "namnd"],
            "parent_id": [None, "0001"],
        }
    )
    ledger = pd.DataFrame(
        {
            "org_id": ["0002"],
            "month": ["2026-01"],
            "account": ["3010"],
            "kind": ["intakt"],
            "outcome": [1.25],
            "budget": [float("nan")],
        }
    )
    with pytest.raises(LoadError, match=r"ledger row 2, column budget: a value is required"):
        load_frames(wh, {"organisations": orgs, "ledger": ledger}, source="test")
    assert store.count(wh, "organisations") == 0
    ledger["budget"] = [2]
    result = load_frames(wh, {"organisations": orgs, "ledger": ledger}, source="test")
    assert result.inserted == 3
    assert wh.rows("SELECT outcome, budget FROM v_ledger") == [(1.25, 2.0)]
    assert wh.scalar("SELECT name FROM v_organisation WHERE org_id = ?", ("0002",)) == "Nämnd <&>"
    assert sorted(wh.rows("SELECT source, outcome FROM v_load")) == [("test", "ok"), ("test", "rejected")]


def test_store_write_still_replaces_by_key(wh):
    frame = pd.DataFrame({"org_id": ["A"], "name": ["Ett"], "kind": ["namnd"]})
    assert store.write(wh, "organisations", frame) == store.WriteResult("organisations", 1, 0)
    frame["name"] = ["Ett (nytt)"]
    assert store.write(wh, "organisations", frame) == store.WriteResult("organisations", 0, 1)
    assert wh.rows("SELECT name FROM v_organisation") == [("Ett (nytt)",)]


# -- users.user_id is a login -------------------------------------------------------------------------


def test_a_users_row_takes_a_real_login(wh, tmp_path):
    """Windows and e-mail logins (``STAD\\anna``, ``anna@stad.se``) are what user_id holds; a space or a slash is not."""
    load_ok(wh, BASE)
    d = tmp_path / "users"
    d.mkdir()
    (d / "users.csv").write_text(
        "user_id;name;role;org_id\n"
        "STAD\\anna;Anna;reporter;0200\n"
        " anna@stad.se ;Anna;controller;0110\n"  # trimmed like an id
        "åsa.öberg;Åsa;reader;\n",
        encoding="utf-8",
    )
    load_ok(wh, d)
    assert sorted(wh.rows("SELECT user_id, role FROM v_user")) == [
        ("STAD\\anna", "reporter"),
        ("anna@stad.se", "controller"),
        ("åsa.öberg", "reader"),
    ]
    (d / "users.csv").write_text(
        "user_id;name;role;org_id\nanna svensson;Anna;reader;\nSTAD/anna;Anna;reader;\n", encoding="utf-8"
    )
    result = load_dir(wh, d)
    assert [(r.row, r.column, r.reason) for r in result.rejects] == [
        (
            2,
            "user_id",
            "the character U+0020 (SPACE) is not allowed in a login (letters, digits 0-9, _, -, ., @ and \\)",
        ),
        (
            3,
            "user_id",
            "the character '/' (U+002F (SOLIDUS)) is not allowed in a login (letters, digits 0-9, _, -, ., @ and \\)",
        ),
    ]


# -- tracing -------------------------------------------------------------------------------------


def test_trace_sql_shows_a_batch_inserts_long_parameter_shortened_with_its_length(wh_url, backend, tmp_path, capsys):
    from ilslib import trace_print

    if backend != "postgresql":
        pytest.skip("only PostgreSQL's batch inserts send a long parameter (5 000 rows as one JSON text)")
    d = tmp_path / "big"
    _big_ledger(d, 6_000)
    with connect(wh_url, tracer=trace_print) as traced:
        load_ok(traced, d)
    lines = capsys.readouterr().out.splitlines()
    inserts = [n for n, line in enumerate(lines) if "INTO ils_ledger" in line and "json_populate_recordset" in line]
    assert len(inserts) == 2  # 5 000 + 1 000 rows
    shown = [lines[n + 1] for n in inserts]
    assert all(line.startswith("  parameters: ['[{") and " characters in all)]" in line for line in shown), shown
    assert all(len(line) < 300 for line in lines)  # the whole JSON was 1 MB on one line
