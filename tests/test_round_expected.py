"""What an organisation owes for a period (``ilslib.round.expected``) and the rules it rests on (``ilslib.rules``).

Table-driven: the rules on their own; the expected items and completeness of the hand-made
round (``tests/round_support.py``) for every period type, on the three backends.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from round_support import HOSTILE_TITLE, load_dataset

from ilslib import connect, rules
from ilslib.round.expected import PERIOD_COMMENT_KINDS, Item, completeness, items, split_by_gender

# (frequency, period code, followed up)
FOLLOWED = [
    ("tertial", "T1", True),
    ("tertial", "T2", True),
    ("tertial", "BO", True),
    ("tertial", "BU", False),
    ("annual", "T1", False),
    ("annual", "T2", False),
    ("annual", "BO", True),
    ("annual", "BU", False),
    (None, "T2", False),  # no frequency: annual
    (None, "BO", True),
]


@pytest.mark.parametrize(("frequency", "code", "followed"), FOLLOWED)
def test_which_indicators_a_period_follows_up(frequency, code, followed) -> None:
    assert rules.followed_up(frequency, code) is followed
    assert rules.followed_up(frequency, f"2026-{code}") is followed


# (goal, year, judged by ORG)
GOALS = [
    ({"org_id": "ORG", "level": "namndmal", "first_year": 2025, "last_year": None}, 2026, True),
    ({"org_id": "ORG", "level": "bolagsmal", "first_year": None, "last_year": None}, 2026, True),
    ({"org_id": "ORG", "level": "namndmal", "first_year": 2027, "last_year": None}, 2026, False),  # not yet
    ({"org_id": "ORG", "level": "namndmal", "first_year": None, "last_year": 2025}, 2026, False),  # ended
    ({"org_id": "ORG", "level": "namndmal", "first_year": 2026, "last_year": 2026}, 2026, True),
    ({"org_id": "ORG", "level": "namndmal", "first_year": float("nan"), "last_year": float("nan")}, 2026, True),
    # the kommun owns KF's goals: its own goals, judged in the city's report (as the report counts them)
    ({"org_id": "ORG", "level": "kf_mal", "first_year": None, "last_year": None}, 2026, True),
    ({"org_id": "ORG", "level": "inriktningsmal", "first_year": None, "last_year": None}, 2026, False),
    ({"org_id": "ORG", "level": "vision", "first_year": None, "last_year": None}, 2026, False),
    ({"org_id": "OTHER", "level": "namndmal", "first_year": None, "last_year": None}, 2026, False),
]


@pytest.mark.parametrize(("goal", "year", "judged"), GOALS)
def test_which_goals_an_organisation_judges(goal, year, judged) -> None:
    assert rules.judges("ORG", goal, year) is judged


def test_a_period_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="not a period or period code"):
        rules.period_code("2026-T3")


def test_an_item_is_named_for_a_reporter() -> None:
    assert Item("outcome", "I", "Sjukfrånvaro", False, gender="K").name == "Utfall, kvinnor: Sjukfrånvaro"
    assert Item("judgement", "G", "Trygg omsorg", False).name == "Bedömning av mål: Trygg omsorg"
    assert Item("comment", "rapportkommentar", "Rapportkommentar", False).name == "Rapportkommentar"
    assert [k[0] for k in PERIOD_COMMENT_KINDS.values()] == ["vd_kommentar"] * 3 + ["rapportkommentar"]


@pytest.fixture
def round_url(wh_url: str, tmp_path: Path) -> str:
    load_dataset(wh_url, tmp_path)
    return wh_url


def _short(found: list[Item]) -> list[tuple]:
    return [(i.kind, i.ref, i.gender, i.present, i.required) for i in found]


# (organisation, period, its items as (kind, ref, gender, present, required), completeness)
EXPECTED = [
    (
        "NAMN_A",
        "2026-T1",
        [
            ("outcome", "I_G", "T", True, True),
            ("outcome", "I_G", "K", True, False),
            ("outcome", "I_G", "M", True, False),
            ("outcome", "I_L", "T", False, True),
            ("outcome", "I_T", "T", True, True),  # I_A is annual: not in a tertial
            ("status", "A1", None, True, True),
            ("status", "A4", None, False, True),  # A2 ended in 2025
            ("judgement", "GA1", None, False, False),  # offered in a tertial, not counted; GA2 ended in 2025
            ("comment", "vd_kommentar", None, False, True),
            ("comment", "avvikelse", None, False, False),
            ("comment", "analys", None, False, False),
        ],
        3 / 6,
    ),
    (
        "NAMN_A",
        "2026-BO",
        [
            ("outcome", "I_A", "T", False, True),  # the annual report follows up every indicator
            ("outcome", "I_G", "T", False, True),
            ("outcome", "I_G", "K", False, False),
            ("outcome", "I_G", "M", False, False),
            ("outcome", "I_L", "T", False, True),
            ("outcome", "I_T", "T", False, True),
            ("status", "A1", None, False, True),
            ("status", "A4", None, False, True),
            ("judgement", "GA1", None, False, True),  # required in the annual report
            ("comment", "rapportkommentar", None, False, True),
            ("comment", "avvikelse", None, False, False),
            ("comment", "analys", None, False, False),
        ],
        0.0,
    ),
    (
        "NAMN_A",
        "2026-BU",
        [
            ("target", "I_A", None, True, True),
            ("target", "I_G", None, True, True),
            ("target", "I_L", None, True, True),
            ("target", "I_T", None, True, True),
            ("comment", "vd_kommentar", None, False, True),
        ],
        4 / 5,
    ),
    (
        "NAMN_B",
        "2026-BU",
        [
            ("target", "I_L", None, False, True),  # a target last year, none this year yet
            ("target", "I_T", None, True, True),
            ("comment", "vd_kommentar", None, False, True),
        ],
        1 / 3,
    ),
    (
        "NAMN_B",
        "2026-T2",
        [
            ("outcome", "I_T", "T", True, True),
            ("comment", "vd_kommentar", None, True, True),
            ("comment", "avvikelse", None, False, False),
            ("comment", "analys", None, False, False),
        ],
        1.0,
    ),
    (  # the kommun owns KF1: one of its own goals, judged (optionally in a tertial) as its report counts it
        "STAD",
        "2026-T2",
        [("judgement", "KF1", None, False, False)]
        + [("comment", k, None, False, k == "vd_kommentar") for k in PERIOD_COMMENT_KINDS["T2"]],
        0.0,
    ),
]


def test_expected_items_and_completeness_for_every_period_type(round_url: str) -> None:
    with connect(round_url) as wh:
        assert split_by_gender(wh) == {"I_G"}
        for org, period, found, share in EXPECTED:
            got = items(wh, period, [org])[org]
            assert _short(got) == found, (org, period)
            c = completeness(wh, period, [org])[org]
            assert c.share == pytest.approx(share), (org, period)
            assert c.expected == sum(1 for f in found if f[4]) and c.present == sum(1 for f in found if f[3] and f[4])
            assert c.missing == [i.name for i in got if i.required and not i.present]
        every = completeness(wh, "2026-T2")
        assert set(every) == {"STAD", "NAMN_A", "NAMN_B", "BOL_C", "BOL_D", "ENH"}
        assert every["NAMN_A"].missing[4] == f"Status för aktivitet: {HOSTILE_TITLE}"


@pytest.mark.parametrize("period", ["2026-BU", "2026-T2", "2025-BO"])
def test_a_few_organisations_read_alone_give_what_all_give(demo_url: str, period: str) -> None:
    """``items`` for one or a few organisations reads only their rows (a large city's ``ils ready``): same items."""
    with connect(demo_url) as wh:
        every = items(wh, period)
        orgs = sorted(every)
        for org in orgs:
            assert items(wh, period, [org]) == {org: every[org]}, org
        few = orgs[:5]
        assert items(wh, period, few) == {o: every[o] for o in few}
        assert sum(len(v) for v in every.values()) > 100 and all(every[o] for o in orgs)
