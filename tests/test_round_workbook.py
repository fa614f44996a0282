"""The reporting workbook: what ``ils template`` writes, and loading it back (``ils load FILE.xlsx``).

Round trips on real files: the workbook is written, filled in with openpyxl as a reporter
would (numbers, decimal-comma text, a hostile comment, a status from the list), loaded as
the reporter, and the figures checked; the same workbook with another organisation's or
period's rows, a renamed sheet, a deleted column, an unknown status, a value typed as
text, a formula, saved as .xls or .ods, is refused whole with the warehouse unchanged.
On the embedded warehouse (through the command), SQLite over ODBC and PostgreSQL.
LibreOffice (headless) opens the workbook, and a workbook it saved loads.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from round_support import (
    HOSTILE_TITLE,
    PEOPLE,
    PERIOD,
    Logins,
    database_of,
    ils,
    load_dataset,
    pg_roles,
    snapshot,
)

from ilslib import figures
from ilslib.contract import ACTIVITY_STATUSES, ASSESSMENTS
from ilslib.load import REJECTS_FILE, load_workbook
from ilslib.round import workbook as wbk
from ilslib.round.expected import completeness_of, items
from ilslib.round.state import state
from ilslib.round.template import build, write_template

HOSTILE_COMMENT = '=HYPERLINK("http://evil.example","klicka")\n<script>alert("x")</script> "citat" & åäö'
VD_TEXT = 'Första stycket med åäö.\n\nAndra stycket: <b>inte fetstil</b> & "citat"\n+46 8 123 45'


@pytest.fixture
def logins(wh_url: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request) -> Logins:
    """The hand-made round loaded into a fresh warehouse, and connections as each person."""
    load_dataset(wh_url, tmp_path)
    if backend == "postgresql":
        pg_roles(request.getfixturevalue("pg_cluster"), database_of(wh_url))
    return Logins(wh_url, backend, monkeypatch)


def template(logins: Logins, tmp_path: Path, org: str = "NAMN_A", period: str = PERIOD) -> Path:
    with logins.as_("reader") as wh:  # anyone who reads the warehouse may make a workbook
        return write_template(wh, org, period, tmp_path / "ut" / wbk.file_name(org, period))


def rows_of(ws: Any) -> list[dict[str, Any]]:
    """A sheet's data rows as {heading: value}."""
    values = list(ws.iter_rows(values_only=True))
    return [dict(zip(values[0], r, strict=False)) for r in values[1:]]


def put(ws: Any, match: dict[str, Any], heading: str, value: Any, *, text: bool = False) -> None:
    """Type ``value`` in the column ``heading`` of the row matching ``match``, as a reporter would.

    ``text``: typed into a Text-formatted cell, where Excel keeps even ``=...`` as text.
    """
    heads = [c.value for c in ws[1]]
    col = heads.index(heading) + 1
    for r in range(2, ws.max_row + 1):
        if all(ws.cell(r, heads.index(h) + 1).value == v for h, v in match.items()):
            cell = ws.cell(r, col)
            cell.value = value
            if text:
                cell.data_type = "s"
            return
    raise AssertionError(f"no row {match} in {ws.title}")


def fill_as_reporter(path: Path) -> Path:
    """Fill the NAMN_A workbook: every required item, some optional ones, a hostile comment."""
    wb = openpyxl.load_workbook(path)
    o = wb["outcomes"]
    put(o, {"Indikator-id (indicator_id)": "I_G", "Kön (gender)": "T"}, "Utfall (value)", "5,8", text=True)
    put(o, {"Indikator-id (indicator_id)": "I_G", "Kön (gender)": "K"}, "Utfall (value)", 6.1)
    # the men's row is left empty: not loaded
    put(o, {"Indikator-id (indicator_id)": "I_L"}, "Utfall (value)", 0)  # a zero against a zero target
    put(o, {"Indikator-id (indicator_id)": "I_T"}, "Utfall (value)", "86,5", text=True)
    put(o, {"Indikator-id (indicator_id)": "I_T"}, "Kommentar (comment)", HOSTILE_COMMENT, text=True)
    a = wb["assessments"]
    put(a, {"Mål-id (goal_id)": "GA1"}, "Bedömning (assessment)", "delvis", text=True)
    put(a, {"Mål-id (goal_id)": "GA1"}, "Kommentar (comment)", "Delvis: se analysen.", text=True)
    s = wb["activity_status"]
    put(s, {"Aktivitets-id (activity_id)": "A1"}, "Status (status)", "genomford", text=True)
    put(s, {"Aktivitets-id (activity_id)": "A4"}, "Status (status)", "forsenad", text=True)
    put(s, {"Aktivitets-id (activity_id)": "A4"}, "Kommentar (comment)", "-försenad-", text=True)
    c = wb["comments"]
    put(c, {"Slag (kind)": "vd_kommentar"}, "Text (text)", VD_TEXT, text=True)
    wb.save(path)
    return path


