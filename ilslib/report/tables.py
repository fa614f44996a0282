"""The report's tables and blocks, shared by every notebook that shows the same figures.

Each function takes the DataFrame (or row) that an :mod:`ilslib.figures`
function returned and gives :class:`~ilslib.report.present.Html`: Swedish
labels, Swedish number formats, status as symbol and word (colour only adds
to it), and every text from the data escaped.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .. import fmt
from ..fmt import KIND_LABELS, KIND_PLURAL, MONTH_NAMES  # noqa: F401  (the notebooks use t.KIND_PLURAL ...)
from .present import Html, bullet_list, esc, heading, join, paragraph, table, tag, text_block

LEVEL_LABELS = {
    "vision": "Vision",
    "inriktningsmal": "Inriktningsmål",
    "kf_mal": "KF:s mål",
    "namndmal": "Nämndmål",
    "bolagsmal": "Bolagsmål",
}
DIRECTION_LABELS = {"higher": "Högre är bättre", "lower": "Lägre är bättre"}
SOURCE_LABELS = {"KF": "KF", "own": "Egen"}
LOAD_OUTCOMES = {"ok": "Genomförd", "rejected": "Avvisad", "failed": "Misslyckad"}
TARGET_TYPE_LABELS = {"annual": "årsmål", "T1": "tertialmål", "T2": "tertialmål", "BO": "mål för bokslut"}


def missing(x: Any) -> bool:
    """True for None, NaN and pandas' NA."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def status_badge(code: Any) -> Html:
    """An indicator status as symbol and word in a badge; empty where there is no status (budget)."""
    if missing(code):
        return Html("")
    return tag("span", fmt.status(code), class_=f"status status-{code}")


def assessment_badge(code: Any) -> Html:
    """An organisation's judgement as symbol and word; ``– Ej bedömt`` where none was given."""
    key = "ej_bedomt" if missing(code) or code == "saknas" else code
    return tag("span", fmt.assessment(None if key == "ej_bedomt" else code), class_=f"status status-{key}")


def kpis(items: list[tuple[str, str]]) -> Html:
    """Headline figures as a list of label/value boxes."""
    lis = "".join(
        f'<li><span class="label">{esc(label)}</span><span class="value">{esc(value)}</span></li>'
        for label, value in items
    )
    return Html(f'<ul class="kpis">{lis}</ul>')


def status_counts(statuses: pd.Series) -> dict[str, int]:
    """How many of each status (``uppfyllt`` ... ``ej_malsatt``), zeros included."""
    counts = statuses.value_counts(dropna=True).to_dict() if len(statuses) else {}
    return {k: int(counts.get(k, 0)) for k in fmt.STATUS}


def status_count_table(counts: dict[str, int], *, caption: str) -> Html:
    """A small table: status (symbol and word) and how many indicators have it."""
    rows = pd.DataFrame({"status": list(counts), "antal": list(counts.values())})
    return table(
        rows,
        caption=caption,
        columns={"status": "Status", "antal": "Antal indikatorer"},
        formats={"status": status_badge, "antal": fmt.number},
        numeric={"antal"},
        row_header="status",
    )


def assessment_count_table(assessments: pd.Series, *, caption: str) -> Html:
    """A small table: how many of the organisation's goals it judged met, partly met, not met, or not at all."""
    codes = ["uppfyllt", "delvis", "ej_uppfyllt"]
    counts = {c: int((assessments == c).sum()) for c in codes}
    counts["saknas"] = int(len(assessments) - sum(counts.values()))
    rows = pd.DataFrame({"bedomning": list(counts), "antal": list(counts.values())})
    return table(
        rows,
        caption=caption,
        columns={"bedomning": "Bedömning", "antal": "Antal mål"},
        formats={"bedomning": assessment_badge, "antal": fmt.number},
        numeric={"antal"},
        row_header="bedomning",
    )


def _value(row: dict[str, Any], col: str) -> str:
    dec = 1 if missing(row.get("decimals")) else int(row["decimals"])
    unit = row.get("unit")
    return fmt.value(row.get(col), None if missing(unit) else str(unit), dec)


