"""The report's tables and blocks, shared by every notebook that shows the same figures.

Each table function takes the DataFrame (or dict) that :mod:`ilslib.figures` (or
the report context) gives and returns a :class:`~ilslib.report.model.Table`: the
one definition of that table (caption, sheet name, columns, header units, cell
formats) from which both the HTML and the sheet of ``report.xlsx`` are made.
Swedish labels and number formats; status as symbol and word (colour only adds
to it); amounts in kr, tkr or mnkr by size with the unit in the header; every
text from the data escaped. The other blocks (cover, goal blocks, headline
figures) return :class:`~ilslib.report.present.Html`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any, TypeGuard

import pandas as pd

from .. import fmt
from ..figures.economy import ECONOMY_COLUMNS
from ..fmt import KIND_LABELS, KIND_PLURAL, MONTH_NAMES
from . import model as m
from .model import Column, Table
from .present import Html, bullet_list, definition_list, esc, heading, join, paragraph, tag, text_block

if TYPE_CHECKING:
    from ..figures.context import ReportContext
    from ..figures.orgs import Organisation
    from ..periods import Period

LEVEL_LABELS = {
    "vision": "Vision",
    "inriktningsmal": "Inriktningsmål",
    "kf_mal": "KF:s mål",
    "namndmal": "Nämndmål",
    "bolagsmal": "Bolagsmål",
}
# Keyed by str | None: looked up with a row's value, which may be missing.
DIRECTION_LABELS: dict[str | None, str] = {"higher": "Högre är bättre", "lower": "Lägre är bättre"}
SOURCE_LABELS: dict[str | None, str] = {"KF": "KF", "own": "Egen"}
LOAD_OUTCOMES = {"ok": "Genomförd", "rejected": "Avvisad", "failed": "Misslyckad"}
TARGET_TYPE_LABELS = {"annual": "årsmål", "T1": "tertialmål", "T2": "tertialmål", "BO": "mål för bokslut"}
#: Shown in a women/men cell of an indicator that is not reported by gender (Kolada's "not applicable").
NO_GENDER_SPLIT = fmt.NOT_APPLICABLE
NO_GENDER_NOTE = "Kvinnor och män: . betyder att indikatorn inte redovisas uppdelad på kön."


def status_badge(code: Any) -> Html:
    """An indicator status as symbol and word in a badge; empty where there is no status (budget)."""
    cell = m.status(code)
    return cell.html if cell.html is not None else Html("")


def assessment_badge(code: Any) -> Html:
    """An organisation's judgement as symbol and word; ``– Ej bedömt`` where none was given."""
    return m.assessment(code).html or Html("")


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


def assessment_counts(assessments: pd.Series) -> dict[str | None, int]:
    """How many goals were judged met, partly met, not met, and not at all (key None)."""
    codes = ("uppfyllt", "delvis", "ej_uppfyllt")
    counts: dict[str | None, int] = {c: int((assessments == c).sum()) for c in codes}
    counts[None] = int(len(assessments) - sum(counts.values()))
    return counts


def summary_items(ctx: ReportContext) -> list[tuple[str, str]]:
    """The headline figures of a report (label, value), from a report context; shared by both versions."""
    per, econ, pers = ctx.period, ctx.economy, ctx.personnel
    u = economy_unit(econ)  # the same unit as the economy table: one amount, one way of writing it
    if not per.has_outcomes:
        return [
            ("Budgeterade intäkter", u.text(econ["budget_income"])),
            ("Budgeterade kostnader", u.text(econ["budget_costs"])),
            ("Budgeterat nettoresultat", u.text(econ["budget_net"])),
        ]
    counts = status_counts(ctx.indicators["status"])
    judged = assessment_counts(ctx.own_goals["assessment"])
    items = [
        ("Indikatorer uppfyllda", f"{counts['uppfyllt']} av {len(ctx.indicators)}"),
        ("Delvis uppfyllda", str(counts["delvis"])),
        ("Ej uppfyllda", str(counts["ej_uppfyllt"])),
        ("Mål bedömda uppfyllda", f"{judged['uppfyllt']} av {len(ctx.own_goals)}"),
        (_deviation_label(econ, per), u.text(econ["deviation"])),
    ]
    if per.is_tertial:  # the year is not over: the full-year forecast matters
        items.append(("Prognos helår mot budget", u.text(econ["forecast_deviation"])))
    items.append(("Sjukfrånvaro", fmt.pct(pers["sick_leave_pct"], suppressed=pers["suppressed"])))
    return items


def _deviation_label(econ: dict[str, Any], per: Period) -> str:
    said = booked_text(econ, per)
    return f"Budgetavvikelse t.o.m. {month_name(econ['booked_through'])}" if said else "Budgetavvikelse"


