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
"""

from __future__ import annotations

import csv
import io
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import settings
from .errors import ConfigError, UnknownValueError
from .fsutil import atomic_write_bytes
from .periods import Period
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
    ran: list[str] = field(default_factory=list)  # the checks that ran (BU runs only one)

    def by_check(self) -> dict[str, list[Finding]]:
        """Findings grouped by check, every check present (possibly empty)."""
        out: dict[str, list[Finding]] = {name: [] for name, _, _ in CHECKS}
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
        Finding("org_no_targets", r[0], None, str(p.year), None, f"{r[1]} ({r[2]}): no targets for {p.year}")
        for r in rows
    ]


def _followed_up(p: Period) -> tuple[str, list[object]]:
    """SQL condition on indicator ``i``: followed up in the period (tertial ones only in T1/T2)."""
    if p.is_tertial:
        return " AND i.frequency = ?", ["tertial"]
    return "", []


def indicator_no_outcome(wh: Warehouse, p: Period) -> list[Finding]:
    """Indicators with a target that applies to the period but no total outcome value for it."""
    cond, extra = _followed_up(p)
    rows = wh.rows(
        f"""
        SELECT t.org_id, t.indicator_id, MIN(i.name) FROM v_target t
        JOIN v_indicator i ON i.indicator_id = t.indicator_id
        WHERE t.year = ? AND (t.period_type IS NULL OR t.period_type = ?){cond}
          AND NOT EXISTS (SELECT 1 FROM v_outcome o
                          WHERE o.org_id = t.org_id AND o.indicator_id = t.indicator_id
                            AND o.period = ? AND o.gender = ? AND o.value IS NOT NULL)
        GROUP BY t.org_id, t.indicator_id
        ORDER BY t.org_id, t.indicator_id
        """,
        [p.year, p.code, *extra, str(p), "T"],
    )
    return [
        Finding("indicator_no_outcome", r[0], r[1], str(p), None, f"{r[2]}: target but no outcome for {p}")
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
        Finding("outcome_no_target", r[0], r[1], str(p), float(r[2]), f"outcome {_num(r[2])} but no target for {p}")
        for r in rows
    ]


def goal_no_judgement(wh: Warehouse, p: Period) -> list[Finding]:
    """The organisations' own goals valid in the year without an assessment for the period."""
    rows = wh.rows(
        """
        SELECT g.org_id, g.goal_id, g.title FROM v_goal g
        WHERE g.level IN (?, ?)
          AND (g.first_year IS NULL OR g.first_year <= ?) AND (g.last_year IS NULL OR g.last_year >= ?)
          AND NOT EXISTS (SELECT 1 FROM v_assessment a
                          WHERE a.org_id = g.org_id AND a.goal_id = g.goal_id AND a.period = ?
                            AND a.assessment IS NOT NULL)
        ORDER BY g.org_id, g.goal_id
        """,
        ["namndmal", "bolagsmal", p.year, p.year, str(p)],
    )
    return [Finding("goal_no_judgement", r[0], r[1], str(p), None, f"{_clip(r[2])}: not judged for {p}") for r in rows]


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
    return [Finding("activity_no_status", r[0], r[1], str(p), None, f"{_clip(r[2])}: no status for {p}") for r in rows]


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
                    f"{_num(value)} against a median of {_num(med)} (MAD {_num(mad)}) over {len(hist)} earlier periods",
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
        Finding(check, org, m, str(p), None, f"no {what} rows")
        for org in orgs
        for m in p.months()
        if (org, m) not in present
    ]


def ledger_month_missing(wh: Warehouse, p: Period) -> list[Finding]:
    """Months of the period without ledger rows, for organisations with a ledger in the year or the one before."""
    return _months_missing(wh, p, "v_ledger", "ledger_month_missing", "ledger")


def personnel_month_missing(wh: Warehouse, p: Period) -> list[Finding]:
    """Months of the period without personnel rows, for organisations with personnel data in the year or the one before."""
    return _months_missing(wh, p, "v_personnel", "personnel_month_missing", "personnel")


CHECKS: list[tuple[str, str, Callable[[Warehouse, Period], list[Finding]]]] = [
    ("org_no_targets", "Organisations without targets", org_no_targets),
    ("indicator_no_outcome", "Indicators with a target but no outcome", indicator_no_outcome),
    ("outcome_no_target", "Outcomes without a target", outcome_no_target),
    ("goal_no_judgement", "Goals without a judgement", goal_no_judgement),
    ("activity_no_status", "Activities without a status", activity_no_status),
    ("outlier", "Outliers (far from the indicator's own history)", outlier),
    ("ledger_month_missing", "Ledger months missing", ledger_month_missing),
    ("personnel_month_missing", "Personnel months missing", personnel_month_missing),
]
TITLES = {name: title for name, title, _ in CHECKS}


