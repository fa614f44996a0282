"""Swedish formatting for reports: numbers, amounts, percentages, special values, statuses."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from ilslib import fmt

NB = "\u00a0"
MINUS = "\u2212"


@pytest.mark.parametrize(
    "x, decimals, expected",
    [
        (0, 0, "0"),
        (1234567, 0, f"1{NB}234{NB}567"),
        (1234567.25, 1, f"1{NB}234{NB}567,3"),
        (999.95, 1, f"1{NB}000,0"),
        (-1500, 0, f"{MINUS}1{NB}500"),
        (-0.04, 1, "0,0"),
        (2.25, 1, "2,3"),
        (0.125, 2, "0,13"),
        (12.5, 1, "12,5"),
        (100, 2, "100,00"),
        (None, 1, "-"),
        (float("nan"), 1, "-"),
        (pd.NA, 0, "-"),
    ],
)
def test_number(x, decimals, expected):
    assert fmt.number(x, decimals) == expected


def test_money_pct_and_units():
    assert fmt.money(1234567) == f"1{NB}234{NB}567{NB}kr"
    assert fmt.money(-80.4) == f"{MINUS}80{NB}kr"
    assert fmt.money(None) == "-"
    assert fmt.tkr(1234567) == f"1{NB}235{NB}tkr"
    assert fmt.pct(12.5) == f"12,5{NB}%"
    assert fmt.pct(-3.25, 2) == f"{MINUS}3,25{NB}%"
    assert fmt.pct(4.0, suppressed=True) == ".."
    assert fmt.pct(math.nan) == "-"
    assert fmt.value(87.25, "%", 1) == f"87,3{NB}%"
    assert fmt.value(12, "antal", 0) == "12"
    assert fmt.value(101.5, "index", 0) == "102"
    assert fmt.value(3.5, "dagar", 1) == f"3,5{NB}dagar"
    assert fmt.value(None, "%", 1) == "-"


def test_signed_changes():
    assert [fmt.signed(1.5, 1), fmt.signed(-2), fmt.signed(0), fmt.signed(0.04, 1), fmt.signed(None)] == [
        "+1,5",
        f"{MINUS}2",
        "0",
        "0,0",
        "-",
    ]


def test_special_values_as_in_kolada():
    assert (fmt.MISSING, fmt.NOT_APPLICABLE, fmt.SUPPRESSED) == ("-", ".", "..")
    assert fmt.special("..", 5.0) == ".."
    assert fmt.special(None, 5.0, 1, "%") == f"5,0{NB}%"
    assert fmt.special(None, None) == "-"


@pytest.mark.parametrize(
    "code, text",
    [
        ("uppfyllt", "✓ Uppfyllt"),
        ("delvis", "◐ Delvis uppfyllt"),
        ("ej_uppfyllt", "✗ Ej uppfyllt"),
        ("saknas", "– Saknas"),
        ("ej_malsatt", "Ej målsatt"),
        (None, ""),
        (math.nan, ""),
    ],
)
def test_status_is_symbol_and_word(code, text):
    assert fmt.status(code) == text


def test_status_parts_assessments_and_activities():
    assert (fmt.status_symbol("ej_uppfyllt"), fmt.status_word("ej_uppfyllt")) == ("✗", "Ej uppfyllt")
    assert fmt.assessment("delvis") == "◐ Delvis uppfyllt"
    assert fmt.assessment(None) == fmt.assessment("saknas") == "– Ej bedömt"
    assert fmt.activity("paborjad") == "Påbörjad" and fmt.activity("forsenad") == "Försenad"
    assert fmt.activity(None) == "– Saknas"
    assert set(fmt.COLOUR) == {"green", "yellow", "red", "grey"}
