"""The indicator catalogue: every indicator with its name, unit and direction."""

from __future__ import annotations

import pandas as pd

from ..warehouse import Warehouse
from ._common import frame

CATALOGUE_COLUMNS = ("indicator_id", "name", "unit", "direction", "frequency", "source", "decimals")


def indicator_catalogue(wh: Warehouse) -> pd.DataFrame:
    """Every indicator the warehouse knows, by id.

    Columns: ``indicator_id, name, unit, direction, frequency, source, decimals``.

    >>> cat = f.indicator_catalogue(wh)
    >>> cat.columns.tolist()[:3], sorted(set(cat["direction"]))
    (['indicator_id', 'name', 'unit'], ['higher', 'lower'])
    """
    df = wh.query("SELECT indicator_id, name, unit, direction, frequency, source, decimals FROM v_indicator")
    out = frame(df.sort_values("indicator_id", kind="mergesort"), CATALOGUE_COLUMNS)
    out["decimals"] = pd.to_numeric(out["decimals"]).fillna(1).astype("int64")
    return out
