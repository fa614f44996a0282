"""Shared machinery for the report tests: run each report once, read its HTML, check it in Chromium.

The report tests (``test_report.py``, ``test_report_a11y.py``,
``test_group_report.py``) ask :class:`Reports` for executed reports; each
(warehouse, notebook, parameters) is run once per session with
:func:`ilslib.runner.job.run_job` and the in-process engine, whichever module
asks first, and every later test reads the same output directory.

Accessibility: :class:`Browser` drives Debian's ``/usr/bin/chromium`` with
Playwright (never a downloaded browser) and runs axe-core from
``node_modules/`` (``make node_modules``, i.e. ``npm ci`` from the committed
``package-lock.json``). A missing browser or axe-core skips those tests on a
developer's machine and fails them under ``CI=true``.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
REPORT_NB = NOTEBOOKS / "report.ipynb"
KORT_NB = NOTEBOOKS / "report_kort.ipynb"
GROUP_NB = NOTEBOOKS / "group_report.ipynb"
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE_SNAPSHOTS = os.environ.get("ILS_UPDATE_SNAPSHOTS", "").strip() not in ("", "0")
#: Load times and the loading user differ from run to run and machine to machine.
SNAPSHOT_MASK = {"Senaste inläsningar av data": ("Inläst", "Av")}

PERIODS = ("2026-BU", "2026-T1", "2026-T2", "2025-BO")
#: One organisation of every sort the report must handle. SDN_SJV (a district board) has markup and
#: quotes in a goal title and an analysis; ENERGI (a company) has ``&`` in its name; KONST has fewer
#: than five employees (sick leave ``..``); STAD is the kommun, KONCERN the group's parent company.
ORGS = {"board": "SDN_SJV", "company": "ENERGI", "small": "KONST", "kommun": "STAD", "koncern": "KONCERN"}
#: KS has ``<script>alert("x")</script>`` in its deviation comment for 2026-T2.
SCRIPT_ORG, SCRIPT_PERIOD = "KS", "2026-T2"
#: Short versions ("i korthet") checked in the browser and as PDF.
KORT_REPORTS = (("UTN", "2026-T2"), ("STAD", "2025-BO"), ("KONST", "2026-BU"))
#: Reports also rendered as PDF (a board, a company, the small company in the budget).
PDF_REPORTS = {("SDN_SJV", "2026-T2"), ("ENERGI", "2025-BO"), ("KONST", "2026-BU")}
GROUP_KINDS = ("bolag", "namnd")
PDF_GROUPS = {("namnd", "2025-BO")}


def unavailable(reason: str) -> None:
    """Skip, or fail under CI=true (where the browser and axe-core must be installed)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing tool is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def warehouse_env(url: str) -> Iterator[None]:
    """``ILS_WAREHOUSE=url`` while the block runs (notebooks read the warehouse from the environment)."""
    old = os.environ.get("ILS_WAREHOUSE")
    os.environ["ILS_WAREHOUSE"] = url
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("ILS_WAREHOUSE", None)
        else:
            os.environ["ILS_WAREHOUSE"] = old


@dataclass
class Report:
    """One executed report's output directory."""

    out: Path
    status: str
    error: str | None
    warnings: tuple[str, ...] = ()

    @property
    def html_path(self) -> Path:
        book = self.out / "book.html"  # a book's directory holds book.html
        return book if book.exists() else self.out / "report.html"

    @property
    def pdf_path(self) -> Path:
        return self.out / "report.pdf"

    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8")

    def soup(self) -> Any:
        from bs4 import BeautifulSoup

        return BeautifulSoup(self.html(), "html.parser")

    def figures(self) -> dict[str, Any]:
        import json

        return json.loads((self.out / "figures.json").read_text(encoding="utf-8"))

    def notebook(self) -> Any:
        import nbformat

        return nbformat.read(self.out / "report.ipynb", as_version=4)


_SESSIONS: dict[str, Reports] = {}


