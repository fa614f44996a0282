"""``ils check``: a data-quality report of what is in the warehouse, for one period.

Each check is a query that aggregates in SQL (bound parameters, portable SQL)
and returns :class:`Finding` rows. The checks, for period P of year Y
(``docs/loading.md`` explains them to users):

``org_no_targets``
    organisations of the reporting kinds (:data:`ilslib.settings.REPORTING_KINDS`)
    with no target row for year Y;
``indicator_no_outcome``
    a target applies to P (a row of year Y with P's period type, or the annual
    one) for an indicator followed up in P (tertial indicators in T1/T2, every
    indicator in BO), but there is no total (``T``) outcome value for P;
``outcome_no_target``
    a total outcome value for P with no target that applies to P;
``goal_no_judgement``
    an organisation's own goal (``namndmal``/``bolagsmal``) valid in Y without
    an assessment for P;
``activity_no_status``
    an activity whose dates overlap Y (missing dates are open-ended) without a
    status for P;
``outlier``
    a total outcome value for P far from the same organisation's and
    indicator's earlier values (see :func:`is_outlier`);
``ledger_month_missing`` / ``personnel_month_missing``
    a month of P with no ledger (personnel) row for an organisation that has
    such rows in year Y or Y-1.

The budget period (BU) has no outcomes, so only ``org_no_targets`` runs for it.

The plausibility checks (:data:`PLAUSIBILITY`) look at the whole warehouse,
whatever the period: the rows a load of contract version 2 rejects but an
older load may have stored (:data:`ilslib.contract.FILES` holds the rules):
parent cycles among organisations and goals, an activity that ends before it
starts, a goal whose first year is after its last, sick hours above the
scheduled hours, negative personnel figures, and outcomes, activity statuses
or judgements for a budget period.

The report is written for controllers: in Swedish, numbers as the reports
show them (:mod:`ilslib.fmt`); the CSV file's cells are never formulas
(:mod:`ilslib.cells`) and the Markdown file escapes markup
(:func:`markdown_text`).
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import fmt, rules, settings
from .cells import csv_text
from .errors import ConfigError, UnknownValueError
from .fsutil import atomic_write_bytes
from .periods import Period, is_latest, latest_code
from .warehouse import Warehouse

OUTLIER_MADS = 3.0
"""A value is an outlier when it is more than this many (scaled) MADs from the median of its history."""

OUTLIER_MIN_HISTORY = 4
"""Fewer earlier values than this: no outlier test."""

OUTLIER_MIN_SCALE = 0.05
"""The scale is at least this share of |median|: small wobbles of a steady series are not outliers."""

_MAD_SCALE = 1.4826  # makes the MAD comparable to a standard deviation for normal data
_ORDER = {"BU": 0, "T1": 1, "T2": 2, "BO": 3}


@dataclass(frozen=True)
class Finding:
    """One data-quality finding: which check, where, and what."""

    check: str
    org_id: str | None
    item: str | None  # indicator, goal or activity id, or a month
    period: str | None
    value: float | None
    detail: str


@dataclass
class CheckReport:
    """The findings of every check for one period, in check order."""

    warehouse: str
    period: Period | None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)  # the checks that ran (BU runs only one of the period's)

    def by_check(self) -> dict[str, list[Finding]]:
        """Findings grouped by check, every check present (possibly empty)."""
        out: dict[str, list[Finding]] = {name: [] for name, _, _ in CHECKS}
        out.update({name: [] for name, _, _ in PLAUSIBILITY})
        for f in self.findings:
            out.setdefault(f.check, []).append(f)
        return out


def _kinds() -> tuple[list[str], str]:
    kinds = list(settings.REPORTING_KINDS)
    return kinds, ", ".join("?" for _ in kinds)


def org_no_targets(wh: Warehouse, p: Period) -> list[Finding]:
    """Organisations of the reporting kinds without any target for the period's year."""
    kinds, marks = _kinds()
    rows = wh.rows(
        f"""
        SELECT o.org_id, o.name, o.kind FROM v_organisation o
        WHERE o.kind IN ({marks})
          AND NOT EXISTS (SELECT 1 FROM v_target t WHERE t.org_id = o.org_id AND t.year = ?)
        ORDER BY o.org_id
        """,
        [*kinds, p.year],
    )
    return [
        Finding(
            "org_no_targets",
            r[0],
            None,
            str(p.year),
            None,
            f"{r[1]} ({fmt.KIND_LABELS.get(r[2], r[2]).lower()}): inga målvärden för {p.year}",
        )
        for r in rows
    ]


