"""The indicator table: outcome, the target that applies, partial limit, status, by gender, last year."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..periods import Period
from ..rules import frequency_sql
from ..warehouse import Warehouse
from ._common import frame, num, org_row, text
from ._status import applicable_target, effective_partial_limit, exact_difference, status
from .latest import as_period

INDICATOR_COLUMNS = (
    "indicator_id",
    "name",
    "goal_id",
    "source",
    "unit",
    "decimals",
    "direction",
    "frequency",
    "value",
    "value_k",
    "value_m",
    "target",
    "target_type",
    "partial_limit",
    "partial_limit_default",
    "status",
    "comment",
    "annual_target",
    "annual_partial_limit",
    "last_year_value",
    "change",
)

_TYPES = ("T1", "T2", "BO")


def _scope(alias_free_org: str, org_id: str | None, kind: str | Sequence[str] | None) -> tuple[str, list[object]]:
    """An SQL filter on org_id for one organisation, the organisations of some kinds, or all."""
    if org_id is not None:
        return f" AND {alias_free_org} = ?", [org_id]
    if kind is not None:
        kinds: list[object] = [kind] if isinstance(kind, str) else list(kind)
        marks = ", ".join("?" for _ in kinds)
        return f" AND {alias_free_org} IN (SELECT org_id FROM v_organisation WHERE kind IN ({marks}))", kinds
    return "", []


def _target_columns() -> str:
    cols = []
    for t in _TYPES:
        low = t.lower()
        cols += [
            f"MAX(CASE WHEN period_type = '{t}' THEN target END) AS {low}_target",
            f"MAX(CASE WHEN period_type = '{t}' THEN partial_limit END) AS {low}_partial",
            f"MAX(CASE WHEN period_type = '{t}' THEN goal_id END) AS {low}_goal",
        ]
    cols += [
        "MAX(CASE WHEN period_type IS NULL THEN target END) AS annual_target",
        "MAX(CASE WHEN period_type IS NULL THEN partial_limit END) AS annual_partial",
        "MAX(CASE WHEN period_type IS NULL THEN goal_id END) AS annual_goal",
        "MAX(goal_id) AS any_goal",
    ]
    return ",\n               ".join(cols)


def indicator_rows(
    wh: Warehouse,
    p: Period,
    *,
    org_id: str | None = None,
    kind: str | Sequence[str] | None = None,
    band_pct: float | None = None,
) -> pd.DataFrame:
    """The indicator table for one organisation, the organisations of a kind, or all (internal).

    One row per (org_id, indicator) that has a target for the period's year or
    an outcome for the period; in T1/T2 only tertial indicators. Columns
    ``org_id`` plus :data:`INDICATOR_COLUMNS`.
    """
    return _indicator_frame(_indicator_records(wh, p, org_id=org_id, kind=kind, band_pct=band_pct))


def _indicator_records(
    wh: Warehouse,
    p: Period,
    *,
    org_id: str | None = None,
    kind: str | Sequence[str] | None = None,
    band_pct: float | None = None,
) -> list[dict[str, object]]:
    """:func:`indicator_rows` as a list of rows (dicts), in the table's order."""
    t_filter, t_params = _scope("org_id", org_id, kind)
    last = p.same_period_last_year()
    sql = f"""
    WITH k AS (
        SELECT org_id, indicator_id FROM v_target WHERE year = ?{t_filter}
        UNION
        SELECT org_id, indicator_id FROM v_outcome WHERE period = ?{t_filter}
    ),
    t AS (
        SELECT org_id, indicator_id,
               {_target_columns()}
        FROM v_target
        WHERE year = ?{t_filter}
        GROUP BY org_id, indicator_id
    ),
    o AS (
        SELECT org_id, indicator_id,
               MAX(CASE WHEN period = ? AND gender = 'T' THEN value END) AS value,
               MAX(CASE WHEN period = ? AND gender = 'K' THEN value END) AS value_k,
               MAX(CASE WHEN period = ? AND gender = 'M' THEN value END) AS value_m,
               MAX(CASE WHEN period = ? AND gender = 'T' THEN comment END) AS comment,
               MAX(CASE WHEN period = ? AND gender = 'T' THEN value END) AS last_year_value
        FROM v_outcome
        WHERE period IN (?, ?){t_filter}
        GROUP BY org_id, indicator_id
    )
    SELECT k.org_id, i.indicator_id, i.name, i.unit, i.direction, i.frequency, i.source, i.decimals,
           t.t1_target, t.t1_partial, t.t1_goal, t.t2_target, t.t2_partial, t.t2_goal,
           t.bo_target, t.bo_partial, t.bo_goal, t.annual_target, t.annual_partial, t.annual_goal,
           t.any_goal, o.value, o.value_k, o.value_m, o.comment, o.last_year_value
    FROM k
    JOIN v_indicator i ON i.indicator_id = k.indicator_id
    LEFT JOIN t ON t.org_id = k.org_id AND t.indicator_id = k.indicator_id
    LEFT JOIN o ON o.org_id = k.org_id AND o.indicator_id = k.indicator_id
    """
    cur, prev = str(p), str(last)
    params: list[object] = [
        p.year,
        *t_params,
        cur,
        *t_params,
        p.year,
        *t_params,
        cur,
        cur,
        cur,
        cur,
        prev,
        cur,
        prev,
        *t_params,
    ]
    cond, extra = frequency_sql(p)  # a tertial lists the indicators it follows up
    if cond:
        sql += "WHERE " + cond
        params += extra
    # rows(), not query(): the same read (statement and parameters) without a DataFrame that is only iterated
    return _records_from_raw(wh.rows(sql, params), p, band_pct)


