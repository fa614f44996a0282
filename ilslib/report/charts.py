"""Charts for the reports, each with a text alternative that states what it shows.

Every function returns :class:`~ilslib.report.present.Html` (a ``<figure>``
with an inline SVG image, drawn by :mod:`ilslib.report.svg` without matplotlib,
and its ``alt`` text) or a paragraph saying why there is no chart. Lines differ
by style (dash and marker shape) as well as colour, colours have at least 3:1
contrast against white (WCAG 2.1, non-text contrast), and a missing value is a
gap in its line, never a zero.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .. import fmt
from ..fmt import MONTH_NAMES
from . import svg
from .present import Html, paragraph
from .svg import SIZE, SMALL, WIDTH, Canvas, Chart, Panel, Series

BLUE = "#0b4f8a"
BROWN = "#7a4b00"
GREY = "#4a5360"
QUARTILE_COLOURS = {"green": "#2e7d32", "yellow": "#b58900", "red": "#c62828", "grey": "#757575"}
MONTHS = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]


def _outcome(label: str, values: list[float | None]) -> Series:
    """An outcome's line: blue, solid, round markers."""
    return Series(label, values, BLUE, width=2.8, marker="circle", marker_size=8.5)


def _plan(label: str, values: list[float | None]) -> Series:
    """A budget's or target's line: brown, dashed, square markers (differs from the outcome by more than colour)."""
    return Series(label, values, BROWN, width=2.2, dash="8 5", marker="square", marker_size=7.5)


def _values(column: Any, divisor: float = 1.0) -> list[float | None]:
    """A column as floats, missing values as None (drawn as gaps)."""
    return [None if fmt.is_missing(v) else float(v) / divisor for v in column]


def _year_groups(labels: list[str]) -> list[tuple[int, int, str]]:
    """Runs of consecutive items of the same year (``2025-T1``, ``2025-03``): (first, last, year)."""
    groups: list[tuple[int, int, str]] = []
    for i, item in enumerate(labels):
        year = item.partition("-")[0]
        if groups and groups[-1][2] == year and groups[-1][1] == i - 1:
            groups[-1] = (groups[-1][0], i, year)
        else:
            groups.append((i, i, year))
    return groups


def economy_chart(
    series: pd.DataFrame, *, period_title: str, unit: fmt.AmountUnit | None = None, height: float = 3.0
) -> Html:
    """Cumulative net result against the cumulative budget, month by month.

    Amounts are in ``unit`` (pass the economy table's, so the chart and the table
    agree), by default the unit the largest amount needs (kr, tkr, mnkr).


    >>> html = charts.economy_chart(f.economy_series(wh, "ALN", "2026-T2"), period_title="Tertial 2 2026")
    >>> html.startswith("<figure><img"), "Linjediagram: ackumulerat nettoresultat" in html
    (True, True)
    """
    data = series.dropna(subset=["cum_net"]) if "cum_net" in series else series.iloc[0:0]
    if data.empty:
        return paragraph("Det finns inget bokfört utfall att visa i diagram för perioden.", class_="note")
    u = unit or fmt.amount_unit(data["cum_net"], data["cum_budget_net"])
    chart = economy_figure(data, u, height=height)
    months = [int(m[5:7]) for m in data["month"]]
    last = data.iloc[-1]
    month = MONTH_NAMES[months[-1] - 1]
    alt = (
        f"Linjediagram: ackumulerat nettoresultat jämfört med ackumulerad budget per månad, "
        f"{MONTH_NAMES[months[0] - 1]}–{month}. Vid utgången av {month} var utfallet "
        f"{u.text(last['cum_net'])} och budgeten {u.text(last['cum_budget_net'])}, "
        f"en avvikelse på {u.text(last['cum_net'] - last['cum_budget_net'])}."
    )
    caption = f"Nettoresultat mot budget, {period_title} ({u.label}, ackumulerat)"
    if str(series["month"].iloc[-1]) > str(data["month"].iloc[-1]):  # the last months are not booked yet
        caption += f"; utfall t.o.m. {month}, senare månader är ännu inte bokförda"
        alt += f" Månaderna efter {month} är ännu inte bokförda och visas inte."
    return svg.figure(chart.svg, alt=alt, caption=caption)


