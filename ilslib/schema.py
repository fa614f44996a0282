"""The warehouse schema: tables that store the contract's files, and the views the library reads.

The tables (``ils_*``) are generated from :mod:`ilslib.contract`; the views
(``v_*``) are the interface the library reads, so a city's own warehouse can
provide the same views over its own tables. ``ils init`` creates both;
``ils init --sql --dialect D`` prints the DDL (``docs/warehouse.md`` has it).
"""

from __future__ import annotations

from .contract import FILES, LOAD_ORDER, Column, FileSpec
from .errors import ConfigError
from .warehouse import DIALECTS, Warehouse

SCHEMA_VERSION = 1

# Standard SQL types, with the few places where a dialect needs another spelling.
_TYPES = {
    "id": {"sqlite": "VARCHAR(64)", "postgresql": "VARCHAR(64)", "mssql": "NVARCHAR(64)"},
    "code": {"sqlite": "VARCHAR(16)", "postgresql": "VARCHAR(16)", "mssql": "NVARCHAR(16)"},
    "text": {"sqlite": "TEXT", "postgresql": "TEXT", "mssql": "NVARCHAR(MAX)"},
    "short": {"sqlite": "VARCHAR(400)", "postgresql": "VARCHAR(400)", "mssql": "NVARCHAR(400)"},
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
        ("file_name", "short", True),
        ("sha256", "id", True),
        ("rows_read", "int", False),
        ("rows_inserted", "int", False),
        ("rows_replaced", "int", False),
    ),
}
_EXTRA_KEYS = {"ils_meta": ("name",), "ils_load": ("load_id",), "ils_load_file": ("load_id", "file_name")}

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


def _sql_type(col_type: str, dialect: str) -> str:
    return _TYPES[col_type][dialect]


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
    cols = []
    for c in spec.columns:
        if spec.name == "targets" and c.name == "period_type":
            # Stored as '' for the annual target; the view shows it as NULL, as in the files.
            cols.append("NULLIF(period_type, '') AS period_type")
        else:
            cols.append(c.name)
    return f"CREATE VIEW {_view_name(spec)} AS\nSELECT {', '.join(cols)}\nFROM {spec.table}"


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
    views.append(
        "CREATE VIEW v_load AS\nSELECT load_id, started_at, finished_at, user_name, host_name, source, "
        "outcome, rows_inserted, rows_replaced, message\nFROM ils_load"
    )
    views.append(
        "CREATE VIEW v_load_file AS\nSELECT load_id, file_name, sha256, rows_read, rows_inserted, "
        "rows_replaced\nFROM ils_load_file"
    )
    return views


def view_names() -> list[str]:
    """Names of the views the library reads."""
    return [_view_name(FILES[n]) for n in LOAD_ORDER] + ["v_load", "v_load_file"]


def table_names() -> list[str]:
    """Names of the ILS tables."""
    return list(_EXTRA_TABLES) + [FILES[n].table for n in LOAD_ORDER]


def init_schema(wh: Warehouse) -> list[str]:
    """Create whatever part of the schema is missing; return the names created.

    Safe to run again: existing tables keep their data; views are recreated.
    """
    created: list[str] = []
    with wh.transaction():
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
        wh.execute("DELETE FROM ils_meta WHERE name = ?", ("schema_version",))
        wh.execute("INSERT INTO ils_meta (name, value) VALUES (?, ?)", ("schema_version", str(SCHEMA_VERSION)))
    return created


def _index_exists(wh: Warehouse, name: str) -> bool:
    if wh.dialect == "sqlite":
        return bool(wh.rows("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)))
    if wh.dialect == "postgresql":
        return bool(wh.rows("SELECT 1 FROM pg_indexes WHERE indexname = ?", (name,)))
    return bool(wh.rows("SELECT 1 FROM sys.indexes WHERE name = ?", (name,)))


def ddl_script(dialect: str) -> str:
    """The DDL as one script, statements separated by ``;`` (``GO`` batches on SQL Server)."""
    sep = "\nGO\n\n" if dialect == "mssql" else ";\n\n"
    return sep.join(ddl(dialect)) + (sep.strip() + "\n" if dialect != "mssql" else "\nGO\n")