#: The columns of the statement of :func:`indicator_rows`, in order.
_RAW_COLUMNS = (
    "org_id",
    "indicator_id",
    "name",
    "unit",
    "direction",
    "frequency",
    "source",
    "decimals",
    "t1_target",
    "t1_partial",
    "t1_goal",
    "t2_target",
    "t2_partial",
    "t2_goal",
    "bo_target",
    "bo_partial",
    "bo_goal",
    "annual_target",
    "annual_partial",
    "annual_goal",
    "any_goal",
    "value",
    "value_k",
    "value_m",
    "comment",
    "last_year_value",
)
_FLOAT_COLUMNS = frozenset(
    (
        "value",
        "value_k",
        "value_m",
        "target",
        "partial_limit",
        "annual_target",
        "annual_partial_limit",
        "last_year_value",
        "change",
    )
)


def _records_from_raw(raw: Sequence[Sequence[object]], p: Period, band_pct: float | None) -> list[dict[str, object]]:
    """The indicator table's rows as dicts, in the table's order (org, KF before own, indicator id)."""
    out = []
    for values in raw:
        r = dict(zip(_RAW_COLUMNS, values, strict=True))
        rows = {}
        for t in (*_TYPES, "annual"):
            low = t.lower()
            if num(r[f"{low}_target"]) is not None:
                rows[t] = (num(r[f"{low}_target"]), num(r[f"{low}_partial"]), text(r[f"{low}_goal"]))
        ttype, target, partial, goal = applicable_target(p.code, rows)
        direction = r["direction"]
        _, y_target, y_partial, _ = applicable_target("BO", rows)
        value = num(r["value"]) if p.has_outcomes else None
        last_value = num(r["last_year_value"]) if p.has_outcomes else None
        out.append(
            {
                "org_id": r["org_id"],
                "indicator_id": r["indicator_id"],
                "name": r["name"],
                "goal_id": goal or text(r["annual_goal"]) or text(r["any_goal"]),
                "source": r["source"],
                "unit": r["unit"],
                "decimals": int(r["decimals"]) if num(r["decimals"]) is not None else 1,  # type: ignore[call-overload]
                "direction": direction,
                "frequency": r["frequency"],
                "value": value,
                "value_k": num(r["value_k"]) if p.has_outcomes else None,
                "value_m": num(r["value_m"]) if p.has_outcomes else None,
                "target": target,
                "target_type": ttype,
                "partial_limit": effective_partial_limit(target, direction, partial, band_pct),  # type: ignore[arg-type]
                "partial_limit_default": None if target is None else partial is None,
                "status": status(value, target, direction, partial, band_pct) if p.has_outcomes else None,  # type: ignore[arg-type]
                "comment": text(r["comment"]) if p.has_outcomes else None,
                "annual_target": y_target,
                "annual_partial_limit": effective_partial_limit(y_target, direction, y_partial, band_pct),  # type: ignore[arg-type]
                "last_year_value": last_value,
                "change": exact_difference(value, last_value),
            }
        )
    # a stable sort, as the frame's mergesort was: KF indicators before the organisation's own
    out.sort(key=lambda r: (r["org_id"], 0 if r["source"] == "KF" else 1, r["indicator_id"]))
    return out


