"""The SVG drawing primitives of the charts: nice ticks that cover the data, Swedish tick labels, text measured
like the real font, XML escaping, and documents that parse as XML."""

from __future__ import annotations

import math
from xml.etree import ElementTree

import pytest

from ilslib import fmt
from ilslib.report import svg
from tests.report_support import assert_inert_svg

RANGES = [
    (0, 1), (0, 0.9), (3, 97), (79.6, 90.2), (-4.5, 12.5), (-2.3e9, 1e8), (0.001, 0.0042), (5, 5), (-7, -7),
    (0, 0), (1234, 1299), (-0.3, 0.0), (12_800, 0), (0.1, 0.3), (99.2, 100), (1e-7, 3e-7), (17, 17.000001),
]  # fmt: skip


def _is_nice(step: float) -> bool:
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-12)
    return any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 2.5, 5))


@pytest.mark.parametrize(("lo", "hi"), RANGES)
def test_ticks_are_nice_evenly_spaced_and_cover_the_data(lo: float, hi: float) -> None:
    ticks = svg.nice_ticks(lo, hi)
    assert ticks[0] <= min(lo, hi) and ticks[-1] >= max(lo, hi)
    assert 2 <= len(ticks) <= 7
    steps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert all(math.isclose(s, steps[0], rel_tol=1e-6) for s in steps) and _is_nice(steps[0]), ticks
    labels = svg.tick_labels(ticks)
    assert len(set(labels)) == len(labels), labels
    assert all(abs(t / steps[0] - round(t / steps[0])) <= 1e-6 * max(1, abs(t / steps[0])) for t in ticks)
    if min(lo, hi) >= 0:
        assert ticks[0] >= 0, "no negative tick for data that is not negative"


@pytest.mark.parametrize(("lo", "hi"), [(0, 3), (0, 0.2), (80, 81), (0, 47), (-3, 2)])
def test_whole_number_ticks_for_counts(lo: float, hi: float) -> None:
    ticks = svg.nice_ticks(lo, hi, integer=True)
    assert all(float(t).is_integer() for t in ticks) and ticks[0] <= lo and ticks[-1] >= hi


def test_ticks_need_finite_limits() -> None:
    with pytest.raises(ValueError, match="finite"):
        svg.nice_ticks(0, float("nan"))


def test_tick_labels_are_swedish_with_the_decimals_the_ticks_need() -> None:
    assert svg.tick_labels([0, 1234, 2468]) == ["0", f"1{fmt.NBSP}234", f"2{fmt.NBSP}468"]
    assert svg.tick_labels([0, 12.5, 25]) == ["0,0", "12,5", "25,0"]
    assert svg.tick_labels([0, 0.25, 0.5]) == ["0,00", "0,25", "0,50"]
    assert svg.tick_labels([-5, 0, 5], f"{fmt.NBSP}%") == [f"{fmt.MINUS}5{fmt.NBSP}%", f"0{fmt.NBSP}%", f"5{fmt.NBSP}%"]
    assert svg.tick_labels([-2e9, 0]) == [f"{fmt.MINUS}2{fmt.NBSP}000{fmt.NBSP}000{fmt.NBSP}000", "0"]


def test_the_width_table_matches_the_font() -> None:
    """The widths used to place text are DejaVu Sans's own (the report's first font), to a few per cent."""
    from fontTools.ttLib import TTFont

    fonts = {
        False: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        True: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    }
    text = "Miljö- och hälsoskyddsnämnden: 1\u00a0234,5 % – ÅÄÖ (T2) ►"
    for bold, path in fonts.items():
        font = TTFont(path)
        cmap, hmtx, upm = font.getBestCmap(), font["hmtx"], font["head"].unitsPerEm
        real = sum(hmtx[cmap[ord(c)]][0] for c in text) * 12 / upm
        assert svg.text_width(text, 12, bold=bold) == pytest.approx(real, rel=0.01)
    assert svg.text_width("漢字", 12) > 0, "a character outside the table still takes room"


def test_text_is_escaped_for_xml_and_control_characters_dropped() -> None:
    assert svg.xml_text("<script>alert(\"x\")</script> & 'åäö'") == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;åäö&#x27;"
    )
    assert svg.xml_text("a\x00b\x1bc\td") == "abc\td"
    c = svg.Canvas(200, 50)
    c.text(10, 20, '<b>R&D "AB"</b>\x07 åäö', anchor="middle", bold=True)
    doc = c.render()
    assert_inert_svg(doc)
    (text,) = ElementTree.fromstring(doc).iter("{http://www.w3.org/2000/svg}text")
    assert text.text == '<b>R&D "AB"</b> åäö' and text.get("text-anchor") == "middle"


def test_wrap_breaks_between_words_and_shortens_past_the_last_line() -> None:
    name = "Andel elever i årskurs 9 som är behöriga till ett yrkesprogram"
    lines = svg.wrap(name, 200, 13)
    assert " ".join(lines) == name and all(svg.text_width(ln, 13) <= 200 for ln in lines)
    long_word = "Socialförvaltningensäldreomsorgsverksamhetsuppföljningsrapport"
    lines = svg.wrap(long_word, 120, 13, max_lines=10)
    assert "".join(lines) == long_word and all(svg.text_width(ln, 13) <= 120 for ln in lines)
    lines = svg.wrap(name * 3, 200, 13, max_lines=2)
    assert len(lines) == 2 and lines[1].endswith("…") and svg.text_width(lines[1], 13) <= 200
    assert svg.shorten("Kort", 100, 12) == "Kort"
    short = svg.shorten("Mälarviks Arena & Evenemang AB", 80, 12)
    assert short.endswith("…") and svg.text_width(short, 12) <= 80 and short[:-1] in "Mälarviks Arena & Evenemang AB"


def test_a_line_with_gaps_and_a_lone_point() -> None:
    c = svg.Canvas(300, 200)
    series = svg.Series("S", [1.0, None, 3.0, 4.0, float("nan"), 6.0], "#0b4f8a", marker=None)
    panel = svg.Panel(x_labels=list("abcdef"), series=[series])
    svg.draw_panel(c, panel, 0, 0, 300, 200)
    root = ElementTree.fromstring(c.render())
    lines = list(root.iter("{http://www.w3.org/2000/svg}polyline"))
    assert len(lines) == 1 and len(lines[0].get("points").split()) == 2  # 3 and 4; 1 and 6 stand alone
    strokes = [p.get("d") for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("stroke") == "#0b4f8a"]
    assert len(strokes) == 1 and strokes[0].count("M") == 2, "a lone point of a line without markers: a short stroke"
    assert panel.y_limits == (0.0, 6.0) or panel.y_limits[0] <= 1 and panel.y_limits[1] >= 6


def test_figure_embeds_base64_svg_with_its_alt_text_and_caption() -> None:
    html = svg.figure(svg.Canvas(10, 10).render(), alt='Diagram "x" & <y>', caption="Bild <1>")
    assert html.startswith('<figure><img src="data:image/svg+xml;base64,')
    assert 'alt="Diagram &quot;x&quot; &amp; &lt;y&gt;"' in html and "<figcaption>Bild &lt;1&gt;</figcaption>" in html
    with pytest.raises(ValueError, match="text alternative"):
        svg.figure("<svg/>", alt=" ")
