"""The board's book: every report of a kind for a period bound into one PDF (and one HTML).

``ils book --period P --kind bolag`` reads the reports already produced under the
reports directory (``DIR/P/ORG/report.html``, the group report
``DIR/P/_grupp/KIND/report.html``) and writes ``OUT/P/_bok/KIND/book.html`` and
``book.pdf``: a cover, a table of contents with page numbers, the group report
first, then each organisation as a chapter that starts on a new page, with
continuous page numbers ("Sida 12 av 230"), the organisation's name in the
running header and a PDF bookmark per chapter, document title and language set,
tagged (PDF/UA-1).

Merging tagged PDFs keeps no valid structure, so the book is one HTML document
made from the reports' HTML (each chapter is a report's ``<main>``, its ids
prefixed and its headings one level down, styled as in the report so that a
chapter has as many pages as the report's own PDF) and rendered once by
WeasyPrint's PDF/UA-1 variant: tags, outline, page numbers and the table of
contents' page numbers (CSS ``target-counter``) come from that one rendering.
"""

from __future__ import annotations

import datetime as dt
import html as _html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import fmt
from ..errors import IlsError
from ..periods import Period

BOOK_DIR = "_bok"
GROUP_DIR = "_grupp"
#: The kinds a book is made for, and its title.
BOOK_TITLES = {"bolag": "Bolagens rapporter", "namnd": "Nämndernas rapporter", "koncern": "Koncernens rapporter"}


class BookError(IlsError):
    """A book cannot be made (no reports of the kind, an unreadable report)."""

    exit_code = 1


@dataclass
class Chapter:
    """One report bound into the book."""

    key: str  # org_id, or "_grupp" for the group report
    title: str  # the organisation's name (the group report's title)
    path: Path  # its report.html
    group: bool = False


@dataclass
class Book:
    """What :func:`make_book` wrote."""

    html: Path
    pdf: Path | None
    chapters: list[Chapter]
    missing: list[tuple[str, str]] = field(default_factory=list)  # (org_id, name) without a report
    pages: int = 0
    title: str = ""


def _esc(text: Any) -> str:
    return _html.escape(str(text), quote=True)


# -- finding the reports ---------------------------------------------------------------------------


def find_chapters(
    orgs: Sequence[tuple[str, str]], period: Period | str, kind: str, reports: Path
) -> tuple[list[Chapter], list[tuple[str, str]]]:
    """The chapters found under ``reports`` for the organisations ``(org_id, name)``, and those missing.

    The group report comes first when it exists; the organisations follow in Swedish
    alphabetical order of their names.
    """
    from ..identifiers import folder_name

    base = Path(reports) / str(period)
    chapters: list[Chapter] = []
    group = base / GROUP_DIR / kind / "report.html"
    if group.is_file():
        chapters.append(Chapter(GROUP_DIR, f"Mål och måluppfyllelse – {_group_plural(kind)}", group, group=True))
    missing = []
    for org_id, name in sorted(orgs, key=lambda o: (fmt.swedish_key(o[1]), o[0])):
        path = base / folder_name(org_id) / "report.html"  # the folder ils run gives the id (con -> ~con)
        if path.is_file():
            chapters.append(Chapter(org_id, name, path))
        else:
            missing.append((org_id, name))
    return chapters, missing


def _group_plural(kind: str) -> str:
    from .group import plural

    return plural(kind)


# -- one HTML document ------------------------------------------------------------------------------

_MAIN = re.compile(r'<main class="ils-report[^"]*">(.*)</main>', re.S)
_HEADING = re.compile(r"<(/?)h([1-5])\b")
_IDS = re.compile(r'\b(id|aria-labelledby)="([^"]*)"')
_HREF = re.compile(r'href="#([^"]*)"')
_LABEL = re.compile(r'aria-label="([^"]*)"')
_SECTION = re.compile(r"<(/?)section\b")
_COVER_H = re.compile(r'(<header class="cover">.*?<h2)( id="[^"]*")?>', re.S)


