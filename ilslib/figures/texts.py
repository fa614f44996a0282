"""Free texts for an organisation and period: the head's comment, Rapportkommentar, deviations, analysis."""

from __future__ import annotations

import pandas as pd

from ..contract import COMMENT_KINDS
from ..periods import Period
from ..warehouse import Warehouse
from ._common import frame, org_row
from .latest import as_period

TEXT_COLUMNS = ("kind", "label", "text")

#: Swedish headings of the text kinds (``vd_kommentar`` depends on who wrote it: :func:`text_label`).
TEXT_LABELS = {
    "vd_kommentar": "VD-kommentar",
    "rapportkommentar": "Rapportkommentar",
    "avvikelse": "Avvikelserapportering",
    "analys": "Analys",
}

#: Who heads the organisation and signs its ``vd_kommentar``: a company has a VD (CEO), a board has
#: no VD but a förvaltningschef (head of its administration), the city a stadsdirektör.
HEAD_COMMENT = {
    "bolag": "VD-kommentar",
    "koncern": "VD-kommentar",
    "namnd": "Förvaltningschefens kommentar",
    "kommun": "Stadsdirektörens kommentar",
    "enhet": "Enhetschefens kommentar",
}


def text_label(kind: str, org_kind: str | None = None) -> str:
    """The Swedish heading of a text kind for an organisation of ``org_kind``.

    >>> text_label("vd_kommentar", "bolag"), text_label("vd_kommentar", "namnd"), text_label("analys", "namnd")
    ('VD-kommentar', 'Förvaltningschefens kommentar', 'Analys')
    """
    if kind == "vd_kommentar" and org_kind in HEAD_COMMENT:
        return HEAD_COMMENT[org_kind]
    return TEXT_LABELS.get(kind, kind)


def texts(wh: Warehouse, org_id: str, period: str | Period) -> pd.DataFrame:
    """The organisation's free texts for a period, exactly as loaded (markup is text, not HTML).

    Columns: ``kind`` (``vd_kommentar``, ``rapportkommentar``, ``avvikelse``,
    ``analys``), ``label`` (the Swedish heading; the ``vd_kommentar`` of a board is
    "Förvaltningschefens kommentar", of a company "VD-kommentar": :func:`text_label`)
    and ``text``; one row per text that exists, in that order.

    >>> f.texts(wh, "ALN", "2026-T2")["label"].tolist()
    ['Förvaltningschefens kommentar']
    """
    p = as_period(wh, period)
    org = org_row(wh, org_id)
    return texts_from(text_rows(wh, org_id, p), org["kind"])


def text_rows(wh: Warehouse, org_id: str, p: Period) -> pd.DataFrame:
    """The stored texts: ``kind, text`` (internal)."""
    # rows(), not query(): the data hash reads the same statement, and a report reads it once
    rows = wh.rows("SELECT kind, text FROM v_comment WHERE org_id = ? AND period = ?", (org_id, str(p)))
    return pd.DataFrame.from_records(rows, columns=["kind", "text"])


def texts_from(df: pd.DataFrame, org_kind: str | None) -> pd.DataFrame:
    """:func:`texts` from the stored rows (internal)."""
    df = df.assign(label=[text_label(k, org_kind) for k in df["kind"]])
    df = df.assign(_o=df["kind"].map({k: i for i, k in enumerate(COMMENT_KINDS)})).sort_values("_o", kind="mergesort")
    return frame(df, TEXT_COLUMNS)


def text_of(wh: Warehouse, org_id: str, period: str | Period, kind: str) -> str | None:
    """One free text (``kind`` as in :func:`texts`), or None when there is none."""
    if kind not in COMMENT_KINDS:
        raise ValueError(f"unknown text kind {kind!r}: expected one of {', '.join(COMMENT_KINDS)}")
    df = texts(wh, org_id, period)
    hit = df.loc[df["kind"] == kind, "text"]
    return None if hit.empty else str(hit.iloc[0])