def _key(p: Period) -> tuple[int, int]:
    return p.year, _ORDER[p.code]


def _num(v: object) -> str:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(v)
    if f != f:
        return "-"
    return f"{f:.6g}"


def _clip(text: object, n: int = 60) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= n else s[: n - 1] + "…"


def run_checks(wh: Warehouse, period: str | Period | None = None) -> CheckReport:
    """Run every check for ``period`` (default: the latest reported period) and collect the findings."""
    if period is None or (isinstance(period, str) and period.strip().lower() == "latest"):
        from .figures.orgs import latest_period  # what "latest" means everywhere

        try:
            p: Period | None = latest_period(wh)
        except UnknownValueError:  # an empty warehouse; a broken one raises its own error
            p = None
    else:
        p = period if isinstance(period, Period) else Period.parse(period)
    report = CheckReport(wh.url, p)
    if p is None:
        report.notes.append("the warehouse has no data for any period: nothing to check")
        return report
    for name, _title, fn in CHECKS:
        if not p.has_outcomes and name != "org_no_targets":
            continue
        report.findings.extend(fn(wh, p))
        report.ran.append(name)
    if not p.has_outcomes:
        report.notes.append(f"{p} is a budget period (no outcomes): only the targets are checked")
    return report


def format_text(report: CheckReport, limit: int = 20) -> str:
    """The report for the terminal: a count per check, then up to ``limit`` findings of each."""
    period = str(report.period) if report.period else "-"
    out = [f"Data quality of {report.warehouse}, period {period}"]
    groups = report.by_check()
    width = max(len(TITLES[n]) for n in groups if n in TITLES)
    for name, found in groups.items():
        count = str(len(found)) if name in report.ran else "-"
        out.append(f"  {TITLES.get(name, name):<{width}}  {count:>6}")
    for note in report.notes:
        out.append(f"  note: {note}")
    for name, found in groups.items():
        if not found:
            continue
        out.append("")
        out.append(f"{TITLES.get(name, name)} ({len(found)}):")
        for f in found[:limit]:
            where = " ".join(x for x in (f.org_id, f.item) if x)
            out.append(f"  {where}: {f.detail}")
        if len(found) > limit:
            out.append(f"  ... and {len(found) - limit} more (write them all with --out FILE)")
    if not report.findings and report.period:
        out.append("")
        out.append("No findings.")
    return "\n".join(out)


def _markdown(report: CheckReport) -> str:
    def cell(v: object) -> str:
        return "" if v is None else str(v).replace("|", "\\|").replace("\n", " ")

    period = str(report.period) if report.period else "-"
    out = [f"# Data quality: {period}", "", f"Warehouse: `{report.warehouse}`", ""]
    groups = report.by_check()
    out += ["| check | findings |", "|---|---:|"]
    out += [f"| {TITLES.get(n, n)} | {len(f) if n in report.ran else 'not checked'} |" for n, f in groups.items()]
    for note in report.notes:
        out += ["", f"Note: {note}"]
    for name, found in groups.items():
        out += ["", f"## {TITLES.get(name, name)} ({len(found)})", ""]
        if not found:
            out.append("None.")
            continue
        out += ["| org_id | item | period | value | detail |", "|---|---|---|---:|---|"]
        out += [
            f"| {cell(f.org_id)} | {cell(f.item)} | {cell(f.period)} | "
            f"{'' if f.value is None else _num(f.value)} | {cell(f.detail)} |"
            for f in found
        ]
    return "\n".join(out) + "\n"


def write_report(report: CheckReport, path: str | os.PathLike[str]) -> Path:
    """Write the findings to ``path``: ``.csv`` (one row per finding) or ``.md`` (Markdown); atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".md"):
        raise ConfigError(f"--out {target}: the report is written as .csv or .md (got {suffix or 'no suffix'!r})")
    if suffix == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        w.writerow(["check", "org_id", "item", "period", "value", "detail"])
        for f in report.findings:
            w.writerow(
                [
                    f.check,
                    f.org_id or "",
                    f.item or "",
                    f.period or "",
                    "" if f.value is None else repr(f.value),
                    f.detail,
                ]
            )
        atomic_write_bytes(target, buf.getvalue().encode("utf-8-sig"))
    else:
        atomic_write_bytes(target, _markdown(report).encode("utf-8"))
    return target
