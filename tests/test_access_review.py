"""Internal control's review (``ils access review``): the rights the database holds, and the findings.

On a real PostgreSQL with the login roles of ``ils access apply``: a clean setup
gives no finding; each planted anomaly is found with what to do (a grant made by
hand with SQL, a membership made by hand, a login outside users, an expired
user, an organisation without a reporter, one person as reporter and controller
of the same organisation, and the same person marking ready and approving);
``ils access apply`` clears what it can. On the embedded warehouse the review
runs on users and events and checks the file's permissions. The page passes
axe-core in Chromium; the CSV is inert in Excel; the Markdown escapes the data.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import pytest
from access_support import PERIOD, PgAccess

from ilslib import connect
from ilslib.access.review import review


@pytest.fixture
def acc(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PgAccess:
    from conftest import _pg_database_url

    from ilslib.schema import init_schema

    url = _pg_database_url(request, monkeypatch)
    with connect(url, check_schema=False) as wh:
        init_schema(wh)
    a = PgAccess(request.getfixturevalue("pg_cluster"), url, tmp_path)
    try:
        a.setup()
        yield a
    finally:
        a.close()


def codes(r) -> list[tuple[str, str]]:
    return sorted((f.code, f.subject) for f in r.findings)


def find(r, code: str):
    found = [f for f in r.findings if f.code == code]
    assert len(found) == 1, [(f.code, f.subject) for f in r.findings]
    return found[0]


@pytest.mark.postgres
def test_clean_setup_then_every_planted_anomaly(acc: PgAccess) -> None:
    assert acc.apply().returncode == 0
    acc.set_passwords()
    # The first review lists what changed (the users loaded, the apply); it is recorded, so the next is clean.
    p = acc.ils("access", "review")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Behörigheter ändrade sedan förra granskningen (1)" in p.stdout
    assert "ils access apply: nya roller:" in p.stdout and "users lästes in (users.csv)" in p.stdout
    p = acc.ils("access", "review")
    assert p.returncode == 0, p.stdout
    assert "✔ Inga anmärkningar" in p.stdout
    assert f"grupproller: {acc.prefix}reporter; läsa: alla tabeller och vyer; lägga till, ändra, ta bort: " in p.stdout
    with connect(acc.url) as wh:
        r = review(wh, record=False)
        assert r.findings == []
        anna = next(x for x in r.people if x.user_id == acc.login("anna"))
        assert anna.roles_text() == ["rapporteringsansvarig för NAMN_A (tills vidare)"]
        assert anna.database.startswith(f"grupproller: {acc.prefix}reporter; läsa: alla tabeller och vyer; ")
        assert "ils_outcome" in anna.database and "ils_ledger" not in anna.database

    # Plant: a grant made by hand, a membership made by hand, a tool login outside users.
    acc.pg.psql(f'GRANT INSERT, UPDATE ON ils_ledger TO "{acc.login("anna")}"', database=acc.database)
    acc.pg.psql(f'GRANT "{acc.prefix}admin" TO "{acc.login("bo")}"', database=acc.database)
    acc.pg.psql(
        f'CREATE ROLE "{acc.tag}_tool" LOGIN; GRANT SELECT ON ils_user TO "{acc.tag}_tool"', database=acc.database
    )
    # ... an expired user (and so NAMN_B without a reporter), one person as reporter and controller of NAMN_A.
    acc.load_users(acc.users_csv(expired=("eva",), extra=["{tag}_carl;Carl Ceder;;reporter;NAMN_A;"]))
    with acc.as_("carl") as wh:  # ... and who marks ready and approves it himself
        from ilslib.round.state import approve, mark_ready

        mark_ready(wh, "NAMN_A", PERIOD)
        approve(wh, "NAMN_A", PERIOD)

    with connect(acc.url) as wh:
        r = review(wh)
    assert codes(r) == sorted(
        [
            ("extra_rights", f"Anna Åberg ({acc.login('anna')})"),
            ("extra_rights", f"Bo Berg ({acc.login('bo')})"),
            ("not_in_users", f"{acc.tag}_tool"),
            ("expired_with_rights", f"Eva Ek ({acc.login('eva')})"),
            ("no_reporter", 'Östra <stadsdelsnämnden> & "Co" (NAMN_B, nämnd)'),
            ("segregation", f"Carl Ceder ({acc.login('carl')})"),
            ("segregation_in_fact", f"NAMN_A {PERIOD}"),
            ("changed", "1 ändring"),
        ]
    )
    anna = next(f for f in r.findings if f.code == "extra_rights" and "Anna" in f.subject)
    assert (
        "INSERT/UPDATE på ils_ledger" in anna.text
        and "som users inte ger. Users ger: rapporteringsansvarig för NAMN_A (tills vidare)." in anna.text
    )
    assert f'REVOKE INSERT, UPDATE ON "public".ils_ledger FROM "{acc.login("anna")}";' in anna.action
    bo = next(f for f in r.findings if f.code == "extra_rights" and "Bo" in f.subject)
    assert (
        "ils_ledger" in bo.text
        and f"kör ils access apply (tar bort medlemskap i {acc.prefix}admin" in bo.action.lower()
    )
    assert "SELECT på ils_user" in find(r, "not_in_users").text
    eva = find(r, "expired_with_rights")
    assert "gick ut" in eva.text and "ils_outcome" in eva.text and "ils access apply" in eva.action
    assert "carl" in find(r, "segregation_in_fact").text and "både rapporteringsansvarig och controller för NAMN_A" in (
        find(r, "segregation").text
    )
    assert "users lästes in" in r.changes[0].what

    # The command exits 1 and writes every format; apply clears the grant, the membership and the expired user.
    p = acc.ils("access", "review", "--out", str(acc.tmp / "g.html"))
    assert p.returncode == 1 and p.stdout.strip().endswith("g.html: 7 findings"), p.stdout  # 'changed' was seen
    assert acc.apply().returncode == 0
    with connect(acc.url) as wh:
        r = review(wh)
    assert codes(r) == sorted(
        [
            ("not_in_users", f"{acc.tag}_tool"),  # not a person of users: apply leaves it to the DBA
            ("no_reporter", 'Östra <stadsdelsnämnden> & "Co" (NAMN_B, nämnd)'),
            ("segregation", f"Carl Ceder ({acc.login('carl')})"),
            ("segregation_in_fact", f"NAMN_A {PERIOD}"),
            ("changed", "1 ändring"),
        ]
    )
    what = r.changes[0].what
    assert what.startswith(f"ils access apply: tillagda: {acc.login('carl')} i {acc.prefix}reporter; borttagna: ")
    assert f"{acc.login('bo')} ur {acc.prefix}admin" in what and f"{acc.login('eva')} ur {acc.prefix}reporter" in what
    assert what.endswith(f"återkallat: INSERT, UPDATE på ils_ledger från {acc.login('anna')}")


@pytest.mark.postgres
def test_missing_rights_and_changed_security_are_found(acc: PgAccess) -> None:
    assert acc.apply().returncode == 0
    with connect(acc.url) as wh:
        review(wh)  # recorded: the changes so far are seen
    acc.pg.psql(f'REVOKE "{acc.prefix}reader" FROM "{acc.login("rita")}"', database=acc.database)
    acc.pg.psql("ALTER TABLE ils_comment DISABLE ROW LEVEL SECURITY", database=acc.database)
    acc.pg.psql(
        f'CREATE POLICY sneaky ON ils_outcome FOR ALL TO "{acc.prefix}reporter" USING (true) WITH CHECK (true)',
        database=acc.database,
    )
    acc.pg.psql("GRANT SELECT ON ils_ledger TO PUBLIC", database=acc.database)
    with connect(acc.url) as wh:
        r = review(wh, record=False)
    got = {f.code for f in r.findings}
    assert got == {"missing_rights", "security", "public_rights"}, codes(r)
    assert find(r, "missing_rights").text == (
        "users ger läsare (tills vidare), men databasen saknar: SELECT på 30 av 35 tabeller och vyer (bland dem "
        "ils_activity, ils_activity_status, ils_assessment); SELECT/INSERT på ils_event, ils_load, ils_load_file; "
        "SELECT/UPDATE på ils_meta."
    )  # SELECT on ils_ledger: PUBLIC has it
    sec = find(r, "security").text
    assert "radsäkerheten är avslagen för ils_comment" in sec and "okänd regel sneaky för ils_outcome" in sec
    assert "SELECT på ils_ledger" in find(r, "public_rights").text
    p = acc.apply()
    assert "unknown policy sneaky on ils_outcome dropped" in p.stdout and "revoked from PUBLIC" in p.stdout, p.stdout
    with connect(acc.url) as wh:
        review(wh)
        assert review(wh, record=False).findings == []


# -- the embedded warehouse ------------------------------------------------------------------------------

EMBEDDED_USERS = """user_id;name;email;role;org_id;valid_to
anna;Anna <b>Åberg</b>;;reporter;NAMN_A;
bo;"=HYPERLINK(""http://x.example"";""klick"")";;reporter;BOL_C;
dan;Dan | Dahl *fet*;;reporter;BOL_D;
eva;Eva Ek;;reporter;NAMN_B;2099-12-31
carl;Carl Ceder;;controller;NAMN_A;
carl;Carl Ceder;;controller;NAMN_B;
cia;Cia;;controller;BOL_C;
cia;Cia;;controller;BOL_D;
rita;Rita;;reader;;2020-01-31
"""


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from round_support import write_dataset

    from ilslib.load import load_dir
    from ilslib.schema import init_schema

    d = tmp_path / "lager"
    d.mkdir()
    os.chmod(d, 0o700)
    url = f"sqlite:///{d / 'w.sqlite'}"
    with connect(url, create=True, check_schema=False) as wh:
        init_schema(wh)
        ds = write_dataset(tmp_path / "ds", without=("users",))
        (ds / "users.csv").write_text(EMBEDDED_USERS, encoding="utf-8")
        assert load_dir(wh, ds).ok
    os.chmod(d / "w.sqlite", 0o600)
    monkeypatch.setenv("ILS_WAREHOUSE", url)
    return url


def test_embedded_review_users_events_and_the_file(embedded: str, ils, tmp_path: Path) -> None:
    code, out, err = ils("access", "review")
    assert code == 1 and "lagret skapades" in out  # the users load is the first change
    code, out, err = ils("access", "review")
    assert code == 0, out
    assert "Det inbäddade lagret är en enda fil med en enda användare" in out
    assert "Filens rättigheter är det enda skyddet" in out and "rättigheter -rw-------" in out
    code, out, err = ils("access", "apply")
    assert code == 0 and "its file permissions are the only protection" in out
    path = Path(embedded[len("sqlite:///") :])
    os.chmod(path, 0o666)
    with connect(embedded) as wh:
        r = review(wh, record=False)
    f = find(r, "file_permissions")
    assert f.subject == str(path) and "gruppen och alla andra" in f.text and f"chmod go-w {path}" in f.action
    os.chmod(path, 0o600)
    with connect(embedded) as wh:
        assert review(wh, record=False).findings == []
        rita = next(p for p in review(wh, record=False).people if p.user_id == "rita")
        assert not rita.active and rita.database is None  # no catalogue on the embedded warehouse


def test_review_outputs_escape_the_data(embedded: str, ils, tmp_path: Path) -> None:
    from bs4 import BeautifulSoup

    # a finding that names the data: BOL_D without a controller, and one with markup in its name
    with connect(embedded) as wh:
        wh.execute("DELETE FROM ils_user WHERE user_id = 'cia' AND org_id = 'BOL_D'")
    for name in ("r.html", "r.csv", "r.md", "r.txt"):
        code, out, err = ils("access", "review", "--no-record", "--out", tmp_path / name)
        assert code == 1 and out.strip().endswith(f"{name}: 2 findings"), out + err  # no controller; the users load
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    assert soup.html["lang"] == "sv" and soup.title.get_text() == "Granskning av behörigheter"
    assert "<b>Åberg</b>" not in page and "Anna &lt;b&gt;Åberg&lt;/b&gt;" in page
    assert soup.find_all("script") == []
    rows = soup.find("table").tbody.find_all("tr")
    assert [r.th.get_text() for r in rows] == [
        "Organisation utan aktiv controller",
        "Behörigheter ändrade sedan förra granskningen",
    ]
    assert "=1+2 Tomma bolaget AB (BOL_D, bolag)" in rows[0].get_text()

    raw = (tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:5] == ["Del", "Anmärkning", "Gäller", "Vad", "Åtgärd"]
    cells = [c for row in table for c in row]
    assert "'=1+2 Tomma bolaget AB (BOL_D, bolag)" in cells  # inert: shown as text by Excel, never evaluated
    assert '\'=HYPERLINK("http://x.example";"klick")' in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)

    md = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "Dan \\| Dahl \\*fet\\*" in md and "Anna \\<b\\>Åberg\\</b\\>" in md
    assert "| Dan | Dahl" not in md
    assert "Organisation utan aktiv controller" in (tmp_path / "r.txt").read_text(encoding="utf-8")
    code, out, err = ils("access", "review", "--out", tmp_path / "r.pdf")
    assert code == 2 and "expected a file ending in .html, .csv, .md or .txt" in err
    code, out, err = ils("access", "review", "--since", "igår")
    assert code == 2 and "--since 'igår': expected a date YYYY-MM-DD" in err

    from report_support import Browser, describe_violations

    browser = Browser()
    try:
        violations = browser.axe(tmp_path / "r.html")
    finally:
        browser.close()
    assert violations == [], describe_violations(violations)


def test_file_mode_is_read(tmp_path: Path) -> None:
    from ilslib.access.apply import file_mode

    p = tmp_path / "f"
    p.write_text("x")
    os.chmod(p, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP)
    assert file_mode(p) == "-rw-r-----"


@pytest.mark.postgres
def test_a_policy_or_function_altered_in_place_is_found_and_redone(acc: PgAccess) -> None:
    """ALTER POLICY and CREATE OR REPLACE FUNCTION keep the comment apply left: the expressions and the
    body the server holds are compared, so the review finds them, apply redoes them, and the server
    refuses the cross-organisation write again."""
    from test_access_pg import refused

    assert acc.apply().returncode == 0
    acc.set_passwords()
    acc.ils("access", "review")  # records the apply: the next review is clean
    with connect(acc.url) as wh:
        assert review(wh, record=False).findings == []
    acc.pg.psql("ALTER POLICY ils_report ON ils_outcome USING (true) WITH CHECK (true)", database=acc.database)
    acc.pg.psql(
        "CREATE OR REPLACE FUNCTION ils_access_is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER "
        "SET search_path = pg_catalog, pg_temp AS $x$ SELECT true $x$",
        database=acc.database,
    )
    insert = "INSERT INTO ils_outcome (org_id, indicator_id, period, value, gender) VALUES (?, ?, ?, ?, ?)"
    row = ("BOL_C", "I_L", "2026-BO", 1.0, "T")
    conn = acc.raw("anna")
    try:  # the tampering works: the server now lets Anna write another organisation's rows
        conn.cursor().execute(insert, row)
        conn.cursor().execute("DELETE FROM ils_outcome WHERE org_id = 'BOL_C' AND period = '2026-BO'")
    finally:
        conn.close()
    with connect(acc.url) as wh:
        r = review(wh, record=False)
    security = find(r, "security")
    assert "regeln ils_report för ils_outcome är ändrad" in security.text
    assert "funktionen ils_access_is_admin saknas eller är ändrad" in security.text
    dry = acc.apply("--dry-run")
    assert dry.returncode == 0 and "CREATE POLICY" in dry.stdout and "ils_access_is_admin" in dry.stdout
    assert acc.apply().returncode == 0
    with connect(acc.url) as wh:
        assert not [f for f in review(wh, record=False).findings if f.code == "security"]
    conn = acc.raw("anna")
    try:
        assert "row-level security" in refused(conn, insert, row)
    finally:
        conn.close()
    again = acc.apply("--dry-run")
    assert again.returncode == 0 and "CREATE POLICY" not in again.stdout, again.stdout  # intact now: nothing to redo


def test_the_people_table_says_a_shared_validity_once() -> None:
    """The roles column repeats no date the "Giltig till" column already shows; different dates stay per role."""
    from ilslib.access.render import to_csv, to_markdown
    from ilslib.access.review import Person, Review
    from ilslib.rights import Grant

    def grant(role: str, org: str | None, valid_to: str | None) -> Grant:
        return Grant("STAD\\anna", "Anna Åberg", None, role, org, valid_to)

    same = Person("STAD\\anna", "Anna Åberg", [grant("reporter", "ALN", "2026-12-31"),
                                               grant("reporter", "IDN", "2026-12-31")], active=True)  # fmt: skip
    mixed = Person("STAD\\bo", "Bo Berg", [grant("reporter", "ALN", None), grant("controller", "IDN", "2026-06-30")],
                   active=True)  # fmt: skip
    assert same.roles_text() == ["rapporteringsansvarig för ALN, IDN (till 2026-12-31)"]  # findings keep the date
    assert same.roles_text(validity=False) == ["rapporteringsansvarig för ALN, IDN"]
    assert (
        mixed.roles_text(validity=False)
        == mixed.roles_text()
        == [
            "rapporteringsansvarig för ALN (tills vidare)",
            "controller för IDN (till 2026-06-30)",
        ]
    )
    r = Review(warehouse="sqlite:///x", dialect="sqlite", today="2026-11-27", generated="2026-11-27T08:00:00+00:00",
               people=[same], catalogue=[], findings=[], changes=[], since=None)  # fmt: skip
    row = next(line for line in to_markdown(r).splitlines() if "Anna" in line)
    assert row.count("2026\\-12\\-31") == 1, row
    text = to_csv(r).decode("utf-8-sig")
    assert text.count("2026-12-31") == 1, text
