"""The report portal: ``OUT/index.html``, a list of every report in the output directory (inside the city).

Built from the state files of the sets on disk (``.ils-state.json`` of a
report, ``.ils-state.report-kort.json`` of its short version beside it,
``.ils-state.book.json`` of a book), so it lists what is on disk whatever run
produced it. One self-contained page (inline style and script, nothing
fetched) that works opened straight from disk and through ``ils serve``. Its
sections keep apart the official reports (each row links the report's HTML,
PDF, tables in Excel, short version and figures), the group reports, the
books, the status pages of the reporting round and the special studies (never
mixed into the official list); filter by period, report type, kind and name,
sort by any column. A report made while its organisation's reporting was not
yet approved is marked as a draft ("Utkast", with the state it was made in;
:func:`ilslib.round.state.round_meta` records it). The external portal is ``ils
publish``'s (:mod:`ilslib.publish`).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from .. import fmt
from ..fmt import KIND_LABELS, MISSING
from ..fsutil import atomic_write_text
from ..periods import Period, is_period, period_order
from ..report.present import esc

STATUS_LABELS = {"done": "Klar", "failed": "Misslyckades"}
NOTEBOOK_LABELS = {
    "report": "Rapport",
    "group_report": "Sammanställning",
    "report_kort": "Kortversion",
    "book": "Rapportbok",
}
#: The report types the portal filters by: the official notebooks, the books, and every other notebook as a study.
TYPE_LABELS = {"report": "Rapport", "report_kort": "Kortversion", "group_report": "Sammanställning",
               "book": "Rapportbok", "study": "Specialstudie"}  # fmt: skip
OFFICIAL = ("report", "report_kort", "group_report")
STATE_GLOB = ".ils-state*.json"
#: The links of a row, in order: (file, label, for a failed set only). ``report-kort.*`` is the short version.
LINKS = (
    ("report.html", "HTML", False),
    ("report.pdf", "PDF", False),
    ("report.xlsx", "Tabeller (Excel)", False),
    ("report-kort.html", "Kortversion", False),
    ("report-kort.pdf", "Kortversion (PDF)", False),
    ("figures.json", "Nyckeltal (JSON)", False),
    ("book.pdf", "Rapportbok (PDF)", False),
    ("book.html", "Rapportbok (HTML)", False),
    ("report.ipynb", "Notebook", True),
    ("report-kort.ipynb", "Notebook (kortversion)", True),
)


def _set_name(state_path: Path, state: dict[str, Any]) -> str:
    """``report``, ``report-kort``, ``book``: from the state, else from the state file's name."""
    if isinstance(state.get("set"), str):
        return state["set"]
    name = state_path.name
    return name[len(".ils-state.") : -len(".json")] if name.count(".") > 2 else "report"