# -- what the template writes ---------------------------------------------------------------------


def test_the_workbook_asks_for_the_expected_items(logins: Logins, tmp_path: Path) -> None:
    path = template(logins, tmp_path)
    assert path.name == "inrapportering_NAMN_A_2026-T2.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Läs först", "outcomes", "assessments", "activity_status", "comments", "_ils"]
    assert [ws.sheet_state for ws in wb.worksheets] == ["visible"] * 5 + ["veryHidden"]
    meta = {r[0]: r[1] for r in wb["_ils"].iter_rows(values_only=True)}
    assert (meta["format"], meta["org_id"], meta["period"]) == ("ils-inrapportering", "NAMN_A", "2026-T2")
    assert meta["sheets"] == "outcomes,assessments,activity_status,comments"

    out = rows_of(wb["outcomes"])
    assert [(r["Indikator-id (indicator_id)"], r["Kön (gender)"]) for r in out] == [
        ("I_G", "T"),
        ("I_G", "K"),  # I_G is split by gender (K and M outcomes in the warehouse)
        ("I_G", "M"),
        ("I_L", "T"),
        ("I_T", "T"),  # I_A is annual: not followed up in a tertial
    ]
    by = {(r["Indikator-id (indicator_id)"], r["Kön (gender)"]): r for r in out}
    assert by[("I_T", "T")]["Målvärde"] == 85  # the tertial target applies in T2, not the annual 90
    assert by[("I_L", "T")]["Målvärde"] == 0 and by[("I_L", "T")]["Riktning"] == "Lägre är bättre"
    assert (by[("I_T", "T")]["Föregående utfall"], by[("I_T", "T")]["Föregående period"]) == (82.5, "2026-T1")
    assert [by[("I_G", g)]["Föregående utfall"] for g in "TKM"] == [6, 7, 5]
    assert by[("I_L", "T")]["Föregående utfall"] is None and by[("I_T", "T")]["Utfall (value)"] is None
    assert {r["Organisation (org_id)"] for r in out} == {"NAMN_A"} and {r["Period (period)"] for r in out} == {PERIOD}
    assert [(r["Mål-id (goal_id)"], r["KF-mål"], r["Nivå"]) for r in rows_of(wb["assessments"])] == [
        ("GA1", "Trygg omsorg för alla", "Nämndmål")  # GA2 ended in 2025
    ]
    assert [r["Aktivitets-id (activity_id)"] for r in rows_of(wb["activity_status"])] == ["A1", "A4"]  # not A2
    assert rows_of(wb["activity_status"])[0]["Föregående status"] == "Påbörjad (2026-T1)"
    assert [r["Slag (kind)"] for r in rows_of(wb["comments"])] == ["vd_kommentar", "avvikelse", "analys"]

    # one home: the rows are the items that completeness counts (and the optional ones)
    with logins.as_("reader") as wh:
        found = items(wh, PERIOD, ["NAMN_A"])["NAMN_A"]
    assert [(i.ref, i.gender) for i in found if i.kind == "outcome"] == list(by)
    assert [i.ref for i in found if i.kind == "status"] == ["A1", "A4"]
    assert [i.ref for i in found if i.kind == "judgement" and not i.required] == ["GA1"]  # offered in a tertial
    assert [i.ref for i in found if i.kind == "comment" and i.required] == ["vd_kommentar"]