def economy_figure(data: pd.DataFrame, unit: fmt.AmountUnit, *, height: float = 3.0) -> Chart:
    """The drawing of :func:`economy_chart` (``height`` in inches of the old 7,2-inch-wide chart: 3,0 in a
    report, 2,4 in the short version); the chart's panel can be inspected."""
    months = [int(m[5:7]) for m in data["month"]]
    # the legend and the unit get rows of their own above the plot (matplotlib put them inside it)
    height_px = round(WIDTH * height / 7.2) + 40
    c = Canvas(WIDTH, height_px)
    outcome = _outcome("Utfall, ackumulerat", _values(data["cum_net"], unit.divisor))
    budget = _plan("Budget, ackumulerad", _values(data["cum_budget_net"], unit.divisor))
    top = svg.legend(c, 0, 2, [outcome, budget]) + 6
    panel = Panel(
        x_labels=[MONTHS[m - 1] for m in months],
        series=[outcome, budget],
        unit=f"Nettoresultat, {unit.label}",
        zero_line=True,  # the sign of a result matters: zero is always on the axis, drawn darker
    )
    svg.draw_panel(c, panel, 0, top, WIDTH, height_px - top)
    return Chart(c.render(), [panel], WIDTH, height_px)


def sick_leave_chart(series: pd.DataFrame) -> Html:
    """Sick leave per month (%): a suppressed month is a gap in the line (never a zero) and the text says so.

    >>> html = charts.sick_leave_chart(f.sick_leave_series(wh, "ALN", "2026-T2"))
    >>> "Linjediagram: sjukfrånvaro i procent" in html
    True
    """
    if series.empty:
        return paragraph("Det finns inga personaluppgifter att visa i diagram.", class_="note")
    shown = series[~series["suppressed"].astype(bool) & series["sick_leave_pct"].notna()]
    if shown.empty:
        return paragraph("Sjukfrånvaron redovisas inte i diagram: färre än fem anställda (..).", class_="note")
    # every month keeps its place on the axis: a month not shown is a gap in the line, never a zero
    values = [None if bool(sup) or fmt.is_missing(v) else float(v)
              for sup, v in zip(series["suppressed"], series["sick_leave_pct"], strict=True)]  # fmt: skip
    months = [str(m) for m in series["month"]]
    height_px = round(WIDTH * 2.6 / 7.2)
    c = Canvas(WIDTH, height_px)
    panel = Panel(
        x_labels=[MONTHS[int(m[5:7]) - 1] for m in months],
        x_groups=_year_groups(months),
        series=[_outcome("Sjukfrånvaro", values)],
        from_zero=True,
        tick_suffix=f"{fmt.NBSP}%",
    )
    svg.draw_panel(c, panel, 0, 4, WIDTH, height_px - 4)
    first, last = shown.iloc[0], shown.iloc[-1]
    hi = shown.iloc[shown["sick_leave_pct"].argmax()]
    alt = (
        f"Linjediagram: sjukfrånvaro i procent av schemalagd tid per månad från {first['month']} till "
        f"{last['month']}. Den senaste månaden var sjukfrånvaron {fmt.pct(last['sick_leave_pct'])}, "
        f"den första {fmt.pct(first['sick_leave_pct'])}; högst var den {fmt.pct(hi['sick_leave_pct'])} "
        f"({hi['month']})."
    )
    if len(shown) < len(series):
        alt += " Månader med färre än fem anställda visas inte."
    return svg.figure(c.render(), alt=alt, caption="Sjukfrånvaro per månad (%)")