def indicator_table(df: pd.DataFrame, *, caption: str, with_status: bool = True, gender: bool = True) -> Html:
    """The indicator table: value, target, status, women/men, last year, change."""
    if df.empty:
        return paragraph(f"{caption}: inga indikatorer följs upp i perioden.", class_="empty")
    rows = []
    for r in df.to_dict("records"):
        dec = 1 if missing(r.get("decimals")) else int(r["decimals"])
        target = _value(r, "target")
        if not missing(r.get("target")) and r.get("target_type") not in (None, "annual"):
            target += f" ({TARGET_TYPE_LABELS.get(r['target_type'], r['target_type'])})"
        rows.append(
            {
                "name": Html(
                    f'{esc(r["name"])}<br><span class="sub">{esc(DIRECTION_LABELS.get(r.get("direction"), ""))}</span>'
                ),
                "value": _value(r, "value"),
                "target": target,
                "status": r.get("status"),
                "kvinnor": _value(r, "value_k") if not missing(r.get("value_k")) else "",
                "man": _value(r, "value_m") if not missing(r.get("value_m")) else "",
                "last": _value(r, "last_year_value"),
                "change": fmt.signed(r.get("change"), dec),
            }
        )
    cols = {"name": "Indikator", "value": "Utfall", "target": "Mål"}
    if with_status:
        cols["status"] = "Status"
    if gender and (df["value_k"].notna().any() or df["value_m"].notna().any()):
        cols.update({"kvinnor": "Kvinnor", "man": "Män"})
    if with_status:
        cols.update({"last": "I fjol", "change": "Förändring"})
    return table(
        pd.DataFrame(rows),
        caption=caption,
        columns=cols,
        row_header="name",
        formats={"status": status_badge},
        numeric={"value", "target", "kvinnor", "man", "last", "change"},
    )


def _annual(r: dict[str, Any]) -> str:
    """The column holding an indicator's annual target (``target`` when there is no ``annual_target``)."""
    return "annual_target" if not missing(r.get("annual_target")) else "target"


def target_table(df: pd.DataFrame, *, caption: str) -> Html:
    """The plan (budget): each indicator with its annual target, tertial targets and partial limit."""
    if df.empty:
        return paragraph(f"{caption}: inga indikatorer har mål för året.", class_="empty")
    rows = [
        {
            "name": r["name"],
            "direction": DIRECTION_LABELS.get(r.get("direction"), ""),
            "frequency": "Tertial" if r.get("frequency") == "tertial" else "År",
            "source": SOURCE_LABELS.get(r.get("source"), r.get("source")),
            "target": _value(r, _annual(r)),
            "partial": _value(
                r, "annual_partial_limit" if not missing(r.get("annual_partial_limit")) else "partial_limit"
            ),
        }
        for r in df.to_dict("records")
    ]
    return table(
        pd.DataFrame(rows),
        caption=caption,
        row_header="name",
        numeric={"target", "partial"},
        columns={
            "name": "Indikator",
            "source": "Källa",
            "frequency": "Följs upp",
            "direction": "Riktning",
            "target": "Årsmål",
            "partial": "Gräns för delvis uppfyllt",
        },
    )


