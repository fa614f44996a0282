"""The board's book: a kind's reports bound into one tagged PDF with a cover, contents and a bookmark per chapter.

The companies' reports for 2026-T2 (HTML and PDF), their group report and their book are those
of the standard run set (``ils run parameters/standard.yaml``: its book entry, once per session);
the book is checked with pypdf (outline, pages), pikepdf (title, language, tags), pdftotext
(contents page numbers, running header) and the PDF/UA-1 validator page-validation (no
failures); ``ils book`` makes the same book from the same reports.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from report_support import unavailable

from ilslib import figures as f

PERIOD = "2026-T2"
KIND = "bolag"


@pytest.fixture(scope="module")
def produced(standard_run: Path) -> Path:
    """Every company's report (HTML and PDF) and the companies' group report, as ils run wrote them."""
    return standard_run


@pytest.fixture(scope="module")
def book(produced: Path, demo_wh: Any) -> dict[str, Any]:
    """The companies' book the standard run set bound (its book entry)."""
    import json

    from ilslib.report.book import Book

    orgs = f.organisations(demo_wh, KIND)
    members = list(zip(orgs["org_id"], orgs["name"], strict=True))
    target = produced / PERIOD / "_bok" / KIND
    meta = json.loads((target / ".ils-state.book.json").read_text(encoding="utf-8"))["meta"]
    made = Book(target / "book.html", target / "book.pdf", [], [], pages=meta["pages"], title=meta["title"])
    return {"book": made, "members": members, "reports": produced}


def _outline(path: Path) -> list[tuple[str, int]]:
    import pypdf

    reader = pypdf.PdfReader(path)
    return [(o.title, reader.get_destination_page_number(o) + 1) for o in reader.outline if not isinstance(o, list)]


def _pages(path: Path) -> int:
    import pypdf

    return len(pypdf.PdfReader(path).pages)


def _pdftotext(*args: str) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        unavailable("pdftotext is missing (poppler-utils)")
    return subprocess.run([exe, *args, "-"], capture_output=True, text=True, check=True, timeout=120).stdout


def test_one_bookmark_per_chapter_in_order_group_report_first(book: dict[str, Any]) -> None:
    from ilslib.fmt import swedish_key

    made = book["book"]
    titles = [t for t, _ in _outline(made.pdf)]
    names = [n for _, n in sorted(book["members"], key=lambda o: (swedish_key(o[1]), o[0]))]
    assert titles == ["Innehåll", "Mål och måluppfyllelse – bolagen", *names]
    assert len(names) == 15


def test_page_count_is_cover_contents_and_the_chapters(book: dict[str, Any]) -> None:
    made = book["book"]
    reports = book["reports"] / PERIOD
    outline = _outline(made.pdf)
    starts = {t: p for t, p in outline}
    assert starts["Innehåll"] == 2  # the cover is page 1
    contents_pages = starts["Mål och måluppfyllelse – bolagen"] - 2
    assert contents_pages == 1
    chapter_pages = [_pages(reports / "_grupp" / KIND / "report.pdf")] + [
        _pages(reports / o / "report.pdf") for o, _ in sorted(book["members"], key=lambda o: (o[1].lower(), o[0]))
    ]
    total = _pages(made.pdf)
    assert total == made.pages == 1 + contents_pages + sum(chapter_pages)
    # each chapter has exactly the pages of the organisation's own report and starts where the contents say
    by_name = {n: o for o, n in book["members"]}
    chapters = outline[1:]
    for (title, start), (_, nxt) in zip(chapters, [*chapters[1:], ("end", total + 1)], strict=True):
        own = reports / ("_grupp/" + KIND if title.startswith("Mål och") else by_name[title]) / "report.pdf"
        assert nxt - start == _pages(own), title
    toc = _pdftotext("-layout", "-f", "2", "-l", "2", str(made.pdf))
    for title, start in chapters:
        line = next(ln for ln in toc.splitlines() if title in ln)
        assert re.search(rf"\.\s*{start}\s*$", line), (title, start, line)


def test_continuous_page_numbers_and_the_organisation_in_the_running_header(book: dict[str, Any]) -> None:
    made = book["book"]
    total = made.pages
    outline = _outline(made.pdf)
    title, start = outline[3]
    page = _pdftotext("-layout", "-f", str(start + 1), "-l", str(start + 1), str(made.pdf))
    lines = [ln.strip() for ln in page.splitlines() if ln.strip()]
    assert lines[0] == title, "the chapter's organisation heads each of its pages"
    assert f"Sida {start + 1} av {total}" in lines[-1]


def test_title_language_and_tags(book: dict[str, Any]) -> None:
    import pikepdf

    made = book["book"]
    with pikepdf.open(made.pdf) as pdf:
        assert str(pdf.Root.Lang) == "sv"
        assert str(pdf.docinfo.Title) == "Bolagens rapporter – Tertialrapport 2 2026" == made.title
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        assert bool(pdf.Root.MarkInfo.Marked) is True and "/StructTreeRoot" in pdf.Root
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"