def indicator_no_outcome(wh: Warehouse, p: Period) -> list[Finding]:
    """Indicators with a target that applies to the period but no total outcome value for it."""
    cond, extra = rules.frequency_sql(p)  # the indicators the period follows up, as the report lists them
    rows = wh.rows(
        f"""
        SELECT t.org_id, t.indicator_id, MIN(i.name) FROM v_target t
        JOIN v_indicator i ON i.indicator_id = t.indicator_id
        WHERE t.year = ? AND (t.period_type IS NULL OR t.period_type = ?){f" AND {cond}" if cond else ""}
          AND NOT EXISTS (SELECT 1 FROM v_outcome o
                          WHERE o.org_id = t.org_id AND o.indicator_id = t.indicator_id
                            AND o.period = ? AND o.gender = ? AND o.value IS NOT NULL)
        GROUP BY t.org_id, t.indicator_id
        ORDER BY t.org_id, t.indicator_id
        """,
        [p.year, p.code, *extra, str(p), "T"],
    )
    return [
        Finding("indicator_no_outcome", r[0], r[1], str(p), None, f"{r[2]}: målvärde men inget utfall för {p}")
        for r in rows
    ]


def outcome_no_target(wh: Warehouse, p: Period) -> list[Finding]:
    """Total outcome values for the period with no target that applies to it."""
    rows = wh.rows(
        """
        SELECT o.org_id, o.indicator_id, o.value FROM v_outcome o
        WHERE o.period = ? AND o.gender = ? AND o.value IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM v_target t
                          WHERE t.org_id = o.org_id AND t.indicator_id = o.indicator_id AND t.year = ?
                            AND (t.period_type IS NULL OR t.period_type = ?))
        ORDER BY o.org_id, o.indicator_id
        """,
        [str(p), "T", p.year, p.code],
    )
    return [
        Finding("outcome_no_target", r[0], r[1], str(p), float(r[2]), f"utfall {_num(r[2])} men inget målvärde för {p}")
        for r in rows
    ]


def goal_no_judgement(wh: Warehouse, p: Period) -> list[Finding]:
    """The reporting organisations' own goals valid in the year without an assessment for the period.

    Own goals by the one rule (:func:`ilslib.rules.judged_levels_sql`); the organisations of the reporting
    kinds, as for the targets (the kommun's own report judges its KF goals outside the round).
    """
    judged, levels = rules.judged_levels_sql("g.level")
    kinds, marks = _kinds()
    rows = wh.rows(
        f"""
        SELECT g.org_id, g.goal_id, g.title FROM v_goal g
        JOIN v_organisation o ON o.org_id = g.org_id AND o.kind IN ({marks})
        WHERE {judged}
          AND (g.first_year IS NULL OR g.first_year <= ?) AND (g.last_year IS NULL OR g.last_year >= ?)
          AND NOT EXISTS (SELECT 1 FROM v_assessment a
                          WHERE a.org_id = g.org_id AND a.goal_id = g.goal_id AND a.period = ?
                            AND a.assessment IS NOT NULL)
        ORDER BY g.org_id, g.goal_id
        """,
        [*kinds, *levels, p.year, p.year, str(p)],
    )
    return [
        Finding("goal_no_judgement", r[0], r[1], str(p), None, f"{_clip(r[2])}: ingen bedömning för {p}") for r in rows
    ]


def _date(wh: Warehouse, iso: str) -> object:
    """A DATE parameter as the writer stores dates: ISO text in embedded SQLite, a date through ODBC."""
    if wh.dialect == "sqlite" and not wh.is_odbc:
        return iso
    import datetime

    return datetime.date.fromisoformat(iso)


def activity_no_status(wh: Warehouse, p: Period) -> list[Finding]:
    """Activities whose dates overlap the year, without a status for the period."""
    rows = wh.rows(
        """
        SELECT a.org_id, a.activity_id, a.title FROM v_activity a
        WHERE (a.start_date IS NULL OR a.start_date <= ?) AND (a.end_date IS NULL OR a.end_date >= ?)
          AND NOT EXISTS (SELECT 1 FROM v_activity_status s WHERE s.activity_id = a.activity_id AND s.period = ?)
        ORDER BY a.org_id, a.activity_id
        """,
        [_date(wh, f"{p.year}-12-31"), _date(wh, f"{p.year}-01-01"), str(p)],
    )
    return [
        Finding("activity_no_status", r[0], r[1], str(p), None, f"{_clip(r[2])}: ingen status för {p}") for r in rows
    ]