class Reports:
    """Executed reports on one warehouse, each run once (see the module docstring)."""

    def __init__(self, url: str, root: Path):
        self.url = url
        self.root = root
        self._done: dict[tuple, Report] = {}

    @classmethod
    def shared(cls, url: str, factory: pytest.TempPathFactory) -> Reports:
        """The session's instance for ``url`` (created on first use)."""
        if url not in _SESSIONS:
            _SESSIONS[url] = cls(url, factory.mktemp("reports"))
        return _SESSIONS[url]

    def _run(self, notebook: Path, params: dict[str, Any], rel: str, formats: tuple[str, ...]) -> Report:
        from ilslib.runner.job import Job, run_job

        key = (notebook.name, tuple(sorted(params.items())), formats)
        if key not in self._done:
            out = self.root / rel
            # pytest records warnings itself, so a warning raised in a notebook would not reach the
            # notebook's stderr here: collect them to assert there are none. What earlier tests in this
            # process left for the collector (an unclosed pipe's ResourceWarning) is collected first, so
            # that a collection during the report does not put another test's warning on it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ResourceWarning)
                gc.collect()
            with warehouse_env(self.url), warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = run_job(Job(str(notebook), params, str(out), formats, label=rel))
            self._done[key] = Report(
                out,
                result.status,
                result.error,
                tuple(f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught),
            )
        return self._done[key]

    def org(self, org_id: str, period: str) -> Report:
        """The organisation report (HTML; also PDF for :data:`PDF_REPORTS`)."""
        formats = ("html", "pdf") if (org_id, period) in PDF_REPORTS else ("html",)
        return self._run(REPORT_NB, {"org_id": org_id, "period": period}, f"{period}/{org_id}", formats)

    def kort(self, org_id: str, period: str) -> Report:
        """The short version "i korthet" (HTML and PDF: it must be two A4 pages)."""
        return self._run(KORT_NB, {"org_id": org_id, "period": period}, f"{period}/{org_id}/kort", ("html", "pdf"))

    def book(self, kind: str, period: str, orgs: tuple[str, ...]) -> Report:
        """A book (HTML only) of the reports of ``orgs`` (run first) and the group report; the rest missing."""
        key = ("book", kind, period, orgs)
        if key not in self._done:
            import ilslib
            from ilslib import figures as f
            from ilslib.report.book import make_book

            for org in orgs:
                self.org(org, period)
            self.group(kind, period)
            with ilslib.connect(self.url) as wh:
                members = f.organisations(wh, kind)
                made = make_book(
                    list(zip(members["org_id"], members["name"], strict=True)),
                    period=f.as_period(wh, period),
                    kind=kind,
                    reports=self.root,
                    out=self.root / "books",
                    pdf=False,
                )
            self._done[key] = Report(made.html.parent, "done", None)
        return self._done[key]

    def group(self, kind: str, period: str) -> Report:
        """The group report "Mål och måluppfyllelse" (HTML; also PDF for :data:`PDF_GROUPS`)."""
        formats = ("html", "pdf") if (kind, period) in PDF_GROUPS else ("html",)
        return self._run(GROUP_NB, {"kind": kind, "period": period}, f"{period}/_grupp/{kind}", formats)


# -- the standard run set --------------------------------------------------------------------

STANDARD_RUNSET = REPO / "parameters" / "standard.yaml"
_STANDARD: dict[str, Path] = {}


def standard_run(url: str, factory: pytest.TempPathFactory) -> Path:
    """``ils run parameters/standard.yaml`` on the warehouse ``url``, once per session: its output directory.

    The full reports (HTML, PDF, Excel), the short versions (HTML, PDF), the group reports (with
    Excel) and the books of the nämnder and the bolag for the latest period (2026-T2 on the demo).
    Read-only for the tests: a test that changes it works on a copy (:func:`linked_copy`).
    """
    if url not in _STANDARD:
        from ilslib.cli import main

        out = factory.mktemp("standard") / "outputs"
        with warehouse_env(url):
            code = main(["run", str(STANDARD_RUNSET), "--out", str(out), "--jobs", "2"])
        assert code == 0, f"ils run {STANDARD_RUNSET.name} failed (exit code {code})"
        _STANDARD[url] = out
    return _STANDARD[url]


