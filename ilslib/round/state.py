"""The state of an organisation's reporting for a period, who may change it, and the record of every change.

States (the contract's reporting round)::

    ej_paborjad  nothing reported yet
    pagaende     reporting data loaded (in progress)
    klar         marked ready by the reporter (klarmarkerad)
    godkand      approved by the organisation's controller

An organisation without a stored state is ``pagaende`` when any of its
reporting data for the period is in the warehouse, else ``ej_paborjad``.
Loading reporting data sets the state to ``pagaende``, also from ``klar`` or
``godkand`` (changed data must be marked ready and approved again; the load
says so). ``ready`` moves ``ej_paborjad``/``pagaende`` to ``klar`` (``undo``:
back to ``pagaende``, or ``ej_paborjad`` when nothing is reported); ``approve``
moves ``klar`` to ``godkand`` (``undo``: back to ``klar``). Marking ready or
approving with required items missing is allowed (a reporter may have nothing
to say); the :class:`Change` lists them so the caller can warn. Every change
is an event in ``ils_event``: who, when, what, from which state.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeGuard

import pandas as pd

from .. import rights
from ..errors import IlsError
from ..periods import Period
from ..warehouse import Warehouse

LABELS = {"ej_paborjad": "Ej påbörjad", "pagaende": "Pågående", "klar": "Klarmarkerad", "godkand": "Godkänd"}
#: A symbol per state, shown before the word (never the colour or the symbol alone).
SYMBOLS = {"ej_paborjad": "○", "pagaende": "◐", "klar": "●", "godkand": "✔"}
#: The actions recorded in ``ils_event`` by the reporting round, with a Swedish word for the log.
ACTIONS = {
    "load": "Inläsning",
    "ready": "Klarmarkerad",
    "ready_undo": "Klarmarkering ångrad",
    "approve": "Godkänd",
    "approve_undo": "Godkännande ångrat",
    "remind": "Påminnelse",
}
EVENT_COLUMNS = ("event_id", "at", "user_name", "action", "org_id", "period", "from_state", "to_state", "detail")


class RoundStateError(IlsError):
    """A change of state that the reporting round does not allow (e.g. approving what is not ready)."""


@dataclass(frozen=True)
class Change:
    """The result of a change of state: from, to, who and when; ``changed`` False when nothing moved."""

    org_id: str
    period: str
    from_state: str
    to_state: str
    user: str
    at: str
    missing: tuple[str, ...] = ()
    """The required items still missing when it was marked ready or approved (a warning, never a refusal)."""

    @property
    def changed(self) -> bool:
        """True when the state moved."""
        return self.from_state != self.to_state


def now() -> str:
    """The current time, ISO 8601 UTC with milliseconds (as load times are stored)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def new_event_id() -> str:
    """A new event id: sortable by time, unique."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(3)


def _has_data_sql() -> str:
    return (
        "SELECT org_id FROM v_outcome WHERE period = ? UNION "
        "SELECT org_id FROM v_assessment WHERE period = ? UNION "
        "SELECT org_id FROM v_comment WHERE period = ? UNION "
        "SELECT a.org_id FROM v_activity_status s JOIN v_activity a ON a.activity_id = s.activity_id "
        "WHERE s.period = ?"
    )


def states(wh: Warehouse, period: str | Period, org_ids: Sequence[str] | None = None) -> dict[str, str]:
    """``{org_id: state}`` for the period: every organisation (or those in ``org_ids``)."""
    per = str(period)
    ids = list(org_ids) if org_ids is not None else [str(r[0]) for r in wh.rows("SELECT org_id FROM v_organisation")]
    sql, params = "SELECT org_id, state FROM v_round_state WHERE period = ?", [per]
    if org_ids is not None and len(ids) <= 50:
        # only the organisations asked about: a report reads its own state, not everyone's (what a report
        # reads decides when it is made again)
        sql += f" AND org_id IN ({', '.join('?' for _ in ids)})" if ids else " AND 1 = 0"
        params += ids
    stored = {str(o): str(s) for o, s in wh.rows(sql, params)}
    unstored = [o for o in ids if o not in stored]
    with_data: set[str] = set()
    if unstored:
        sql, params = _has_data_sql(), [per, per, per, per]
        if org_ids is not None and len(unstored) <= 50:
            marks = ", ".join("?" for _ in unstored)
            sql = f"SELECT org_id FROM ({sql}) d WHERE org_id IN ({marks})"
            params += unstored
        with_data = {str(r[0]) for r in wh.rows(sql, params)}
    return {o: stored.get(o) or ("pagaende" if o in with_data else "ej_paborjad") for o in ids}


def in_round(wh: Warehouse, period: str | Period) -> bool:
    """True when the period is run as a reporting round: it has a deadline, or a state is stored for it.

    A period loaded before the warehouse knew the round (a version-1
    warehouse, data written directly) has neither; its reports are not
    drafts (:func:`report_states`).
    """
    per = str(period)
    # MIN(): one row whatever the number of deadlines or states, so the answer (and what a report read)
    # changes only when the period enters the round
    return (
        wh.scalar("SELECT MIN(period) FROM v_deadline WHERE period = ?", (per,)) is not None
        or wh.scalar("SELECT MIN(period) FROM v_round_state WHERE period = ?", (per,)) is not None
    )


def report_states(wh: Warehouse, period: str | Period, org_ids: Sequence[str]) -> dict[str, str | None]:
    """``{org_id: state}`` for the reports of the period: what a report says about its reporting.

    The state of each organisation; None for every one when the period is not
    run as a round (:func:`in_round`). A report whose state is anything but
    ``godkand`` is a draft (:func:`is_draft`).
    """
    if not in_round(wh, period):
        return dict.fromkeys(org_ids)
    return dict(states(wh, period, org_ids))


def is_draft(state_code: str | None) -> TypeGuard[str]:
    """True when a report in this state is a draft: its reporting is in the round and not yet approved."""
    return state_code is not None and state_code != "godkand"


def draft_label(state_code: str) -> str:
    """How a draft report says so: ``Utkast – ej godkänd (Klarmarkerad)``."""
    return f"Utkast – ej godkänd ({LABELS[state_code]})"


def state(wh: Warehouse, org_id: str, period: str | Period) -> str:
    """The state of one organisation's reporting for the period."""
    return states(wh, period, [org_id])[org_id]


