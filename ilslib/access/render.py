"""The review as internal control reads it: a web page, CSV for Excel, Markdown, or text (Swedish).

Every text from the warehouse (names, logins, organisations) is data: escaped
in HTML and Markdown, inert in CSV cells (:func:`ilslib.cells.csv_text`).
"""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

from .. import __version__, fmt
from ..cells import csv_text
from ..config import redact_url
from ..errors import ConfigError
from ..fsutil import atomic_write_bytes, atomic_write_text
from .review import ACTIONS_EVENT, Review, by_code

FORMATS = {".html": "html", ".htm": "html", ".csv": "csv", ".md": "md", ".txt": "text"}
LAST_LABELS = {"load": "Senaste inläsning", "ready": "Senaste klarmarkering", "approve": "Senaste godkännande"}


def _when(at: str | None) -> str:
    return fmt.local_time(at)


def _summary(r: Review) -> str:
    n = len(r.findings)
    return "✔ Inga anmärkningar" if n == 0 else f"⚠ {n} {'anmärkning' if n == 1 else 'anmärkningar'}"


def _intro(r: Review) -> str:
    since = f"förra granskningen {_when(r.since)}" if r.since else "ingen tidigare granskning"
    return f"Lagret {redact_url(r.warehouse)}, granskat {_when(r.generated)} (giltighet bedömd {r.today}); {since}."


# -- text and Markdown ---------------------------------------------------------------------------------


def to_text(r: Review) -> str:
    """The review as plain text for the terminal."""
    lines = ["Granskning av behörigheter", _intro(r), "", _summary(r)]
    for items in by_code(r.findings).values():
        lines.append("")
        lines.append(f"{items[0].title} ({len(items)})")
        for f in items:
            lines.append(f"  {f.subject}: {f.text}")
            lines.append(f"    Åtgärd: {f.action}")
    lines += ["", f"Personer i users ({len(r.people)})"]
    for p in r.people:
        state = "aktiv" if p.active else "utgången"
        lines.append(f"  {p.name} ({p.user_id}), {state}: {'; '.join(p.roles_text())}")
        if p.database is not None:
            lines.append(f"    i databasen: {p.database}")
        done = ", ".join(f"{LAST_LABELS[a].lower()} {_when(p.last.get(a))}" for a in ACTIONS_EVENT if p.last.get(a))
        if done:
            lines.append(f"    {done}")
    lines += ["", "Databasens skydd"] + [f"  {x}" for x in r.catalogue]
    if r.changes:
        lines += ["", "Ändringar sedan förra granskningen"]
        lines += [f"  {_when(c.at)} {c.user}: {c.what}" for c in r.changes]
    if r.not_recorded:
        lines += ["", f"Granskningen registrerades inte: {r.not_recorded}"]
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def md(text: object) -> str:
    """Text from the data for Markdown: every markup character escaped, line breaks as spaces."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def to_markdown(r: Review) -> str:
    """The review as Markdown (tables; every text from the data escaped)."""
    out = ["# Granskning av behörigheter", "", md(_intro(r)), "", f"**{md(_summary(r))}**", ""]
    if r.findings:
        out += ["## Anmärkningar", "", "| Anmärkning | Gäller | Vad | Åtgärd |", "|---|---|---|---|"]
        out += [f"| {md(f.title)} | {md(f.subject)} | {md(f.text)} | {md(f.action)} |" for f in r.findings]
        out.append("")
    out += [
        "## Personer i users",
        "",
        "| Person | Inloggning | Roller | Giltig till | Rättigheter i databasen | "
        + " | ".join(LAST_LABELS[a] for a in ACTIONS_EVENT)
        + " |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in r.people:
        cells = [
            md(p.name),
            md(p.user_id),
            "<br>".join(md(x) for x in p.roles_text(validity=False)),
            md(p.valid_to() or "tills vidare"),
            md(p.database if p.database is not None else "–"),
        ] + [md(_when(p.last.get(a))) for a in ACTIONS_EVENT]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "## Databasens skydd", ""] + [md(x) + "\n" for x in r.catalogue]
    if r.changes:
        out += ["## Ändringar sedan förra granskningen", "", "| När | Vem | Vad |", "|---|---|---|"]
        out += [f"| {md(_when(c.at))} | {md(c.user)} | {md(c.what)} |" for c in r.changes]
        out.append("")
    return "\n".join(out) + "\n"


# -- CSV ----------------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "Del",
    "Anmärkning",
    "Gäller",
    "Vad",
    "Åtgärd",
    "Person",
    "Inloggning",
    "Roller",
    "Giltig till",
    "Rättigheter i databasen",
    *LAST_LABELS.values(),
]


def to_csv(r: Review) -> bytes:
    """Findings and people as one CSV for Excel (``;``, UTF-8 with BOM, Swedish headings, inert text)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for f in r.findings:
        w.writerow([csv_text(x) for x in ["anmärkning", f.title, f.subject, f.text, f.action]] + [""] * 8)
    for p in r.people:
        w.writerow(
            [csv_text(x) for x in ["person", "", "", "", "", p.name, p.user_id, "; ".join(p.roles_text(validity=False)),
                                   p.valid_to() or "tills vidare", p.database or ""]]
            + [csv_text(_when(p.last.get(a)) if p.last.get(a) else "") for a in ACTIONS_EVENT]
        )  # fmt: skip
    return buf.getvalue().encode("utf-8-sig")


