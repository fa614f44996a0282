"""The DBA route: ``ils init --sql --dialect D`` prints everything a warehouse needs, applied by the database's own client.

- SQLite: the script through the ``sqlite3`` command-line client, then ``ils info``
  and ``ils load`` against the file; the schema is the one ``ils init`` makes.
- PostgreSQL: the script through ``psql``, as the login that owns the database (not
  a superuser), on the suite's cluster (tests/pgcluster.py); then ``ils info`` and a
  load over psqlODBC as that login.
- Both: a script that fails half-way leaves the database as it was.
- SQL Server cannot run here: its DDL is checked against SQL Server's limits (index
  keys of at most 900 bytes, identifiers of at most 128 characters, only types SQL
  Server has, one statement per batch) and for the case-sensitive collation of keys.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pgcluster
import pytest
from conftest import POSTGRES_ODBC_DRIVER, require_odbc_driver, unavailable

from ilslib import schema

REPO = Path(__file__).resolve().parent.parent
BASE_LOAD = REPO / "tests" / "good_loads" / "base"
# Rows of tests/good_loads/base, per table (what a load into the new warehouse must hold).
EXPECTED_ROWS = {"ils_organisation": 5, "ils_outcome": 7, "ils_ledger": 5}


def ils(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ilslib", *args],
        capture_output=True,
        text=True,
        env=env if env is not None else dict(os.environ),
        cwd=cwd,
        timeout=300,
    )


def printed_script(dialect: str, tmp_path: Path) -> Path:
    """What ``ils init --sql --dialect D`` prints, saved as a DBA would save it."""
    proc = ils("init", "--sql", "--dialect", dialect)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == schema.ddl_script(dialect)
    path = tmp_path / f"schema-{dialect}.sql"
    path.write_text(proc.stdout, encoding="utf-8")
    return path


def _client(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        unavailable(f"the {name} command-line client is not installed (scripts/install-system.sh installs it)")
    return str(found)


def _count_rows(url: str) -> dict[str, int]:
    import ilslib

    with ilslib.connect(url) as wh:
        return {t: int(wh.scalar(f"SELECT COUNT(*) FROM {t}")) for t in schema.table_names()}


def _info_and_load(url: str, env: dict[str, str] | None = None) -> None:
    """``ils info`` accepts the warehouse, and a load goes in (all of it) and is recorded."""
    proc = ils("info", "--warehouse", url, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "organisations" in proc.stdout and "0 rows" in proc.stdout
    before = _count_rows(url)
    assert all(n == 0 for t, n in before.items() if t != "ils_meta")
    proc = ils("load", str(BASE_LOAD), "--warehouse", url, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = _count_rows(url)
    for table, n in EXPECTED_ROWS.items():
        assert after[table] == n, (table, after[table])
    assert after["ils_load"] == 1 and after["ils_load_file"] == len(list(BASE_LOAD.glob("*.csv")))
    proc = ils("info", "--warehouse", url, env=env)
    assert proc.returncode == 0 and "loads recorded: 1" in proc.stdout, proc.stdout + proc.stderr


def _meta(url: str) -> list[tuple[str, str | None]]:
    import ilslib

    with ilslib.connect(url) as wh:
        return sorted((str(n), v) for n, v in wh.rows("SELECT name, value FROM ils_meta"))


# -- SQLite -------------------------------------------------------------------------------------


def _sqlite_catalogue(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
    return sorted((t, n, " ".join(str(sql).split())) for t, n, sql in rows)


def test_sqlite_dba_route(tmp_path: Path):
    script = printed_script("sqlite", tmp_path)
    db = tmp_path / "lis.sqlite"
    proc = subprocess.run(
        [_client("sqlite3"), "-bail", str(db)], stdin=script.open("rb"), capture_output=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    url = f"sqlite:///{db}"
    # the same schema as `ils init` makes, and the rows ils needs in ils_meta
    made = tmp_path / "init.sqlite"
    assert ils("init", "--warehouse", f"sqlite:///{made}").returncode == 0
    assert _sqlite_catalogue(db) == _sqlite_catalogue(made)
    assert _meta(url) == _meta(f"sqlite:///{made}") == [("load_lock", None), ("schema_version", "2")]
    _info_and_load(url)
    # ils init on it afterwards: no table to create (only the views, which init always recreates), nothing lost
    proc = ils("init", "--warehouse", url)
    assert proc.returncode == 0 and f"created {len(schema.view_names())} objects" in proc.stdout, proc.stdout
    assert _count_rows(url)["ils_outcome"] == EXPECTED_ROWS["ils_outcome"]


def test_sqlite_script_that_fails_leaves_nothing(tmp_path: Path):
    """A database that is not empty: the client stops at the first error and the transaction is gone."""
    script = printed_script("sqlite", tmp_path)
    db = tmp_path / "lis.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE ils_organisation (x INTEGER)")  # a name the script creates, late in it
        con.execute("INSERT INTO ils_organisation VALUES (1)")
    before = _sqlite_catalogue(db)
    proc = subprocess.run(
        [_client("sqlite3"), "-bail", str(db)], stdin=script.open("rb"), capture_output=True, timeout=60
    )
    assert proc.returncode != 0 and b"ils_organisation" in proc.stderr
    assert _sqlite_catalogue(db) == before  # not ils_meta, ils_load ... that came before the error
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT x FROM ils_organisation").fetchall() == [(1,)]
    proc = ils("info", "--warehouse", f"sqlite:///{db}")
    assert proc.returncode == 2 and "has no ILS warehouse schema" in proc.stderr


# -- PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture
def pg_owner(pg_cluster: pgcluster.PgCluster, monkeypatch: pytest.MonkeyPatch):
    """A new database owned by a new login role (what a DBA sets up for ils): ``(cluster, role, password, db)``."""
    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    suffix = uuid.uuid4().hex[:10]
    role, db = f"ils_owner_{suffix}", f"lis_{suffix}"
    password = "Ägare-" + suffix  # pragma: allowlist secret
    pg_cluster.psql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    pg_cluster.psql(f"CREATE DATABASE {db} OWNER {role} ENCODING 'UTF8' TEMPLATE template0")
    monkeypatch.setenv("ILS_WAREHOUSE_PASSWORD", password)
    try:
        yield pg_cluster, role, password, db
    finally:
        pg_cluster.psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        pg_cluster.psql(f"DROP ROLE IF EXISTS {role}")


def _psql_file(pg: pgcluster.PgCluster, role: str, password: str, db: str, script: Path):
    env = dict(os.environ, PGPASSWORD=password)
    return subprocess.run(
        [pgcluster._bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(pg.port),
         "-U", role, "-d", db, "-f", str(script)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _pg_catalogue(pg: pgcluster.PgCluster, db: str) -> list[str]:
    out = pg.psql(
        "SELECT table_name, column_name, data_type, coalesce(character_maximum_length, 0), is_nullable, "
        "ordinal_position FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 6",
        database=db,
    )
    views = pg.psql("SELECT viewname FROM pg_views WHERE schemaname = 'public' ORDER BY 1", database=db)
    indexes = pg.psql("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1", database=db)
    return out.splitlines() + views.splitlines() + indexes.splitlines()


@pytest.mark.postgres
def test_postgresql_dba_route(pg_owner, tmp_path: Path):
    pg, role, password, db = pg_owner
    script = printed_script("postgresql", tmp_path)
    proc = _psql_file(pg, role, password, db, script)
    assert proc.returncode == 0, proc.stderr
    # the same schema as `ils init` makes on another database
    made = f"init_{uuid.uuid4().hex[:10]}"
    pg.create_database(made)
    try:
        env = dict(os.environ, ILS_WAREHOUSE_PASSWORD=pg.password)
        assert ils("init", "--warehouse", pg.url(made), env=env).returncode == 0
        assert _pg_catalogue(pg, db) == _pg_catalogue(pg, made)
    finally:
        pg.psql(f"DROP DATABASE IF EXISTS {made} WITH (FORCE)")
    # every table belongs to the owner the DBA chose, who runs ils (as admin while users names none)
    owners = pg.psql("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'", database=db).split()
    assert owners == [role]
    url = "odbc:" + pg.odbc(db).replace(f"UID={pg.user};", f"UID={role};")
    assert _meta(url) == [("load_lock", None), ("schema_version", "2")]
    _info_and_load(url)


@pytest.mark.postgres
def test_postgresql_script_that_fails_leaves_nothing(pg_owner, tmp_path: Path):
    pg, role, password, db = pg_owner
    env = dict(os.environ, PGPASSWORD=password)
    subprocess.run(
        [pgcluster._bin("psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U", role, "-d", db,
         "-c", "CREATE TABLE ils_personnel (x INTEGER)"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    before = _pg_catalogue(pg, db)
    proc = _psql_file(pg, role, password, db, printed_script("postgresql", tmp_path))
    assert proc.returncode == 3 and "ils_personnel" in proc.stderr  # psql's code for a failed script
    assert _pg_catalogue(pg, db) == before


# -- SQL Server: the DDL against its limits -----------------------------------------------------------

MSSQL_MAX_KEY_BYTES = 900  # clustered index key (a primary key is clustered by default); every version
MSSQL_MAX_IDENTIFIER = 128
# The types the DDL may use on SQL Server (DOUBLE PRECISION and INTEGER are its synonyms of float(53) and int).
MSSQL_TYPE = re.compile(r"^(NVARCHAR\((\d+|MAX)\)|VARCHAR\((\d+|MAX)\)|INTEGER|DOUBLE PRECISION|DATE)$")
# T-SQL's reserved keywords that could pass for a column or table name (Microsoft's list).
TSQL_RESERVED = set(
    """add all alter and any as asc authorization backup begin between break browse bulk by cascade case check
    checkpoint close clustered coalesce collate column commit compute constraint contains containstable continue
    convert create cross current current_date current_time current_timestamp current_user cursor database dbcc
    deallocate declare default delete deny desc disk distinct distributed double drop dump else end errlvl escape
    except exec execute exists exit external fetch file fillfactor for foreign freetext freetexttable from full
    function goto grant group having holdlock identity identity_insert identitycol if in index inner insert
    intersect into is join key kill left like lineno load merge national nocheck nonclustered not null nullif of off
    offsets on open opendatasource openquery openrowset openxml option or order outer over percent pivot plan
    precision primary print proc procedure public raiserror read readtext reconfigure references replication
    restore restrict return revert revoke right rollback rowcount rowguidcol rule save schema securityaudit select
    semantickeyphrasetable semanticsimilaritydetailstable semanticsimilaritytable session_user set setuser shutdown
    some statistics system_user table tablesample textsize then to top tran transaction trigger truncate
    try_convert tsequal union unique unpivot update updatetext use user values varying view waitfor when where
    while with writetext""".split()
)
_COLUMN = re.compile(
    r"^\s+(?P<name>\w+) (?P<type>N?VARCHAR\((?:\d+|MAX)\)|DOUBLE PRECISION|[A-Z]+(?:\(\d+\))?)"
    r"(?: COLLATE (?P<collate>\w+))?(?P<nn> NOT NULL)?,?$"
)


def _type_bytes(sql_type: str) -> int:
    """Bytes an index key column takes (the declared maximum)."""
    m = re.match(r"^(N?)VARCHAR\((\d+|MAX)\)$", sql_type)
    if m:
        if m[2] == "MAX":
            raise AssertionError(f"{sql_type} cannot be part of an index key on SQL Server")
        return int(m[2]) * (2 if m[1] else 1)
    return {"INTEGER": 4, "DOUBLE PRECISION": 8, "DATE": 3}[sql_type]


def mssql_problems(script: str) -> list[str]:
    """Everything in an SQL Server script that breaks SQL Server's limits, as sentences ([] when none)."""
    problems: list[str] = []
    batches = [b.strip() for b in script.split("\nGO\n") if b.strip()]
    tables: dict[str, dict[str, tuple[str, str | None]]] = {}
    names: list[str] = []
    for batch in batches:
        code = "\n".join(line for line in batch.splitlines() if not line.startswith("--")).strip()
        if not code:
            continue
        if code.count(";") > 1 and not code.startswith("SET XACT_ABORT"):
            problems.append(f"more than one statement in a batch: {code[:60]!r}")
        if re.search(r"\b(LIMIT|IF NOT EXISTS|BOOLEAN|SERIAL|TIMESTAMP|AUTOINCREMENT)\b|\bTEXT\b", code):
            problems.append(f"a construct SQL Server lacks: {code[:60]!r}")
        m = re.match(r"CREATE TABLE (\w+) \(\n(.*)\n\);$", code, re.S)
        if m:
            table, cols = m[1], {}
            names.append(table)
            for line in m[2].splitlines():
                pk = re.match(r"^\s+CONSTRAINT (\w+) PRIMARY KEY \(([\w, ]+)\)$", line)
                if pk:
                    names.append(pk[1])
                    key = [c.strip() for c in pk[2].split(",")]
                    size = sum(_type_bytes(cols[c][0]) for c in key)
                    if size > MSSQL_MAX_KEY_BYTES:
                        problems.append(f"{pk[1]}: index key of {size} bytes (SQL Server: at most 900)")
                    continue
                col = _COLUMN.match(line)
                if col is None:
                    problems.append(f"{table}: cannot read the column {line.strip()!r}")
                    continue
                if not MSSQL_TYPE.match(col["type"]):
                    problems.append(f"{table}.{col['name']}: type {col['type']} is not SQL Server's")
                cols[col["name"]] = (col["type"], col["collate"])
                names.append(col["name"])
            tables[table] = cols
            continue
        m = re.match(r"CREATE INDEX (\w+) ON (\w+) \(([\w, ]+)\);$", code)
        if m:
            names.append(m[1])
            cols = tables[m[2]]
            size = sum(_type_bytes(cols[c.strip()][0]) for c in m[3].split(","))
            if size > MSSQL_MAX_KEY_BYTES:
                problems.append(f"{m[1]}: index key of {size} bytes (SQL Server: at most 900)")
            continue
        m = re.match(r"CREATE VIEW (\w+) AS\n", code)
        if m:
            names.append(m[1])
            continue
        if not re.match(r"(INSERT INTO ils_meta |SET XACT_ABORT ON;|COMMIT TRANSACTION;)", code):
            problems.append(f"an unexpected statement: {code[:60]!r}")
    for name in names:
        if len(name) > MSSQL_MAX_IDENTIFIER:
            problems.append(f"identifier {name[:40]}... has {len(name)} characters (SQL Server: at most 128)")
        if name.lower() in TSQL_RESERVED:
            problems.append(f"identifier {name!r} is a reserved keyword of T-SQL")
    return problems


