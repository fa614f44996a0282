"""Charts drawn directly as SVG: scales with nice ticks, axes, lines, bars, legends and titles.

The report's charts (:mod:`ilslib.report.charts`) are drawn with these
primitives instead of matplotlib: a chart is 4-15 kB of SVG, written in 1-5 ms
of CPU (matplotlib and PNG took 70-300 ms), and it stays sharp at any zoom, on
screen and in the A4 PDF. Each SVG is self-contained (no external reference,
no script, no style sheet): fonts by family name (the report's own, DejaVu Sans,
first), every text from the data XML-escaped, and text widths estimated from
DejaVu Sans's advance widths (:func:`text_width`) so that labels can be placed,
wrapped and shortened without a renderer.

Accessibility (WCAG 2.1): the chart is embedded as ``<img>`` with a text
alternative that states what it shows (:func:`figure`); lines differ by dash
and marker shape as well as by colour; colours have at least 3:1 contrast
against white; a missing value is a gap in its line, never a zero.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import fmt
from .present import Html, esc

#: The report's fonts (``report.css``), DejaVu Sans first: the width table below is DejaVu Sans's.
FONT_FAMILY = "'DejaVu Sans', 'Segoe UI', Arial, sans-serif"
INK = "#1b1f24"
MUTED = "#4a5360"
GRID = "#d5dbe1"
AXIS = "#8d99a6"
#: Default width of a chart in SVG units (CSS px): on screen as drawn, in an A4 PDF scaled to the column.
WIDTH = 760
#: Font sizes in SVG units: about 9 pt in print after scaling to the A4 column (673 px of 760).
SIZE = 14.0
SMALL = 13.0

# Advance widths of DejaVu Sans (regular and bold) in thousandths of an em, from the font's hmtx
# table: text is measured without a renderer. Characters not listed count as a wide letter.
_CHARS = (
    " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
    "åäöÅÄÖéèüÜ–—►…−·§½€"
)
_REGULAR = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636, 636, 636, 636,
    636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656,
    557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613,
    635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818,
    592, 592, 525, 636, 337, 636, 838, 613, 613, 612, 684, 684, 787, 615, 615, 634, 732, 500, 1000, 769, 1000, 838,
    318, 500, 969, 636,
)  # fmt: skip
_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696, 696, 696, 696, 696,
    696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775,
    637, 995, 837, 850, 733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675,
    716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924,
    645, 652, 582, 712, 365, 712, 838, 675, 675, 687, 774, 774, 850, 678, 678, 712, 812, 500, 1000, 769, 1000, 838,
    380, 500, 1035, 696,
)  # fmt: skip
_WIDTHS = {False: dict(zip(_CHARS, _REGULAR, strict=True)), True: dict(zip(_CHARS, _BOLD, strict=True))}
_WIDTHS[False][fmt.NBSP] = _WIDTHS[False][" "]
_WIDTHS[True][fmt.NBSP] = _WIDTHS[True][" "]
_UNKNOWN = {False: 700, True: 760}
ELLIPSIS = "…"
# Characters XML 1.0 does not allow at all (C0 controls but tab and newlines, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The width of ``text`` in DejaVu Sans at ``size`` (same unit as size), from the font's advance widths."""
    table, unknown = _WIDTHS[bold], _UNKNOWN[bold]
    return sum(table.get(c, unknown) for c in text) * size / 1000


def xml_text(value: Any) -> str:
    """Text for an SVG element or attribute: XML-escaped, characters XML cannot hold removed."""
    return esc(_NOT_XML.sub("", str(value)))


def shorten(text: str, width: float, size: float, *, bold: bool = False) -> str:
    """``text`` cut to fit ``width`` with an ellipsis at the end (unchanged when it fits)."""
    text = " ".join(str(text).split())
    if text_width(text, size, bold=bold) <= width:
        return text
    room = width - text_width(ELLIPSIS, size, bold=bold)
    cut = ""
    for c in text:
        if text_width(cut + c, size, bold=bold) > room:
            break
        cut += c
    return cut.rstrip() + ELLIPSIS


