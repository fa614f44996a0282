"""Charts as a reader sees them: no negative axis for counts, whole titles, labels that never wrap or collide,
and amounts in the same unit as the table beside the chart."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ilslib import fmt  # noqa: E402
from ilslib.report import charts  # noqa: E402

PERIODS = ["2024-T1", "2024-T2", "2024-BO", "2025-T1", "2025-T2", "2025-BO", "2026-T1", "2026-T2"]
LONG = "Andel elever i årskurs 9 som är behöriga till ett yrkesprogram i den kommunala gymnasieskolan"


def history(indicator_id: str, name: str, unit: str, decimals: int, values: list[float], target: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": PERIODS,
            "indicator_id": indicator_id,
            "name": name,
            "unit": unit,
            "decimals": decimals,
            "value": values,
            "target": target,
        }
    )


@pytest.fixture
def figure():
    made = []

    def make(*frames: pd.DataFrame):
        h = pd.concat(frames, ignore_index=True)
        fig, alts = charts.trends_figure(h, list(dict.fromkeys(h["indicator_id"])))
        made.append(fig)
        return fig, alts

    yield make
    for fig in made:
        plt.close(fig)


def test_a_count_of_zero_is_drawn_from_zero_with_whole_ticks(figure) -> None:
    # 0 accidents throughout: matplotlib alone would draw -0,04 to 0,04
    fig, _ = figure(history("OLYCKOR", "Antal allvarliga arbetsplatsolyckor", "antal", 0, [0.0] * 8, 0.0))
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    assert (lo, hi) == (0.0, 1.0)
    ticks = [t for t in ax.get_yticks() if lo <= t <= hi]
    assert all(float(t).is_integer() and t >= 0 for t in ticks), ticks


def test_non_negative_figures_never_get_a_negative_axis(figure) -> None:
    fig, _ = figure(
        history("C", "Antal fall", "antal", 0, [0, 1, 0, 0, 2, 0, 0, 1], 0.0),
        history("P", "Andel", "%", 1, [0.1, 0.0, 0.2, 0.0, 0.1, 0.0, 0.3, 0.1], 0.2),
    )
    for ax in fig.axes[:2]:
        assert ax.get_ylim()[0] >= 0, ax.get_title()
    assert all(float(t).is_integer() for t in fig.axes[0].get_yticks()), "a count has whole ticks"


def test_long_titles_wrap_whole_and_are_never_cut(figure) -> None:
    fig, alts = figure(history("BEH", LONG, "%", 1, [80, 81, 82, 83, 84, 85, 86, 87], 90))
    title = fig.axes[0].get_title(loc="left")
    assert "…" not in title and " ".join(title.split()) == LONG
    assert "\n" in title and max(len(line) for line in title.splitlines()) <= charts.TITLE_WIDTH
    assert LONG in alts[0]


def test_period_labels_are_whole_and_do_not_collide(figure) -> None:
    fig, _ = figure(
        history("A", "Ett", "%", 1, [1, 2, 3, 4, 5, 6, 7, 8], 5),
        history("B", "Två", "%", 1, [8, 7, 6, 5, 4, 3, 2, 1], 5),
    )
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes[:2]:
        labels = [t for t in ax.get_xticklabels() if t.get_text()]
        assert [t.get_text() for t in labels] == [p[5:] for p in PERIODS]  # T1 T2 BO, the year once below
        years = [t.get_text() for t in ax.texts if t.get_gid() == "year"]
        assert years == ["2024", "2025", "2026"]
        assert not [t for t in labels if "\n" in t.get_text() or t.get_rotation()]
        boxes = [t.get_window_extent(renderer) for t in labels]
        for a, b in zip(boxes, boxes[1:], strict=False):
            assert not a.overlaps(b), "tick labels collide"
        year_boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "year"]
        assert all(y.y1 <= min(b.y0 for b in boxes) for y in year_boxes), "the years are below the periods"


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
    fig = charts.economy_figure(series, unit)
    try:
        ax = fig.axes[0]
        assert ax.get_ylabel() == "Nettoresultat, mnkr"
        assert max(line.get_ydata().max() for line in ax.get_lines()[:2]) == pytest.approx(12_800.0)
    finally:
        plt.close(fig)
    html = charts.economy_chart(series, period_title="Tertialrapport 2 2026", unit=unit)
    assert "(mnkr, ackumulerat)" in html and f"12{fmt.NBSP}000,0{fmt.NBSP}mnkr" in html