# -- the page -----------------------------------------------------------------------------------------

_CSS_EXTRA = """
.finding-none { color: var(--ok-ink); font-weight: bold; }
.finding-some { color: var(--bad-ink); font-weight: bold; }
td ul, th ul { margin: 0; padding-left: 1.1rem; }
.expired { color: var(--bad-ink); }
code { font-size: 0.85rem; overflow-wrap: anywhere; }
"""


def _css() -> str:
    from ..report.present import report_css

    return report_css() + _CSS_EXTRA


def _table(caption: str, heads: list[str], rows: list[str], label: str) -> str:
    th = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in heads)
    body = "\n".join(rows) or f'<tr><td colspan="{len(heads)}">Inga.</td></tr>'
    return (
        f'<div class="table-wrap" role="region" aria-label="{html.escape(label)}" tabindex="0">'
        f'<table class="data"><caption>{html.escape(caption)}</caption><thead><tr>{th}</tr></thead>'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )


def render_page(r: Review) -> str:
    """The review as one self-contained Swedish web page."""
    e = html.escape
    cls = "finding-none" if not r.findings else "finding-some"
    findings = []
    for f in r.findings:
        findings.append(
            f'<tr><th scope="row">{e(f.title)}</th><td>{e(f.subject)}</td><td>{e(f.text)}</td>'
            f"<td>{e(f.action)}</td></tr>"
        )
    people = []
    for p in r.people:
        roles = "<ul>" + "".join(f"<li>{e(x)}</li>" for x in p.roles_text(validity=False)) + "</ul>"
        valid = e(p.valid_to() or "tills vidare")
        if not p.active:
            valid = f'<span class="expired">{valid} (utgången)</span>'
        done = [f"<li>{e(LAST_LABELS[a].split()[1].capitalize())} {e(_when(p.last[a]))}</li>" for a in ACTIONS_EVENT
                if p.last.get(a)]  # fmt: skip
        last = f"<td><ul>{''.join(done)}</ul></td>" if done else "<td>–</td>"
        people.append(
            f'<tr><th scope="row">{e(p.name)}<br><span class="sub">{e(p.user_id)}</span></th><td>{roles}</td>'
            f"<td>{valid}</td><td>{e(p.database if p.database is not None else '–')}</td>{last}</tr>"
        )
    changes = [
        f'<tr><td class="num">{e(_when(c.at))}</td><td>{e(c.user)}</td><td>{e(c.what)}</td></tr>' for c in r.changes
    ]
    catalogue = "".join(f"<p>{e(x)}</p>" for x in r.catalogue)
    recorded = (
        f"<p>Granskningen registrerades inte: {e(r.not_recorded)}</p>"
        if r.not_recorded
        else ("<p>Granskningen är registrerad; nästa granskning visar ändringarna från och med nu.</p>"
              if r.recorded else "")
    )  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="ilslib {e(__version__)}">
<title>Granskning av behörigheter</title>
<style>
{_css()}
</style>
</head>
<body>
<main class="ils-report">
<h1>Granskning av behörigheter</h1>
<p>{e(_intro(r))}</p>
<p class="{cls}">{e(_summary(r))}</p>
<h2>Anmärkningar</h2>
{_table("Anmärkningar med åtgärd", ["Anmärkning", "Gäller", "Vad", "Åtgärd"], findings, "Anmärkningar")}
<h2>Personer i users</h2>
<p>Varje inloggning i users med roller, organisationer och giltighet, de rättigheter databasen faktiskt ger
inloggningen (läst ur databasens katalog, inte ur users) och när personen senast läste in, klarmarkerade och
godkände.</p>
{
        _table(
            "Personer och deras rättigheter",
            ["Person", "Roller", "Giltig till", "Rättigheter i databasen", "Senast"],
            people,
            "Personer i users",
        )
    }
<h2>Databasens skydd</h2>
{catalogue}
<h2>Ändringar sedan förra granskningen</h2>
{_table("Ändringar av behörigheter", ["När", "Vem", "Vad"], changes, "Ändringar")}
<footer class="about">{recorded}<p>Sidan skapades {e(_when(r.generated))} av ilslib {e(__version__)}
(ils access review).</p></footer>
</main>
</body>
</html>
"""


def form_of(path: str | Path) -> str:
    """The format for an output file by its suffix (``.html``, ``.csv``, ``.md``, ``.txt``)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ConfigError(f"--out {str(path)!r}: expected a file ending in .html, .csv, .md or .txt")
    return FORMATS[suffix]


def write(r: Review, path: str | Path) -> Path:
    """Write the review to ``path`` (its suffix chooses the format), atomically; return the path."""
    target = Path(path)
    form = form_of(target)
    if form == "html":
        atomic_write_text(target, render_page(r))
    elif form == "csv":
        atomic_write_bytes(target, to_csv(r))
    elif form == "md":
        atomic_write_text(target, to_markdown(r))
    else:
        atomic_write_text(target, to_text(r))
    return target
