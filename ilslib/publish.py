"""``ils publish``: the external portal, the approved reports of a period and nothing else.

External readers (politicians' offices, the public) see only the published
portal. :func:`publish` builds it from the produced reports (``outputs/``):

- an organisation's report (``report.html``, ``report.pdf``, ``report.xlsx``;
  the short version ``report-kort.*``) when its reporting is approved
  (``godkand``) now AND the report was made in that state from the data as it
  is now: the runner records in each report's state the round state it was
  made in (:func:`ilslib.round.state.round_meta`, read through the warehouse, so it is one of the
  report's recorded reads), and every recorded read must still return the same
  rows. An approved organisation whose report is older than its approval (or
  than its data) is named: run ``ils run`` first;
- a group report once every organisation of its kind is approved (or with
  ``allow_partial``, with a notice on the report naming those that are not);
- the board's book of a kind whose every organisation is approved and
  published, bound after the last of those reports was made;
- ``figures.json`` only with ``with_data``. Never an executed notebook, a
  study, a run log, a manifest, a state file or a draft: the published tree
  holds only the files copied here.

The tree is built aside and switched in one step (Linux ``renameat2``), so a
reader sees the old publication or the new one. Other periods already
published stay as they were; publishing a period again replaces that period
(a new approval adds its report, an approval undone removes it).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import fmt, identifiers
from .contract import ORG_KINDS
from .errors import ConfigError
from .fmt import MISSING
from .fsutil import SCRATCH_SUFFIX, cannot_write
from .periods import Period, is_period, period_order
from .warehouse import Warehouse

GENERATOR = "ils publish"
"""The ``<meta name="generator">`` of a published portal's index (how ``ils publish`` and ``ils serve`` know one)."""
ORG_FILES = ("report.html", "report.pdf", "report.xlsx", "report-kort.html", "report-kort.pdf", "report-kort.xlsx")
GROUP_FILES = ("report.html", "report.pdf", "report.xlsx")
BOOK_FILES = ("book.html", "book.pdf")
DATA_FILE = "figures.json"
KORT_NOTEBOOK = "report_kort"
KORT_STEM = "report-kort"
PARTIAL_CLASS = "ils-partial"


# -- what the runner records ----------------------------------------------------------------------------


@dataclass
class Item:
    """One published report (or book): what it is and the files it brings."""

    kind: str  # "org", "group", "book"
    key: str  # org id, or organisation kind
    name: str
    org_kind: str
    period: str
    files: dict[str, Path]  # published name -> source
    partial: list[str] = field(default_factory=list)  # a group report's organisations not approved

    @property
    def rel(self) -> str:
        """Its directory in the published tree."""
        if self.kind == "org":
            return f"{self.period}/{identifiers.folder_name(self.key)}"
        return f"{self.period}/{'_grupp' if self.kind == 'group' else '_bok'}/{identifiers.folder_name(self.key)}"


@dataclass
class PublishResult:
    """What ``ils publish`` published, and why the rest was not."""

    out: Path
    period: str
    items: list[Item] = field(default_factory=list)
    needs_run: list[tuple[str, str]] = field(default_factory=list)  # (what, why): approved, report not current
    not_approved: list[str] = field(default_factory=list)  # organisation ids
    skipped: list[tuple[str, str]] = field(default_factory=list)  # group reports and books left out, and why
    files: int = 0