def status_count_table(counts: dict[str, int], *, caption: str) -> Table:
    """A small table: status (symbol and word) and how many indicators have it

    >>> counts = t.status_counts(f.indicators(wh, "ALN", "2026-T2")["status"])
    >>> counts
    {'uppfyllt': 1, 'delvis': 1, 'ej_uppfyllt': 1, 'saknas': 0, 'ej_malsatt': 0}
    >>> [(r["status"].text, r["antal"].text) for r in t.status_count_table(counts, caption="Status").rows][:2]
    [('✓ Uppfyllt', '1'), ('◐ Delvis uppfyllt', '1')]
    """
    rows = [{"status": m.status(code), "antal": m.count(n)} for code, n in counts.items()]
    return Table(
        "status_counts",
        caption,
        "Indikatorernas status",
        [Column("status", "Status"), Column("antal", "Antal indikatorer", numeric=True)],
        rows,
        row_header="status",
    )


def assessment_count_table(assessments: pd.Series, *, caption: str) -> Table:
    """A small table: how many of the organisation's goals it judged met, partly met, not met, or not at all."""
    rows = [
        {"bedomning": m.assessment(code), "antal": m.count(n)} for code, n in assessment_counts(assessments).items()
    ]
    return Table(
        "assessment_counts",
        caption,
        "Bedömning av målen",
        [Column("bedomning", "Bedömning"), Column("antal", "Antal mål", numeric=True)],
        rows,
        row_header="bedomning",
    )


def _dec(r: dict[str, Any]) -> int:
    return 1 if fmt.is_missing(r.get("decimals")) else int(r["decimals"])


def _unit(r: dict[str, Any]) -> str | None:
    u = r.get("unit")
    return None if fmt.is_missing(u) else str(u)


def _value(row: dict[str, Any], col: str) -> str:
    return fmt.value(row.get(col), _unit(row), _dec(row))


def _indicator_name(r: dict[str, Any]) -> m.Cell:
    sub = DIRECTION_LABELS.get(r.get("direction"), "")
    return m.html_text(str(r["name"]), Html(f'{esc(r["name"])}<br><span class="sub">{esc(sub)}</span>'))


def _gender(r: dict[str, Any], col: str) -> m.Cell:
    if fmt.is_missing(r.get("value_k")) and fmt.is_missing(r.get("value_m")):
        return m.value(None, None, 0, special=NO_GENDER_SPLIT)
    return m.value(r.get(col), _unit(r), _dec(r))


def indicator_table(df: pd.DataFrame, *, caption: str, with_status: bool = True, gender: bool = True) -> Table:
    """The indicator table: outcome, target, status, women/men, last year, change (a percentage in p.e.)

    ``df`` is :func:`ilslib.figures.indicators`' frame. Every text is escaped, a
    status is symbol and word, a value carries its unit, ``.`` marks an indicator
    not reported by gender.

    >>> tbl = t.indicator_table(f.indicators(wh, "ALN", "2026-T2"), caption="Indikatorer, tertial 2")
    >>> [c.header for c in tbl.columns][:8]
    ['Indikator', 'Id', 'Enhet', 'Riktning', 'Utfall', 'Mål', 'Måltyp', 'Status']
    >>> row = tbl.rows[0]
    >>> row["value"].text, row["target"].text, row["status"].text, row["kvinnor"].text
    ('100,0\xa0%', '95,0\xa0%', '✓ Uppfyllt', '.')
    >>> "<caption>Indikatorer, tertial 2</caption>" in tbl.html()
    True
    """
    rows = []
    for r in m.records(df):
        unit, dec = _unit(r), _dec(r)
        target = m.value(r.get("target"), unit, dec)
        if not fmt.is_missing(r.get("target")) and r.get("target_type") not in (None, "annual"):
            target.text += f" ({TARGET_TYPE_LABELS.get(r['target_type'], r['target_type'])})"
        rows.append(
            {
                "name": _indicator_name(r),
                "id": m.text(r["indicator_id"]),
                "unit": m.text(unit),
                "direction": m.text(DIRECTION_LABELS.get(r.get("direction"), "")),
                "value": m.value(r.get("value"), unit, dec),
                "target": target,
                "target_type": m.text(TARGET_TYPE_LABELS.get(r.get("target_type") or "", None)),
                "status": m.status(r.get("status")),
                "kvinnor": _gender(r, "value_k"),
                "man": _gender(r, "value_m"),
                "last": m.value(r.get("last_year_value"), unit, dec),
                "change": m.value(r.get("change"), unit, dec, signed=True),
            }
        )
    cols = [
        Column("name", "Indikator"),
        Column("id", "Id", html=False),
        Column("unit", "Enhet", html=False),
        Column("direction", "Riktning", html=False),
        Column("value", "Utfall", numeric=True),
        Column("target", "Mål", numeric=True),
        Column("target_type", "Måltyp", html=False),
    ]
    if with_status:
        cols.append(Column("status", "Status"))
    has_gender = gender and not df.empty and (df["value_k"].notna().any() or df["value_m"].notna().any())
    if has_gender:
        cols += [Column("kvinnor", "Kvinnor", numeric=True), Column("man", "Män", numeric=True)]
    if with_status:
        cols += [Column("last", "I fjol", numeric=True), Column("change", "Förändring", numeric=True)]
    no_split = has_gender and any(r["kvinnor"].text == NO_GENDER_SPLIT for r in rows)
    return Table(
        "indicators",
        caption,
        "Indikatorer",
        cols,
        rows,
        row_header="name",
        empty="inga indikatorer följs upp i perioden.",
        notes=[NO_GENDER_NOTE] if no_split else [],
    )


