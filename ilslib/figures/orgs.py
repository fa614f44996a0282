"""Organisations, periods with data, the goal tree, and the load records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..contract import GOAL_LEVELS, ORG_KINDS
from ..errors import UnknownValueError
from ..periods import PERIOD_CODES, Period, is_period
from ..warehouse import Warehouse
from ._common import as_period, frame, org_row, period_key, text

ORG_COLUMNS = ("org_id", "name", "kind", "parent_id", "parent_name", "controller")
PERIOD_COLUMNS = (
    "period",
    "year",
    "code",
    "title",
    "outcomes",
    "assessments",
    "activities",
    "comments",
    "economy",
    "personnel",
)
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


def _distinct_periods(wh: Warehouse, view: str) -> dict[str, int]:
    return {str(p): int(n) for p, n in wh.rows(f"SELECT period, COUNT(*) FROM {view} GROUP BY period")}


def _month_range(wh: Warehouse, view: str) -> tuple[str | None, str | None]:
    lo, hi = wh.rows(f"SELECT MIN(month), MAX(month) FROM {view}")[0]
    return text(lo), text(hi)


def periods(wh: Warehouse) -> pd.DataFrame:
    """The periods that have data, oldest first (BU < T1 < T2 < BO within a year).

    Columns: ``period, year, code, title``, the row counts ``outcomes,
    assessments, activities`` (activity statuses) and ``comments`` for the
    period, and ``economy``/``personnel``: True when the ledger/personnel
    data reaches the period's last month (BU: when the year has budget rows).

    >>> f.periods(wh)["period"].iloc[0]
    '2024-BU'
    >>> str(f.latest_period(wh))
    '2026-T2'
    """
    counts = {
        "outcomes": _distinct_periods(wh, "v_outcome"),
        "assessments": _distinct_periods(wh, "v_assessment"),
        "activities": _distinct_periods(wh, "v_activity_status"),
        "comments": _distinct_periods(wh, "v_comment"),
    }
    found: set[Period] = set()
    for c in counts.values():
        found.update(Period.parse(p) for p in c)
    ranges = {"economy": _month_range(wh, "v_ledger"), "personnel": _month_range(wh, "v_personnel")}
    for lo, hi in ranges.values():
        if lo and hi:
            for year in range(int(lo[:4]), int(hi[:4]) + 1):
                for code in ("BU", "T1", "T2", "BO"):
                    p = Period(year, code)
                    if code == "BU" or lo <= p.last_month <= hi:
                        found.add(p)
    for (year,) in wh.rows("SELECT DISTINCT year FROM v_target"):
        found.add(Period(int(year), "BU"))
    rows = []
    for p in sorted(found, key=period_key):
        row = {"period": str(p), "year": p.year, "code": p.code, "title": p.title}
        for name, c in counts.items():
            row[name] = c.get(str(p), 0)
        for name, (lo, hi) in ranges.items():
            if not (lo and hi):
                row[name] = False
            elif p.code == "BU":
                row[name] = lo[:4] <= str(p.year) <= hi[:4]
            else:
                row[name] = lo <= p.last_month <= hi
        rows.append(row)
    return frame(rows, PERIOD_COLUMNS)


#: What ``latest-X`` may ask for: a period code, or ``T`` for either tertial.
LATEST_CODES: dict[str, tuple[str, ...]] = {
    "T": ("T1", "T2"),
    "BU": ("BU",),
    "T1": ("T1",),
    "T2": ("T2",),
    "BO": ("BO",),
}


def _reporting_orgs(wh: Warehouse) -> set[str]:
    """The organisations of the reporting kinds (all organisations when there are none)."""
    from ..settings import REPORTING_KINDS

    rows = wh.rows("SELECT org_id, kind FROM v_organisation")
    reporting = {str(o) for o, k in rows if k in REPORTING_KINDS}
    return reporting or {str(o) for o, _ in rows}


def _reported_by(wh: Warehouse) -> dict[str, set[str]]:
    """``{period: org_ids}``: who has reported each period (an outcome; in a budget, a target for the year).

    A warehouse without any outcome or target counts booked ledger months and
    personnel months instead: an organisation has a period when its last month is there.
    """
    out: dict[str, set[str]] = {}
    for per, org in wh.rows("SELECT DISTINCT period, org_id FROM v_outcome"):
        out.setdefault(str(per), set()).add(str(org))
    for year, org in wh.rows("SELECT DISTINCT year, org_id FROM v_target"):
        out.setdefault(f"{int(year):04d}-BU", set()).add(str(org))
    if out:
        return out
    months: dict[str, set[str]] = {}
    for sql in (
        "SELECT DISTINCT month, org_id FROM v_ledger WHERE outcome IS NOT NULL",
        "SELECT DISTINCT month, org_id FROM v_personnel",
    ):
        for month, org in wh.rows(sql):
            months.setdefault(str(month), set()).add(str(org))
    for month, orgs in months.items():
        year, mm = int(month[:4]), int(month[5:7])
        for code in ("T1", "T2", "BO"):
            if Period(year, code).last_month_number == mm:
                out.setdefault(f"{year:04d}-{code}", set()).update(orgs)
    return out


def latest_period(wh: Warehouse, code: str | None = None, *, today: dt.date | None = None) -> Period:
    """The latest period whose reporting is due or done: what ``period="latest"`` means everywhere.

    A period counts when

    1. one of its deadlines (``deadlines``) has passed (the deadline day itself
       has not), or
    2. at least one organisation's reporting for it is ``klar`` or ``godkand``, or
    3. it has no deadline at all and more than half of the reporting
       organisations (nämnder and bolag) have reported it: an outcome (in a
       budget ``YYYY-BU``, a target for the year). This is the rule of a
       warehouse that does not use deadlines or the round's states; one
       without any outcome or target counts booked ledger and personnel months.

    The latest such period is returned, so one early row for the next period
    (a draft, a company that reports ahead) never moves ``latest``; nor does a
    deadline that is still ahead. ``code`` restricts it to one kind of period:
    ``BU``, ``T1``, ``T2``, ``BO``, or ``T`` for either tertial (``latest-BO``,
    ``latest-T``). ``today`` is the date the deadlines are judged on (default:
    today). No period that counts is an :class:`UnknownValueError`.

    >>> str(f.latest_period(wh)), str(f.latest_period(wh, "BO"))
    ('2026-T2', '2025-BO')
    """
    if code is not None and code not in LATEST_CODES:
        raise UnknownValueError(f"unknown period code {code!r}: expected T (a tertial), {', '.join(PERIOD_CODES)}")
    codes = LATEST_CODES[code] if code is not None else PERIOD_CODES
    day = today or dt.date.today()
    due: set[str] = set()
    with_deadline: set[str] = set()
    for per, deadline in wh.rows("SELECT period, deadline FROM v_deadline"):
        with_deadline.add(str(per))
        if deadline is not None and dt.date.fromisoformat(str(deadline)[:10]) < day:
            due.add(str(per))
    done = {
        str(r[0])
        for r in wh.rows("SELECT DISTINCT period FROM v_round_state WHERE state IN (?, ?)", ("klar", "godkand"))
    }
    reporting = _reporting_orgs(wh)
    for per, orgs in _reported_by(wh).items():
        if per not in with_deadline and reporting and len(orgs & reporting) * 2 > len(reporting):
            due.add(per)
    found = sorted(
        (p for p in (Period.parse(x) for x in due | done if is_period(x)) if p.code in codes), key=period_key
    )
    if found:
        return found[-1]
    what = "period" if code is None else f"{code} period"
    if not periods(wh)["period"].tolist():
        raise UnknownValueError("the warehouse has no data for any period (load data or run 'ils demo')")
    raise UnknownValueError(
        f"no {what} is due or reported yet: none has a deadline that has passed, an organisation marked ready "
        "or approved, or (without deadlines) outcomes from most of the nämnder and bolag; give the period "
        "itself (e.g. --period 2026-T2)"
    )


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
    by_id = goals.set_index("goal_id", drop=False)
    keep = set(goals.loc[goals["level"].isin(CITY_LEVELS) | (goals["org_id"] == org_id), "goal_id"])
    for g in list(keep):  # ancestors of the organisation's goals owned by someone else
        cur = text(by_id.at[g, "parent_goal_id"])
        while cur is not None and cur in by_id.index and cur not in keep:
            keep.add(cur)
            cur = text(by_id.at[cur, "parent_goal_id"])
    sub = goals[goals["goal_id"].isin(keep)]
    children: dict[str | None, list[str]] = {}
    for g, p in zip(sub["goal_id"], sub["parent_goal_id"], strict=True):
        parent = text(p) if text(p) in keep else None
        children.setdefault(parent, []).append(g)
    level_rank = {lv: i for i, lv in enumerate(GOAL_LEVELS)}
    for kids in children.values():
        kids.sort(key=lambda g: (level_rank.get(str(by_id.at[g, "level"]), 99), g))
    rows: list[dict[str, object]] = []

    def walk(g: str, depth: int, path: frozenset[str]) -> None:
        r = by_id.loc[g]
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