def _state(d: Path, name: str | None = None) -> dict[str, Any]:
    from .runner.layout import STATE_FILE

    try:
        data = json.loads((d / (name or STATE_FILE)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class _Reads:
    """Whether a report's recorded reads still return what they returned (one query per distinct read)."""

    def __init__(self, wh: Warehouse):
        self.wh = wh
        self.fresh: dict[tuple[str, str], str] = {}

    def current(self, state: dict[str, Any]) -> bool:
        reads = state.get("reads")
        if not isinstance(reads, list):
            return False
        for r in reads:
            if not (isinstance(r, list) and len(r) == 3 and isinstance(r[0], str) and isinstance(r[1], list)):
                return False
            key = (r[0], json.dumps(r[1], sort_keys=True, ensure_ascii=False))
            if key not in self.fresh:
                self.fresh[key] = self.wh.read_digest(r[0], r[1])
            if self.fresh[key] != str(r[2]):
                return False
        return True


def _finished(state: dict[str, Any]) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(state.get("finished_at")))
    except ValueError:
        return None


def _check_dirs(reports: Path, out: Path) -> None:
    if not reports.is_dir():
        raise ConfigError(f"--reports: {reports} is not a directory (produce the reports with ils run first)")
    r, o = reports.resolve(), out.resolve()
    if o == r or r in o.parents or o in r.parents:
        raise ConfigError(
            f"--out {out} and --reports {reports} overlap: the published portal goes in a directory of its own"
        )
    if out.exists():
        if not out.is_dir():
            raise ConfigError(f"--out {out} is not a directory")
        if any(out.iterdir()) and not is_published(out):
            raise ConfigError(
                f"--out {out} is neither empty nor a portal made by ils publish (its index.html says so): "
                "give a new or empty directory, nothing in it is replaced"
            )


def is_published(directory: Path) -> bool:
    """True when ``directory`` holds a portal made by ``ils publish`` (its ``index.html`` says so)."""
    try:
        with open(Path(directory) / "index.html", encoding="utf-8", errors="replace") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}' in head


