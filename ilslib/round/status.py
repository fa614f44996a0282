"""``ils status``: where every organisation's reporting stands for a period, as text, JSON, CSV and a web page.

One row per organisation (by default those of the reporting kinds,
:data:`ilslib.settings.REPORTING_KINDS`): its state
(:mod:`ilslib.round.state`), its completeness and the missing items by name
(:mod:`ilslib.round.expected`), its deadline and how many days late it is
(:mod:`ilslib.round.deadlines`). Sorted so that the late and the incomplete
come first: most days late first, then the lowest completeness, then by
state (not started before in progress before ready before approved), then
by id.

The status page ``OUT/PERIOD/status.html`` is in Swedish, uses the reports'
style sheet, states every state by symbol and word (colour only adds to
them) and is written atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__, fmt, settings
from ..cells import csv_text
from ..contract import ROUND_STATES
from ..fsutil import atomic_write_bytes, atomic_write_text
from ..identifiers import folder_name
from ..periods import Period
from ..warehouse import Warehouse
from .deadlines import days_late, deadline_for, deadlines
from .expected import completeness
from .remind import Reporter, contacts
from .state import LABELS, SYMBOLS, states

STATUS_PAGE = "status.html"
CAPTION = "Organisationernas inrapportering, sena och minst fullständiga först"
"""The status page's file name in ``OUT/PERIOD/``."""

#: The columns of ``ils status --format csv`` (Swedish headings for Excel) and the JSON keys they hold.
CSV_COLUMNS = (
    ("organisation", "org_id"),
    ("namn", "name"),
    ("typ", "kind"),
    ("läge", "state"),
    ("fullständighet (%)", "completeness"),
    ("ifyllda", "present"),
    ("förväntade", "expected"),
    ("saknas", "missing"),
    ("sista dag", "deadline"),
    ("dagar sena", "days_late"),
    ("ändrad", "changed_at"),
    ("ändrad av", "changed_by"),
    ("rapporteringsansvariga", "reporters"),
    ("obs", "contact_problem"),
)


@dataclass(frozen=True)
class OrgStatus:
    """One organisation's reporting for the period."""

    org_id: str
    name: str
    kind: str
    state: str
    completeness: float | None
    present: int
    expected: int
    missing: tuple[str, ...]
    deadline: dt.date | None
    days_late: int | None
    changed_at: str | None = None
    changed_by: str | None = None
    reporters: tuple[Reporter, ...] = ()
    """The organisation's active reporters (``users``): whom ``ils remind`` reminds."""
    contact_problem: str | None = None
    """Why a reminder cannot reach them (no reporter, no e-mail address), in Swedish; None when it can."""

    def record(self) -> dict[str, Any]:
        """As JSON: ``org_id, name, kind, state, completeness`` (0-1 or null), ``present, expected, missing``
        (a list of names), ``deadline`` (ISO date or null), ``days_late`` (int or null), ``changed_at, changed_by``,
        ``reporters`` (``user_id, name, email`` each) and ``contact_problem`` (text or null)."""
        return {
            "org_id": self.org_id,
            "name": self.name,
            "kind": self.kind,
            "state": self.state,
            "completeness": self.completeness,
            "present": self.present,
            "expected": self.expected,
            "missing": list(self.missing),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "days_late": self.days_late,
            "changed_at": self.changed_at,
            "changed_by": self.changed_by,
            "reporters": [{"user_id": r.user_id, "name": r.name, "email": r.email} for r in self.reporters],
            "contact_problem": self.contact_problem,
        }


@dataclass
class RoundStatus:
    """The status of a period: its rows (sorted), when it was made, and the period's deadlines."""

    period: Period
    rows: list[OrgStatus]
    today: dt.date
    deadlines: dict[str | None, dt.date] = field(default_factory=dict)

    @property
    def late(self) -> list[OrgStatus]:
        """The organisations past their deadline that are neither ready nor approved."""
        return [r for r in self.rows if r.days_late]

    def count(self, state: str) -> int:
        """How many organisations are in ``state``."""
        return sum(1 for r in self.rows if r.state == state)