def goal_blocks(goals: pd.DataFrame, indicators: pd.DataFrame, tree: pd.DataFrame, *, with_status: bool = True) -> Html:
    """Goals and fulfilment: per KF goal, the organisation's own goals with judgement, comment and indicators."""
    own = goals[goals["own"]] if "own" in goals else goals
    # The city's vision and direction goals (the kommun's own) are shown in the goal tree; they get a
    # block here only when they were judged or have indicators.
    above_kf = own["level"].isin(["vision", "inriktningsmal"]) & own["assessment"].isna()
    if not indicators.empty:
        above_kf &= ~own["goal_id"].isin(indicators["goal_id"])
    own = own[~above_kf]
    if own.empty:
        return paragraph("Organisationen har inga egna mål för perioden.", class_="empty")
    titles = dict(zip(tree["goal_id"], tree["title"], strict=True)) if not tree.empty else {}
    parts: list[Any] = []
    # KF goals in the goal tree's order (KF2 before KF10), goals without one last
    position = {g: i for i, g in enumerate(tree["goal_id"])} if not tree.empty else {}
    groups = sorted(
        own.groupby(own["kf_goal_id"].fillna(""), sort=False),
        key=lambda kv: (kv[0] == "", position.get(kv[0], len(position)), kv[0]),
    )
    for kf_id, group in groups:
        kf_title = titles.get(kf_id) or "Mål utan koppling till KF:s mål"
        parts.append(
            heading(f"KF:s mål: {kf_title}" if kf_id else kf_title, 3, id=f"kf-{kf_id}" if kf_id else "mal-utan-kf")
        )
        # the KF goal itself (the kommun's own) first, under the heading that already names it
        for g in sorted(group.to_dict("records"), key=lambda g: g["goal_id"] != kf_id):
            inds = indicators[indicators["goal_id"] == g["goal_id"]] if not indicators.empty else indicators
            block: list[Any] = [] if g["goal_id"] == kf_id else [heading(g["title"], 4, id=f"mal-{g['goal_id']}")]
            if with_status:
                block.append(
                    Html(f"<p><strong>Organisationens bedömning:</strong> {assessment_badge(g.get('assessment'))}</p>")
                )
                if bool(g.get("divergence")):
                    note = g.get("divergence_note") or "Bedömningen avviker från indikatorernas utfall."
                    block.append(Html(f'<p class="flag">⚠ Observera: {esc(note)}</p>'))
                block.append(text_block(g.get("comment"), empty="Ingen kommentar till bedömningen."))
            if not inds.empty:
                if with_status:
                    items = [
                        Html(
                            f"{esc(r['name'])}: {esc(_value(r, 'value'))} (mål {esc(_value(r, 'target'))}) "
                            f"{status_badge(r['status'])}"
                        )
                        for r in inds.to_dict("records")
                    ]
                else:  # the plan: no outcomes yet, only the targets
                    items = [f"{r['name']}: årsmål {_value(r, _annual(r))}" for r in inds.to_dict("records")]
                block.append(paragraph("Indikatorer som mäter målet:", class_="intro") + bullet_list(items))
            else:
                block.append(paragraph("Inga indikatorer är kopplade till målet i perioden.", class_="note"))
            parts.append(Html('<div class="goal">' + join(block) + "</div>"))
    return join(parts)


def goal_tree_list(tree: pd.DataFrame) -> Html:
    """The goal tree as nested lists (vision, inriktningsmål, KF goals, own goals)."""
    if tree.empty:
        return paragraph("Inga mål finns för året.", class_="empty")
    html = []
    depth = -1
    for r in tree.to_dict("records"):
        d = int(r["depth"])
        while depth < d:
            html.append("<ul>")
            depth += 1
        while depth > d:
            html.append("</li></ul>")
            depth -= 1
        if html and not html[-1].endswith("<ul>"):
            html.append("</li>")
        label = LEVEL_LABELS.get(r["level"], r["level"])
        strong = "strong" if r.get("own") else "span"
        html.append(f"<li><{strong}>{esc(label)}: {esc(r['title'])}</{strong}>")
    while depth >= 0:
        html.append("</li></ul>")
        depth -= 1
    return Html('<nav aria-label="Målträd" class="goal-tree">' + "".join(html) + "</nav>")


def activity_table(df: pd.DataFrame, goal_titles: dict[str, str], *, caption: str) -> Html:
    """Activities with goal, status (word) and comment."""
    if df.empty:
        return paragraph(f"{caption}: inga aktiviteter.", class_="empty")
    rows = [
        {
            "title": r["title"],
            "goal": goal_titles.get(r.get("goal_id"), "–"),
            "period": f"{r.get('start_date') or '–'} – {r.get('end_date') or '–'}",
            "status": fmt.activity(None if missing(r.get("status")) else r["status"]),
            "comment": "" if missing(r.get("comment")) else r["comment"],
        }
        for r in df.to_dict("records")
    ]
    return table(
        pd.DataFrame(rows),
        caption=caption,
        row_header="title",
        columns={"title": "Aktivitet", "goal": "Mål", "period": "Tid", "status": "Status", "comment": "Kommentar"},
    )