def test_the_pdf_ua_validator_reports_no_failures(book: dict[str, Any]) -> None:
    import page

    report = page.validate_pdf(book["book"].pdf, profile="ua1")
    assert report.is_compliant, [f"{x.rule_id}: {x.message}" for x in report.failures[:10]]
    assert report.rules.failed == 0 and report.failures == []


def test_the_book_html_is_one_document_with_unique_ids(book: dict[str, Any]) -> None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(book["book"].html.read_text(encoding="utf-8"), "html.parser")
    ids = [el["id"] for el in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    assert [h.get_text() for h in soup.find_all("h1")] == ["Bolagens rapporter"]
    links = [a["href"] for a in soup.select("nav.toc a")]
    assert len(links) == 16 and all(soup.find(id=h[1:]) for h in links)
    for el in soup.find_all(attrs={"aria-labelledby": True}):
        assert soup.find(id=el["aria-labelledby"]), el["aria-labelledby"]


def test_missing_reports_are_named_and_no_reports_is_a_one_line_error(
    produced: Path, demo_url: str, demo_wh: Any, tmp_path: Path, ils: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    partial = tmp_path / "partial"
    shutil.copytree(
        produced / PERIOD, partial / PERIOD, ignore=shutil.ignore_patterns("_bok", "*.lock"), copy_function=os.link
    )
    # ils book binds the same book as the run set's book entry, from the same reports
    monkeypatch.setenv("ILS_WAREHOUSE", demo_url)
    code, out, err = ils("book", "--period", PERIOD, "--kind", KIND, "--reports", partial, "--html-only")
    assert code == 0, err
    made, run = (
        re.sub(
            r"<dt>Sammanställd</dt><dd>[^<]*</dd>", "", (d / PERIOD / "_bok" / KIND / "book.html").read_text("utf-8")
        )
        for d in (partial, produced)
    )
    assert made == run and "Mälarviks Hamn AB" in made
    shutil.rmtree(partial / PERIOD / "_bok")
    for org in ("HAMN", "KONST"):
        shutil.rmtree(partial / PERIOD / org)
    monkeypatch.setenv("ILS_WAREHOUSE", demo_url)
    code, out, err = ils("book", "--period", PERIOD, "--kind", KIND, "--reports", partial, "--out", tmp_path / "o")
    assert code == 0, err
    assert "missing reports: HAMN, KONST" in out or "missing reports: KONST, HAMN" in out
    book_html = (tmp_path / "o" / PERIOD / "_bok" / KIND / "book.html").read_text(encoding="utf-8")
    assert "Rapporter som saknas" in book_html and "Mälarviks Hamn AB (HAMN)" in book_html
    assert (tmp_path / "o" / PERIOD / "_bok" / KIND / "book.pdf").read_bytes().startswith(b"%PDF-")
    assert not (partial / PERIOD / "_bok").exists(), "--out was honoured"
    # no report of the kind at all (the boards' reports removed; their group report stays)
    for org in f.organisations(demo_wh, "namnd")["org_id"]:
        shutil.rmtree(partial / PERIOD / org)
    assert (partial / PERIOD / "_grupp" / "namnd" / "report.html").is_file()
    code, out, err = ils("book", "--period", PERIOD, "--kind", "namnd", "--reports", partial)
    assert code != 0 and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("ils: error: no reports of kind namnd for 2026-T2")
    assert not (partial / PERIOD / "_bok" / "namnd").exists(), "nothing written"
    code, out, err = ils("book", "--period", PERIOD, "--kind", KIND, "--reports", tmp_path / "nowhere")
    assert code != 0 and err.startswith("ils: error: --reports:") and err.count("\n") == 1


def test_a_draft_chapter_says_so_on_each_of_its_pages_and_an_approved_one_never(book: dict[str, Any], demo_wh) -> None:
    """Each chapter starts without the draft header; a report whose reporting is not approved sets it again."""
    from ilslib.round.state import draft_label, states

    made = book["book"]
    by_name = {n: o for o, n in book["members"]}
    now = states(demo_wh, PERIOD, list(by_name.values()))
    outline = _outline(made.pdf)
    chapters = outline[2:]  # the companies, after the contents and the group report
    assert {now[by_name[t]] for t, _ in chapters} == {"godkand", "klar", "pagaende"}  # the demo's mix
    for (title, start), (_, nxt) in zip(chapters, [*chapters[1:], ("end", made.pages + 1)], strict=True):
        state = now[by_name[title]]
        for page in range(start, nxt):
            top = _pdftotext("-layout", "-f", str(page), "-l", str(page), str(made.pdf)).strip().splitlines()[0]
            if state == "godkand":
                assert "Utkast" not in top, (title, page, top)
            else:
                assert draft_label(state) in top, (title, page, top)
