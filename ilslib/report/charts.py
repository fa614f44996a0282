"""Charts for the reports, each with a text alternative that states what it shows.

Every function returns :class:`~ilslib.report.present.Html` (a ``<figure>``
with an inline PNG and its ``alt`` text) or a paragraph saying why there is no
chart. Lines differ by style as well as colour, and colours have at least 3:1
contrast against white (WCAG 2.1, non-text contrast).
"""

from __future__ import annotations

import math
import textwrap
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import Formatter, FuncFormatter, MaxNLocator  # noqa: E402

from .. import fmt  # noqa: E402
from ..fmt import MONTH_NAMES  # noqa: E402
from .present import Html, figure, paragraph  # noqa: E402

BLUE = "#0b4f8a"
BROWN = "#7a4b00"
GREY = "#4a5360"
QUARTILE_COLOURS = {"green": "#2e7d32", "yellow": "#b58900", "red": "#c62828", "grey": "#757575"}
MONTHS = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]


def _style(ax: Axes) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.grid(axis="y", color="#d5dbe1", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(colors="#1b1f24", labelsize=8)


def _sv_axis(decimals: int = 0, suffix: str = "") -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: fmt.number(v, decimals) + suffix)


def _tick_decimals(ticks: Any) -> int:
    """The fewest decimals (at most 3) that show every axis tick exactly (0,25 needs two, 0,5 one)."""
    for d in range(4):
        if all(abs(round(float(t), d) - float(t)) < 1e-9 * max(1.0, abs(float(t))) for t in ticks):
            return d
    return 3


class _SwedishTicks(Formatter):
    """Tick labels in Swedish number format, with as many decimals as the ticks drawn need."""

    def __init__(self, suffix: str = "") -> None:
        self.suffix = suffix
        self.decimals = 0

    def set_locs(self, locs: Any) -> None:
        super().set_locs(locs)
        self.decimals = _tick_decimals(locs)

    def __call__(self, x: float, pos: int | None = None) -> str:  # noqa: ARG002
        return fmt.number(x, self.decimals) + self.suffix


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
    fig = economy_figure(data, u, height=height)
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
    return figure(fig, alt=alt, caption=caption)


def economy_figure(data: pd.DataFrame, unit: fmt.AmountUnit, *, height: float = 3.0) -> Figure:
    """The matplotlib figure of :func:`economy_chart` (for tests: the axes can be inspected)."""
    months = [int(m[5:7]) for m in data["month"]]
    fig, ax = plt.subplots(figsize=(7.2, height))
    ax.plot(
        months,
        data["cum_net"] / unit.divisor,
        color=BLUE,
        linewidth=2.2,
        marker="o",
        markersize=3.5,
        label="Utfall, ackumulerat",
    )
    ax.plot(
        months,
        data["cum_budget_net"] / unit.divisor,
        color=BROWN,
        linewidth=2.0,
        linestyle="--",
        label="Budget, ackumulerad",
    )
    ax.axhline(0, color=GREY, linewidth=0.8)
    ax.set_xticks(months, [MONTHS[m - 1] for m in months])
    ax.yaxis.set_major_formatter(_SwedishTicks())
    ax.set_ylabel(f"Nettoresultat, {unit.label}", fontsize=8)
    ax.legend(frameon=False, fontsize=8, loc="best")
    _style(ax)
    return fig


