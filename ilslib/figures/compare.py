"""One indicator or key figure across the organisations of a kind, as in Kolada's comparisons.

**Rank**: 1 is the best value in the indicator's direction; values are
compared as shown (rounded to the figure's decimals) and equal values share
the best rank among them (1, 2, 2, 4); missing and special values are not
ranked. **Colour** (among the ``n`` ranked organisations): ``green`` for the
best quarter, ``red`` for the worst quarter, ``yellow`` for the rest and for a
value that would be both (all equal), ``grey`` when there is no value. Tied
values always share a colour, and a tied group is green (red) only when all of
it lies within the best (worst) quarter: a quarter never holds more than a
quarter. With fewer than four ranked organisations nobody is green or red.

**Special values** (``special``): ``-`` missing (the organisation should have
the value but it is not there), ``.`` not applicable (an indicator the
organisation neither has a target nor an outcome for; a ratio with a zero
denominator, e.g. budget deviation % with a zero cost budget), ``..``
confidential (sick leave suppressed for a unit under 5 employees).
"""

from __future__ import annotations

import bisect
import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import pandas as pd

from ..errors import UnknownValueError
from ..fmt import MISSING, NOT_APPLICABLE, SUPPRESSED
from ..periods import Period
from ..warehouse import Warehouse
from ._common import frame, num, org_row, records
from .economy import economy_frame
from .indicators import indicator_rows
from .latest import as_period
from .orgs import check_kind
from .personnel import personnel_frame

COMPARE_COLUMNS = ("org_id", "name", "value", "special", "rank", "ranked", "colour", "status", "selected")


@dataclass(frozen=True)
class KeyFigure:
    """A key figure that is not an indicator: where it comes from and which way is better."""

    key: str
    label: str
    unit: str
    direction: str
    decimals: int
    source: str  # "economy" or "personnel"


#: Key figures that :func:`compare` accepts besides indicator ids.
KEY_FIGURES = {
    k.key: k
    for k in (
        KeyFigure("sick_leave_pct", "Sjukfrånvaro", "%", "lower", 1, "personnel"),
        KeyFigure("deviation_pct", "Budgetavvikelse", "%", "higher", 1, "economy"),
        KeyFigure("deviation", "Budgetavvikelse", "kr", "higher", 0, "economy"),
        KeyFigure("forecast_deviation", "Prognosavvikelse helår", "kr", "higher", 0, "economy"),
    )
}


def _shown(x: float, decimals: int) -> float:
    """One value as a reader sees it: rounded half away from zero to ``decimals``; NaN for NaN and infinity."""
    if math.isnan(x) or math.isinf(x):
        return math.nan
    with localcontext() as ctx:
        exact = Decimal(repr(x))
        ctx.prec = max(28, exact.adjusted() + int(decimals) + 3)
        return float(exact.quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP))


def _rounded(values: pd.Series, decimals: int | None) -> pd.Series:
    """The values as a reader sees them: rounded half away from zero to ``decimals`` (as :mod:`ilslib.fmt`)."""
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    if decimals is None:
        return v
    return v.map(lambda x: _shown(x, int(decimals))).astype("float64")


def rank_values(values: pd.Series, direction: str, decimals: int | None = None) -> tuple[pd.Series, pd.Series, int]:
    """Ranks (``Int64``; ties share the best rank; NaN unranked), Kolada colours, and how many were ranked.

    **One rule for ties**: values are compared as they are shown, rounded to
    ``decimals`` (half away from zero, as :mod:`ilslib.fmt` shows them); equal
    shown values share the best rank and always get the same colour. **A
    quarter is at most a quarter**: a group of tied values is green only when
    the whole group lies within the best quarter (its last place ``<= n/4``),
    red likewise at the worst end, otherwise yellow; so with many ties fewer
    than a quarter may be green, never more. With fewer than four ranked
    values nobody is green or red.

    >>> r, c, n = rank_values(pd.Series([5.0, 7.0, 7.0, None, 1.0]), "higher")
    >>> r.tolist(), c.tolist(), n
    ([3, 1, 1, <NA>, 4], ['yellow', 'yellow', 'yellow', 'grey', 'red'], 4)
    >>> rank_values(pd.Series([4.94, 5.04, 6.0, 7.0]), "lower", decimals=1)[0].tolist()
    [1, 2, 3, 4]
    >>> rank_values(pd.Series([4.94, 5.04, 6.0, 7.0]), "lower", decimals=0)[0].tolist()
    [1, 1, 3, 4]
    """
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
    v = _rounded(values, decimals)
    shown = v.tolist()
    ranked = _ranked(shown)
    places = [_place(x, ranked, direction) for x in shown]
    rank = pd.Series([r for r, _ in places], index=v.index, dtype="Int64", name=v.name)
    return rank, pd.Series([c for _, c in places], index=values.index, dtype=object), len(ranked)


