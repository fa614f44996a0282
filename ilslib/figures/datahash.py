"""``data_hash``: a fingerprint of the warehouse data one organisation's report reads for a period.

The batch runner skips a report whose data hash (with its notebook, parameters
and library version) is unchanged. The hash covers, for the organisation and
period:

- the organisation's row, its parent's, and the ids and names of the
  organisations of its kind (the comparisons list them);
- the goals: every vision, inriktningsmål and KF goal and the organisation's
  own goals, plus any goal it judged or linked a target to;
- the indicators it has targets or outcomes for, its targets up to the
  period's year, its outcomes up to the period's year (all genders, with
  comments: the indicator table, last year, the history and the projection);
- its activities with their statuses, its judgements and its free texts for
  the period;
- its ledger as sums per month and kind over the year and per account and
  kind over the period (what the economy, the monthly series and the account
  table read; amounts to the öre), and its personnel rows up to the period's
  last month;
- the inputs of the comparisons across its kind: the kind's total outcomes
  for the period, their targets for the year, their ledger sums per month and
  kind over the year, and their personnel rows for the period.

Load records (``v_load``) are not part of it: a new load that changes nothing
the report reads leaves the hash as it was. Numbers are hashed as they are
stored (sums of ledger amounts rounded to the öre), rows in a fixed order, so
the hash is the same on every backend for the same data.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from ..periods import Period
from ..warehouse import Warehouse
from ._common import as_period, org_row


def _norm(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)) or hasattr(v, "__float__") and not isinstance(v, str):
        try:
            f = float(v)
        except (TypeError, ValueError):
            return str(v)
        if math.isnan(f):
            return None
        return repr(f + 0.0)
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return str(v)


def _rows(wh: Warehouse, sql: str, params: Sequence[Any], money: Iterable[int] = ()) -> list[list[Any]]:
    """Rows as normalised lists in a fixed order; columns in ``money`` rounded to the öre first."""
    cents = set(money)
    out = []
    for row in wh.rows(sql, params):
        vals = []
        for i, v in enumerate(row):
            if i in cents and v is not None:
                v = round(float(v), 2)
            vals.append(_norm(v))
        out.append(vals)
    out.sort(key=lambda r: json.dumps(r, ensure_ascii=False))
    return out


def _kind_part(wh: Warehouse, p: Period, kind: str) -> dict[str, Any]:
    """What the comparisons across the kind read."""
    in_kind = "org_id IN (SELECT org_id FROM v_organisation WHERE kind = ?)"
    return {
        "organisations": _rows(wh, "SELECT org_id, name FROM v_organisation WHERE kind = ?", (kind,)),
        "outcomes": _rows(
            wh,
            f"SELECT org_id, indicator_id, value FROM v_outcome WHERE period = ? AND gender = ? AND {in_kind}",
            (str(p), "T", kind),
        ),
        "targets": _rows(
            wh,
            f"SELECT org_id, indicator_id, period_type, target, partial_limit, goal_id FROM v_target "
            f"WHERE year = ? AND {in_kind}",
            (p.year, kind),
        ),
        "ledger": _rows(
            wh,
            f"SELECT org_id, month, kind, COUNT(*), SUM(outcome), SUM(budget), SUM(forecast), COUNT(forecast) "
            f"FROM v_ledger WHERE month >= ? AND month <= ? AND {in_kind} GROUP BY org_id, month, kind",
            (f"{p.year}-01", f"{p.year}-12", kind),
            money=(4, 5, 6),
        ),
        "personnel": _rows(
            wh,
            f"SELECT org_id, month, headcount, fte, scheduled_hours, sick_hours FROM v_personnel "
            f"WHERE month >= ? AND month <= ? AND {in_kind}",
            (p.first_month, p.last_month, kind),
        ),
    }


def _org_part(wh: Warehouse, org: dict[str, Any], p: Period) -> dict[str, Any]:
    """What the organisation's own sections read."""
    o, y, per = org["org_id"], p.year, str(p)
    next_year = f"{y + 1}"
    referenced = (
        "goal_id IN (SELECT goal_id FROM v_assessment WHERE org_id = ?) "
        "OR goal_id IN (SELECT goal_id FROM v_target WHERE org_id = ?) "
        "OR goal_id IN (SELECT goal_id FROM v_activity WHERE org_id = ?)"
    )
    return {
        "organisation": _rows(
            wh,
            "SELECT org_id, name, kind, parent_id, controller FROM v_organisation WHERE org_id = ? OR org_id = ?",
            (o, org["parent_id"] or o),
        ),
        "goals": _rows(
            wh,
            "SELECT goal_id, org_id, level, parent_goal_id, title, description, first_year, last_year "
            f"FROM v_goal WHERE level IN (?, ?, ?) OR org_id = ? OR {referenced}",
            ("vision", "inriktningsmal", "kf_mal", o, o, o, o),
        ),
        "indicators": _rows(
            wh,
            "SELECT indicator_id, name, unit, direction, frequency, source, decimals FROM v_indicator "
            "WHERE indicator_id IN (SELECT indicator_id FROM v_target WHERE org_id = ?) "
            "OR indicator_id IN (SELECT indicator_id FROM v_outcome WHERE org_id = ?)",
            (o, o),
        ),
        "targets": _rows(
            wh,
            "SELECT indicator_id, goal_id, year, period_type, target, partial_limit FROM v_target "
            "WHERE org_id = ? AND year <= ?",
            (o, y),
        ),
        "outcomes": _rows(
            wh,
            "SELECT indicator_id, period, gender, value, comment FROM v_outcome WHERE org_id = ? AND period < ?",
            (o, next_year),
        ),
        "activities": _rows(
            wh,
            "SELECT a.activity_id, a.goal_id, a.title, a.source, a.start_date, a.end_date, s.status, s.comment "
            "FROM v_activity a LEFT JOIN v_activity_status s ON s.activity_id = a.activity_id AND s.period = ? "
            "WHERE a.org_id = ?",
            (per, o),
        ),
        "assessments": _rows(
            wh, "SELECT goal_id, assessment, comment FROM v_assessment WHERE org_id = ? AND period = ?", (o, per)
        ),
        "comments": _rows(wh, "SELECT kind, text FROM v_comment WHERE org_id = ? AND period = ?", (o, per)),
        "ledger_accounts": _rows(
            wh,
            "SELECT account, kind, MIN(account_name), MAX(account_name), COUNT(*), SUM(outcome), SUM(budget) "
            "FROM v_ledger WHERE month >= ? AND month <= ? AND org_id = ? GROUP BY account, kind",
            (p.first_month, p.last_month, o),
            money=(5, 6),
        ),
        "personnel": _rows(
            wh,
            "SELECT month, headcount, fte, scheduled_hours, sick_hours FROM v_personnel "
            "WHERE org_id = ? AND month <= ?",
            (o, p.last_month),
        ),
    }


