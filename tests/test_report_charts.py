"""Charts as a reader sees them: no negative axis for counts, whole titles, labels that never wrap or collide,
amounts in the same unit as the table beside the chart, gaps for missing values, text from the data escaped.

The charts are SVG drawn by ``ilslib.report.svg``; the tests read the drawing (the panels as drawn) and the
SVG document itself, parsed as XML.
"""

from __future__ import annotations

import base64
import re
from xml.etree import ElementTree

import pandas as pd
import pytest

from ilslib import fmt
from ilslib.report import charts, svg
from tests.report_support import assert_inert_svg

PERIODS = ["2024-T1", "2024-T2", "2024-BO", "2025-T1", "2025-T2", "2025-BO", "2026-T1", "2026-T2"]
LONG = "Andel elever i årskurs 9 som är behöriga till ett yrkesprogram i den kommunala gymnasieskolan"
NS = "{http://www.w3.org/2000/svg}"
#: 120 characters: longer than three lines of a small chart's title
NAME_120 = (
    "Andel brukare inom hemtjänsten i ordinärt boende som uppger att de sammantaget är nöjda med sin hemtjänst, "
    "<b>& \"'åäöÅÄÖ"
)
assert len(NAME_120) == 120


def history(indicator_id: str, name: str, unit: str, decimals: int, values: list, target) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": PERIODS[: len(values)],
            "indicator_id": indicator_id,
            "name": name,
            "unit": unit,
            "decimals": decimals,
            "value": values,
            "target": target,
        }
    )


def trends(*frames: pd.DataFrame) -> tuple[svg.Chart, list[str]]:
    h = pd.concat(frames, ignore_index=True)
    return charts.trends_figure(h, list(dict.fromkeys(h["indicator_id"])))


def svg_of(html: str) -> str:
    """The SVG document inside a chart's ``<figure>`` (checked to be inert on the way)."""
    m = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)">', html)
    assert m, html[:200]
    doc = base64.b64decode(m.group(1)).decode("utf-8")
    assert_inert_svg(doc)
    return doc


def texts(doc: str) -> list[ElementTree.Element]:
    return list(ElementTree.fromstring(doc).iter(f"{NS}text"))


def markers(root: ElementTree.Element, colour: str) -> int:
    """How many markers of ``colour`` are drawn (each a subpath of the series' marker path)."""
    return sum((p.get("d") or "").count("M") for p in root.iter(f"{NS}path") if p.get("fill") == colour)


def test_a_count_of_zero_is_drawn_from_zero_with_whole_ticks() -> None:
    # 0 accidents throughout: a naive scale would draw -0,04 to 0,04
    chart, _ = trends(history("OLYCKOR", "Antal allvarliga arbetsplatsolyckor", "antal", 0, [0.0] * 8, 0.0))
    panel = chart.panels[0]
    assert panel.y_limits == (0.0, 1.0)
    assert all(float(t).is_integer() and t >= 0 for t in panel.y_ticks), panel.y_ticks
    assert panel.y_tick_labels == ["0", "1"]


def test_non_negative_figures_never_get_a_negative_axis() -> None:
    chart, _ = trends(
        history("C", "Antal fall", "antal", 0, [0, 1, 0, 0, 2, 0, 0, 1], 0.0),
        history("P", "Andel", "%", 1, [0.1, 0.0, 0.2, 0.0, 0.1, 0.0, 0.3, 0.1], 0.2),
    )
    for panel in chart.panels:
        assert panel.y_limits[0] == 0, panel.title
    assert chart.panels[0].y_ticks == [0.0, 1.0, 2.0], "a count has whole ticks"
    assert chart.panels[1].y_tick_labels[:3] == ["0,00", "0,05", "0,10"]


def test_long_titles_wrap_whole_and_are_never_cut() -> None:
    chart, alts = trends(history("BEH", LONG, "%", 1, [80, 81, 82, 83, 84, 85, 86, 87], 90))
    title = chart.panels[0].title
    assert "…" not in "".join(title) and " ".join(title) == LONG
    assert len(title) > 1 and max(len(line) for line in title) <= charts.TITLE_WIDTH
    assert LONG in alts[0]