def _ranked(shown: Sequence[float]) -> list[float]:
    """The values that get a rank (not NaN), in ascending order."""
    return sorted(x for x in shown if not math.isnan(x))


def _place(x: float, ranked: list[float], direction: str) -> tuple[int | None, str]:
    """The rank and colour of the shown value ``x`` among ``ranked`` (:func:`_ranked`): the rule of
    :func:`rank_values`, in one place. ``(None, "grey")`` for NaN."""
    if math.isnan(x):
        return None, "grey"
    n = len(ranked)
    below, up_to = bisect.bisect_left(ranked, x), bisect.bisect_right(ranked, x)  # < x, <= x
    if direction == "higher":
        better, as_good, as_bad = n - up_to, n - below, up_to
    else:
        better, as_good, as_bad = below, up_to, n - below
    # as_good: the last place of x's tied group from the best end; as_bad: from the worst end
    best, worst = 4 * as_good <= n, 4 * as_bad <= n
    return better + 1, "green" if best and not worst else "red" if worst and not best else "yellow"


def _kind_for(wh: Warehouse, kind: str | None, org_id: str | None) -> str:
    own = org_row(wh, org_id)["kind"] if org_id is not None else None
    if kind is not None:
        return check_kind(kind)
    if own is not None:
        return own
    raise UnknownValueError("compare needs kind= (e.g. 'namnd' or 'bolag') or org_id= (its kind is used)")


def _unknown_figure(wh: Warehouse, what: str) -> UnknownValueError:
    ids = [r[0] for r in wh.rows("SELECT indicator_id FROM v_indicator")] + list(KEY_FIGURES)
    near = difflib.get_close_matches(str(what), ids, n=5, cutoff=0.4)
    hint = f"did you mean {', '.join(near)}?" if near else f"key figures: {', '.join(KEY_FIGURES)}"
    return UnknownValueError(f"unknown indicator or key figure {what!r}: {hint}")


def compare(
    wh: Warehouse, period: str | Period, what: str, kind: str | None = None, org_id: str | None = None
) -> pd.DataFrame:
    """One indicator (by id) or key figure across every organisation of a kind for a period.

    ``what`` is an indicator id or one of :data:`KEY_FIGURES`
    (``sick_leave_pct``, ``deviation_pct``, ``deviation``,
    ``forecast_deviation``). ``kind`` defaults to ``org_id``'s kind;
    ``org_id`` marks that organisation's row (``selected``). Columns:
    ``org_id, name, value`` (NaN when special), ``special`` (``-``, ``.``,
    ``..`` or None), ``rank`` (``Int64``), ``ranked`` (how many have a rank),
    ``colour`` (``green``/``yellow``/``red``/``grey``), ``status`` (the
    indicator status; None for key figures) and ``selected``. Best first;
    unranked last by id. ``df.attrs`` holds ``label, unit, direction,
    decimals``. See the module docstring for ranks, colours and special values.

    >>> c = f.compare(wh, "2026-T2", "sick_leave_pct", org_id="ALN")
    >>> c.attrs["label"], c.attrs["direction"], int(c["rank"].min()), c.attrs["kind"]
    ('Sjukfrånvaro', 'lower', 1, 'namnd')
    >>> c.loc[c["selected"], "org_id"].tolist()
    ['ALN']
    """
    p = as_period(wh, period)
    k = _kind_for(wh, kind, org_id)
    orgs = wh.query("SELECT org_id, name FROM v_organisation WHERE kind = ?", (k,))
    if what in KEY_FIGURES:
        fig = KEY_FIGURES[what]
        values, special, status = key_figure_values(wh, p, k, fig)
        direction, decimals = fig.direction, fig.decimals
        attrs = {"label": fig.label, "unit": fig.unit, "direction": direction, "decimals": decimals}
    else:
        meta = wh.rows("SELECT name, unit, direction, decimals FROM v_indicator WHERE indicator_id = ?", (what,))
        if not meta:
            raise _unknown_figure(wh, what)
        name, unit, direction, places = meta[0]
        values, special, status = indicator_values(indicator_rows(wh, p, kind=k), what)
        decimals = int(places) if num(places) is not None else 1
        attrs = {"label": name, "unit": unit, "direction": direction, "decimals": decimals}
    absent = MISSING if what in KEY_FIGURES else NOT_APPLICABLE
    df = ranked_frame(orgs, values, special, status, direction, org_id, absent, decimals)
    df.attrs.update({"what": what, "period": str(p), "kind": k, **attrs})
    return df


