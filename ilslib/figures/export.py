"""``figures.json``: the report's figures in machine-readable form, exactly the output contract's shape.

Built from the same functions as the report, so the JSON, the HTML and the
interactive API cannot disagree. A number that cannot be computed is ``null``
(never NaN): ``json.dumps(doc, allow_nan=False)`` works on the result.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

from ..contract import CONTRACT_VERSION
from ..periods import Period
from ..warehouse import Warehouse, reading
from ._common import as_period
from .activities import activities
from .compare import comparisons
from .economy import ECONOMY_COLUMNS, economy
from .goals import goals
from .indicators import indicators
from .orgs import organisation
from .personnel import personnel
from .projection import projection
from .texts import texts


def plain(value: Any) -> Any:
    """A JSON-ready copy: NaN/NA become None, NumPy scalars Python numbers, dates ISO strings."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # NumPy scalar
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value + 0.0
    if isinstance(value, (bool, int, str)):
        return value
    try:
        if value != value:  # pd.NA, NaT
            return None
    except (TypeError, ValueError):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _records(df, columns) -> list[dict[str, Any]]:
    return [{c: plain(r[c]) for c in columns} for r in df.to_dict("records")]


def figures_json(
    wh: Warehouse,
    org_id: str,
    period: str | Period,
    *,
    notebook: str | None = None,
    generated_at: str | None = None,
) -> dict[str, Any]:
    """The organisation's figures for a period as the output contract's ``figures.json`` (a dict).

    Keys: ``contract_version`` (1), ``org_id``, ``period``, ``indicators``,
    ``goals``, ``activities``, ``economy``, ``personnel``, ``provenance``
    (``data_hash``, ``notebook``, ``ilslib_version``, ``generated_at``) as in
    the contract, plus the added keys ``org_name``, ``kind``,
    ``period_title``, ``texts`` (kind -> text), ``comparisons`` and
    ``projections`` (T1/T2). Each indicator also carries its ``name, unit,
    decimals, direction, frequency, source, target_type,
    partial_limit_default, comment, annual_target, last_year_value, change``;
    each goal its ``level, title, kf_goal_id, divergence, divergence_note``
    and status counts; each activity its ``title, goal_id, comment``.
    ``generated_at`` defaults to now (UTC, ISO 8601).

    >>> doc = f.figures_json(wh, "ALN", "2026-T2", notebook="notebooks/report.py")
    >>> doc["contract_version"], doc["period"], doc["personnel"]["suppressed"]
    (1, '2026-T2', False)
    >>> text = f.dumps(doc)                      # json.dumps(..., allow_nan=False)
    """
    # provenance.data_hash is the digest of what the figures read (ilslib.figures.datahash); the
    # period is resolved first, so the hash does not depend on how it was given.
    p = as_period(wh, period)
    with reading() as reads:
        doc = _figures_json(wh, org_id, p, notebook=notebook, generated_at=generated_at)
    doc["provenance"]["data_hash"] = reads.digest()
    return doc


def _figures_json(
    wh: Warehouse, org_id: str, period: str | Period, *, notebook: str | None, generated_at: str | None
) -> dict[str, Any]:
    from .. import __version__

    p = as_period(wh, period)
    org = organisation(wh, org_id)
    ind = indicators(wh, org_id, p)
    ind_list = []
    for r in ind.to_dict("records"):
        ind_list.append(
            plain(
                {
                    "indicator_id": r["indicator_id"],
                    "goal_id": r["goal_id"],
                    "value": r["value"],
                    "target": r["target"],
                    "partial_limit": r["partial_limit"],
                    "status": r["status"],
                    "by_gender": {"K": r["value_k"], "M": r["value_m"]},
                    "name": r["name"],
                    "unit": r["unit"],
                    "decimals": r["decimals"],
                    "direction": r["direction"],
                    "frequency": r["frequency"],
                    "source": r["source"],
                    "target_type": r["target_type"],
                    "partial_limit_default": r["partial_limit_default"],
                    "comment": r["comment"],
                    "annual_target": r["annual_target"],
                    "last_year_value": r["last_year_value"],
                    "change": r["change"],
                }
            )
        )
    goal_cols = (
        "goal_id",
        "assessment",
        "comment",
        "level",
        "title",
        "kf_goal_id",
        "own",
        "indicators",
        "uppfyllt",
        "delvis",
        "ej_uppfyllt",
        "saknas",
        "ej_malsatt",
        "divergence",
        "divergence_note",
    )
    act_cols = ("activity_id", "status", "title", "goal_id", "comment")
    eco = economy(wh, p, org_id).iloc[0]
    per = personnel(wh, p, org_id).iloc[0]
    txt = texts(wh, org_id, p)
    comp_cols = (
        "what",
        "label",
        "unit",
        "direction",
        "decimals",
        "value",
        "special",
        "rank",
        "ranked",
        "colour",
        "status",
    )
    proj_cols = ("indicator_id", "projected", "annual_target", "status", "met", "method", "note", "label")
    return plain(
        {
            "contract_version": CONTRACT_VERSION,
            "org_id": org.org_id,
            "period": str(p),
            "org_name": org.name,
            "kind": org.kind,
            "period_title": p.title,
            "indicators": ind_list,
            "goals": _records(goals(wh, org_id, p), goal_cols),
            "activities": _records(activities(wh, org_id, p), act_cols),
            "economy": {k: plain(eco[k]) for k in ECONOMY_COLUMNS},
            "personnel": {
                "headcount": plain(per["headcount"]),
                "fte": plain(per["fte"]),
                "sick_leave_pct": plain(per["sick_leave_pct"]),
                "suppressed": bool(per["suppressed"]),
            },
            "texts": {r["kind"]: r["text"] for r in txt.to_dict("records")},
            "comparisons": _records(comparisons(wh, org_id, p), comp_cols),
            "projections": _records(projection(wh, org_id, p), proj_cols),
            "provenance": {
                "data_hash": None,  # set by figures_json
                "notebook": notebook,
                "ilslib_version": __version__,
                "generated_at": generated_at or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            },
        }
    )


def dumps(doc: dict[str, Any]) -> str:
    """``figures.json`` text: UTF-8 friendly, indented, no NaN (raises if one slipped through)."""
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