def record_event(
    wh: Warehouse,
    action: str,
    *,
    org_id: str | None = None,
    period: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: str | None = None,
    user: str | None = None,
    at: str | None = None,
) -> str:
    """Record one event in ``ils_event`` (inside the caller's transaction, if any); return its id."""
    event_id = new_event_id()
    wh.execute(
        "INSERT INTO ils_event (event_id, at, user_name, action, org_id, period, from_state, to_state, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            event_id,
            at or now(),
            (user or rights.login(wh))[:400],
            action,
            org_id,
            period,
            from_state,
            to_state,
            detail,
        ),
    )
    return event_id


def _store(wh: Warehouse, org_id: str, period: str, new: str, user: str, at: str) -> None:
    wh.execute("DELETE FROM ils_round_state WHERE org_id = ? AND period = ?", (org_id, period))
    wh.execute(
        "INSERT INTO ils_round_state (org_id, period, state, changed_at, changed_by) VALUES (?, ?, ?, ?, ?)",
        (org_id, period, new, at, user[:400]),
    )


_DERIVED = "(derived)"


def _move(
    wh: Warehouse,
    org_id: str,
    period: str,
    action: str,
    allowed: dict[str, str],
    refuse: dict[str, str],
    at: str | None = None,
) -> Change:
    user = rights.login(wh)
    at = at or now()
    with wh.transaction():
        old = state(wh, org_id, period)
        if old in refuse:
            raise RoundStateError(refuse[old].format(org=org_id, period=period))
        new = allowed[old]
        if new == _DERIVED:  # back to what the data says: in progress if anything is reported, else not started
            with_data = {str(r[0]) for r in wh.rows(_has_data_sql(), (period,) * 4)}
            new = "pagaende" if org_id in with_data else "ej_paborjad"
        _store(wh, org_id, period, new, user, at)
        record_event(wh, action, org_id=org_id, period=period, from_state=old, to_state=new, user=user, at=at)
    return Change(org_id, period, old, new, user, at)


