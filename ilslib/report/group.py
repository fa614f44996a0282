"""Blocks of the group report "Mål och måluppfyllelse" (per kind of organisation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from .. import __version__, fmt
from ..contract import CONTRACT_VERSION
from .present import Html, definition_list, heading, join, paragraph, table, tag
from .tables import KIND_LABELS, KIND_PLURAL, missing, swedish_date

ASSESSMENT_COLUMNS = {
    "uppfyllt": "✓ Uppfyllt",
    "delvis": "◐ Delvis uppfyllt",
    "ej_uppfyllt": "✗ Ej uppfyllt",
    "saknas": "– Ej bedömt",
}
CELL_TEXT = {
    "uppfyllt": "✓ Uppfyllt",
    "delvis": "◐ Delvis",
    "ej_uppfyllt": "✗ Ej uppfyllt",
    "saknas": "– Saknas",
    "ej_malsatt": "Ej målsatt",
}


def cover(kind: str, per: Any, n_orgs: int) -> Html:
    """The group report's cover."""
    return Html(
        '<header class="cover">'
        + paragraph("Sammanställning", class_="kind")
        + heading("Mål och måluppfyllelse", 1, id="rapport")
        + tag("p", f"{KIND_PLURAL.get(kind, kind).capitalize()}, {per.title}", class_="org-name")
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


def rollup_table(roll: pd.DataFrame, *, caption: str) -> Html:
    """Per KF goal: how many organisations judged it met, partly met, not met, or gave none."""
    if roll.empty:
        return paragraph(f"{caption}: inga mål i kommunfullmäktiges budget för perioden.", class_="empty")
    cols = {"title": "Mål i kommunfullmäktiges budget", **ASSESSMENT_COLUMNS, "organisations": "Antal organisationer"}
    return table(
        roll,
        caption=caption,
        columns=cols,
        row_header="title",
        formats={c: fmt.number for c in [*ASSESSMENT_COLUMNS, "organisations"]},
        numeric=[*ASSESSMENT_COLUMNS, "organisations"],
    )


def matrix_tables(
    matrix: pd.DataFrame, orgs: pd.DataFrame, catalogue: pd.DataFrame, *, per_table: int, caption: str
) -> Html:
    """Rows organisations, columns indicators, symbol and word in each cell; split to fit the page."""
    if matrix.empty or matrix.shape[1] == 0:
        return paragraph(f"{caption}: inga indikatorer följs upp i perioden.", class_="empty")
    names = dict(zip(orgs["org_id"], orgs["name"], strict=True))
    ind_names = dict(zip(catalogue["indicator_id"], catalogue["name"], strict=True))
    ids = list(matrix.columns)
    parts = []
    step = max(1, per_table)
    for start in range(0, len(ids), step):
        chunk = ids[start : start + step]
        df = matrix[chunk].copy()
        df.insert(0, "organisation", [names.get(o, o) for o in df.index])
        cols = {"organisation": "Organisation", **{i: ind_names.get(i, i) for i in chunk}}
        part = f" (del {start // step + 1} av {(len(ids) + step - 1) // step})" if len(ids) > step else ""
        parts.append(
            table(
                df.reset_index(drop=True),
                caption=caption + part,
                columns=cols,
                row_header="organisation",
                formats={i: (lambda v: "." if missing(v) else CELL_TEXT.get(v, v)) for i in chunk},
                cell_class={i: (lambda v: None if missing(v) else f"status-{v}") for i in chunk},
            )
        )
    return join(parts)


def deviation_table(econ: pd.DataFrame, *, n: int, caption: str) -> Html:
    """The organisations with the largest budget deviations (by absolute amount)."""
    df = econ.reset_index()
    df = df[df["deviation"].notna()]
    if df.empty:
        return paragraph(f"{caption}: inga ekonomiska uppgifter för perioden.", class_="empty")
    df = (
        df.assign(_abs=df["deviation"].abs())
        .sort_values(["_abs", "org_id"], ascending=[False, True], kind="mergesort")
        .head(max(0, n))
    )
    return table(
        df,
        caption=caption,
        row_header="name",
        columns={
            "name": "Organisation",
            "net": "Nettoresultat",
            "budget_net": "Budgeterat netto",
            "deviation": "Budgetavvikelse",
            "deviation_pct": "Avvikelse (%)",
            "forecast_deviation": "Prognosavvikelse helår",
        },
        formats={
            "net": fmt.money,
            "budget_net": fmt.money,
            "deviation": fmt.money,
            "deviation_pct": fmt.pct,
            "forecast_deviation": fmt.money,
        },
        numeric={"net", "budget_net", "deviation", "deviation_pct", "forecast_deviation"},
    )


_SWEDISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"})  # the three after z


def swedish_key(text: Any) -> str:
    """A sort key in Swedish alphabetical order (å, ä, ö after z)."""
    return str(text).lower().translate(_SWEDISH_ORDER)


def budget_table(econ: pd.DataFrame, *, caption: str) -> Html:
    """Every organisation's budgeted income, costs and net result (the budget, where there is no outcome yet)."""
    df = econ.reset_index()
    df = df[df["budget_net"].notna()]
    df = df.iloc[sorted(range(len(df)), key=lambda i: swedish_key(df["name"].iloc[i]))]
    if df.empty:
        return paragraph(f"{caption}: ingen budget är inläst för perioden.", class_="empty")
    return table(
        df,
        caption=caption,
        row_header="name",
        columns={
            "name": "Organisation",
            "budget_income": "Budgeterade intäkter",
            "budget_costs": "Budgeterade kostnader",
            "budget_net": "Budgeterat nettoresultat",
        },
        formats={c: fmt.money for c in ("budget_income", "budget_costs", "budget_net")},
        numeric={"budget_income", "budget_costs", "budget_net"},
    )


def _plain(v: Any) -> Any:
    if missing(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def figures(
    wh: Any, per: Any, kind: str, roll: pd.DataFrame, econ: pd.DataFrame, matrix: pd.DataFrame | None = None
) -> dict[str, Any]:
    """The group report's figures (``figures.json`` beside the report).

    ``indicator_status`` holds the status table: organisation -> indicator ->
    status code, ``null`` where the organisation does not have the indicator.
    """
    from ..figures import data_hashes

    hashes = data_hashes(wh, per, list(econ.index))
    return {
        "contract_version": CONTRACT_VERSION,
        "kind": kind,
        "period": str(per),
        "rollup": [{k: _plain(v) for k, v in r.items()} for r in roll.to_dict("records")],
        "economy": [
            {"org_id": o, **{k: _plain(v) for k, v in r.items() if k not in ("name", "kind")}}
            for o, r in econ.iterrows()
        ],
        "indicator_status": {}
        if matrix is None
        else {str(o): {str(i): _plain(v) for i, v in row.items()} for o, row in matrix.iterrows()},
        "provenance": {
            "data_hash": _combined(hashes),
            "ilslib_version": __version__,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    }


def _combined(hashes: dict[str, str]) -> str:
    import hashlib

    return hashlib.sha256("".join(f"{k}={v};" for k, v in sorted(hashes.items())).encode()).hexdigest()