def economy_table(e: dict[str, Any], *, caption: str, with_outcome: bool = True) -> Html:
    """Budget follow-up: income, costs and net, outcome against budget, and the full-year forecast."""

    def dev(a: Any, b: Any, sign: float = 1.0) -> Any:
        return None if missing(a) or missing(b) else sign * (a - b)

    rows = [
        {
            "post": "Intäkter",
            "utfall": e.get("income"),
            "budget": e.get("budget_income"),
            "avvikelse": dev(e.get("income"), e.get("budget_income")),
        },
        {
            "post": "Kostnader",
            "utfall": e.get("costs"),
            "budget": e.get("budget_costs"),
            "avvikelse": dev(e.get("costs"), e.get("budget_costs"), -1.0),
        },
        {
            "post": "Nettoresultat",
            "utfall": e.get("net"),
            "budget": e.get("budget_net"),
            "avvikelse": e.get("deviation"),
        },
    ]
    cols = {"post": "Post", "utfall": "Utfall", "budget": "Budget", "avvikelse": "Avvikelse mot budget"}
    if not with_outcome:
        cols = {"post": "Post", "budget": "Budget"}
    return table(
        pd.DataFrame(rows),
        caption=caption,
        columns=cols,
        row_header="post",
        formats={c: fmt.money for c in ("utfall", "budget", "avvikelse")},
        numeric={"utfall", "budget", "avvikelse"},
    )


def accounts_table(df: pd.DataFrame, *, caption: str) -> Html:
    """The accounts with the largest deviations."""
    if df.empty:
        return paragraph(f"{caption}: inga konton med utfall i perioden.", class_="empty")
    rows = [
        {
            "konto": f"{r['account']} {'' if missing(r.get('account_name')) else r['account_name']}".strip(),
            "typ": "Intäkt" if r["kind"] == "intakt" else "Kostnad",
            "utfall": r["outcome"],
            "budget": r["budget"],
            "avvikelse": r["deviation"],
            "pct": r["deviation_pct"],
        }
        for r in df.to_dict("records")
    ]
    return table(
        pd.DataFrame(rows),
        caption=caption,
        row_header="konto",
        columns={
            "konto": "Konto",
            "typ": "Typ",
            "utfall": "Utfall",
            "budget": "Budget",
            "avvikelse": "Avvikelse",
            "pct": "Avvikelse (%)",
        },
        formats={"utfall": fmt.money, "budget": fmt.money, "avvikelse": fmt.money, "pct": fmt.pct},
        numeric={"utfall", "budget", "avvikelse", "pct"},
    )


def personnel_items(p: dict[str, Any]) -> list[tuple[str, str]]:
    """Headline personnel figures; sick leave ``..`` when suppressed."""
    suppressed = bool(p.get("suppressed"))
    return [
        ("Antal anställda", fmt.number(p.get("headcount"))),
        ("Årsarbetare", fmt.number(p.get("fte"), 1)),
        ("Sjukfrånvaro", fmt.pct(p.get("sick_leave_pct"), suppressed=suppressed)),
    ]


def comparison_table(df: pd.DataFrame, *, caption: str, kind: str) -> Html:
    """The organisation against the others of its kind: value, rank and quartile (colour and words)."""
    if df.empty:
        return paragraph(f"{caption}: inga jämförbara nyckeltal.", class_="empty")
    rows = []
    repeated = set(df["label"][df["label"].duplicated(keep=False)])
    for r in df.to_dict("records"):
        dec = 1 if missing(r.get("decimals")) else int(r["decimals"])
        label = r["label"]
        if label in repeated and not missing(r.get("unit")):
            label = f"{label} ({r['unit']})"
        value = r["special"] if not missing(r.get("special")) else fmt.value(r["value"], r.get("unit"), dec)
        ranked = 0 if missing(r.get("ranked")) else int(r["ranked"])
        rank = "–" if missing(r.get("rank")) else f"{int(r['rank'])} av {ranked}"
        rows.append(
            {
                "label": label,
                "direction": DIRECTION_LABELS.get(r.get("direction"), ""),
                "value": value,
                "rank": rank,
                "colour": r.get("colour") or "grey",
            }
        )
    return table(
        pd.DataFrame(rows),
        caption=caption,
        row_header="label",
        columns={
            "label": "Nyckeltal",
            "direction": "Riktning",
            "value": "Värde",
            "rank": "Rang",
            "colour": f"Jämfört med {KIND_PLURAL.get(kind, kind)}",
        },
        formats={"colour": lambda c: fmt.COLOUR.get(c, "Uppgift saknas")},
        cell_class={"colour": lambda c: f"q-{c}"},
        numeric={"value", "rank"},
    )


