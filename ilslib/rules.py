"""Rules of the goal model that several parts of ``ilslib`` apply: each lives here, once.

- which indicators a period follows up (:func:`followed_up`), and which a report
  or check of the period lists (:func:`frequency_sql`);
- which goals are an organisation's own and so judged by it (:func:`own_goal`, :func:`judges`,
  :func:`judged_levels_sql`; :data:`ABOVE_OWN_GOALS`).

The reports, ``ils check``, the reporting workbook, completeness and the
status page all ask these functions, so they cannot disagree.

>>> followed_up("tertial", "T1"), followed_up("annual", "T2"), followed_up("annual", "BO")
(True, False, True)
>>> judges("ALN", {"org_id": "ALN", "level": "namndmal", "first_year": 2025, "last_year": None}, 2026)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The levels no organisation judges or counts among its own goals: the vision and KF's inriktningsmål.
#: An organisation's own goals are every goal it owns below them (:func:`own_goal`): for a board or a
#: company its nämndmål or bolagsmål; for the kommun, which owns the KF goals, the KF goals (the city's
#: own report judges them). The report, ``ils check``, the workbook and completeness all ask
#: :func:`own_goal` / :func:`judges`: "a judgement of every own goal" (the contract's completeness).
#: Another organisation's view of a KF goal is counted through its own goals that concretise it (the roll-up).
ABOVE_OWN_GOALS: tuple[str, ...] = ("vision", "inriktningsmal")

#: Indicator frequencies followed up in each period code. The budget follows up nothing (targets only);
#: a tertial report follows up the tertial indicators; the annual report (bokslut) all of them.
FOLLOWED_UP: Mapping[str, tuple[str, ...]] = {
    "BU": (),
    "T1": ("tertial",),
    "T2": ("tertial",),
    "BO": ("tertial", "annual"),
}


def period_code(period: object) -> str:
    """The code (``BU``, ``T1``, ``T2``, ``BO``) of a period given as a code, ``YYYY-CODE`` or a Period."""
    code = getattr(period, "code", None)
    if code is None:
        code = str(period).rsplit("-", 1)[-1]
    if code not in FOLLOWED_UP:
        raise ValueError(f"not a period or period code: {period!r}")
    return str(code)


def followed_up(frequency: str | None, period: object) -> bool:
    """True when an indicator of this ``frequency`` (``tertial``, ``annual``; None = annual) is followed up."""
    return (frequency or "annual") in FOLLOWED_UP[period_code(period)]


def frequency_sql(period: object, column: str = "i.frequency") -> tuple[str | None, list[object]]:
    """The SQL condition on an indicator's ``column`` for the indicators a report of the period lists.

    A tertial lists the indicators it follows up (:data:`FOLLOWED_UP`); the
    budget (the year's targets) and the annual report list every indicator.
    ``(None, [])`` when there is no condition.

    >>> frequency_sql("2026-T1"), frequency_sql("2026-BO")
    (('i.frequency IN (?)', ['tertial']), (None, []))
    """
    code = period_code(period)
    if code not in ("T1", "T2"):
        return None, []
    wanted = FOLLOWED_UP[code]
    return f"{column} IN ({', '.join('?' for _ in wanted)})", list(wanted)


def judged_levels_sql(column: str = "g.level") -> tuple[str, list[object]]:
    """The SQL condition on a goal's ``column`` for the levels an organisation judges (below :data:`ABOVE_OWN_GOALS`).

    >>> judged_levels_sql()
    ('g.level NOT IN (?, ?)', ['vision', 'inriktningsmal'])
    """
    return f"{column} NOT IN ({', '.join('?' for _ in ABOVE_OWN_GOALS)})", list(ABOVE_OWN_GOALS)


def valid_in(goal: Mapping[str, Any], year: int) -> bool:
    """True when a goal's ``first_year``-``last_year`` (either may be empty) contains ``year``."""
    first, last = goal.get("first_year"), goal.get("last_year")
    return (first is None or first != first or int(first) <= year) and (
        last is None or last != last or int(last) >= year
    )


def judges(org_id: str, goal: Mapping[str, Any], year: int) -> bool:
    """True when ``org_id`` judges ``goal`` (a row with org_id, level, first_year, last_year) in ``year``."""
    return own_goal(org_id, goal) and valid_in(goal, year)


def own_goal(org_id: str, goal: Mapping[str, Any]) -> bool:
    """True when ``goal`` (a row with org_id and level) is one of the organisation's own goals in its report.

    >>> own_goal("STAD", {"org_id": "STAD", "level": "kf_mal"}), own_goal("STAD", {"org_id": "STAD", "level": "vision"})
    (True, False)
    """
    return goal.get("org_id") == org_id and goal.get("level") not in ABOVE_OWN_GOALS