def _indicator_frame(
    out: list[dict[str, object]], columns: Sequence[str] = ("org_id", *INDICATOR_COLUMNS)
) -> pd.DataFrame:
    """The indicator frame of rows from :func:`_records_from_raw`: built column by column (one block per dtype)."""
    data: dict[str, object] = {}
    for c in columns:
        values = [r[c] for r in out]
        if c in _FLOAT_COLUMNS:
            data[c] = np.array([np.nan if v is None else v for v in values], dtype="float64")
        elif c == "decimals":
            data[c] = np.array(values, dtype="int64")
        else:  # text (and bool) columns: pandas infers the dtype (str with NaN for missing), object when empty
            data[c] = values if values else np.empty(0, dtype=object)
    return pd.DataFrame(data)


def indicators(wh: Warehouse, org_id: str, period: str | Period) -> pd.DataFrame:
    """The organisation's indicator table for a period, one row per indicator.

    Columns: ``indicator_id, name, goal_id`` (the goal the target row links it
    to), ``source`` (KF/own), ``unit, decimals, direction`` (higher/lower is
    better), ``frequency``; ``value`` (total, gender T), ``value_k, value_m``
    (women, men; never part of the status); ``target`` and ``target_type``
    (``T1``/``T2``/``BO`` for a period target, ``annual`` for the annual one);
    ``partial_limit`` (explicit, or the default band when
    ``partial_limit_default``); ``status`` (``uppfyllt``, ``delvis``,
    ``ej_uppfyllt``, ``saknas``, ``ej_malsatt``); ``comment`` (the outcome's);
    ``annual_target, annual_partial_limit`` (what applies at year end: the BO
    row or the annual one); ``last_year_value`` (the same period last year) and
    ``change`` (value - last year). In T1/T2 only tertial indicators; in BU the
    targets without values or statuses. Missing numbers are NaN.

    >>> df = f.indicators(wh, "ALN", "2026-T2")
    >>> bool(df["status"].isin(f.STATUSES).all()), set(df["frequency"])
    (True, {'tertial'})
    >>> df[["name", "value", "target", "status"]]     # doctest: +SKIP
    """
    p = as_period(wh, period)
    org_row(wh, org_id)
    return frame(indicator_rows(wh, p, org_id=org_id), INDICATOR_COLUMNS)


def deviations(wh: Warehouse, org_id: str, period: str | Period) -> pd.DataFrame:
    """Indicators not met or partly met in the period, with their comments (``ej_uppfyllt`` first).

    The same columns as :func:`indicators`.
    """
    return deviations_from(indicators(wh, org_id, period))