def test_cells_locks_lists_and_inert_text(logins: Logins, tmp_path: Path) -> None:
    path = template(logins, tmp_path)
    wb = openpyxl.load_workbook(path)
    for name in ("outcomes", "assessments", "activity_status", "comments"):
        ws = wb[name]
        assert ws.protection.sheet, name
        heads = [c.value for c in ws[1]]
        cols = {c.heading: c for c in wbk.SHEETS[name]}
        assert heads == list(cols)
        for r in range(2, ws.max_row + 1):
            for j, h in enumerate(heads, 1):
                cell = ws.cell(r, j)
                assert cell.protection.locked is not cols[h].editable, (name, r, h)
                if cols[h].editable and cols[h].kind in ("text", "code"):
                    assert cell.number_format == "@", (name, h)  # typed text stays text
    lists = {
        str(dv.sqref): dv.formula1
        for name in ("assessments", "activity_status")
        for dv in wb[name].data_validations.dataValidation
    }
    assert lists == {"H2": '"' + ",".join(ASSESSMENTS) + '"', "G2:G3": '"' + ",".join(ACTIVITY_STATUSES) + '"'}
    # no formula anywhere; the activity whose title is a formula is a quote-prefixed text cell
    hostile = None
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                if cell.value == HOSTILE_TITLE:
                    hostile = cell
    assert hostile is not None and hostile.data_type == "s" and hostile.quotePrefix


def test_the_instructions_say_the_deadline_kind_specific_first(logins: Logins, tmp_path: Path) -> None:
    with logins.as_("reader") as wh:
        a = build(wh, "NAMN_A", PERIOD)
        c = build(wh, "BOL_C", PERIOD)
        bu = build(wh, "NAMN_A", "2026-BU")
        nothing = build(wh, "NAMN_A", "2026-T1")
    assert a.deadline == dt.date(2026, 9, 15) and c.deadline == dt.date(2026, 9, 8)  # bolag: its own row
    assert nothing.deadline is None
    lines = [t for _, t in wbk.readme_lines(a)]
    assert "Sista dag: tisdag 15 september 2026." in lines
    assert "Controller: Åsa Öberg" in lines
    assert "ils load inrapportering_NAMN_A_2026-T2.xlsx" in lines
    assert "ils ready --period 2026-T2 --org NAMN_A" in lines
    assert [t for _, t in wbk.readme_lines(c)].count("Sista dag: tisdag 8 september 2026.") == 1
    assert "Ingen sista dag är inlagd för perioden: fråga din controller." in [t for _, t in wbk.readme_lines(nothing)]
    assert "• utfall (totalt) för 3 indikatorer" in lines and "• status för 2 aktiviteter" in lines
    assert [s.file for s in bu.sheets] == ["comments"]  # a budget has no outcomes, statuses or judgements
    assert [r["kind"] for r in bu.sheets[0].rows] == ["vd_kommentar"]


# -- round trips -----------------------------------------------------------------------------------