def wrap(
    text: str, width: float, size: float, *, max_lines: int = 3, max_chars: int | None = None, bold: bool = False
) -> list[str]:
    """``text`` in lines that fit ``width`` (and ``max_chars``), broken between words.

    A word too long for a line is broken inside; text that needs more than
    ``max_lines`` lines ends the last line with an ellipsis (the text alternative
    keeps the whole text).
    """
    limit = max_chars or 10**9

    def fits(s: str) -> bool:
        return len(s) <= limit and text_width(s, size, bold=bold) <= width

    lines: list[str] = []
    line = ""
    for word in str(text).split():
        candidate = f"{line} {word}" if line else word
        if fits(candidate):
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        while not fits(word):  # a word longer than a line: break it where it no longer fits
            n = max(1, max((k for k in range(1, len(word) + 1) if fits(word[:k])), default=1))
            lines.append(word[:n])
            word = word[n:]
        line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], shorten(rest + " " + ELLIPSIS, width, size, bold=bold)]
        if not lines[-1].endswith(ELLIPSIS):
            lines[-1] = shorten(lines[-1] + ELLIPSIS * 2, width, size, bold=bold)
    return lines


# -- scales -------------------------------------------------------------------------------------


def nice_ticks(lo: float, hi: float, *, count: int = 6, integer: bool = False) -> list[float]:
    """Evenly spaced round ticks (steps of 1, 2, 2,5 or 5 times a power of ten) from at or below ``lo``
    to at or above ``hi``, at most ``count`` intervals; whole numbers only with ``integer``.

    >>> nice_ticks(3, 97), nice_ticks(0, 0.9), nice_ticks(0, 3, integer=True)
    ([0.0, 20.0, 40.0, 60.0, 80.0, 100.0], [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], [0.0, 1.0, 2.0, 3.0])
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"ticks need finite limits, not {lo}..{hi}")
    if lo > hi:
        lo, hi = hi, lo
    if hi - lo <= 1e-12 * max(
        abs(lo), abs(hi)
    ):  # a single value (up to rounding): a little room around it, from zero when it is zero
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = (lo - pad, hi + pad) if lo != 0 else (0.0, 1.0)
    raw = (hi - lo) / count
    power = 10.0 ** math.floor(math.log10(raw))
    steps = [m * power for m in ((1, 2, 5, 10, 20) if integer else (1, 2, 2.5, 5, 10, 20))]
    if integer:  # whole steps only: a count has no 0,5
        steps = [s for s in steps if s >= 1 and s == int(s)] or [1.0]
    step = steps[-1]
    for step in steps:
        if math.ceil(hi / step - 1e-9) - math.floor(lo / step + 1e-9) <= count:
            break
    start, end = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    # round away binary noise (0.30000000000000004) to the step's own decimals
    places = max(0, -math.floor(math.log10(step)) + 2)
    return [round(k * step, places) + 0.0 for k in range(start, end + 1)]


def tick_decimals(ticks: Iterable[float]) -> int:
    """The fewest decimals (at most 10) that show every tick exactly (0,25 needs two, 0,5 one)."""
    values = [float(t) for t in ticks]
    for d in range(11):
        if all(abs(round(t, d) - t) < 1e-9 * max(abs(t), 10.0**-d) for t in values):
            return d
    return 10


def tick_labels(ticks: Sequence[float], suffix: str = "") -> list[str]:
    """Swedish tick labels (``1 234``, ``12,5``, real minus) with as many decimals as the ticks need."""
    d = tick_decimals(ticks)
    return [fmt.number(t, d) + suffix for t in ticks]


def finite(values: Iterable[Any]) -> list[float]:
    """The values that are numbers (missing values, None, NaN and infinities left out)."""
    out = []
    for v in values:
        if fmt.is_missing(v):
            continue
        f = float(v)
        if math.isfinite(f):
            out.append(f)
    return out


@dataclass(frozen=True)
class Scale:
    """A linear map from data values ``lo..hi`` to positions ``a..b`` (``b < a`` for a y axis)."""

    lo: float
    hi: float
    a: float
    b: float

    def __call__(self, v: float) -> float:
        """The position of value ``v``."""
        return self.a + (v - self.lo) * (self.b - self.a) / (self.hi - self.lo)


# -- the canvas ---------------------------------------------------------------------------------


def _n(x: float) -> str:
    """A coordinate with one decimal at most (small files, stable output)."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