def projection_table(df: pd.DataFrame, *, caption: str) -> Html:
    """Year-end projections, labelled as such, with how each was made."""
    if df.empty:
        return paragraph(f"{caption}: ingen prognos kan göras.", class_="empty")
    rows = [
        {
            "name": r["name"],
            "value": _value(r, "value"),
            "projected": _value(r, "projected"),
            "target": _value(r, "annual_target"),
            "status": r.get("status"),
            "note": r.get("note") or "",
        }
        for r in df.to_dict("records")
    ]
    return table(
        pd.DataFrame(rows),
        caption=caption,
        row_header="name",
        columns={
            "name": "Indikator",
            "value": "Utfall hittills",
            "projected": "Prognos helår",
            "target": "Årsmål",
            "status": "Prognostiserad status",
            "note": "Så har prognosen gjorts",
        },
        formats={"status": status_badge},
        numeric={"value", "projected", "target"},
    )


def loads_table(df: pd.DataFrame, *, caption: str) -> Html:
    """The latest data loads (provenance)."""
    if df.empty:
        return paragraph("Inga inläsningar är registrerade i lagret.", class_="note")
    rows = [
        {
            "when": local_time(r.get("finished_at") or r.get("started_at")),
            "who": r.get("user_name") or "",
            "source": r.get("source") or "",
            "rows": r.get("rows_inserted"),
            "outcome": LOAD_OUTCOMES.get(r.get("outcome") or "", r.get("outcome") or "–"),
        }
        for r in df.to_dict("records")
    ]
    return table(
        pd.DataFrame(rows),
        caption=caption,
        row_header="when",
        columns={"when": "Inläst", "who": "Av", "source": "Källa", "rows": "Nya rader", "outcome": "Utfall"},
        formats={"rows": fmt.number},
        numeric={"rows"},
    )


def finite(x: Any) -> bool:
    """True for a real, finite number."""
    return not missing(x) and isinstance(x, (int, float)) and math.isfinite(float(x))


def swedish_date(d: Any) -> str:
    """``22 november 2026``."""
    return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


def local_time(iso: Any, zone: str = "Europe/Stockholm") -> str:
    """An ISO timestamp as Swedish local time, ``2026-11-22 12:36``; ``–`` when there is none."""
    import datetime as dt

    if missing(iso) or not str(iso).strip():
        return "–"
    try:
        t = dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    if t.tzinfo is not None:
        try:
            from zoneinfo import ZoneInfo

            t = t.astimezone(ZoneInfo(zone))
        except Exception:  # no time zone data on this machine: say it is UTC
            return t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return t.strftime("%Y-%m-%d %H:%M")


def cover(org: Any, per: Any, today: Any) -> Html:
    """The cover: kind, report name, organisation, period, controller, date."""
    from .present import definition_list

    return Html(
        '<header class="cover">'
        + paragraph(KIND_LABELS.get(org.kind, org.kind), class_="kind")
        + heading(f"{per.title}", 1, id="rapport")
        + tag("p", org.name, class_="org-name")
        + definition_list(
            [
                ("Organisation", f"{org.name} ({org.org_id})"),
                ("Ingår i", org.parent_name or "–"),
                ("Period", f"{per.title} ({per})"),
                ("Controller", org.controller or "–"),
                ("Rapportdatum", swedish_date(today)),
            ]
        )
        + "</header>"
    )


def main_indicators(df: pd.DataFrame, n: int) -> list[str]:
    """The indicators to chart: those not met first, then partly met, then the rest (at most ``n``)."""
    if df.empty:
        return []
    order = {"ej_uppfyllt": 0, "delvis": 1, "uppfyllt": 2}
    ranked = df.assign(_o=df["status"].map(order).fillna(3)).sort_values(["_o", "indicator_id"], kind="mergesort")
    return list(ranked["indicator_id"].head(max(0, n)))