def chapter_html(chapter: Chapter, n: int) -> str:
    """A report's content as a chapter: ids prefixed, headings one level down, the org named for the outline."""
    try:
        page = chapter.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BookError(f"cannot read the report {chapter.path}: {exc}") from None
    m = _MAIN.search(page)
    if not m:
        raise BookError(f'{chapter.path} is not a report made by ils run (no <main class="ils-report">)')
    body = m.group(1)
    prefix = f"k{n}-"
    body = _IDS.sub(lambda x: f'{x.group(1)}="{prefix}{x.group(2)}"', body)
    body = _HREF.sub(lambda x: f'href="#{prefix}{x.group(1)}"', body)
    body = _HEADING.sub(lambda x: f"<{x.group(1)}h{int(x.group(2)) + 1}", body)
    # every chapter has the same sections and regions ("Målträd", the tables): sections become plain blocks
    # (the chapter's headings still say where one is), regions are named after the chapter, so that each
    # landmark of the book is unique
    body = _SECTION.sub(lambda x: f"<{x.group(1)}div", body)
    body = _LABEL.sub(lambda x: f'aria-label="{x.group(1)} – {_esc(chapter.title)}"', body)
    # the cover's heading (the report's h1, now h2) is the chapter's: it carries the bookmark
    label = _esc(chapter.title)
    body = _COVER_H.sub(
        lambda x: f'{x.group(1)}{x.group(2) or ""} class="chapter-title" data-bookmark="{label}">', body, 1
    )
    variant = " kort" if 'class="ils-report kort"' in page[: m.start() + 60] else ""
    # the draft header (report.css) ends with the chapter before: a draft report's banner sets it again
    reset = '<span class="draft-reset"></span>'
    return f'<article class="chapter{variant}" id="kap-{n}" aria-label="{label}">{reset}{body}</article>'


def book_html(
    chapters: Sequence[Chapter],
    *,
    kind: str,
    period: Period,
    missing: Sequence[tuple[str, str]] = (),
    today: dt.date | None = None,
    for_pdf: bool = False,
) -> str:
    """The book as one self-contained HTML document (see the module docstring).

    ``for_pdf``: the contents without links (a PDF/UA-1 link must be a tagged Link element, which
    WeasyPrint does not make); its page numbers come from ``data-href`` all the same, and the
    bookmarks take the reader to each chapter.
    """
    from .render import _css
    from .tables import swedish_date

    title = f"{BOOK_TITLES.get(kind, 'Rapporter')} – {period.title}"
    today = today or dt.date.today()
    n_orgs = sum(not c.group for c in chapters)
    entry = '<span data-href="#kap-{i}">{t}</span>' if for_pdf else '<a href="#kap-{i}" data-href="#kap-{i}">{t}</a>'
    items = "".join(f"<li>{entry.format(i=i, t=_esc(c.title))}</li>" for i, c in enumerate(chapters, 1))
    missing_html = ""
    if missing:
        names = "".join(f"<li>{_esc(name)} ({_esc(org)})</li>" for org, name in missing)
        missing_html = (
            '<section class="book-missing" aria-labelledby="saknas">'
            f'<h2 id="saknas">Rapporter som saknas</h2><p>Rapporten för {fmt.number(len(missing))} '
            f"{'organisation' if len(missing) == 1 else 'organisationer'} fanns inte när boken sammanställdes "
            f"och ingår därför inte:</p><ul>{names}</ul></section>"
        )
    group_note = (
        ""
        if any(c.group for c in chapters)
        else (
            '<p class="note">Sammanställningen ”Mål och måluppfyllelse” fanns inte när boken sammanställdes och ingår inte.</p>'
        )
    )
    cover = (
        '<header class="cover book-cover">'
        '<p class="kind">Rapportbok</p>'
        f'<h1 id="bok">{_esc(BOOK_TITLES.get(kind, "Rapporter"))}</h1>'
        f'<p class="org-name">{_esc(period.title)}</p>'
        "<dl>"
        f"<dt>Period</dt><dd>{_esc(period.title)} ({_esc(period)})</dd>"
        f"<dt>Organisationer</dt><dd>{fmt.number(n_orgs)}</dd>"
        + (f"<dt>Saknas</dt><dd>{fmt.number(len(missing))}</dd>" if missing else "")
        + f"<dt>Sammanställd</dt><dd>{_esc(swedish_date(today))}</dd>"
        "</dl></header>"
    )
    toc = (
        '<nav class="toc" aria-labelledby="innehall"><h2 id="innehall">Innehåll</h2>'
        f"<ol>{items}</ol>{group_note}{missing_html}</nav>"
    )
    body = "".join(chapter_html(c, i) for i, c in enumerate(chapters, 1))
    return (
        '<!DOCTYPE html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>\n{_css()}\n{BOOK_CSS}\n</style>\n</head>\n<body>\n"
        f'<main class="ils-report ils-book">{cover}{toc}{body}</main>\n</body>\n</html>\n'
    )