class Canvas:
    """An SVG document being drawn: shapes and text appended in order, :meth:`render` the result."""

    def __init__(self, width: float, height: float) -> None:
        self.width = width
        self.height = height
        self.parts: list[str] = []

    def line(self, x1: float, y1: float, x2: float, y2: float, *, stroke: str, width: float = 1.0,
             dash: str | None = None) -> None:  # fmt: skip
        """A straight line."""
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
            f'stroke-width="{_n(width)}"{d}/>'
        )

    def polyline(self, points: Sequence[tuple[float, float]], *, stroke: str, width: float = 2.0,
                 dash: str | None = None) -> None:  # fmt: skip
        """A line through ``points`` (round joins, no fill)."""
        d = f' stroke-dasharray="{dash}"' if dash else ""
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{stroke}" stroke-width="{_n(width)}" '
            f'stroke-linejoin="round" stroke-linecap="round"{d}/>'
        )

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str, stroke: str | None = None,
             stroke_width: float = 1.0) -> None:  # fmt: skip
        """A rectangle (a bar, a legend key)."""
        s = f' stroke="{stroke}" stroke-width="{_n(stroke_width)}"' if stroke else ""
        self.parts.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}"{s}/>')

    def hatch(self, x: float, y: float, w: float, h: float, *, stroke: str, spacing: float = 6.0) -> None:
        """Diagonal lines ``///`` inside a rectangle (drawn as clipped lines: no pattern or clip path needed)."""
        c = x + y + spacing / 2
        segs = []
        while c < x + w + y + h:
            # the line px + py = c inside the rectangle
            x0, x1 = max(x, c - y - h), min(x + w, c - y)
            if x1 > x0:
                segs.append(f"M{_n(x0)} {_n(c - x0)}L{_n(x1)} {_n(c - x1)}")
            c += spacing
        if segs:
            self.parts.append(f'<path d="{"".join(segs)}" stroke="{stroke}" stroke-width="1.2" fill="none"/>')

    def lines(self, segments: Sequence[tuple[float, float, float, float]], *, stroke: str, width: float = 1.0) -> None:
        """Straight lines of one style as a single path (gridlines, tick marks): one element, not one each,
        which is what a PDF renderer pays for."""
        if segments:
            d = "".join(f"M{_n(x1)} {_n(y1)}L{_n(x2)} {_n(y2)}" for x1, y1, x2, y2 in segments)
            self.parts.append(f'<path d="{d}" stroke="{stroke}" stroke-width="{_n(width)}" fill="none"/>')

    def markers(self, points: Sequence[tuple[float, float]], shape: str, *, colour: str, size: float = 7.0) -> None:
        """Point markers of one shape (``circle``, ``square``, ``triangle`` or ``diamond``) as a single path,
        with a white edge so that the lines behind stay apart from them."""
        if points:
            d = "".join(marker_path(x, y, shape, size) for x, y in points)
            self.parts.append(f'<path d="{d}" fill="{colour}" stroke="#ffffff" stroke-width="0.6"/>')

    def marker(self, x: float, y: float, shape: str, *, colour: str, size: float = 7.0) -> None:
        """One point marker (see :meth:`markers`)."""
        self.markers([(x, y)], shape, colour=colour, size=size)

    def text(self, x: float, y: float, text: str, *, size: float = SIZE, anchor: str = "start", bold: bool = False,
             fill: str = INK) -> None:  # fmt: skip
        """Text with its baseline at ``y``; ``anchor`` start, middle or end. The text is XML-escaped here."""
        a = f' text-anchor="{anchor}"' if anchor != "start" else ""
        b = ' font-weight="bold"' if bold else ""
        f = f' fill="{fill}"' if fill != INK else ""
        self.parts.append(f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}"{a}{b}{f}>{xml_text(text)}</text>')

    def render(self) -> str:
        """The whole SVG document (UTF-8 text, no XML declaration needed)."""
        w, h = _n(self.width), _n(math.ceil(self.height))
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="{FONT_FAMILY}" fill="{INK}"><rect width="100%" height="100%" fill="#ffffff"/>'
            + "".join(self.parts)
            + "</svg>"
        )


