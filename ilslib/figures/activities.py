"""Activities with their status and comment for a period."""

from __future__ import annotations

import datetime

import pandas as pd

from ..periods import Period
from ..warehouse import Warehouse
from ._common import frame, org_row, text
from .latest import as_period

ACTIVITY_COLUMNS = ("activity_id", "title", "goal_id", "source", "start_date", "end_date", "status", "comment")


def activities(wh: Warehouse, org_id: str, period: str | Period) -> pd.DataFrame:
    """The organisation's activities for a period, with status and comment.

    One row per activity that has a status for the period or whose dates
    overlap the period's year (missing dates count as open-ended); ``status``
    (``ej_paborjad``, ``paborjad``, ``genomford``, ``forsenad``, ``avbruten``)
    and ``comment`` are None when no status was reported. Columns:
    ``activity_id, title, goal_id, source, start_date, end_date`` (ISO dates),
    ``status, comment``. Ordered by source (KF first) and id.

    >>> acts = f.activities(wh, "ALN", "2026-T2")
    >>> acts.columns.tolist()
    ['activity_id', 'title', 'goal_id', 'source', 'start_date', 'end_date', 'status', 'comment']
    """
    p = as_period(wh, period)
    org_row(wh, org_id)
    df = wh.query(
        """
        SELECT a.activity_id, a.title, a.goal_id, a.source, a.start_date, a.end_date, s.status, s.comment
        FROM v_activity a
        LEFT JOIN v_activity_status s ON s.activity_id = a.activity_id AND s.period = ?
        WHERE a.org_id = ?
          AND (s.status IS NOT NULL
               OR ((a.start_date IS NULL OR a.start_date <= ?) AND (a.end_date IS NULL OR a.end_date >= ?)))
        """,
        (str(p), org_id, _date(wh, f"{p.year}-12-31"), _date(wh, f"{p.year}-01-01")),
    )
    for c in ("start_date", "end_date", "goal_id", "status", "comment"):
        df[c] = df[c].map(text)
    order = df["source"].map({"KF": 0}).fillna(1)
    df = df.assign(_o=order).sort_values(["_o", "activity_id"], kind="mergesort")
    return frame(df, ACTIVITY_COLUMNS)


def _date(wh: Warehouse, iso: str) -> object:
    """A DATE parameter as the writer stores dates: ISO text in embedded SQLite, a date through ODBC."""
    if wh.dialect == "sqlite" and not wh.is_odbc:
        return iso
    return datetime.date.fromisoformat(iso)
