"""The figures of one report, each computed once: the report context.

A report shows one organisation's figures for a period in several forms: HTML
tables, charts, ``figures.json``, ``report.xlsx``, a short version. They are all
made from one :class:`ReportContext`, which computes each frame the first time
it is asked for and keeps it (:class:`frame_property`); nothing is
rebound or patched at run time. The group report has :class:`GroupContext`.

The context reads the warehouse through a :class:`Snapshot`: each distinct
statement (SQL and parameters) runs once while the context lives, so a report
is one consistent reading of the warehouse, and a figure that two parts of a
report need (the comparison's kind-wide frames, the data hash's inputs) is read
once.

>>> ctx = ReportContext(wh, "ALN", "2026-T2")
>>> ctx.indicators is ctx.indicators          # computed once
True
>>> ctx.figures_json()["economy"] == f.figures_json(wh, "ALN", "2026-T2")["economy"]
True
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar, cast, overload

import pandas as pd

from ..contract import CONTRACT_VERSION
from ..periods import Period
from ..rules import ABOVE_OWN_GOALS
from ..version import __version__
from ..warehouse import Warehouse, reading, replay
from ._common import frame, plain, records
from .activities import activities
from .catalogue import indicator_catalogue
from .compare import KEY_FIGURES, comparisons_from, key_figure_compare, status_matrix_from
from .economy import BOOKED_COLUMNS, ECONOMY_COLUMNS, accounts, economy_frame, economy_series
from .goals import goals_from, judgements
from .indicators import INDICATOR_COLUMNS, deviations_from, history, indicator_rows
from .latest import as_period
from .orgs import goal_map, goal_tree, group_kinds, loads, organisation, organisations
from .personnel import PERSONNEL_COLUMNS, personnel_frame, sick_leave_series
from .projection import PROJECTION_COLUMNS, projection_from, projection_inputs
from .rollup import rollup_detail, rollup_from
from .texts import text_rows, texts_from
from .totals import economy_total, personnel_total


class Snapshot:
    """The warehouse as one report reads it: each statement (SQL and parameters) runs once.

    ``query`` hands out a copy of its frame each time, so a caller that changes
    a frame cannot change another's. A statement served from memory counts as
    read again for every active read log (:func:`ilslib.warehouse.reading`):
    the data hash and the batch runner's record see every read a figure
    depends on, whichever part of the report asked first. Every other
    attribute is the warehouse's.
    """

    def __init__(self, wh: Warehouse | Snapshot):
        self._wh: Warehouse = wh._wh if isinstance(wh, Snapshot) else wh
        self._memo: dict[tuple[str, str, tuple[Any, ...]], tuple[Any, list[list[Any]]]] = {}

    def _once(self, how: str, sql: str, params: Sequence[Any]) -> Any:
        key = (how, sql, tuple(params))
        try:
            result, reads = self._memo[key]
        except KeyError:
            with reading() as log:
                result = getattr(self._wh, how)(sql, params)
            self._memo[key] = (result, log.entries())
            return result
        except TypeError:  # an unhashable parameter: not kept
            return getattr(self._wh, how)(sql, params)
        replay(reads)
        return result

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """:meth:`Warehouse.query`, once per statement."""
        return self._once("query", sql, params).copy()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """:meth:`Warehouse.rows`, once per statement."""
        return list(self._once("rows", sql, params))

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """:meth:`Warehouse.scalar` (from :meth:`rows`)."""
        result = self.rows(sql, params)
        return result[0][0] if result else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wh, name)

    def __repr__(self) -> str:
        return f"<Snapshot of {self._wh!r}>"


_T = TypeVar("_T")


class frame_property(Generic[_T]):  # noqa: N801  (used like functools.cached_property)
    """A context frame: computed once, and every later use counts the reads it was computed from.

    A frame computed from other frames (or from the Snapshot's memory) reads
    nothing itself; replaying its reads when it is used again keeps the data
    hash (:meth:`ReportContext.data_hash`) independent of the order in which a
    notebook asks for frames.
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.__doc__ = func.__doc__
        self.key = "_frame_" + func.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = "_frame_" + name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> frame_property[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> frame_property[_T] | _T:
        if instance is None:
            return self
        cache = instance.__dict__
        if self.key in cache:
            value, reads = cache[self.key]
            replay(reads)
            return value
        with reading() as log:
            value = self.func(instance)
        cache[self.key] = (value, log.entries())
        return value


def _economy_record(row: Any) -> dict[str, Any]:
    """One organisation's economy row as figures.json has it: the contract's keys and how far it is booked."""
    out = {k: plain(row[k]) for k in ECONOMY_COLUMNS + BOOKED_COLUMNS}
    if out["booked_months"] is not None:
        out["booked_months"] = int(out["booked_months"])
    return out


def _records(df: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    return [{c: plain(r[c]) for c in columns} for r in records(df)]


GOAL_JSON = (
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
ACTIVITY_JSON = ("activity_id", "status", "title", "goal_id", "comment")
COMPARISON_JSON = (
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
PROJECTION_JSON = ("indicator_id", "projected", "annual_target", "status", "met", "method", "note", "label")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


class ReportContext:
    """Every figure of one organisation's report for one period, each computed once (see the module docstring).

    The attributes are the frames of :mod:`ilslib.figures` for the organisation
    and period (``indicators``, ``goals``, ``economy`` ...), computed when first
    asked for; :meth:`figures_json` is ``figures.json``.
    """

    def __init__(self, wh: Warehouse | Snapshot, org_id: str, period: str | Period):
        # Typed as the Warehouse it stands in for: the figure functions take a Warehouse.
        self.wh = cast(Warehouse, Snapshot(wh))
        self.period: Period = as_period(self.wh, period)
        with reading() as log:
            self.org = organisation(self.wh, org_id)
        self._org_reads = log.entries()
        self.org_id = self.org.org_id

    def __repr__(self) -> str:
        return f"<ReportContext {self.org_id} {self.period}>"

    # -- the organisation and its kind ---------------------------------------------------------
    @property
    def kind(self) -> str:
        """The organisation's kind."""
        return self.org.kind

    @frame_property
    def peers(self) -> pd.DataFrame:
        """The organisations of the same kind (``org_id, name``), as the comparisons rank them."""
        # rows(), not query(): the data hash reads the same statement, and a report reads it once
        rows = self.wh.rows("SELECT org_id, name FROM v_organisation WHERE kind = ?", (self.kind,))
        return pd.DataFrame.from_records(rows, columns=["org_id", "name"])

    # -- indicators and goals ------------------------------------------------------------------
    @frame_property
    def kind_indicators(self) -> pd.DataFrame:
        """The indicator table of every organisation of the kind (the comparisons rank it)."""
        return indicator_rows(self.wh, self.period, kind=self.kind)

    @frame_property
    def indicators(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.indicators` for the organisation."""
        own = self.kind_indicators[self.kind_indicators["org_id"] == self.org_id]
        return frame(own, INDICATOR_COLUMNS)

    @frame_property
    def deviations(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.deviations`."""
        return deviations_from(self.indicators)

    @frame_property
    def goals(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.goals`."""
        gm = goal_map(self.wh, self.period.year, self.org_id, self.period)
        return goals_from(self.org_id, gm, judgements(self.wh, self.org_id, self.period), self.indicators)

    @frame_property
    def own_goals(self) -> pd.DataFrame:
        """The organisation's own goals, the ones its report counts (:func:`ilslib.rules.own_goal`)."""
        g = self.goals
        return g[g["own"] & ~g["level"].isin(ABOVE_OWN_GOALS)].reset_index(drop=True)

    @frame_property
    def goal_tree(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.goal_tree` for the period's year."""
        return goal_tree(self.wh, self.org_id, self.period)

    @frame_property
    def history(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.history` up to the period."""
        return history(self.wh, self.org_id, until=self.period)

    @frame_property
    def projection(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.projection` (empty outside T1/T2)."""
        if not self.period.is_tertial:
            return frame([], PROJECTION_COLUMNS)
        return projection_from(self.period, self.indicators, projection_inputs(self.wh, self.org_id, self.period))

    @frame_property
    def activities(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.activities`."""
        return activities(self.wh, self.org_id, self.period)

    @frame_property
    def texts(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.texts` (headings by the organisation's kind)."""
        return texts_from(text_rows(self.wh, self.org_id, self.period), self.kind)

    def text(self, kind: str) -> str | None:
        """One free text (``vd_kommentar``, ``rapportkommentar``, ``avvikelse``, ``analys``) or None."""
        hit = self.texts.loc[self.texts["kind"] == kind, "text"]
        return None if hit.empty else str(hit.iloc[0])

    def text_label(self, kind: str) -> str:
        """The heading of a text kind for this organisation (a board's ``vd_kommentar`` is not a VD's)."""
        from .texts import text_label

        return text_label(kind, self.kind)

    # -- economy and personnel -----------------------------------------------------------------
    @frame_property
    def kind_economy(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.economy` for every organisation of the kind."""
        return economy_frame(self.wh, self.period, kinds=[self.kind])

    @frame_property
    def economy(self) -> dict[str, Any]:
        """The organisation's economy: the contract's ten keys (None where not computable), then
        ``booked_through`` (the last booked month, ``YYYY-MM``) and ``booked_months`` (how many are booked)."""
        e = self.kind_economy
        if self.org_id not in e.index:  # an organisation whose kind list did not include it
            e = economy_frame(self.wh, self.period, self.org_id)
        return _economy_record(e.loc[self.org_id])

    @frame_property
    def economy_series(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.economy_series`."""
        return economy_series(self.wh, self.org_id, self.period)

    @frame_property
    def _accounts(self) -> pd.DataFrame:
        return accounts(self.wh, self.org_id, self.period, n=1_000_000)

    def accounts(self, n: int) -> pd.DataFrame:
        """:func:`~ilslib.figures.accounts`: the ``n`` accounts that deviate most."""
        return self._accounts.head(max(0, n)).reset_index(drop=True)

    @frame_property
    def kind_personnel(self) -> pd.DataFrame:
        """The personnel figures of every organisation of the kind."""
        return personnel_frame(self.wh, self.period, kinds=[self.kind])

    @frame_property
    def personnel(self) -> dict[str, Any]:
        """The organisation's ``headcount, fte, sick_leave_pct, suppressed``."""
        p = self.kind_personnel
        if self.org_id not in p.index:
            p = personnel_frame(self.wh, self.period, self.org_id)
        row = p.loc[self.org_id]
        return {
            "headcount": plain(row["headcount"]),
            "fte": plain(row["fte"]),
            "sick_leave_pct": plain(row["sick_leave_pct"]),
            "suppressed": bool(row["suppressed"]),
        }

    @frame_property
    def sick_leave_series(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.sick_leave_series`."""
        return sick_leave_series(self.wh, self.org_id, self.period)

    # -- the reporting round -------------------------------------------------------------------
    @frame_property
    def round_state(self) -> str | None:
        """The state of the organisation's reporting for the period (``ej_paborjad`` ... ``godkand``).

        None when the period is not run as a reporting round (no deadline and no
        state stored for it: :func:`ilslib.round.state.report_states`).
        """
        from ..round.state import report_states

        return report_states(self.wh, self.period, [self.org_id])[self.org_id]

    @property
    def draft(self) -> bool:
        """True when the report is a draft: its reporting is not approved (``godkand``)."""
        from ..round.state import is_draft

        return is_draft(self.round_state)

    # -- comparisons ---------------------------------------------------------------------------
    @frame_property
    def comparisons(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.comparisons`."""
        return comparisons_from(self.org_id, self.peers, self.kind_indicators, self.kind_economy, self.kind_personnel)

    @frame_property
    def sick_leave_compare(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.compare` of sick leave across the kind, this organisation selected."""
        fig = KEY_FIGURES["sick_leave_pct"]
        return key_figure_compare(self.peers, fig, self.kind_personnel, self.org_id)

    # -- provenance ----------------------------------------------------------------------------
    @frame_property
    def loads(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.loads`: the latest data loads."""
        return loads(self.wh)

    @functools.cached_property
    def data_hash(self) -> str:
        """:func:`~ilslib.figures.data_hash`: a digest of every read ``figures.json`` is computed from."""
        with reading() as log:
            replay(self._org_reads)
            self._document(None, "-")
        return log.digest()

    # -- figures.json --------------------------------------------------------------------------
    def figures_json(self, *, notebook: str | None = None, generated_at: str | None = None) -> dict[str, Any]:
        """``figures.json`` (see :func:`ilslib.figures.figures_json`)."""
        doc = self._document(notebook, generated_at)
        doc["provenance"]["data_hash"] = self.data_hash
        return doc

    def _document(self, notebook: str | None, generated_at: str | None) -> dict[str, Any]:
        ind_list = [
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
            for r in records(self.indicators)
        ]
        return plain(
            {
                "contract_version": CONTRACT_VERSION,
                "org_id": self.org_id,
                "period": str(self.period),
                "org_name": self.org.name,
                "kind": self.kind,
                "period_title": self.period.title,
                "indicators": ind_list,
                "goals": _records(self.goals, GOAL_JSON),
                "activities": _records(self.activities, ACTIVITY_JSON),
                "economy": dict(self.economy),
                "personnel": dict(self.personnel),
                "round_state": self.round_state,
                "draft": self.draft,
                "texts": {r["kind"]: r["text"] for r in records(self.texts)},
                "comparisons": _records(self.comparisons, COMPARISON_JSON),
                "projections": _records(self.projection, PROJECTION_JSON),
                "provenance": {
                    "data_hash": None,  # figures_json sets it
                    "notebook": notebook,
                    "ilslib_version": __version__,
                    "generated_at": generated_at or _now(),
                },
            }
        )


class GroupContext:
    """Every figure of the group report for a kind and period, each computed once.

    ``kind`` ``koncern`` covers the parent company and every company
    (:func:`~ilslib.figures.group_kinds`).
    """

    def __init__(self, wh: Warehouse | Snapshot, period: str | Period, kind: str):
        # Typed as the Warehouse it stands in for: the figure functions take a Warehouse.
        self.wh = cast(Warehouse, Snapshot(wh))
        self.period: Period = as_period(self.wh, period)
        self.kind = kind
        self.kinds = group_kinds(kind)

    def __repr__(self) -> str:
        return f"<GroupContext {self.kind} {self.period}>"

    @frame_property
    def orgs(self) -> pd.DataFrame:
        """The organisations of the group (:func:`~ilslib.figures.organisations`), in id order."""
        return organisations(self.wh, self.kinds).sort_values("org_id", kind="mergesort").reset_index(drop=True)

    @frame_property
    def names(self) -> dict[str, str]:
        """org_id -> name."""
        return dict(zip(self.orgs["org_id"], self.orgs["name"], strict=True))

    @frame_property
    def rollup_detail(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.rollup_detail` by the contract's rule (derived cells marked)."""
        return rollup_detail(self.wh, self.period, self.kinds)

    @frame_property
    def rollup(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.rollup`."""
        return rollup_from(self.rollup_detail)

    @frame_property
    def indicator_rows(self) -> pd.DataFrame:
        """The indicator tables of every organisation of the group."""
        return indicator_rows(self.wh, self.period, kind=self.kinds)

    @frame_property
    def status_matrix(self) -> pd.DataFrame:
        """The group indicator table (:func:`~ilslib.figures.status_matrix`: KF indicators, ``-`` where none)."""
        return status_matrix_from(self.indicator_rows, list(self.orgs["org_id"]), "KF")

    @frame_property
    def catalogue(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.indicator_catalogue`."""
        return indicator_catalogue(self.wh)

    @frame_property
    def economy(self) -> pd.DataFrame:
        """:func:`~ilslib.figures.economy` for every organisation of the group (index ``org_id``) with ``name``."""
        e = economy_frame(self.wh, self.period, kinds=self.kinds)
        e = e[e.index.isin(self.names)]
        return e.assign(name=[self.names[o] for o in e.index])

    @frame_property
    def economy_total(self) -> dict[str, Any]:
        """:func:`~ilslib.figures.economy_total` of the group."""
        return economy_total(self.economy)

    @frame_property
    def personnel(self) -> pd.DataFrame:
        """The personnel figures of every organisation of the group (with the hour sums) and ``name``."""
        p = personnel_frame(self.wh, self.period, kinds=self.kinds)
        p = p[p.index.isin(self.names)]
        return p.assign(name=[self.names[o] for o in p.index])

    @frame_property
    def personnel_total(self) -> dict[str, Any]:
        """:func:`~ilslib.figures.personnel_total` of the group."""
        return personnel_total(self.personnel)

    @frame_property
    def loads(self) -> pd.DataFrame:
        """The latest data loads."""
        return loads(self.wh)

    @frame_property
    def round_states(self) -> dict[str, str | None]:
        """Each organisation's state of reporting for the period (None for all when the period is not a round)."""
        from ..round.state import report_states

        return report_states(self.wh, self.period, list(self.orgs["org_id"]))

    @property
    def not_approved(self) -> list[str]:
        """The organisations whose reporting is not approved, in id order: the report is a draft for them."""
        from ..round.state import is_draft

        return [o for o, s in self.round_states.items() if is_draft(s)]

    @functools.cached_property
    def data_hash(self) -> str:
        """A digest of every read the group's ``figures.json`` is computed from."""
        with reading() as log:
            self._document(None, "-")
        return log.digest()

    def figures_json(self, *, notebook: str | None = None, generated_at: str | None = None) -> dict[str, Any]:
        """The group report's ``figures.json``.

        ``rollup``: per KF goal the four counts, ``organisations``, ``derived``
        and ``cells`` (each organisation's judgement with ``basis`` and
        ``"derived": true|false``); ``economy`` and ``personnel``: one entry per
        organisation and ``economy_total``/``personnel_total`` (sums, ratios of
        sums); ``indicator_status``: organisation -> KF indicator -> status code,
        ``null`` where it has none; ``round_states``: organisation -> the state of its
        reporting (``null`` when the period is not a round) and ``not_approved``: the
        organisations whose reporting is not approved (the report is a draft for them).
        """
        doc = self._document(notebook, generated_at)
        doc["provenance"]["data_hash"] = self.data_hash
        return doc

    def _document(self, notebook: str | None, generated_at: str | None) -> dict[str, Any]:
        cells: dict[str, list[dict[str, Any]]] = {}
        for r in records(self.rollup_detail):
            cells.setdefault(r["goal_id"], []).append(
                {
                    "org_id": r["org_id"],
                    "assessment": r["assessment"],
                    "basis": r["basis"],
                    "derived": bool(r["derived"]),
                }
            )
        rollup = [{**plain(r), "cells": cells.get(r["goal_id"], [])} for r in records(self.rollup)]
        pers_cols = list(PERSONNEL_COLUMNS)
        return plain(
            {
                "contract_version": CONTRACT_VERSION,
                "kind": self.kind,
                "kinds": self.kinds,
                "period": str(self.period),
                "period_title": self.period.title,
                "organisations": [{"org_id": o, "name": n} for o, n in self.names.items()],
                "rollup": rollup,
                "economy": [{"org_id": o, **_economy_record(r)} for o, r in self.economy.iterrows()],
                "economy_total": self.economy_total,
                "personnel": [
                    {"org_id": o, **{k: plain(r[k]) for k in pers_cols}} for o, r in self.personnel.iterrows()
                ],
                "personnel_total": self.personnel_total,
                "indicator_status": {
                    str(o): {str(i): plain(v) for i, v in row.items()} for o, row in self.status_matrix.iterrows()
                },
                "round_states": dict(self.round_states),
                "not_approved": self.not_approved,
                "provenance": {
                    "data_hash": None,  # figures_json sets it
                    "notebook": notebook,
                    "ilslib_version": __version__,
                    "generated_at": generated_at or _now(),
                },
            }
        )
