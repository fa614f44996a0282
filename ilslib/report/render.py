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
from typing import TYPE_CHECKING

import nbformat

from .. import __version__

if TYPE_CHECKING:  # imported when first used: both take a while to import
    from nbconvert import HTMLExporter
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