def test_mssql_ddl_fits_sql_servers_limits():
    script = schema.ddl_script("mssql")
    assert mssql_problems(script) == []
    # the key that did not fit: NVARCHAR(64) + NVARCHAR(400) was 928 bytes; the file name is now 255 at most
    assert "file_name NVARCHAR(255)" in script
    assert "CONSTRAINT pk_ils_load_file PRIMARY KEY (load_id, file_name)" in script
    # one statement per batch: every CREATE VIEW starts its batch
    for batch in script.split("\nGO\n"):
        assert batch.count("CREATE VIEW") <= 1 and ("CREATE VIEW" not in batch or batch.strip().startswith("CREATE"))
    # the schema version row is part of it, and the whole script is one transaction
    assert "INSERT INTO ils_meta (name, value) VALUES ('schema_version', '2');" in script
    assert script.index("BEGIN TRANSACTION") < script.index("CREATE TABLE") < script.rindex("COMMIT TRANSACTION")


def test_the_mssql_checker_finds_what_breaks_the_limits():
    """The checks above can fail: the old ils_load_file key, a long name, a type SQL Server lacks."""
    bad = (
        "CREATE TABLE ils_load_file (\n    load_id NVARCHAR(64) NOT NULL,\n    file_name NVARCHAR(400) NOT NULL,\n"
        "    CONSTRAINT pk_ils_load_file PRIMARY KEY (load_id, file_name)\n);\nGO\n\n"
        f"CREATE TABLE t (\n    {'x' * 129} BOOLEAN,\n    y NVARCHAR(MAX) NOT NULL,\n"
        "    CONSTRAINT pk_t PRIMARY KEY (y)\n);\nGO\n\n"
        "CREATE TABLE u (\n    user INTEGER\n);\nGO\n"
    )
    with pytest.raises(AssertionError, match="NVARCHAR.MAX. cannot be part of an index key"):
        mssql_problems(bad)
    found = mssql_problems(bad.replace("NVARCHAR(MAX)", "NVARCHAR(10)"))
    assert "pk_ils_load_file: index key of 928 bytes (SQL Server: at most 900)" in found
    assert any("type BOOLEAN" in p for p in found) and any("129 characters" in p for p in found)
    assert "identifier 'user' is a reserved keyword of T-SQL" in found


