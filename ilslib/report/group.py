"""Blocks of the group report "Mål och måluppfyllelse" (per kind of organisation, or the koncern).

Every table covers every organisation of the group (no "ten largest"), with a
total row of sums where a sum means something (ratios are recomputed from the
sums, never averaged), and wide tables are split into parts that fit an A4 page
(the workbook keeps each as one sheet).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import fmt
from ..fmt import KIND_LABELS, KIND_PLURAL
from . import model as m
from .model import Column, Table
from .present import Html, definition_list, heading, paragraph, tag
from .tables import by_name, swedish_date

if TYPE_CHECKING:
    from ..periods import Period

ASSESSMENT_COLUMNS = {
    "uppfyllt": "✓ Uppfyllt",
    "delvis": "◐ Delvis uppfyllt",
    "ej_uppfyllt": "✗ Ej uppfyllt",
    "saknas": "– Ej bedömt",
}
#: Status cells of the group indicator table: symbol and (short) word.
CELL_TEXT = {
    "uppfyllt": "✓ Uppfyllt",
    "delvis": "◐ Delvis uppfyllt",
    "ej_uppfyllt": "✗ Ej uppfyllt",
    "saknas": "– Saknas",
    "ej_malsatt": "Ej målsatt",
}
#: Judgement cells of the roll-up per organisation.
JUDGEMENT_TEXT = {
    "uppfyllt": "✓ Uppfyllt",
    "delvis": "◐ Delvis uppfyllt",
    "ej_uppfyllt": "✗ Ej uppfyllt",
    "saknas": "– Ej bedömt",
}
DERIVED = "härledd"
DERIVED_NOTE = (
    "(härledd): organisationen har inte bedömt KF-målet direkt; bedömningen är härledd ur dess bedömningar av "
    "de egna mål som konkretiserar KF-målet (alla uppfyllda: uppfyllt, alla ej uppfyllda: ej uppfyllt, "
    "annars delvis uppfyllt)."
)
TOTAL = "Summa"
#: Group names for the cover and titles.
GROUP_PLURAL = {**KIND_PLURAL, "koncern": "koncernens bolag"}


def plural(kind: str) -> str:
    """``bolagen``, ``nämnderna``; the koncern's report covers ``koncernens bolag``."""
    return GROUP_PLURAL.get(kind, kind)


def cover(kind: str, per: Period, n_orgs: int) -> Html:
    """The group report's cover."""
    return Html(
        '<header class="cover">'
        + paragraph("Sammanställning", class_="kind")
        + heading("Mål och måluppfyllelse", 1, id="rapport")
        + tag("p", f"{plural(kind).capitalize()}, {per.title}", class_="org-name")
        + definition_list(
            [
                ("Organisationstyp", KIND_LABELS.get(kind, kind)),
                ("Antal organisationer", fmt.number(n_orgs)),
                ("Period", f"{per.title} ({per})"),
                ("Rapportdatum", swedish_date(dt.date.today())),
            ]
        )
        + "</header>"
    )


def summary_counts(matrix: pd.DataFrame) -> dict[str, int]:
    """Indicator statuses counted over every organisation (for the portal)."""
    values = pd.Series(matrix.to_numpy().ravel()).dropna()
    counts = values.value_counts().to_dict()
    return {k: int(counts.get(k, 0)) for k in fmt.STATUS}


def rollup_table(roll: pd.DataFrame, *, caption: str) -> Table:
    """Per KF goal: how many organisations judged it met, partly met, not met, or gave none; how many derived."""
    rows = [
        {
            "title": m.text(r["title"]),
            **{k: m.count(r[k]) for k in ASSESSMENT_COLUMNS},
            "organisations": m.count(r["organisations"]),
            "derived": m.count(r.get("derived", 0)),
        }
        for r in m.records(roll)
    ]
    return Table(
        "rollup",
        caption,
        "Måluppfyllelse per KF-mål",
        [
            Column("title", "Mål i kommunfullmäktiges budget"),
            *(Column(k, label, numeric=True) for k, label in ASSESSMENT_COLUMNS.items()),
            Column("organisations", "Antal organisationer", numeric=True),
            Column("derived", "Därav härledda", numeric=True),
        ],
        rows,
        row_header="title",
        empty="inga mål i kommunfullmäktiges budget för perioden.",
        notes=[
            "Därav härledda: bedömningar som härletts ur organisationens egna mål, eftersom KF-målet inte "
            "bedömts direkt."
        ],
    )


def judgement_cell(assessment: Any, derived: bool) -> m.Cell:
    """One organisation's judgement of a KF goal; a derived one is marked ``(härledd)``."""
    code = "saknas" if fmt.is_missing(assessment) else str(assessment)
    shown = JUDGEMENT_TEXT.get(code, code) + (f" ({DERIVED})" if derived else "")
    key = "ej_bedomt" if code == "saknas" else code
    return m.Cell(_words(shown), shown, css=f"status-{key}" + (" derived" if derived else ""))


