"""The files of one report, made from its executed notebook: ``{name: bytes}``.

Everything comes from what the notebook showed and published
(:func:`~ilslib.report.present.publish_meta`, :func:`~ilslib.report.present.show`):
the HTML from its outputs, the PDF from that HTML, ``report.xlsx`` from the
tables it showed (in order) and its "about" items, ``figures.json`` from the
figures it published. The runner writes each file atomically; a report set
(the full report, the short version) is one call per notebook.
"""

from __future__ import annotations

import json
from typing import Any

#: The formats a report can be written in, and the file each gives (``figures.json`` always).
FORMATS = {"html": "report.html", "pdf": "report.pdf", "xlsx": "report.xlsx"}


def report_files(
    nb: Any,
    *,
    formats: tuple[str, ...] = ("html", "pdf", "xlsx"),
    stem: str = "report",
    notebook: str | None = None,
    title: str | None = None,
) -> dict[str, bytes]:
    """The report's files: ``STEM.html``, ``STEM.pdf``, ``STEM.xlsx`` (as asked) and ``figures.json``.

    ``stem`` names the files (``report-kort`` for the short version); ``notebook``
    is written into ``figures.json``'s provenance; ``title`` is the document's title
    when the notebook published none (``publish_meta(title=...)``), else ``stem``.
    """
    from .excel import workbook
    from .present import read_meta, read_tables
    from .render import html_to_pdf, notebook_to_html

    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(unknown)}: expected {', '.join(FORMATS)}")
    meta = read_meta(nb)
    title = str(meta.get("title") or title or stem)
    out: dict[str, bytes] = {}
    figures = meta.get("figures")
    if figures is not None:
        if notebook is not None:
            figures.setdefault("provenance", {})["notebook"] = notebook
        out["figures.json"] = (json.dumps(figures, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode()
    html = notebook_to_html(nb, title=title) if {"html", "pdf"} & set(formats) else ""
    if "html" in formats:
        out[f"{stem}.html"] = html.encode("utf-8")
    if "pdf" in formats:
        out[f"{stem}.pdf"] = html_to_pdf(html)
    if "xlsx" in formats:
        about = [tuple(pair) for pair in meta.get("about") or []]
        draft = bool(figures and (figures.get("draft") or figures.get("not_approved")))
        out[f"{stem}.xlsx"] = workbook(
            read_tables(nb), title=title, about=about, notes=meta.get("about_notes") or (), draft=draft
        )
    return out
