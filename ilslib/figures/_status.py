"""The indicator status rule and the choice of target: pure functions, the only place they live.

Numbers are compared as the decimals that were stored (``Decimal(repr(x))``,
the shortest decimal that reads back as the same float): ``0.27`` equals the
default partial limit of a target of ``0.3`` exactly, as a reader expects,
and nothing is rounded before comparing.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from .. import settings

#: Status codes, best first. ``saknas``: no outcome; ``ej_malsatt``: no target.
STATUSES = ("uppfyllt", "delvis", "ej_uppfyllt", "saknas", "ej_malsatt")


def _dec(x: Any) -> Decimal | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    if math.isnan(f) or math.isinf(f):
        return None
    return Decimal(repr(f))


def default_partial_limit(target: float, direction: str, band_pct: float | None = None) -> float:
    """The limit of the default partial band: ``band_pct`` % of ``|target|`` on the unfavourable side.

    >>> default_partial_limit(80, "higher")
    72.0
    >>> default_partial_limit(0.3, "lower")
    0.33
    >>> default_partial_limit(-10, "higher"), default_partial_limit(0, "lower")
    (-11.0, 0.0)
    """
    t = _dec(target)
    if t is None:
        raise ValueError(f"the target must be a finite number, got {target!r}")
    return float(_default_limit(t, direction, band_pct))


def _default_limit(t: Decimal, direction: str, band_pct: float | None) -> Decimal:
    pct = _dec(settings.PARTIAL_BAND_PCT if band_pct is None else band_pct)
    if pct is None:
        raise ValueError(f"the partial band must be a finite percentage, got {band_pct!r}")
    band = abs(t) * pct / Decimal(100)
    return t - band if direction == "higher" else t + band


def effective_partial_limit(
    target: Any, direction: str, partial_limit: Any = None, band_pct: float | None = None
) -> float | None:
    """The partial limit that applies: the explicit one, else the default band; None without a target."""
    if _dec(target) is None:
        return None
    if _dec(partial_limit) is not None:
        return float(partial_limit)
    return default_partial_limit(target, direction, band_pct)


def status(value: Any, target: Any, direction: str, partial_limit: Any = None, band_pct: float | None = None) -> str:
    """The status of an outcome against its target (``docs/contract.md``).

    No value: ``saknas``; no target: ``ej_malsatt``. Direction ``higher``:
    ``uppfyllt`` when value >= target, ``delvis`` when value >= partial limit,
    else ``ej_uppfyllt``; ``lower`` the same with <=. Without an explicit
    partial limit the default band (``settings.PARTIAL_BAND_PCT`` % of
    ``|target|``) applies. Exact comparisons, nothing rounded.

    >>> status(80, 80, "higher"), status(72, 80, "higher"), status(71.9, 80, "higher")
    ('uppfyllt', 'delvis', 'ej_uppfyllt')
    >>> status(5.5, 5, "lower"), status(5.5, 5, "lower", partial_limit=5.2)
    ('delvis', 'ej_uppfyllt')
    >>> status(None, 5, "lower"), status(3, None, "lower")
    ('saknas', 'ej_malsatt')
    """
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
    v = _dec(value)
    if v is None:
        return "saknas"
    t = _dec(target)
    if t is None:
        return "ej_malsatt"
    limit = _dec(partial_limit)
    if limit is None:
        limit = _default_limit(t, direction, band_pct)
    if direction == "higher":
        return "uppfyllt" if v >= t else "delvis" if v >= limit else "ej_uppfyllt"
    return "uppfyllt" if v <= t else "delvis" if v <= limit else "ej_uppfyllt"


def applicable_target(code: str, rows: dict[str, tuple[Any, Any, Any]]) -> tuple[str | None, Any, Any, Any]:
    """Which target row applies for a period code: ``(target_type, target, partial_limit, goal_id)``.

    ``rows`` maps ``"T1"``, ``"T2"``, ``"BO"`` and ``"annual"`` (the row with an
    empty period_type) to ``(target, partial_limit, goal_id)`` for the rows that
    exist. T1/T2: the tertial row if there is one, else the annual one; BO (and
    BU, the plan for the year end): the BO row if there is one, else the annual
    one. ``target_type`` is None when no row applies.

    >>> applicable_target("T1", {"annual": (10, None, "G1"), "T1": (4, 3, "G1")})
    ('T1', 4, 3, 'G1')
    >>> applicable_target("T2", {"annual": (10, None, "G1")})
    ('annual', 10, None, 'G1')
    """
    own = "BO" if code in ("BO", "BU") else code
    for kind in (own, "annual"):
        row = rows.get(kind)
        if row is not None and _dec(row[0]) is not None:
            return (kind, row[0], row[1], row[2])
    return (None, None, None, None)


def exact_difference(a: Any, b: Any) -> float | None:
    """``a - b`` on the stored decimals (``0.3 - 0.1`` is ``0.2``); None when either is missing.

    >>> exact_difference(0.3, 0.1)
    0.2
    """
    da, db = _dec(a), _dec(b)
    if da is None or db is None:
        return None
    return float(da - db) + 0.0
