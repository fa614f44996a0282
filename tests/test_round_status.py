"""``ils status`` and the status page: every organisation's state, completeness, missing items and lateness.

Checked item by item on the hand-made round (``tests/round_support.py``), on the three
backends; the command and the page (axe-core in Chromium) on the embedded warehouse.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from round_support import HOSTILE_TITLE, PEOPLE, PERIOD, Logins, database_of, ils, load_dataset, pg_roles

from ilslib.load import load_dir
from ilslib.round import status as st
from ilslib.round.deadlines import days_late
from ilslib.round.state import approve, mark_ready


@pytest.fixture
def logins(wh_url: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request) -> Logins:
    """The round, with NAMN_B marked ready by its controller and one NAMN_A outcome loaded by its reporter."""
    load_dataset(wh_url, tmp_path)
    if backend == "postgresql":
        pg_roles(request.getfixturevalue("pg_cluster"), database_of(wh_url))
    lg = Logins(wh_url, backend, monkeypatch)
    with lg.as_("controller") as wh:
        mark_ready(wh, "NAMN_B", PERIOD)
    d = tmp_path / "a"
    d.mkdir()
    (d / "outcomes.csv").write_text(
        f"org_id;indicator_id;period;value;gender;comment\nNAMN_A;I_T;{PERIOD};88;T;\n", encoding="utf-8"
    )
    with lg.as_("reporter") as wh:
        assert load_dir(wh, d).ok
    return lg


NAMN_A_MISSING = [
    "Utfall: Sjukfrånvaro",
    "Utfall: Antal olyckor",
    "Status för aktivitet: Fler aktiviteter för äldre",
    f"Status för aktivitet: {HOSTILE_TITLE}",
    "Förvaltningschefens kommentar",  # a board's vd_kommentar: the heading its report gives it
]


NO_EMAIL = "Rapporteringsansvarig saknar e-postadress i users: ingen kan påminnas"
NO_REPORTER = "Ingen rapporteringsansvarig finns i users: ingen kan påminnas"


def expected(today: dt.date) -> list[dict]:
    """The status of 2026-T2 on ``today``, by hand (changed_at left out)."""
    late_c = max(0, (today - dt.date(2026, 9, 8)).days)
    late_a = max(0, (today - dt.date(2026, 9, 15)).days)
    return [
        {
            "org_id": "BOL_C",
            "name": "Bostäder AB",
            "kind": "bolag",
            "state": "ej_paborjad",
            "completeness": 0.0,
            "present": 0,
            "expected": 3,
            "missing": ["Utfall: Antal olyckor", "Status för aktivitet: Trygghetsvandringar", "VD-kommentar"],
            "deadline": "2026-09-08",  # the bolag row, before the row for every kind
            "days_late": late_c,
            "changed_by": None,
            "reporters": [{"user_id": "bo.berg", "name": "Bo Berg", "email": None}],
            "contact_problem": NO_EMAIL,  # ils remind cannot reach its only reporter
        },
        {
            "org_id": "BOL_D",
            "name": "=1+2 Tomma bolaget AB",
            "kind": "bolag",
            "state": "ej_paborjad",
            "completeness": 0.0,
            "present": 0,
            "expected": 1,  # nothing but the VD-kommentar is owed
            "missing": ["VD-kommentar"],
            "deadline": "2026-09-08",
            "days_late": late_c,
            "changed_by": None,
            "reporters": [],
            "contact_problem": NO_REPORTER,
        },
        {
            "org_id": "NAMN_A",
            "name": "Äldrenämnden",
            "kind": "namnd",
            "state": "pagaende",
            "completeness": 1 / 6,
            "present": 1,
            "expected": 6,
            "missing": NAMN_A_MISSING,
            "deadline": "2026-09-15",
            "days_late": late_a,
            "changed_by": PEOPLE["reporter"],
            "reporters": [{"user_id": PEOPLE["reporter"], "name": "Anna Andersson", "email": "anna@stad.se"}],
            "contact_problem": None,
        },
        {
            "org_id": "NAMN_B",
            "name": 'Östra <stadsdelsnämnden> & "Co"',
            "kind": "namnd",
            "state": "klar",
            "completeness": 1.0,
            "present": 2,
            "expected": 2,
            "missing": [],
            "deadline": "2026-09-15",
            "days_late": 0,  # marked ready: never late
            "changed_by": PEOPLE["controller"],
            "reporters": [],  # its reporter's valid_to has passed
            "contact_problem": NO_REPORTER,
        },
    ]


def _records(status: st.RoundStatus) -> list[dict]:
    """The JSON records without ``changed_at`` (a time: checked for its form only)."""
    out = []
    for r in status.rows:
        rec = r.record()
        at = rec.pop("changed_at")
        assert (at is None) == (rec["changed_by"] is None)
        assert at is None or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", at), at
        out.append(rec)
    return out


@pytest.mark.parametrize(
    ("today", "late"),
    [(dt.date(2026, 9, 1), 0), (dt.date(2026, 9, 12), 2), (dt.date(2026, 9, 20), 3)],
    ids=["before", "between", "after"],
)
def test_status_item_by_item(logins: Logins, today: dt.date, late: int) -> None:
    with logins.as_("reader") as wh:
        status = st.round_status(wh, PERIOD, today=today)
    assert _records(status) == expected(today)
    # ordered late first, then the least complete
    assert [r.org_id for r in status.rows] == ["BOL_C", "BOL_D", "NAMN_A", "NAMN_B"]
    assert [r.days_late for r in status.rows] == [r["days_late"] for r in expected(today)]
    assert len(status.late) == late


def test_the_late_come_first_and_an_approval_is_never_late(logins: Logins) -> None:
    # on 2026-09-12 only the bolag are late; once NAMN_A is late too it comes before the complete NAMN_B
    with logins.as_("controller") as wh:
        approve(wh, "NAMN_B", PERIOD)
        rows = st.round_status(wh, PERIOD, today=dt.date(2026, 9, 16)).rows
    assert [(r.org_id, r.state, r.days_late) for r in rows] == [
        ("BOL_C", "ej_paborjad", 8),
        ("BOL_D", "ej_paborjad", 8),
        ("NAMN_A", "pagaende", 1),
        ("NAMN_B", "godkand", 0),
    ]


def test_kind_and_periods_without_a_deadline(logins: Logins) -> None:
    with logins.as_("reader") as wh:
        enh = st.round_status(wh, PERIOD, kind="enhet", today=dt.date(2026, 12, 1))
        t1 = st.round_status(wh, "2026-T1", kind="namnd", today=dt.date(2026, 12, 1))
    assert [(r.org_id, r.missing, r.deadline, r.days_late) for r in enh.rows] == [
        ("ENH", ("Enhetschefens kommentar",), dt.date(2026, 9, 15), 77)  # the row for every kind; 15 + 31 + 30 + 1 days
    ]
    assert {r.org_id: (r.state, r.deadline, r.days_late) for r in t1.rows} == {
        "NAMN_A": ("pagaende", None, None),  # no deadline: never late, days_late null
        "NAMN_B": ("ej_paborjad", None, None),
    }


def test_days_late_is_defined_at_the_edges() -> None:
    d = dt.date(2026, 9, 15)
    assert [days_late(d, "pagaende", today=d + dt.timedelta(days=n)) for n in (-1, 0, 1, 30)] == [0, 0, 1, 30]
    assert [days_late(d, s, today=d + dt.timedelta(days=3)) for s in ("ej_paborjad", "klar", "godkand")] == [3, 0, 0]
    assert days_late(None, "ej_paborjad", today=d) is None


# -- the outputs -----------------------------------------------------------------------------------


def test_the_command_json_csv_and_text(logins: Logins, backend: str, tmp_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("the command is exercised on the embedded backend")
    env = logins.env("reader")
    p = ils("status", "--period", PERIOD, "--format", "json", env=env)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert [r["org_id"] for r in doc] == ["BOL_C", "BOL_D", "NAMN_A", "NAMN_B"]
    assert all(set(r) >= {"org_id", "state", "completeness", "missing", "deadline", "days_late"} for r in doc)
    assert doc[2]["missing"] == NAMN_A_MISSING and doc[2]["completeness"] == pytest.approx(1 / 6)

    p = ils("status", "--period", PERIOD, "--format", "csv", "--out", str(tmp_path / "s.csv"), env=env)
    assert p.returncode == 0 and p.stdout.strip() == f"4 organisations written to {tmp_path / 's.csv'}"
    raw = (tmp_path / "s.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["organisation", "namn", "typ", "läge", "fullständighet (%)"]
    by = {r[0]: r for r in rows[1:]}
    assert by["BOL_D"][1] == "'=1+2 Tomma bolaget AB"  # inert in Excel
    assert by["NAMN_A"][3:8] == ["Pågående", "16,7", "1", "6", "; ".join(NAMN_A_MISSING)]
    assert by["NAMN_B"][3:5] == ["Klarmarkerad", "100,0"]

    p = ils("status", "--period", PERIOD, env=env)
    lines = p.stdout.splitlines()
    assert lines[0].startswith("Inrapportering Tertialrapport 2 2026 (2026-T2), läget ")
    assert "4 organisationer (ej påbörjad 2, pågående 1, klarmarkerad 1, godkänd 0)" in lines[0]
    row = next(x for x in lines if x.lstrip().startswith("NAMN_A"))
    assert "◐ Pågående" in row and "17 % (1/6)" in row and "2026-09-15" in row and row.endswith("Äldrenämnden")
    assert "      saknas: Utfall: Sjukfrånvaro" in lines
    assert "      ... och 1 till (alla med --format json eller csv)" not in lines  # five are shown

    p = ils("status", "--period", "2026-T5", env=env)
    assert p.returncode == 2 and p.stderr.startswith("ils: error: malformed period '2026-T5'")
    p = ils("status", "--period", PERIOD, "--kind", "skola", env=env)
    assert p.returncode == 2 and "unknown organisation kind 'skola'" in p.stderr


def test_the_status_page(logins: Logins, backend: str, tmp_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("the page is exercised on the embedded backend")
    from bs4 import BeautifulSoup
    from report_support import Browser, describe_violations, text

    out = tmp_path / "outputs"
    p = ils("status", "--period", PERIOD, "--html", "--out", str(out), env=logins.env("reader"))
    assert p.returncode == 0, p.stderr
    page = out / PERIOD / "status.html"
    assert p.stdout.strip() == str(page)
    assert [f.name for f in (out / PERIOD).iterdir()] == ["status.html"]  # written atomically: no temporary left
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    assert soup.html["lang"] == "sv" and text(soup.title) == "Inrapportering – Tertialrapport 2 2026"
    assert "Sista dag: 8 september 2026 (bolagen), 15 september 2026 (övriga)." in text(soup)
    table = soup.find("table")
    assert text(table.caption) == "Organisationernas inrapportering, sena och minst fullständiga först"
    assert [th.get("scope") for th in table.thead.find_all("th")] == ["col"] * 7
    body = table.tbody.find_all("tr")
    assert [text(tr.th) for tr in body] == [
        f"Bostäder AB BOL_C ⚠ {NO_EMAIL}",  # the status shows whom a reminder cannot reach
        f"=1+2 Tomma bolaget AB BOL_D ⚠ {NO_REPORTER}",
        "Äldrenämnden NAMN_A",
        f'Östra <stadsdelsnämnden> & "Co" NAMN_B ⚠ {NO_REPORTER}',  # shown as text, never markup
    ]
    states = [text(tr.find(class_="round-state")) for tr in body]
    assert states == ["○ Ej påbörjad", "○ Ej påbörjad", "◐ Pågående", "● Klarmarkerad"]  # symbol and word
    assert [li.get_text() for li in body[2].find("ul", class_="missing").find_all("li")] == NAMN_A_MISSING
    assert soup.find_all("script") == [] and "stadsdelsnämnden>" not in str(soup.find("tbody")).replace("&gt;", "")
    browser = Browser()
    try:
        violations = browser.axe(page)
    finally:
        browser.close()
    assert violations == [], describe_violations(violations)


def test_write_status_page_for_the_runner(logins: Logins, tmp_path: Path) -> None:
    with logins.as_("reader") as wh:
        path = st.write_status_page(wh, tmp_path / "out", PERIOD, today=dt.date(2026, 9, 20))
    assert path == tmp_path / "out" / PERIOD / "status.html"
    html = path.read_text(encoding="utf-8")
    assert html.count('<span class="late">12 dagar</span>') == 2 and '<span class="late">5 dagar</span>' in html