def marker_path(x: float, y: float, shape: str, size: float) -> str:
    """The path data of a marker centred on (x, y), about ``size`` across."""
    r = size / 2
    if shape == "circle":  # two half-circle arcs
        return f"M{_n(x - r)} {_n(y)}a{_n(r)} {_n(r)} 0 1 0 {_n(2 * r)} 0a{_n(r)} {_n(r)} 0 1 0 {_n(-2 * r)} 0Z"
    if shape == "square":
        r *= 0.9
        return f"M{_n(x - r)} {_n(y - r)}h{_n(2 * r)}v{_n(2 * r)}h{_n(-2 * r)}Z"
    if shape == "triangle":
        r *= 1.15
        return f"M{_n(x)} {_n(y - r)}L{_n(x + r)} {_n(y + r * 0.8)}L{_n(x - r)} {_n(y + r * 0.8)}Z"
    if shape == "diamond":
        r *= 1.2
        return f"M{_n(x)} {_n(y - r)}L{_n(x + r)} {_n(y)}L{_n(x)} {_n(y + r)}L{_n(x - r)} {_n(y)}Z"
    raise ValueError(f"unknown marker shape {shape!r}")


# -- line panels --------------------------------------------------------------------------------


@dataclass
class Series:
    """One line: its values (``None``/NaN is a gap) and how it is drawn."""

    label: str
    values: list[float | None]
    colour: str
    width: float = 2.0
    dash: str | None = None
    marker: str | None = "circle"
    marker_size: float = 7.0


@dataclass
class Panel:
    """One plot area of line series over categories (months, periods), as drawn: kept for tests."""

    x_labels: list[str]
    series: list[Series]
    title: list[str] = field(default_factory=list)
    unit: str = ""
    #: text centred below a run of categories (a year below its periods): (first index, last index, text)
    x_groups: list[tuple[int, int, str]] = field(default_factory=list)
    #: draw the axis from zero (never above zero) / whole-number ticks (counts)
    from_zero: bool = False
    integer: bool = False
    zero_line: bool = False
    tick_suffix: str = ""
    # filled in by draw_panel
    y_ticks: list[float] = field(default_factory=list)
    y_tick_labels: list[str] = field(default_factory=list)
    x_shown: list[int] = field(default_factory=list)
    x_positions: list[float] = field(default_factory=list)
    box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    @property
    def y_limits(self) -> tuple[float, float]:
        """The value range of the y axis (first and last tick)."""
        return self.y_ticks[0], self.y_ticks[-1]


def panel_ticks(panel: Panel) -> list[float]:
    """The y ticks of a panel: nice, covering every value drawn, from zero when asked or when the data
    cannot be negative and the ticks would reach below zero; 0-1 when everything is zero."""
    values = finite(v for s in panel.series for v in s.values)
    if not values:
        return [0.0, 1.0]
    lo, hi = min(values), max(values)
    if panel.from_zero or panel.zero_line:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if lo == hi == 0:
        return nice_ticks(0.0, 1.0, integer=panel.integer)
    ticks = nice_ticks(lo, hi, integer=panel.integer)
    if min(values) >= 0 and ticks[0] < 0:  # never a negative axis for figures that are not negative
        ticks = [t for t in ticks if t >= 0]
    return ticks


def _draw_series(c: Canvas, xs: list[float], ys: Scale, s: Series) -> None:
    runs: list[list[tuple[float, float]]] = [[]]
    for x, v in zip(xs, s.values, strict=True):
        f = None if fmt.is_missing(v) else float(v)  # type: ignore[arg-type]
        if f is None or not math.isfinite(f):
            if runs[-1]:
                runs.append([])  # a gap: the line stops and starts again after the missing value
            continue
        runs[-1].append((x, ys(f)))
    for run in runs:
        if len(run) > 1:
            c.polyline(run, stroke=s.colour, width=s.width, dash=s.dash)
    if s.marker:
        c.markers([p for run in runs for p in run], s.marker, colour=s.colour, size=s.marker_size)
    else:  # a lone point of a line without markers is still seen: a short stroke
        lone = [(x - 6, y, x + 6, y) for run in runs if len(run) == 1 for x, y in run]
        c.lines(lone, stroke=s.colour, width=s.width + 0.6)