def test_a_filled_in_workbook_loads_and_the_figures_show_it(logins: Logins, backend: str, tmp_path: Path) -> None:
    path = fill_as_reporter(template(logins, tmp_path))
    if backend == "sqlite":  # as a reporter would: the command, as the reporter's login
        p = ils("load", str(path), "--period", PERIOD, env=logins.env("reporter"))
        assert p.returncode == 0, p.stdout + p.stderr
        assert "reporting workbook of NAMN_A for 2026-T2: sheets outcomes, assessments, activity_status, comments" in (
            p.stdout
        )
        assert "inrapportering_NAMN_A_2026-T2.xlsx, sheet outcomes" in p.stdout
        assert "unknown column" not in p.stdout  # the read-only columns are the workbook's own
    else:
        with logins.as_("reporter") as wh:
            result = load_workbook(wh, path, period=PERIOD)
            assert result.ok, [str(r) for r in result.rejects]
            assert result.warnings == []
            assert {f.name.split(", sheet ")[1]: (f.rows_read, f.inserted) for f in result.files} == {
                "outcomes": (4, 4),  # the men's row was empty
                "assessments": (1, 1),
                "activity_status": (2, 2),
                "comments": (1, 1),  # avvikelse and analys were empty
            }
    with logins.as_("reader") as wh:
        ind = figures.indicators(wh, "NAMN_A", PERIOD).set_index("indicator_id")
        assert ind.loc["I_T", "value"] == 86.5 and ind.loc["I_T", "status"] == "uppfyllt"
        assert ind.loc["I_L", "value"] == 0 and ind.loc["I_L", "status"] == "uppfyllt"  # lower, zero target
        assert ind.loc["I_G", "value"] == 5.8 and ind.loc["I_G", "status"] == "ej_uppfyllt"  # above 5 + 10 %
        assert ind.loc["I_G", "value_k"] == 6.1 and ind.loc["I_G", "value_m"] != ind.loc["I_G", "value_m"]  # NaN
        assert ind.loc["I_T", "comment"] == HOSTILE_COMMENT  # exactly as typed
        assert figures.text_of(wh, "NAMN_A", PERIOD, "vd_kommentar") == VD_TEXT
        acts = figures.activities(wh, "NAMN_A", PERIOD).set_index("activity_id")
        assert acts.loc["A1", "status"] == "genomford" and acts.loc["A4", "comment"] == "-försenad-"
        goals = figures.goals(wh, "NAMN_A", PERIOD).set_index("goal_id")
        assert goals.loc["GA1", "assessment"] == "delvis"
        assert completeness_of(wh, "NAMN_A", PERIOD).share == 1.0
        assert state(wh, "NAMN_A", PERIOD) == "pagaende"
        assert wh.scalar("SELECT COUNT(*) FROM v_outcome WHERE org_id = ? AND gender = ?", ("NAMN_A", "M")) == 1
        rec = wh.rows("SELECT user_name, outcome FROM v_load ORDER BY started_at DESC")[0]
        assert rec == (PEOPLE["reporter"], "ok")
        before = snapshot(wh)
    # the same workbook again changes nothing (but is recorded)
    with logins.as_("reporter") as wh:
        again = load_workbook(wh, path)
        assert again.ok and again.inserted == 0 and again.replaced == 8
        after = snapshot(wh)
    assert {k: v for k, v in after.items() if k != "event"} == {k: v for k, v in before.items() if k != "event"}
    # and a workbook made now is filled in with what was loaded
    again_path = template(logins, tmp_path / "again")
    vals = {
        (r["Indikator-id (indicator_id)"], r["Kön (gender)"]): r["Utfall (value)"]
        for r in rows_of(openpyxl.load_workbook(again_path)["outcomes"])
    }
    assert vals == {("I_G", "T"): 5.8, ("I_G", "K"): 6.1, ("I_G", "M"): None, ("I_L", "T"): 0, ("I_T", "T"): 86.5}


# -- refused whole ---------------------------------------------------------------------------------


def _edit(path: Path, how) -> Path:
    wb = openpyxl.load_workbook(path)
    how(wb)
    wb.save(path)
    return path


def _other_org(wb) -> None:
    put(wb["outcomes"], {"Indikator-id (indicator_id)": "I_L"}, "Organisation (org_id)", "NAMN_B", text=True)


def _other_period(wb) -> None:
    put(wb["comments"], {"Slag (kind)": "vd_kommentar"}, "Period (period)", "2026-T1", text=True)


def _other_activity(wb) -> None:
    put(wb["activity_status"], {"Aktivitets-id (activity_id)": "A1"}, "Aktivitets-id (activity_id)", "A3", text=True)


def _renamed(wb) -> None:
    wb["outcomes"].title = "Utfall"


def _deleted_column(wb) -> None:
    wb["outcomes"].delete_cols(12)  # Kommentar (comment)


def _unknown_status(wb) -> None:
    put(wb["activity_status"], {"Aktivitets-id (activity_id)": "A1"}, "Status (status)", "klart", text=True)


def _value_as_text(wb) -> None:
    put(wb["outcomes"], {"Indikator-id (indicator_id)": "I_L"}, "Utfall (value)", "ca 12", text=True)


def _formula(wb) -> None:
    put(wb["outcomes"], {"Indikator-id (indicator_id)": "I_L"}, "Utfall (value)", "=1+2")  # not a Text cell


def _not_a_workbook_of_ils(wb) -> None:
    del wb["_ils"]


