"""Executed notebook -> self-contained HTML (our own nbconvert template) -> accessible PDF.

The HTML has no code, no prompts, no streams or errors and nothing fetched
from the network (nbconvert's stock templates load require.js and MathJax from
a CDN; ours loads nothing). The PDF is made in process by WeasyPrint: A4, page
numbers, tagged (PDF/UA-1), document language and title from the HTML.
"""

from __future__ import annotations

import functools
import io
import logging
from pathlib import Path

import nbformat

from .. import __version__

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
TEMPLATE_NAME = "ils_report"


@functools.lru_cache(maxsize=1)
def _css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _exporter():
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
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Render HTML as a tagged PDF/UA-1 document on A4 (title and language come from the HTML)."""
    # WeasyPrint warns about CSS it does not support (e.g. screen-only rules); not the reader's business.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from weasyprint import HTML

    out = io.BytesIO()
    HTML(string=html, base_url=base_url or str(TEMPLATES)).write_pdf(
        out,
        pdf_variant="pdf/ua-1",
        font_config=_font_config(),
    )
    return out.getvalue()


# A page with what reports hold: the headings, a data table with numbers, every status symbol, bold,
# italic, a figure, the key figures, Swedish letters. Rendering it once warms WeasyPrint's and Pango's
# caches (font faces, glyphs, style rules) the way a real report uses them.
_WARM_BODY = """
<section class="cover"><p class="kind">Nämnd</p><h1 class="org-name">Uppvärmning Åäö</h1>
<p class="intro">Tertialrapport 2 2026 – <em>utkast</em> <strong>fetstil</strong>&nbsp;►</p></section>
<div class="kpis"><div><span class="label">Nettoresultat</span><span class="value">−1,2 mnkr</span></div></div>
<h2>Mål och måluppfyllelse</h2><h3 class="goal">Mål 1</h3><h4>Indikatorer</h4>
<div class="table-wrap keep"><table class="data"><caption>Tabell 1. Indikatorer</caption>
<thead><tr><th scope="col">Indikator</th><th scope="col" class="num">Utfall</th><th scope="col">Status</th></tr></thead>
<tbody>
<tr><th scope="row">Sjukfrånvaro</th><td class="num">9,7 %</td><td><span class="status status-uppfyllt">✓ Uppfyllt</span></td></tr>
<tr><th scope="row">Öppettider</th><td class="num nowrap">1 234,5</td><td><span class="status status-delvis">◐ Delvis uppfyllt</span></td></tr>
<tr class="own"><th scope="row">Å</th><td class="num">−0,4</td><td><span class="status status-ej_uppfyllt">✗ Ej uppfyllt</span></td></tr>
<tr class="total"><th scope="row">Summa</th><td class="num derived">–</td><td><span class="status status-saknas">– Saknas</span></td></tr>
<tr><th scope="row">Ej bedömt</th><td class="num q-red">0</td><td><span class="status status-ej_bedomt">– Ej bedömt</span>
<span class="status status-ej_malsatt">Ej målsatt</span></td></tr>
</tbody></table></div>
<p class="note table-note">Not: <span class="flag">avvikelse</span> mot budget.</p>
<figure><img alt="Diagram" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="/>
<figcaption>Figur 1. Uppvärmning</figcaption></figure>
<dl><dt>Datakälla</dt><dd>Lagret</dd></dl>
"""


def warm_up() -> bytes:
    """Render a report-like page to PDF once, so that a process forked afterwards starts warm; the PDF.

    Meant for the fork server's warm-up (:mod:`ilslib.runner.warm`): each report
    process forked from it then finds WeasyPrint's font faces, glyphs and
    style caches ready (measured: about 0.05 s less per report's PDF than
    after warming with a page of plain text only).
    """
    html = (
        f'<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8"><title>Uppvärmning</title>'
        f'<style>{_css()}</style></head><body><main class="ils-report">{_WARM_BODY}</main></body></html>'
    )
    return html_to_pdf(html)