def is_outlier(value: float, history: list[float]) -> tuple[bool, float, float]:
    """Whether ``value`` is far outside ``history``; also the history's median and MAD.

    The rule: with at least :data:`OUTLIER_MIN_HISTORY` earlier values, the
    value is an outlier when it is more than :data:`OUTLIER_MADS` times the
    scale from their median, where the scale is 1.4826 * MAD (the median
    absolute deviation, scaled to match a standard deviation) but at least
    5 % of |median|. So a steady series is not flagged for a small change, and
    with a median and MAD of 0, any other value is an outlier.

    >>> is_outlier(250.0, [80.0, 82.0, 79.0, 81.0, 80.0])[0]
    True
    >>> is_outlier(83.0, [80.0, 82.0, 79.0, 81.0, 80.0])[0]
    False
    >>> is_outlier(5.0, [1.0, 2.0])[0]  # too little history
    False
    """
    if len(history) < OUTLIER_MIN_HISTORY:
        return False, float("nan"), float("nan")
    med = statistics.median(history)
    mad = statistics.median(abs(x - med) for x in history)
    scale = max(_MAD_SCALE * mad, OUTLIER_MIN_SCALE * abs(med))
    return abs(value - med) > OUTLIER_MADS * scale, med, mad


def outlier(wh: Warehouse, p: Period) -> list[Finding]:
    """Total outcome values for the period far outside the org's and indicator's earlier values."""
    rows = wh.rows(
        """
        SELECT h.org_id, h.indicator_id, h.period, h.value FROM v_outcome h
        WHERE h.gender = ? AND h.value IS NOT NULL
          AND EXISTS (SELECT 1 FROM v_outcome c
                      WHERE c.org_id = h.org_id AND c.indicator_id = h.indicator_id
                        AND c.period = ? AND c.gender = ? AND c.value IS NOT NULL)
        ORDER BY h.org_id, h.indicator_id
        """,
        ["T", str(p), "T"],
    )
    here = _key(p)
    current: dict[tuple[str, str], float] = {}
    history: dict[tuple[str, str], list[float]] = {}
    for org, ind, period, value in rows:
        try:
            k = _key(Period.parse(period))
        except UnknownValueError:  # a malformed period cannot be in a loaded warehouse; skip rather than fail
            continue
        if k == here:
            current[(org, ind)] = float(value)
        elif k < here:
            history.setdefault((org, ind), []).append(float(value))
    out = []
    for (org, ind), value in sorted(current.items()):
        hist = history.get((org, ind), [])
        flagged, med, mad = is_outlier(value, hist)
        if flagged:
            out.append(
                Finding(
                    "outlier",
                    org,
                    ind,
                    str(p),
                    value,
                    f"{_num(value)} mot medianen {_num(med)} (MAD {_num(mad)}) för {len(hist)} tidigare perioder",
                )
            )
    return out


def _months_missing(wh: Warehouse, p: Period, view: str, check: str, what: str) -> list[Finding]:
    first_of_range = f"{p.year - 1}-01"
    orgs = [
        r[0]
        for r in wh.rows(
            f"SELECT DISTINCT org_id FROM {view} WHERE month >= ? AND month <= ? ORDER BY org_id",
            [first_of_range, f"{p.year}-12"],
        )
    ]
    present = {
        (r[0], r[1])
        for r in wh.rows(
            f"SELECT org_id, month FROM {view} WHERE month >= ? AND month <= ? GROUP BY org_id, month",
            [p.first_month, p.last_month],
        )
    }
    return [
        Finding(check, org, m, str(p), None, f"inga rader i {what} för {fmt.MONTH_NAMES[int(m[5:]) - 1]} {m[:4]}")
        for org in orgs
        for m in p.months()
        if (org, m) not in present
    ]


def ledger_month_missing(wh: Warehouse, p: Period) -> list[Finding]:
    """Months of the period without ledger rows, for organisations with a ledger in the year or the one before."""
    return _months_missing(wh, p, "v_ledger", "ledger_month_missing", "huvudboken")


def personnel_month_missing(wh: Warehouse, p: Period) -> list[Finding]:
    """Months of the period without personnel rows, for organisations with personnel data in the year or the one before."""
    return _months_missing(wh, p, "v_personnel", "personnel_month_missing", "personaluppgifterna")


# -- plausibility of what is stored (the rules contract version 2 enforces at load) ----------------