# (name, edit, the reject's place, words of its reason)
REFUSED = [
    (
        "other_org",
        _other_org,
        "inrapportering_NAMN_A_2026-T2.xlsx, sheet outcomes, row 5, column org_id ('NAMN_B')",
        "the row is for organisation 'NAMN_B', but inrapportering_NAMN_A_2026-T2.xlsx is the workbook of NAMN_A",
    ),
    (
        "other_period",
        _other_period,
        "inrapportering_NAMN_A_2026-T2.xlsx, sheet comments, row 2, column period ('2026-T1')",
        "the row is for period 2026-T1, but inrapportering_NAMN_A_2026-T2.xlsx is the workbook of 2026-T2",
    ),
    (
        "other_activity",
        _other_activity,
        "inrapportering_NAMN_A_2026-T2.xlsx, sheet activity_status, row 2, column activity_id ('A3')",
        "activity 'A3' belongs to organisation 'BOL_C', but",
    ),
    (
        "renamed_sheet",
        _renamed,
        "inrapportering_NAMN_A_2026-T2.xlsx",
        "the sheet 'outcomes' was renamed to 'Utfall': the sheets must keep their names",
    ),
    (
        "deleted_column",
        _deleted_column,
        "inrapportering_NAMN_A_2026-T2.xlsx, sheet outcomes, row 1",
        "the column 'Kommentar (comment)' is missing (deleted or renamed?)",
    ),
    (
        "unknown_status",
        _unknown_status,
        "inrapportering_NAMN_A_2026-T2.xlsx, sheet activity_status, row 2, column status ('klart')",
        "unknown code 'klart': expected one of ej_paborjad, paborjad, genomford, forsenad, avbruten",
    ),
    (
        "value_as_text",
        _value_as_text,
        "inrapportering_NAMN_A_2026-T2.xlsx, sheet outcomes, row 5, column value ('ca 12')",
        "not a number",
    ),
    (
        "formula",
        _formula,
        "inrapportering_NAMN_A_2026-T2.xlsx, sheet outcomes, row 5, column value ('=1+2')",
        "cell K5 holds a formula (=1+2); paste it as values",
    ),
    (
        "not_ils",
        _not_a_workbook_of_ils,
        "inrapportering_NAMN_A_2026-T2.xlsx",
        "not a reporting workbook made by ils template (it has no sheet _ils",
    ),
]


@pytest.mark.parametrize(("case", "edit", "where", "why"), REFUSED, ids=[c[0] for c in REFUSED])
def test_a_changed_workbook_is_refused_whole(
    logins: Logins, backend: str, tmp_path: Path, case: str, edit, where: str, why: str
) -> None:
    path = _edit(fill_as_reporter(template(logins, tmp_path)), edit)
    with logins.as_("reporter") as wh:
        before = snapshot(wh)
    if backend == "sqlite":
        p = ils("load", str(path), env=logins.env("reporter"))
        assert p.returncode == 1, p.stdout + p.stderr
        assert "Traceback" not in p.stdout + p.stderr
        assert f"  {where}" in p.stderr and why in p.stderr, p.stderr
        assert p.stderr.strip().splitlines()[-1].startswith("ils: error: load rejected: ")
        assert (path.parent / REJECTS_FILE).is_file()
    else:
        with logins.as_("reporter") as wh:
            result = load_workbook(wh, path)
            assert not result.ok
            shown = [str(r) for r in result.rejects]
            assert any(s.startswith(where) and why in s for s in shown), shown
            assert len(shown) == 1, shown  # one reason, not a cascade
    with logins.as_("reporter") as wh:
        after = snapshot(wh)
        assert after == before, f"{case}: the warehouse changed"
        assert wh.rows("SELECT outcome FROM v_load ORDER BY started_at DESC")[0] == ("rejected",)


