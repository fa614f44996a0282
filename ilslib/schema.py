"""The warehouse schema: tables that store the contract's files, and the views the library reads.

The tables (``ils_*``) are generated from :mod:`ilslib.contract`; the views
(``v_*``) are the interface the library reads, so a city's own warehouse can
provide the same views over its own tables. ``ils init`` creates both;
``ils init --sql --dialect D`` prints the DDL (``docs/warehouse.md`` has it).

Version 2 adds the tables of the contract's ``deadlines`` and ``users``, the
bookkeeping of the reporting round (``ils_round_state``) and its audit trail
(``ils_event``), and makes ``ils_ledger.outcome`` nullable (not booked).
:func:`init_schema` upgrades a version-1 warehouse in place, in one
transaction, keeping every row.
"""

from __future__ import annotations

from .contract import FILES, LOAD_ORDER, Column, FileSpec
from .errors import ConfigError, SchemaMissingError
from .warehouse import DIALECTS, SCHEMA_VERSION, Warehouse

LOAD_LOCK = "load_lock"
"""The ``ils_meta`` row every load updates first: it serialises loads (see :mod:`ilslib.load`)."""


def meta_rows() -> list[tuple[str, str | None]]:
    """The ``ils_meta`` rows a warehouse must hold: its schema version and the load lock (value NULL)."""
    return [("schema_version", str(SCHEMA_VERSION)), (LOAD_LOCK, None)]


# Standard SQL types, with the few places where a dialect needs another spelling.
_TYPES = {
    "id": {"sqlite": "VARCHAR(64)", "postgresql": "VARCHAR(64)", "mssql": "NVARCHAR(64)"},
    # A warehouse login (users.user_id): as long as an id, so the column is the same as in schema 2's first tables.
    "login": {"sqlite": "VARCHAR(64)", "postgresql": "VARCHAR(64)", "mssql": "NVARCHAR(64)"},
    # Wide enough for the audit trail's action names (tables made by schema 1 keep 16, which holds every code).
    "code": {"sqlite": "VARCHAR(32)", "postgresql": "VARCHAR(32)", "mssql": "NVARCHAR(32)"},
    "email": {"sqlite": "VARCHAR(254)", "postgresql": "VARCHAR(254)", "mssql": "NVARCHAR(254)"},
    "text": {"sqlite": "TEXT", "postgresql": "TEXT", "mssql": "NVARCHAR(MAX)"},
    "short": {"sqlite": "VARCHAR(400)", "postgresql": "VARCHAR(400)", "mssql": "NVARCHAR(400)"},
    # A file's name (no folder): 255 characters is the longest name the file systems allow. Part of a key
    # (ils_load_file): NVARCHAR(400) would make that key 928 bytes, over SQL Server's 900.
    "file": {"sqlite": "VARCHAR(255)", "postgresql": "VARCHAR(255)", "mssql": "NVARCHAR(255)"},
    "int": {d: "INTEGER" for d in DIALECTS},
    "year": {d: "INTEGER" for d in DIALECTS},
    "number": {d: "DOUBLE PRECISION" for d in DIALECTS},
    "period": {d: "VARCHAR(7)" for d in DIALECTS},
    "month": {d: "VARCHAR(7)" for d in DIALECTS},
    "date": {d: "DATE" for d in DIALECTS},
}

# Bookkeeping tables that are not contract files.
_EXTRA_TABLES: dict[str, tuple[tuple[str, str, bool], ...]] = {
    # name, type, not null
    "ils_meta": (("name", "id", True), ("value", "short", False)),
    "ils_load": (
        ("load_id", "id", True),
        ("started_at", "short", True),
        ("finished_at", "short", False),
        ("user_name", "short", False),
        ("host_name", "short", False),
        ("source", "text", False),
        ("outcome", "code", True),
        ("rows_inserted", "int", False),
        ("rows_replaced", "int", False),
        ("message", "text", False),
    ),
    "ils_load_file": (
        ("load_id", "id", True),
        ("file_name", "file", True),
        ("sha256", "id", True),
        ("rows_read", "int", False),
        ("rows_inserted", "int", False),
        ("rows_replaced", "int", False),
    ),
    # The reporting round: one state per organisation and period (states: contract.ROUND_STATES).
    "ils_round_state": (
        ("org_id", "id", True),
        ("period", "period", True),
        ("state", "code", True),
        ("changed_at", "short", True),
        ("changed_by", "short", True),
    ),
    # The audit trail of the reporting round and of permission changes (load, ready, approve, remind, access_apply ...).
    "ils_event": (
        ("event_id", "id", True),
        ("at", "short", True),
        ("user_name", "short", True),
        ("action", "code", True),
        ("org_id", "id", False),
        ("period", "period", False),
        ("from_state", "code", False),
        ("to_state", "code", False),
        ("detail", "text", False),
    ),
}
_EXTRA_KEYS = {
    "ils_meta": ("name",),
    "ils_load": ("load_id",),
    "ils_load_file": ("load_id", "file_name"),
    "ils_round_state": ("org_id", "period"),
    "ils_event": ("event_id",),
}
# The bookkeeping tables that have a view (ils_meta has none).
_EXTRA_VIEWS = {
    "ils_load": "v_load",
    "ils_load_file": "v_load_file",
    "ils_round_state": "v_round_state",
    "ils_event": "v_event",
}