def linked_copy(src: Path, dst: Path) -> Path:
    """A copy of an output directory whose files are hard links (a run replaces files, never edits them).

    The lock files are left out: a run writes into its lock file (who holds it).
    """
    import shutil

    shutil.copytree(src, dst, copy_function=os.link, ignore=shutil.ignore_patterns("*.lock"))
    return dst


# -- reading the HTML --------------------------------------------------------------------------


def text(node: Any) -> str:
    """An element's text with runs of whitespace (not no-break spaces) made one space."""
    return re.sub(r"[ \t\r\n]+", " ", node.get_text(" ")).strip()


def find_table(soup: Any, caption_prefix: str) -> Any:
    """The one ``<table>`` whose caption starts with ``caption_prefix``."""
    found = [t for t in soup.find_all("table") if t.caption and text(t.caption).startswith(caption_prefix)]
    assert len(found) == 1, f"expected one table captioned {caption_prefix!r}, found {len(found)}: " + repr(
        [text(t.caption) for t in soup.find_all("table") if t.caption]
    )
    return found[0]


def table_rows(table: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Header labels and one dict per body row (header label -> cell element)."""
    headers = [text(th) for th in table.thead.find_all("th")]
    rows = []
    for tr in table.tbody.find_all("tr"):
        cells = tr.find_all(["th", "td"], recursive=False)
        assert len(cells) == len(headers), f"row with {len(cells)} cells under {len(headers)} headers"
        rows.append(dict(zip(headers, cells, strict=True)))
    return headers, rows


def kpis(soup: Any) -> dict[str, str]:
    """The headline boxes (label -> value text)."""
    out = {}
    for li in soup.select("ul.kpis > li"):
        out[text(li.select_one(".label"))] = text(li.select_one(".value"))
    return out


def table_snapshot(soup: Any, *, masked: dict[str, tuple[str, ...]] | None = None) -> str:
    """Every table as text (caption, headers, cells), one line per row, cells joined by `` | ``.

    ``masked`` maps a caption prefix to header labels whose cells are replaced by ``<masked>``
    (values that change from run to run or machine to machine, such as load times and users).
    """
    masked = masked or {}
    lines = []
    for table in soup.find_all("table"):
        caption = text(table.caption) if table.caption else ""
        hide: tuple[str, ...] = ()
        for prefix, cols in masked.items():
            if caption.startswith(prefix):
                hide = cols
        headers, rows = table_rows(table)
        lines.append(f"## {caption}")
        lines.append(" | ".join(headers))
        for row in rows:
            lines.append(" | ".join("<masked>" if h in hide else text(c) for h, c in row.items()))
        lines.append("")
    return "\n".join(lines)


# -- checks shared by the report tests ------------------------------------------------------


def done(report: Report) -> Report:
    """The report, after asserting that it ran to the end."""
    assert report.status == "done", f"the report failed: {report.error}"
    return report


def assert_inert(soup: Any) -> None:
    """No element from the data can run anything or fetch anything."""
    assert soup.find_all(["script", "iframe", "object", "embed", "link", "base", "form"]) == []
    for el in soup.find_all(True):
        handlers = [a for a in el.attrs if a.lower().startswith("on")]
        assert not handlers, f"<{el.name}> has event handler attributes {handlers}"
    for img in soup.find_all("img"):
        assert img["src"].startswith("data:image/svg+xml;base64,"), img["src"][:60]
        assert_inert_svg(base64.b64decode(img["src"].partition(",")[2]).decode("utf-8"))


def assert_inert_svg(svg: str) -> None:
    """A chart's SVG is well-formed XML and self-contained: no script, no link, no reference outside it."""
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    for el in root.iter():
        name = el.tag.rpartition("}")[2]
        assert name not in ("script", "foreignObject", "image", "use", "a", "style"), name
        for attr, value in el.attrib.items():
            assert "href" not in attr and not attr.lower().startswith("on"), (name, attr)
            assert "url(" not in value, (name, attr, value)


CODE_MARKERS = (
    "In [",
    "Out[",
    "Traceback",
    "Warning",
    "warnings.warn",
    "import ilslib",
    "show(",
    "publish_meta",
    "f.indicators(",
    "DataFrame",
    "<NA>",
    "Error",
)
DEBUG_WORDS = re.compile(r"\b(None|NaN|nan|NaT|True|False|inf)\b")


def assert_clean(report: Report) -> None:
    """No code, prompts, warnings or debug values in the HTML; nothing referenced outside the file."""
    html = report.html()
    soup = report.soup()
    page = text(soup)
    for marker in CODE_MARKERS:
        assert marker not in page, f"{marker!r} in the report text"
    assert not DEBUG_WORDS.search(page), DEBUG_WORDS.search(page)
    assert soup.find_all(["pre", "code", "textarea"]) == []
    from bs4 import Comment

    assert soup.find_all(string=lambda s: isinstance(s, Comment)) == [], "an HTML comment (a note for developers)"
    classes = {c for el in soup.find_all(class_=True) for c in el["class"]}
    assert not [c for c in classes if re.search(r"input|prompt|stderr|error|jp-|nbconvert|highlight", c)], classes
    # offline and self-contained: no URL of any scheme but data: in the file
    assert not re.search(r"https?:", html, re.IGNORECASE), re.search(r".{40}https?:.{40}", html, re.I)
    assert "@import" not in html
    assert all(u.strip("'\" ").startswith("data:") for u in re.findall(r"url\(([^)]*)\)", html))
    for el in soup.find_all(src=True) + soup.find_all(href=True):
        ref = el.get("src") or el.get("href")
        assert ref.startswith(("data:", "#")), f"<{el.name}> refers to {ref[:60]!r}"


def check_snapshot(name: str, actual: str) -> None:
    """Compare ``actual`` with ``tests/snapshots/NAME`` exactly; ``ILS_UPDATE_SNAPSHOTS=1`` rewrites the file."""
    path = SNAPSHOTS / name
    how = "if the change is intended, rewrite it: ILS_UPDATE_SNAPSHOTS=1 pytest tests/test_*report.py"
    if UPDATE_SNAPSHOTS:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"snapshot tests/snapshots/{name} is missing; {how}", pytrace=False)
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        import difflib

        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), f"tests/snapshots/{name}", "this run", n=1
            )
        )
        pytest.fail(f"the tables differ from tests/snapshots/{name}; {how}\n{diff[:6000]}", pytrace=False)