def plan(
    wh: Warehouse,
    period: str,
    reports: Path,
    *,
    allow_partial: bool = False,
    with_data: bool = False,
) -> PublishResult:
    """What would be published for ``period`` from ``reports`` (nothing is written)."""
    from . import figures
    from .round.state import states
    from .runner.layout import GROUP_DIR, state_file

    result = PublishResult(Path(), period)
    orgs = figures.organisations(wh)
    names = dict(zip(orgs["org_id"], orgs["name"], strict=True))
    kinds = dict(zip(orgs["org_id"], orgs["kind"], strict=True))
    now = states(wh, period)
    reads = _Reads(wh)
    base = reports / period
    published_at: dict[str, dt.datetime | None] = {}

    def usable(
        d: Path, notebook: str, *, state_name: str | None = None, **meta: Any
    ) -> tuple[dict[str, Any] | None, str | None]:
        """The state of a report made by ``notebook`` with ``meta``, or why it cannot be published."""
        st = _state(d, state_name)
        m = st.get("meta") or {}
        if not st or st.get("status") != "done" or m.get("notebook") != notebook or m.get("period") != period:
            return None, "no report made (ils run)"
        if any(m.get(k) != v for k, v in meta.items()):
            return None, "no report made (ils run)"
        return st, None

    for org in sorted(names, key=str):
        if now.get(org) != "godkand":
            continue
        d = base / identifiers.folder_name(org)
        st, why = usable(d, "report", org_id=org)
        if st is None:
            result.needs_run.append((org, "approved, but there is no report: run ils run"))
            continue
        if (st.get("meta") or {}).get("round_state") != "godkand":
            result.needs_run.append((org, "approved after its report was made (the report is a draft): run ils run"))
            continue
        if not reads.current(st):
            result.needs_run.append((org, "its data changed after its report was made: run ils run"))
            continue
        files = {n: d / n for n in ORG_FILES if (d / n).is_file() and not n.startswith(KORT_STEM + ".")}
        if with_data and (d / DATA_FILE).is_file():
            files[DATA_FILE] = d / DATA_FILE
        if "report.html" not in files and "report.pdf" not in files:
            result.needs_run.append((org, "its report has no HTML or PDF: run ils run --format html,pdf"))
            continue
        # The short version beside it (report-kort.*, its own state): published when made in the approved state
        # from the data as it is now, like the report.
        kst, _ = usable(d, KORT_NOTEBOOK, state_name=state_file(KORT_STEM), org_id=org)
        if kst is not None and (kst.get("meta") or {}).get("round_state") == "godkand" and reads.current(kst):
            files.update({n: d / n for n in ORG_FILES if n.startswith(KORT_STEM + ".") and (d / n).is_file()})
        elif kst is not None:  # the report is published without it: say so
            result.needs_run.append(
                (f"{org} (short version)", "made before the approval or the latest data: run ils run --audience kort")
            )
        published_at[org] = _finished(st)
        result.items.append(Item("org", org, str(names[org]), str(kinds[org]), period, files))

    gdir = base / GROUP_DIR
    for kind in (
        sorted(p.name for p in gdir.iterdir() if p.is_dir() and not p.name.startswith(".")) if gdir.is_dir() else []
    ):
        members = [o for o in names if kinds[o] in figures.group_kinds(kind)] if kind in ORG_KINDS else []
        st, why = usable(gdir / kind, "group_report", kind=kind)
        label = f"the group report of {kind}"
        if st is None or not members:
            continue
        missing = [o for o in members if now.get(o) != "godkand"]
        if missing and not allow_partial:
            result.skipped.append(
                (label, f"{len(members) - len(missing)} of {len(members)} approved (--allow-partial publishes it "
                        "with a notice naming the others)")
            )  # fmt: skip
            continue
        recorded = (st.get("meta") or {}).get("round_states")
        if (
            not isinstance(recorded, dict)
            or any((recorded.get(o) == "godkand") != (now.get(o) == "godkand") for o in members)
            or not reads.current(st)
        ):
            result.needs_run.append((label, "made before the latest approvals or data: run ils run"))
            continue
        files = {n: gdir / kind / n for n in GROUP_FILES if (gdir / kind / n).is_file()}
        if with_data and (gdir / kind / DATA_FILE).is_file():
            files[DATA_FILE] = gdir / kind / DATA_FILE
        name = str((st.get("meta") or {}).get("name") or f"Mål och måluppfyllelse – {kind}")
        partial = [f"{names[o]} ({o})" for o in sorted(missing, key=lambda x: str(names[x]).lower())]
        result.items.append(Item("group", kind, name, kind, period, files, partial))
        published_at[f"_grupp/{kind}"] = _finished(st)

    from .report.book import BOOK_DIR

    bdir = base / BOOK_DIR
    for kind in sorted(p.name for p in bdir.iterdir() if p.is_dir()) if bdir.is_dir() else []:
        files = {n: bdir / kind / n for n in BOOK_FILES if (bdir / kind / n).is_file()}
        if not files:
            continue
        label = f"the book of {kind}"
        members = [o for o in names if kinds[o] in figures.group_kinds(kind)] if kind in ORG_KINDS else []
        published = {i.key for i in result.items if i.kind == "org"}
        group = next((i for i in result.items if i.kind == "group" and i.key == kind), None)
        if not members or any(o not in published for o in members) or group is None or group.partial:
            result.skipped.append((label, "not every organisation of the kind is approved and published"))
            continue
        made = min(dt.datetime.fromtimestamp(p.stat().st_mtime).astimezone() for p in files.values())
        latest = [published_at.get(o) for o in members] + [published_at.get(f"_grupp/{kind}")]
        if any(t is None or t > made for t in latest):
            result.needs_run.append(
                (label, f"bound before the latest reports: run ils book --period {period} --kind {kind}")
            )
            continue
        from .fmt import KIND_PLURAL

        result.items.append(Item("book", kind, f"Rapportbok – {KIND_PLURAL.get(kind, kind)}", kind, period, files))
    result.not_approved = sorted(o for o in names if now.get(o) != "godkand" and kinds[o] in _reporting())
    return result


def _reporting() -> tuple[str, ...]:
    from .settings import REPORTING_KINDS

    return tuple(REPORTING_KINDS)


# -- the partial notice ----------------------------------------------------------------------------------


def _partial_text(missing: list[str], *, markup: bool = True) -> str:
    """The notice's words; with ``markup`` as HTML (escaped, "Observera:" in bold), else plain text."""
    listed = ", ".join(html.escape(m) if markup else m for m in missing)
    return (
        ("<strong>Observera:</strong>" if markup else "Observera:")
        + " sammanställningen publicerades innan alla organisationers inrapportering "
        f"var godkänd. Inte godkända: {listed}. Deras uppgifter är utkast och kan ändras."
    )


