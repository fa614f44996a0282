"""The report portal ``OUT/index.html`` and ``ils serve``, in a real headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``) driven by Python Playwright;
axe-core comes from npm (``make node_modules``). Under ``CI=true`` a missing
browser, driver or axe-core is a failure, not a skip.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ilslib.cli import main

REPO = Path(__file__).resolve().parents[1]
NB = REPO / "tests" / "notebooks"
PERIOD = "2026-T2"
CHROMIUM = "/usr/bin/chromium"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
TEATER = "Mälarviks Stadsteater AB"
NAMND = ["Äldrenämnden", "Idrottsnämnden", "Kommunstyrelsen"]  # the failed test report is in the studies
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _run(*args: object) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def portal_out(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output directory with organisation reports of two kinds, a group report and a failed report."""
    out = tmp_path_factory.mktemp("portal") / "out"
    old = os.environ.get("ILS_WAREHOUSE")
    os.environ["ILS_WAREHOUSE"] = demo_url
    try:
        assert (
            _run(
                "run",
                "--period",
                PERIOD,
                "--org",
                "ALN",
                "--org",
                "IDN",
                "--org",
                "TEATER",
                "--org",
                "KS",
                "--format",
                "html,pdf",
                "--out",
                out,
            )
            == 0
        )
        assert _run("run", "--notebook", "group_report", "--period", PERIOD, "--kind", "bolag", "--out", out) == 0
        assert _run("run", "--notebook", NB / "raises.ipynb", "--period", PERIOD, "--org", "IDN", "--out", out) == 1
    finally:
        if old is None:
            os.environ.pop("ILS_WAREHOUSE", None)
        else:
            os.environ["ILS_WAREHOUSE"] = old
    return out


def _unavailable(reason: str) -> None:
    from conftest import unavailable

    unavailable(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"Python Playwright is not installed ({exc}); pip install -e '.[dev]'")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"{CHROMIUM} is missing (Debian package chromium; scripts/install-system.sh)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(java_script_enabled=True)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture(scope="module")
