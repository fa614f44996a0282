"""Executed notebook -> self-contained HTML (our own nbconvert template) -> accessible PDF.

The HTML has no code, no prompts, no streams or errors and nothing fetched
from the network (nbconvert's stock templates load require.js and MathJax from
a CDN; ours loads nothing). The PDF is made in process by WeasyPrint: A4, page
numbers, tagged (PDF/UA-1), document language and title from the HTML.
"""

from __future__ import annotations

import functools
import gc
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from .. import __version__

if TYPE_CHECKING:  # imported when first used: both take a while to import
    from nbconvert import HTMLExporter
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE_NAME = "ils_report"


def _css() -> str:
    from .present import report_css

    return report_css()


@functools.lru_cache(maxsize=1)
def _exporter() -> HTMLExporter:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name=TEMPLATE_NAME,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
    )
    return exporter


#: Layout variants a notebook may ask for (``publish_meta(variant=...)``): a class on ``<main>``.
VARIANTS = ("kort",)


def notebook_to_html(nb: nbformat.NotebookNode, *, title: str, lang: str = "sv") -> str:
    """Render an executed notebook as a self-contained HTML document.

    A notebook that published ``variant="kort"`` (the short version) gets its layout:
    ``<main class="ils-report kort">``.
    """
    from .present import PRIVATE_MIMETYPES, read_meta

    variant = read_meta(nb).get("variant")
    # The runner's metadata is not for the reader: left out of a shallow copy (nbconvert deep-copies
    # the notebook itself, twice; a third copy here cost about 0.05 s a report, mostly the charts' PNGs).
    private = set(PRIVATE_MIMETYPES)
    cells = []
    for cell in nb.cells:
        if cell.get("outputs"):
            cell = nbformat.NotebookNode(cell)
            cell.outputs = [o for o in cell.outputs if not private & set(o.get("data") or {})]
        cells.append(cell)
    nb = nbformat.NotebookNode(nb)
    nb.cells = cells
    resources = {
        "ils": {
            "title": title,
            "lang": lang,
            "css": _css(),
            "version": __version__,
            "variant": variant if variant in VARIANTS else "",
        }
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body


@functools.lru_cache(maxsize=1)
def _font_config() -> FontConfiguration:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


_STYLE_OPEN = "<style>"
_STYLE_CLOSE = "</style>"


@functools.lru_cache(maxsize=8)
def _stylesheet(css: str, base_url: str) -> CSS:
    """``css`` parsed and its selectors compiled once (per process; the fork server's warm-up fills it).

    A report's style sheet is the same text for every report, so its parse and selector index
    (a few hundredths of a second of CPU) are shared by every report process forked after.
    """
    from weasyprint import CSS

    return CSS(string=css, base_url=base_url, font_config=_font_config())


def _split_style(html: str) -> tuple[str, str] | None:
    """``(html without its style sheet, the style sheet)`` when the page has one ``<style>`` and no other CSS.

    Only then is the cascade the same with the sheet given to WeasyPrint as a parsed ``CSS``:
    WeasyPrint gives such a sheet the user origin, which ranks like the author origin of the
    ``<style>`` element as long as it is the only sheet beside the user agent's and has no
    ``!important`` (the order of author, user and user-agent *important* declarations differs).
    Style attributes still win (author origin), as they did by specificity. A ``<base>`` element
    would change what the sheet's URLs are relative to: such a page goes the ordinary way too.
    """
    start = html.find(_STYLE_OPEN)
    if start < 0:
        return None
    end = html.find(_STYLE_CLOSE, start)
    if end < 0:
        return None
    css = html[start + len(_STYLE_OPEN) : end]
    rest = html[:start] + html[end + len(_STYLE_CLOSE) :]
    if "<style" in rest or "<link" in rest or "<base" in rest or "!important" in css:
        return None
    return rest, css


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Render HTML as a tagged PDF/UA-1 document on A4 (title and language come from the HTML).

    The page's style sheet is parsed once per process and reused (:func:`_stylesheet`); the
    PDF is byte for byte the one WeasyPrint makes from the page as it is.
    """
    return pdf_and_pages(html, base_url=base_url)[0]


def pdf_and_pages(html: str, *, base_url: str | None = None) -> tuple[bytes, int]:
    """:func:`html_to_pdf`, and the number of pages of the PDF (for the books' contents)."""
    # WeasyPrint warns about CSS it does not support (e.g. screen-only rules); not the reader's business.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from weasyprint import HTML

    base_url = base_url or str(TEMPLATES)
    stylesheets = []
    split = _split_style(html)
    if split is not None:
        html, css = split
        stylesheets.append(_stylesheet(css, base_url))
    out = io.BytesIO()
    # The layout makes hundreds of thousands of objects, none of them garbage before the end, and
    # no reference cycle worth collecting early: the cyclic collector only walked them again and
    # again (a tenth of a report's time, a fifth of a book's). It runs as before once the PDF is made.
    enabled = gc.isenabled()
    gc.disable()
    try:
        # HTML.write_pdf is render() then write_pdf() with the same options; done in two steps
        # here only to count the pages.
        options = {"pdf_variant": "pdf/ua-1", "stylesheets": stylesheets}
        document = HTML(string=html, base_url=base_url).render(font_config=_font_config(), **options)
        document.write_pdf(out, **options)
    finally:
        if enabled:
            gc.enable()
    return out.getvalue(), len(document.pages)


#: A page like a report's, for :func:`warm_up_pdf`: every font face and text style of the report's
#: style sheet (regular, bold, italic; headings, tables, status labels, figures).
_WARM_BODY = """<main class="ils-report"><header class="cover"><p class="kind">Nämnd</p>
<h1>Uppvärmning åäö</h1><dl><dt>Organisation</dt><dd class="org-name">Åre</dd></dl></header>
<section><h2>Översikt</h2><h3>Mål</h3><h4>Delmål</h4>
<ul class="kpis"><li><span class="label">Indikatorer</span><span class="value">1 av 3</span></li></ul>
<p class="intro">Text med <strong>fet</strong> och <em>kursiv</em> stil, <span class="sub">liten</span>.</p>
<div class="table-wrap keep"><table class="data"><caption>Tabell</caption>
<thead><tr><th scope="col">Namn</th><th scope="col" class="num">Värde</th><th scope="col">Status</th></tr></thead>
<tbody><tr><th scope="row">Ärende</th><td class="num">−1 234,5</td>
<td><span class="status status-uppfyllt">✓ Uppfyllt</span></td></tr>
<tr class="total"><th scope="row">Summa</th><td class="num derived">12,5 %</td><td class="q-red">✗</td></tr></tbody>
</table></div><p class="table-note">Not.</p>
<figure><img src="data:image/svg+xml;base64,{svg}" alt="Diagram"><figcaption>Diagram</figcaption></figure>
<figure><img src="data:image/png;base64,{png}" alt="Bild"></figure>
<div class="free-text"><p>Kommentar.</p></div></section>
<footer class="about"><p>Om rapporten</p></footer></main>"""

#: A tiny chart (text and lines) and a 1x1 PNG with alpha, like the reports' images.
_WARM_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" font-family="\'DejaVu Sans\', sans-serif">'
    '<line x1="0" y1="30" x2="120" y2="30" stroke="#8d99a6"/><polyline points="0,20 60,10 120,25" fill="none" '
    'stroke="#0b4f8a" stroke-dasharray="4 2"/><text x="60" y="38" font-size="8" text-anchor="middle">1 234,5</text></svg>'
)
_WARM_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def warm_up_pdf() -> None:
    """Render a small page like a report once: for the fork server's warm-up, before reports are forked.

    Parses the reports' style sheet into the cache :func:`html_to_pdf` uses, and loads what
    WeasyPrint loads on first use (the font faces and sizes of the report, the SVG and PNG image
    code), so no report process pays for it.
    """
    import base64

    from .present import report_css

    body = _WARM_BODY.format(svg=base64.b64encode(_WARM_SVG.encode()).decode(), png=_WARM_PNG)
    # The same <style> text as a report (templates/ils_report): the cache key is the sheet's text.
    page = (
        '<!DOCTYPE html>\n<html lang="sv">\n<head>\n<meta charset="utf-8">\n<title>Uppvärmning</title>\n'
        f"<style>\n{report_css()}\n</style>\n</head>\n<body>\n{body}\n</body>\n</html>"
    )
    html_to_pdf(page)