def _cycles(wh: Warehouse, view: str, key: str, parent: str, check: str, what: str) -> list[Finding]:
    from .load import find_cycles  # the loader's rule, applied to the stored rows

    rows = wh.rows(f"SELECT {key}, {parent}, org_id FROM {view}")
    parents = {r[0]: r[1] for r in rows}
    orgs = {r[0]: r[2] for r in rows}
    out = []
    for cycle in find_cycles(parents, sorted(parents)):
        shown = " → ".join([*cycle, cycle[0]])
        for node in cycle:
            org = node if view == "v_organisation" else orgs.get(node)
            item = None if view == "v_organisation" else node
            out.append(Finding(check, org, item, None, None, f"{what} ingår i en cykel av överordnade: {shown}"))
    return sorted(out, key=lambda f: (f.org_id or "", f.item or ""))


def org_cycle(wh: Warehouse) -> list[Finding]:
    """Organisations that are their own ancestor through ``parent_id`` (the organisation tree has a loop)."""
    return _cycles(wh, "v_organisation", "org_id", "parent_id", "org_cycle", "organisationen")


def goal_cycle(wh: Warehouse) -> list[Finding]:
    """Goals that are their own ancestor through ``parent_goal_id`` (such goals drop out of the goal tree)."""
    return _cycles(wh, "v_goal", "goal_id", "parent_goal_id", "goal_cycle", "målet")


def activity_end_before_start(wh: Warehouse) -> list[Finding]:
    """Activities whose end date is before their start date."""
    rows = wh.rows(
        "SELECT org_id, activity_id, title, start_date, end_date FROM v_activity "
        "WHERE start_date IS NOT NULL AND end_date IS NOT NULL AND end_date < start_date ORDER BY org_id, activity_id"
    )
    return [
        Finding("activity_end_before_start", r[0], r[1], None, None, f"{_clip(r[2])}: slutar {r[4]}, före start {r[3]}")
        for r in rows
    ]


def goal_years_reversed(wh: Warehouse) -> list[Finding]:
    """Goals whose first year is after their last year."""
    rows = wh.rows(
        "SELECT org_id, goal_id, title, first_year, last_year FROM v_goal "
        "WHERE first_year IS NOT NULL AND last_year IS NOT NULL AND first_year > last_year ORDER BY org_id, goal_id"
    )
    return [
        Finding("goal_years_reversed", r[0], r[1], None, None, f"{_clip(r[2])}: första år {r[3]} efter sista år {r[4]}")
        for r in rows
    ]


def sick_above_scheduled(wh: Warehouse) -> list[Finding]:
    """Months with more sick hours than scheduled hours."""
    rows = wh.rows(
        "SELECT org_id, month, sick_hours, scheduled_hours FROM v_personnel "
        "WHERE sick_hours > scheduled_hours ORDER BY org_id, month"
    )
    return [
        Finding(
            "sick_above_scheduled",
            r[0],
            r[1],
            None,
            float(r[2]),
            f"{_num(r[2])} sjuktimmar men {_num(r[3])} schemalagda timmar",
        )
        for r in rows
    ]


_PERSONNEL_WORDS = {
    "headcount": "antal anställda",
    "fte": "årsarbetare",
    "scheduled_hours": "schemalagda timmar",
    "sick_hours": "sjuktimmar",
}


def negative_personnel(wh: Warehouse) -> list[Finding]:
    """Months with a negative headcount, FTE, scheduled or sick hours."""
    cols = list(_PERSONNEL_WORDS)
    rows = wh.rows(
        f"SELECT org_id, month, {', '.join(cols)} FROM v_personnel "
        f"WHERE {' OR '.join(f'{c} < 0' for c in cols)} ORDER BY org_id, month"
    )
    out = []
    for r in rows:
        for c, v in zip(cols, r[2:], strict=True):
            if v is not None and v < 0:
                out.append(
                    Finding("negative_personnel", r[0], r[1], None, float(v), f"{_PERSONNEL_WORDS[c]} {_num(v)}")
                )
    return out


def budget_period_rows(wh: Warehouse) -> list[Finding]:
    """Outcomes, activity statuses and judgements stored for a budget period (``YYYY-BU``), which has none."""
    out = []
    for view, item, what in (
        ("v_outcome", "indicator_id", "utfall"),
        ("v_activity_status", "activity_id", "aktivitetsstatus"),
        ("v_assessment", "goal_id", "bedömning"),
    ):
        org = "NULL" if view == "v_activity_status" else "org_id"
        rows = wh.rows(
            f"SELECT {org}, {item}, period FROM {view} WHERE period LIKE ? ORDER BY period, {item}", ["%-BU"]
        )
        out += [
            Finding("budget_period_rows", r[0], r[1], r[2], None, f"{what} för budgetperioden {r[2]}") for r in rows
        ]
    return out