def partial_notice(missing: list[str]) -> str:
    """The notice a group report published before every organisation was approved carries (Swedish)."""
    return (
        f'<aside class="{PARTIAL_CLASS}" role="note" style="border:2px solid #8a5a00;padding:0.6rem 0.8rem;'
        f'margin:0 0 1rem;background:#fff8e6;color:#1b1f24"><p>{_partial_text(missing)}</p></aside>'
    )


# Attributes in any order: the page has been through nbconvert, which sorts them.
_DRAFT_BANNER = re.compile(r'<div\b[^>]*\bclass="draft-banner"[^>]*>\s*<p class="draft-title">.*?</p>', re.DOTALL)


def with_notice(page: str, missing: list[str]) -> str:
    """``page`` saying it was published before every organisation was approved.

    A group report with organisations not approved already opens with its draft banner (which names
    them): the notice becomes a paragraph of that banner, so the reader sees one note, not two
    similar ones. Otherwise :func:`partial_notice` goes first in ``<main>`` (else after ``<body>``).
    """
    m = _DRAFT_BANNER.search(page)
    if m:
        return page[: m.end()] + f'<p class="{PARTIAL_CLASS}">{_partial_text(missing)}</p>' + page[m.end() :]
    notice = partial_notice(missing)
    for pattern in (r"<main\b[^>]*>", r"<body\b[^>]*>"):
        m = re.search(pattern, page, flags=re.IGNORECASE)
        if m:
            return page[: m.end()] + notice + page[m.end() :]
    return notice + page


# -- building the tree -----------------------------------------------------------------------------------


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def _carry_over(old: Path, new: Path, period: str) -> None:
    """Every other period of the current publication into the new tree (hard links: nothing is copied)."""
    if not old.is_dir():
        return
    for entry in old.iterdir():
        if entry.name == period or entry.name.startswith(".") or not entry.is_dir():
            continue
        for src in entry.rglob("*"):
            if src.is_file() and not any(p.startswith(".") for p in src.relative_to(old).parts):
                dst = new / src.relative_to(old)
                dst.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)


def _switch(new: Path, out: Path) -> None:
    """Put the tree ``new`` in the place of ``out`` in one step where the system can."""
    from .fsutil import _exchange

    if not out.exists():
        os.rename(new, out)
        return
    if _exchange(new, out):  # new now holds the old publication
        shutil.rmtree(new, ignore_errors=True)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old" + SCRATCH_SUFFIX, dir=out.parent))
    os.rename(out, aside)
    os.rename(new, out)
    shutil.rmtree(aside, ignore_errors=True)


def publish(
    wh: Warehouse,
    period: str,
    reports: str | Path,
    out: str | Path,
    *,
    allow_partial: bool = False,
    with_data: bool = False,
) -> PublishResult:
    """Publish ``period``'s approved reports from ``reports`` into ``out`` (see the module docstring)."""
    from .figures import as_period
    from .report.excel import with_notice as workbook_notice
    from .report.render import html_to_pdf

    reports, out = Path(reports), Path(out)
    _check_dirs(reports, out)
    period = str(as_period(wh, period))
    result = plan(wh, period, reports, allow_partial=allow_partial, with_data=with_data)
    result.out = out
    scratch: Path | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=SCRATCH_SUFFIX, dir=out.parent))
        _carry_over(out, scratch, period)
        for item in result.items:
            target = scratch / item.rel
            for name, src in item.files.items():
                if item.partial and name == "report.html":
                    page = with_notice(src.read_text(encoding="utf-8"), item.partial)
                    target.mkdir(parents=True, exist_ok=True)
                    (target / name).write_text(page, encoding="utf-8")
                    if "report.pdf" in item.files:  # the PDF says it too: made again from the page with the notice
                        (target / "report.pdf").write_bytes(html_to_pdf(page))
                elif item.partial and name == "report.pdf" and "report.html" in item.files:
                    continue
                elif item.partial and name == "report.xlsx":
                    target.mkdir(parents=True, exist_ok=True)
                    (target / name).write_bytes(
                        workbook_notice(src.read_bytes(), _partial_text(item.partial, markup=False))
                    )
                else:
                    _copy(src, target / name)
                result.files += 1
        index = render_index(collect_published(wh, scratch))
        (scratch / "index.html").write_text(index, encoding="utf-8")
        os.chmod(scratch, 0o755)
        _switch(scratch, out)
        scratch = None
    except OSError as exc:
        raise cannot_write(out, exc) from None
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return result