# Indexes that the figure queries rely on (the ledger one is covering on purpose:
# a period's economy for every organisation is read from the index alone).
_INDEXES = (
    ("ix_ledger_period", "ils_ledger", ("month", "org_id", "kind", "outcome", "budget", "forecast")),
    ("ix_outcome_period", "ils_outcome", ("period", "indicator_id", "org_id")),
    ("ix_target_year", "ils_target", ("year", "indicator_id")),
    ("ix_goal_org", "ils_goal", ("org_id",)),
    ("ix_activity_org", "ils_activity", ("org_id",)),
    ("ix_assessment_period", "ils_assessment", ("period", "goal_id")),
)


MSSQL_KEY_COLLATION = "Latin1_General_100_BIN2"
"""The collation of identifier, code, period and month columns on SQL Server.

The contract's identifiers and codes are case-sensitive (``A1`` and ``a1`` are
two organisations) and the loader compares them as Python does, character by
character. A Swedish SQL Server defaults to a case-insensitive collation
(``Finnish_Swedish_CI_AS``), under which a key would hold only one of the two
and a join would match across case. A binary collation (BIN2: code point by
code point) compares exactly as the loader, SQLite and PostgreSQL in the ``C``
locale do, on every SQL Server since 2008; identifiers are stored NFC, so one
spelling of ``Å`` is one id. Text columns (names, titles, comments) keep the
database's collation, so they sort the Swedish way.
"""
# Types compared as identifiers (exactly) on every backend.
_EXACT_TYPES = frozenset({"id", "login", "code", "period", "month", "file"})


def _sql_type(col_type: str, dialect: str) -> str:
    sql = _TYPES[col_type][dialect]
    if dialect == "mssql" and col_type in _EXACT_TYPES:
        sql += f" COLLATE {MSSQL_KEY_COLLATION}"
    return sql


def _create_table(name: str, cols: list[tuple[str, str, bool]], key: tuple[str, ...], dialect: str) -> str:
    lines = [f"    {c} {_sql_type(t, dialect)}{' NOT NULL' if nn else ''}" for c, t, nn in cols]
    lines.append(f"    CONSTRAINT pk_{name} PRIMARY KEY ({', '.join(key)})")
    return f"CREATE TABLE {name} (\n" + ",\n".join(lines) + "\n)"


def _contract_columns(spec: FileSpec) -> list[tuple[str, str, bool]]:
    def not_null(c: Column) -> bool:
        return c.required or c.name in spec.key or c.default is not None

    return [(c.name, c.type, not_null(c)) for c in spec.columns]


def _view_name(spec: FileSpec) -> str:
    return "v_" + spec.table[len("ils_") :]


def _create_view(spec: FileSpec) -> str:
    # An optional key column is stored as '' (a key cannot be NULL); the view shows NULL, as in the files.
    blank_ids = [c.name for c in spec.columns if c.default == "" and c.type == "id"]
    if blank_ids:
        # Not NULLIF for an identifier: the SQLite3 ODBC driver guesses the type of a computed
        # column from its values (an org id 0110 would come back as the number 110). A join of
        # the row to itself on its key, but only where the id is not '', gives the id or NULL
        # as a plain column that keeps its declared type.
        (name,) = blank_ids
        cols = ", ".join(f"x.{c}" if c == name else f"t.{c}" for c in spec.column_names)
        on = " AND ".join(f"x.{k} = t.{k}" for k in spec.key)
        return (
            f"CREATE VIEW {_view_name(spec)} AS\nSELECT {cols}\nFROM {spec.table} t\n"
            f"LEFT JOIN {spec.table} x ON {on} AND x.{name} <> ''"
        )
    shown = [f"NULLIF({c.name}, '') AS {c.name}" if c.default == "" else c.name for c in spec.columns]
    return f"CREATE VIEW {_view_name(spec)} AS\nSELECT {', '.join(shown)}\nFROM {spec.table}"