CHECKS: list[tuple[str, str, Callable[[Warehouse, Period], list[Finding]]]] = [
    ("org_no_targets", "Organisationer utan målvärden", org_no_targets),
    ("indicator_no_outcome", "Indikatorer med målvärde men utan utfall", indicator_no_outcome),
    ("outcome_no_target", "Utfall utan målvärde", outcome_no_target),
    ("goal_no_judgement", "Mål utan bedömning", goal_no_judgement),
    ("activity_no_status", "Aktiviteter utan status", activity_no_status),
    ("outlier", "Avvikande värden (långt från indikatorns egen historik)", outlier),
    ("ledger_month_missing", "Månader som saknas i huvudboken", ledger_month_missing),
    ("personnel_month_missing", "Månader som saknas i personaluppgifterna", personnel_month_missing),
]
"""The checks of one period, in report order: (name, Swedish title, function)."""

PLAUSIBILITY: list[tuple[str, str, Callable[[Warehouse], list[Finding]]]] = [
    ("org_cycle", "Organisationer i en cykel av överordnade", org_cycle),
    ("goal_cycle", "Mål i en cykel av överordnade mål", goal_cycle),
    ("activity_end_before_start", "Aktiviteter som slutar före start", activity_end_before_start),
    ("goal_years_reversed", "Mål vars första år är efter det sista", goal_years_reversed),
    ("sick_above_scheduled", "Fler sjuktimmar än schemalagda timmar", sick_above_scheduled),
    ("negative_personnel", "Negativa personaluppgifter", negative_personnel),
    ("budget_period_rows", "Utfall, status eller bedömning för en budgetperiod", budget_period_rows),
]
"""The checks of the whole warehouse against the contract's plausibility rules (every period)."""

TITLES = {name: title for name, title, _ in CHECKS} | {name: title for name, title, _ in PLAUSIBILITY}


def _key(p: Period) -> tuple[int, int]:
    return p.year, _ORDER[p.code]


def _decimals(f: float, most: int = 6) -> int:
    """The fewest decimals (at most ``most``) that show ``f`` as it is."""
    for d in range(most + 1):
        if round(f, d) == round(f, most):
            return d
    return most


def _num(v: object) -> str:
    """A number as the reports show it: ``1 234,5`` (:func:`ilslib.fmt.number`), up to six decimals."""
    try:
        f = float(v)  # type: ignore[arg-type]  # any value: one float() refuses is shown as it is
    except (TypeError, ValueError):
        return str(v)
    if f != f:
        return fmt.MISSING
    return fmt.number(f, _decimals(f))


def _csv_number(v: float) -> str:
    """A number for a CSV cell that Excel reads as a number in Swedish: decimal comma, no grouping."""
    return fmt.number(v, _decimals(v)).replace(fmt.NBSP, "").replace(fmt.MINUS, "-")


def _clip(text: object, n: int = 60) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= n else s[: n - 1] + "…"


CSV_COLUMNS = ["kontroll", "rubrik", "organisation", "objekt", "period", "värde", "beskrivning"]
"""The columns of ``ils check --out FILE.csv``."""


def run_checks(wh: Warehouse, period: str | Period | None = None) -> CheckReport:
    """Run every check for ``period`` (default: the latest reported period) and collect the findings."""
    if period is None or is_latest(period):
        from .figures import as_period  # what "latest" means everywhere

        try:
            p: Period | None = as_period(wh, period or "latest")
        except UnknownValueError:  # an empty warehouse; a broken one raises its own error
            if period is not None and latest_code(str(period)) is not None:
                raise  # no latest-BO: say so rather than check no period
            p = None
    else:
        p = period if isinstance(period, Period) else Period.parse(period)
    report = CheckReport(wh.url, p)
    if p is None:
        report.notes.append("lagret har inga uppgifter för någon period: inga periodkontroller")
    else:
        for name, _title, fn in CHECKS:
            if not p.has_outcomes and name != "org_no_targets":
                continue
            report.findings.extend(fn(wh, p))
            report.ran.append(name)
        if not p.has_outcomes:
            report.notes.append(f"{p} är en budgetperiod (inga utfall): av periodens kontroller görs bara målvärdena")
    for name, _title, plausible in PLAUSIBILITY:
        report.findings.extend(plausible(wh))
        report.ran.append(name)
    return report


