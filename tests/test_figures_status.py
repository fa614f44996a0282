"""The pure rules: status, the default band, which target applies, roll-up combination (no database)."""

from __future__ import annotations

import math

import pytest

import ilslib.figures as f
from ilslib import settings
from ilslib.figures.rollup import combine

# direction, target, partial_limit, value, expected
CASES = [
    ("higher", 80, None, 80, "uppfyllt"),
    ("higher", 80, None, 72, "delvis"),
    ("higher", 80, None, 71.999999, "ej_uppfyllt"),
    ("higher", 80, 79, 79, "delvis"),
    ("higher", 80, 90, 79, "ej_uppfyllt"),  # a partial limit on the wrong side leaves no band
    ("lower", 5, None, 5, "uppfyllt"),
    ("lower", 5, None, 5.5, "delvis"),
    ("lower", 5, None, 5.500001, "ej_uppfyllt"),
    ("lower", 0, None, 0, "uppfyllt"),
    ("lower", 0, None, 1e-12, "ej_uppfyllt"),
    ("higher", 0, None, -1e-12, "ej_uppfyllt"),
    ("higher", -10, None, -11, "delvis"),
    ("lower", -10, None, -9, "delvis"),
    ("higher", 0.3, None, 0.27, "delvis"),
    ("lower", 0.3, None, 0.33, "delvis"),
    ("lower", 1.1, None, 1.21, "delvis"),
    ("higher", 1e9, None, 9e8, "delvis"),
    ("higher", 80, None, None, "saknas"),
    ("higher", None, None, 80, "ej_malsatt"),
    ("lower", None, None, None, "saknas"),
    ("higher", 80, None, float("nan"), "saknas"),
    ("higher", float("nan"), None, 1, "ej_malsatt"),
]


@pytest.mark.parametrize("direction, target, partial, value, expected", CASES)
def test_status(direction, target, partial, value, expected):
    assert f.status(value, target, direction, partial) == expected


def test_status_rejects_an_unknown_direction():
    with pytest.raises(ValueError, match="direction"):
        f.status(1, 1, "up")


@pytest.mark.parametrize(
    "target, direction, expected",
    [
        (80, "higher", 72.0),
        (80, "lower", 88.0),
        (0, "higher", 0.0),
        (-10, "higher", -11.0),
        (-10, "lower", -9.0),
        (0.3, "higher", 0.27),
        (1.1, "lower", 1.21),
    ],
)
def test_default_partial_limit(target, direction, expected):
    assert f.default_partial_limit(target, direction) == expected


def test_default_band_is_a_setting(monkeypatch):
    monkeypatch.setattr(settings, "PARTIAL_BAND_PCT", 5.0)
    assert f.default_partial_limit(80, "higher") == 76.0
    assert f.status(75, 80, "higher") == "ej_uppfyllt"
    assert f.status(75, 80, "higher", band_pct=10) == "delvis"


def test_default_band_needs_finite_numbers():
    # a NaN target or band failed with "bad operand type for abs(): 'NoneType'" (found by mypy)
    with pytest.raises(ValueError, match="target must be a finite number, got nan"):
        f.default_partial_limit(float("nan"), "higher")
    with pytest.raises(ValueError, match="partial band must be a finite percentage, got nan"):
        f.status(71, 80, "higher", band_pct=float("nan"))
    assert f.status(71, 80, "higher", partial_limit=70, band_pct=float("nan")) == "delvis"  # band not needed


def test_effective_partial_limit():
    assert f.effective_partial_limit(80, "higher", 70) == 70.0
    assert f.effective_partial_limit(80, "higher", None) == 72.0
    assert f.effective_partial_limit(None, "higher", 70) is None


@pytest.mark.parametrize(
    "code, rows, expected",
    [
        ("T1", {"annual": (10, None, "G"), "T1": (4, 3, "G1")}, ("T1", 4, 3, "G1")),
        ("T1", {"annual": (10, 9, "G"), "T2": (4, 3, "G1")}, ("annual", 10, 9, "G")),
        ("T2", {"T2": (6, None, None)}, ("T2", 6, None, None)),
        ("BO", {"annual": (10, None, "G"), "BO": (12, None, "G")}, ("BO", 12, None, "G")),
        ("BO", {"annual": (10, None, "G"), "T2": (6, None, "G")}, ("annual", 10, None, "G")),
        ("BU", {"annual": (10, None, "G"), "BO": (12, None, "G")}, ("BO", 12, None, "G")),
        ("T1", {"BO": (12, None, "G")}, (None, None, None, None)),
        ("BO", {}, (None, None, None, None)),
    ],
)
def test_applicable_target(code, rows, expected):
    assert f.applicable_target(code, rows) == expected


@pytest.mark.parametrize(
    "judgements, expected",
    [
        ([], "saknas"),
        (["uppfyllt"], "uppfyllt"),
        (["uppfyllt", "uppfyllt"], "uppfyllt"),
        (["ej_uppfyllt", "ej_uppfyllt"], "ej_uppfyllt"),
        (["uppfyllt", "ej_uppfyllt"], "delvis"),
        (["delvis"], "delvis"),
        (["uppfyllt", "delvis"], "delvis"),
    ],
)
def test_combining_own_goal_judgements(judgements, expected):
    assert combine(judgements) == expected


@pytest.mark.parametrize(
    "values, direction, ranks, colours",
    [
        ([10, 20, 30, 40], "higher", [4, 3, 2, 1], ["red", "yellow", "yellow", "green"]),
        ([10, 20, 30, 40], "lower", [1, 2, 3, 4], ["green", "yellow", "yellow", "red"]),
        ([10, 10, 30, 40], "lower", [1, 1, 3, 4], ["yellow", "yellow", "yellow", "red"]),  # two tied: not a quarter
        (
            [10, 20, 30, 40, 50, 60, 70, 80],
            "lower",
            [1, 2, 3, 4, 5, 6, 7, 8],
            ["green"] * 2 + ["yellow"] * 4 + ["red"] * 2,
        ),
        (
            [10, 10, 30, 40, 50, 60, 70, 80],
            "lower",
            [1, 1, 3, 4, 5, 6, 7, 8],
            ["green"] * 2 + ["yellow"] * 4 + ["red"] * 2,
        ),
        (
            [5, None, 5, 7, 1, 9, 9, 9],
            "higher",
            [5, None, 5, 4, 7, 1, 1, 1],
            ["yellow", "grey", "yellow", "yellow", "red", "yellow", "yellow", "yellow"],
        ),
        ([1, 2, 3], "higher", [3, 2, 1], ["yellow", "yellow", "yellow"]),
        ([None, None], "higher", [None, None], ["grey", "grey"]),
    ],
)
def test_rank_values(values, direction, ranks, colours):
    import pandas as pd

    r, c, n = f.rank_values(pd.Series(values, dtype="float64"), direction)
    assert [None if pd.isna(x) else int(x) for x in r] == ranks
    assert c.tolist() == colours
    assert n == sum(v is not None for v in values)


def test_exact_decimal_comparison_is_not_rounding():
    # 0.1 + 0.2 is stored as 0.30000000000000004: strictly above a target of 0.3
    assert f.status(0.1 + 0.2, 0.3, "lower") == "delvis"
    assert f.status(0.1 + 0.2, 0.3, "higher") == "uppfyllt"
    assert not math.isclose(0.1 + 0.2, 0.3, rel_tol=0, abs_tol=0)
