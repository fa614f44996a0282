"""The writer: stores contract rows in the warehouse tables, and records each load.

Both ``ils load`` and ``ils demo`` write through here, so what the demo builds
is stored exactly as real data is. Validation happens before (in
:mod:`ilslib.load`); this module only writes, inside the caller's transaction.

Replacing by key is portable: the keys of the incoming rows are deleted, then
the rows are inserted, in batches, in one transaction (plain ``DELETE ... WHERE
key = ?`` and ``INSERT`` with bound parameters on every backend). When the
table is empty at the start there is nothing to replace and the deletes are
skipped, which makes a first load of a big ledger an insert only.
"""

from __future__ import annotations

import datetime as dt
import getpass
import math
import operator
import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .contract import FILES, FileSpec
from .warehouse import Warehouse

# Rows per executemany call: big enough for the drivers' parameter arrays, small enough for memory.
BATCH = 20_000


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


def _date_adapter(wh: Warehouse) -> Any:
    """How a DATE value is passed: ISO text to SQLite, ``datetime.date`` through ODBC."""
    if wh.dialect == "sqlite" and not wh.is_odbc:
        return lambda v: v.isoformat() if isinstance(v, dt.date) else v
    return lambda v: dt.date.fromisoformat(v) if isinstance(v, str) else v