def _annual(r: dict[str, Any]) -> str:
    """The column holding an indicator's annual target (``target`` when there is no ``annual_target``)."""
    return "annual_target" if not fmt.is_missing(r.get("annual_target")) else "target"


def target_table(df: pd.DataFrame, *, caption: str) -> Table:
    """The plan (budget): each indicator with its annual target and the limit for partly met

    >>> tbl = t.target_table(f.indicators(wh, "ALN", "2026-BU"), caption="Mål 2026")
    >>> [c.header for c in tbl.columns][-2:], tbl.rows[0]["target"].text
    (['Årsmål', 'Gräns för delvis uppfyllt'], '82')
    """
    rows = []
    for r in m.records(df):
        unit, dec = _unit(r), _dec(r)
        partial = "annual_partial_limit" if not fmt.is_missing(r.get("annual_partial_limit")) else "partial_limit"
        rows.append(
            {
                "name": m.text(r["name"]),
                "id": m.text(r["indicator_id"]),
                "unit": m.text(unit),
                "source": m.text(SOURCE_LABELS.get(r.get("source"), r.get("source"))),
                "frequency": m.text("Tertial" if r.get("frequency") == "tertial" else "År"),
                "direction": m.text(DIRECTION_LABELS.get(r.get("direction"), "")),
                "target": m.value(r.get(_annual(r)), unit, dec),
                "partial": m.value(r.get(partial), unit, dec),
            }
        )
    return Table(
        "targets",
        caption,
        "Indikatorer och mål",
        [
            Column("name", "Indikator"),
            Column("id", "Id", html=False),
            Column("unit", "Enhet", html=False),
            Column("source", "Källa"),
            Column("frequency", "Följs upp"),
            Column("direction", "Riktning"),
            Column("target", "Årsmål", numeric=True),
            Column("partial", "Gräns för delvis uppfyllt", numeric=True),
        ],
        rows,
        row_header="name",
        empty="inga indikatorer har mål för året.",
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
    # the goals by KF goal ("" for none), in the order of first appearance (as groupby(sort=False))
    by_kf: dict[str, list[dict[str, Any]]] = {}
    for g in m.records(own):
        by_kf.setdefault(g["kf_goal_id"] if isinstance(g["kf_goal_id"], str) else "", []).append(g)
    # each goal's indicators, in the indicator table's order
    by_goal: dict[str, list[dict[str, Any]]] = {}
    for r in m.records(indicators):
        if isinstance(r["goal_id"], str):
            by_goal.setdefault(r["goal_id"], []).append(r)
    groups = sorted(by_kf.items(), key=lambda kv: (kv[0] == "", position.get(kv[0], len(position)), kv[0]))
    for kf_id, group in groups:
        kf_title = titles.get(kf_id) or "Mål utan koppling till KF:s mål"
        parts.append(
            heading(f"KF:s mål: {kf_title}" if kf_id else kf_title, 3, id=f"kf-{kf_id}" if kf_id else "mal-utan-kf")
        )
        # the KF goal itself (the kommun's own) first, under the heading that already names it
        for g in sorted(group, key=lambda g: g["goal_id"] != kf_id):
            inds = by_goal.get(g["goal_id"], [])
            block: list[Any] = [] if g["goal_id"] == kf_id else [heading(g["title"], 4, id=f"mal-{g['goal_id']}")]
            if with_status:
                block.append(
                    Html(f"<p><strong>Organisationens bedömning:</strong> {assessment_badge(g.get('assessment'))}</p>")
                )
                if bool(g.get("divergence")):
                    note = g.get("divergence_note") or "Bedömningen avviker från indikatorernas utfall."
                    block.append(Html(f'<p class="flag">⚠ Observera: {esc(note)}</p>'))
                block.append(text_block(g.get("comment"), empty="Ingen kommentar till bedömningen."))
            if inds:
                if with_status:
                    items: list[str] = [
                        Html(
                            f"{esc(r['name'])}: {esc(_value(r, 'value'))} (mål {esc(_value(r, 'target'))}) "
                            f"{status_badge(r['status'])}"
                        )
                        for r in inds
                    ]
                else:  # the plan: no outcomes yet, only the targets
                    items = [f"{r['name']}: årsmål {_value(r, _annual(r))}" for r in inds]
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
    for r in m.records(tree):
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


def goal_table(goals: pd.DataFrame, *, caption: str) -> Table:
    """The organisation's goals in one compact table: judgement and its indicators' statuses (the short version)."""
    rows = []
    for g in m.records(goals):
        n = int(g.get("uppfyllt", 0)) + int(g.get("delvis", 0)) + int(g.get("ej_uppfyllt", 0))
        rows.append(
            {
                "title": m.text(g["title"]),
                "assessment": m.assessment(g.get("assessment")),
                "met": m.Cell(int(g.get("uppfyllt", 0)), f"{int(g.get('uppfyllt', 0))} av {n}", f'0" av {n}"')
                if n
                else m.Cell(None, fmt.MISSING),
                "flag": m.text("⚠ " + g["divergence_note"] if g.get("divergence") else ""),
            }
        )
    flagged = bool(goals["divergence"].any()) if not goals.empty else False
    return Table(
        "goals",
        caption,
        "Mål och bedömning",
        [
            Column("title", "Mål"),
            Column("assessment", "Organisationens bedömning"),
            Column("met", "Indikatorer uppfyllda", numeric=True),
            *([Column("flag", "Observera")] if flagged else []),
        ],
        rows,
        row_header="title",
        empty="Organisationen har inga egna mål för perioden.",
    )


def _dates(start: Any, end: Any) -> m.Cell:
    """``2025-01-01 – 2025-12-31``: each date kept on one line (a date never breaks at its hyphens)."""
    a, b = (str(x) if not fmt.is_missing(x) and x else fmt.MISSING for x in (start, end))
    html = Html(f'<span class="nowrap">{esc(a)}</span> – <span class="nowrap">{esc(b)}</span>')
    return m.html_text(f"{a} – {b}", html)


def goal_list(goals: pd.DataFrame) -> Html:
    """The organisation's goals as a list (the plan: nothing judged yet)."""
    if goals.empty:
        return paragraph("Organisationen har inga egna mål för perioden.", class_="empty")
    return bullet_list(goals["title"].tolist())


def activity_table(df: pd.DataFrame, goal_titles: dict[str, str], *, caption: str) -> Table:
    """Activities with goal, dates, status (word) and comment."""
    rows = [
        {
            "title": m.text(r["title"]),
            "goal": m.text(goal_titles.get(r["goal_id"], fmt.MISSING) if r.get("goal_id") else fmt.MISSING),
            "period": _dates(r.get("start_date"), r.get("end_date")),
            "start": m.text(r.get("start_date")),
            "end": m.text(r.get("end_date")),
            "status": m.text(fmt.activity(None if fmt.is_missing(r.get("status")) else r["status"])),
            "comment": m.text(r.get("comment")),
        }
        for r in m.records(df)
    ]
    return Table(
        "activities",
        caption,
        "Aktiviteter",
        [
            Column("title", "Aktivitet"),
            Column("goal", "Mål"),
            Column("period", "Tid", excel=False),
            Column("start", "Start", html=False),
            Column("end", "Slut", html=False),
            Column("status", "Status"),
            Column("comment", "Kommentar"),
        ],
        rows,
        row_header="title",
        empty="inga aktiviteter.",
    )


#: The amounts of an economy row, every column of the economy figure but the percentage (the unit of the
#: table is chosen by the largest of them).
ECONOMY_AMOUNTS = tuple(c for c in ECONOMY_COLUMNS if c != "deviation_pct")


def economy_unit(e: dict[str, Any]) -> fmt.AmountUnit:
    """The unit of the economy table (and of the economy chart beside it), by the largest amount."""
    return fmt.amount_unit(*[e.get(k) for k in ECONOMY_AMOUNTS])


def month_name(month: str) -> str:
    """``2026-06`` as ``juni``."""
    return MONTH_NAMES[int(str(month)[5:7]) - 1]


def booked_text(e: dict[str, Any], per: Period) -> str | None:
    """``Utfall t.o.m. juni`` when months of the period are not yet booked (the rule:
    :func:`ilslib.figures.partly_booked`), else None."""
    from ..figures.economy import partly_booked

    if not partly_booked(e, per):
        return None
    return f"Utfall t.o.m. {month_name(e['booked_through'])}"


def booked_note(e: dict[str, Any], per: Period) -> str | None:
    """The note beside an economy table whose period has months not yet booked (None when all are)."""
    said = booked_text(e, per)
    if said is None:
        return None
    through = str(e["booked_through"])
    n, upto = int(e["booked_months"]), int(through[5:7])
    first = MONTH_NAMES[0]
    if n == upto:  # the last months are not booked
        after = [MONTH_NAMES[i - 1] for i in range(upto + 1, per.last_month_number + 1)]
        which = after[0] if len(after) == 1 else f"{after[0]}–{after[-1]}"
        return (
            f"{said} {per.year}: {which} är ännu inte {'bokförd' if len(after) == 1 else 'bokförda'}. Utfallet "
            f"jämförs med budgeten för samma månader, {first}–{month_name(through)}; en månad utan bokfört "
            "utfall räknas aldrig som noll."
        )
    return (
        f"{said} {per.year}, men bara {n} av periodens {per.last_month_number} månader har bokfört utfall. "
        "Utfallet jämförs med budgeten för de bokförda månaderna; en månad utan bokfört utfall räknas aldrig "
        "som noll."
    )


def economy_caption(e: dict[str, Any], per: Period) -> str:
    """The economy table's caption: ``Budgetuppföljning januari–augusti 2026`` (``, utfall t.o.m. juni``)."""
    caption = f"Budgetuppföljning januari–{MONTH_NAMES[per.last_month_number - 1]} {per.year}"
    said = booked_text(e, per)
    return f"{caption}, {said[0].lower()}{said[1:]}" if said else caption


def economy_table(
    e: dict[str, Any],
    *,
    caption: str,
    with_outcome: bool = True,
    unit: fmt.AmountUnit | None = None,
    period: Any = None,
) -> Table:
    """Budget follow-up: income, costs and net, outcome against budget (the unit in the header).

    With the ``period``, a period whose last months are not yet booked gets a note saying
    so (:func:`booked_note`): the budget beside the outcome is then that of the booked months.

    ``e`` is one organisation's row of :func:`ilslib.figures.economy` as a dict.

    >>> e = f.economy(wh, "2026-T2", "ALN").loc["ALN"].to_dict()
    >>> tbl = t.economy_table(e, caption="Budgetuppföljning")
    >>> [c.header for c in tbl.columns]
    ['Post', 'Utfall (tkr)', 'Budget (tkr)', 'Avvikelse mot budget (tkr)']
    >>> [(r["post"].text, r["avvikelse"].text) for r in tbl.rows][:3]
    [('Intäkter', '+6\xa0771'), ('Kostnader', '−13\xa0639'), ('Nettoresultat', '−6\xa0868')]
    """

    def dev(a: Any, b: Any, sign: float = 1.0) -> Any:
        return None if fmt.is_missing(a) or fmt.is_missing(b) else sign * (a - b)

    u = unit or economy_unit(e)
    lines = [
        ("Intäkter", e.get("income"), e.get("budget_income"), dev(e.get("income"), e.get("budget_income"))),
        ("Kostnader", e.get("costs"), e.get("budget_costs"), dev(e.get("costs"), e.get("budget_costs"), -1.0)),
        ("Nettoresultat", e.get("net"), e.get("budget_net"), e.get("deviation")),
    ]
    rows = [
        {
            "post": m.text(post),
            "utfall": m.amount(outcome, u),
            "budget": m.amount(budget, u),
            "avvikelse": m.amount(deviation, u, signed=True),
        }
        for post, outcome, budget, deviation in lines
    ]
    cols = [
        Column("post", "Post"),
        Column("utfall", "Utfall", numeric=True, unit=u.label),
        Column("budget", "Budget", numeric=True, unit=u.label),
        Column("avvikelse", "Avvikelse mot budget", numeric=True, unit=u.label),
    ]
    if not with_outcome:
        cols = [cols[0], cols[2]]
    note = booked_note(e, period) if period is not None and with_outcome else None
    return Table("economy", caption, "Ekonomi", cols, rows, row_header="post", notes=[note] if note else [])


def accounts_table(df: pd.DataFrame, *, caption: str) -> Table:
    """The accounts with the largest deviations (amounts in the unit the largest needs)

    >>> tbl = t.accounts_table(f.accounts(wh, "ALN", "2026-T2", n=3), caption="De tre största avvikelserna")
    >>> len(tbl.rows), tbl.columns[-1].header
    (3, 'Avvikelse (%)')
    """
    u = fmt.amount_unit(df["outcome"], df["budget"], df["deviation"]) if not df.empty else fmt.KR
    rows = [
        {
            "konto": m.text(
                f"{r['account']} {'' if fmt.is_missing(r.get('account_name')) else r['account_name']}".strip()
            ),
            "typ": m.text("Intäkt" if r["kind"] == "intakt" else "Kostnad"),
            "utfall": m.amount(r["outcome"], u),
            "budget": m.amount(r["budget"], u),
            "avvikelse": m.amount(r["deviation"], u, signed=True),
            "pct": m.number(r["deviation_pct"], 1, signed=True),
        }
        for r in m.records(df)
    ]
    return Table(
        "accounts",
        caption,
        "Konton",
        [
            Column("konto", "Konto"),
            Column("typ", "Typ"),
            Column("utfall", "Utfall", numeric=True, unit=u.label),
            Column("budget", "Budget", numeric=True, unit=u.label),
            Column("avvikelse", "Avvikelse", numeric=True, unit=u.label),
            Column("pct", "Avvikelse", numeric=True, unit="%"),
        ],
        rows,
        row_header="konto",
        empty="inga konton med utfall i perioden.",
    )


def personnel_items(p: dict[str, Any]) -> list[tuple[str, str]]:
    """Headline personnel figures; sick leave ``..`` when suppressed

    >>> t.personnel_items(f.personnel(wh, "2026-T2", "ALN").loc["ALN"].to_dict())
    [('Antal anställda', '888'), ('Årsarbetare', '830,5'), ('Sjukfrånvaro', '5,6\xa0%')]
    """
    suppressed = bool(p.get("suppressed"))
    return [
        ("Antal anställda", fmt.number(p.get("headcount"))),
        ("Årsarbetare", fmt.number(p.get("fte"), 1)),
        ("Sjukfrånvaro", fmt.pct(p.get("sick_leave_pct"), suppressed=suppressed)),
    ]


def comparison_table(df: pd.DataFrame, *, caption: str, kind: str) -> Table:
    """The organisation against the others of its kind: value, rank and quartile (colour and words)

    ``df`` is :func:`ilslib.figures.comparisons`' frame (one row per key figure);
    for every organisation of a kind and one figure, see :func:`ranking_table`.

    >>> tbl = t.comparison_table(f.comparisons(wh, "ALN", "2026-T2"), caption="Rang", kind="namnd")
    >>> tbl.columns[-1].header, tbl.rows[-1]["rank"].text
    ('Jämfört med nämnderna', '11 av 14')
    """
    repeated = set(df["label"][df["label"].duplicated(keep=False)]) if not df.empty else set()
    rows = []
    for r in m.records(df):
        label = r["label"]
        if label in repeated and not fmt.is_missing(r.get("unit")):  # e.g. the budget deviation in % and in kronor
            label = f"{label} ({'belopp' if r['unit'] == 'kr' else r['unit']})"
        special = None if fmt.is_missing(r.get("special")) else r["special"]
        ranked = 0 if fmt.is_missing(r.get("ranked")) else int(r["ranked"])
        rank = (
            m.Cell(None, fmt.MISSING)
            if fmt.is_missing(r.get("rank"))
            else m.Cell(int(r["rank"]), f"{int(r['rank'])} av {ranked}", f'0" av {ranked}"')  # a number in Excel too
        )
        colour = r.get("colour") or "grey"
        rows.append(
            {
                "label": m.text(label),
                "direction": m.text(DIRECTION_LABELS.get(r.get("direction"), "")),
                "value": m.value(r["value"], _unit(r), _dec(r), special=special),
                "rank": rank,
                "ranked": m.count(ranked),
                "colour": m.Cell(
                    fmt.COLOUR.get(colour, "Uppgift saknas"),
                    fmt.COLOUR.get(colour, "Uppgift saknas"),
                    css=f"q-{colour}",
                ),
            }
        )
    return Table(
        "comparisons",
        caption,
        "Jämförelse",
        [
            Column("label", "Nyckeltal"),
            Column("direction", "Riktning"),
            Column("value", "Värde", numeric=True),
            Column("rank", "Rang", numeric=True),
            Column("ranked", "Antal rangordnade", numeric=True, html=False),
            Column("colour", f"Jämfört med {KIND_PLURAL.get(kind, kind)}"),
        ],
        rows,
        row_header="label",
        empty="inga jämförbara nyckeltal.",
    )


def projection_table(df: pd.DataFrame, *, caption: str) -> Table:
    """Year-end projections, labelled as such, with how each was made."""
    rows = []
    for r in m.records(df):
        unit, dec = _unit(r), _dec(r)
        rows.append(
            {
                "name": m.text(r["name"]),
                "value": m.value(r.get("value"), unit, dec),
                "projected": m.value(r.get("projected"), unit, dec),
                "target": m.value(r.get("annual_target"), unit, dec),
                "status": m.status(r.get("status")),
                "note": m.text(r.get("note") or ""),
            }
        )
    return Table(
        "projection",
        caption,
        "Prognos",
        [
            Column("name", "Indikator"),
            Column("value", "Utfall hittills", numeric=True),
            Column("projected", "Prognos helår", numeric=True),
            Column("target", "Årsmål", numeric=True),
            Column("status", "Prognostiserad status"),
            Column("note", "Så har prognosen gjorts"),
        ],
        rows,
        row_header="name",
        empty="ingen prognos kan göras.",
    )


def loads_table(df: pd.DataFrame, *, caption: str) -> Table:
    """The latest data loads (provenance)."""
    rows = [
        {
            "when": m.text(fmt.local_time(r.get("finished_at") or r.get("started_at"))),
            "who": m.text(r.get("user_name") or ""),
            "source": m.text(r.get("source") or ""),
            "rows": m.count(r.get("rows_inserted")),
            "outcome": m.text(LOAD_OUTCOMES.get(r.get("outcome") or "", r.get("outcome") or fmt.MISSING)),
        }
        for r in m.records(df)
    ]
    return Table(
        "loads",
        caption,
        "Inläsningar",
        [
            Column("when", "Inläst"),
            Column("who", "Av"),
            Column("source", "Källa"),
            Column("rows", "Nya rader", numeric=True),
            Column("outcome", "Utfall"),
        ],
        rows,
        row_header="when",
        empty="Inga inläsningar är registrerade i lagret.",
    )


def finite(x: Any) -> TypeGuard[float]:
    """True for a real, finite number."""
    return not fmt.is_missing(x) and isinstance(x, (int, float)) and math.isfinite(float(x))


def by_name(ids: list[str], names: dict[str, str]) -> list[str]:
    """Organisation ids in Swedish alphabetical order of their names."""
    return sorted(ids, key=lambda o: (fmt.swedish_key(names.get(o, o)), o))


def swedish_date(d: Any) -> str:
    """``22 november 2026``."""
    return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


def cover(org: Organisation, per: Period, today: dt.date, *, title: str | None = None) -> Html:
    """The cover: kind, report name, organisation, period, controller, date."""
    return Html(
        '<header class="cover">'
        + paragraph(KIND_LABELS.get(org.kind, org.kind), class_="kind")
        + heading(title or f"{per.title}", 1, id="rapport")
        + tag("p", org.name, class_="org-name")
        + definition_list(
            [
                ("Organisation", f"{org.name} ({org.org_id})"),
                ("Ingår i", org.parent_name or fmt.MISSING),
                ("Period", f"{per.title} ({per})"),
                ("Controller", org.controller or fmt.MISSING),
                ("Rapportdatum", swedish_date(today)),
            ]
        )
        + "</header>"
    )


_DRAFT_WHY = {
    "klar": "Organisationens inrapportering för perioden är klarmarkerad men ännu inte godkänd av dess controller.",
    "pagaende": "Organisationens inrapportering för perioden pågår: den är varken klarmarkerad eller godkänd.",
    "ej_paborjad": "Organisationens inrapportering för perioden har inte påbörjats.",
}


def draft_banner(state: str | None) -> Html:
    """``Utkast – ej godkänd (Klarmarkerad)`` at the top of a report whose reporting is not approved; else nothing.

    In words, not colour alone; its heading is also the PDF's running header on every
    page (``string-set``, report.css). ``state`` is the report context's ``round_state``.
    """
    from ..round.state import draft_label, is_draft

    if not is_draft(state):
        return Html("")
    return Html(
        '<div class="draft-banner" role="note" aria-label="Utkast">'
        f'<p class="draft-title"><strong>{esc(draft_label(state))}</strong></p>'
        f"<p>{esc(_DRAFT_WHY[state])} Siffror, bedömningar och texter kan ändras innan den är godkänd.</p>"
        "</div>"
    )


def group_draft_banner(states: dict[str, str | None], names: dict[str, str]) -> Html:
    """The group report's banner when some of its organisations' reporting is not approved: which, in what state."""
    from ..round.state import LABELS, is_draft

    pending = {o: st for o, st in states.items() if is_draft(st)}
    if not pending:
        return Html("")
    listed = "; ".join(f"{names.get(o, o)} ({LABELS[pending[o]]})" for o in by_name(list(pending), names))
    n, total = len(pending), len(states)
    title = f"Utkast – {n} av {total} organisationer ej godkända"
    return Html(
        '<div class="draft-banner" role="note" aria-label="Utkast">'
        f'<p class="draft-title"><strong>{esc(title)}</strong></p>'
        f"<p>Sammanställningen bygger delvis på inrapporteringar som ännu inte är godkända: {esc(listed)}. "
        "Siffrorna kan ändras innan alla är godkända.</p>"
        "</div>"
    )


def round_state_item(state: str | None) -> tuple[str, str] | None:
    """The report's reporting state for "Om rapporten" (and the workbook): ``("Inrapportering", ...)``."""
    from ..round.state import LABELS, draft_label, is_draft

    if state is None:
        return None
    return ("Inrapportering", draft_label(state) if is_draft(state) else f"{LABELS[state]} av controller")


def main_indicators(df: pd.DataFrame, n: int) -> list[str]:
    """The indicators to chart: those not met first, then partly met, then the rest (at most ``n``)."""
    if df.empty:
        return []
    order = {"ej_uppfyllt": 0, "delvis": 1, "uppfyllt": 2}
    ranked = df.assign(_o=df["status"].map(order).fillna(3)).sort_values(["_o", "indicator_id"], kind="mergesort")
    return list(ranked["indicator_id"].head(max(0, n)))


def main_deviations(df: pd.DataFrame, *, limit: int | None = None) -> Html:
    """A sentence and a list naming the indicators that are not met (at most ``limit``, then how many more)."""
    bad = df[df["status"] == "ej_uppfyllt"]
    if bad.empty:
        return paragraph("Inga indikatorer har status ej uppfyllt i perioden.")
    records = m.records(bad)
    shown = records if limit is None else records[: max(0, limit)]
    items = [f"{r['name']}: {_value(r, 'value')} mot målet {_value(r, 'target')}" for r in shown]
    if len(shown) < len(records):
        items.append(f"… och {len(records) - len(shown)} till (se den fullständiga rapporten).")
    return paragraph("Indikatorer som inte uppfyller målet:", class_="intro") + bullet_list(items)


NO_DEVIATIONS = "Inga indikatorer avviker från målet i perioden."


def deviation_table(
    df: pd.DataFrame, *, caption: str = "Indikatorer som avviker från målet", comments: bool = True
) -> Table:
    """Indicators not met or partly met, with their comments; a sentence when none deviates.

    The comment column only when some deviation has a comment (never a column of empty cells).
    """
    comments = comments and "comment" in df and bool(df["comment"].map(lambda c: not fmt.is_missing(c)).any())
    rows = [
        {
            "name": m.text(r["name"]),
            "value": m.value(r.get("value"), _unit(r), _dec(r)),
            "target": m.value(r.get("target"), _unit(r), _dec(r)),
            "status": m.status(r["status"]),
            "comment": m.text(r.get("comment")),
        }
        for r in m.records(df)
    ]
    return Table(
        "deviations",
        caption,
        "Avvikelser",
        [
            Column("name", "Indikator"),
            Column("value", "Utfall", numeric=True),
            Column("target", "Mål", numeric=True),
            Column("status", "Status"),
            *([Column("comment", "Kommentar")] if comments else []),
        ],
        rows,
        row_header="name",
        empty=NO_DEVIATIONS,
    )


def forecast_text(e: dict[str, Any], per: Period) -> Html:
    """The full-year forecast in a sentence (or that there is none), in the economy table's unit."""
    u = economy_unit(e)
    if fmt.is_missing(e.get("forecast_net")):
        return paragraph(
            f"Ingen helårsprognos är lämnad för {MONTH_NAMES[per.last_month_number - 1]} {per.year}.", class_="note"
        )
    dev = e.get("forecast_deviation")
    verdict = "bättre än" if finite(dev) and dev > 0 else "sämre än" if finite(dev) and dev < 0 else "i nivå med"
    return paragraph(
        f"Helårsprognosen för nettoresultatet är {u.text(e['forecast_net'])}, vilket är "
        f"{u.text(abs(dev) if finite(dev) else None)} {verdict} budget för helåret."
        if verdict != "i nivå med"
        else f"Helårsprognosen för nettoresultatet är {u.text(e['forecast_net'])}, i nivå med budget för helåret."
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


DEFINITIONS = (
    "Definitioner: en indikator är uppfylld när utfallet når målet i indikatorns riktning, delvis "
    "uppfylld när det når gränsen för delvis uppfyllt (om ingen gräns är satt: 10 procent av målet "
    "på den ogynnsamma sidan) och annars ej uppfylld. Budgetavvikelse är nettoresultatet minus "
    "budgeterat nettoresultat (positivt är bättre än budget); i procent av budgeterade kostnader. "
    "Sjukfrånvaro är sjuktimmar delat med schemalagda timmar. Belopp anges i kronor (kr), tusentals "
    "kronor (tkr) eller miljoner kronor (mnkr) efter storlek; enheten står i tabellhuvudet. Saknade "
    "uppgifter visas som -, aldrig som noll."
)


def about_items(figures: dict[str, Any], *, notebook: str, title: str | None = None) -> list[tuple[str, str]]:
    """The report's provenance as (label, value) pairs: the HTML's definition list and the workbook's last sheet."""
    prov = figures.get("provenance") or {}
    items = []
    if title:
        items.append(("Rapport", title))
    state = round_state_item(figures.get("round_state"))
    if state:
        items.append(state)
    if figures.get("org_id"):
        items.append(("Organisation", f"{figures.get('org_name') or ''} ({figures['org_id']})".strip()))
    if figures.get("period"):
        items.append(("Period", f"{figures.get('period_title') or ''} ({figures['period']})".strip()))
    items += [
        ("Datats kontrollsumma", prov.get("data_hash") or fmt.MISSING),
        ("Rapportmall", f"{notebook}.ipynb"),
        ("Programversion", f"ilslib {prov.get('ilslib_version') or fmt.MISSING}"),
        ("Skapad", fmt.local_time(prov.get("generated_at"))),
        ("Dataavtal", f"version {figures.get('contract_version')}"),
    ]
    return items


def about(figures: dict[str, Any], loads: pd.DataFrame, *, notebook: str) -> Html:
    """About the report: definitions, data provenance, versions."""
    items = [i for i in about_items(figures, notebook=notebook) if i[0] not in ("Organisation", "Period")]
    return join(
        [
            paragraph(DEFINITIONS),
            loads_table(loads, caption="Senaste inläsningar av data"),
            definition_list(items),
        ]
    )


def ranking_table(df: pd.DataFrame, *, caption: str) -> Table:
    """Every organisation of a :func:`ilslib.figures.compare` frame: rank, value and quarter, best first.

    The table beside :func:`ilslib.report.charts.comparison_chart` when a page is
    about a whole kind rather than one organisation. Special values as Kolada
    writes them (``-`` missing, ``.`` not applicable, ``..`` confidential) are
    not ranked and come last; an organisation the frame marks ``selected`` gets
    ``►`` before its name. The value column is named after the figure (``attrs``).

    >>> c = f.compare(wh, "2026-T2", "sick_leave_pct", kind="namnd")
    >>> tbl = t.ranking_table(c, caption="Sjukfrånvaro, nämnderna")
    >>> [col.header for col in tbl.columns]
    ['Rang', 'Organisation', 'Sjukfrånvaro', 'Jämfört med de andra']
    >>> first = tbl.rows[0]
    >>> first["rank"].text, first["colour"].text, first["value"].text.endswith("%")
    ('1', 'Bästa fjärdedelen', True)
    """
    unit = df.attrs.get("unit")
    decimals = int(df.attrs.get("decimals", 1))
    rows = []
    for r in m.records(df):
        special = None if fmt.is_missing(r.get("special")) else r["special"]
        colour = r.get("colour") or "grey"
        name = ("► " if bool(r.get("selected")) else "") + str(r["name"])
        rows.append(
            {
                "rank": m.Cell(None, fmt.MISSING) if fmt.is_missing(r.get("rank")) else m.count(int(r["rank"])),
                "name": m.text(name),
                "value": m.value(
                    r.get("value"), None if fmt.is_missing(unit) else str(unit), decimals, special=special
                ),
                "colour": m.Cell(fmt.COLOUR.get(colour), fmt.COLOUR.get(colour, ""), css=f"q-{colour}"),
            }
        )
    return Table(
        "ranking",
        caption,
        "Rangordning",
        [
            Column("rank", "Rang", numeric=True),
            Column("name", "Organisation"),
            Column("value", str(df.attrs.get("label") or "Värde"), numeric=True),
            Column("colour", "Jämfört med de andra"),
        ],
        rows,
        row_header="name",
        empty="inga organisationer att jämföra.",
    )