def _words(shown: str) -> str:
    """A status as the workbook writes it: the words the report shows, without the symbol."""
    return shown[2:] if shown[:1] in "✓◐✗–" and shown[1:2] == " " else shown


def rollup_matrix(detail: pd.DataFrame, names: dict[str, str], *, caption: str, per_table: int) -> Table:
    """Each organisation's judgement of each KF goal (rows organisations, columns KF goals), derived cells marked."""
    goals = list(dict.fromkeys(detail["goal_id"]))
    titles = dict(zip(detail["goal_id"], detail["title"], strict=False))
    cells = {(r["org_id"], r["goal_id"]): r for r in m.records(detail)}
    rows = []
    for o in by_name(list(dict.fromkeys(detail["org_id"])), names):
        row = {"organisation": m.text(names.get(o, o))}
        for g in goals:
            r = cells.get((o, g))
            row[g] = judgement_cell(r["assessment"] if r else None, bool(r["derived"]) if r else False)
        rows.append(row)
    any_derived = bool(detail["derived"].any()) if not detail.empty else False
    return Table(
        "rollup_orgs",
        caption,
        "Bedömning per organisation",
        [Column("organisation", "Organisation"), *(Column(g, str(titles[g])) for g in goals)],
        rows,
        row_header="organisation",
        empty="inga bedömningar att visa.",
        notes=[DERIVED_NOTE] if any_derived else [],
        split=per_table,
    )


def matrix_table(
    matrix: pd.DataFrame, names: dict[str, str], catalogue: pd.DataFrame, *, per_table: int, caption: str
) -> Table:
    """The group indicator table: rows organisations, columns KF indicators, status as symbol and word; ``-`` none."""
    ind_names = dict(zip(catalogue["indicator_id"], catalogue["name"], strict=True))
    ids = list(matrix.columns)
    rows = []
    for o in by_name(list(matrix.index), names):
        row = {"organisation": m.text(names.get(o, o))}
        for i in ids:
            v = matrix.loc[o, i]
            if fmt.is_missing(v):
                row[i] = m.Cell(fmt.MISSING, fmt.MISSING)
            else:
                code = str(v)  # a status code
                shown = CELL_TEXT.get(code, code)
                row[i] = m.Cell(_words(shown), shown, css=f"status-{code}")
        rows.append(row)
    return Table(
        "indicator_status",
        caption,
        "Indikatorstatus",
        [Column("organisation", "Organisation"), *(Column(i, ind_names.get(i, i)) for i in ids)],
        rows if ids else [],
        row_header="organisation",
        empty="inga av kommunfullmäktiges indikatorer följs upp i perioden.",
        split=per_table,
    )


def _total_notes(missing_by_key: dict[str, list[str]], labels: dict[str, str], names: dict[str, str]) -> list[str]:
    notes = []
    for key, label in labels.items():
        lacking = missing_by_key.get(key) or []
        if lacking:
            who = ", ".join(names.get(o, o) for o in by_name(lacking, names))
            notes.append(f"{label}: uppgift saknas för {who}; summan omfattar de övriga.")
    return notes


