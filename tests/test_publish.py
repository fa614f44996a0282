"""``ils publish``: the external portal holds the approved reports and nothing else.

On the hand-made round (``round_support``: NAMN_A, NAMN_B, BOL_C, BOL_D): real
reports made by ``ils run`` (organisation reports, the short version, the group
report of the companies, a study and a failing notebook), approvals and an
undone approval through the library, and the published directory checked by
listing every file in it: drafts, studies, notebooks, state files, logs and
manifests never appear; approved reports do once they are made after their
approval; an undone approval removes one; the public index passes axe-core in
headless Chromium and filters by period, kind, type and name.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from round_support import PERIOD, write_dataset

from ilslib import connect
from ilslib.round.state import approve, mark_ready, state

REPO = Path(__file__).resolve().parents[1]
STUDY = REPO / "tests" / "notebooks" / "study.py"
RAISES = REPO / "tests" / "notebooks" / "raises.ipynb"

pytestmark = pytest.mark.slow


def files_in(root: Path) -> list[str]:
    """Every file and link under ``root``, hidden ones included, as relative paths."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir())


class Round:
    """A warehouse with the hand-made round, an output directory of reports and a published directory."""

    def __init__(self, base: Path):
        self.base = base
        self.url = f"sqlite:///{base / 'w.sqlite'}"
        self.out = base / "outputs"
        self.pub = base / "publicerat"
        from ilslib.load import load_dir
        from ilslib.schema import init_schema

        with connect(self.url, create=True, check_schema=False) as wh:
            init_schema(wh)  # no users: the owner of the file (this process) acts as admin
            assert load_dir(wh, write_dataset(base / "ds", without=("users",))).ok

    def env(self) -> dict[str, str]:
        return dict(os.environ, ILS_WAREHOUSE=self.url)

    def ils(self, *args: object, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ilslib", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
            cwd=self.base,
        )

    def run(self, *args: object) -> None:
        p = self.ils("run", "--period", PERIOD, "--out", self.out, *args)
        assert p.returncode == 0, p.stdout + p.stderr

    def run_all(self) -> None:
        self.run("--org", "BOL_C", "--org", "BOL_D", "--org", "NAMN_A", "--format", "html,pdf")
        self.run("--notebook", "group_report", "--kind", "bolag", "--format", "html,pdf")
        self.run("--notebook", "report_kort", "--org", "BOL_C", "--org", "BOL_D", "--format", "html,pdf")

    def publish(self, *args: object) -> subprocess.CompletedProcess[str]:
        return self.ils("publish", "--period", PERIOD, "--reports", self.out, "--out", self.pub, *args)

    def act(self, fn, org: str, **kw) -> None:
        with connect(self.url) as wh:
            fn(wh, org, PERIOD, **kw)


@pytest.fixture(scope="module")
def rnd(tmp_path_factory: pytest.TempPathFactory) -> Round:
    """The round after its first reports: BOL_C approved before its report was made, BOL_D ready (a draft)."""
    r = Round(tmp_path_factory.mktemp("publish"))
    r.act(mark_ready, "BOL_C")
    r.act(approve, "BOL_C")
    r.act(mark_ready, "BOL_D")
    r.run_all()
    r.run("--notebook", STUDY, "--org", "BOL_C")  # a study of an approved organisation: never published
    p = r.ils("run", "--period", PERIOD, "--out", r.out, "--notebook", RAISES, "--org", "BOL_C", "-p", "fail_for=BOL_C")
    assert p.returncode == 1  # a failed notebook: its executed notebook stays in outputs
    return r


def test_only_approved_reports_are_published(rnd: Round) -> None:
    assert (rnd.out / "_studier" / "study" / PERIOD / "BOL_C" / "report.html").is_file()
    assert (rnd.out / PERIOD / "BOL_D" / "report.html").is_file()  # the draft exists in outputs
    assert any((rnd.out / "runs").iterdir()) and (rnd.out / PERIOD / "status.html").is_file()
    p = rnd.publish()
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.startswith(f"Published {PERIOD}: 1 organisation report, 0 group reports, 0 books (4 files)")
    assert "not approved (not published): BOL_D, NAMN_A, NAMN_B" in p.stdout
    assert "not published: the group report of bolag: 1 of 2 approved" in p.stdout
    assert files_in(rnd.pub) == [
        f"{PERIOD}/BOL_C/report-kort.html",  # the short version, from ils run --notebook report_kort
        f"{PERIOD}/BOL_C/report-kort.pdf",
        f"{PERIOD}/BOL_C/report.html",
        f"{PERIOD}/BOL_C/report.pdf",
        "index.html",
    ]
    listing = files_in(rnd.pub)
    assert not any(re.search(r"\.ipynb$|figures\.json$|\.ils-|runs/|_studier|manifest|\.log$|status\.html", f)
                   for f in listing)  # fmt: skip
    assert (rnd.pub / PERIOD / "BOL_C" / "report.html").read_bytes() == (
        rnd.out / PERIOD / "BOL_C" / "report.html"
    ).read_bytes()
    assert not [p.name for p in rnd.base.iterdir() if p.name.endswith(".part")]  # built aside, switched, cleaned


