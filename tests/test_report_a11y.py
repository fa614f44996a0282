"""Accessibility (WCAG 2.1 AA) of the reports, as HTML and as PDF.

HTML: axe-core (``node_modules/``, ``make node_modules``) in Debian's headless
Chromium driven by Playwright finds ZERO violations of WCAG 2.0/2.1 A and AA
and best practice, for the organisation report in every period type and the
group report; the page fetches nothing from the network and has no horizontal
overflow; headings are in order; every chart has a text alternative that
states what it shows; tables have captions and header cells; status is never
colour alone. PDF (pikepdf, poppler's pdftotext): A4, tagged, language ``sv``,
the HTML's title, alt texts on figures, page numbers, Swedish letters in the
text layer, nothing beyond the right margin.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_support import (
    GROUP_KINDS,
    KORT_REPORTS,
    ORGS,
    PDF_GROUPS,
    PDF_REPORTS,
    PERIODS,
    SCRIPT_ORG,
    SCRIPT_PERIOD,
    Browser,
    Report,
    Reports,
    describe_violations,
    done,
    text,
    unavailable,
)

#: Pages checked with axe: the board in every period type, the others in one each, three group reports.
AXE_ORG = [(ORGS["board"], p) for p in PERIODS] + [
    (ORGS["company"], "2025-BO"),
    (ORGS["small"], "2026-T2"),
    (ORGS["kommun"], "2026-T1"),
    (ORGS["koncern"], "2026-BU"),
    (SCRIPT_ORG, SCRIPT_PERIOD),
]
AXE_GROUP = [("bolag", "2025-BO"), ("namnd", "2026-T2"), ("bolag", "2026-BU")]
ALL_ORG = [(o, p) for o in ORGS.values() for p in PERIODS]
ALL_GROUP = [(k, p) for k in GROUP_KINDS for p in PERIODS]

A4 = (595.28, 841.89)  # points
RIGHT_MARGIN_PT = 16 / 25.4 * 72  # report.css: @page margin 18mm 16mm 20mm 16mm


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser()
    try:
        yield b
    finally:
        b.close()


#: The board's book (HTML) of the nämnder's reports for 2026-T2 that the tests produce.
BOOK = ("namnd", "2026-T2", (ORGS["board"], SCRIPT_ORG))


def _report(reports: Reports, which: str, a: str, period: str) -> Report:
    if which == "org":
        return done(reports.org(a, period))
    if which == "kort":
        return done(reports.kort(a, period))
    if which == "book":
        return done(reports.book(BOOK[0], BOOK[1], BOOK[2]))
    return done(reports.group(a, period))


PAGES = (
    [("org", o, p) for o, p in AXE_ORG]
    + [("group", k, p) for k, p in AXE_GROUP]
    + [("kort", o, p) for o, p in KORT_REPORTS]
    + [("book", BOOK[0], BOOK[1])]
)
PAGE_IDS = [f"{w}-{a}-{p}" for w, a, p in PAGES]


@pytest.mark.parametrize(("which", "who", "period"), PAGES, ids=PAGE_IDS)
def test_axe_finds_no_violations(reports: Reports, browser: Browser, which: str, who: str, period: str) -> None:
    report = _report(reports, which, who, period)
    violations = browser.axe(report.html_path)
    assert violations == [], "axe-core:\n" + describe_violations(violations)


@pytest.mark.parametrize(("which", "who", "period"), PAGES, ids=PAGE_IDS)
def test_page_is_offline_and_fits_the_screen(
    reports: Reports, browser: Browser, which: str, who: str, period: str
) -> None:
    report = _report(reports, which, who, period)
    browser.requests.clear()
    page = browser.open(report.html_path)
    try:
        sizes = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth, "
            "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length]"
        )
    finally:
        page.close()
    assert [u for u in browser.requests if not u.startswith(("file:", "data:"))] == []
    scroll_width, width, broken_images = sizes
    assert scroll_width <= width, f"the page scrolls sideways ({scroll_width} > {width} px)"
    assert broken_images == 0


# -- structure, checked on every report ------------------------------------------------------------

EVERY = (
    [("org", o, p) for o, p in ALL_ORG]
    + [("group", k, p) for k, p in ALL_GROUP]
    + [("kort", o, p) for o in ORGS.values() for p in ("2026-T2", "2025-BO", "2026-BU")]
    + [("book", BOOK[0], BOOK[1])]
)
EVERY_IDS = [f"{w}-{a}-{p}" for w, a, p in EVERY]


@pytest.mark.parametrize(("which", "who", "period"), EVERY, ids=EVERY_IDS)
def test_headings_tables_images_and_status(reports: Reports, which: str, who: str, period: str) -> None:
    soup = _report(reports, which, who, period).soup()
    # headings: one h1 first, then no level skipped on the way down
    levels = [int(h.name[1]) for h in soup.find_all(re.compile(r"^h[1-6]$"))]
    assert levels[0] == 1 and levels.count(1) == 1, levels
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    assert all(text(h) for h in soup.find_all(re.compile(r"^h[1-6]$"))), "an empty heading"
    # charts: a text alternative that says what they show (numbers included), not just their type
    for img in soup.find_all("img"):
        alt = img.get("alt", "")
        assert len(alt) >= 60 and re.search(r"\d", alt), f"weak alt text: {alt!r}"
        caption = img.find_next_sibling("figcaption")
        assert caption is None or alt != text(caption)
    # tables: a caption, column headers with scope, a row header in each row
    for table in soup.find_all("table"):
        assert table.caption and text(table.caption), "a table without caption"
        assert all(th.get("scope") == "col" for th in table.thead.find_all("th"))
        for tr in table.tbody.find_all("tr"):
            first = tr.find(["th", "td"])
            assert first.name == "th" and first.get("scope") == "row", "a row without a row header"
    # status: never colour alone (every coloured status or quartile cell says it in words)
    for el in soup.find_all(class_=re.compile(r"^(status-|q-)")):
        assert re.search(r"[A-Za-zÅÄÖåäö]{3,}", text(el)), f"colour without words: {el}"
    assert soup.html.get("lang") == "sv" and soup.title and soup.title.string.strip()


# -- PDF -------------------------------------------------------------------------------------------

PDFS = (
    [("org", o, p) for o, p in sorted(PDF_REPORTS)]
    + [("group", k, p) for k, p in sorted(PDF_GROUPS)]
    + [("kort", o, p) for o, p in KORT_REPORTS]
)
PDF_IDS = [f"{w}-{a}-{p}" for w, a, p in PDFS]


def _pdftotext(*args: str) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        unavailable("pdftotext is missing (poppler-utils; scripts/install-system.sh installs it)")
    return subprocess.run([exe, *args, "-"], capture_output=True, text=True, check=True, timeout=60).stdout


def _struct_elements(root: Any) -> Iterator[Any]:
    import pikepdf

    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Dictionary):
            if "/S" in node:
                yield node
            kids = node.get("/K")
            if isinstance(kids, pikepdf.Array):
                stack.extend(kids)
            elif isinstance(kids, pikepdf.Dictionary):
                stack.append(kids)


@pytest.mark.parametrize(("which", "who", "period"), PDFS, ids=PDF_IDS)
def test_pdf_is_a4_tagged_swedish_and_titled(reports: Reports, which: str, who: str, period: str) -> None:
    import pikepdf

    report = _report(reports, which, who, period)
    assert report.pdf_path.exists()
    soup = report.soup()
    title = soup.title.string
    with pikepdf.open(report.pdf_path) as pdf:
        root = pdf.Root
        assert bool(root.MarkInfo.Marked) is True
        assert "/StructTreeRoot" in root
        assert str(root.Lang) == "sv"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        assert str(pdf.docinfo.Title) == title
        with pdf.open_metadata() as xmp:
            assert xmp.get("dc:title") == title
            assert xmp.get("pdfuaid:part") == "1"
        for page in pdf.pages:
            box = [float(x) for x in page.MediaBox]
            assert box[:2] == [0, 0] and abs(box[2] - A4[0]) < 1 and abs(box[3] - A4[1]) < 1, box
        n_pages = len(pdf.pages)
        tags = [str(e.S) for e in _struct_elements(root.StructTreeRoot)]
        for tag in ("/H1", "/H2", "/Table", "/TH", "/TD", "/Caption", "/P"):
            assert tag in tags, f"no {tag} in the structure tree"
        figures = [e for e in _struct_elements(root.StructTreeRoot) if str(e.S) == "/Figure"]
        alts = [img["alt"] for img in soup.find_all("img")]
        assert sorted(str(e.Alt) for e in figures) == sorted(alts)
    layer = _pdftotext("-layout", str(report.pdf_path))
    for i in range(1, n_pages + 1):
        assert f"Sida {i} av {n_pages}" in layer, f"no page number on page {i}"
    flat = " ".join(_pdftotext(str(report.pdf_path)).split())
    headings = [" ".join(h.get_text(" ").split()) for h in soup.find_all(["h1", "h2", "h3"])]
    missing = [h for h in headings if h not in flat]
    assert not missing, f"headings missing from the text layer: {missing}"
    assert [h for h in headings if re.search(r"[åäöÅÄÖ]", h)], "no Swedish letters to check"
    assert "Ã" not in flat and "\ufffd" not in flat, "mojibake in the text layer"
    assert soup.select_one(".cover .org-name").get_text(strip=True) in flat
    # nothing printed beyond the right margin (a table cut off at the edge of the page)
    bbox = _pdftotext("-bbox", str(report.pdf_path))
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox))
    assert right <= A4[0] - RIGHT_MARGIN_PT + 1, f"text reaches x = {right:.0f} pt, beyond the right margin"


@pytest.mark.parametrize(("which", "who", "period"), PDFS, ids=PDF_IDS)
def test_pdf_passes_the_pdf_ua_validator(reports: Reports, which: str, who: str, period: str) -> None:
    """page-validation (a PDF/UA-1 checker from PyPI, offline) finds no failure."""
    import page

    report = _report(reports, which, who, period)
    result = page.validate_pdf(report.pdf_path, profile="ua1")
    assert result.is_compliant, [f"{f.rule_id}: {f.message}" for f in result.failures[:10]]
    assert result.rules.failed == 0


def _layout(html: str) -> Any:
    from weasyprint import HTML

    from ilslib.report.render import TEMPLATES, _font_config

    return HTML(string=html, base_url=str(TEMPLATES)).render(font_config=_font_config())


def _boxes(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


def _text_of(box: Any) -> str:
    return "".join(b.text for b in _boxes(box) if isinstance(getattr(b, "text", None), str)).strip()


@pytest.mark.parametrize(("which", "who", "period"), PDFS, ids=PDF_IDS)
def test_pdf_layout_keeps_headings_and_comments_together_and_never_hyphenates_headers(
    reports: Reports, which: str, who: str, period: str
) -> None:
    """No heading is the last thing on a page, no comment (block quote) is split over two pages, and no
    column header is broken with a hyphen ("Nettoresul-tat")."""
    report = _report(reports, which, who, period)
    document = _layout(report.html())
    pages_of: dict[int, set[int]] = {}
    for n, page in enumerate(document.pages, 1):
        flow = [
            b
            for b in _boxes(page._page_box)
            if getattr(b, "element_tag", None)
            in ("h1", "h2", "h3", "h4", "p", "li", "tr", "img", "dt", "dd", "caption")
        ]
        if flow and flow[-1].element_tag in ("h2", "h3", "h4"):
            pytest.fail(f"page {n}: the heading {_text_of(flow[-1])!r} is alone at the bottom of the page")
        for b in _boxes(page._page_box):
            el = getattr(b, "element", None)
            if el is not None and "free-text" in (el.get("class") or ""):
                pages_of.setdefault(id(el), set()).add(n)
    split = {k: v for k, v in pages_of.items() if len(v) > 1}
    assert not split, f"a comment runs over pages {sorted(next(iter(split.values())))}"
    # headers: what WeasyPrint laid out in each header cell is whole words (no hyphen added at a break)
    headers = 0
    for page in document.pages:
        for group in _boxes(page._page_box):
            if getattr(group, "element_tag", None) != "thead":
                continue
            for th in _boxes(group):
                if getattr(th, "element_tag", None) == "th":
                    lines = [_text_of(line) for line in _boxes(th) if type(line).__name__ == "LineBox"]
                    assert not [ln for ln in lines if ln.endswith(("-", "\u2010", "\u00ad"))], lines
                    headers += 1
    assert headers
    css = (Path(__file__).resolve().parent.parent / "ilslib" / "templates" / "report.css").read_text(encoding="utf-8")
    assert "hyphens: auto" not in css


A4_FIT = [("group", k, p) for k, p in (("bolag", "2025-BO"), ("namnd", "2026-T2"), ("koncern", "2026-T2"))] + [
    ("org", ORGS["board"], "2025-BO"),
    ("org", ORGS["company"], "2026-T2"),
    ("kort", "STAD", "2025-BO"),
]


@pytest.mark.parametrize(("which", "who", "period"), A4_FIT, ids=[f"{w}-{a}-{p}" for w, a, p in A4_FIT])
def test_no_table_scrolls_sideways_on_screen_or_on_a4(
    reports: Reports, browser: Browser, which: str, who: str, period: str
) -> None:
    """No table needs its sideways scroll on a desktop screen (1280 px), nor printed on A4 (the text is 178 mm
    wide, 673 px, with the print style): wide tables are split into parts (the group report's matrices)."""
    report = _report(reports, which, who, period)
    script = (
        "() => Array.from(document.querySelectorAll('.table-wrap'))"
        ".filter(w => w.scrollWidth > w.clientWidth + 1 || w.querySelector('table').scrollWidth > w.clientWidth + 1)"
        ".map(w => [w.getAttribute('aria-label'), w.scrollWidth, w.clientWidth])"
    )
    for media, width in (("screen", 1280), ("print", 673)):
        page = browser._browser.new_page(viewport={"width": width, "height": 900})
        try:
            page.emulate_media(media=media)
            page.goto(report.html_path.resolve().as_uri(), wait_until="load")
            too_wide = page.evaluate(script)
        finally:
            page.close()
        assert too_wide == [], f"{media}, {width} px: tables wider than the page: {too_wide}"
