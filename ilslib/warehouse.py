"""Warehouse access: the only module of ``ilslib`` that talks to a database.

A warehouse is named by a URL:

``sqlite:///relative/path.sqlite`` / ``sqlite:////absolute/path.sqlite``
    the embedded warehouse, through Python's own :mod:`sqlite3` (no driver);
``odbc:<connection string>`` / ``odbc:DSN=<name>``
    any ODBC data source through pyodbc (imported only when used), e.g.
    ``odbc:DRIVER={ODBC Driver 18 for SQL Server};SERVER=lis.stad.local;DATABASE=LIS;Trusted_Connection=yes``.

Statements take bound ``?`` parameters only. ``Warehouse.tracer`` (or
:func:`connect`'s ``tracer=``) is called with each statement and its parameters.

Every read passes through this module, so it can also say what was read:
inside :func:`reading` each query's statement, parameters and a digest of the
rows it returned are recorded (:class:`ReadLog`). ``ils run`` keeps a report's
reads and reruns the report only when one of them returns something else.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config
from .errors import (
    AccessDeniedError,
    ConfigError,
    DriverMissingError,
    LoginFailedError,
    SchemaMissingError,
    UnreachableError,
    WarehouseError,
)

if TYPE_CHECKING:
    import pandas as pd  # imported by Warehouse.query only: planning a run (digests of reads) needs no pandas

log = logging.getLogger("ilslib.sql")

Tracer = Callable[[str, Sequence[Any]], None]

#: The version of the ILS schema this library creates and reads (``ils init`` upgrades an older one; :mod:`ilslib.schema`).
SCHEMA_VERSION = 2

DIALECTS = ("sqlite", "postgresql", "mssql")

# Which package installs which ODBC driver, for the "driver missing" message.
DRIVER_PACKAGES = {
    "postgresql": "Debian package odbc-postgresql (scripts/install-system.sh installs it)",
    "sqlite3": "Debian package libsqliteodbc (scripts/install-system.sh installs it)",
    "sql server": "Microsoft's msodbcsql18 package (see docs/warehouse.md)",
    "freetds": "Debian package tdsodbc",
}


TRACE_PARAMETER_CHARS = 200
"""A longer text parameter is shown shortened in the trace (a PostgreSQL batch insert sends 1 MB of JSON)."""


def _traced(value: Any) -> str:
    """A parameter as the trace shows it: its repr, a long text cut with its length."""
    if isinstance(value, (str, bytes)) and len(value) > TRACE_PARAMETER_CHARS:
        unit = "characters" if isinstance(value, str) else "bytes"
        length = f"{len(value):,}".replace(",", " ")
        return f"{value[: TRACE_PARAMETER_CHARS // 2]!r}... ({length} {unit} in all)"
    return repr(value)


def trace_print(sql: str, params: Sequence[Any]) -> None:
    """A ready tracer: print each statement and its parameters (a long text parameter shortened, with its length)."""
    print(" ".join(sql.split()))
    if params:
        print("  parameters: [" + ", ".join(map(_traced, params)) + "]")


def parse_url(url: str) -> tuple[str, str]:
    """Split a warehouse URL into ``("sqlite", path)`` or ``("odbc", connection_string)``.

    >>> parse_url("sqlite:///data/demo.sqlite")
    ('sqlite', 'data/demo.sqlite')
    >>> parse_url("sqlite:////var/lib/ils/lis.sqlite")
    ('sqlite', '/var/lib/ils/lis.sqlite')
    >>> parse_url("odbc:DSN=lis")
    ('odbc', 'DSN=lis')
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigError("the warehouse URL is empty: expected sqlite:///PATH or odbc:CONNECTION-STRING")
    url = url.strip()
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path:
            raise ConfigError(f"malformed warehouse URL {config.redact_url(url)!r}: no file path after sqlite:///")
        return "sqlite", path
    if url.startswith("odbc:"):
        conn = url[len("odbc:") :].strip()
        if conn and not _braces_closed(conn):
            raise ConfigError(
                f"malformed warehouse URL {config.redact_url(url)!r}: a '{{' in the connection string is "
                "never closed with '}'"
            )
        if not conn or "=" not in conn:
            raise ConfigError(
                f"malformed warehouse URL {config.redact_url(url)!r}: expected odbc:DSN=NAME or "
                "odbc:DRIVER={...};SERVER=...;DATABASE=..."
            )
        return "odbc", conn
    raise ConfigError(
        f"malformed warehouse URL {config.redact_url(url)!r}: expected sqlite:///PATH "
        "(or sqlite:////ABSOLUTE/PATH) or odbc:CONNECTION-STRING"
    )