def _org_and_period(wh: Warehouse, org_id: str, period: str | Period) -> str:
    from ..figures.orgs import organisation

    organisation(wh, org_id)  # an unknown id is a one-line error naming the nearest ones
    return str(Period.parse(str(period)))


def mark_ready(
    wh: Warehouse,
    org_id: str,
    period: str | Period,
    *,
    undo: bool = False,
    at: str | None = None,
    with_missing: bool = True,
) -> Change:
    """Mark the organisation's reporting ready (klarmarkera), or with ``undo`` take that back.

    Allowed for its reporter or controller, or an admin; anyone else gets
    :class:`~ilslib.errors.AccessDeniedError` before anything is written.
    ``at`` is the time recorded (ISO 8601; default now: the demo backdates its history).
    ``with_missing=False`` leaves the change's ``missing`` empty (the demo plays thousands of marks).
    """
    per = _org_and_period(wh, org_id, period)
    rights.require_report(wh, [org_id], "undo the ready mark" if undo else "mark the reporting ready")
    if undo:
        return _move(
            wh,
            org_id,
            per,
            "ready_undo",
            {"klar": _DERIVED},
            {
                "ej_paborjad": "{org} {period} is not marked ready: nothing to undo",
                "pagaende": "{org} {period} is not marked ready: nothing to undo",
                "godkand": "{org} {period} is approved: its controller undoes the approval first (ils approve --undo)",
            },
            at,
        )
    change = _move(
        wh,
        org_id,
        per,
        "ready",
        {"ej_paborjad": "klar", "pagaende": "klar"},
        {
            "klar": "{org} {period} is already marked ready",
            "godkand": "{org} {period} is already approved",
        },
        at,
    )
    return _with_missing(wh, change) if with_missing else change


def approve(
    wh: Warehouse,
    org_id: str,
    period: str | Period,
    *,
    undo: bool = False,
    at: str | None = None,
    with_missing: bool = True,
) -> Change:
    """Approve the organisation's reporting (godkänna), or with ``undo`` take the approval back.

    Allowed for the organisation's controller, or an admin; the reporting must
    be marked ready first. ``at`` and ``with_missing`` as for :func:`mark_ready`.
    """
    per = _org_and_period(wh, org_id, period)
    rights.require_approve(wh, [org_id], "undo the approval" if undo else "approve the reporting")
    if undo:
        return _move(
            wh,
            org_id,
            per,
            "approve_undo",
            {"godkand": "klar"},
            {s: "{org} {period} is not approved: nothing to undo" for s in ("ej_paborjad", "pagaende", "klar")},
            at,
        )
    change = _move(
        wh,
        org_id,
        per,
        "approve",
        {"klar": "godkand"},
        {
            "ej_paborjad": "{org} {period} is not marked ready (nothing reported yet): it is marked ready first "
            "(ils ready)",
            "pagaende": "{org} {period} is not marked ready: it is marked ready first (ils ready)",
            "godkand": "{org} {period} is already approved",
        },
        at,
    )
    return _with_missing(wh, change) if with_missing else change


def _with_missing(wh: Warehouse, change: Change) -> Change:
    from .expected import completeness_of

    return replace(change, missing=tuple(completeness_of(wh, change.org_id, change.period).missing))


def label(state_code: str) -> str:
    """A state as a reader sees it: symbol and Swedish word (``● Klarmarkerad``)."""
    return f"{SYMBOLS[state_code]} {LABELS[state_code]}"


