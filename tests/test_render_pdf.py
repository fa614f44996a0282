"""render.html_to_pdf made cheaper per report, the PDF unchanged.

The page's style sheet is parsed once per process and handed to WeasyPrint as a
parsed sheet, and the cyclic garbage collector rests during the render: the PDF
must be byte for byte the one WeasyPrint makes from the page as it is (a real
report, its short version, and pages where moving the sheet would change the
cascade, which therefore go the ordinary way). The PDF/UA-1 checks of the
reports' PDFs are in test_report_a11y.py (they run on PDFs made by this code).
"""

from __future__ import annotations

import gc
import io
import re

import pytest
from report_support import Reports

from ilslib.report import render
from ilslib.report.present import report_css


def _weasyprints_own(html: str) -> bytes:
    """The PDF WeasyPrint makes from the page as it is (the way html_to_pdf did before)."""
    from weasyprint import HTML

    out = io.BytesIO()
    HTML(string=html, base_url=str(render.TEMPLATES)).write_pdf(
        out, pdf_variant="pdf/ua-1", font_config=render._font_config()
    )
    return out.getvalue()


def _page(body: str, *, css: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="sv"><head><meta charset="utf-8"><title>Prov åäö</title>'
        f"{css}</head><body>{body}</body></html>"
    )


@pytest.mark.parametrize("which", ["report", "kort"])
def test_report_pdf_is_byte_for_byte_weasyprints_own(reports: Reports, which: str) -> None:
    report = reports.org("SDN_SJV", "2026-T2") if which == "report" else reports.kort("UTN", "2026-T2")
    html = report.html()
    assert f"<style>\n{report_css()}\n</style>" in html, "the report no longer carries the style sheet inline"
    render._stylesheet.cache_clear()
    pdf = render.html_to_pdf(html)
    # the sheet was taken out of the page and parsed once: the second report finds it parsed
    assert render._stylesheet.cache_info().misses == 1
    assert render.html_to_pdf(html) == pdf
    assert render._stylesheet.cache_info().hits == 1
    assert pdf == _weasyprints_own(html)
    assert pdf.startswith(b"%PDF-1.7")


def test_the_warm_up_parses_the_reports_style_sheet_for_every_report(reports: Reports) -> None:
    html = reports.org("SDN_SJV", "2026-T2").html()
    render._stylesheet.cache_clear()
    render.warm_up_pdf()
    assert render._stylesheet.cache_info().misses == 1
    render.html_to_pdf(html)
    info = render._stylesheet.cache_info()
    assert (info.misses, info.hits) == (1, 1), "a report parsed the style sheet again after the warm-up"


CASES = {
    # A parsed sheet gets WeasyPrint's user origin: its !important would beat the style attribute's.
    "important": _page(
        '<p style="color: #0000cc !important">blå</p>', css="<style>p { color: #cc0000 !important; }</style>"
    ),
    # With two sheets the first, made a user sheet, would lose to the second despite its specificity.
    "two sheets": _page(
        "<main><p>röd</p></main>", css="<style>main p { color: #cc0000; }</style><style>p { color: #0000cc; }</style>"
    ),
    "no sheet": _page("<h1>Rubrik</h1><p>Text &lt;script&gt; &amp; &quot;citat&quot;</p>"),
    "a sheet and style attributes": _page(
        '<h1>Rubrik</h1><p style="color: #0000cc">blå</p><p class="x">=SUMMA(A1)</p>',
        css="<style>p { color: #cc0000; } .x { font-weight: bold; }</style>",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_edge_pages_give_weasyprints_own_pdf(case: str) -> None:
    html = CASES[case]
    assert render.html_to_pdf(html) == _weasyprints_own(html)


def test_a_sheet_that_cannot_move_is_left_in_the_page() -> None:
    for case in ("important", "two sheets"):
        assert render._split_style(CASES[case]) is None, case
    assert render._split_style(_page("<p>x</p>", css='<base href="/x/"><style>p{}</style>')) is None
    rest, css = render._split_style(CASES["a sheet and style attributes"])  # type: ignore[misc]
    assert css == "p { color: #cc0000; } .x { font-weight: bold; }"
    assert "<style" not in rest and 'style="color: #0000cc"' in rest


def _fill_color_of(pdf: bytes, word: str) -> str:
    """The fill colour the first content stream sets (``r g b rg``), as the reader sees the word."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        stream = doc.pages[0].Contents.read_bytes().decode("latin-1")
    colours = re.findall(r"([\d.]+ [\d.]+ [\d.]+) rg", stream)
    assert colours, f"no fill colour for {word!r}"
    return colours[-1]


def test_the_cascade_is_kept_where_it_would_differ() -> None:
    # the style attribute's !important wins (blue), and the more specific rule of the first sheet (red)
    assert _fill_color_of(render.html_to_pdf(CASES["important"]), "blå") == "0 0 0.8"
    assert _fill_color_of(render.html_to_pdf(CASES["two sheets"]), "röd") == "0.8 0 0"


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_as_it_was_after_the_render(enabled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        render.html_to_pdf(CASES["no sheet"])
        assert gc.isenabled() is enabled

        def fails(*args: object, **kwargs: object) -> None:
            assert not gc.isenabled(), "the collector runs during the render"
            raise OSError("No space left on device")

        monkeypatch.setattr(weasyprint.HTML, "render", fails)
        with pytest.raises(OSError, match="No space"):
            render.html_to_pdf(CASES["no sheet"])
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_pdf_and_pages_counts_the_pages_of_the_same_pdf(reports: Reports) -> None:
    import pikepdf

    html = reports.kort("UTN", "2026-T2").html()
    pdf, pages = render.pdf_and_pages(html)
    assert pdf == render.html_to_pdf(html)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert pages == len(doc.pages) == 2  # the short version is two pages