def absolute_url(url: str) -> str:
    """``url`` with a relative SQLite path made absolute (for processes that run elsewhere).

    >>> absolute_url("odbc:DSN=lis")
    'odbc:DSN=lis'
    """
    kind, target = parse_url(url)
    if kind == "sqlite" and target != ":memory:" and not target.startswith("/"):
        return "sqlite:///" + str(Path(target).expanduser().resolve())
    return url


def _braces_closed(conn: str) -> bool:
    """True when every ``{`` value in an ODBC connection string is closed (``}}`` is an escaped brace)."""
    i, n = 0, len(conn)
    while i < n:
        if conn[i] == "{":
            j = i + 1
            while j < n:
                if conn[j] == "}":
                    if j + 1 < n and conn[j + 1] == "}":
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                return False
            i = j + 1
        else:
            i += 1
    return True


def _odbc_quote(value: str) -> str:
    return "{" + value.replace("}", "}}") + "}"


def _odbc_driver_name(conn: str) -> str | None:
    m = re.search(r"(?i)\bdriver\s*=\s*(\{(?:[^}]|\}\})*\}|[^;]*)", conn)
    if not m:
        return None
    return m.group(1).strip().strip("{}")


def _odbc_dsn_name(conn: str) -> str | None:
    m = re.search(r"(?i)\bdsn\s*=\s*([^;]*)", conn)
    return m.group(1).strip() if m else None


def _package_for(driver: str) -> str:
    low = driver.lower()
    for key, pkg in DRIVER_PACKAGES.items():
        if key in low:
            return pkg
    return "the driver vendor's package (odbcinst -q -d lists the installed drivers)"


def _classify_odbc_error(exc: Exception, conn: str, shown: str) -> WarehouseError:
    """Turn a pyodbc error at connect time into a one-line, secret-free error."""
    state, message = _error_parts(exc)
    low = message.lower()
    driver = _odbc_driver_name(conn)
    dsn = _odbc_dsn_name(conn)
    if state == "IM002" or "can't open lib" in low or "file not found" in low and driver:
        if driver and ("can't open lib" in low or "file not found" in low or "driver" in low):
            return DriverMissingError(f"ODBC driver {driver!r} is not installed (install {_package_for(driver)})")
        if dsn:
            return DriverMissingError(
                f"ODBC data source {dsn!r} is not defined (odbcinst -q -s lists the DSNs; "
                "define it in ~/.odbc.ini or /etc/odbc.ini)"
            )
        return DriverMissingError(f"{shown}: no ODBC driver or DSN named ({message})")
    if (
        state in ("28000", "28P01")
        or "password authentication failed" in low
        or "login failed" in low
        or "authentication failed" in low
        or "no password supplied" in low
    ):
        return LoginFailedError(
            f"login to the warehouse {shown} failed: check the user name and "
            f"{config.ENV_PASSWORD} (the password is not shown)"
        )
    if "database" in low and "does not exist" in low:
        return WarehouseError(
            f"the database named in {shown} does not exist on the server (check DATABASE=): {message.splitlines()[0]}"
        )
    if (
        state in ("08001", "08S01", "HYT00", "HYT01")
        or "could not connect" in low
        or "connection refused" in low
        or "timeout" in low
        or "timed out" in low
    ):
        return UnreachableError(f"the warehouse server for {shown} is unreachable: {message.splitlines()[0]}")
    return WarehouseError(f"cannot connect to the warehouse {shown}: {message.splitlines()[0]}")