def sick_leave_chart(series: pd.DataFrame) -> Html:
    """Sick leave per month (%), the suppressed months left out and said so

    >>> html = charts.sick_leave_chart(f.sick_leave_series(wh, "ALN", "2026-T2"))
    >>> "Linjediagram: sjukfrånvaro i procent" in html
    True
    """
    if series.empty:
        return paragraph("Det finns inga personaluppgifter att visa i diagram.", class_="note")
    shown = series[~series["suppressed"].astype(bool) & series["sick_leave_pct"].notna()]
    if shown.empty:
        return paragraph("Sjukfrånvaron redovisas inte i diagram: färre än fem anställda (..).", class_="note")
    fig, ax = plt.subplots(figsize=(7.2, 2.6))
    x = list(range(len(shown)))
    ax.plot(x, shown["sick_leave_pct"], color=BLUE, linewidth=2, marker="o", markersize=3)
    step = max(1, len(x) // 12)
    labels = [f"{MONTHS[int(m[5:7]) - 1]} {m[2:4]}" for m in shown["month"]]
    ax.set_xticks(x[::step], labels[::step], rotation=0)
    ax.yaxis.set_major_formatter(_sv_axis(1, " %"))
    ax.set_ylim(bottom=0)
    _style(ax)
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
    return figure(fig, alt=alt, caption="Sjukfrånvaro per månad (%)")


def indicator_trends(history: pd.DataFrame, *, indicator_ids: list[str], title: str) -> Html:
    """Small multiples: each indicator's outcome per period, with its target as a dashed line

    >>> html = charts.indicator_trends(f.history(wh, "ALN"), indicator_ids=["FAKT"], title="Utveckling")
    >>> "<figcaption>Utveckling</figcaption>" in html
    True
    """
    ids = [i for i in indicator_ids if i in set(history["indicator_id"])]
    if not ids:
        return paragraph("Det finns inga utfall över tid att visa i diagram.", class_="note")
    fig, alts = trends_figure(history, ids)
    alt = f"Linjediagram per indikator med utfall per period och mål som streckad linje. {'. '.join(alts)}."
    return figure(fig, alt=alt, caption=title)


#: Characters per line of a small chart's title (longer titles wrap, never cut).
TITLE_WIDTH = 44


def _period_axis(ax: Axes, periods: list[str]) -> None:
    """Periods on the x axis, horizontal and whole: the code (T1, T2, BO) at each point, the year once
    below its periods. No label is rotated, broken over lines or run into its neighbour."""
    x = list(range(len(periods)))
    ax.set_xticks(x, [p.partition("-")[2] or p for p in periods])
    years: dict[str, list[int]] = {}
    for i, p in enumerate(periods):
        years.setdefault(p.partition("-")[0], []).append(i)
    # plain text below the tick labels (a secondary axis would cost a whole axes' layout per chart)
    below = matplotlib.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    for year, idx in years.items():
        ax.text(sum(idx) / len(idx), -0.2, year, transform=below, ha="center", va="top", fontsize=8,
                color="#1b1f24", gid="year")  # fmt: skip


def _readable_axis(ax: Axes, values: list[float], *, count: bool) -> None:
    """Never a negative axis for figures that cannot be negative; whole ticks for counts.

    A count that is 0 throughout is drawn on 0-1, not on matplotlib's -0,04-0,04.
    """
    finite_values = [float(v) for v in values if not fmt.is_missing(v) and math.isfinite(float(v))]
    if count:
        ax.yaxis.set_major_locator(MaxNLocator(nbins="auto", integer=True))
    if finite_values and min(finite_values) >= 0:
        top = max(finite_values)
        lo, hi = ax.get_ylim()
        if top == 0:
            ax.set_ylim(0, 1)
        elif lo < 0:  # the margin matplotlib adds would reach below zero
            ax.set_ylim(0, hi)


def trends_figure(history: pd.DataFrame, ids: list[str]) -> tuple[Any, list[str]]:
    """The matplotlib figure of :func:`indicator_trends` and the text alternative of each indicator."""
    cols = 2 if len(ids) > 1 else 1
    rows = math.ceil(len(ids) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(7.2, 2.5 * rows), squeeze=False)
    alts = []
    for ax, ind in zip(axes.flat, ids, strict=False):
        h = history[history["indicator_id"] == ind]
        h = h[h["period"].str[-2:] != "BU"]
        name = str(h["name"].iloc[0])
        unit = str(h["unit"].iloc[0] or "")
        dec = int(h["decimals"].iloc[0]) if not fmt.is_missing(h["decimals"].iloc[0]) else 1
        x = list(range(len(h)))
        ax.plot(x, h["value"], color=BLUE, linewidth=2, marker="o", markersize=3.5, label="Utfall")
        if h["target"].notna().any():
            ax.plot(x, h["target"], color=BROWN, linewidth=1.6, linestyle="--", label="Mål")
        _period_axis(ax, list(h["period"]))
        count = dec == 0 or unit.strip().lower() in fmt.COUNT_UNITS
        _readable_axis(ax, [*h["value"], *h["target"]], count=count)
        ax.yaxis.set_major_formatter(_SwedishTicks())
        suffix = fmt.unit_suffix(unit)
        if suffix:
            ax.set_ylabel(suffix, fontsize=7.5)
        ax.set_title(textwrap.fill(name, TITLE_WIDTH), fontsize=8.5, loc="left")
        _style(ax)
        points = ", ".join(f"{p}: {fmt.value(v, unit, dec)}" for p, v in zip(h["period"], h["value"], strict=True))
        tgt = h["target"].iloc[-1]
        alts.append(
            f"{name} – {points}" + (f"; senaste mål {fmt.value(tgt, unit, dec)}" if not fmt.is_missing(tgt) else "")
        )
    for ax in list(axes.flat)[len(ids) :]:
        ax.set_visible(False)
    axes.flat[0].legend(frameon=False, fontsize=7.5, loc="best")
    fig.tight_layout()
    return fig, alts


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
    height = max(2.0, 0.24 * len(data) + 0.8)
    fig, ax = plt.subplots(figsize=(7.2, height))
    y = list(range(len(data)))[::-1]
    colours = [QUARTILE_COLOURS.get(c, QUARTILE_COLOURS["grey"]) for c in data["colour"]]
    bars = ax.barh(y, data["value"], color=colours, edgecolor="#1b1f24", linewidth=0.4)
    names = []
    for bar, (_, r) in zip(bars, data.iterrows(), strict=True):
        own = r["org_id"] == org_id
        names.append(("► " if own else "") + str(r["name"]))
        if own:
            bar.set_hatch("///")
            bar.set_linewidth(1.5)
    ax.set_yticks(y, names, fontsize=7.5)
    ax.xaxis.set_major_formatter(_SwedishTicks())
    ax.set_xlabel(label + (f" ({unit})" if unit and unit not in ("antal", "index") else ""), fontsize=8)
    _style(ax)
    ax.grid(axis="x", color="#d5dbe1", linewidth=0.6)
    ax.grid(axis="y", visible=False)
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
    return figure(fig, alt=alt, caption=caption)