def test_a_very_long_name_is_shortened_in_the_chart_and_whole_in_the_alt_text() -> None:
    h = history("LANG", NAME_120, "%", 1, [80, 81, 82, 83, 84, 85, 86, 87], 90)
    h2 = history("B", "Två", "%", 1, [8, 7, 6, 5, 4, 3, 2, 1], 5)
    chart, alts = trends(h, h2)
    title = chart.panels[0].title
    assert len(title) == 3 and " ".join(title) == NAME_120, "120 characters still fit in three lines, whole"
    width = (svg.WIDTH - charts.PANEL_GAP) / 2
    assert all(svg.text_width(line, svg.SIZE, bold=True) <= width for line in title)
    assert NAME_120 in alts[0]
    longer = NAME_120 + " och mer därtill, " + NAME_120
    chart, alts = trends(history("LANG", longer, "%", 1, [80, 81], 90), h2)
    title = chart.panels[0].title
    assert len(title) == 3 and title[-1].endswith("…") and longer.startswith(" ".join(title)[:-1].rstrip())
    assert all(svg.text_width(line, svg.SIZE, bold=True) <= width for line in title)
    assert longer in alts[0]
    html = charts.indicator_trends(pd.concat([h, h2]), indicator_ids=["LANG", "B"], title="Utveckling")
    assert "&lt;b&gt;&amp; &quot;&#x27;åäö" in html  # the alt text, escaped
    drawn = [t.text for t in texts(svg_of(html))]
    assert title[0] in drawn and "Två" in drawn


def test_period_labels_are_whole_and_do_not_collide() -> None:
    chart, _ = trends(
        history("A", "Ett", "%", 1, [1, 2, 3, 4, 5, 6, 7, 8], 5),
        history("B", "Två", "%", 1, [8, 7, 6, 5, 4, 3, 2, 1], 5),
    )
    doc = chart.svg
    for panel in chart.panels:
        assert panel.x_labels == [p[5:] for p in PERIODS]  # T1 T2 BO, the year once below
        assert panel.x_shown == list(range(8)), "every period is labelled"
        assert [g[2] for g in panel.x_groups] == ["2024", "2025", "2026"]
        spans = [
            (x - svg.text_width(t, svg.SMALL) / 2, x + svg.text_width(t, svg.SMALL) / 2)
            for x, t in zip(panel.x_positions, panel.x_labels, strict=True)
        ]
        for (_, right), (left, _) in zip(spans, spans[1:], strict=False):
            assert right + 2 < left, "tick labels collide"
    by_text: dict[str, list[float]] = {}
    for t in texts(doc):
        by_text.setdefault(t.text or "", []).append(float(t.get("y")))
    assert min(by_text["2024"]) > max(by_text["T1"]), "the years are below the periods"


def test_the_economy_chart_uses_the_tables_unit() -> None:
    months = [f"2026-{m:02d}" for m in range(1, 9)]
    series = pd.DataFrame(
        {
            "month": months,
            "cum_net": [1.5e9 * (i + 1) for i in range(8)],
            "cum_budget_net": [1.6e9 * (i + 1) for i in range(8)],
        }
    )
    unit = fmt.amount_unit(12e9)
    chart = charts.economy_figure(series, unit)
    panel = chart.panels[0]
    assert panel.unit == "Nettoresultat, mnkr"
    assert max(v for s in panel.series for v in s.values if v is not None) == pytest.approx(12_800.0)
    assert panel.y_tick_labels[-1] == f"15{fmt.NBSP}000" and panel.y_tick_labels[0] == "0"
    html = charts.economy_chart(series, period_title="Tertialrapport 2 2026", unit=unit)
    assert "(mnkr, ackumulerat)" in html and f"12{fmt.NBSP}000,0{fmt.NBSP}mnkr" in html
    drawn = [t.text for t in texts(svg_of(html))]
    assert {"jan", "aug", "Utfall, ackumulerat", "Budget, ackumulerad", "Nettoresultat, mnkr"} <= set(drawn)


