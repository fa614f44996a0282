"""The organisation's judgements of its goals, beside the statuses of the indicators that measure them.

A goal's fulfilment is the organisation's own judgement (*bedömning*), never
computed from the indicators; the indicators that measure a goal are those
whose target row (``targets.goal_id``) links them to it for the organisation.

**Divergence.** Count the goal's indicators in the period's indicator table
that have a status ``uppfyllt``, ``delvis`` or ``ej_uppfyllt`` (``n``;
``saknas`` and ``ej_malsatt`` are left out). The judgement diverges when it is
``uppfyllt`` while most of the ``n`` are not met (fewer than half are
``uppfyllt``: a partly met indicator is not a met one), or ``ej_uppfyllt``
while most are met (more than half ``uppfyllt``). No judgement, a ``delvis``
judgement, or ``n = 0``: no divergence.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..contract import GOAL_LEVELS
from ..periods import Period
from ..warehouse import Warehouse
from ._common import org_row, records, text, typed_frame
from .indicators import indicator_rows
from .latest import as_period
from .orgs import goal_map

GOAL_COLUMNS = (
    "goal_id",
    "level",
    "title",
    "kf_goal_id",
    "own",
    "assessment",
    "comment",
    "indicators",
    "uppfyllt",
    "delvis",
    "ej_uppfyllt",
    "saknas",
    "ej_malsatt",
    "divergence",
    "divergence_note",
)

_COUNTED = ("uppfyllt", "delvis", "ej_uppfyllt", "saknas", "ej_malsatt")


def divergence(assessment: str | None, met: int, partly: int, not_met: int) -> tuple[bool, str | None]:
    """Whether a judgement diverges from its indicators' statuses, and a Swedish note saying how.

    >>> divergence("uppfyllt", 1, 0, 2)
    (True, 'Bedömt uppfyllt, men bara 1 av 3 indikatorer är uppfyllda')
    >>> divergence("uppfyllt", 0, 2, 0)
    (True, 'Bedömt uppfyllt, men bara 0 av 2 indikatorer är uppfyllda')
    >>> divergence("uppfyllt", 1, 0, 1)
    (False, None)
    >>> divergence("ej_uppfyllt", 3, 0, 0)
    (True, 'Bedömt ej uppfyllt, men 3 av 3 indikatorer är uppfyllda')
    """
    n = met + partly + not_met
    if n == 0:
        return False, None
    if assessment == "uppfyllt" and 2 * met < n:
        return True, f"Bedömt uppfyllt, men bara {met} av {n} indikatorer är uppfyllda"
    if assessment == "ej_uppfyllt" and 2 * met > n:
        return True, f"Bedömt ej uppfyllt, men {met} av {n} indikatorer är uppfyllda"
    return False, None


def goals(wh: Warehouse, org_id: str, period: str | Period) -> pd.DataFrame:
    """The organisation's goals with its judgement, the indicator statuses and a divergence flag.

    One row per goal that the organisation owns (valid in the year), judged in
    the period, or linked an indicator target to. Columns: ``goal_id, level,
    title, kf_goal_id`` (the KF goal it concretises), ``own`` (owned by the
    organisation), ``assessment`` (``uppfyllt``/``delvis``/``ej_uppfyllt``, or
    None when not judged) and ``comment``; ``indicators`` (how many measure the
    goal in the period's indicator table) and the count per status
    (``uppfyllt, delvis, ej_uppfyllt, saknas, ej_malsatt``); ``divergence``
    (bool, see the module docstring) and ``divergence_note`` (Swedish).
    Ordered by KF goal, level and id.

    >>> g = f.goals(wh, "ALN", "2025-BO")
    >>> set(g["assessment"].dropna()) <= {"uppfyllt", "delvis", "ej_uppfyllt"}
    True
    >>> g[["title", "assessment", "uppfyllt", "ej_uppfyllt", "divergence"]]     # doctest: +SKIP
    """
    p = as_period(wh, period)
    org_row(wh, org_id)
    return goals_from(
        org_id, goal_map(wh, p.year, org_id, p), judgements(wh, org_id, p), indicator_rows(wh, p, org_id=org_id)
    )


def judgements(wh: Warehouse, org_id: str, p: Period) -> pd.DataFrame:
    """The organisation's judgements for the period: ``goal_id, assessment, comment`` (internal)."""
    # rows(), not query(): the data hash reads the same statement, and a report reads it once
    rows = wh.rows(
        "SELECT goal_id, assessment, comment FROM v_assessment WHERE org_id = ? AND period = ?",
        (org_id, str(p)),
    )
    return pd.DataFrame.from_records(rows, columns=["goal_id", "assessment", "comment"])


def goals_from(org_id: str, gm: pd.DataFrame, judged: pd.DataFrame, ind: pd.DataFrame) -> pd.DataFrame:
    """:func:`goals` from the goal map, the judgements and the indicator table (internal)."""
    counts = {g: dict.fromkeys(_COUNTED, 0) for g in ind["goal_id"].dropna().unique()}
    for g, s in zip(ind["goal_id"], ind["status"], strict=True):
        if isinstance(g, str) and isinstance(s, str):  # a target need not name a goal (goal_id NaN)
            counts[g][s] += 1
    wanted = set(gm.loc[gm["org_id"] == org_id, "goal_id"]) | set(judged["goal_id"]) | set(counts)
    by_judgement = {r["goal_id"]: r for r in records(judged)}
    level_rank = {lv: i for i, lv in enumerate(GOAL_LEVELS)}
    rows: list[dict[str, Any]] = []
    for r in records(gm[gm["goal_id"].isin(wanted)]):
        g = r["goal_id"]
        c = counts.get(g, dict.fromkeys(_COUNTED, 0))
        j = by_judgement.get(g, {})
        kf_goal = text(r["kf_goal_id"])  # None, not NaN, for goals above the KF level
        assessment = text(j.get("assessment"))
        flag, note = divergence(assessment, c["uppfyllt"], c["delvis"], c["ej_uppfyllt"])
        rows.append(
            {
                "goal_id": g,
                "level": r["level"],
                "title": r["title"],
                "kf_goal_id": kf_goal,
                "own": r["org_id"] == org_id,
                "assessment": assessment,
                "comment": text(j.get("comment")),
                "indicators": sum(c.values()),
                **c,
                "divergence": flag,
                "divergence_note": note,
                "_sort": (kf_goal or "\uffff", level_rank.get(r["level"], 99), g),
            }
        )
    rows.sort(key=lambda r: r["_sort"])
    return typed_frame(rows, GOAL_COLUMNS, ints=("indicators", *_COUNTED), bools=("divergence", "own"))