def test_with_data_adds_figures_and_the_workbook_goes_with_the_report(rnd: Round) -> None:
    (rnd.out / PERIOD / "BOL_C" / "report.xlsx").write_bytes(b"PK workbook")  # as a report set with tables has
    (rnd.out / PERIOD / "BOL_D" / "report.xlsx").write_bytes(b"PK draft")
    p = rnd.publish("--with-data")
    assert p.returncode == 0, p.stderr
    listing = files_in(rnd.pub)
    assert f"{PERIOD}/BOL_C/figures.json" in listing and f"{PERIOD}/BOL_C/report.xlsx" in listing
    assert all("ipynb" not in f and "BOL_D" not in f for f in listing)
    assert rnd.publish().returncode == 0
    assert f"{PERIOD}/BOL_C/figures.json" not in files_in(rnd.pub)
    for org in ("BOL_C", "BOL_D"):
        (rnd.out / PERIOD / org / "report.xlsx").unlink()


def test_a_new_approval_needs_a_new_report_then_is_added(rnd: Round) -> None:
    rnd.act(approve, "BOL_D")
    p = rnd.publish()
    assert p.returncode == 1, p.stdout + p.stderr  # approved, but the report on disk is the draft
    assert "warning: BOL_D: approved after its report was made (the report is a draft): run ils run" in p.stderr
    assert "warning: the group report of bolag: made before the latest approvals or data: run ils run" in p.stderr
    assert not (rnd.pub / PERIOD / "BOL_D").exists()
    rnd.run_all()  # the reports whose round state changed are made again; the others are unchanged
    p = rnd.publish()
    assert p.returncode == 0, p.stdout + p.stderr
    listing = files_in(rnd.pub)
    assert {
        f"{PERIOD}/BOL_D/report.html",
        f"{PERIOD}/_grupp/bolag/report.html",
        f"{PERIOD}/_grupp/bolag/report.pdf",
    } <= set(listing)
    assert "ils-partial" not in (rnd.pub / PERIOD / "_grupp" / "bolag" / "report.html").read_text(encoding="utf-8")
    # The board's book, bound after every approved report: published with the kind.
    b = rnd.ils("book", "--period", PERIOD, "--kind", "bolag", "--reports", rnd.out, "--html-only")
    assert b.returncode == 0, b.stderr
    p = rnd.publish()
    assert p.returncode == 0 and "1 book" in p.stdout, p.stdout + p.stderr
    assert f"{PERIOD}/_bok/bolag/book.html" in files_in(rnd.pub)


