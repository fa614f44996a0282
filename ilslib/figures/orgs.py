"""Organisations, the goal tree, and the load records (the periods with data and ``latest``: :mod:`.latest`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..contract import GOAL_LEVELS, ORG_KINDS
from ..errors import UnknownValueError
from ..periods import Period
from ..warehouse import Warehouse
from ._common import frame, org_row, records, text
from .latest import as_period

ORG_COLUMNS = ("org_id", "name", "kind", "parent_id", "parent_name", "controller")
GOAL_TREE_COLUMNS = (
    "goal_id",
    "level",
    "title",
    "description",
    "org_id",
    "parent_goal_id",
    "kf_goal_id",
    "depth",
    "own",
)
LOAD_COLUMNS = (
    "load_id",
    "started_at",
    "finished_at",
    "user_name",
    "host_name",
    "source",
    "outcome",
    "rows_inserted",
    "rows_replaced",
    "message",
)

CITY_LEVELS = ("vision", "inriktningsmal", "kf_mal")


@dataclass(frozen=True)
class Organisation:
    """One organisation: id, name, kind (kommun, koncern, namnd, bolag, enhet), parent and controller."""

    org_id: str
    name: str
    kind: str
    parent_id: str | None
    parent_name: str | None
    controller: str | None


def organisations(wh: Warehouse, kind: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Every organisation (or those of one kind, or of several), ordered by kind and id.

    Columns: ``org_id, name, kind, parent_id, parent_name, controller``.

    >>> f.organisations(wh, "bolag")["kind"].unique().tolist()
    ['bolag']
    """
    sql = """
    SELECT o.org_id, o.name, o.kind, o.parent_id, p.name AS parent_name, o.controller
    FROM v_organisation o LEFT JOIN v_organisation p ON p.org_id = o.parent_id
    """
    params: list[object] = []
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else list(kind)
        for k in kinds:
            check_kind(k)
        sql += f" WHERE o.kind IN ({', '.join('?' for _ in kinds)})"
        params += kinds
    df = wh.query(sql, params)
    order = df["kind"].map({k: i for i, k in enumerate(ORG_KINDS)})
    df = df.assign(_k=order).sort_values(["_k", "org_id"], kind="mergesort")
    return frame(df, ORG_COLUMNS)


#: The kinds a group report covers: the koncern's report is the parent company and its companies.
GROUP_KINDS: dict[str, tuple[str, ...]] = {"koncern": ("koncern", "bolag")}


def group_kinds(kind: str) -> list[str]:
    """The organisation kinds a group report for ``kind`` covers (``koncern``: the koncern and the bolag).

    >>> group_kinds("koncern"), group_kinds("namnd")
    (['koncern', 'bolag'], ['namnd'])
    """
    return list(GROUP_KINDS.get(check_kind(kind), (kind,)))


def check_kind(kind: str) -> str:
    """``kind`` when it is an organisation kind, else a one-line error listing them."""
    if kind not in ORG_KINDS:
        raise UnknownValueError(f"unknown organisation kind {kind!r}: expected one of {', '.join(ORG_KINDS)}")
    return kind


def organisation(wh: Warehouse, org_id: str) -> Organisation:
    """One organisation; an unknown id is an error naming the nearest valid ids.

    >>> f.organisation(wh, "ALN").name
    'Äldrenämnden'
    >>> f.organisation(wh, "ALM")
    Traceback (most recent call last):
    ...
    ilslib.errors.UnknownValueError: unknown organisation 'ALM': did you mean ...ALN...?
    """
    row = org_row(wh, org_id)
    parent = None
    if row["parent_id"] is not None:
        parent = wh.scalar("SELECT name FROM v_organisation WHERE org_id = ?", (row["parent_id"],))
    return Organisation(row["org_id"], row["name"], row["kind"], row["parent_id"], parent, row["controller"])


def _year(wh: Warehouse, year: int | str | Period) -> int:
    if isinstance(year, int):
        return year
    if isinstance(year, str) and year.strip().isdigit():
        return int(year)
    return as_period(wh, year).year


def _valid_in(year_col_prefix: str = "") -> str:
    g = year_col_prefix
    return f"({g}first_year IS NULL OR {g}first_year <= ?) AND ({g}last_year IS NULL OR {g}last_year >= ?)"


