"""The deadlines of the reporting round (``deadlines``), and how late an organisation is.

A period's deadline for an organisation is the row of ``deadlines`` for that
period and the organisation's kind if there is one, otherwise the row with no
kind (every kind). ``days_late`` counts the days after the deadline while the
organisation's reporting is neither marked ready nor approved:

- None when the period has no deadline for the organisation;
- 0 when it is ``klar`` or ``godkand`` (however late that happened), or the
  deadline has not passed (the deadline day itself is not late);
- otherwise the whole days from the deadline to today (the day after the
  deadline is 1 day late).

>>> import datetime as dt
>>> days_late(dt.date(2026, 9, 15), "pagaende", today=dt.date(2026, 9, 18))
3
>>> days_late(dt.date(2026, 9, 15), "klar", today=dt.date(2026, 9, 18)), days_late(None, "pagaende")
(0, None)
"""

from __future__ import annotations

import datetime as dt

from ..periods import Period
from ..warehouse import Warehouse

DONE_STATES = ("klar", "godkand")
"""States in which an organisation is no longer late, whatever the date."""


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def deadlines(wh: Warehouse, period: str | Period) -> dict[str | None, dt.date]:
    """``{kind: deadline}`` of the period; the key None is the row for every kind."""
    rows = wh.rows("SELECT kind, deadline FROM v_deadline WHERE period = ?", (str(period),))
    return {(str(k) if k else None): _date(d) for k, d in rows if d is not None}


def deadline_for(found: dict[str | None, dt.date], kind: str | None) -> dt.date | None:
    """The deadline for an organisation of ``kind``: its kind's row before the row for every kind."""
    if kind is not None and kind in found:
        return found[kind]
    return found.get(None)


def deadline(wh: Warehouse, period: str | Period, kind: str | None) -> dt.date | None:
    """The period's deadline for an organisation of ``kind`` (None when there is none)."""
    return deadline_for(deadlines(wh, period), kind)


def days_late(deadline: dt.date | None, state: str, *, today: dt.date | None = None) -> int | None:
    """Whole days after ``deadline`` while ``state`` is not ``klar``/``godkand`` (see the module docstring)."""
    if deadline is None:
        return None
    if state in DONE_STATES:
        return 0
    return max(0, ((today or dt.date.today()) - deadline).days)