def test_an_undone_approval_disappears(rnd: Round) -> None:
    with connect(rnd.url) as wh:
        if state(wh, "BOL_D", PERIOD) != "godkand":
            pytest.skip("needs the approval of the test before")  # run as part of the module
    rnd.act(approve, "BOL_D", undo=True)
    p = rnd.publish()
    assert p.returncode == 0, p.stdout + p.stderr
    listing = files_in(rnd.pub)
    assert not any(f.startswith(f"{PERIOD}/BOL_D/") for f in listing)
    assert not any("_grupp" in f or "_bok" in f for f in listing)  # the kind is no longer fully approved
    assert f"{PERIOD}/BOL_C/report.html" in listing

    # --allow-partial: the group report made while BOL_D was approved is out of date; made again, it is
    # published with a notice on the page and in the PDF naming the organisation that is not approved.
    p = rnd.publish("--allow-partial")
    assert p.returncode == 1 and "the group report of bolag: made before the latest approvals" in p.stderr
    rnd.run("--notebook", "group_report", "--kind", "bolag", "--format", "html,pdf,xlsx")
    p = rnd.publish("--allow-partial")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "published with a notice, not approved: =1+2 Tomma bolaget AB (BOL_D)" in p.stdout
    page = (rnd.pub / PERIOD / "_grupp" / "bolag" / "report.html").read_text(encoding="utf-8")
    assert "Inte godkända: =1+2 Tomma bolaget AB (BOL_D)." in page
    # One note, not two: the notice is a paragraph of the group report's draft banner, which names BOL_D too.
    assert page.count('role="note"') == 1 and page.count('class="draft-banner"') == 1
    banner = page[page.index('class="draft-banner"') : page.index("</div>", page.index('class="draft-banner"'))]
    assert 'class="ils-partial"' in banner and "BOL_D" in banner
    from pypdf import PdfReader

    first = PdfReader(rnd.pub / PERIOD / "_grupp" / "bolag" / "report.pdf").pages[0].extract_text()
    assert "Observera" in first and "BOL_D" in first
    from openpyxl import load_workbook

    about = load_workbook(rnd.pub / PERIOD / "_grupp" / "bolag" / "report.xlsx")["Om rapporten"]
    note = about["A2"]
    assert note.data_type == "s" and note.font.bold
    assert (
        note.value.startswith("Observera: sammanställningen publicerades innan")
        and "=1+2 Tomma bolaget AB (BOL_D)" in note.value
    )
    assert about["A1"].value and about["A4"].value  # the title and the provenance stay, one row down
    assert "(inte alla organisationer godkända)" in (rnd.pub / "index.html").read_text(encoding="utf-8")


def test_changed_data_after_the_report_holds_it_back(rnd: Round) -> None:
    d = rnd.base / "indicators-change"
    d.mkdir(exist_ok=True)
    (d / "indicators.csv").write_text(
        "indicator_id;name;unit;direction;frequency;source;decimals\nI_L;Antal olyckor (nytt namn);antal;lower;"
        "tertial;own;0\n",
        encoding="utf-8",
    )
    assert rnd.ils("load", d).returncode == 0
    p = rnd.publish()
    assert p.returncode == 1 and "warning: BOL_C: its data changed after its report was made: run ils run" in p.stderr
    assert not (rnd.pub / PERIOD / "BOL_C").exists()
    rnd.run("--org", "BOL_C", "--format", "html,pdf")
    rnd.run("--notebook", "report_kort", "--org", "BOL_C", "--format", "html,pdf")
    assert rnd.publish().returncode == 0
    assert (rnd.pub / PERIOD / "BOL_C" / "report.html").is_file()


def test_other_periods_stay_and_the_tree_is_switched_whole(rnd: Round) -> None:
    other = "2026-T1"
    with connect(rnd.url) as wh:
        mark_ready(wh, "NAMN_A", other)
        approve(wh, "NAMN_A", other)
    p = rnd.ils("run", "--period", other, "--org", "NAMN_A", "--out", rnd.out)
    assert p.returncode == 0, p.stderr
    p = rnd.ils("publish", "--period", other, "--reports", rnd.out, "--out", rnd.pub)
    assert p.returncode == 0, p.stderr
    before = files_in(rnd.pub)
    assert f"{other}/NAMN_A/report.html" in before
    inode = (rnd.pub / other / "NAMN_A" / "report.html").stat().st_ino
    assert rnd.publish().returncode == 0
    after = files_in(rnd.pub)
    assert f"{other}/NAMN_A/report.html" in after and f"{PERIOD}/BOL_C/report.html" in after
    assert (rnd.pub / other / "NAMN_A" / "report.html").stat().st_ino == inode  # carried over, not rebuilt
    html = (rnd.pub / "index.html").read_text(encoding="utf-8")
    assert '<option value="2026-T1">Tertialrapport 1 2026</option>' in html
    assert '<meta name="generator" content="ils publish' in html


def test_refusals_change_nothing(rnd: Round, tmp_path: Path) -> None:
    before = files_in(rnd.pub)
    p = rnd.ils("publish", "--period", PERIOD, "--reports", rnd.out, "--out", rnd.out / "public")
    assert p.returncode == 2 and "overlap: the published portal goes in a directory of its own" in p.stderr
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "important.txt").write_text("x")
    p = rnd.ils("publish", "--period", PERIOD, "--reports", rnd.out, "--out", foreign)
    assert p.returncode == 2 and "is neither empty nor a portal made by ils publish" in p.stderr
    assert [f.name for f in foreign.iterdir()] == ["important.txt"]
    p = rnd.ils("publish", "--period", PERIOD, "--reports", tmp_path / "nope", "--out", tmp_path / "x")
    assert p.returncode == 2 and "--reports: " in p.stderr and "is not a directory" in p.stderr
    p = rnd.ils("publish", "--period", "2026-T7", "--reports", rnd.out, "--out", rnd.pub)
    assert p.returncode == 2 and "2026-T7" in p.stderr and p.stderr.count("\n") == 1
    assert files_in(rnd.pub) == before and not (tmp_path / "x").exists()