def deviations_from(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`deviations` from an indicator table (internal: the report context has it)."""
    rank = df["status"].map({"ej_uppfyllt": 0, "delvis": 1})
    # rank is added before filtering: added to an empty frame, it would bring its own rows along
    df = df.assign(_r=rank)[rank.notna()].sort_values(["_r", "indicator_id"], kind="mergesort")
    return df.drop(columns="_r").reset_index(drop=True)


def history(
    wh: Warehouse, org_id: str, indicator_id: str | None = None, *, until: str | Period | None = None
) -> pd.DataFrame:
    """The organisation's indicators over every period with outcomes (for a trend chart).

    Columns: ``period`` plus the columns of :func:`indicators`, oldest period first.
    ``until``: only periods up to and including this one (a report for a period
    never shows what came after it).

    >>> h = f.history(wh, "ALN", "SJUKFR")
    >>> h["period"].iloc[0], h["period"].iloc[-1]
    ('2024-T1', '2026-T2')
    >>> f.history(wh, "ALN", "SJUKFR", until="2025-BO")["period"].iloc[-1]
    '2025-BO'
    >>> h.plot(x="period", y=["value", "target"])     # doctest: +SKIP
    """
    org_row(wh, org_id)
    params: list[object] = [org_id]
    sql = "SELECT DISTINCT period FROM v_outcome WHERE org_id = ?"
    if indicator_id is not None:
        sql += " AND indicator_id = ?"
        params.append(indicator_id)
    found = sorted(Period.parse(r[0]) for r in wh.rows(sql, params))
    if until is not None:
        last = as_period(wh, until)
        found = [p for p in found if p <= last]
    parts = []
    for p in found:
        rows = _indicator_records(wh, p, org_id=org_id)
        if indicator_id is not None:
            rows = [r for r in rows if r["indicator_id"] == indicator_id]
        parts.append([{"period": str(p), **r} for r in rows])
    if not parts:
        return frame([], ("period", *INDICATOR_COLUMNS))
    columns = ("period", *INDICATOR_COLUMNS)
    kinds = _part_kinds(parts, columns)
    if kinds is None:  # the periods' frames, concatenated
        frames = [_indicator_frame(part, columns) for part in parts]
        return frame(pd.concat(frames, ignore_index=True), columns)
    # one frame of all the rows: what concatenating the periods' frames gives
    df = _indicator_frame([r for part in parts for r in part], columns)
    for c, per_part in kinds.items():
        # text in some periods, nothing in others: concat makes it an object column, missing values
        # NaN where the period's column was text and None where it was empty
        values = [
            v if k == "none" or isinstance(v, str) else math.nan
            for k, part in zip(per_part, parts, strict=True)
            for v in (r[c] for r in part)
        ]
        df[c] = pd.Series(values, index=df.index, dtype=object)
    return df


def _part_kinds(parts: list[list[dict[str, object]]], columns: Sequence[str]) -> dict[str, list[str]] | None:
    """Whether one frame of all the parts' rows is the concatenation of the parts' frames (:func:`history`).

    The frame of each part infers a text column's dtype from its values: text, all
    None, all bool, bool or None. When every part infers the same for every column,
    the frames agree; a column that is text in some parts and all None in others
    becomes an object column (returned, with each part's kind, to be made so). None
    when the parts differ otherwise, or one is empty: then the frames are concatenated.
    """

    def kind(values: list[object]) -> str:
        types = {type(v) for v in values}
        if types == {type(None)}:
            return "none"
        if types <= {str, type(None)}:
            return "str"
        if types <= {bool, type(None)}:
            return "bool" if type(None) not in types else "bool or none"
        return "mixed"

    if not all(parts):
        return None
    fix: dict[str, list[str]] = {}
    for c in columns:
        if c in _FLOAT_COLUMNS or c == "decimals":
            continue
        per_part = [kind([r[c] for r in part]) for part in parts]
        found = set(per_part)
        if found == {"str", "none"}:
            fix[c] = per_part
        elif len(found) > 1 or found == {"mixed"}:
            return None
    return fix