def test_mssql_keys_are_case_sensitive():
    """Identifier, code, period and month columns compare code point by code point; texts keep Swedish order."""
    script = schema.ddl_script("mssql")
    collation = schema.MSSQL_KEY_COLLATION
    assert collation == "Latin1_General_100_BIN2"
    exact = {"id", "login", "code", "period", "month", "file"}
    from ilslib.contract import FILES

    for spec in FILES.values():
        block = re.search(rf"CREATE TABLE {spec.table} \(\n(.*?)\n\);", script, re.S)
        assert block, spec.table
        lines = {ln.split()[0]: ln for ln in block[1].splitlines() if not ln.strip().startswith("CONSTRAINT")}
        for col in spec.columns:
            has = f"COLLATE {collation}" in lines[col.name]
            assert has == (col.type in exact), (spec.table, col.name, lines[col.name])
            if col.name in spec.key and "CHAR" in lines[col.name]:
                assert has, f"{spec.table}.{col.name}: a key column must be case-sensitive"
    for table in schema._EXTRA_TABLES:  # the bookkeeping tables' keys too
        block = re.search(rf"CREATE TABLE {table} \(\n(.*?)\n\);", script, re.S)
        for name in schema._EXTRA_KEYS[table]:
            line = next(ln for ln in block[1].splitlines() if ln.split()[0] == name)
            assert "CHAR" not in line or f"COLLATE {collation}" in line, line
    assert "name NVARCHAR(MAX) NOT NULL" in script  # an organisation's name: the database's own collation
    # the decision is documented where a DBA looks
    docs = (REPO / "docs" / "warehouse.md").read_text(encoding="utf-8")
    assert collation in docs and "case-insensitive" in docs
    # and the other dialects have no COLLATE (SQLite and PostgreSQL compare text exactly by default)
    assert "COLLATE" not in schema.ddl_script("postgresql") and "COLLATE" not in schema.ddl_script("sqlite")


def test_install_script_installs_the_database_clients():
    text = (REPO / "scripts" / "install-system.sh").read_text(encoding="utf-8")
    for package in ("sqlite3", "postgresql"):  # psql: postgresql depends on postgresql-client-NN
        assert re.search(rf"^\s*{re.escape(package)}\s*$", text, re.M), package