def test_saved_in_another_format_or_for_another_period(logins: Logins, tmp_path: Path) -> None:
    path = fill_as_reporter(template(logins, tmp_path))
    xls = path.with_suffix(".xls")
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)  # an old Excel file's header
    ods_named_xlsx = tmp_path / "inrapportering_NAMN_A_2026-T2_ods.xlsx"
    with zipfile.ZipFile(ods_named_xlsx, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<x/>")
    with logins.as_("reporter") as wh:
        before = snapshot(wh)
        r = load_workbook(wh, xls)
        assert [str(x) for x in r.rejects] == [
            "inrapportering_NAMN_A_2026-T2.xls: saved as an old Excel workbook (.xls): a reporting workbook is "
            "loaded as an Excel workbook (.xlsx); open it and save it as 'Excel Workbook (.xlsx)' with the name "
            "inrapportering_NAMN_A_2026-T2.xlsx"
        ]
        r = load_workbook(wh, ods_named_xlsx)
        assert [x.reason for x in r.rejects] == [
            "an OpenDocument spreadsheet (.ods) named .xlsx: save it as .xlsx or .csv"
        ]
        r = load_workbook(wh, path, period="2026-BO")
        assert [x.reason for x in r.rejects] == [
            "this is the workbook of NAMN_A for 2026-T2, not for 2026-BO: was the wrong workbook filled in? Make the "
            "one for 2026-BO with ils template --period 2026-BO --org NAMN_A"
        ]
        assert snapshot(wh) == before


def test_another_organisations_workbook_is_refused_before_reading(logins: Logins, tmp_path: Path) -> None:
    path = template(logins, tmp_path, "BOL_C")
    with logins.as_("reporter") as wh:
        before = snapshot(wh)
        with pytest.raises(Exception) as err:
            load_workbook(wh, path)
        assert type(err.value).__name__ == "AccessDeniedError" and err.value.exit_code == 4
        assert str(err.value).startswith(
            "'STAD\\anna' may not load the reporting workbook for organisation BOL_C: that needs the role "
            "reporter or controller of the organisation (or admin)"
        )
        assert snapshot(wh) == before


def test_a_directory_of_workbooks_loads_all_or_nothing(logins: Logins, tmp_path: Path) -> None:
    inbox = tmp_path / "inkommet"
    inbox.mkdir()
    a = fill_as_reporter(template(logins, tmp_path))
    shutil.copy(a, inbox / a.name)
    b = template(logins, tmp_path, "NAMN_B")
    wb = openpyxl.load_workbook(b)
    put(wb["outcomes"], {"Indikator-id (indicator_id)": "I_T"}, "Utfall (value)", 79.5)
    wb.save(inbox / b.name)
    with logins.as_("reporter") as wh:  # NAMN_B is not the reporter's: the whole directory is refused
        with pytest.raises(Exception, match="may not load the reporting workbook for organisation NAMN_B"):
            from ilslib.load import load_dir

            load_dir(wh, inbox)
    with logins.as_("controller") as wh:  # the controller follows both
        from ilslib.load import load_dir

        before = snapshot(wh)
        shutil.copy(inbox / a.name, inbox / "inrapportering_NAMN_A_2026-T2 (kopia).xlsx")
        r = load_dir(wh, inbox)
        assert [str(x) for x in r.rejects] == [
            "inrapportering_NAMN_A_2026-T2.xlsx: inrapportering_NAMN_A_2026-T2 (kopia).xlsx is the workbook of "
            "NAMN_A for 2026-T2 too: a load holds one workbook per organisation and period; keep one"
        ]
        assert snapshot(wh) == before
        (inbox / "inrapportering_NAMN_A_2026-T2 (kopia).xlsx").unlink()
        r = load_dir(wh, inbox)
        assert r.ok, [str(x) for x in r.rejects]
        assert [(m.org_id, m.period) for m in r.workbooks] == [("NAMN_A", PERIOD), ("NAMN_B", PERIOD)]
        assert figures.indicators(wh, "NAMN_B", PERIOD).set_index("indicator_id").loc["I_T", "value"] == 79.5


def test_template_for_a_kind_or_all(logins: Logins, backend: str, tmp_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("the command is exercised on the embedded backend")
    env = logins.env("reader")
    p = ils("template", "--period", PERIOD, "--kind", "bolag", "--out", str(tmp_path / "bolag"), env=env)
    assert p.returncode == 0, p.stderr
    assert sorted(f.name for f in (tmp_path / "bolag").iterdir()) == [
        "inrapportering_BOL_C_2026-T2.xlsx",
        "inrapportering_BOL_D_2026-T2.xlsx",
    ]
    p = ils("template", "--period", PERIOD, "--all", "--out", str(tmp_path / "alla"), env=env)
    assert p.returncode == 0 and p.stdout.strip().endswith(f"4 workbooks in {tmp_path / 'alla'}")
    p = ils("template", "--period", PERIOD, "--org", "NAMN_X", env=env)
    assert p.returncode == 2 and p.stderr.startswith("ils: error: unknown organisation 'NAMN_X'")
    p = ils("template", "--period", "2026-T7", "--org", "NAMN_A", env=env)
    assert p.returncode == 2 and "malformed period '2026-T7'" in p.stderr
    p = ils("template", "--period", PERIOD, "--org", "NAMN_A", "--out", str(tmp_path / "x.ods"), env=env)
    assert p.returncode == 2 and "a reporting workbook is written as .xlsx" in p.stderr
    p = ils("template", "--period", PERIOD, "--org", "NAMN_A", "--out", str(tmp_path / "a.xlsx"), env=env)
    assert p.returncode == 0 and (tmp_path / "a.xlsx").is_file()


# -- LibreOffice ------------------------------------------------------------------------------------


def soffice() -> str:
    from conftest import unavailable

    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        unavailable("LibreOffice is missing (scripts/install-system.sh installs libreoffice-calc-nogui)")
    return exe  # type: ignore[return-value]


def convert(path: Path, to: str, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [soffice(), "--headless", "--norestore", "--convert-to", to, "--outdir", str(out), str(path)],
        capture_output=True,
        text=True,
        timeout=180,
        env={"PATH": "/usr/bin:/bin", "HOME": str(out)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = [p for p in out.iterdir() if p.suffix == "." + to.split(":")[0]]
    assert len(found) == 1, (proc.stdout, proc.stderr, list(out.iterdir()))
    return found[0]


@pytest.mark.slow
def test_libreoffice_opens_it_and_a_workbook_it_saved_loads(logins: Logins, backend: str, tmp_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("a property of the file, not of the backend")
    path = fill_as_reporter(template(logins, tmp_path))
    pdf = convert(path, "pdf", tmp_path / "pdf")  # opens and prints without a repair
    assert pdf.stat().st_size > 5_000
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Inrapportering: Tertialrapport 2 2026" in text and "Äldrenämnden (NAMN_A)" in text
    assert "Sista dag: tisdag 15 september 2026." in text
    # saved by LibreOffice (as a reporter using it would): still a workbook that loads
    resaved = convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    target = tmp_path / "lo-in" / path.name
    target.parent.mkdir()
    shutil.move(resaved, target)
    with logins.as_("reporter") as wh:
        result = load_workbook(wh, target, period=PERIOD)
        assert result.ok, [str(r) for r in result.rejects]
        ind = figures.indicators(wh, "NAMN_A", PERIOD).set_index("indicator_id")
        assert ind.loc["I_T", "value"] == 86.5 and ind.loc["I_T", "comment"] == HOSTILE_COMMENT
        assert figures.text_of(wh, "NAMN_A", PERIOD, "vd_kommentar") == VD_TEXT
        # saved as OpenDocument: refused with the reason
        ods = convert(path, "ods", tmp_path / "ods")
        result = load_workbook(wh, ods)
        assert [r.reason for r in result.rejects] == [
            "saved as an OpenDocument spreadsheet (.ods): a reporting workbook is loaded as an Excel workbook "
            "(.xlsx); open it and save it as 'Excel Workbook (.xlsx)' with the name inrapportering_NAMN_A_2026-T2.xlsx"
        ]


# -- the report shows what the workbook brought --------------------------------------------------------


@pytest.mark.slow
def test_the_report_shows_what_a_workbook_brought(demo_url: str, tmp_path: Path, monkeypatch) -> None:
    """On a copy of the demo: a reporter's workbook loaded through the command, then ALN's report run."""
    import sqlite3

    from report_support import Reports, assert_inert, done

    src = demo_url[len("sqlite:///") :]
    copy = tmp_path / "demo.sqlite"
    with sqlite3.connect(src) as a, sqlite3.connect(copy) as b:
        a.backup(b)
    url = f"sqlite:///{copy}"
    users = tmp_path / "users"
    users.mkdir()
    (users / "users.csv").write_text(
        "user_id;name;email;role;org_id;valid_to\nadam;Adam;;admin;;\nSTAD\\anna;Anna;;reporter;ALN;\n",
        encoding="utf-8",
    )
    p = ils("load", str(users), "--warehouse", url)
    assert p.returncode == 0, p.stderr
    lg = Logins(url, "sqlite", monkeypatch)
    env = lg.env("reporter")
    path = tmp_path / "inrapportering_ALN_2026-T2.xlsx"
    p = ils("template", "--period", "2026-T2", "--org", "ALN", "--out", str(path), env=env)
    assert p.returncode == 0, p.stderr
    wb = openpyxl.load_workbook(path)
    put(wb["outcomes"], {"Indikator-id (indicator_id)": "FAKT"}, "Utfall (value)", "97,5", text=True)
    put(wb["outcomes"], {"Indikator-id (indicator_id)": "FAKT"}, "Kommentar (comment)", HOSTILE_COMMENT, text=True)
    put(wb["comments"], {"Slag (kind)": "vd_kommentar"}, "Text (text)", VD_TEXT, text=True)
    wb.save(path)
    p = ils("load", str(path), "--period", "2026-T2", env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    report = done(Reports(url, tmp_path / "reports").org("ALN", "2026-T2"))
    doc = report.figures()
    fakt = next(i for i in doc["indicators"] if i["indicator_id"] == "FAKT")
    assert fakt["value"] == 97.5
    soup = report.soup()
    page = " ".join(soup.get_text(" ").split())
    assert " ".join('Andra stycket: <b>inte fetstil</b> & "citat"'.split()) in page  # as text, not markup
    assert soup.find("b", string="inte fetstil") is None
    assert_inert(soup)


def test_what_excel_would_complain_about_is_within_its_limits(logins: Logins, tmp_path: Path) -> None:
    """Excel repairs (with a warning) a workbook whose validations or sheet names break its limits."""
    path = template(logins, tmp_path)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        assert len(ws.title) <= 31 and not set(ws.title) & set("[]:*?/\\"), ws.title
        for dv in ws.data_validations.dataValidation:
            assert len(dv.formula1 or "") <= 255
            assert len(dv.promptTitle or "") <= 32 and len(dv.errorTitle or "") <= 32
            assert len(dv.prompt or "") <= 255 and len(dv.error or "") <= 225
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        from xml.dom import minidom

        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                minidom.parseString(z.read(name))  # every part is well-formed XML


def test_a_single_contract_file_is_not_a_workbook(logins: Logins, tmp_path: Path) -> None:
    f = tmp_path / "outcomes.csv"
    f.write_text("org_id;indicator_id;period;value\nNAMN_A;I_T;2026-T2;1\n", encoding="utf-8")
    with logins.as_("admin") as wh:
        from ilslib.errors import LoadError

        with pytest.raises(LoadError, match="ils load takes a directory of contract files or one reporting workbook"):
            load_workbook(wh, f)


def test_sheets_left_empty_load_and_an_empty_workbook_says_so(logins: Logins, tmp_path: Path) -> None:
    path = template(logins, tmp_path)
    with logins.as_("reporter") as wh:
        before = snapshot(wh)
        result = load_workbook(wh, path)  # as sent out: nothing filled in
        assert [str(r) for r in result.rejects] == [
            "inrapportering_NAMN_A_2026-T2.xlsx: nothing is filled in: every cell to fill in of the workbook of "
            "NAMN_A for 2026-T2 is empty, so there is nothing to load"
        ]
        assert snapshot(wh) == before
    wb = openpyxl.load_workbook(path)  # only the VD-kommentar: the other sheets stay empty
    put(wb["comments"], {"Slag (kind)": "vd_kommentar"}, "Text (text)", VD_TEXT, text=True)
    wb.save(path)
    with logins.as_("reporter") as wh:
        result = load_workbook(wh, path)
        assert result.ok, [str(r) for r in result.rejects]
        assert {f.name.split(", sheet ")[1]: f.rows_read for f in result.files} == {
            "outcomes": 0,
            "assessments": 0,
            "activity_status": 0,
            "comments": 1,
        }
        assert state(wh, "NAMN_A", PERIOD) == "pagaende"