def test_a_negative_result_keeps_zero_on_the_axis_with_real_minus_signs() -> None:
    series = pd.DataFrame(
        {"month": ["2026-01", "2026-02", "2026-03"], "cum_net": [-1200.0, -2600.0, -3900.0],
         "cum_budget_net": [-1000.0, -2000.0, -3000.0]}
    )  # fmt: skip
    chart = charts.economy_figure(series, fmt.KR)
    panel = chart.panels[0]
    assert panel.y_limits[1] == 0 and panel.y_limits[0] <= -3900
    assert panel.y_tick_labels[0].startswith(fmt.MINUS) and f"{fmt.NBSP}000" in panel.y_tick_labels[0]


def test_a_missing_value_is_a_gap_never_a_zero() -> None:
    chart, alts = trends(history("G", "Med lucka", "%", 1, [5.0, 6.0, None, None, 7.0, 8.0, float("nan"), 9.0], 6.0))
    root = ElementTree.fromstring(chart.svg)
    outcome = [p for p in root.iter(f"{NS}polyline") if p.get("stroke") == charts.BLUE]
    assert [len(p.get("points").split()) for p in outcome] == [2, 2], "the line breaks at each missing value"
    assert markers(root, charts.BLUE) == 1 + 5  # the legend's sample and the five outcomes there are
    assert chart.panels[0].y_limits[0] == 5, "a missing value does not pull the axis down to zero"
    assert "2024-BO: -" in alts[0]


def test_sick_leave_keeps_suppressed_months_as_gaps_on_the_time_axis() -> None:
    months = [f"2025-{m:02d}" for m in range(9, 13)] + [f"2026-{m:02d}" for m in range(1, 9)]
    pct = [4.0, 4.5, None, 5.0, 5.5, 6.0, 6.5, 7.0, 6.0, 5.0, 4.5, 4.0]
    series = pd.DataFrame({"month": months, "sick_leave_pct": pct, "suppressed": [False] * 12})
    series.loc[3, "suppressed"] = True
    html = charts.sick_leave_chart(series)
    doc = svg_of(html)
    root = ElementTree.fromstring(doc)
    lines = [p for p in root.iter(f"{NS}polyline")]
    assert [len(p.get("points").split()) for p in lines] == [2, 8]
    drawn = [t.text for t in texts(doc)]
    assert drawn.count("2025") == 1 and drawn.count("2026") == 1 and "sep" in drawn and "aug" in drawn
    assert f"8{fmt.NBSP}%" in drawn and f"0{fmt.NBSP}%" in drawn, drawn
    assert "Månader med färre än fem anställda visas inte." in html


def test_a_chart_of_a_single_point() -> None:
    chart, alts = trends(history("ETT", "En enda period", "%", 1, [42.5], 40.0))
    root = ElementTree.fromstring(chart.svg)
    assert list(root.iter(f"{NS}polyline")) == []
    assert markers(root, charts.BLUE) == 2  # legend + the point
    assert chart.panels[0].y_ticks[0] <= 40 and chart.panels[0].y_ticks[-1] >= 42.5
    one = pd.DataFrame({"month": ["2026-01"], "cum_net": [1500.0], "cum_budget_net": [1400.0]})
    html = charts.economy_chart(one, period_title="Tertialrapport 1 2026", unit=fmt.KR)
    assert "januari–januari" in html and "jan" in [t.text for t in texts(svg_of(html))]