def after_load(
    wh: Warehouse,
    touched: Iterable[tuple[str, str]],
    *,
    load_id: str | None = None,
    before: Mapping[tuple[str, str], str] | None = None,
    at: str | None = None,
) -> list[Change]:
    """Set every (org_id, period) that a load gave reporting data to ``pagaende``; record the load for each.

    Call it inside the load's transaction, after the rows are written. A
    ``klar`` or ``godkand`` state goes back to ``pagaende`` (the caller tells
    the user), ``ej_paborjad`` becomes ``pagaende``, ``pagaende`` stays; every
    pair gets a ``load`` event (who loaded what when is part of the audit
    trail even when the state stays). ``before`` holds the states as they were
    before the load wrote anything (an organisation without a stored state was
    ``pagaende`` if it had data, else ``ej_paborjad``); without it the stored
    state, or ``ej_paborjad``, is the state the change is recorded from. The
    budget period has a round too (the VD-kommentar), so it is not skipped.
    Returns a :class:`Change` per pair (``changed`` False where the state stayed).
    ``at`` is the time recorded (default now).
    """
    user = rights.login(wh)
    at = at or now()
    out = []
    pairs = sorted({(str(o), str(p)) for o, p in touched})
    by_period: dict[str, list[str]] = {}
    for o, p in pairs:
        by_period.setdefault(p, []).append(o)
    for per, orgs in by_period.items():
        current = {
            str(o): str(s) for o, s in wh.rows("SELECT org_id, state FROM v_round_state WHERE period = ?", (per,))
        }
        for o in orgs:
            stored = current.get(o)
            old = stored or (before or {}).get((o, per)) or "ej_paborjad"
            if stored != "pagaende":
                _store(wh, o, per, "pagaende", user, at)
            record_event(
                wh,
                "load",
                org_id=o,
                period=per,
                from_state=old,
                to_state="pagaende",
                detail=f"inläsning {load_id}" if load_id else None,
                user=user,
                at=at,
            )
            out.append(Change(o, per, old, "pagaende", user, at))
    return out


def history(wh: Warehouse, period: str | Period | None = None, org_id: str | None = None) -> pd.DataFrame:
    """The recorded events, oldest first (one period and/or organisation, or all).

    Columns: ``event_id, at, user_name, action, org_id, period, from_state, to_state, detail``.
    """
    sql = f"SELECT {', '.join(EVENT_COLUMNS)} FROM v_event"
    where, params = [], []
    if period is not None:
        where.append("period = ?")
        params.append(str(period))
    if org_id is not None:
        where.append("org_id = ?")
        params.append(org_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    df = wh.query(sql, params)
    if df.empty:
        return pd.DataFrame(columns=list(EVENT_COLUMNS))
    return df.sort_values(["at", "event_id"], kind="mergesort").reset_index(drop=True)


def round_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """The reporting round's state a report is made in, for its state file (the runner calls it as the report runs).

    Read through the warehouse inside the report's read log, so the read is one
    of the report's recorded reads: when the state changes (approved, or an
    approval undone) the report is no longer unchanged and ``ils run`` makes it
    again. An organisation's report gets ``{"round_state": state}`` (None: no
    stored state, so not approved); a group report ``{"round_states": {org: state}}``
    for every organisation of its kind. Never raises: a warehouse without the
    round's tables gives ``{}`` (and nothing of it is published).
    """
    period = meta.get("period")
    if not period:
        return {}
    try:
        from ..warehouse import connect

        with connect() as wh:
            if meta.get("org_id"):
                rows = wh.rows(
                    "SELECT state FROM v_round_state WHERE org_id = ? AND period = ?", (meta["org_id"], period)
                )
                return {"round_state": str(rows[0][0]) if rows else None}
            if meta.get("group") and meta.get("kind"):
                from ..figures.orgs import group_kinds

                kinds = group_kinds(str(meta["kind"]))
                rows = wh.rows(
                    "SELECT o.org_id, s.state FROM v_organisation o LEFT JOIN v_round_state s "
                    f"ON s.org_id = o.org_id AND s.period = ? WHERE o.kind IN ({', '.join('?' for _ in kinds)})",
                    (period, *kinds),
                )
                return {"round_states": {str(o): (str(s) if s else None) for o, s in rows}}
    except Exception:  # noqa: BLE001  (a report never fails for this: without it, it is simply not published)
        return {}
    return {}


# -- what is published -----------------------------------------------------------------------------------