# -- the public index ------------------------------------------------------------------------------------


def collect_published(wh: Warehouse | None, root: Path) -> list[dict[str, Any]]:
    """Every report of a published tree (from its directories; names and kinds from the warehouse)."""
    from .fmt import KIND_PLURAL

    names: dict[str, tuple[str, str]] = {}
    if wh is not None:
        from . import figures

        orgs = figures.organisations(wh)
        for o, n, k in zip(orgs["org_id"], orgs["name"], orgs["kind"], strict=True):
            names[identifiers.folder_name(str(o))] = (str(n), str(k))
    rows = []
    for pdir in sorted(
        (p for p in root.iterdir() if p.is_dir() and is_period(p.name)),
        key=lambda p: Period.parse(p.name),
        reverse=True,
    ):
        for d in sorted(p for p in pdir.iterdir() if p.is_dir()):
            if d.name in ("_grupp", "_bok"):
                for k in sorted(x for x in d.iterdir() if x.is_dir()):
                    files = sorted(f.name for f in k.iterdir() if f.is_file())
                    page = (
                        (k / "report.html").read_text(encoding="utf-8", errors="replace")
                        if "report.html" in files
                        else ""
                    )
                    title = (
                        f"Mål och måluppfyllelse – {KIND_PLURAL.get(k.name, k.name)}"
                        if d.name == "_grupp"
                        else f"Rapportbok – {KIND_PLURAL.get(k.name, k.name)}"
                    )
                    rows.append(
                        {
                            "dir": f"{pdir.name}/{d.name}/{k.name}",
                            "name": title,
                            "org_id": "",
                            "kind": k.name,
                            "period": pdir.name,
                            "type": "group" if d.name == "_grupp" else "book",
                            "files": files,
                            "partial": PARTIAL_CLASS in page,
                        }
                    )
                continue
            name, kind = names.get(d.name, (d.name, ""))
            rows.append(
                {
                    "dir": f"{pdir.name}/{d.name}",
                    "name": name,
                    "org_id": d.name,
                    "kind": kind,
                    "period": pdir.name,
                    "type": "org",
                    "files": sorted(f.name for f in d.iterdir() if f.is_file()),
                    "partial": False,
                }
            )
    return rows


FILE_LABELS = {
    "report.html": "Rapport (webbsida)",
    "report.pdf": "Rapport (PDF)",
    "report.xlsx": "Tabeller (Excel)",
    "report-kort.html": "Kortversion (webbsida)",
    "report-kort.pdf": "Kortversion (PDF)",
    "report-kort.xlsx": "Kortversion (Excel)",
    "book.pdf": "Rapportbok (PDF)",
    "book.html": "Rapportbok (webbsida)",
    "figures.json": "Nyckeltal (JSON)",
}
TYPE_LABELS = {"org": "Rapport", "group": "Sammanställning", "book": "Rapportbok"}


