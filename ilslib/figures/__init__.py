"""Every figure of the reports, computed once (``docs/contract.md``, *Definitions*).

One function per figure; each takes the open :class:`~ilslib.Warehouse` first.
Functions about one organisation take ``(wh, org_id, period)``; those that
cover every organisation (or a kind) take ``(wh, period, ...)``. A period is
``"2026-T2"``, a :class:`~ilslib.periods.Period`, or ``"latest"``. Results are
pandas DataFrames with documented columns; missing numbers are NaN (``null``
in figures.json). ``docs/figures.md`` is the reference.

>>> import ilslib, ilslib.figures as f
>>> wh = ilslib.connect()                              # doctest: +SKIP
>>> f.indicators(wh, "ALN", "latest")                  # doctest: +SKIP
"""

from ._status import (
    STATUSES,
    applicable_target,
    default_partial_limit,
    effective_partial_limit,
    status,
)
from .activities import activities
from .catalogue import indicator_catalogue
from .compare import KEY_FIGURES, compare, comparisons, rank_values, status_matrix
from .datahash import data_hash, data_hashes
from .economy import accounts, booked_months, economy, economy_series, partly_booked
from .export import dumps, figures_json
from .goals import divergence, goals
from .indicators import deviations, history, indicators
from .latest import as_period, latest_period, periods
from .orgs import Organisation, check_kind, goal_tree, group_kinds, loads, organisation, organisations
from .personnel import personnel, sick_leave_series
from .projection import projection
from .rollup import rollup, rollup_detail
from .texts import text_label, text_of, texts
from .totals import economy_total, personnel_total

__all__ = [
    "KEY_FIGURES",
    "STATUSES",
    "Organisation",
    "accounts",
    "activities",
    "applicable_target",
    "as_period",
    "booked_months",
    "check_kind",
    "compare",
    "comparisons",
    "data_hash",
    "data_hashes",
    "default_partial_limit",
    "deviations",
    "divergence",
    "dumps",
    "economy",
    "economy_series",
    "economy_total",
    "effective_partial_limit",
    "figures_json",
    "goal_tree",
    "goals",
    "group_kinds",
    "history",
    "indicator_catalogue",
    "indicators",
    "latest_period",
    "loads",
    "organisation",
    "organisations",
    "partly_booked",
    "periods",
    "personnel",
    "personnel_total",
    "projection",
    "rank_values",
    "rollup",
    "rollup_detail",
    "sick_leave_series",
    "status",
    "status_matrix",
    "text_label",
    "text_of",
    "texts",
]
