"""The writer: stores contract rows in the warehouse tables.

Both ``ils load`` and ``ils demo`` write through here, so what the demo
builds is stored exactly as real data is. Validation happens before (in the
loader); this module only writes, inside the caller's transaction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .contract import FILES, FileSpec
from .warehouse import Warehouse


@dataclass
class WriteResult:
    """Rows written to one table: newly inserted, and replacing an existing key."""

    file: str
    inserted: int = 0
    replaced: int = 0


def _spec(file_name: str) -> FileSpec:
    try:
        return FILES[file_name]
    except KeyError:
        raise ValueError(f"not a contract file: {file_name!r}") from None


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        return value.item()
    return value


def frame_rows(spec: FileSpec, frame: pd.DataFrame) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The contract columns of ``frame`` (defaults filled in) as plain Python tuples."""
    columns = list(spec.column_names)
    data: list[list[Any]] = []
    n = len(frame)
    for col in spec.columns:
        if col.name in frame.columns:
            values = [_clean(v) for v in frame[col.name].tolist()]
        else:
            values = [None] * n
        if col.default is not None:
            values = [col.default if v is None or v == "" else v for v in values]
        data.append(values)
    return columns, list(zip(*data, strict=True)) if n else []


def insert_tuples(wh: Warehouse, file_name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows (no key check) into the file's table; return how many."""
    spec = _spec(file_name)
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {spec.table} ({', '.join(columns)}) VALUES ({placeholders})"
    return wh.executemany(sql, rows)


def delete_keys(wh: Warehouse, file_name: str, keys: Iterable[Sequence[Any]]) -> None:
    """Delete the rows with these key values from the file's table."""
    spec = _spec(file_name)
    where = " AND ".join(f"{k} = ?" for k in spec.key)
    wh.executemany(f"DELETE FROM {spec.table} WHERE {where}", keys)


def count(wh: Warehouse, file_name: str) -> int:
    """Rows in the file's table."""
    return int(wh.scalar(f"SELECT COUNT(*) FROM {_spec(file_name).table}") or 0)


def write(wh: Warehouse, file_name: str, frame: pd.DataFrame, *, replace: bool = True) -> WriteResult:
    """Write a contract file's rows; a row whose key exists replaces the old row.

    ``frame`` has the contract's column names (optional ones may be absent).
    Call inside ``wh.transaction()`` to make several writes all-or-nothing.
    """
    spec = _spec(file_name)
    columns, rows = frame_rows(spec, frame)
    result = WriteResult(file_name)
    if not rows:
        return result
    with wh.transaction():
        before = count(wh, file_name) if replace else 0
        if replace:
            idx = [columns.index(k) for k in spec.key]
            delete_keys(wh, file_name, ([r[i] for i in idx] for r in rows))
        insert_tuples(wh, file_name, columns, rows)
        if replace:
            after = count(wh, file_name)
            result.replaced = before + len(rows) - after
    result.inserted = len(rows) - result.replaced
    return result
