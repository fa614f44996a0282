"""Roll-up of judgements per KF goal across the organisations of a kind ("Mål och måluppfyllelse").

**An organisation's judgement of a KF goal** for a period (data contract v2,
"Roll-up of assessments"), in this order:

1. its own judgement of the KF goal itself (an ``assessments`` row for the KF
   goal with an assessment): basis ``direct``;
2. otherwise one judgement derived from the judgements it gave its own goals
   that concretise the KF goal (goals whose ``parent_goal_id`` chain leads to
   it, however deep): ``uppfyllt`` when all are ``uppfyllt``, ``ej_uppfyllt``
   when all are ``ej_uppfyllt``, otherwise ``delvis``: basis ``own_goals``, and
   the cell is *derived* (every output marks it);
3. otherwise ``saknas`` (an assessments row with an empty assessment is "not
   judged").

Every organisation of the reported kinds counts once per KF goal valid in the
period's year, so the four counts of a KF goal add up to the number of
organisations. ``own_goals=False`` leaves step 2 out (version 1 of the contract).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .. import settings
from ..periods import Period
from ..warehouse import Warehouse
from ._common import frame, records, text
from .latest import as_period
from .orgs import check_kind, goal_map

ROLLUP_COLUMNS = ("goal_id", "title", "uppfyllt", "delvis", "ej_uppfyllt", "saknas", "organisations", "derived")
DETAIL_COLUMNS = ("goal_id", "title", "org_id", "name", "kind", "assessment", "basis", "derived", "comment")
OUTCOMES = ("uppfyllt", "delvis", "ej_uppfyllt", "saknas")


def _kinds(kind: str | Sequence[str] | None) -> list[str]:
    kinds = list(settings.REPORTING_KINDS) if kind is None else [kind] if isinstance(kind, str) else list(kind)
    return [check_kind(k) for k in kinds]


def combine(judgements: Sequence[str]) -> str:
    """One judgement from several own goals: all met, all not met, else partly met.

    >>> combine(["uppfyllt", "uppfyllt"]), combine(["ej_uppfyllt"]), combine(["uppfyllt", "ej_uppfyllt"])
    ('uppfyllt', 'ej_uppfyllt', 'delvis')
    """
    if not judgements:
        return "saknas"
    if all(j == "uppfyllt" for j in judgements):
        return "uppfyllt"
    if all(j == "ej_uppfyllt" for j in judgements):
        return "ej_uppfyllt"
    return "delvis"


def rollup_detail(
    wh: Warehouse, period: str | Period, kind: str | Sequence[str] | None = None, *, own_goals: bool = True
) -> pd.DataFrame:
    """Every organisation's judgement of every KF goal (see the module docstring for the rule).

    Columns: ``goal_id, title`` (the KF goal), ``org_id, name, kind``,
    ``assessment`` (``uppfyllt``/``delvis``/``ej_uppfyllt``/``saknas``),
    ``basis`` (``direct``, ``own_goals`` or None), ``derived`` (True when the
    judgement is derived from the organisation's own goals) and ``comment`` (of
    a direct judgement). ``kind`` is one kind or several (default: nämnder and
    bolag); ``own_goals=False`` applies version 1's rule (direct judgements only).

    >>> d = f.rollup_detail(wh, "2025-BO", "bolag")
    >>> set(d["assessment"]) <= {"uppfyllt", "delvis", "ej_uppfyllt", "saknas"}
    True
    """
    p = as_period(wh, period)
    kinds = _kinds(kind)
    marks = ", ".join("?" for _ in kinds)
    orgs = wh.query(f"SELECT org_id, name, kind FROM v_organisation WHERE kind IN ({marks})", kinds)
    orgs = orgs.sort_values("org_id", kind="mergesort")
    judged = wh.query(
        f"""
        SELECT a.org_id, a.goal_id, a.assessment, a.comment
        FROM v_assessment a
        WHERE a.period = ? AND a.assessment IS NOT NULL
          AND a.org_id IN (SELECT org_id FROM v_organisation WHERE kind IN ({marks}))
        """,
        [str(p), *kinds],
    )
    valid = goal_map(wh, p.year)
    # in natural order (KF2 before KF10), as a reader expects them
    kf_goals = valid[valid["level"] == "kf_mal"].sort_values(
        "goal_id", kind="mergesort", key=lambda s: s.str.replace(r"\d+", lambda m: m.group(0).zfill(12), regex=True)
    )
    every_goal = goal_map(wh, None)
    kf_of = dict(zip(every_goal["goal_id"], every_goal["kf_goal_id"], strict=True))
    direct: dict[tuple[str, str], tuple[str, str | None]] = {}
    via_own: dict[tuple[str, str], list[str]] = {}
    for r in records(judged):
        g, o = r["goal_id"], r["org_id"]
        k = kf_of.get(g)
        if k is None:
            continue
        if g == k:
            direct[(o, k)] = (r["assessment"], text(r["comment"]))
        else:
            via_own.setdefault((o, k), []).append(r["assessment"])
    rows = []
    for g in records(kf_goals):
        for o in records(orgs):
            key = (o["org_id"], g["goal_id"])
            if key in direct:
                assessment, basis, comment = direct[key][0], "direct", direct[key][1]
            elif own_goals and key in via_own:
                assessment, basis, comment = combine(via_own[key]), "own_goals", None
            else:
                assessment, basis, comment = "saknas", None, None
            rows.append(
                {
                    "goal_id": g["goal_id"],
                    "title": g["title"],
                    "org_id": o["org_id"],
                    "name": o["name"],
                    "kind": o["kind"],
                    "assessment": assessment,
                    "basis": basis,
                    "derived": basis == "own_goals",
                    "comment": comment,
                }
            )
    df = frame(rows, DETAIL_COLUMNS)
    df["derived"] = df["derived"].astype(bool)
    return df


def rollup(
    wh: Warehouse, period: str | Period, kind: str | Sequence[str] | None = None, *, own_goals: bool = True
) -> pd.DataFrame:
    """Per KF goal, how many organisations of the kind judged it met, partly met, not met, or gave none.

    Columns: ``goal_id, title, uppfyllt, delvis, ej_uppfyllt, saknas,
    organisations`` (the sum of the four) and ``derived`` (how many of the
    judgements counted are derived from own goals). Built from :func:`rollup_detail`.

    >>> r = f.rollup(wh, "2025-BO", "bolag")
    >>> bool((r[["uppfyllt", "delvis", "ej_uppfyllt", "saknas"]].sum(axis=1) == r["organisations"]).all())
    True
    """
    return rollup_from(rollup_detail(wh, period, kind, own_goals=own_goals))


def rollup_from(detail: pd.DataFrame) -> pd.DataFrame:
    """:func:`rollup` from :func:`rollup_detail` (internal)."""
    rows = []
    for (goal_id, title), grp in detail.groupby(["goal_id", "title"], sort=False):
        counts = grp["assessment"].value_counts()
        row = {"goal_id": goal_id, "title": title, **{k: int(counts.get(k, 0)) for k in OUTCOMES}}
        row["organisations"] = len(grp)
        row["derived"] = int(grp["derived"].sum())
        rows.append(row)
    df = frame(rows, ROLLUP_COLUMNS)
    for c in (*OUTCOMES, "organisations", "derived"):
        df[c] = df[c].astype("int64")
    return df