def main_deviations(df: pd.DataFrame) -> Html:
    """A sentence and a list naming the indicators that are not met."""
    bad = df[df["status"] == "ej_uppfyllt"]
    if bad.empty:
        return paragraph("Inga indikatorer har status ej uppfyllt i perioden.")
    items = [f"{r['name']}: {_value(r, 'value')} mot målet {_value(r, 'target')}" for r in bad.to_dict("records")]
    return paragraph("Indikatorer som inte uppfyller målet:", class_="intro") + bullet_list(items)


def deviation_table(df: pd.DataFrame) -> Html:
    """Indicators not met or partly met, with their comments."""
    if df.empty:
        return paragraph("Inga indikatorer avviker från målen i perioden.")
    rows = [
        {
            "name": r["name"],
            "value": _value(r, "value"),
            "target": _value(r, "target"),
            "status": r["status"],
            "comment": "" if missing(r.get("comment")) else r["comment"],
        }
        for r in df.to_dict("records")
    ]
    return table(
        pd.DataFrame(rows),
        caption="Indikatorer som avviker från målet",
        row_header="name",
        columns={"name": "Indikator", "value": "Utfall", "target": "Mål", "status": "Status", "comment": "Kommentar"},
        formats={"status": status_badge},
        numeric={"value", "target"},
    )


def forecast_text(e: dict[str, Any], per: Any) -> Html:
    """The full-year forecast in a sentence (or that there is none)."""
    if missing(e.get("forecast_net")):
        return paragraph(
            f"Ingen helårsprognos är lämnad för {MONTH_NAMES[per.last_month_number - 1]} {per.year}.", class_="note"
        )
    dev = e.get("forecast_deviation")
    verdict = "bättre än" if finite(dev) and dev > 0 else "sämre än" if finite(dev) and dev < 0 else "i nivå med"
    return paragraph(
        f"Helårsprognosen för nettoresultatet är {fmt.money(e['forecast_net'])}, vilket är "
        f"{fmt.money(abs(dev) if finite(dev) else None)} {verdict} budget för helåret."
        if verdict != "i nivå med"
        else f"Helårsprognosen för nettoresultatet är {fmt.money(e['forecast_net'])}, i nivå med budget för helåret."
    )


def personnel_note(p: dict[str, Any]) -> Html:
    """Why sick leave is ``..`` when it is suppressed; how it is computed otherwise."""
    if p.get("suppressed"):
        return paragraph(
            "Sjukfrånvaron redovisas inte (..) eftersom organisationen har färre än fem anställda.", class_="note"
        )
    return paragraph(
        "Sjukfrånvaron är summan av sjuktimmar delad med summan av schemalagda timmar under periodens månader.",
        class_="note",
    )


def about(figures: dict[str, Any], loads: pd.DataFrame, *, notebook: str) -> Html:
    """About the report: definitions, data provenance, versions."""
    from .present import definition_list

    prov = figures.get("provenance") or {}
    return join(
        [
            paragraph(
                "Definitioner: en indikator är uppfylld när utfallet når målet i indikatorns riktning, delvis "
                "uppfylld när det når gränsen för delvis uppfyllt (om ingen gräns är satt: 10 procent av målet "
                "på den ogynnsamma sidan) och annars ej uppfylld. Budgetavvikelse är nettoresultatet minus "
                "budgeterat nettoresultat (positivt är bättre än budget); i procent av budgeterade kostnader. "
                "Sjukfrånvaro är sjuktimmar delat med schemalagda timmar. Saknade uppgifter visas som -, "
                "aldrig som noll."
            ),
            loads_table(loads, caption="Senaste inläsningar av data"),
            definition_list(
                [
                    ("Datats kontrollsumma", prov.get("data_hash") or "–"),
                    ("Rapportmall", f"{notebook}.ipynb"),
                    ("Programversion", f"ilslib {prov.get('ilslib_version') or '–'}"),
                    ("Skapad", local_time(prov.get("generated_at"))),
                    ("Dataavtal", f"version {figures.get('contract_version')}"),
                ]
            ),
        ]
    )