class Warehouse:
    """An open connection to a warehouse.

    Use :func:`connect` to make one. Queries return pandas DataFrames with
    plain Python/NumPy types (decimals become floats, dates ISO ``YYYY-MM-DD``
    text), whatever the backend.
    """

    def __init__(self, raw: Any, dialect: str, url: str, tracer: Tracer | None = None):
        if dialect not in DIALECTS:
            raise ConfigError(f"unsupported database {dialect!r}: ils supports {', '.join(DIALECTS)}")
        self._raw = raw
        self.dialect = dialect
        self.url = config.redact_url(url)
        self.tracer = tracer
        self._in_tx = False
        self._recheck_cursor: Any = None
        # The SQLite3 ODBC driver types a computed column by its first row: see _add_sqlite_odbc_converters.
        self._sqlite_odbc = self.is_odbc and dialect == "sqlite"
        if self._sqlite_odbc:
            _add_sqlite_odbc_converters(raw)

    # -- connection -----------------------------------------------------------------
    @property
    def is_odbc(self) -> bool:
        """True when the connection goes through pyodbc."""
        return not isinstance(self._raw, sqlite3.Connection)

    @property
    def raw(self) -> Any:
        """The DB-API connection underneath (sqlite3 or pyodbc)."""
        return self._raw

    def close(self) -> None:
        """Close the connection."""
        if self._recheck_cursor is not None:
            with contextlib.suppress(Exception):
                self._recheck_cursor.close()
        with contextlib.suppress(Exception):
            self._raw.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Warehouse {self.dialect} {self.url}>"

    # -- statements -----------------------------------------------------------------
    def _trace(self, sql: str, params: Sequence[Any]) -> None:
        if self.tracer is not None:
            self.tracer(sql, params)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s -- %r", " ".join(sql.split()), list(params))

    def _cursor_execute(self, sql: str, params: Sequence[Any], *, read: bool = False) -> Any:
        self._trace(sql, params)
        cur = self._raw.cursor()
        try:
            cur.execute(sql, tuple(params))
        except (sqlite3.Error, self._odbc_error_type()) as exc:
            cur.close()
            if read and _LOGS:
                _note_read(sql, params, None)  # a read that failed is a read too: it may work next time
            refused = refusal(exc, read=read)
            if refused is not None:
                raise refused from exc
            raise WarehouseError(f"query failed on {self.url}: {_first_line(exc)}") from exc
        return cur

    def _odbc_error_type(self) -> type[BaseException]:
        if self.is_odbc:
            import pyodbc

            return pyodbc.Error
        return sqlite3.Error

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; return the affected row count (-1 where unknown)."""
        cur = self._cursor_execute(sql, params)
        try:
            return cur.rowcount
        finally:
            cur.close()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], *, batch: int = 50_000) -> int:
        """Run one statement for many parameter rows, in batches; return the number of rows.

        On PostgreSQL and SQL Server pyodbc's ``fast_executemany`` (parameter
        arrays) is used; never on the SQLite3 ODBC driver, which crashes with it.
        """
        total = 0
        cur = self._raw.cursor()
        fast = self.is_odbc and self.dialect in ("postgresql", "mssql")
        err = self._odbc_error_type()

        def flush(buf: list[Any]) -> None:
            self._trace(sql, [f"<{len(buf)} rows>"])
            if fast:
                # Parameter arrays have a fixed buffer per text column (8190
                # characters with psqlODBC): a batch with longer text goes row by row.
                cur.fast_executemany = not _has_long_text(buf)
            cur.executemany(sql, buf)

        try:
            # Tuples in memory already (the loader's chunks): slices, no Python step per row.
            if isinstance(rows, list) and set(map(type, rows)) <= {tuple}:
                for start in range(0, len(rows), batch):
                    flush(rows[start : start + batch])
                    total += min(batch, len(rows) - start)
                return total
            buf: list[Any] = []
            for row in rows:
                buf.append(tuple(row))
                if len(buf) >= batch:
                    flush(buf)
                    total += len(buf)
                    buf = []
            if buf:
                flush(buf)
                total += len(buf)
        except (sqlite3.Error, err) as exc:
            refused = refusal(exc)
            if refused is not None:
                raise refused from exc
            raise WarehouseError(f"writing to {self.url} failed: {_first_line(exc)}") from exc
        finally:
            cur.close()
        return total

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples (decimals as floats, dates as ISO text)."""
        cur = self._cursor_execute(sql, params, read=True)
        try:
            data = self._fetch(cur)
        finally:
            cur.close()
        if _LOGS:
            _note_read(sql, params, data)
        return data

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        result = self.rows(sql, params)
        return result[0][0] if result else None

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a query and return a DataFrame (column names in lower case)."""
        cur = self._cursor_execute(sql, params, read=True)
        try:
            columns = [d[0].lower() for d in cur.description]
            data = self._fetch(cur)
        finally:
            cur.close()
        if _LOGS:
            _note_read(sql, params, data)
        import pandas as pd

        return pd.DataFrame.from_records(data, columns=columns)

    def read_digest(self, sql: str, params: Sequence[Any]) -> str:
        """Run a recorded read again (parameters as :meth:`ReadLog.entries` stores them); the digest of its rows.

        The digest is :func:`rows_digest` of the rows, ``"error"`` when the
        statement fails and ``"unreadable"`` when the parameters cannot be
        decoded: compared with the digest recorded when a report ran, any
        difference means the report would read something else now.
        """
        try:
            values = [decode_param(p) for p in params]
        except (TypeError, ValueError, KeyError):
            return "unreadable"
        # One cursor for all of them: closing a cursor costs a round trip with some drivers.
        if self._recheck_cursor is None:
            self._recheck_cursor = self._raw.cursor()
        cur = self._recheck_cursor
        self._trace(sql, values)
        try:
            cur.execute(sql, tuple(values))
            # The digest reads Decimal, dates and NumPy values as _fetch would turn them; only the
            # SQLite ODBC driver's guessed column types need _fetch's repair.
            data = self._fetch(cur) if self._sqlite_odbc else cur.fetchall()
        except (sqlite3.Error, self._odbc_error_type()):
            with contextlib.suppress(Exception):
                cur.close()
            self._recheck_cursor = None
            return "error"
        return rows_digest(data)

    def _fetch(self, cur: Any) -> list[tuple[Any, ...]]:
        data = [tuple(_plain(v) for v in row) for row in cur.fetchall()]
        if self._sqlite_odbc and data:
            data = _fix_guessed_text_columns(cur.description, data)
        return data

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Warehouse]:
        """All statements inside the block are committed together or not at all."""
        if self._in_tx:
            yield self
            return
        self._in_tx = True
        try:
            if self.is_odbc:
                self._raw.autocommit = False
            else:
                self._trace("BEGIN", ())
                self._raw.execute("BEGIN")
            try:
                yield self
            except BaseException:
                self._trace("ROLLBACK", ())
                self._raw.rollback()
                raise
            else:
                self._trace("COMMIT", ())
                self._raw.commit()
        finally:
            if self.is_odbc:
                with contextlib.suppress(Exception):
                    self._raw.autocommit = True
            self._in_tx = False

    # -- schema -----------------------------------------------------------------------
    def has_table(self, name: str) -> bool:
        """True when a table or view of that name exists (from the catalogue, safe inside a transaction)."""
        _ident(name)
        if self.dialect == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?"
        elif self.dialect == "postgresql":
            # The catalogue, not information_schema: that shows only what the login may use, and a login
            # without rights must hear that it may not read the warehouse, not that there is none.
            sql = (
                "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'v', 'p', 'm', 'f') AND LOWER(c.relname) = ? "
                "AND n.nspname = ANY (current_schemas(false))"
            )
        else:
            sql = "SELECT 1 FROM information_schema.tables WHERE LOWER(table_name) = ?"
        return bool(self.rows(sql, (name.lower(),)))

    def require_schema(self) -> None:
        """Raise :class:`SchemaMissingError` unless the ILS schema is present and current."""
        found = None
        if self.has_table("ils_meta"):
            found = self.scalar("SELECT value FROM ils_meta WHERE name = ?", ("schema_version",))
        if found is None:
            raise SchemaMissingError(
                f"the database {self.url} has no ILS warehouse schema: create it with "
                f"'ils init --warehouse URL' (or 'ils demo' for the demo warehouse)"
            )
        if str(found) != str(SCHEMA_VERSION):
            raise SchemaMissingError(
                f"the warehouse {self.url} has schema version {found}, this ilslib needs "
                f"{SCHEMA_VERSION}: upgrade it with 'ils init --warehouse URL'"
            )


# -- what was read -------------------------------------------------------------------
#
# A report's output depends on nothing but the rows its queries returned (and its
# notebook, parameters and library). Recording each read here, where every query
# passes, covers every figure there is or will be: nothing has to be registered.

UNRECORDED_RELATIONS = frozenset({"v_load", "v_load_file", "ils_load", "ils_load_file"})
"""Relations whose reads are not recorded: the load records are the data's provenance, not its content."""