def served(portal_out: Path):
    """``ils serve --port 0`` on the portal directory; yields the base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ilslib", "serve", "--out", str(portal_out), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert m, line + proc.stderr.read() if proc.poll() is not None else line
        yield m.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def visible_names(page, table: str = "#t-org") -> list[str]:
    return page.eval_on_selector_all(
        f"{table} tbody tr:not([hidden]) th[scope=row]", "els => els.map(e => e.dataset.v)"
    )


def check_portal(page, url: str) -> None:
    """Filter, sort and follow links on the portal at ``url``."""
    page.goto(url)
    assert page.title() == "Rapporter – mål och måluppfyllelse"
    names = visible_names(page)
    assert len(names) == 4  # four organisation reports
    # the failed test notebook is a special study: its own section, never in the official list
    assert visible_names(page, "#t-study") == ["Idrottsnämnden"]
    assert page.locator("#f-count").inner_text() == "Visar 6 av 6 rapporter."
    assert visible_names(page, "#t-group") == ["Mål och måluppfyllelse – bolagen"]
    # Filter by kind.
    page.select_option("#f-kind", "bolag")
    assert visible_names(page) == [TEATER]
    assert visible_names(page, "#t-group") == ["Mål och måluppfyllelse – bolagen"]
    assert page.locator("#f-count").inner_text() == "Visar 2 av 6 rapporter."
    page.select_option("#f-kind", "namnd")
    assert sorted(visible_names(page)) == sorted(NAMND)
    assert visible_names(page, "#t-group") == []
    page.select_option("#f-kind", "")
    # Filter by name (case-insensitive, Swedish letters).
    page.fill("#f-name", "äldre")
    assert visible_names(page) == ["Äldrenämnden"]
    page.fill("#f-name", "ÄLDRENÄMND")
    assert visible_names(page) == ["Äldrenämnden"]
    page.fill("#f-name", "")
    # Sort by organisation, both ways (Swedish collation: Å Ä Ö last).
    header = page.locator("#t-org thead button[data-key=name]")
    header.click()
    assert page.locator("#t-org thead th:has(button[data-key=name])").get_attribute("aria-sort") == "ascending"
    asc = visible_names(page)
    assert asc == sorted(asc, key=lambda s: s.lower().translate(str.maketrans("åäö", "{|}")))
    assert asc[-1] == "Äldrenämnden"
    header.click()
    assert page.locator("#t-org thead th:has(button[data-key=name])").get_attribute("aria-sort") == "descending"
    assert visible_names(page) == asc[::-1]
    # Sort by goal fulfilment (numbers).
    page.locator("#t-org thead button[data-key=met]").click()
    met = page.eval_on_selector_all("#t-org tbody tr td:nth-child(6)", "e => e.map(c => +c.dataset.v)")
    assert met == sorted(met)
    # Follow the links of one report.
    row = page.locator("#t-org tbody tr", has=page.locator("th[data-v='Äldrenämnden']"))
    links = {a.inner_text().split("–")[0].strip(): a.get_attribute("href") for a in row.locator("a").all()}
    assert links == {
        "HTML": "2026-T2/ALN/report.html",
        "PDF": "2026-T2/ALN/report.pdf",
        "Nyckeltal (JSON)": "2026-T2/ALN/figures.json",
    }
    row.locator("a", has_text="HTML").click()
    page.wait_for_load_state()
    assert "Äldrenämnden" in page.title()
    page.go_back()
    page.locator("#t-org tbody tr", has=page.locator("th[data-v='Äldrenämnden']")).locator(
        "a", has_text="Nyckeltal"
    ).click()
    page.wait_for_load_state()
    assert '"org_id": "ALN"' in page.content()
    page.go_back()
    # The failed report: its reason and a link to the executed notebook.
    failed = page.locator("#t-study tbody tr", has=page.locator("text=Misslyckades"))
    assert failed.count() == 1
    assert "avsiktligt fel för IDN" in failed.inner_text()
    assert failed.locator("a").get_attribute("href") == "_studier/raises/2026-T2/IDN/report.ipynb"
    # The group report.
    assert page.locator("#t-group a", has_text="HTML").get_attribute("href") == "2026-T2/_grupp/bolag/report.html"


def axe_violations(page) -> list[dict]:
    if not AXE.is_file():
        _unavailable(f"{AXE} is missing: run 'make node_modules' (npm ci)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


def test_portal_from_disk(page, portal_out):
    check_portal(page, (portal_out / "index.html").as_uri())


def test_portal_through_ils_serve(page, served):
    check_portal(page, served)


def test_portal_has_no_accessibility_violations(page, portal_out, served):
    page.goto((portal_out / "index.html").as_uri())
    assert axe_violations(page) == []
    page.goto(served)
    page.select_option("#f-kind", "namnd")
    page.locator("#t-org thead button[data-key=name]").click()
    assert axe_violations(page) == []


def test_serve_is_read_only(served, portal_out):
    host, port = re.match(r"http://([\d.]+):(\d+)/", served).groups()

    def request(method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request(method, path, body=body)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, data

    status, body = request("GET", "/")
    assert status == 200 and b"Rapporter" in body
    assert request("GET", "/2026-T2/ALN/report.pdf")[0] == 200
    assert request("HEAD", "/2026-T2/ALN/figures.json")[0] == 200
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert request(method, "/index.html", b"x")[0] == 405, method
    (run_id,) = [p.name for p in (portal_out / "runs").iterdir()][:1]
    for path in (
        "/.ils-run.lock",
        "/2026-T2/ALN/.ils-state.json",
        "/2026-T2/ALN/%2Eils-state.json",
        "/runs/",
        f"/runs/{run_id}/manifest.json",
        f"/runs/{run_id}/run.log",
        "/%72uns/",
        "/2026-T2/",
        "/2026-T2/ALN/",
        "/../../etc/passwd",
        "/2026-T2/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
    ):
        assert request("GET", path)[0] in (404, 400), path
    before = {p: p.stat().st_mtime_ns for p in portal_out.rglob("*") if p.is_file()}
    request("POST", "/index.html", b"<html>")
    request("PUT", "/2026-T2/ALN/report.html", b"x")
    request("DELETE", "/2026-T2/ALN/report.html")
    assert {p: p.stat().st_mtime_ns for p in portal_out.rglob("*") if p.is_file()} == before


def test_portal_escapes_text_and_lists_states(tmp_path):
    """Names and errors from the data are text in the portal, never markup."""
    from ilslib.runner.portal import collect, write_portal

    d = tmp_path / "out" / PERIOD / "X1"
    d.mkdir(parents=True)
    (d / "report.html").write_text("<!DOCTYPE html><html></html>", encoding="utf-8")
    state = {
        "status": "done",
        "input_hash": "h",
        "finished_at": "2026-11-01T10:00:00+01:00",
        "meta": {
            "org_id": "X1",
            "name": '<script>alert("x")</script> & "Ö"',
            "kind": "bolag",
            "period": PERIOD,
            "notebook": "report",
            "summary": {"uppfyllt": 2, "delvis": 1, "ej_uppfyllt": 0},
        },
    }
    (d / ".ils-state.json").write_text(json.dumps(state), encoding="utf-8")
    e = tmp_path / "out" / PERIOD / "X2"
    e.mkdir()
    (e / ".ils-state.json").write_text(
        json.dumps(
            {
                "status": "failed",
                "error": "KeyError: '<img src=x onerror=alert(1)>'",
                "meta": {"org_id": "X2", "name": "Två", "kind": "namnd", "period": PERIOD},
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "out" / PERIOD / "broken").mkdir()
    (tmp_path / "out" / PERIOD / "broken" / ".ils-state.json").write_text("{not json", encoding="utf-8")
    rows = collect(tmp_path / "out")
    assert [r["org_id"] for r in rows] == ["X1", "X2"]
    html = write_portal(tmp_path / "out").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "✓ 2 uppfyllda" in html and "◐ 1 delvis" in html and "✗ 0 ej uppfyllda" in html
    assert 'href="2026-T2/X1/report.html"' in html and "report.pdf" not in html
    assert not list((tmp_path / "out").rglob("*.part"))


def test_serve_refuses_bad_settings(tmp_path, capsys):
    assert main(["serve", "--out", str(tmp_path / "missing")]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert main(["serve", "--out", str(tmp_path), "--port", "70000"]) == 2
    assert "expected 0 to 65535" in capsys.readouterr().err


def test_serve_answers_quickly(served):
    t0 = time.monotonic()
    conn = http.client.HTTPConnection(*re.match(r"http://([\d.]+):(\d+)/", served).groups(), timeout=5)
    conn.request("GET", "/index.html")
    assert conn.getresponse().status == 200
    assert time.monotonic() - t0 < 5


def test_a_run_writes_the_period_status_page_and_the_portal_links_it(portal_out):
    """`ils run` of the official reports writes OUT/PERIOD/status.html; index.html links it by period."""
    page = portal_out / PERIOD / "status.html"
    assert page.is_file()
    text = page.read_text(encoding="utf-8")
    assert 'lang="sv"' in text and "ALN" in text
    index = (portal_out / "index.html").read_text(encoding="utf-8")
    assert f'href="{PERIOD}/status.html"' in index and "Inrapporteringens status" in index


def test_a_study_run_writes_no_status_page(demo, tmp_path):
    """A special study is not the reporting round: it writes no status page."""
    out = tmp_path / "out"
    study = Path(__file__).parent / "notebooks" / "study.py"
    assert _run("run", "--notebook", study, "--period", PERIOD, "--org", "ALN", "--out", out) == 0
    assert not (out / PERIOD / "status.html").exists()
    assert "Inrapporteringens status" not in (out / "index.html").read_text(encoding="utf-8")


# -- every reader's files from one run set -------------------------------------------------------------


def test_portal_links_excel_short_version_and_books(page, standard_run):
    """After the standard run set: each report's row links its tables in Excel and its short version; the
    group reports link their Excel; the books have a table of their own; every link leads to a file."""
    from bs4 import BeautifulSoup

    index = standard_run / "index.html"
    soup = BeautifulSoup(index.read_text(encoding="utf-8"), "html.parser")
    rows = soup.select("#t-org tbody tr")
    assert len(rows) == 32, "one row per organisation: the short version is in the report's row"
    for tr in rows:
        links = {a.contents[0].strip(): a["href"] for a in tr.select("a")}
        org_dir = links["HTML"].rsplit("/", 1)[0]
        assert links == {
            "HTML": f"{org_dir}/report.html",
            "PDF": f"{org_dir}/report.pdf",
            "Tabeller (Excel)": f"{org_dir}/report.xlsx",
            "Kortversion": f"{org_dir}/report-kort.html",
            "Kortversion (PDF)": f"{org_dir}/report-kort.pdf",
            "Nyckeltal (JSON)": f"{org_dir}/figures.json",
        }
        # each link names its report for a screen reader
        assert all(a.select_one(".sr").get_text().startswith(" – ") for a in tr.select("a"))
    groups = {
        tr.th["data-v"]: {a.contents[0].strip() for a in tr.select("a")} for tr in soup.select("#t-group tbody tr")
    }
    assert set(groups) == {"Mål och måluppfyllelse – bolagen", "Mål och måluppfyllelse – nämnderna"}
    assert all(links == {"HTML", "PDF", "Tabeller (Excel)", "Nyckeltal (JSON)"} for links in groups.values())
    books = {tr.th["data-v"]: tr for tr in soup.select("#t-book tbody tr")}
    assert set(books) == {"Bolagens rapporter", "Nämndernas rapporter"}
    bolag = books["Bolagens rapporter"]
    assert {a.contents[0].strip(): a["href"] for a in bolag.select("a")} == {
        "Rapportbok (PDF)": "2026-T2/_bok/bolag/book.pdf",
        "Rapportbok (HTML)": "2026-T2/_bok/bolag/book.html",
    }
    assert re.match(r"15 av 15 organisationers rapporter, \d+ sidor$", bolag.select("td")[4].get_text())
    for a in soup.select("table.portal a"):
        assert (standard_run / a["href"]).is_file(), a["href"]
    # in the browser: filtering by kind shows that kind's book; no accessibility violation
    page.goto(index.as_uri())
    assert page.locator("#f-count").inner_text() == "Visar 36 av 36 rapporter."
    page.select_option("#f-kind", "bolag")
    assert visible_names(page, "#t-book") == ["Bolagens rapporter"]
    assert len(visible_names(page)) == 15
    page.locator("#t-book thead button[data-key=name]").click()
    assert axe_violations(page) == []
    page.select_option("#f-kind", "")
    page.locator("#t-org tbody tr", has=page.locator("th[data-v='Äldrenämnden']")).locator(
        "a", has_text="Kortversion"
    ).first.click()
    page.wait_for_load_state()
    assert page.title() == "Tertialrapport 2 2026 i korthet – Äldrenämnden"


def test_a_short_version_made_in_another_state_says_so(tmp_path):
    """The "Läge" column is the report's state; a short version made before the approval is marked on its own."""
    from ilslib.runner.portal import write_portal

    d = tmp_path / "out" / PERIOD / "X1"
    d.mkdir(parents=True)
    meta = {"org_id": "X1", "name": "Ett bolag", "kind": "bolag", "period": PERIOD}
    for name, notebook, state in ((".ils-state.json", "report", "godkand"),
                                  (".ils-state.report-kort.json", "report_kort", "klar")):  # fmt: skip
        (d / name).write_text(
            json.dumps(
                {
                    "status": "done",
                    "finished_at": "2026-11-01T10:00:00+01:00",
                    "meta": {**meta, "notebook": notebook, "round_state": state},
                }
            ),  # fmt: skip
            encoding="utf-8",
        )
    html = write_portal(tmp_path / "out").read_text(encoding="utf-8")
    assert "✔ Godkänd; kortversionen: ✎ Utkast (Klarmarkerad)" in html
    row = html[html.index("Ett bolag") : html.index("</tr>", html.index("Ett bolag"))]
    assert "class=draft" in row  # a draft among the row's files: marked as one
    (d / ".ils-state.report-kort.json").write_text(
        json.dumps({"status": "done", "meta": {**meta, "notebook": "report_kort", "round_state": "godkand"}}),
        encoding="utf-8",
    )
    html = write_portal(tmp_path / "out").read_text(encoding="utf-8")
    assert "✔ Godkänd" in html and "kortversionen:" not in html  # the same state: said once