def economy_table(
    econ: pd.DataFrame,
    total: dict[str, Any],
    names: dict[str, str],
    *,
    caption: str,
    forecast: bool = True,
    period: Any = None,
) -> Table:
    """Every organisation's budget follow-up, and the group's total (sums; the percentage from the sums).

    ``forecast``: the full-year forecast deviation as a column (the tertials; the annual report has none).
    With the ``period``, organisations whose last months are not yet booked are shown with the month
    their outcome reaches (after the name, "utfall t.o.m. juni", and in a note; not a column of its own, so
    the table still fits an A4 page): their outcome is compared with the budget of the same months
    (:func:`ilslib.figures.partly_booked`).
    """
    from ..figures.economy import partly_booked

    cols = ("net", "budget_net", "deviation", "forecast_deviation")
    u = fmt.amount_unit(*(econ[c] for c in cols), *(total.get(c) for c in cols))
    partly = [o for o in econ.index if partly_booked(econ.loc[o].to_dict(), period)] if period is not None else []

    def through(o: str) -> str:
        return fmt.MONTH_NAMES[int(str(econ.loc[o, "booked_through"])[5:7]) - 1]

    def line(label: str, e: dict[str, Any]) -> dict[str, m.Cell]:
        return {
            "name": m.text(label),
            "net": m.amount(e.get("net"), u),
            "budget_net": m.amount(e.get("budget_net"), u),
            "deviation": m.amount(e.get("deviation"), u, signed=True),
            "deviation_pct": m.number(e.get("deviation_pct"), 1, signed=True),
            "forecast_deviation": m.amount(e.get("forecast_deviation"), u, signed=True),
        }

    rows = [
        line(f"{names.get(o, o)} (utfall t.o.m. {through(o)})" if o in partly else names.get(o, o), m.record(econ, o))
        for o in by_name(list(econ.index), names)
    ]
    if rows:
        rows.append(line(TOTAL, total))
    booked_notes = []
    if partly:
        who = ", ".join(f"{names.get(o, o)} (bokfört t.o.m. {through(o)})" for o in by_name(partly, names))
        booked_notes.append(
            f"Periodens sista månader är ännu inte bokförda för {who}. Deras utfall jämförs med "
            "budgeten för samma månader, och summan med summan av dessa; en månad utan bokfört utfall räknas "
            "aldrig som noll."
        )
    return Table(
        "economy",
        caption,
        "Ekonomi",
        [
            Column("name", "Organisation"),
            Column("net", "Nettoresultat", numeric=True, unit=u.label),
            Column("budget_net", "Budgeterat nettoresultat", numeric=True, unit=u.label),
            Column("deviation", "Budgetavvikelse", numeric=True, unit=u.label),
            Column("deviation_pct", "Budgetavvikelse", numeric=True, unit="%"),
            *([Column("forecast_deviation", "Prognosavvikelse helår", numeric=True, unit=u.label)] if forecast else []),
        ],
        rows,
        row_header="name",
        empty="inga ekonomiska uppgifter för perioden.",
        total=bool(rows),
        notes=[
            "Summa: beloppen är summor över organisationerna; budgetavvikelsen i procent är summan av "
            "avvikelserna delad med summan av de budgeterade kostnaderna.",
            *booked_notes,
            *_total_notes(
                total.get("missing") or {},
                {"net": "Nettoresultat", **({"forecast_deviation": "Prognosavvikelse helår"} if forecast else {})},
                names,
            ),
        ],
    )


def budget_table(econ: pd.DataFrame, total: dict[str, Any], names: dict[str, str], *, caption: str) -> Table:
    """Every organisation's budgeted income, costs and net result, and their sums (the budget period)."""
    cols = ("budget_income", "budget_costs", "budget_net")
    have = econ[econ["budget_net"].notna()]
    u = fmt.amount_unit(*(have[c] for c in cols), *(total.get(c) for c in cols))

    def line(label: str, e: dict[str, Any]) -> dict[str, m.Cell]:
        return {"name": m.text(label), **{c: m.amount(e.get(c), u) for c in cols}}

    rows = [line(names.get(o, o), m.record(have, o)) for o in by_name(list(have.index), names)]
    if rows:
        rows.append(line(TOTAL, total))
    return Table(
        "budget",
        caption,
        "Budget",
        [
            Column("name", "Organisation"),
            Column("budget_income", "Budgeterade intäkter", numeric=True, unit=u.label),
            Column("budget_costs", "Budgeterade kostnader", numeric=True, unit=u.label),
            Column("budget_net", "Budgeterat nettoresultat", numeric=True, unit=u.label),
        ],
        rows,
        row_header="name",
        empty="ingen budget är inläst för perioden.",
        total=bool(rows),
    )


def personnel_table(pers: pd.DataFrame, total: dict[str, Any], names: dict[str, str], *, caption: str) -> Table:
    """Every organisation's headcount, FTE and sick leave, and the group's (sick leave from the summed hours)."""

    def line(label: str, p: dict[str, Any]) -> dict[str, m.Cell]:
        return {
            "name": m.text(label),
            "headcount": m.count(p.get("headcount")),
            "fte": m.number(p.get("fte"), 1),
            "sick": m.pct(p.get("sick_leave_pct"), 1, suppressed=bool(p.get("suppressed"))),
        }

    rows = [line(names.get(o, o), m.record(pers, o)) for o in by_name(list(pers.index), names)]
    if rows:
        rows.append(line(TOTAL, total))
    notes = [
        "Summa: antal anställda och årsarbetare är summor för periodens sista månad; sjukfrånvaron är "
        "organisationernas sjuktimmar delade med deras schemalagda timmar."
    ]
    if pers["suppressed"].any():
        notes.append("..: sjukfrånvaron redovisas inte för organisationer med färre än fem anställda.")
    notes += _total_notes({"headcount": total.get("missing") or []}, {"headcount": "Personal"}, names)
    return Table(
        "personnel",
        caption,
        "Personal",
        [
            Column("name", "Organisation"),
            Column("headcount", "Antal anställda", numeric=True),
            Column("fte", "Årsarbetare", numeric=True),
            Column("sick", "Sjukfrånvaro", numeric=True, unit="%"),
        ],
        rows,
        row_header="name",
        empty="inga personaluppgifter för perioden.",
        total=bool(rows),
        notes=notes,
    )