def test_public_index_in_chromium_and_ils_serve(rnd: Round) -> None:
    from report_support import Browser, describe_violations

    rnd.run("--notebook", "group_report", "--kind", "bolag", "--format", "html,pdf,xlsx")  # after the data changed
    p = rnd.publish("--allow-partial")
    assert p.returncode == 0, p.stdout + p.stderr
    index = rnd.pub / "index.html"
    browser = Browser()
    try:
        violations = browser.axe(index)
        assert violations == [], describe_violations(violations)
        page = browser.open(index)
        try:
            names = "#t-org tbody tr:not([hidden]) th[scope=row]"
            shown = page.eval_on_selector_all(names, "els => els.map(e => e.dataset.v)")
            assert "Bostäder AB" in shown and "Äldrenämnden" in shown  # T2 and T1
            page.select_option("#f-period", "2026-T1")
            assert page.eval_on_selector_all(names, "els => els.map(e => e.dataset.v)") == ["Äldrenämnden"]
            page.select_option("#f-period", "")
            page.select_option("#f-kind", "bolag")
            assert "Äldrenämnden" not in page.eval_on_selector_all(names, "els => els.map(e => e.dataset.v)")
            page.select_option("#f-kind", "")
            page.select_option("#f-type", "group")
            assert page.eval_on_selector_all(names, "els => els.map(e => e.dataset.v)") == []
            groups = "#t-group tbody tr:not([hidden]) th[scope=row]"
            assert page.eval_on_selector_all(groups, "els => els.map(e => e.dataset.v)") == [
                "Mål och måluppfyllelse – bolagen"
            ]
            page.select_option("#f-type", "")
            page.fill("#f-name", "BOSTÄDER")
            assert page.eval_on_selector_all(names, "els => els.map(e => e.dataset.v)") == ["Bostäder AB"]
            link = page.locator("#t-org tbody tr:not([hidden]) a", has_text="Rapport (webbsida)").first
            assert link.get_attribute("href") == f"{PERIOD}/BOL_C/report.html"
            page.add_script_tag(path=str(REPO / "node_modules" / "axe-core" / "axe.min.js"))
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            assert result["violations"] == []
        finally:
            page.close()
    finally:
        browser.close()

    # ils serve serves the published portal as it is (it never writes the internal portal over it)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ilslib", "serve", str(rnd.pub), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=rnd.env(),
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"at (http://127\.0\.0\.1:(\d+)/)", line)
        assert m and "Serving the published portal" in line, line
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", int(m[2]), timeout=10)
        conn.request("GET", "/")
        body = conn.getresponse().read().decode("utf-8")
        assert "Publicerade rapporter" in body and '<meta name="generator" content="ils publish' in body
        conn.request("GET", f"/{PERIOD}/BOL_C/report.pdf")
        assert conn.getresponse().status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert files_in(rnd.pub).count("index.html") == 1


def test_the_partial_notice_joins_the_draft_banner_or_stands_alone() -> None:
    from ilslib.publish import with_notice
    from ilslib.report.tables import group_draft_banner

    banner = str(group_draft_banner({"A": "klar", "B": "godkand"}, {"A": 'Östra <nämnden> & "Co"', "B": "Bolaget"}))
    banner = banner.replace(
        '<div class="draft-banner" role="note" aria-label="Utkast">',
        '<div aria-label="Utkast" class="draft-banner" role="note">',
    )  # as nbconvert writes it
    page = f"<html><body><main><h1>Sammanställning</h1>{banner}<p>Text</p></main></body></html>"
    once = with_notice(page, ['Östra <nämnden> & "Co" (A)'])
    assert once.count('role="note"') == 1 and once.count("Observera:") == 1
    assert "Inte godkända: Östra &lt;nämnden&gt; &amp; &quot;Co&quot; (A)." in once
    assert once.index("draft-title") < once.index("Observera:") < once.index("</div>")
    alone = with_notice("<html><body><main><h1>Sammanställning</h1></main></body></html>", ["B (B)"])
    assert (
        alone.startswith('<html><body><main><aside class="ils-partial" role="note"')
        and "Inte godkända: B (B)." in alone
    )