#: The book's own style on top of the report's (report.css): chapters styled as the report itself.
BOOK_CSS = """
/* a chapter's headings are one level down (the book has its own h1) but look as in the report */
/* (the bottom margins are those the browser's own style gives h2, h3 and h4: 0.83em, 1em, 1.33em) */
.chapter h2 { font-size: 1.9rem; color: var(--accent); margin: 0.2rem 0 0.4rem; border: 0; padding: 0; }
.chapter h3 { font-size: 1.4rem; color: var(--accent); border-bottom: 2px solid var(--rule); padding-bottom: 0.2rem;
  margin-top: 2.2rem; margin-bottom: 0.83em; }
.chapter h4 { font-size: 1.15rem; margin-top: 1.6rem; margin-bottom: 1em; }
.chapter h5 { font-size: 1rem; margin-top: 1.2rem; margin-bottom: 1.33em; }
.chapter.kort h2 { font-size: 18pt; }
.chapter.kort h3 { font-size: 13pt; margin-top: 0.9rem; }
.chapter { border-top: 6px double var(--rule); margin-top: 3rem; padding-top: 0.5rem; }
.toc ol { padding-left: 1.4rem; }
.toc li { margin: 0.25rem 0; }
.toc a { color: var(--ink); text-decoration: none; }
.book-missing h2 { font-size: 1.15rem; }
@media print {
  .book-cover { break-after: page; border-bottom: 0; margin-top: 30%; }
  .book-cover h1 { font-size: 26pt; }
  .toc { break-after: page; }
  .toc [data-href]::after { content: leader('.') " " target-counter(attr(data-href url), page); }
  .chapter { break-before: page; border-top: 0; margin-top: 0; padding-top: 0; }
  /* the outline: one bookmark per chapter, named after the organisation */
  h1, h2, h3, h4, h5, h6 { bookmark-level: none; }
  .toc > h2 { bookmark-level: 1; }
  .chapter-title { bookmark-level: 1; bookmark-label: attr(data-bookmark); }
  /* the running header names the chapter; the footer is the report's own */
  .book-cover h1 { string-set: chapter "", doc-title content(), draft ""; }
  .chapter-title { string-set: chapter attr(data-bookmark), doc-title content(); }
  /* a chapter starts without the draft header (not on .chapter: a box split over pages sets it again) */
  .draft-reset { string-set: draft ""; }
  .chapter.kort .chapter-title { font-size: 18pt; }
}
@page {
  @top-right { content: string(chapter); font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #4a5360; }
}
"""


def book_files(
    orgs: Sequence[tuple[str, str]],
    *,
    period: Period,
    kind: str,
    reports: Path,
    pdf: bool = True,
    today: dt.date | None = None,
) -> tuple[dict[str, bytes], Book]:
    """The book of ``orgs`` (``(org_id, name)``) from the reports under ``reports``, in memory.

    Returns ``{"book.html": ..., "book.pdf": ...}`` (the PDF when ``pdf``) and what went into it
    (its ``html``/``pdf`` paths are the bare file names). Raises :class:`BookError` when no report
    of the kind exists. ``ils run`` publishes these files as one set; :func:`make_book` writes them.
    """
    chapters, missing = find_chapters(orgs, period, kind, reports)
    if not any(not c.group for c in chapters):
        shown = ", ".join(o for o, _ in missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise BookError(
            f"no reports of kind {kind} for {period} under {Path(reports) / str(period)} (missing: {shown}); "
            f"produce them first: ils run --period {period} --kind {kind} --format html"
        )
    title = f"{BOOK_TITLES.get(kind, 'Rapporter')} – {period.title}"
    files = {"book.html": book_html(chapters, kind=kind, period=period, missing=missing, today=today).encode("utf-8")}
    book = Book(Path("book.html"), None, chapters, list(missing), title=title)
    if pdf:
        files["book.pdf"], book.pages = render_pdf(
            book_html(chapters, kind=kind, period=period, missing=missing, today=today, for_pdf=True)
        )
        book.pdf = Path("book.pdf")
    return files, book


def make_book(
    orgs: Sequence[tuple[str, str]],
    *,
    period: Period,
    kind: str,
    reports: Path,
    out: Path | None = None,
    pdf: bool = True,
    today: dt.date | None = None,
) -> Book:
    """Bind the reports of ``orgs`` (``(org_id, name)``) found under ``reports`` into the book.

    Writes ``OUT/PERIOD/_bok/KIND/book.html`` and ``book.pdf`` (``out`` defaults to ``reports``),
    each whole or not at all. Raises :class:`BookError` when no report of the kind exists.
    """
    from ..fsutil import atomic_write_bytes

    files, book = book_files(orgs, period=period, kind=kind, reports=reports, pdf=pdf, today=today)
    target = Path(out or reports) / str(period) / BOOK_DIR / kind
    target.mkdir(parents=True, exist_ok=True)
    book.html = target / "book.html"
    atomic_write_bytes(book.html, files["book.html"])
    if pdf:
        book.pdf = target / "book.pdf"
        atomic_write_bytes(book.pdf, files["book.pdf"])
    return book


def render_pdf(html: str) -> tuple[bytes, int]:
    """The book's HTML as a tagged PDF/UA-1 document; also its number of pages."""
    from .render import pdf_and_pages

    return pdf_and_pages(html)