def _adapt_rows(
    wh: Warehouse, spec: FileSpec, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Iterable[Sequence[Any]]:
    dates = [i for i, c in enumerate(columns) if c in spec.column_names and spec.column(c).type == "date"]
    if not dates:
        return rows
    adapt = _date_adapter(wh)

    def gen() -> Iterable[Sequence[Any]]:
        for row in rows:
            row = list(row)
            for i in dates:
                if row[i] is not None:
                    row[i] = adapt(row[i])
            yield row

    return gen()


# Through ODBC, several rows per INSERT statement (standard multi-row VALUES; on PostgreSQL one
# JSON document per 5 000 rows instead, see _insert_json) and, on PostgreSQL/SQL Server, keys to
# delete joined from a VALUES list: far fewer round trips than one statement per row. Parameter
# counts stay below SQL Server's 2100 limit.
ROWS_PER_INSERT = 50
ROWS_PER_DELETE = 200


def _flatten(rows: Sequence[Sequence[Any]]) -> list[Any]:
    return [v for row in rows for v in row]


def insert_tuples(wh: Warehouse, file_name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows (no key check) into the file's table; return how many."""
    spec = _spec(file_name)
    one = "(" + ", ".join("?" for _ in columns) + ")"
    head = f"INSERT INTO {spec.table} ({', '.join(columns)}) VALUES "
    if wh.dialect == "postgresql":
        return _insert_json(wh, spec, columns, rows)
    rows = _adapt_rows(wh, spec, columns, rows)
    if not wh.is_odbc:
        # sqlite3's executemany runs in C: one row per statement is fastest there.
        return wh.executemany(head + one, rows, batch=BATCH)
    rows = list(rows)
    per = ROWS_PER_INSERT
    full = len(rows) // per * per
    if full:
        wh.executemany(
            head + ", ".join([one] * per),
            (_flatten(rows[s : s + per]) for s in range(0, full, per)),
            batch=BATCH // per,
        )
    if len(rows) > full:
        rest = rows[full:]
        wh.execute(head + ", ".join([one] * len(rest)), _flatten(rest))
    return len(rows)


ROWS_PER_JSON = 5_000
"""Rows per statement on PostgreSQL: one JSON document, unpacked by the server."""


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date):  # also datetime
        return value.isoformat()
    return str(value)  # e.g. Decimal: the server reads the text with the column's type


def _insert_json(wh: Warehouse, spec: FileSpec, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert on PostgreSQL: 5 000 rows per statement as one JSON parameter (``json_populate_recordset``).

    Through psqlODBC the server's inserts are the limit, not the round trips, but
    binding eight parameters per row in the client was a third of a load's CPU:
    one text parameter per 5 000 rows is about 20 % faster in all (benchmarks/bench_load.py;
    docs/performance.md). Values keep their types: the server converts each JSON
    value with its column's type (numbers from their shortest exact text, dates from ISO text).
    """
    import json

    names = list(columns)
    cols = ", ".join(names)
    sql = f"INSERT INTO {spec.table} ({cols}) SELECT {cols} FROM json_populate_recordset(NULL::{spec.table}, ?)"
    rows = list(rows)
    for start in range(0, len(rows), ROWS_PER_JSON):
        part = rows[start : start + ROWS_PER_JSON]
        doc = json.dumps(
            [dict(zip(names, row, strict=True)) for row in part],
            ensure_ascii=False,
            allow_nan=False,
            default=_json_value,
        )
        wh.execute(sql, (doc,))
    return len(rows)


def delete_keys(wh: Warehouse, file_name: str, keys: Iterable[Sequence[Any]]) -> None:
    """Delete the rows with these key values from the file's table."""
    spec = _spec(file_name)
    if wh.dialect in ("postgresql", "mssql"):
        keys = list(keys)
        cols = [f"k{i}" for i in range(len(spec.key))]
        # VALUES parameters arrive untyped (text on PostgreSQL): cast the numeric key columns.
        match = " AND ".join(
            f"{spec.table}.{k} = " + (f"CAST(v.{c} AS INTEGER)" if spec.column(k).type in ("int", "year") else f"v.{c}")
            for k, c in zip(spec.key, cols, strict=True)
        )
        one = "(" + ", ".join("?" for _ in cols) + ")"
        for s in range(0, len(keys), ROWS_PER_DELETE):
            part = keys[s : s + ROWS_PER_DELETE]
            wh.execute(
                f"DELETE FROM {spec.table} WHERE EXISTS (SELECT 1 FROM (VALUES {', '.join([one] * len(part))}) "
                f"AS v ({', '.join(cols)}) WHERE {match})",
                _flatten(part),
            )
        return
    where = " AND ".join(f"{k} = ?" for k in spec.key)
    wh.executemany(f"DELETE FROM {spec.table} WHERE {where}", keys, batch=BATCH)


def count(wh: Warehouse, file_name: str) -> int:
    """Rows in the file's table."""
    return int(wh.scalar(f"SELECT COUNT(*) FROM {_spec(file_name).table}") or 0)


class TableWriter:
    """Replace-by-key writer for one contract file, fed in chunks, inside the caller's transaction.

    Rows are tuples in the contract's column order (``spec.column_names``),
    with defaults filled in and keys unique across all chunks (the loader
    checks that). ``finish()`` tells how many rows replaced an existing key.
    """

    def __init__(self, wh: Warehouse, file_name: str, *, replace: bool = True):
        self.wh = wh
        self.spec = _spec(file_name)
        self.columns = list(self.spec.column_names)
        self.replace = replace
        self.before = count(wh, file_name)
        # An empty table has no keys to replace: skip the deletes (a first load is insert only).
        self._delete = replace and self.before > 0
        self._key_idx = [self.columns.index(k) for k in self.spec.key]
        self.written = 0

    def add(self, rows: Sequence[Sequence[Any]]) -> None:
        """Write one chunk of rows (replacing rows with the same key)."""
        if not rows:
            return
        if self._delete:
            idx = self._key_idx
            # The key columns of every row, picked in C (a reload deletes a million keys).
            keys = list(map(operator.itemgetter(*idx), rows)) if len(idx) > 1 else [(r[idx[0]],) for r in rows]
            delete_keys(self.wh, self.spec.name, keys)
        insert_tuples(self.wh, self.spec.name, self.columns, rows)
        self.written += len(rows)

    def finish(self) -> WriteResult:
        """Count what happened: rows inserted with a new key, and rows that replaced one."""
        result = WriteResult(self.spec.name)
        if not self.written:
            return result
        if self._delete:
            after = count(self.wh, self.spec.name)
            result.replaced = self.before + self.written - after
        result.inserted = self.written - result.replaced
        return result


def write(wh: Warehouse, file_name: str, frame: pd.DataFrame, *, replace: bool = True) -> WriteResult:
    """Write a contract file's rows; a row whose key exists replaces the old row.

    ``frame`` has the contract's column names (optional ones may be absent).
    Call inside ``wh.transaction()`` to make several writes all-or-nothing.
    The rows are not validated: :func:`ilslib.load.load_frames` validates and writes.
    """
    spec = _spec(file_name)
    _, rows = frame_rows(spec, frame)
    if not rows:
        return WriteResult(file_name)
    with wh.transaction():
        writer = TableWriter(wh, file_name, replace=replace)
        for start in range(0, len(rows), BATCH):
            writer.add(rows[start : start + BATCH])
        return writer.finish()


# -- load records -----------------------------------------------------------------------


@dataclass
class FileRecord:
    """One file of a load, as recorded in ``ils_load_file``."""

    file_name: str
    sha256: str
    rows_read: int | None = None
    rows_inserted: int | None = None
    rows_replaced: int | None = None


@dataclass
class LoadRecord:
    """One load, as recorded in ``ils_load``; ``outcome`` is ``ok``, ``rejected`` or ``failed``."""

    source: str
    outcome: str
    started_at: str
    finished_at: str | None = None
    message: str | None = None
    files: list[FileRecord] = field(default_factory=list)
    load_id: str = ""
    user_name: str | None = None
    host_name: str | None = None


def now_utc() -> str:
    """The current time as ISO 8601 UTC text (how load times are stored)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def new_load_id() -> str:
    """A new load id: sortable by time, unique (``20260105T101500123456-3fa2c1``)."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + secrets.token_hex(3)


def current_user() -> str:
    """Who is loading: the login name (falls back to the uid where there is no user entry)."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry, e.g. in a container
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def record_load(wh: Warehouse, record: LoadRecord) -> str:
    """Record a load and its files in ``ils_load``/``ils_load_file``; return the load id.

    Inside an open transaction the record is part of it (a successful load is
    recorded atomically with its data); otherwise it is committed on its own
    (a rejected load is recorded after the rollback, so none of its data lands).
    """
    record.load_id = record.load_id or new_load_id()
    record.user_name = record.user_name or current_user()
    record.host_name = record.host_name or socket.gethostname()
    record.finished_at = record.finished_at or now_utc()
    inserted = sum(f.rows_inserted or 0 for f in record.files)
    replaced = sum(f.rows_replaced or 0 for f in record.files)
    with wh.transaction():
        wh.execute(
            "INSERT INTO ils_load (load_id, started_at, finished_at, user_name, host_name, source, "
            "outcome, rows_inserted, rows_replaced, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.load_id,
                record.started_at,
                record.finished_at,
                record.user_name[:400],
                record.host_name[:400],
                record.source,
                record.outcome,
                inserted,
                replaced,
                record.message,
            ),
        )
        seen: set[str] = set()
        rows = []
        for f in record.files:
            if f.file_name in seen:
                continue
            seen.add(f.file_name)
            rows.append((record.load_id, f.file_name[:400], f.sha256, f.rows_read, f.rows_inserted, f.rows_replaced))
        if rows:
            wh.executemany(
                "INSERT INTO ils_load_file (load_id, file_name, sha256, rows_read, rows_inserted, "
                "rows_replaced) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
    return record.load_id


def latest_loads(wh: Warehouse, limit: int = 5, *, outcome: str | None = "ok") -> list[dict[str, Any]]:
    """The most recent loads, newest first, each with its ``files`` (name, sha256, counts).

    ``outcome=None`` includes rejected and failed loads. This is the data's
    provenance: a report can name the loads (and file checksums) it was built from.
    """
    where, params = ("WHERE outcome = ?", (outcome,)) if outcome else ("", ())
    loads = wh.query(
        "SELECT load_id, started_at, finished_at, user_name, host_name, source, outcome, "
        f"rows_inserted, rows_replaced, message FROM v_load {where} ORDER BY started_at DESC, load_id DESC",
        params,
    )
    out: list[dict[str, Any]] = []
    for row in loads.head(max(limit, 0)).to_dict("records"):
        rec = {str(k): _clean(v) for k, v in row.items()}
        files = wh.query(
            "SELECT file_name, sha256, rows_read, rows_inserted, rows_replaced FROM v_load_file "
            "WHERE load_id = ? ORDER BY file_name",
            (rec["load_id"],),
        )
        rec["files"] = [{k: _clean(v) for k, v in f.items()} for f in files.to_dict("records")]
        out.append(rec)
    return out