def goal_map(wh: Warehouse, year: int | None, org_id: str | None = None, period: Period | None = None) -> pd.DataFrame:
    """Every goal valid in the year with the KF goal it concretises (``kf_goal_id``), internal.

    ``year=None``: every goal, whatever its years. With ``org_id`` and
    ``period`` also the goals, valid or not, that the organisation judged in
    the period or linked a target to in the year.
    The KF goal of a goal is found by following ``parent_goal_id`` upwards to
    the first goal of level ``kf_mal`` (a KF goal is its own KF goal; vision
    and inriktningsmål have none).
    """
    sql = "SELECT goal_id, org_id, level, parent_goal_id, title, description FROM v_goal"
    params: list[object] = []
    if year is not None:
        sql += " WHERE " + _valid_in()
        params += [year, year]
    if year is not None and org_id is not None and period is not None:
        sql += (
            " OR goal_id IN (SELECT goal_id FROM v_assessment WHERE org_id = ? AND period = ?)"
            " OR goal_id IN (SELECT goal_id FROM v_target WHERE org_id = ? AND year = ?)"
        )
        params += [org_id, str(period), org_id, year]
    df = wh.query(sql, params)
    parent = dict(zip(df["goal_id"], df["parent_goal_id"], strict=True))
    level = dict(zip(df["goal_id"], df["level"], strict=True))
    kf: dict[str, str | None] = {}
    for g in df["goal_id"]:
        seen, cur = set(), g
        while cur is not None and cur not in seen and level.get(cur) not in (None, "kf_mal"):
            seen.add(cur)
            cur = text(parent.get(cur))
        kf[g] = cur if cur is not None and level.get(cur) == "kf_mal" else None
    df["kf_goal_id"] = df["goal_id"].map(kf)
    return df


def goal_tree(wh: Warehouse, org_id: str, year: int | str | Period) -> pd.DataFrame:
    """The goal tree for an organisation and year: vision, inriktningsmål, KF goals, the org's own goals.

    Rows in tree order (each goal followed by its children, by goal_id), with
    ``depth`` (0 for the roots) for indentation. Columns: ``goal_id, level,
    title, description, org_id`` (the goal's owner), ``parent_goal_id``,
    ``kf_goal_id`` (the KF goal a goal concretises, via ``parent_goal_id``),
    ``depth`` and ``own`` (owned by this organisation). Goals outside their
    ``first_year``-``last_year`` are left out; another organisation's goal is
    included when one of this organisation's goals concretises it.
    ``year`` is a year or a period.

    >>> t = f.goal_tree(wh, "ALN", 2026)
    >>> t["level"].iloc[0], int(t["depth"].max())
    ('vision', 3)
    """
    y = _year(wh, year)
    org_row(wh, org_id)
    goals = goal_map(wh, y)
    # each goal's row by id (a dict, not a frame's .at/.loc for every step of every walk)
    by_id = {r["goal_id"]: r for r in records(goals)}
    keep = set(goals.loc[goals["level"].isin(CITY_LEVELS) | (goals["org_id"] == org_id), "goal_id"])
    for g in list(keep):  # ancestors of the organisation's goals owned by someone else
        cur = text(by_id[g]["parent_goal_id"])
        while cur is not None and cur in by_id and cur not in keep:
            keep.add(cur)
            cur = text(by_id[cur]["parent_goal_id"])
    children: dict[str | None, list[str]] = {}
    for g, r in by_id.items():
        if g not in keep:
            continue
        parent = text(r["parent_goal_id"]) if text(r["parent_goal_id"]) in keep else None
        children.setdefault(parent, []).append(g)
    level_rank = {lv: i for i, lv in enumerate(GOAL_LEVELS)}
    for kids in children.values():
        kids.sort(key=lambda g: (level_rank.get(str(by_id[g]["level"]), 99), g))
    rows: list[dict[str, object]] = []

    def walk(g: str, depth: int, path: frozenset[str]) -> None:
        r = by_id[g]
        rows.append(
            {
                "goal_id": g,
                "level": r["level"],
                "title": r["title"],
                "description": text(r["description"]),
                "org_id": r["org_id"],
                "parent_goal_id": text(r["parent_goal_id"]),
                "kf_goal_id": r["kf_goal_id"],
                "depth": depth,
                "own": r["org_id"] == org_id,
            }
        )
        for c in children.get(g, []):
            if c not in path:
                walk(c, depth + 1, path | {c})

    for root in children.get(None, []):
        walk(root, 0, frozenset({root}))
    return frame(rows, GOAL_TREE_COLUMNS)


def loads(wh: Warehouse, n: int = 5) -> pd.DataFrame:
    """The latest ``n`` load records (``v_load``), newest first: the data's provenance.

    Columns: ``load_id, started_at, finished_at, user_name, host_name, source,
    outcome, rows_inserted, rows_replaced, message``.
    """
    df = wh.query(
        "SELECT load_id, started_at, finished_at, user_name, host_name, source, outcome, "
        "rows_inserted, rows_replaced, message FROM v_load"
    )
    df = df.sort_values(["started_at", "load_id"], ascending=False, kind="mergesort")
    return frame(df.head(n), LOAD_COLUMNS)