def draw_panel(
    c: Canvas,
    panel: Panel,
    x: float,
    y: float,
    w: float,
    h: float,
    *,
    title_lines: int | None = None,
    unit_line: bool | None = None,
) -> None:
    """Draw ``panel`` in the box (x, y, w, h): title, unit, y grid and Swedish tick labels, category
    labels (thinned so that none collide) with their groups below, then the series.

    ``title_lines`` and ``unit_line`` reserve room for the tallest title and a unit line in a row of
    small multiples, so the plot areas of a row line up.
    """
    for i, line in enumerate(panel.title):
        c.text(x, y + (i + 1) * SIZE * 1.25 - SIZE * 0.25, line, size=SIZE, bold=True)
    top = y + title_height(max(len(panel.title), title_lines or 0))
    if panel.unit:
        c.text(x, top + SMALL * 1.0, panel.unit, size=SMALL, fill=MUTED)
    if panel.unit or unit_line:
        top += SMALL * 1.3
    top += SMALL * 0.6  # room for the top tick label's upper half
    ticks = panel_ticks(panel)
    labels = tick_labels(ticks, panel.tick_suffix)
    panel.y_ticks, panel.y_tick_labels = ticks, labels
    left = x + max(text_width(t, SMALL) for t in labels) + 8
    bottom = y + h - SMALL * 1.6 - (SMALL * 1.35 if panel.x_groups else 0)
    ys = Scale(ticks[0], ticks[-1], bottom, top)
    c.lines([(left, ys(t), x + w, ys(t)) for t in ticks], stroke=GRID, width=0.8)
    for t, label in zip(ticks, labels, strict=True):
        c.text(left - 6, ys(t) + SMALL * 0.36, label, size=SMALL, anchor="end")
    if panel.zero_line and ticks[0] < 0 < ticks[-1]:
        c.line(left, ys(0), x + w, ys(0), stroke=MUTED, width=1.0)
    c.line(left, bottom, x + w, bottom, stroke=AXIS, width=1.0)
    n = len(panel.x_labels)
    step_w = (x + w - left) / max(n, 1)
    xs = [left + (i + 0.5) * step_w for i in range(n)]
    widest = max((text_width(t, SMALL) for t in panel.x_labels), default=0)
    every = max(1, math.ceil((widest + 6) / step_w)) if step_w > 0 else 1
    panel.x_shown = list(range(0, n, every))
    panel.x_positions = xs
    label_y = bottom + SMALL * 1.25
    c.lines([(xs[i], bottom, xs[i], bottom + 4) for i in panel.x_shown], stroke=AXIS, width=1.0)
    for i in panel.x_shown:
        c.text(xs[i], label_y, panel.x_labels[i], size=SMALL, anchor="middle")
    for first, last, text in panel.x_groups:
        c.text((xs[first] + xs[last]) / 2, label_y + SMALL * 1.3, text, size=SMALL, anchor="middle", fill=MUTED)
    for s in reversed(panel.series):  # the first series (the outcome) on top, where lines meet
        _draw_series(c, xs, ys, s)
    panel.box = (left, top, x + w - left, bottom - top)


def title_height(lines: int) -> float:
    """The height a panel title of ``lines`` lines takes in :func:`draw_panel`."""
    return lines * SIZE * 1.25 + (4 if lines else 0)


def legend(c: Canvas, x: float, y: float, series: Sequence[Series]) -> float:
    """A one-row legend with its top-left corner at (x, y): a sample of each line and its label.
    Returns the height used."""
    cx = x
    mid = y + SIZE * 0.7
    for s in series:
        c.line(cx, mid, cx + 40, mid, stroke=s.colour, width=s.width, dash=s.dash)
        if s.marker:
            c.marker(cx + 20, mid, s.marker, colour=s.colour, size=s.marker_size)
        c.text(cx + 47, mid + SIZE * 0.36, s.label, size=SIZE)
        cx += 47 + text_width(s.label, SIZE) + 24
    return SIZE * 1.6


# -- embedding ----------------------------------------------------------------------------------


@dataclass
class Chart:
    """A drawn chart: the SVG document and its panels as drawn (what tests and callers may inspect)."""

    svg: str
    panels: list[Panel]
    width: float
    height: float


def figure(svg: str, *, alt: str, caption: str | None = None) -> Html:
    """An SVG chart as ``<figure><img src="data:image/svg+xml;base64,..." alt="...">`` with a caption.

    ``alt`` must say what the chart shows (the values that matter), not just its type.
    """
    if not alt or not alt.strip():
        raise ValueError("a chart needs a text alternative (alt) that says what it shows")
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return Html(f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{esc(alt)}">{cap}</figure>')