def collect(out: Path) -> list[dict[str, Any]]:
    """Every report and book found under ``out`` (from the state files), newest period first.

    A report's short version is part of the report's row (``kort``: its state), or a row of
    its own when the folder has no full report.
    """
    sets: dict[str, dict[str, dict[str, Any]]] = {}
    for state_path in out.rglob(STATE_GLOB):
        if any(part.startswith(".") for part in state_path.relative_to(out).parts[:-1]):
            continue  # a set being published, or one replaced a moment ago
        try:
            state = json.loads(state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(state, dict):
            continue
        d = state_path.parent
        rel = d.relative_to(out).as_posix()
        meta = state.get("meta") or {}
        notebook = meta.get("notebook") or ""
        kind_of = "book" if meta.get("book") else notebook if notebook in OFFICIAL else "study"
        sets.setdefault(rel, {})[_set_name(state_path, state)] = {
            "dir": rel,
            "type": kind_of,
            "study": "" if kind_of != "study" else notebook or rel.split("/")[1 if rel.startswith("_studier/") else 0],
            "round": _round_of(meta),
            "name": meta.get("name") or rel,
            "org_id": meta.get("org_id") or "",
            "kind": meta.get("kind") or "",
            "period": meta.get("period") or "",
            "notebook": meta.get("notebook") or "",
            "group": bool(meta.get("group")),
            "book": bool(meta.get("book")),
            "status": state.get("status") or "",
            "error": state.get("error"),
            "summary": meta.get("summary") or {},
            "meta": meta,
            "finished_at": state.get("finished_at") or "",
            "files": {f: (d / f).is_file() for f, _, _ in LINKS},
        }
    rows = []
    for found in sets.values():
        main = found.get("report") or found.get("book") or next(iter(found.values()))
        kort = found.get("report-kort")
        rows.append({**main, "kort": kort if kort is not main else None})
    rows.sort(key=lambda r: (r["name"].lower(), r["notebook"], r["dir"]))
    rows.sort(key=lambda r: period_order(r["period"]), reverse=True)
    return rows


def _link(r: dict[str, Any], f: str, label: str) -> str:
    return f'<a href="{esc(r["dir"])}/{f}">{esc(label)}<span class="sr"> – {esc(r["name"])}</span></a>'


def _round_of(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The reporting round's state the report was made in: ``{"state": code}`` or ``{"approved": n, "of": m}``."""
    if "round_state" in meta:
        return {"state": meta.get("round_state")}  # None: no stored state (not started or in progress)
    states = meta.get("round_states")
    if isinstance(states, dict) and states:
        return {"approved": sum(1 for v in states.values() if v == "godkand"), "of": len(states)}
    return None


def draft_label(r: dict[str, Any]) -> tuple[str, bool]:
    """The report's mark, and whether it is a draft: ``✔ Godkänd``, ``✎ Utkast (Klarmarkerad)``, ``–`` (unknown)."""
    from ..round.state import LABELS

    info = r.get("round")
    if not info or r.get("status") != "done":
        return MISSING, False
    if "state" in info:
        if info["state"] == "godkand":
            return "✔ Godkänd", False
        if not info["state"]:
            return "✎ Utkast", True
        return f"✎ Utkast ({LABELS.get(info['state'], info['state'])})", True
    if info["approved"] == info["of"]:
        return "✔ Alla godkända", False
    return f"✎ Utkast ({info['approved']} av {info['of']} godkända)", True


def _links(r: dict[str, Any]) -> str:
    kort = r.get("kort")
    parts = []
    for f, label, failed_only in LINKS:
        owner = kort if kort is not None and f.startswith("report-kort.") else r
        if not r["files"].get(f) or (failed_only and owner["status"] == "done"):
            continue
        if not failed_only and owner["status"] != "done":
            continue  # a file of a failed set is not there (the set was replaced by the failure)
        parts.append(_link(r, f, label))
    if kort is not None and kort["status"] != "done":
        parts.append(f'<span class="s-bad">✗ Kortversionen misslyckades: {esc(kort["error"] or "")}</span>')
    return " ".join(parts) or MISSING


def _book_summary(r: dict[str, Any]) -> tuple[str, int]:
    m = r["meta"]
    n, members = int(m.get("organisations") or 0), int(m.get("members") or 0)
    text = f"{n} av {members} organisationers rapporter"
    if m.get("pages"):
        text += f", {int(m['pages'])} sidor"
    if not m.get("group_report"):
        text += "; sammanställningen saknas"
    return esc(text), n


def _summary(r: dict[str, Any]) -> tuple[str, int]:
    s = r["summary"]
    if r["status"] != "done":
        return f"✗ {esc(STATUS_LABELS.get(r['status'], r['status']))}: {esc(r['error'] or '')}", -1
    if r.get("book"):
        return _book_summary(r)
    if not s:
        return MISSING, 0
    met, part, nm = int(s.get("uppfyllt", 0)), int(s.get("delvis", 0)), int(s.get("ej_uppfyllt", 0))
    return (
        f'<span class="s-ok">✓ {met} uppfyllda</span>, <span class="s-part">◐ {part} delvis</span>, '
        f'<span class="s-bad">✗ {nm} ej uppfyllda</span>'
    ), met


def _table(
    rows: list[dict[str, Any]],
    caption: str,
    table_id: str,
    *,
    first: str = "Organisation",
    summary: str = "Måluppfyllelse (indikatorer)",
    empty: str = "inga rapporter ännu",
) -> str:
    if not rows:
        return f'<p class="empty">{esc(caption)}: {esc(empty)}.</p>'
    heads = [
        ("name", first),
        ("kind", "Typ"),
        ("period", "Period"),
        ("notebook", "Rapport"),
        ("draft", "Läge"),
        ("met", summary),
        ("finished", "Skapad"),
        (None, "Filer"),
    ]
    th = []
    for i, (key, label) in enumerate(heads):
        if key:
            th.append(
                f'<th scope="col" aria-sort="none"><button type="button" data-col="{i}" '
                f'data-key="{key}">{esc(label)}</button></th>'
            )
        else:
            th.append(f'<th scope="col">{esc(label)}</th>')
    body = []
    for r in rows:
        summary, met = _summary(r)
        kind_label = KIND_LABELS.get(r["kind"], r["kind"])
        nb_label = NOTEBOOK_LABELS.get(r["notebook"], r["notebook"]) if r["type"] != "study" else r["study"]
        mark, draft = draft_label(r)
        kort = r.get("kort")
        if kort is not None and kort.get("status") == "done":  # a short version made in another state says so
            kort_mark, kort_draft = draft_label(kort)
            if kort_mark != mark:
                mark, draft = f"{mark}; kortversionen: {kort_mark}", draft or kort_draft
        body.append(
            f'<tr data-kind="{esc(r["kind"])}" data-period="{esc(r["period"])}" data-type="{esc(r["type"])}" '
            f'data-name="{esc(r["name"].lower())}">'
            f'<th scope="row" data-v="{esc(r["name"])}">{esc(r["name"])}'
            f"{' <span class=id>(' + esc(r['org_id']) + ')</span>' if r['org_id'] else ''}</th>"
            f'<td data-v="{esc(kind_label)}">{esc(kind_label)}</td>'
            f'<td class="nw" data-v="{esc(r["period"])}">{esc(r["period"])}</td>'
            f'<td data-v="{esc(nb_label)}">{esc(nb_label)}</td>'
            f'<td data-v="{esc(mark)}"{" class=draft" if draft else ""}>{esc(mark)}</td>'
            f'<td data-v="{met}">{summary}</td>'
            f'<td class="nw" data-v="{esc(r["finished_at"])}">{esc(fmt.local_time(r["finished_at"]))}</td>'
            f"<td>{_links(r)}</td></tr>"
        )
    return (
        f'<table id="{table_id}" class="portal"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{''.join(th)}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


FILTER_SCRIPT = """
(function () {
  var sel = {}, name = document.getElementById('f-name'), count = document.getElementById('f-count');
  ['period', 'kind', 'type'].forEach(function (k) {
    var el = document.getElementById('f-' + k); if (el) sel[k] = el;
  });
  function filter() {
    var n = name.value.trim().toLowerCase(), shown = 0, total = 0;
    document.querySelectorAll('table.portal tbody tr').forEach(function (tr) {
      total++;
      var ok = !n || tr.dataset.name.indexOf(n) >= 0;
      Object.keys(sel).forEach(function (k) { if (sel[k].value && tr.dataset[k] !== sel[k].value) ok = false; });
      tr.hidden = !ok; if (ok) shown++;
    });
    count.textContent = 'Visar ' + shown + ' av ' + total + ' rapporter.';
  }
  Object.keys(sel).forEach(function (k) { sel[k].addEventListener('change', filter); });
  name.addEventListener('input', filter);
  document.querySelectorAll('table.portal th button').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var th = btn.parentNode, table = th.closest('table'), col = +btn.dataset.col;
      var asc = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('th[aria-sort]').forEach(function (h) { h.setAttribute('aria-sort', 'none'); });
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
      var tbody = table.tBodies[0], rows = Array.prototype.slice.call(tbody.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny) && String(nx) === x && String(ny) === y) ? nx - ny
              : x.localeCompare(y, 'sv');
        return asc ? c : -c;
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
    });
  });
  filter();
})();
"""
"""The portals' filter (period, kind, report type, name; each select only where the page has it) and sorting."""

STYLE = """
html { font-family: "DejaVu Sans", Arial, sans-serif; color: #1b1f24; background: #fff; }
body { margin: 0 auto; max-width: 80rem; padding: 1.5rem; line-height: 1.45; }
h1 { color: #0b4f8a; } h2 { color: #0b4f8a; margin-top: 2rem; }
form { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: end; margin: 1rem 0; }
label { display: block; font-weight: bold; margin-bottom: 0.2rem; }
select, input { font: inherit; padding: 0.3rem; border: 1px solid #5b6570; border-radius: 3px; }
table.portal { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
table.portal caption { text-align: left; font-weight: bold; padding: 0.4rem 0; }
table.portal th, table.portal td { border-bottom: 1px solid #c9d1da; padding: 0.4rem; text-align: left; vertical-align: top; }
table.portal thead th { background: #eef2f6; }
table.portal tbody th { font-weight: normal; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; color: #0b4f8a; text-decoration: underline; }
th[aria-sort=ascending] button::after { content: " ▲"; } th[aria-sort=descending] button::after { content: " ▼"; }
.id { color: #4a5360; } .s-ok { color: #0f5223; } .s-part { color: #5c3d00; } .s-bad { color: #7a1414; }
.draft { color: #5c3d00; font-weight: bold; } .partial { color: #5c3d00; }
a { color: #0b4f8a; margin-right: 0.6rem; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.empty, footer { color: #4a5360; }
.nw { white-space: nowrap; }
"""
"""The portals' style sheet (the internal portal and the published one look alike)."""


def status_pages(out: Path) -> list[str]:
    """The periods (newest first) that have a status page of the reporting round (``OUT/PERIOD/status.html``)."""
    found = [p.parent.name for p in out.glob("*/status.html") if is_period(p.parent.name)]
    return sorted(found, key=lambda per: Period.parse(per), reverse=True)


def _status_links(periods: list[str]) -> str:
    if not periods:
        return ""

    items = "".join(
        f'<li><a href="{esc(p)}/status.html">Inrapportering {esc(Period.parse(p).title)}</a></li>' for p in periods
    )
    return f"<h2>Inrapporteringens status</h2>\n<ul>{items}</ul>\n"


def render_portal(rows: list[dict[str, Any]], status: list[str] | None = None) -> str:
    """The portal page for these reports (and links to the status pages of ``status``' periods)."""
    official = [r for r in rows if r["type"] in ("report", "report_kort")]
    groups = [r for r in rows if r["type"] == "group_report" or (r["group"] and r["type"] != "study")]
    books = [r for r in rows if r["type"] == "book"]
    studies = [r for r in rows if r["type"] == "study"]
    kinds = sorted({r["kind"] for r in rows if r["kind"]})
    periods = sorted({r["period"] for r in rows if is_period(r["period"])}, key=Period.parse, reverse=True)
    types = [t for t in TYPE_LABELS if any(r["type"] == t for r in rows)]
    options = "".join(f'<option value="{esc(k)}">{esc(KIND_LABELS.get(k, k))}</option>' for k in kinds)
    period_options = "".join(f'<option value="{esc(p)}">{esc(Period.parse(p).title)}</option>' for p in periods)
    type_options = "".join(f'<option value="{esc(t)}">{esc(TYPE_LABELS[t])}</option>' for t in types)
    now = fmt.local_time(dt.datetime.now(dt.UTC))
    return f"""<!DOCTYPE html>
<html lang="sv">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rapporter – mål och måluppfyllelse</title><style>{STYLE}</style></head>
<body><main>
<h1>Rapporter – mål och måluppfyllelse</h1>
<p>Analys- och måluppfyllelserapporter per organisation och period, med tabellerna i Excel och en
kortversion på två sidor, sammanställningar per organisationstyp, rapportböcker som samlar en
organisationstyps rapporter i en PDF, inrapporteringens status och specialstudier. Måluppfyllelsen
visar antalet indikatorer per status. En rapport som gjordes innan organisationens inrapportering var
godkänd är ett utkast.</p>
<form role="search" onsubmit="return false">
<div><label for="f-period">Period</label>
<select id="f-period"><option value="">Alla</option>{period_options}</select></div>
<div><label for="f-type">Typ av rapport</label>
<select id="f-type"><option value="">Alla</option>{type_options}</select></div>
<div><label for="f-kind">Typ av organisation</label>
<select id="f-kind"><option value="">Alla</option>{options}</select></div>
<div><label for="f-name">Sök på namn</label><input id="f-name" type="search" autocomplete="off"></div>
<p id="f-count" aria-live="polite"></p>
</form>
<h2>Organisationernas rapporter</h2>
{_table(official, "Rapporter per organisation", "t-org")}
<h2>Sammanställningar</h2>
{_table(groups, "Sammanställningar per organisationstyp", "t-group")}
<h2>Rapportböcker</h2>
{_table(books, "Rapportböcker per organisationstyp", "t-book", first="Bok", summary="Innehåll", empty="inga böcker ännu")}
{_status_links(status or [])}<h2>Specialstudier</h2>
{_table(studies, "Specialstudier, per studie och organisation", "t-study", empty="inga studier")}
<footer><p>Sidan uppdaterades {esc(now)}.</p></footer>
</main>
<script>{FILTER_SCRIPT}</script>
</body></html>
"""


def write_portal(out: Path) -> Path:
    """Write ``out/index.html`` from the reports on disk; return its path."""
    out = Path(out)
    index = out / "index.html"
    atomic_write_text(index, render_portal(collect(out), status_pages(out)))
    return index