def sort_key(r: OrgStatus) -> tuple[Any, ...]:
    """Late first (most days first), then the least complete, then by state, then by id."""
    share = 1.0 if r.completeness is None else r.completeness
    return (-(r.days_late or 0), share, ROUND_STATES.index(r.state), r.org_id)


def round_status(
    wh: Warehouse,
    period: str | Period,
    *,
    kind: str | None = None,
    org_ids: Sequence[str] | None = None,
    today: dt.date | None = None,
) -> RoundStatus:
    """The status of every organisation of the reporting kinds (or of ``kind``, or ``org_ids``) for the period."""
    from ..figures import check_kind

    p = period if isinstance(period, Period) else Period.parse(str(period))
    day = today or dt.date.today()
    orgs = {str(r[0]): (str(r[1]), str(r[2])) for r in wh.rows("SELECT org_id, name, kind FROM v_organisation")}
    if org_ids is not None:
        wanted = list(org_ids)
    else:
        kinds = [check_kind(kind)] if kind else list(settings.REPORTING_KINDS)
        wanted = sorted(o for o, (_, k) in orgs.items() if k in kinds)
    found = deadlines(wh, p)
    done = completeness(wh, p, wanted)
    now = states(wh, p, wanted)
    changed = {
        str(o): (str(a) if a else None, str(b) if b else None)
        for o, a, b in wh.rows("SELECT org_id, changed_at, changed_by FROM v_round_state WHERE period = ?", (str(p),))
    }
    who = contacts(wh, wanted, today=day)
    rows = []
    for o in wanted:
        name, k = orgs.get(o, (o, ""))
        c = done[o]
        due = deadline_for(found, k)
        at, by = changed.get(o, (None, None))
        rows.append(
            OrgStatus(
                org_id=o,
                name=name,
                kind=k,
                state=now[o],
                completeness=c.share,
                present=c.present,
                expected=c.expected,
                missing=tuple(c.missing),
                deadline=due,
                days_late=days_late(due, now[o], today=day),
                changed_at=at,
                changed_by=by,
                reporters=who[o].reporters,
                contact_problem=who[o].problem,
            )
        )
    rows.sort(key=sort_key)
    return RoundStatus(p, rows, day, found)


# -- text, JSON, CSV -------------------------------------------------------------------------------


def _pct(share: float | None) -> str:
    return fmt.MISSING if share is None else fmt.number(share * 100, 0) + " %"


def _day(d: dt.date | None) -> str:
    return fmt.MISSING if d is None else d.isoformat()