def indicator_trends(history: pd.DataFrame, *, indicator_ids: list[str], title: str) -> Html:
    """Small multiples: each indicator's outcome per period, with its target as a dashed line

    >>> html = charts.indicator_trends(f.history(wh, "ALN"), indicator_ids=["FAKT"], title="Utveckling")
    >>> "<figcaption>Utveckling</figcaption>" in html
    True
    """
    # an indicator without a single outcome has nothing to draw (an empty panel would look like zero)
    measured = set(history.loc[history["value"].notna(), "indicator_id"])
    ids = [i for i in indicator_ids if i in measured]
    if not ids:
        return paragraph("Det finns inga utfall över tid att visa i diagram.", class_="note")
    chart, alts = trends_figure(history, ids)
    alt = f"Linjediagram per indikator med utfall per period och mål som streckad linje. {'. '.join(alts)}."
    return svg.figure(chart.svg, alt=alt, caption=title)


#: Characters per line of a small chart's title at most (longer titles wrap; beyond three lines they end
#: with an ellipsis, the text alternative keeps the whole name).
TITLE_WIDTH = 44
#: Height of one small chart's plot area and its axis labels, in SVG units.
PANEL_HEIGHT = 200
PANEL_GAP = 36


def trends_figure(history: pd.DataFrame, ids: list[str]) -> tuple[Chart, list[str]]:
    """The drawing of :func:`indicator_trends` (small multiples, two a row) and the text alternative of
    each indicator."""
    cols = 2 if len(ids) > 1 else 1
    panel_w = (WIDTH - PANEL_GAP * (cols - 1)) / cols
    panels: list[Panel] = []
    alts = []
    has_target = False
    for ind in ids:
        h = history[history["indicator_id"] == ind]
        h = h[h["period"].str[-2:] != "BU"]
        name = str(h["name"].iloc[0])
        unit = str(h["unit"].iloc[0] or "")
        dec = int(h["decimals"].iloc[0]) if not fmt.is_missing(h["decimals"].iloc[0]) else 1
        periods = [str(p) for p in h["period"]]
        series = [_outcome("Utfall", _values(h["value"]))]
        if h["target"].notna().any():
            has_target = True
            series.append(_plan("Mål", _values(h["target"])))
        panels.append(
            Panel(
                x_labels=[p.partition("-")[2] or p for p in periods],
                x_groups=_year_groups(periods),
                series=series,
                title=svg.wrap(name, panel_w, SIZE, max_chars=TITLE_WIDTH, bold=True),
                unit=fmt.unit_suffix(unit),
                integer=dec == 0 or unit.strip().lower() in fmt.COUNT_UNITS,
            )
        )
        points = ", ".join(f"{p}: {fmt.value(v, unit, dec)}" for p, v in zip(h["period"], h["value"], strict=True))
        tgt = h["target"].iloc[-1]
        alts.append(
            f"{name} – {points}" + (f"; senaste mål {fmt.value(tgt, unit, dec)}" if not fmt.is_missing(tgt) else "")
        )
    rows = [panels[r : r + cols] for r in range(0, len(panels), cols)]
    row_heights = []
    for row in rows:
        lines = max(len(p.title) for p in row)
        row_heights.append(svg.title_height(lines) + (SMALL * 1.3 if any(p.unit for p in row) else 0) + PANEL_HEIGHT)
    legend_series = [_outcome("Utfall", [])]
    if has_target:
        legend_series.append(_plan("Mål", []))
    legend_h = SIZE * 1.6 + 8
    height = legend_h + sum(row_heights) + 24 * (len(rows) - 1) + 4
    c = Canvas(WIDTH, height)
    svg.legend(c, 0, 2, legend_series)
    y = legend_h
    for row, rh in zip(rows, row_heights, strict=True):
        lines = max(len(p.title) for p in row)
        unit_line = any(p.unit for p in row)
        for k, panel in enumerate(row):
            svg.draw_panel(c, panel, k * (panel_w + PANEL_GAP), y, panel_w, rh, title_lines=lines, unit_line=unit_line)
        y += rh + 24
    return Chart(c.render(), panels, WIDTH, height), alts


