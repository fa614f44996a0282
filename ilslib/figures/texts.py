"""Free texts for an organisation and period: VD-kommentar, Rapportkommentar, deviations, analysis."""

from __future__ import annotations

import pandas as pd

from ..contract import COMMENT_KINDS
from ..periods import Period
from ..warehouse import Warehouse
from ._common import as_period, frame, org_row

TEXT_COLUMNS = ("kind", "label", "text")

#: Swedish headings of the text kinds.
TEXT_LABELS = {
    "vd_kommentar": "VD-kommentar",
    "rapportkommentar": "Rapportkommentar",
    "avvikelse": "Avvikelserapportering",
    "analys": "Analys",
}


def texts(wh: Warehouse, org_id: str, period: str | Period) -> pd.DataFrame:
    """The organisation's free texts for a period, exactly as loaded (markup is text, not HTML).

    Columns: ``kind`` (``vd_kommentar``, ``rapportkommentar``, ``avvikelse``,
    ``analys``), ``label`` (the Swedish heading) and ``text``; one row per
    text that exists, in that order.

    >>> f.texts(wh, "ALN", "2026-T2")["label"].tolist()
    ['VD-kommentar']
    """
    p = as_period(wh, period)
    org_row(wh, org_id)
    df = wh.query("SELECT kind, text FROM v_comment WHERE org_id = ? AND period = ?", (org_id, str(p)))
    df["label"] = df["kind"].map(TEXT_LABELS)
    df = df.assign(_o=df["kind"].map({k: i for i, k in enumerate(COMMENT_KINDS)})).sort_values("_o")
    return frame(df, TEXT_COLUMNS)


def text_of(wh: Warehouse, org_id: str, period: str | Period, kind: str) -> str | None:
    """One free text (``kind`` as in :func:`texts`), or None when there is none."""
    if kind not in COMMENT_KINDS:
        raise ValueError(f"unknown text kind {kind!r}: expected one of {', '.join(COMMENT_KINDS)}")
    df = texts(wh, org_id, period)
    hit = df.loc[df["kind"] == kind, "text"]
    return None if hit.empty else str(hit.iloc[0])