def format_text(st: RoundStatus, *, show_missing: int = 5) -> str:
    """The status for the terminal, in Swedish: a summary, a table, and the missing items under each organisation."""
    rows = st.rows
    counts = ", ".join(f"{LABELS[s].lower()} {st.count(s)}" for s in ROUND_STATES)
    out = [
        f"Inrapportering {st.period.title} ({st.period}), läget {st.today.isoformat()}: "
        f"{len(rows)} organisationer ({counts}); {len(st.late)} sena"
    ]
    if not rows:
        out.append("Inga organisationer.")
        return "\n".join(out)
    heads = ("Organisation", "Läge", "Fullständighet", "Sista dag", "Dagar sena")
    table = [
        (
            r.org_id,
            f"{SYMBOLS[r.state]} {LABELS[r.state]}",
            f"{_pct(r.completeness)} ({r.present}/{r.expected})",
            _day(r.deadline),
            fmt.MISSING if r.days_late is None else str(r.days_late),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(heads)]
    out.append("  " + "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip())
    for r, t in zip(rows, table, strict=True):
        cells = [t[0].ljust(widths[0]), t[1].ljust(widths[1]), t[2].rjust(widths[2]), t[3].ljust(widths[3])]
        out.append("  " + "  ".join(cells) + "  " + t[4].rjust(widths[4]) + f"  {r.name}")
        shown = list(r.missing[:show_missing]) if show_missing >= 0 else list(r.missing)
        for m in shown:
            out.append(f"      saknas: {m}")
        if len(r.missing) > len(shown):
            out.append(f"      ... och {len(r.missing) - len(shown)} till (alla med --format json eller csv)")
        if r.contact_problem:
            out.append(f"      obs: {r.contact_problem}")
    return "\n".join(out)


def to_json(st: RoundStatus) -> str:
    """The rows as a JSON list of objects (:meth:`OrgStatus.record`)."""
    return json.dumps([r.record() for r in st.rows], ensure_ascii=False, indent=2) + "\n"


def to_csv(st: RoundStatus) -> bytes:
    """The rows as CSV for Excel: ``;``, UTF-8 with BOM, Swedish headings, decimal comma, every text inert."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow([h for h, _ in CSV_COLUMNS])
    for r in st.rows:
        rec = r.record()
        rec["completeness"] = (
            "" if r.completeness is None else fmt.number(r.completeness * 100, 1).replace(fmt.NBSP, "")
        )
        rec["missing"] = "; ".join(r.missing)
        rec["state"] = LABELS[r.state]
        rec["reporters"] = "; ".join(
            f"{p.name} <{p.email}>" if p.email else f"{p.name} (ingen e-post)" for p in r.reporters
        )
        w.writerow([csv_text("" if rec[k] is None else rec[k]) for _, k in CSV_COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def write_output(st: RoundStatus, path: str | Path, form: str) -> Path:
    """Write ``text``, ``json`` or ``csv`` to ``path`` atomically; return the path."""
    target = Path(path)
    if form == "json":
        atomic_write_text(target, to_json(st))
    elif form == "csv":
        atomic_write_bytes(target, to_csv(st))
    else:
        atomic_write_text(target, format_text(st, show_missing=-1) + "\n")
    return target


# -- the status page -------------------------------------------------------------------------------

_CSS_EXTRA = """
.round-state { white-space: nowrap; border-radius: 3px; padding: 0.05rem 0.35rem; font-weight: bold; }
.round-godkand { background: var(--ok-bg); color: var(--ok-ink); }
.round-klar { background: #e3eefa; color: #0b3f6e; }
.round-pagaende { background: var(--part-bg); color: var(--part-ink); }
.round-ej_paborjad { background: var(--none-bg); color: var(--none-ink); }
.late { color: var(--bad-ink); font-weight: bold; }
ul.missing { margin: 0; padding-left: 1.1rem; }
ul.missing li { max-width: none; }
nav.crumbs { margin: 0 0 0.6rem; font-size: 0.9rem; }
.contact-problem { font-size: 0.8em; color: var(--bad-ink); }
"""


def _css() -> str:
    from ..report.present import report_css

    return report_css() + _CSS_EXTRA


def _long_date(d: dt.date) -> str:
    return f"{d.day} {fmt.MONTH_NAMES[d.month - 1]} {d.year}"


def _deadline_text(found: dict[str | None, dt.date]) -> str:
    if not found:
        return "Ingen sista dag är inlagd för perioden."
    parts = []
    for k, d in sorted(found.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        who = fmt.KIND_PLURAL.get(k, k) if k else ("övriga" if len(found) > 1 else "alla")
        parts.append(f"{_long_date(d)} ({who})")
    return "Sista dag: " + ", ".join(parts) + "."


def render_page(st: RoundStatus, *, generated: dt.datetime | None = None) -> str:
    """The status page (a whole HTML document, Swedish, self-contained)."""
    e = html.escape
    when = fmt.local_time(generated or dt.datetime.now(dt.UTC))
    title = f"Inrapportering – {st.period.title}"
    kpis = "".join(
        f'<li><span class="label">{e(LABELS[s])}</span><span class="value">{SYMBOLS[s]} {st.count(s)}</span></li>'
        for s in ROUND_STATES
    )
    kpis += f'<li><span class="label">Sena</span><span class="value">{len(st.late)}</span></li>'
    body = []
    for r in st.rows:
        missing = (
            '<ul class="missing">' + "".join(f"<li>{e(m)}</li>" for m in r.missing) + "</ul>" if r.missing else "Inget"
        )
        late = fmt.MISSING if r.days_late is None else str(r.days_late)
        if r.days_late:
            late = f'<span class="late">{r.days_late} {"dag" if r.days_late == 1 else "dagar"}</span>'
        problem = (
            f'<br><span class="contact-problem"><span aria-hidden="true">⚠ </span>{e(r.contact_problem)}</span>'
            if r.contact_problem
            else ""
        )
        body.append(
            "<tr>"
            f'<th scope="row">{e(r.name)}<br><span class="sub">{e(r.org_id)}</span>{problem}</th>'
            f"<td>{e(fmt.KIND_LABELS.get(r.kind, r.kind))}</td>"
            f'<td><span class="round-state round-{e(r.state)}">{SYMBOLS[r.state]} {e(LABELS[r.state])}</span></td>'
            f'<td class="num">{e(_pct(r.completeness))}<br><span class="sub">{r.present} av {r.expected}</span></td>'
            f"<td>{missing}</td>"
            f'<td class="num">{e(_day(r.deadline))}</td>'
            f'<td class="num">{late}</td>'
            "</tr>"
        )
    rows_html = "\n".join(body) or '<tr><th scope="row">Inga organisationer</th><td colspan="6"></td></tr>'
    return f"""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ilslib {e(__version__)}">
<title>{e(title)}</title>
<style>
{_css()}
</style>
</head>
<body>
<main class="ils-report">
<nav class="crumbs" aria-label="Portalen"><a href="../index.html">Alla rapporter</a></nav>
<h1>{e(title)}</h1>
<p>Läget för varje organisations inrapportering av perioden {e(str(st.period))} den {e(when)}.
{e(_deadline_text(st.deadlines))}</p>
<ul class="kpis" aria-label="Antal organisationer per läge">{kpis}</ul>
<p class="note">Läge: {", ".join(f"{SYMBOLS[s]} {e(LABELS[s])}" for s in ROUND_STATES)}. Fullständighet är andelen
av det som ska rapporteras (utfall för indikatorer med målvärde, status för aktiviteter, bedömning av mål i
bokslutet, periodens kommentar) som finns i lagret. Dagar sena räknas efter sista dag så länge
inrapporteringen varken är klarmarkerad eller godkänd.</p>
<div class="table-wrap" role="region" aria-label="{e(CAPTION)}" tabindex="0">
<table class="data">
<caption>{e(CAPTION)}</caption>
<thead><tr><th scope="col">Organisation</th><th scope="col">Typ</th><th scope="col">Läge</th>
<th scope="col" class="num">Fullständighet</th><th scope="col">Saknas</th>
<th scope="col" class="num">Sista dag</th><th scope="col" class="num">Dagar sena</th></tr></thead>
<tbody>
{rows_html}
</tbody>
</table>
</div>
<footer class="about"><p>Sidan skapades {e(when)} av ilslib {e(__version__)}.</p></footer>
</main>
</body>
</html>
"""


def write_status_page(
    wh: Warehouse, out_dir: str | Path, period: str | Period, *, kind: str | None = None, today: dt.date | None = None
) -> Path:
    """Write the status page of ``period`` to ``OUT_DIR/PERIOD/status.html`` (atomically); return its path.

    ``ils run`` and ``ils status --html`` call this; the portal links to it.
    """
    st = round_status(wh, period, kind=kind, today=today)
    target = Path(out_dir) / folder_name(str(st.period)) / STATUS_PAGE
    atomic_write_text(target, render_page(st))
    return target