def render_index(rows: Iterable[dict[str, Any]]) -> str:
    """The public portal's ``index.html``: Swedish, self-contained, filter by period, kind, type and name."""
    from . import __version__
    from .fmt import KIND_LABELS
    from .runner.portal import FILTER_SCRIPT, STYLE

    rows = list(rows)
    e = html.escape
    periods = sorted({r["period"] for r in rows}, key=period_order, reverse=True)
    kinds = sorted({r["kind"] for r in rows if r["kind"]})
    types = [t for t in TYPE_LABELS if any(r["type"] == t for r in rows)]

    def options(values: list[str], label: Any) -> str:
        return "".join(f'<option value="{e(v)}">{e(label(v))}</option>' for v in values)

    def table(part: list[dict[str, Any]], caption: str, table_id: str) -> str:
        if not part:
            return f'<p class="empty">{e(caption)}: inga publicerade ännu.</p>'
        body = []
        for r in sorted(part, key=lambda r: (period_order(r["period"]), r["name"].lower())):
            links = " ".join(
                f'<a href="{e(r["dir"])}/{e(f)}">{e(FILE_LABELS[f])}<span class="sr"> – {e(r["name"])}, '
                f"{e(r['period'])}</span></a>"
                for f in FILE_LABELS
                if f in r["files"]
            )
            note = ' <span class="partial">(inte alla organisationer godkända)</span>' if r["partial"] else ""
            kind_label = KIND_LABELS.get(r["kind"], r["kind"])
            body.append(
                f'<tr data-kind="{e(r["kind"])}" data-period="{e(r["period"])}" data-type="{e(r["type"])}" '
                f'data-name="{e(r["name"].lower())}">'
                f'<th scope="row" data-v="{e(r["name"])}">{e(r["name"])}{note}</th>'
                f'<td data-v="{e(kind_label)}">{e(kind_label)}</td>'
                f'<td class="nw" data-v="{e(r["period"])}">{e(Period.parse(r["period"]).title)}</td>'
                f"<td>{links or MISSING}</td></tr>"
            )
        return (
            f'<table id="{table_id}" class="portal"><caption>{e(caption)}</caption><thead><tr>'
            '<th scope="col" aria-sort="none"><button type="button" data-col="0" data-key="name">Namn</button></th>'
            '<th scope="col" aria-sort="none"><button type="button" data-col="1" data-key="kind">Typ</button></th>'
            '<th scope="col" aria-sort="none"><button type="button" data-col="2" data-key="period">Period</button></th>'
            f'<th scope="col">Filer</th></tr></thead><tbody>{"".join(body)}</tbody></table>'
        )

    orgs = [r for r in rows if r["type"] == "org"]
    groups = [r for r in rows if r["type"] != "org"]
    now = fmt.local_time(dt.datetime.now(dt.UTC))
    return f"""<!DOCTYPE html>
<html lang="sv">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{GENERATOR} (ilslib {e(__version__)})">
<title>Publicerade rapporter – mål och måluppfyllelse</title><style>{STYLE}</style></head>
<body><main>
<h1>Publicerade rapporter – mål och måluppfyllelse</h1>
<p>Nämndernas och bolagens godkända rapporter om mål och måluppfyllelse, per period, och sammanställningarna
per organisationstyp. Här finns bara rapporter vars inrapportering är godkänd.</p>
<form role="search" onsubmit="return false">
<div><label for="f-period">Period</label>
<select id="f-period"><option value="">Alla</option>{options(periods, lambda p: Period.parse(p).title)}</select></div>
<div><label for="f-kind">Typ av organisation</label>
<select id="f-kind"><option value="">Alla</option>{options(kinds, lambda k: KIND_LABELS.get(k, k))}</select></div>
<div><label for="f-type">Typ av rapport</label>
<select id="f-type"><option value="">Alla</option>{options(types, lambda t: TYPE_LABELS[t])}</select></div>
<div><label for="f-name">Sök på namn</label><input id="f-name" type="search" autocomplete="off"></div>
<p id="f-count" aria-live="polite"></p>
</form>
<h2>Organisationernas rapporter</h2>
{table(orgs, "Godkända rapporter per organisation", "t-org")}
<h2>Sammanställningar och rapportböcker</h2>
{table(groups, "Sammanställningar per organisationstyp", "t-group")}
<footer><p>Publicerad {e(now)}.</p></footer>
</main>
<script>{FILTER_SCRIPT}</script>
</body></html>
"""