def _special_or_value(
    org_id: str, values: dict[str, float | None], special: dict[str, str | None], absent: str
) -> tuple[str | None, float | None]:
    """An organisation's (special value, number) in a comparison: the special value when it has one
    (``absent`` when it lacks the figure), else its number; no number either is the missing value."""
    s = special[org_id] if org_id in special else absent
    v = num(values.get(org_id)) if s is None else None
    return (MISSING if s is None and v is None else s), v


def ranked_frame(
    orgs: pd.DataFrame,
    values: dict[str, float | None],
    special: dict[str, str | None],
    status: dict[str, str | None],
    direction: str,
    org_id: str | None = None,
    absent: str = MISSING,
    decimals: int | None = None,
) -> pd.DataFrame:
    """Rank and colour prepared values (internal: shared by :func:`compare` and figures.json).

    ``special`` holds the special value (or None) of each organisation that
    has the figure; an organisation not in it gets ``absent``.
    """
    df = orgs[["org_id", "name"]].copy()
    specials, vals = [], []
    for o in df["org_id"]:
        s, v = _special_or_value(o, values, special, absent)
        specials.append(s)
        vals.append(v)
    df["special"] = specials
    df["value"] = pd.Series(vals, index=df.index, dtype="float64")
    df["status"] = [status.get(o) for o in df["org_id"]]
    rank, colour, n = rank_values(df["value"], direction, decimals)
    df["rank"], df["colour"], df["ranked"] = rank, colour, n
    df["selected"] = df["org_id"] == org_id
    df = df.assign(_r=df["rank"].astype("float64").fillna(float("inf")))
    df = df.sort_values(["_r", "org_id"], kind="mergesort")
    out = frame(df, COMPARE_COLUMNS)
    out["rank"] = out["rank"].astype("Int64")
    out["ranked"] = out["ranked"].astype("int64")
    out["selected"] = out["selected"].astype(bool)
    return out


def indicator_values(rows: pd.DataFrame, indicator_id: str) -> tuple[dict, dict, dict]:
    """Values, special values and statuses of one indicator from an indicator frame (internal)."""
    values, special, status = {}, {}, {}
    for r in records(rows[rows["indicator_id"] == indicator_id]):
        v = num(r["value"])
        values[r["org_id"]] = v
        special[r["org_id"]] = None if v is not None else MISSING
        status[r["org_id"]] = r["status"]
    return values, special, status


def key_figure_values(
    wh: Warehouse | None, p: Period | None, kind: str, fig: KeyFigure, source: pd.DataFrame | None = None
) -> tuple[dict, dict, dict]:
    """Values and special values of a key figure for the organisations of a kind (internal).

    ``source`` is the kind's :func:`economy` or :func:`personnel` frame when
    the caller has it already.
    """
    values: dict[str, float | None] = {}
    special: dict[str, str | None] = {}
    if source is None:
        if wh is None or p is None:
            raise ValueError("key_figure_values: without a source frame the warehouse and the period are needed")
        source = (personnel_frame if fig.source == "personnel" else economy_frame)(wh, p, kinds=[kind])
    df = source
    orgs = [str(o) for o in df.index.tolist()]  # the index is org_id
    if fig.source == "personnel":
        for o, pct, suppressed in zip(orgs, df["sick_leave_pct"].tolist(), df["suppressed"].tolist(), strict=True):
            v = num(pct)
            values[o] = v
            special[o] = SUPPRESSED if suppressed else (None if v is not None else MISSING)
    else:
        deviations = df["deviation"].tolist() if "deviation" in df else [None] * len(orgs)
        for o, x, dev in zip(orgs, df[fig.key].tolist(), deviations, strict=True):
            v = num(x)
            values[o] = v
            if v is not None:
                special[o] = None
            elif fig.key == "deviation_pct" and num(dev) is not None:
                special[o] = NOT_APPLICABLE  # a zero cost budget: the ratio has no meaning
            else:
                special[o] = MISSING
    return values, special, {}