def test_nothing_to_draw_says_why() -> None:
    empty = history("X", "Tom", "%", 1, [None] * 8, None)
    assert "Det finns inga utfall över tid" in charts.indicator_trends(empty, indicator_ids=["X"], title="U")
    suppressed = pd.DataFrame({"month": ["2026-01", "2026-02"], "sick_leave_pct": [None, 3.0], "suppressed": True})
    assert "färre än fem anställda" in charts.sick_leave_chart(suppressed)
    none = pd.DataFrame({"month": ["2026-01"], "cum_net": [None], "cum_budget_net": [5.0]})
    assert "inget bokfört utfall" in charts.economy_chart(none, period_title="T1")
    cmp = pd.DataFrame({"org_id": ["A"], "name": ["A"], "value": [None], "rank": [None], "colour": ["grey"]})
    assert "Inga jämförbara värden" in charts.comparison_chart(cmp, label="Sjukfrånvaro", unit="%", decimals=1)


def comparison_frame() -> pd.DataFrame:
    names = ['<script>alert("x")</script>', "Kultur & Fritid", "\"Citat\" och 'apostrof'", "Älvdalens ÅÖ-nämnd",
             NAME_120, "Minus AB"]  # fmt: skip
    return pd.DataFrame(
        {
            "org_id": ["S", "K", "Q", "A", "L", "M"],
            "name": names,
            "value": [12.5, 7.0, 3.25, 0.0, None, -4.5],
            "rank": [1, 2, 3, 4, None, 5],
            "colour": ["green", "yellow", "yellow", "yellow", "grey", "red"],
        }
    )


def test_comparison_names_from_the_data_are_escaped_and_long_ones_shortened() -> None:
    html = charts.comparison_chart(comparison_frame(), org_id="Q", label="Överskott", unit="%", decimals=2)
    doc = svg_of(html)
    assert "<script" not in doc and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in doc
    drawn = [t.text for t in texts(doc)]
    assert '<script>alert("x")</script>' in drawn and "Kultur & Fritid" in drawn and "Älvdalens ÅÖ-nämnd" in drawn
    own = [t for t in texts(doc) if (t.text or "").startswith("► ")]
    assert [t.text for t in own] == ["► \"Citat\" och 'apostrof'"] and own[0].get("font-weight") == "bold"
    assert NAME_120 not in html, "a missing value is not drawn, so the 120-character name is not there"
    assert "rang 3 av 5" in html and "Bäst är &lt;script&gt;" in html


def test_comparison_bars_go_both_ways_from_zero() -> None:
    frame = comparison_frame()
    frame.loc[4, "value"], frame.loc[4, "rank"] = 1.0, 4  # the long name gets a value and a bar
    html = charts.comparison_chart(frame, label="Resultat", unit="mnkr", decimals=1)
    doc = svg_of(html)
    drawn = [t.text or "" for t in texts(doc)]
    long = [t for t in drawn if t.startswith(NAME_120[:20])]
    assert len(long) == 1 and long[0].endswith("…") and len(long[0]) < len(NAME_120)
    assert svg.text_width(long[0], svg.SMALL) <= svg.WIDTH * 0.42
    assert "Resultat (mnkr)" in drawn
    assert f"{fmt.MINUS}5" in drawn and "0" in drawn and "15" in drawn, drawn
    root = ElementTree.fromstring(doc)
    bars = [r for r in root.iter(f"{NS}rect") if r.get("fill") in charts.QUARTILE_COLOURS.values()]
    assert len(bars) == 6
    zero = [ln for ln in root.iter(f"{NS}line") if ln.get("stroke") == charts.GREY]
    zx = float(zero[-1].get("x1"))
    lefts = [float(b.get("x")) for b in bars]
    rights = [float(b.get("x")) + float(b.get("width")) for b in bars]
    assert lefts[-1] < zx - 10 and rights[-1] == pytest.approx(zx, abs=0.1), "the negative bar ends at zero"
    assert all(x == pytest.approx(zx, abs=0.1) for x in lefts[:-1]), "the others start at zero"
    assert float(bars[3].get("width")) <= 0.5, "a zero is a hairline, not a missing bar"
    assert "markerad" not in html and not [p for p in root.iter(f"{NS}path") if p.get("stroke") == svg.INK]