def comparison_chart(
    df: pd.DataFrame, *, org_id: str | None = None, label: str, unit: str | None, decimals: int
) -> Html:
    """Horizontal bars: one key figure for every organisation of a kind, best first, own bar marked.

    ``df`` is a :func:`ilslib.figures.compare` frame. With ``org_id`` that
    organisation's bar is hatched and its name marked ``►`` (a report's own
    organisation); without it no bar is singled out (a study of a whole kind).
    Bars are coloured by quarter (best green, worst red, the rest yellow); the
    text alternative names the best and the worst.

    >>> c = f.compare(wh, "2026-T2", "sick_leave_pct", kind="namnd")
    >>> html = charts.comparison_chart(c, label="Sjukfrånvaro", unit="%", decimals=1)
    >>> html.startswith("<figure><img"), "►" in html, "egna organisationen" in html
    (True, False, False)
    >>> "► " in charts.comparison_chart(c, org_id="ALN", label="Sjukfrånvaro", unit="%", decimals=1)
    True
    """
    data = df[df["value"].notna()].sort_values("rank", kind="mergesort")
    if data.empty:
        return paragraph(f"Inga jämförbara värden för {label}.", class_="note")
    xlabel = label + (f" ({unit})" if unit and unit not in ("antal", "index") else "")
    chart = _comparison_figure(data, org_id, xlabel)
    own = df[df["org_id"] == org_id] if org_id is not None else df.iloc[0:0]
    own_text = ""
    if not own.empty:
        o = own.iloc[0]
        if not fmt.is_missing(o["value"]):
            own_text = (
                f" Den egna organisationen har {fmt.value(o['value'], unit, decimals)} och rang "
                f"{int(o['rank'])} av {len(data)} ({fmt.COLOUR.get(o['colour'], '')})."
            )
        else:
            own_text = " Värde saknas för den egna organisationen."
    best, worst = data.iloc[0], data.iloc[-1]
    alt = (
        f"Liggande stapeldiagram: {label} för {len(data)} organisationer, bäst först. Bäst är "
        f"{best['name']} med {fmt.value(best['value'], unit, decimals)}, sämst {worst['name']} med "
        f"{fmt.value(worst['value'], unit, decimals)}.{own_text}"
    )
    caption = f"{label}: jämförelse, bästa fjärdedelen grön, sämsta röd"
    if org_id is not None:
        caption += "; den egna organisationen markerad med ► och streckad stapel"
    if len(data) > MAX_BARS:
        caption += (f"; av {len(data)} organisationer visas de {EDGE_BARS} bästa, de {EDGE_BARS} sämsta"
                    + (" och de närmaste runt den egna" if org_id is not None else ""))  # fmt: skip
    return svg.figure(chart, alt=alt, caption=caption)


#: A kind with more organisations than this shows the best, the worst and the own organisation's neighbours
#: (a chart of a thousand bars can be read by no one, and would run over many pages).
MAX_BARS = 30
EDGE_BARS = 5
NEIGHBOURS = 3


def shown_rows(n: int, own: int | None) -> list[int | None]:
    """The rows (positions in rank order) a comparison of ``n`` organisations draws; None marks a gap.

    Up to :data:`MAX_BARS` organisations: all. More: the :data:`EDGE_BARS` best and worst, and the own
    organisation (position ``own``) with :data:`NEIGHBOURS` on each side; a gap (None) where rows are left out.

    >>> charts.shown_rows(40, 20)
    [0, 1, 2, 3, 4, None, 17, 18, 19, 20, 21, 22, 23, None, 35, 36, 37, 38, 39]
    """
    if n <= MAX_BARS:
        return list(range(n))
    keep = set(range(EDGE_BARS)) | set(range(n - EDGE_BARS, n))
    if own is not None:
        keep |= set(range(max(0, own - NEIGHBOURS), min(n, own + NEIGHBOURS + 1)))
    out: list[int | None] = []
    for i in sorted(keep):
        if out and out[-1] is not None and i != out[-1] + 1:
            out.append(None)
        out.append(i)
    return out


