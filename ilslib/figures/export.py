"""``figures.json``: the report's figures in machine-readable form, exactly the output contract's shape.

Built from the same functions as the report, so the JSON, the HTML and the
interactive API cannot disagree. A number that cannot be computed is ``null``
(never NaN): ``json.dumps(doc, allow_nan=False)`` works on the result.
"""

from __future__ import annotations

import json
from typing import Any

from ..periods import Period
from ..warehouse import Warehouse


def figures_json(
    wh: Warehouse,
    org_id: str,
    period: str | Period,
    *,
    notebook: str | None = None,
    generated_at: str | None = None,
) -> dict[str, Any]:
    """The organisation's figures for a period as the output contract's ``figures.json`` (a dict).

    Keys: ``contract_version``, ``org_id``, ``period``, ``indicators``,
    ``goals``, ``activities``, ``economy``, ``personnel``, ``provenance``
    (``data_hash``, ``notebook``, ``ilslib_version``, ``generated_at``) as in
    the contract, plus the added keys ``org_name``, ``kind``,
    ``period_title``, ``texts`` (kind -> text), ``comparisons``,
    ``projections`` (T1/T2), ``round_state`` (the state of the organisation's
    reporting, ``null`` when the period is not run as a round) and ``draft``
    (true unless the reporting is approved); ``economy`` also holds
    ``booked_through`` and ``booked_months`` (months not yet booked). Each indicator also carries its ``name, unit,
    decimals, direction, frequency, source, target_type,
    partial_limit_default, comment, annual_target, last_year_value, change``;
    each goal its ``level, title, kf_goal_id, divergence, divergence_note``
    and status counts; each activity its ``title, goal_id, comment``.
    ``generated_at`` defaults to now (UTC, ISO 8601). The report builds the same
    document from its :class:`~ilslib.figures.context.ReportContext`: one implementation.

    >>> doc = f.figures_json(wh, "ALN", "2026-T2", notebook="notebooks/report.py")
    >>> doc["period"], doc["personnel"]["suppressed"]
    ('2026-T2', False)
    >>> text = f.dumps(doc)                      # json.dumps(..., allow_nan=False)
    """
    from .context import ReportContext

    return ReportContext(wh, org_id, period).figures_json(notebook=notebook, generated_at=generated_at)


def dumps(doc: dict[str, Any]) -> str:
    """``figures.json`` text: UTF-8 friendly, indented, no NaN (raises if one slipped through)."""
    return json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
