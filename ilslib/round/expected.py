"""What an organisation is expected to report for a period, what is there, and its completeness.

The contract's definition of completeness, in one place (the reporting
workbook lists these items, the status page and ``ils status`` count them,
``ils ready``/``ils approve``/``ils remind`` name the missing ones):

- T1, T2: an outcome (total) for every indicator followed up in the period
  (tertial indicators) that the organisation has a target for in the year, a
  status for every one of its activities running in the year, and the
  VD-kommentar (``vd_kommentar``);
- BO: the same for all indicators, a judgement of every goal it judges (its own
  nämndmål/bolagsmål valid in the year, :mod:`ilslib.rules`), and the
  Rapportkommentar;
- BU: a target for every indicator it had a target for the year before or has
  one for this year, and the VD-kommentar.

Completeness is the share of the expected items that are present (None when
nothing is expected). Every item has a Swedish name for the lists a reporter
reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import rules
from ..periods import Period
from ..warehouse import Warehouse

ITEM_KINDS = ("outcome", "target", "status", "judgement", "comment")
COMMENT_NAMES = {"vd_kommentar": "VD-kommentar", "rapportkommentar": "Rapportkommentar"}


@dataclass(frozen=True)
class Item:
    """One expected item: what it is, about what (an indicator, activity, goal or comment kind), present or not."""

    kind: str
    ref: str
    title: str
    present: bool

    @property
    def name(self) -> str:
        """The item as a reporter reads it, e.g. ``Utfall: Andel nöjda brukare``."""
        what = {
            "outcome": "Utfall",
            "target": "Målvärde",
            "status": "Status för aktivitet",
            "judgement": "Bedömning av mål",
            "comment": "Kommentar",
        }[self.kind]
        return f"{what}: {self.title}" if self.kind != "comment" else self.title


@dataclass(frozen=True)
class Completeness:
    """Expected and present items of one organisation for one period."""

    org_id: str
    period: str
    items: tuple[Item, ...] = field(default=())

    @property
    def expected(self) -> int:
        """How many items are expected."""
        return len(self.items)

    @property
    def present(self) -> int:
        """How many of them are present."""
        return sum(1 for i in self.items if i.present)

    @property
    def share(self) -> float | None:
        """present / expected (0-1); None when nothing is expected."""
        return self.present / self.expected if self.items else None

    @property
    def missing(self) -> list[str]:
        """The missing items by name, in the order a reporter fills them in."""
        return [i.name for i in self.items if not i.present]


def comment_kind(period: Period) -> str:
    """The comment every organisation owes for the period: the Rapportkommentar in BO, else the VD-kommentar."""
    return "rapportkommentar" if period.code == "BO" else "vd_kommentar"


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def completeness(wh: Warehouse, period: str | Period, org_ids: Sequence[str] | None = None) -> dict[str, Completeness]:
    """``{org_id: Completeness}`` for the period: every organisation, or those in ``org_ids``.

    A handful of queries for all organisations at once (the status page asks for every one).
    """
    p = period if isinstance(period, Period) else Period.parse(str(period))
    per, y = str(p), p.year
    orgs = list(org_ids) if org_ids is not None else [str(r[0]) for r in wh.rows("SELECT org_id FROM v_organisation")]
    wanted = set(orgs)
    items: dict[str, list[Item]] = {o: [] for o in orgs}

    if p.code == "BU":
        # A target for every indicator it had one for last year or has one for this year.
        rows = wh.rows(
            "SELECT t.org_id, t.indicator_id, MIN(i.name), MAX(CASE WHEN t.year = ? THEN 1 ELSE 0 END) "
            "FROM v_target t JOIN v_indicator i ON i.indicator_id = t.indicator_id "
            "WHERE t.year IN (?, ?) GROUP BY t.org_id, t.indicator_id",
            (y, y - 1, y),
        )
        for org, ind, name, has in sorted(rows, key=lambda r: (str(r[0]), str(r[1]))):
            if org in wanted:
                items[org].append(Item("target", str(ind), str(name), bool(has)))
    else:
        targets = wh.rows(
            "SELECT t.org_id, t.indicator_id, MIN(i.name), MIN(i.frequency) FROM v_target t "
            "JOIN v_indicator i ON i.indicator_id = t.indicator_id WHERE t.year = ? "
            "GROUP BY t.org_id, t.indicator_id",
            (y,),
        )
        have = {
            (str(o), str(i))
            for o, i in wh.rows(
                "SELECT org_id, indicator_id FROM v_outcome WHERE period = ? AND gender = ? AND value IS NOT NULL",
                (per, "T"),
            )
        }
        for org, ind, name, freq in sorted(targets, key=lambda r: (str(r[0]), str(r[1]))):
            if org in wanted and rules.followed_up(freq, p):
                items[org].append(Item("outcome", str(ind), str(name), (org, str(ind)) in have))

        acts = wh.rows("SELECT activity_id, org_id, title, start_date, end_date FROM v_activity")
        done = {str(r[0]) for r in wh.rows("SELECT activity_id FROM v_activity_status WHERE period = ?", (per,))}
        first, last = f"{y}-01-01", f"{y}-12-31"
        for act, org, title, start, end in sorted(acts, key=lambda r: (str(r[1]), str(r[0]))):
            s, e = _iso(start), _iso(end)
            if org in wanted and (s is None or s <= last) and (e is None or e >= first):
                items[org].append(Item("status", str(act), str(title), str(act) in done))

        if p.code == "BO":
            goals = wh.rows("SELECT goal_id, org_id, level, title, first_year, last_year FROM v_goal")
            judged = {
                (str(o), str(g))
                for o, g in wh.rows(
                    "SELECT org_id, goal_id FROM v_assessment WHERE period = ? AND assessment IS NOT NULL", (per,)
                )
            }
            for gid, org, level, title, fy, ly in sorted(goals, key=lambda r: (str(r[1]), str(r[0]))):
                goal = {"org_id": org, "level": level, "first_year": fy, "last_year": ly}
                if org in wanted and rules.judges(str(org), goal, y):
                    items[org].append(Item("judgement", str(gid), str(title), (str(org), str(gid)) in judged))

    kind = comment_kind(p)
    written = {
        str(o)
        for o, t in wh.rows("SELECT org_id, text FROM v_comment WHERE period = ? AND kind = ?", (per, kind))
        if t is not None and str(t).strip()
    }
    for org in orgs:
        items[org].append(Item("comment", kind, COMMENT_NAMES[kind], org in written))
    return {o: Completeness(o, per, tuple(items[o])) for o in orgs}


def completeness_of(wh: Warehouse, org_id: str, period: str | Period) -> Completeness:
    """The completeness of one organisation for the period."""
    return completeness(wh, period, [org_id])[org_id]
