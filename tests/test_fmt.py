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


# -- total for every finite number (numbers the loader accepts must never crash a report) ------------


@pytest.mark.parametrize(
    "x",
    [
        12345678901234567890123456789,  # a 29-digit amount
        1e30,  # an FTE of 1E30
        1e308,  # an outcome of 1E308
        -1e308,
        5e-324,
        2**70,
    ],
)
def test_every_finite_number_is_formatted(x):
    for text in (
        fmt.number(x),
        fmt.number(x, 2),
        fmt.signed(x, 1),
        fmt.money(x),
        fmt.tkr(x),
        fmt.pct(x),
        fmt.value(x, "%", 1),
        fmt.change(x, "%", 1),
        fmt.amount(x),
    ):
        assert text and text != "-"
        assert "E" not in text and "e+" not in text
    digits = fmt.number(x).replace(NB, "").lstrip(MINUS)
    assert digits.isdigit() and (abs(x) < 1 or len(digits) >= len(str(int(abs(x)))) - 1)


def test_a_29_digit_amount_keeps_every_digit():
    assert fmt.number(12345678901234567890123456789) == NB.join(
        ["12", "345", "678", "901", "234", "567", "890", "123", "456", "789"]
    )
    assert len(fmt.number(1e308).replace(NB, "")) == 309


def test_infinity_and_non_numbers_are_missing_not_an_error():
    for x in (math.inf, -math.inf, "abc", object()):
        assert fmt.number(x) == "-" and fmt.pct(x) == "-" and fmt.amount(x) == "-"


# -- amounts of any size: kr, tkr or mnkr by size, the unit named once -------------------------------


@pytest.mark.parametrize(
    "values, label",
    [
        ([999_999], "kr"),
        ([1_000_000], "tkr"),
        ([-58_233_940, 12], "tkr"),
        ([999_999_999], "tkr"),
        ([12_345_678_901], "mnkr"),  # 11 digits in whole kronor
        ([None, float("nan")], "kr"),
    ],
)
def test_amount_unit_by_size(values, label):
    assert fmt.amount_unit(*values).label == label


def test_amounts_in_a_unit():
    assert fmt.TKR.number(-58_233_940) == f"{MINUS}58{NB}234"
    assert fmt.MNKR.number(12_345_678_901) == f"12{NB}345,7"
    assert fmt.MNKR.signed(58_250_000) == "+58,3"
    assert fmt.amount(12_345_678_901) == f"12{NB}345,7{NB}mnkr"
    assert fmt.amount(-1500) == f"{MINUS}1{NB}500{NB}kr"


def test_a_change_carries_its_unit_and_a_percentage_changes_in_percentage_points():
    assert fmt.change(1.25, "%", 1) == f"+1,3{NB}p.e."
    assert fmt.change(-0.3, "%", 1) == f"{MINUS}0,3{NB}p.e."
    assert fmt.change(-2, "antal", 0) == f"{MINUS}2"
    assert fmt.change(3.5, "dagar", 1) == f"+3,5{NB}dagar"
    assert fmt.change(None, "%", 1) == "-"


def test_excel_formats_match_the_swedish_text():
    assert fmt.excel_format(0) == '[<=-0.5]"−"#,##0;#,##0'
    assert fmt.excel_format(1, suffix="%") == '[<=-0.05]"−"#,##0.0" %";#,##0.0" %"'
    assert fmt.excel_format(0, scale=1) == '[<=-500]"−"#,##0,;#,##0,'  # kronor shown as tkr
    # as mnkr with a sign, but no sign on what rounds to zero (as fmt.signed: +100 kr is "0,0" mnkr)
    assert fmt.excel_format(1, scale=2, signed=True) == '[>=50000]"+"#,##0.0,,;[<=-50000]"−"#,##0.0,,;#,##0.0,,'
    assert fmt.MNKR.signed(100) == "0,0" and fmt.MNKR.signed(50_000) == "+0,1"