READ_LOG_ENV = "ILS_READ_LOG"
"""A file path: a process started with it appends every read there (a Jupyter kernel run by ``ils run``)."""

_RELATION_RE = re.compile(r"(?i)\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_]*)")
_LOGS: list[ReadLog] = []
_LOGS_LOCK = threading.Lock()
_UNTRACKED_CACHE: dict[str, bool] = {}
CONFLICT = "conflict"
"""The digest of a read that returned different rows within one log (the data changed meanwhile)."""


def _canon(value: Any) -> str | None:
    """One text per value, the same on every backend: numbers to 15 significant digits (what every
    driver returns exactly), dates in ISO form, Decimal as its number."""
    t = type(value)
    if t is str or value is None:
        return value
    if t is float:
        return "nan" if value != value else format(value + 0.0, ".15g")
    if t is int and -(10**15) < value < 10**15:
        return str(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value) if -(10**15) < value < 10**15 else format(float(value), ".15g")
    if isinstance(value, (float, decimal.Decimal)):
        f = float(value)
        return "nan" if f != f else format(f + 0.0, ".15g")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if hasattr(value, "item"):  # a NumPy scalar
        return _canon(value.item())
    return str(value)


def rows_digest(rows: Iterable[Sequence[Any]]) -> str:
    """A SHA-256 (hex) of a query's rows, independent of their order and of the backend's number types."""
    lines = sorted(repr(tuple(_canon(v) for v in row)) for row in rows)
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()