COMPARISON_COLUMNS = (
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


def comparisons(wh: Warehouse, org_id: str, period: str | Period) -> pd.DataFrame:
    """The organisation's place among the organisations of its kind, for each of its indicators and key figures.

    One row per indicator in the organisation's indicator table and per key
    figure (:data:`KEY_FIGURES`). Columns: ``what`` (indicator id or key
    figure), ``label, unit, direction, decimals``, and the organisation's
    ``value, special, rank, ranked, colour, status`` as in :func:`compare`.

    >>> c = f.comparisons(wh, "ALN", "2026-T2")
    >>> c.loc[c["what"] == "sick_leave_pct", "label"].tolist()
    ['Sjukfrånvaro']
    """
    p = as_period(wh, period)
    kind = org_row(wh, org_id)["kind"]
    orgs = wh.query("SELECT org_id, name FROM v_organisation WHERE kind = ?", (kind,))
    return comparisons_from(
        org_id,
        orgs,
        indicator_rows(wh, p, kind=kind),
        economy_frame(wh, p, kinds=[kind]),
        personnel_frame(wh, p, kinds=[kind]),
    )


def comparisons_from(
    org_id: str, orgs: pd.DataFrame, rows_kind: pd.DataFrame, economy_kind: pd.DataFrame, personnel_kind: pd.DataFrame
) -> pd.DataFrame:
    """:func:`comparisons` from the kind's frames (internal: the report context has them already).

    Each row is the organisation's row of :func:`ranked_frame` for the figure
    (:func:`_selected_row`: the same rule, without a frame per figure).
    """
    peers = [str(o) for o in orgs["org_id"].tolist()]
    by_indicator: dict[str, tuple[dict, dict, dict]] = {}
    columns = ("org_id", "indicator_id", "value", "status")
    for o, i, v, st in zip(*(rows_kind[c].tolist() for c in columns), strict=True):
        values, special, status = by_indicator.setdefault(i, ({}, {}, {}))
        v = num(v)
        values[o] = v
        special[o] = None if v is not None else MISSING
        status[o] = st
    out = []
    own = rows_kind[rows_kind["org_id"] == org_id]
    for i, name, unit, direction, decimals in zip(
        *(own[c].tolist() for c in ("indicator_id", "name", "unit", "direction", "decimals")), strict=True
    ):
        values, special, status = by_indicator[i]
        dec = int(decimals)
        row = _selected_row(peers, values, special, status, direction, org_id, NOT_APPLICABLE, dec)
        out.append({"what": i, "label": name, "unit": unit, "direction": direction, "decimals": dec, **row})
    sources = {"economy": economy_kind, "personnel": personnel_kind}
    for fig in KEY_FIGURES.values():
        values, special, status = key_figure_values(None, None, "", fig, sources[fig.source])
        row = _selected_row(peers, values, special, status, fig.direction, org_id, MISSING, fig.decimals)
        out.append(
            {
                "what": fig.key,
                "label": fig.label,
                "unit": fig.unit,
                "direction": fig.direction,
                "decimals": fig.decimals,
                **row,
            }
        )
    df = frame(out, COMPARISON_COLUMNS)
    df["value"] = df["value"].astype("float64")
    df["rank"] = df["rank"].astype("Int64")
    return df


def _as_inferred(value: Any, column: Sequence[Any]) -> Any:
    """``value`` as it comes out of a frame column made from the list ``column`` (which holds it).

    pandas infers such a column as text when it holds a string (missing values become NaN),
    keeps it as objects when every value is None, and makes it float (NaN) otherwise.
    """
    if any(isinstance(v, str) for v in column):
        return value if isinstance(value, str) else math.nan
    if all(v is None for v in column):
        return None
    return math.nan if value is None else value


def _selected_row(
    peers: Sequence[str],
    values: dict[str, float | None],
    special: dict[str, str | None],
    status: dict[str, str | None],
    direction: str,
    org_id: str,
    absent: str,
    decimals: int,
) -> dict[str, Any]:
    """``org_id``'s ``value, special, rank, ranked, colour, status`` in :func:`ranked_frame` of the same input.

    The same rule as :func:`rank_values` (values compared as shown, ties share the
    best rank and a colour, a quarter is at most a quarter), computed for one
    organisation with plain numbers.
    """
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
    if org_id not in peers:
        raise IndexError(f"{org_id!r} is not among the organisations compared")
    specials: list[str | None] = []
    vals: list[float | None] = []
    shown: list[float] = []
    mine = -1
    for k, o in enumerate(peers):
        s, v = _special_or_value(o, values, special, absent)
        specials.append(s)
        vals.append(v)
        shown.append(math.nan if v is None else _shown(v, decimals))
        if o == org_id and mine < 0:
            mine = k
    rank, colour = _place(shown[mine], _ranked(shown), direction)
    n = sum(not math.isnan(y) for y in shown)
    own_value = vals[mine]
    statuses = [status.get(o) for o in peers]
    return {
        "value": math.nan if own_value is None else own_value,
        "special": _as_inferred(specials[mine], specials),
        "rank": pd.NA if rank is None else rank,
        "ranked": n,
        "colour": colour,
        "status": _as_inferred(statuses[mine], statuses),
    }


def key_figure_compare(orgs: pd.DataFrame, fig: KeyFigure, source: pd.DataFrame, org_id: str | None) -> pd.DataFrame:
    """:func:`compare` for a key figure from its source frame (internal: the report context's chart)."""
    values, special, status = key_figure_values(None, None, "", fig, source)
    df = ranked_frame(orgs, values, special, status, fig.direction, org_id, MISSING, fig.decimals)
    df.attrs.update({"what": fig.key, "label": fig.label, "unit": fig.unit, "direction": fig.direction})
    df.attrs["decimals"] = fig.decimals
    return df


def status_matrix(
    wh: Warehouse, period: str | Period, kind: str | Sequence[str], *, source: str | None = "KF"
) -> pd.DataFrame:
    """The group indicator table: every organisation's status for each KF indicator followed up in the period.

    As the data contract defines it: one row per organisation of the kind
    (index ``org_id``, in id order, those without any indicator included), one
    column per indicator of source ``KF`` that some organisation of the kind
    follows up in the period (in T1/T2 only tertial indicators), in id order;
    a cell holds the status code (``uppfyllt`` ... ``ej_malsatt``), or None
    where the organisation has no status for it (shown ``-``). ``kind`` may be
    several kinds; ``source=None`` takes every indicator, ``"own"`` the own ones.

    >>> m = f.status_matrix(wh, "2025-BO", "bolag")
    >>> m.index.name, m.columns.name
    ('org_id', 'indicator_id')
    """
    p = as_period(wh, period)
    kinds = [kind] if isinstance(kind, str) else list(kind)
    for k in kinds:
        check_kind(k)
    rows = indicator_rows(wh, p, kind=kinds)
    marks = ", ".join("?" for _ in kinds)
    orgs = sorted(r[0] for r in wh.rows(f"SELECT org_id FROM v_organisation WHERE kind IN ({marks})", kinds))
    return status_matrix_from(rows, orgs, source)


def status_matrix_from(rows: pd.DataFrame, orgs: Sequence[str], source: str | None = "KF") -> pd.DataFrame:
    """:func:`status_matrix` from the kind's indicator frame (internal)."""
    if source is not None:
        rows = rows[rows["source"] == source]
    ids = sorted(set(rows["indicator_id"]))
    cells = {(o, i): s for o, i, s in zip(rows["org_id"], rows["indicator_id"], rows["status"], strict=True)}
    data = [[cells.get((o, i)) for i in ids] for o in orgs]
    return pd.DataFrame(
        data, index=pd.Index(list(orgs), name="org_id"), columns=pd.Index(ids, name="indicator_id"), dtype=object
    )