# -- Chromium and axe-core ---------------------------------------------------------------------


class Browser:
    """Headless Debian Chromium through Playwright, with axe-core injected into each page."""

    def __init__(self) -> None:
        if not CHROMIUM.exists():
            unavailable(f"{CHROMIUM} is missing (scripts/install-system.sh installs Debian's chromium)")
        if not AXE_JS.exists():
            unavailable(f"{AXE_JS.relative_to(REPO)} is missing: run `make node_modules` (npm ci)")
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            unavailable(f"playwright cannot be imported ({exc}): pip install -e '.[dev]'")
        self._axe = AXE_JS.read_text(encoding="utf-8")
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Exception as exc:
            self._pw.stop()
            unavailable(f"cannot start {CHROMIUM}: {str(exc).splitlines()[0]}")
        self.requests: list[str] = []

    def close(self) -> None:
        self._browser.close()
        self._pw.stop()

    def open(self, path: Path) -> Any:
        """A new page showing ``path`` (a file:// URL); every request the page makes is recorded."""
        page = self._browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("request", lambda req: self.requests.append(req.url))
        page.goto(path.resolve().as_uri(), wait_until="load")
        return page

    def axe(self, path: Path) -> list[dict[str, Any]]:
        """axe-core's violations for the page (WCAG 2.1 A/AA and best practice)."""
        page = self.open(path)
        try:
            page.add_script_tag(content=self._axe)
            result = page.evaluate(
                "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, "
                "resultTypes: ['violations']})",
                AXE_TAGS,
            )
        finally:
            page.close()
        return result["violations"]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """A readable list of axe violations for an assertion message."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '')[:300]}")
    return "\n".join(lines)