def ddl(dialect: str) -> list[str]:
    """The statements that create the schema, in order, for ``dialect``."""
    if dialect not in DIALECTS:
        raise ConfigError(f"unknown dialect {dialect!r}: expected one of {', '.join(DIALECTS)}")
    out = [_create_table(t, list(cols), _EXTRA_KEYS[t], dialect) for t, cols in _EXTRA_TABLES.items()]
    for name in LOAD_ORDER:
        spec = FILES[name]
        out.append(_create_table(spec.table, _contract_columns(spec), spec.key, dialect))
    for ix, table, cols in _INDEXES:
        out.append(f"CREATE INDEX {ix} ON {table} ({', '.join(cols)})")
    out.extend(view_ddl())
    return out


def view_ddl() -> list[str]:
    """``CREATE VIEW`` statements for the views the library reads (the same on every backend)."""
    views = [_create_view(FILES[n]) for n in LOAD_ORDER]
    for table, view in _EXTRA_VIEWS.items():
        views.append(f"CREATE VIEW {view} AS\nSELECT {', '.join(c for c, _, _ in _EXTRA_TABLES[table])}\nFROM {table}")
    return views


def view_names() -> list[str]:
    """Names of the views the library reads."""
    return [_view_name(FILES[n]) for n in LOAD_ORDER] + list(_EXTRA_VIEWS.values())


def table_names() -> list[str]:
    """Names of the ILS tables."""
    return list(_EXTRA_TABLES) + [FILES[n].table for n in LOAD_ORDER]


def stored_version(wh: Warehouse) -> int | None:
    """The schema version recorded in the warehouse, or None when it has no ILS schema."""
    if not wh.has_table("ils_meta"):
        return None
    found = wh.scalar("SELECT value FROM ils_meta WHERE name = ?", ("schema_version",))
    try:
        return int(found) if found is not None else None
    except ValueError:
        raise SchemaMissingError(f"the warehouse {wh.url} has an unreadable schema version {found!r}") from None


def init_schema(wh: Warehouse) -> list[str]:
    """Create whatever part of the schema is missing, upgrading an older version in place; return the names created.

    Safe to run again: existing tables keep their data; views are recreated.
    A version-1 warehouse gets the new tables and views, and its ledger's
    ``outcome`` becomes nullable; all in one transaction, so a failed upgrade
    leaves version 1 as it was. A newer schema than this ilslib knows is refused.
    """
    created: list[str] = []
    with wh.transaction():
        version = stored_version(wh)
        if version is not None and version > SCHEMA_VERSION:
            raise SchemaMissingError(
                f"the warehouse {wh.url} has schema version {version}, made by a newer ilslib than this one "
                f"(which knows version {SCHEMA_VERSION}): upgrade ilslib instead"
            )
        if version == 1:
            _upgrade_from_1(wh)
        for stmt in ddl(wh.dialect):
            head = stmt.split("(", 1)[0].split()
            kind, name = head[1], head[2]
            if kind == "TABLE":
                if wh.has_table(name):
                    continue
            elif kind == "INDEX":
                if _index_exists(wh, name):
                    continue
            elif kind == "VIEW":
                if wh.has_table(name):
                    wh.execute(f"DROP VIEW {name}")
            wh.execute(stmt)
            created.append(name)
        for name, value in meta_rows():
            if name == LOAD_LOCK:  # a load may hold it: never rewritten, only made when missing
                if wh.scalar("SELECT COUNT(*) FROM ils_meta WHERE name = ?", (name,)) == 0:
                    wh.execute("INSERT INTO ils_meta (name, value) VALUES (?, ?)", (name, value))
                continue
            wh.execute("DELETE FROM ils_meta WHERE name = ?", (name,))
            wh.execute("INSERT INTO ils_meta (name, value) VALUES (?, ?)", (name, value))
    return created