#: Height of one bar's row in the comparison chart, in SVG units.
BAR_ROW = 22


def _comparison_figure(data: pd.DataFrame, org_id: str | None, xlabel: str) -> str:
    """The SVG of :func:`comparison_chart`: names at the left (shortened with an ellipsis when very long),
    bars from zero, Swedish ticks below, the own organisation marked ► and hatched; a large kind as
    :func:`shown_rows` says, with a row saying how many are left out at each gap (the scale still covers all)."""
    ids = list(data["org_id"])
    rows = shown_rows(len(ids), ids.index(org_id) if org_id in ids else None)
    names, own_rows = [], []
    for k, i in enumerate(rows):
        if i is None:  # a gap: how many organisations are left out between the rows around it
            left_out = int(rows[k + 1] or 0) - int(rows[k - 1] or 0) - 1  # a gap has a row on each side
            names.append(f"… {left_out} organisationer …")
            own_rows.append(False)
            continue
        own = ids[i] == org_id
        names.append(("► " if own else "") + " ".join(str(data["name"].iloc[i]).split()))
        own_rows.append(own)
    name_w = min(max(svg.text_width(n, SMALL, bold=o) for n, o in zip(names, own_rows, strict=True)), WIDTH * 0.42)
    left, right = name_w + 12, WIDTH - 16
    all_values = [float(v) for v in data["value"]]
    colours_all = list(data["colour"])
    values = [all_values[i] if i is not None else math.nan for i in rows]
    colours = [colours_all[i] if i is not None else "grey" for i in rows]
    drawn = svg.finite(all_values)  # an infinite value (a figure divided by zero) gets no bar, like a missing one
    ticks = svg.nice_ticks(min(0.0, *drawn), max(0.0, *drawn), count=6)
    xs = svg.Scale(ticks[0], ticks[-1], left, right)
    top = 6
    bottom = top + BAR_ROW * len(rows)
    c = Canvas(WIDTH, bottom + SMALL * 1.5 + SIZE * 1.8)
    c.lines([(xs(t), top, xs(t), bottom) for t in ticks], stroke=svg.GRID, width=0.8)
    c.lines([(xs(t), bottom, xs(t), bottom + 4) for t in ticks], stroke=svg.AXIS, width=1.0)
    for t, text in zip(ticks, svg.tick_labels(ticks), strict=True):
        c.text(xs(t), bottom + SMALL * 1.3, text, size=SMALL, anchor="middle")
    c.text((left + right) / 2, bottom + SMALL * 1.5 + SIZE * 1.35, xlabel, size=SIZE, anchor="middle")
    zero = xs(0.0)
    for i, (name, own, value, colour) in enumerate(zip(names, own_rows, values, colours, strict=True)):
        y = top + i * BAR_ROW
        mid = y + BAR_ROW / 2
        c.text(left - 8, mid + SMALL * 0.36, svg.shorten(name, name_w, SMALL, bold=own), size=SMALL, anchor="end",
               bold=own)  # fmt: skip
        if not math.isfinite(value):
            continue
        x0, x1 = sorted((zero, xs(value)))
        fill = QUARTILE_COLOURS.get(str(colour), QUARTILE_COLOURS["grey"])
        bar_y, bar_h = y + BAR_ROW * 0.15, BAR_ROW * 0.7
        c.rect(x0, bar_y, max(x1 - x0, 0.5), bar_h, fill=fill, stroke=svg.INK, stroke_width=2.0 if own else 0.5)
        if own:
            c.hatch(x0, bar_y, x1 - x0, bar_h, stroke=svg.INK)
    c.line(zero, top, zero, bottom, stroke=GREY, width=1.0)
    return c.render()