def test_every_chart_of_the_demo_is_well_formed_svg(demo_wh) -> None:
    import ilslib.figures as f

    parts = [
        charts.economy_chart(f.economy_series(demo_wh, "ALN", "2026-T2"), period_title="Tertial 2 2026"),
        charts.sick_leave_chart(f.sick_leave_series(demo_wh, "ALN", "2026-T2")),
        charts.indicator_trends(f.history(demo_wh, "ALN"), indicator_ids=["FAKT", "OLYCKOR"], title="U"),
        charts.comparison_chart(
            f.compare(demo_wh, "2026-T2", "sick_leave_pct", kind="namnd"), org_id="ALN", label="S", unit="%", decimals=1
        ),
    ]
    for html in parts:
        assert html.startswith("<figure><img") and "<figcaption>" in html
        doc = svg_of(html)
        assert len(doc) < 30_000, "a chart is a few kB of SVG"
        assert "font-family=\"'DejaVu Sans'" in doc


def test_an_infinite_value_gets_no_bar_and_breaks_nothing() -> None:
    frame = comparison_frame()
    frame.loc[1, "value"] = float("inf")
    doc = svg_of(charts.comparison_chart(frame, label="Kvot", unit=None, decimals=1))
    root = ElementTree.fromstring(doc)
    bars = [r for r in root.iter(f"{NS}rect") if r.get("fill") in charts.QUARTILE_COLOURS.values()]
    assert len(bars) == 4 and "Kultur & Fritid" in [t.text for t in texts(doc)]


def test_the_outcome_is_drawn_over_the_target_where_they_meet() -> None:
    chart, _ = trends(history("OLYCKOR", "Antal olyckor", "antal", 0, [0, 0, 1, 0], 0.0))
    drawn = [el.get("stroke") for el in ElementTree.fromstring(chart.svg).iter(f"{NS}polyline")]
    assert drawn == [charts.BROWN, charts.BLUE], "the outcome's line comes last, on top of the target's"


def test_a_large_kind_shows_the_best_the_worst_and_the_own_neighbours() -> None:
    """A thousand bars are read by no one: over MAX_BARS the chart keeps the edges and the own organisation's rank."""
    n = 1000
    frame = pd.DataFrame(
        {
            "org_id": [f"O{i:04d}" for i in range(n)],
            "name": [f"Nämnd {i} <&>" for i in range(n)],
            "value": [float(n - i) for i in range(n)],
            "rank": list(range(1, n + 1)),
            "colour": ["green"] * 250 + ["yellow"] * 500 + ["red"] * 250,
        }
    )
    html = charts.comparison_chart(frame, org_id="O0500", label="Nyckeltal", unit="%", decimals=0)
    doc = svg_of(html)
    drawn = [t.text or "" for t in texts(doc)]
    assert "► Nämnd 500 <&>" in drawn and "Nämnd 0 <&>" in drawn and "Nämnd 999 <&>" in drawn
    assert "Nämnd 497 <&>" in drawn and "Nämnd 503 <&>" in drawn and "Nämnd 496 <&>" not in drawn
    assert "… 492 organisationer …" in drawn and "… 491 organisationer …" in drawn  # 5..496 and 504..994 left out
    assert len(re.findall(r"<rect ", doc)) <= charts.MAX_BARS  # bars (the gaps have none)
    assert "rang 501 av 1000" in html and "av 1000 organisationer visas de 5 bästa, de 5 sämsta" in html
    assert charts.shown_rows(30, 3) == list(range(30))  # a kind of 30 shows everyone
    assert charts.shown_rows(40, None) == [0, 1, 2, 3, 4, None, 35, 36, 37, 38, 39]
    assert charts.shown_rows(40, 1) == [0, 1, 2, 3, 4, None, 35, 36, 37, 38, 39]  # near an edge: no extra gap
    assert charts.shown_rows(40, 37)[-6:] == [34, 35, 36, 37, 38, 39]