def _upgrade_from_1(wh: Warehouse) -> None:
    """Schema 1 -> 2, inside the caller's transaction: ``ils_ledger.outcome`` becomes nullable.

    The new tables and views are created by :func:`init_schema` itself.
    """
    ledger = FILES["ledger"].table
    if wh.dialect == "postgresql":
        wh.execute(f"ALTER TABLE {ledger} ALTER COLUMN outcome DROP NOT NULL")
    elif wh.dialect == "mssql":
        # The covering ledger index includes the column: drop it, init_schema creates it again.
        for ix, table, _ in _INDEXES:
            if table == ledger and _index_exists(wh, ix):
                wh.execute(f"DROP INDEX {ix} ON {ledger}")
        wh.execute(f"ALTER TABLE {ledger} ALTER COLUMN outcome {_sql_type('number', 'mssql')} NULL")
    else:
        # SQLite cannot change a column's NOT NULL: rebuild the table (its indexes go with
        # it and are created again by init_schema; the views are dropped first, as SQLite advises).
        for view in view_names():
            if wh.has_table(view):
                wh.execute(f"DROP VIEW {view}")
        spec = FILES["ledger"]
        new = _create_table(ledger, _contract_columns(spec), spec.key, wh.dialect)
        new = new.replace(f"CREATE TABLE {ledger} (", f"CREATE TABLE {ledger}_v2 (", 1)
        cols = ", ".join(spec.column_names)
        wh.execute(new)
        wh.execute(f"INSERT INTO {ledger}_v2 ({cols}) SELECT {cols} FROM {ledger}")
        wh.execute(f"DROP TABLE {ledger}")
        wh.execute(f"ALTER TABLE {ledger}_v2 RENAME TO {ledger}")


def _index_exists(wh: Warehouse, name: str) -> bool:
    if wh.dialect == "sqlite":
        return bool(wh.rows("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)))
    if wh.dialect == "postgresql":
        return bool(wh.rows("SELECT 1 FROM pg_indexes WHERE indexname = ?", (name,)))
    return bool(wh.rows("SELECT 1 FROM sys.indexes WHERE name = ?", (name,)))


_APPLY = {
    "sqlite": "sqlite3 -bail lis.sqlite < schema.sql",
    "postgresql": "psql -v ON_ERROR_STOP=1 -h HOST -U OWNER -d DATABASE -f schema.sql",
    "mssql": "sqlcmd -b -S SERVER -d DATABASE -i schema.sql",
}


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def ddl_script(dialect: str) -> str:
    """Everything a DBA runs to create a warehouse that ``ils`` accepts, as one script for ``dialect``.

    The tables, indexes and views of :func:`ddl` and the ``ils_meta`` rows
    (:func:`meta_rows`: the schema version and the load lock), in one
    transaction, so a script that stops half-way leaves nothing behind when it
    is run as the header says (``sqlite3 -bail``, ``psql -v ON_ERROR_STOP=1``,
    ``sqlcmd -b``). Statements end with ``;``; on SQL Server each is a batch of
    its own (``GO``), as ``CREATE VIEW`` must be. For a new, empty database:
    upgrades are ``ils init``'s.

    >>> script = ddl_script("postgresql")
    >>> script.splitlines()[0]
    '-- ILS warehouse schema version 2 (postgresql), printed by ils init --sql --dialect postgresql'
    >>> "INSERT INTO ils_meta (name, value) VALUES ('schema_version', '2');" in script
    True
    """
    statements = ddl(dialect)  # checks the dialect
    statements += [f"INSERT INTO ils_meta (name, value) VALUES ({_literal(n)}, {_literal(v)})" for n, v in meta_rows()]
    head = [
        f"-- ILS warehouse schema version {SCHEMA_VERSION} ({dialect}), printed by ils init --sql --dialect {dialect}",
        "-- For a new, empty database; every statement in one transaction. Apply it with:",
        f"--   {_APPLY[dialect]}",
        "-- then check it with: ils info --warehouse URL",
    ]
    if dialect == "mssql":
        head.append(
            f"-- Identifier, code and period columns use COLLATE {MSSQL_KEY_COLLATION}: the contract's keys are "
            "case-sensitive."
        )
        batches = ["SET XACT_ABORT ON;\nBEGIN TRANSACTION;", *(f"{st};" for st in statements), "COMMIT TRANSACTION;"]
        return "\n".join(head) + "\n\n" + "\nGO\n\n".join(batches) + "\nGO\n"
    body = ["BEGIN;", *(f"{st};" for st in statements), "COMMIT;"]
    return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n"