def _digest(parts: dict[str, Any]) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def data_hashes(wh: Warehouse, period: str | Period, org_ids: Sequence[str] | None = None) -> dict[str, str]:
    """:func:`data_hash` for many organisations at once (the kind-wide inputs are read once per kind).

    ``org_ids`` None: every organisation. Returns ``{org_id: hex sha256}``.
    """
    p = as_period(wh, period)
    if org_ids is None:
        orgs = [
            dict(zip(("org_id", "kind", "parent_id"), r, strict=True))
            for r in wh.rows("SELECT org_id, kind, parent_id FROM v_organisation")
        ]
    else:
        orgs = [org_row(wh, o) for o in org_ids]
    kinds: dict[str, dict[str, Any]] = {}
    out = {}
    for org in orgs:
        if org["kind"] not in kinds:
            kinds[org["kind"]] = _kind_part(wh, p, org["kind"])
        parts = {"period": str(p), "org": _org_part(wh, org, p), "kind": kinds[org["kind"]]}
        out[org["org_id"]] = _digest(parts)
    return out


def data_hash(wh: Warehouse, org_id: str, period: str | Period) -> str:
    """A deterministic hash (hex sha256) of the warehouse data the organisation's report reads for the period.

    It changes when any of those inputs change, and not otherwise; see the
    module docstring for exactly what it covers.

    >>> h = f.data_hash(wh, "ALN", "2026-T2")
    >>> len(h), h == f.data_hash(wh, "ALN", "2026-T2")
    (64, True)
    """
    return data_hashes(wh, period, [org_id])[org_id]
