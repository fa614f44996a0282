"""What an organisation is expected to report for a period, what is there, and its completeness.

The contract's definition of completeness, in one place (the reporting
workbook has a row for each of these items, the status page and ``ils status``
count them, ``ils ready``/``ils approve``/``ils remind`` name the missing ones):

- T1, T2: an outcome (total) for every indicator followed up in the period
  (tertial indicators) that the organisation has a target for in the year, a
  status for every one of its activities running in the year, and the
  VD-kommentar (``vd_kommentar``);
- BO: the same for all indicators, a judgement of every goal it judges (its own
  nämndmål/bolagsmål valid in the year, :mod:`ilslib.rules`), and the
  Rapportkommentar;
- BU: a target for every indicator it had a target for the year before or has
  one for this year, and the VD-kommentar.

Completeness is the share of these *required* items that are present (None
when nothing is required). :func:`items` also lists the *optional* items a
reporter may fill in, which the workbook offers as rows but completeness does
not count: the outcome for women and men of an indicator split by gender
(:func:`split_by_gender`), a judgement of its own goals in a tertial, and the
period's other comment kinds (:data:`PERIOD_COMMENT_KINDS`). Every item has a
Swedish name for the lists a reporter reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .. import rules
from ..figures.texts import text_label
from ..periods import Period
from ..warehouse import Warehouse

#: The comment kinds a reporter writes for a period, by period code; the first one is required.
#: The budget has the VD-kommentar only; a tertial the VD-kommentar, deviations and an analysis;
#: the annual report the Rapportkommentar, deviations and an analysis.
PERIOD_COMMENT_KINDS: Mapping[str, tuple[str, ...]] = {
    "BU": ("vd_kommentar",),
    "T1": ("vd_kommentar", "avvikelse", "analys"),
    "T2": ("vd_kommentar", "avvikelse", "analys"),
    "BO": ("rapportkommentar", "avvikelse", "analys"),
}

#: Genders of an outcome, in the order a workbook lists them, with the Swedish word.
GENDER_NAMES = {"T": "totalt", "K": "kvinnor", "M": "män"}

_WHAT = {
    "outcome": "Utfall",
    "target": "Målvärde",
    "status": "Status för aktivitet",
    "judgement": "Bedömning av mål",
    "comment": "Kommentar",
}


@dataclass(frozen=True)
class Item:
    """One item to report: what it is, about what (an indicator, activity, goal or comment kind), present or not.

    ``required`` items count for completeness; optional ones are offered (the
    workbook has a row for them) but not counted. ``gender`` is ``T``, ``K``
    or ``M`` for an outcome, None otherwise.
    """

    kind: str
    ref: str
    title: str
    present: bool
    required: bool = True
    gender: str | None = None

    @property
    def name(self) -> str:
        """The item as a reporter reads it, e.g. ``Utfall: Andel nöjda brukare`` (``Utfall, kvinnor: ...``)."""
        if self.kind == "comment":
            return self.title
        what = _WHAT[self.kind]
        if self.gender in ("K", "M"):
            what += f", {GENDER_NAMES[self.gender]}"
        return f"{what}: {self.title}"


@dataclass(frozen=True)
class Completeness:
    """The items of one organisation for one period; the counts are of the required ones."""

    org_id: str
    period: str
    items: tuple[Item, ...] = field(default=())

    @property
    def required(self) -> list[Item]:
        """The items that count for completeness."""
        return [i for i in self.items if i.required]

    @property
    def expected(self) -> int:
        """How many items are required."""
        return len(self.required)

    @property
    def present(self) -> int:
        """How many of them are present."""
        return sum(1 for i in self.required if i.present)

    @property
    def share(self) -> float | None:
        """present / expected (0-1); None when nothing is required."""
        n = self.expected
        return self.present / n if n else None

    @property
    def missing(self) -> list[str]:
        """The missing required items by name, in the order a reporter fills them in."""
        return [i.name for i in self.required if not i.present]


def _iso(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def split_by_gender(wh: Warehouse) -> set[str]:
    """The indicators split by gender: those with any outcome for women (``K``) or men (``M``) in the warehouse.

    The rule is the warehouse's, not a period's or an organisation's: once an
    indicator has been reported by gender anywhere, every workbook asks for it
    by gender (the women's and men's rows are optional; the total is the one
    counted).
    """
    return {
        str(r[0]) for r in wh.rows("SELECT DISTINCT indicator_id FROM v_outcome WHERE gender IN (?, ?)", ("K", "M"))
    }


def running_in(start: object, end: object, year: int) -> bool:
    """True when an activity with these start and end dates (either may be empty) runs in ``year``."""
    s, e = _iso(start), _iso(end)
    return (s is None or s <= f"{year}-12-31") and (e is None or e >= f"{year}-01-01")


#: Up to this many organisations, :func:`items` reads only their rows (a parameter each).
_FEW = 50


def items(wh: Warehouse, period: str | Period, org_ids: Sequence[str] | None = None) -> dict[str, list[Item]]:
    """``{org_id: [Item, ...]}`` for the period: every organisation, or those in ``org_ids``.

    Required and optional items, in the order a reporter fills them in
    (outcomes by indicator and gender, activity statuses, judgements, comments).
    A handful of queries for all organisations at once (the status page asks for every one).
    """
    p = period if isinstance(period, Period) else Period.parse(str(period))
    per, y = str(p), p.year
    orgs = list(org_ids) if org_ids is not None else [str(r[0]) for r in wh.rows("SELECT org_id FROM v_organisation")]
    wanted = set(orgs)
    out: dict[str, list[Item]] = {o: [] for o in orgs}
    # A few organisations (ils ready, ils approve, a workbook): only their rows are read, so that one
    # organisation's check does not read a city of 2 000 organisations' rows. Many: every row, as before.
    few = org_ids is not None and 0 < len(wanted) <= _FEW
    ids: tuple[str, ...] = tuple(sorted(wanted)) if few else ()
    marks_o = ", ".join("?" for _ in ids)

    def only(column: str) -> str:
        return f" AND {column} IN ({marks_o})" if few else ""

    if p.code == "BU":
        # A target for every indicator it had one for last year or has one for this year.
        rows = wh.rows(
            "SELECT t.org_id, t.indicator_id, MIN(i.name), MAX(CASE WHEN t.year = ? THEN 1 ELSE 0 END) "
            "FROM v_target t JOIN v_indicator i ON i.indicator_id = t.indicator_id "
            f"WHERE t.year IN (?, ?){only('t.org_id')} GROUP BY t.org_id, t.indicator_id",
            (y, y - 1, y, *ids),
        )
        for org, ind, name, has in sorted(rows, key=lambda r: (str(r[0]), str(r[1]))):
            if org in wanted:
                out[org].append(Item("target", str(ind), str(name), bool(int(has or 0))))
    else:
        targets = wh.rows(
            "SELECT t.org_id, t.indicator_id, MIN(i.name), MIN(i.frequency) FROM v_target t "
            f"JOIN v_indicator i ON i.indicator_id = t.indicator_id WHERE t.year = ?{only('t.org_id')} "
            "GROUP BY t.org_id, t.indicator_id",
            (y, *ids),
        )
        have = {
            (str(o), str(i), str(g))
            for o, i, g in wh.rows(
                f"SELECT org_id, indicator_id, gender FROM v_outcome WHERE period = ? AND value IS NOT NULL"
                f"{only('org_id')}",
                (per, *ids),
            )
        }
        split = split_by_gender(wh)
        for org, ind, name, freq in sorted(targets, key=lambda r: (str(r[0]), str(r[1]))):
            if org not in wanted or not rules.followed_up(freq, p):
                continue
            ind = str(ind)
            for gender in ("T", "K", "M") if ind in split else ("T",):
                out[org].append(
                    Item("outcome", ind, str(name), (org, ind, gender) in have, required=gender == "T", gender=gender)
                )

        acts = wh.rows(
            f"SELECT activity_id, org_id, title, start_date, end_date FROM v_activity WHERE 1 = 1{only('org_id')}", ids
        )
        done = {
            str(r[0])
            for r in wh.rows(
                "SELECT activity_id FROM v_activity_status WHERE period = ?"
                + (
                    f" AND activity_id IN (SELECT activity_id FROM v_activity WHERE 1 = 1{only('org_id')})"
                    if few
                    else ""
                ),
                (per, *ids),
            )
        }
        for act, org, title, start, end in sorted(acts, key=lambda r: (str(r[1]), str(r[0]))):
            if org in wanted and running_in(start, end, y):
                out[org].append(Item("status", str(act), str(title), str(act) in done))

        # Judgements: required in the annual report, offered in a tertial.
        goals = wh.rows(
            f"SELECT goal_id, org_id, level, title, first_year, last_year FROM v_goal WHERE 1 = 1{only('org_id')}", ids
        )
        judged = {
            (str(o), str(g))
            for o, g in wh.rows(
                f"SELECT org_id, goal_id FROM v_assessment WHERE period = ? AND assessment IS NOT NULL{only('org_id')}",
                (per, *ids),
            )
        }
        for gid, org, level, title, fy, ly in sorted(goals, key=lambda r: (str(r[1]), str(r[0]))):
            goal = {"org_id": org, "level": level, "first_year": fy, "last_year": ly}
            if org in wanted and rules.judges(str(org), goal, y):
                out[org].append(
                    Item("judgement", str(gid), str(title), (str(org), str(gid)) in judged, required=p.code == "BO")
                )

    kinds = PERIOD_COMMENT_KINDS[p.code]
    marks = ", ".join("?" for _ in kinds)
    written = {
        (str(o), str(k))
        for o, k, t in wh.rows(
            f"SELECT org_id, kind, text FROM v_comment WHERE period = ? AND kind IN ({marks}){only('org_id')}",
            (per, *kinds, *ids),
        )
        if t is not None and str(t).strip()
    }
    org_kinds = {
        str(o): str(k) for o, k in wh.rows(f"SELECT org_id, kind FROM v_organisation WHERE 1 = 1{only('org_id')}", ids)
    }
    for org in orgs:
        for n, kind in enumerate(kinds):
            # a board's vd_kommentar is its förvaltningschef's: the heading the report gives it (text_label)
            title = text_label(kind, org_kinds.get(org))
            out[org].append(Item("comment", kind, title, (org, kind) in written, required=n == 0))
    return out


def completeness(wh: Warehouse, period: str | Period, org_ids: Sequence[str] | None = None) -> dict[str, Completeness]:
    """``{org_id: Completeness}`` for the period: every organisation, or those in ``org_ids``."""
    per = str(period if isinstance(period, Period) else Period.parse(str(period)))
    return {o: Completeness(o, per, tuple(found)) for o, found in items(wh, period, org_ids).items()}


def completeness_of(wh: Warehouse, org_id: str, period: str | Period) -> Completeness:
    """The completeness of one organisation for the period."""
    return completeness(wh, period, [org_id])[org_id]