def _count(n: int) -> str:
    return fmt.number(n, 0)


def format_text(report: CheckReport, limit: int = 20) -> str:
    """The report for the terminal, in Swedish: a count per check, then up to ``limit`` findings of each."""
    period = str(report.period) if report.period else fmt.MISSING
    out = [f"Datakvalitet i {report.warehouse}, period {period}"]
    groups = report.by_check()
    width = max(len(TITLES[n]) for n in groups if n in TITLES)
    for name, found in groups.items():
        count = _count(len(found)) if name in report.ran else fmt.MISSING
        out.append(f"  {TITLES.get(name, name):<{width}}  {count:>6}")
    for note in report.notes:
        out.append(f"  Obs: {note}")
    for name, found in groups.items():
        if not found:
            continue
        out.append("")
        out.append(f"{TITLES.get(name, name)} ({_count(len(found))}):")
        for f in found[:limit]:
            where = " ".join(x for x in (f.org_id, f.item) if x)
            out.append(f"  {where}: {f.detail}")
        if len(found) > limit:
            out.append(f"  ... och {_count(len(found) - limit)} till (skriv ut alla med --out FIL)")
    out.append("")
    n = len(report.findings)
    out.append("Inga iakttagelser." if not n else f"{_count(n)} {'iakttagelse' if n == 1 else 'iakttagelser'}.")
    return "\n".join(out)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def markdown_text(value: object) -> str:
    """Text from the data, inert in Markdown: HTML escaped, Markdown punctuation backslashed, one line.

    >>> markdown_text('<script>alert("x")</script> *fet* [länk](http://x) | a & b')
    '&lt;script&gt;alert\\\\("x"\\\\)&lt;/script&gt; \\\\*fet\\\\* \\\\[länk\\\\]\\\\(http://x\\\\) \\\\| a &amp; b'
    """
    if value is None:
        return ""
    text = " ".join(str(value).split())  # line breaks (and tabs) would end a table row
    text = html.escape(text, quote=False)
    return _MD_SPECIAL.sub(r"\\\1", text)


def _markdown(report: CheckReport) -> str:
    cell = markdown_text
    period = str(report.period) if report.period else fmt.MISSING
    out = [f"# Datakvalitet: {cell(period)}", "", f"Lager: {cell(report.warehouse)}", ""]
    groups = report.by_check()
    out += ["| Kontroll | Iakttagelser |", "|---|---:|"]
    out += [
        f"| {cell(TITLES.get(n, n))} | {_count(len(f)) if n in report.ran else 'ej kontrollerat'} |"
        for n, f in groups.items()
    ]
    for note in report.notes:
        out += ["", f"Obs: {cell(note)}"]
    for name, found in groups.items():
        out += ["", f"## {cell(TITLES.get(name, name))} ({_count(len(found))})", ""]
        if not found:
            out.append("Inga." if name in report.ran else "Ej kontrollerat.")
            continue
        out += ["| Organisation | Objekt | Period | Värde | Beskrivning |", "|---|---|---|---:|---|"]
        out += [
            f"| {cell(f.org_id)} | {cell(f.item)} | {cell(f.period)} | "
            f"{'' if f.value is None else _num(f.value)} | {cell(f.detail)} |"
            for f in found
        ]
    return "\n".join(out) + "\n"


def write_report(report: CheckReport, path: str | os.PathLike[str]) -> Path:
    """Write the findings to ``path``: ``.csv`` (one row per finding) or ``.md`` (Markdown); atomically.

    The CSV file (``;``, UTF-8 with BOM, Swedish headers, numbers with a decimal
    comma) opens in Excel as it is; no cell is ever a formula. The Markdown
    file shows markup from the data as text.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".md"):
        raise ConfigError(f"--out {target}: the report is written as .csv or .md (got {suffix or 'no suffix'!r})")
    if suffix == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        w.writerow(CSV_COLUMNS)
        for f in report.findings:
            w.writerow(
                [
                    f.check,
                    csv_text(TITLES.get(f.check, f.check)),
                    csv_text(f.org_id or ""),
                    csv_text(f.item or ""),
                    csv_text(f.period or ""),
                    "" if f.value is None else _csv_number(f.value),
                    csv_text(f.detail),
                ]
            )
        atomic_write_bytes(target, buf.getvalue().encode("utf-8-sig"))
    else:
        atomic_write_bytes(target, _markdown(report).encode("utf-8"))
    return target