def encode_param(value: Any) -> Any:
    """A statement parameter as JSON data that :func:`decode_param` turns back into the same value."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else {"float": repr(value)}
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"bytes": bytes(value).hex()}
    if hasattr(value, "item"):  # a NumPy scalar
        return encode_param(value.item())
    return {"unknown": repr(value)}  # cannot be run again: a report that read it always reruns


def decode_param(value: Any) -> Any:
    """The parameter :func:`encode_param` encoded (raises ValueError for one that cannot be rebuilt)."""
    if not isinstance(value, dict):
        return value
    ((tag, text),) = value.items()
    if tag == "float":
        return float(text)
    if tag == "decimal":
        return decimal.Decimal(text)
    if tag == "datetime":
        return datetime.datetime.fromisoformat(text)
    if tag == "date":
        return datetime.date.fromisoformat(text)
    if tag == "bytes":
        return bytes.fromhex(text)
    raise ValueError(f"parameter {value!r} cannot be rebuilt")


def _recorded(sql: str) -> bool:
    """False for a statement that reads only the load records."""
    known = _UNTRACKED_CACHE.get(sql)
    if known is None:
        relations = {m.lower() for m in _RELATION_RE.findall(sql)}
        known = _UNTRACKED_CACHE[sql] = not (relations and relations <= UNRECORDED_RELATIONS)
    return known


class ReadLog:
    """The reads made while it is active (see :func:`reading`): statement, parameters, digest of the rows.

    The same statement with the same parameters is one read. :meth:`entries`
    is plain JSON data (``[sql, [parameters], digest]``, sorted) to store and
    run again later with :meth:`Warehouse.read_digest`; :meth:`digest` is one
    SHA-256 over all of them, the same on every backend for the same data.
    """

    def __init__(self) -> None:
        self._reads: dict[tuple[str, str], list[Any]] = {}

    def add(self, sql: str, params: list[Any], digest: str) -> None:
        """Record one read (``params`` as :func:`encode_param` gives them)."""
        key = (sql, json.dumps(params, ensure_ascii=False, sort_keys=True))
        known = self._reads.get(key)
        if known is None:
            self._reads[key] = [sql, params, digest]
        elif known[2] != digest:
            known[2] = CONFLICT  # never equal to a digest: the reader is redone

    def entries(self) -> list[list[Any]]:
        """``[[sql, params, digest], ...]`` in a fixed order."""
        return [list(v) for _, v in sorted(self._reads.items(), key=lambda kv: kv[0])]

    def digest(self) -> str:
        """One SHA-256 (hex) of every read and what it returned."""
        return digest_of(self.entries())

    def __len__(self) -> int:
        return len(self._reads)


def digest_of(entries: Iterable[Sequence[Any]]) -> str:
    """:meth:`ReadLog.digest` of stored entries: the statement (white space folded), the parameters
    as values (a date and its ISO text are the same) and the rows' digest of each, in a fixed order."""
    lines = sorted(
        " ".join(str(sql).split())
        + "\x1e"
        + repr(tuple(_canon(_decoded_or_raw(p)) for p in params))
        + "\x1e"
        + str(digest)
        for sql, params, digest in entries
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()


def _decoded_or_raw(value: Any) -> Any:
    try:
        return decode_param(value)
    except (TypeError, ValueError):
        return json.dumps(value, sort_keys=True)


class _FileLog(ReadLog):
    """A log that also appends each new read to a file, one JSON line each (for a parent process)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def add(self, sql: str, params: list[Any], digest: str) -> None:
        super().add(sql, params, digest)
        with contextlib.suppress(OSError), open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps([sql, params, digest], ensure_ascii=False) + "\n")


def read_file_log(path: str | Path) -> list[list[Any]]:
    """The reads a process wrote to the file named in ``ILS_READ_LOG`` ([] when there is none)."""
    out = []
    with contextlib.suppress(OSError):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                sql, params, digest = json.loads(line)
                out.append([sql, params, digest])
    return out


def _note_read(sql: str, params: Sequence[Any], data: list[tuple[Any, ...]] | None) -> None:
    """Add a read (``data`` None: it failed) to every active log."""
    if not _recorded(sql):
        return
    digest = "error" if data is None else rows_digest(data)
    encoded = [encode_param(p) for p in params]
    with _LOGS_LOCK:
        for log_ in _LOGS:
            log_.add(sql, encoded, digest)


def replay(entries: Iterable[Sequence[Any]]) -> None:
    """Record reads made earlier (``ReadLog.entries``) in every active log, as if made now.

    For results kept in memory (the report context, :mod:`ilslib.figures.context`): a report that gets a
    kept result has read what computing it read.
    """
    if not _LOGS:
        return
    with _LOGS_LOCK:
        for sql, params, digest in entries:
            for log_ in _LOGS:
                log_.add(sql, list(params), digest)


@contextlib.contextmanager
def reading() -> Iterator[ReadLog]:
    """Record every read of this process (every connection) while the block runs.

    Logs nest: a read is recorded in every active log.

    >>> wh = connect("sqlite:///:memory:", create=True, check_schema=False)
    >>> with reading() as log:
    ...     _ = wh.rows("SELECT 1 + ?", (1,))
    >>> len(log), log.entries()[0][:2]
    (1, ['SELECT 1 + ?', [1]])
    """
    log_ = ReadLog()
    with _LOGS_LOCK:
        _LOGS.append(log_)
    try:
        yield log_
    finally:
        with _LOGS_LOCK:
            _LOGS.remove(log_)


if os.environ.get(READ_LOG_ENV):  # a kernel started by ``ils run --engine kernel``: report every read
    _LOGS.append(_FileLog(os.environ[READ_LOG_ENV]))


def _ident(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ConfigError(f"not a valid table name: {name!r}")
    return name


_SQLSTATE = re.compile(r"[0-9A-Z]{5}")


def _error_parts(exc: BaseException) -> tuple[str, str]:
    """``(sqlstate, redacted message)`` of a DB-API error.

    pyodbc puts the SQLSTATE first or last depending on where the error arose
    (``('08001', msg)`` at connect, ``(msg, 'HY000')`` from parameter arrays).
    """
    args = [str(a) for a in getattr(exc, "args", ())]
    states = [a for a in args if _SQLSTATE.fullmatch(a)]
    texts = [a for a in args if not _SQLSTATE.fullmatch(a)]
    message = config.redact(texts[0] if texts else (args[0] if args else str(exc)))
    return (states[0] if states else ""), message


# What a database says when its own permissions refuse a statement: PostgreSQL's insufficient_privilege
# (SQLSTATE 42501: a missing grant, and a row that row-level security refuses), SQL Server's "The INSERT
# permission was denied" (error 229) and a security policy's block predicate (error 33504).
_REFUSAL_STATES = ("42501",)
_REFUSAL_WORDS = (
    "permission denied",
    "row-level security",
    "row level security",
    "permission was denied",
    "block predicate",
    "insufficient privilege",
)


def refusal(exc: BaseException, *, read: bool = False) -> AccessDeniedError | None:
    """The one-line :class:`AccessDeniedError` for a statement the database's own permissions refused, else None.

    This is the backstop behind the application's checks (:mod:`ilslib.rights`):
    grants and row-level security set by ``ils access apply``. The statement
    was not carried out; inside a transaction the whole transaction is rolled back.
    """
    state, message = _error_parts(exc)
    args = " ".join(str(a) for a in getattr(exc, "args", ()))
    low = (message + " " + args).lower()
    if state not in _REFUSAL_STATES and not any(w in low for w in _REFUSAL_WORDS):
        return None
    text = _first_line(exc)
    # psqlODBC prefixes the server's text with the driver's own tags ("[unixODBC]ERROR: ...").
    text = re.sub(r"^(\[[^\]]*\])+", "", text).strip()
    text = re.sub(r"^ERROR:\s*", "", text).rstrip(";").strip()
    text = re.sub(r"\s*\(\d+\)\s*(\(SQLExecDirectW\))?$", "", text).strip() or "permission denied"
    done = "your login may not read it" if read else "nothing of it was written"
    return AccessDeniedError(
        f"the warehouse refused it: {text}; {done} (the database's own permissions for your login: ils access "
        "review lists them, an administrator changes them in users and runs ils access apply)"
    )


def _first_line(exc: BaseException) -> str:
    text = _error_parts(exc)[1].strip()
    return text.splitlines()[0] if text else type(exc).__name__


# The SQLite3 ODBC driver has no declared type for a computed column (SUM(x),
# COALESCE(...)) and takes the type of the first row's value: NULL or text makes
# the column VARCHAR (numbers then come back as strings), an integer makes it
# INTEGER (2.5 in a later row would come back as 2). Every value reaches the
# driver as SQLite's text, so: numeric SQL types are read as that text and
# converted by the text itself, and a guessed VARCHAR column (size 255) whose
# values are all numbers is converted to numbers.

_NUMBER_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _number_from_text(raw: Any) -> Any:
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes | bytearray) else str(raw)
    text = text.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def _add_sqlite_odbc_converters(raw: Any) -> None:
    import pyodbc

    for sql_type in (
        pyodbc.SQL_TINYINT,
        pyodbc.SQL_SMALLINT,
        pyodbc.SQL_INTEGER,
        pyodbc.SQL_BIGINT,
        pyodbc.SQL_REAL,
        pyodbc.SQL_FLOAT,
        pyodbc.SQL_DOUBLE,
        pyodbc.SQL_NUMERIC,
        pyodbc.SQL_DECIMAL,
    ):
        raw.add_output_converter(sql_type, _number_from_text)


def _fix_guessed_text_columns(description: Any, data: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    guessed = [i for i, d in enumerate(description) if d[1] is str and d[3] == 255]
    convert = [
        i
        for i in guessed
        if any(row[i] is not None for row in data)
        and all(row[i] is None or (isinstance(row[i], str) and _NUMBER_RE.fullmatch(row[i].strip())) for row in data)
    ]
    if not convert:
        return data
    out = []
    for row in data:
        values = list(row)
        for i in convert:
            values[i] = _number_from_text(values[i])
        out.append(tuple(values))
    return out


# Longest text sent through ODBC parameter arrays (fast_executemany).
_FAST_TEXT_MAX = 4000


def _has_long_text(rows: list[tuple[Any, ...]]) -> bool:
    return any(isinstance(v, str) and len(v) > _FAST_TEXT_MAX for row in rows for v in row)


def _plain(value: Any) -> Any:
    # The same value type on every backend: ODBC drivers return DECIMAL as Decimal
    # and DATE as datetime.date, the embedded sqlite3 returns float and the ISO text.
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    return value


def _connect_sqlite(path: str, create: bool) -> sqlite3.Connection:
    if path != ":memory:":
        p = Path(path).expanduser()
        if not create and not p.exists():
            raise SchemaMissingError(
                f"the embedded warehouse {p} does not exist: create it with "
                f"'ils init --warehouse sqlite:///{path}' (or 'ils demo' for the demo)"
            )
        if create:
            p.parent.mkdir(parents=True, exist_ok=True)
        path = str(p)
    try:
        raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("PRAGMA journal_mode = WAL" if path != ":memory:" else "PRAGMA journal_mode = MEMORY")
        raw.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        raise WarehouseError(f"cannot open the embedded warehouse {path}: {exc}") from None
    return raw


def _import_pyodbc() -> Any:
    try:
        import pyodbc
    except ImportError as exc:
        if "libodbc" in str(exc):
            raise DriverMissingError(
                "unixODBC is not installed (install Debian package unixodbc; scripts/install-system.sh does it)"
            ) from None
        raise DriverMissingError("pyodbc is not installed (pip install pyodbc)") from None
    return pyodbc


def _odbc_dialect(raw: Any) -> str:
    import pyodbc

    name = str(raw.getinfo(pyodbc.SQL_DBMS_NAME) or "").lower()
    if "postgres" in name:
        return "postgresql"
    if "sqlite" in name:
        return "sqlite"
    if "sql server" in name or "microsoft" in name:
        return "mssql"
    raise ConfigError(f"unsupported database {name!r}: ils supports SQLite, PostgreSQL and SQL Server")


def _connect_odbc(conn: str, shown: str, timeout: float) -> Any:
    pyodbc = _import_pyodbc()
    password = os.environ.get(config.ENV_PASSWORD)
    full = conn
    if password and not re.search(r"(?i)\b(pwd|password)\s*=", conn):
        full = conn.rstrip(";") + ";PWD=" + _odbc_quote(password)

    result: dict[str, Any] = {}

    def attempt() -> None:
        try:
            result["conn"] = pyodbc.connect(full, autocommit=True, timeout=int(max(1, timeout)))
        except Exception as exc:  # classified below, in the caller's thread
            result["error"] = exc

    # The login timeout is not honoured by every driver: bound the wait ourselves.
    worker = threading.Thread(target=attempt, name="ils-connect", daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(timeout + 1.0)
    if worker.is_alive():
        raise UnreachableError(
            f"the warehouse server for {shown} did not answer within {timeout:g} s "
            f"(set {config.ENV_CONNECT_TIMEOUT} to wait longer)"
        )
    if "error" in result:
        raise _classify_odbc_error(result["error"], conn, shown) from None
    raw = result["conn"]
    log.debug("connected to %s in %.2f s", shown, time.monotonic() - started)
    return raw


def connect(
    url: str | None = None,
    *,
    tracer: Tracer | None = None,
    create: bool = False,
    check_schema: bool = True,
) -> Warehouse:
    """Open the warehouse named by ``url`` (or the configured one; see :mod:`ilslib.config`).

    ``create=True`` allows a new, empty embedded database (``ils init``);
    ``check_schema=False`` skips the check that the ILS schema is present.

    >>> wh = connect("sqlite:///:memory:", create=True, check_schema=False)
    >>> wh.scalar("SELECT 1 + ?", (1,))
    2
    """
    resolved = config.resolve_warehouse(url)
    try:
        kind, target = parse_url(resolved.url)
    except ConfigError as exc:
        # Name the setting the URL came from (--warehouse, ILS_WAREHOUSE or the config file).
        raise ConfigError(f"{resolved.source}: {exc}") from None
    shown = config.redact_url(resolved.url)
    if kind == "sqlite":
        wh = Warehouse(_connect_sqlite(target, create), "sqlite", resolved.url, tracer)
    else:
        raw = _connect_odbc(target, shown, config.connect_timeout())
        try:
            dialect = _odbc_dialect(raw)
        except Exception:
            raw.close()
            raise
        wh = Warehouse(raw, dialect, resolved.url, tracer)
    if check_schema:
        try:
            wh.require_schema()
        except Exception:
            wh.close()
            raise
    return wh
