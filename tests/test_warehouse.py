"""The warehouse layer on three real backends: the same schema, queries and results.

Backends: the embedded sqlite3 path, pyodbc + the SQLite3 ODBC driver, and
pyodbc + psqlODBC against a throwaway PostgreSQL (see conftest.py). Then the
connection errors, as one line without secrets, from Python and from ``ils``.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import POSTGRES_ODBC_DRIVER, SQLITE_ODBC_DRIVER, require_odbc_driver

from ilslib import connect, trace_print
from ilslib.contract import FILES, LOAD_ORDER
from ilslib.errors import (
    ConfigError,
    DriverMissingError,
    LoginFailedError,
    SchemaMissingError,
    UnreachableError,
    WarehouseError,
)
from ilslib.schema import SCHEMA_VERSION, ddl_script, init_schema, table_names, view_names

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "warehouse.md"

LONG_TEXT = ('Rapportkommentar om äldreomsorgen – "kvalitet" & <i>trygghet</i>.\n' * 400).strip()
INJECTION = "x'); DROP TABLE ils_goal; --"

ORGS = [
    # org_id, name, kind, parent_id, controller
    ("kommun", "Staden", "kommun", None, None),
    ("koncern", "Stadshus AB", "koncern", "kommun", ""),
    ("n-åäö", "Nämnden för äldreomsorg & Öppen <b>vård</b>", "namnd", "kommun", 'Åsa "Kalle" O\'Brien'),
    ("b1", "Bolaget\nmed radbrytning; semikolon och {klammer}}", "bolag", "koncern", "Örjan Ärlig"),
    ("e1", INJECTION, "enhet", "n-åäö", "€ – ≤ ≥ ÅÄÖ"),
]
INDICATORS = [
    # indicator_id, name, unit, direction, frequency, source, decimals
    ("i-nöjd", "Nöjda brukare", "%", "higher", "tertial", "KF", 1),
    ("i-sjuk", "Sjukfrånvaro <lägre är bättre>", "%", "lower", "annual", "own", 2),
]
OUTCOMES = [
    # org_id, indicator_id, period, value, gender, comment
    ("n-åäö", "i-nöjd", "2026-T1", 81.25, "T", 'Bättre än i fjol & "klart" godkänt'),
    ("n-åäö", "i-nöjd", "2026-T1", 79.5, "K", None),
    ("n-åäö", "i-nöjd", "2026-T1", 83.0, "M", ""),
    ("n-åäö", "i-nöjd", "2026-T2", None, "T", "Värde saknas"),
    ("b1", "i-sjuk", "2025-BO", 6.05, "T", LONG_TEXT),
    ("b1", "i-sjuk", "2026-T1", 0.0, "T", "rad 1\nrad 2\r\nrad 3"),
    ("e1", "i-sjuk", "2026-T1", -0.125, "T", None),
]
TARGETS = [
    # org_id, indicator_id, goal_id, year, period_type ('' = annual), target, partial_limit
    ("n-åäö", "i-nöjd", None, 2026, "", 80.0, None),
    ("n-åäö", "i-nöjd", None, 2026, "T1", 78.5, 75.0),
    ("b1", "i-sjuk", None, 2026, "", 0.0, 0.5),
]
ACTIVITIES = [
    # activity_id, org_id, goal_id, title, source, start_date, end_date
    ("a1", "n-åäö", None, "Införa 'digital tillsyn' <nattetid>", "own", "2026-01-15", None),
    ("a2", "b1", None, "Sänka sjukfrånvaron", "KF", None, "2026-12-31"),
]
LEDGER = [
    # org_id, month, account, account_name, kind, outcome, budget, forecast
    ("n-åäö", "2026-01", "3010", "Avgifter & taxor", "intakt", 1234567.89, 1200000.0, 14000000.5),
    ("n-åäö", "2026-01", "5010", "Löner", "kostnad", 2500000.25, 2400000.0, None),
    ("n-åäö", "2026-02", "3010", "Avgifter & taxor", "intakt", 0.1, 0.2, None),
    ("n-åäö", "2026-02", "5010", "Löner", "kostnad", 2600000.75, 2400000.0, 29000000.0),
    ("b1", "2026-01", "3010", None, "intakt", 1e9 + 0.25, 1e9, None),
    ("b1", "2026-01", "6110", 'Hyra "lokal"', "kostnad", 12.345, 0.0, 0.0),
]
PERSONNEL = [
    # org_id, month, headcount, fte, scheduled_hours, sick_hours
    ("n-åäö", "2026-01", 412, 398.5, 65000.0, 3900.25),
    ("e1", "2026-01", 3, None, 480.0, 0.0),
]

INSERTS = {
    "organisations": ORGS,
    "indicators": INDICATORS,
    "targets": TARGETS,
    "outcomes": OUTCOMES,
    "activities": ACTIVITIES,
    "ledger": LEDGER,
    "personnel": PERSONNEL,
}


def _insert_sql(file_name: str) -> str:
    spec = FILES[file_name]
    cols = ", ".join(spec.column_names)
    marks = ", ".join("?" for _ in spec.column_names)
    return f"INSERT INTO {spec.table} ({cols}) VALUES ({marks})"


def _fill(wh) -> None:
    with wh.transaction():
        for name in LOAD_ORDER:
            if name in INSERTS:
                wh.executemany(_insert_sql(name), INSERTS[name])


def _view_rows(wh, file_name: str) -> list[tuple]:
    spec = FILES[file_name]
    view = "v_" + spec.table[len("ils_") :]
    # Sorted in Python: collations differ between backends, the data must not.
    return sorted(wh.rows(f"SELECT {', '.join(spec.column_names)} FROM {view}"), key=repr)


def _expected(file_name: str) -> list[tuple]:
    rows = INSERTS[file_name]
    if file_name == "targets":  # the view shows the annual target's '' as NULL
        rows = [r[:4] + (r[4] or None,) + r[5:] for r in rows]
    return sorted(rows, key=repr)


def _one_line(message: str) -> None:
    assert message.strip(), "empty error message"
    assert "\n" not in message.strip(), f"not one line: {message!r}"
    assert "Traceback" not in message


# -- the same data on every backend ---------------------------------------------------------


def test_dialect_and_connection_kind(wh, backend):
    assert wh.dialect == {"sqlite": "sqlite", "odbc-sqlite": "sqlite", "postgresql": "postgresql"}[backend]
    assert wh.is_odbc == (backend != "sqlite")
    assert wh.scalar("SELECT 1 + ?", (1,)) == 2


@pytest.mark.parametrize("file_name", sorted(INSERTS))
def test_rows_read_back_identically_through_the_views(wh, file_name):
    _fill(wh)
    assert _view_rows(wh, file_name) == _expected(file_name)


def test_schema_survives_values_that_look_like_sql(wh):
    _fill(wh)
    assert wh.has_table("ils_goal")
    got = wh.scalar("SELECT name FROM v_organisation WHERE org_id = ?", ("e1",))
    assert got == INJECTION
    assert wh.scalar("SELECT org_id FROM v_organisation WHERE name = ?", (INJECTION,)) == "e1"


def test_long_text_is_not_truncated(wh):
    _fill(wh)
    got = wh.scalar("SELECT comment FROM v_outcome WHERE org_id = ? AND period = ?", ("b1", "2025-BO"))
    assert len(LONG_TEXT) > 20_000
    assert got == LONG_TEXT


def test_query_frame_types_are_the_same_everywhere(wh):
    _fill(wh)
    df = wh.query(
        "SELECT org_id, indicator_id, period, value, gender FROM v_outcome WHERE org_id = ? ORDER BY period, gender",
        ("n-åäö",),
    )
    assert list(df.columns) == ["org_id", "indicator_id", "period", "value", "gender"]
    assert df["value"].dtype.kind == "f"
    assert df["value"].isna().tolist() == [False, False, False, True]
    assert df["value"].tolist()[:3] == [79.5, 83.0, 81.25]
    assert df["org_id"].tolist() == ["n-åäö"] * 4
    # decimals come back as float, dates as ISO text, counts as int
    assert wh.scalar("SELECT CAST(? AS DECIMAL(12,2))", (12.5,)) == 12.5
    assert isinstance(wh.scalar("SELECT CAST(? AS DECIMAL(12,2))", (12.5,)), float)
    assert wh.rows("SELECT start_date, end_date FROM v_activity ORDER BY activity_id") == [
        ("2026-01-15", None),
        (None, "2026-12-31"),
    ]
    count = wh.scalar("SELECT COUNT(*) FROM v_outcome")
    assert count == len(OUTCOMES) and isinstance(count, int)


def test_empty_result_keeps_its_columns(wh):
    df = wh.query("SELECT org_id, name FROM v_organisation WHERE org_id = ?", ("ingen",))
    assert list(df.columns) == ["org_id", "name"]
    assert len(df) == 0
    assert wh.scalar("SELECT name FROM v_organisation WHERE org_id = ?", ("ingen",)) is None


def test_aggregation_in_sql_gives_the_same_figures(wh):
    _fill(wh)
    got = wh.rows(
        "SELECT org_id, kind, SUM(outcome), SUM(budget), SUM(forecast), COUNT(*) FROM v_ledger "
        "WHERE month >= ? AND month <= ? GROUP BY org_id, kind",
        ("2026-01", "2026-04"),
    )
    expected: dict[tuple, list] = {}
    for org, _month, _acc, _name, kind, outcome, budget, forecast in LEDGER:
        e = expected.setdefault((org, kind), [0.0, 0.0, None, 0])
        e[0] += outcome
        e[1] += budget
        if forecast is not None:
            e[2] = (e[2] or 0.0) + forecast
        e[3] += 1
    assert len(got) == len(expected)
    for org, kind, outcome, budget, forecast, n in got:
        e = expected[(org, kind)]
        # The SQLite3 ODBC driver returns doubles with 15 significant digits.
        assert outcome == pytest.approx(e[0], rel=1e-13)
        assert budget == pytest.approx(e[1], rel=1e-13)
        assert forecast == (None if e[2] is None else pytest.approx(e[2], rel=1e-13))
        assert n == e[3]


def test_computed_columns_have_the_same_types_everywhere(wh):
    """A computed column's type must not depend on its first row (the SQLite3 ODBC driver's habit)."""
    _fill(wh)
    got = wh.rows(
        "SELECT org_id, SUM(fte) AS fte, COALESCE(SUM(fte), 0) AS fte0, "
        "CASE WHEN org_id = ? THEN 1 ELSE 2.5 END AS x, MAX(org_id) AS m "
        "FROM v_personnel GROUP BY org_id ORDER BY org_id",
        ("e1",),
    )
    assert got == [("e1", None, 0, 1, "e1"), ("n-åäö", 398.5, 398.5, 2.5, "n-åäö")]
    assert isinstance(got[1][3], float) and isinstance(got[1][1], float)


def test_every_view_has_the_contract_columns(wh):
    for name in LOAD_ORDER:
        spec = FILES[name]
        view = "v_" + spec.table[len("ils_") :]
        df = wh.query(f"SELECT * FROM {view} WHERE 1 = 0")
        assert list(df.columns) == list(spec.column_names), view
    for view in view_names():
        assert wh.has_table(view), view
    for table in table_names():
        assert wh.has_table(table), table


# -- transactions ----------------------------------------------------------------------------


def _count(wh) -> int:
    return int(wh.scalar("SELECT COUNT(*) FROM ils_organisation"))


def test_rollback_leaves_nothing(wh, wh_url):
    insert = _insert_sql("organisations")
    with pytest.raises(RuntimeError, match="avbrutet"):
        with wh.transaction():
            wh.execute(insert, ORGS[0])
            wh.executemany(insert, ORGS[1:3])
            assert _count(wh) == 3  # visible inside the transaction
            raise RuntimeError("avbrutet")
    assert _count(wh) == 0

    # A failing statement (a duplicate key) undoes the statements before it.
    with pytest.raises(WarehouseError) as err:
        with wh.transaction():
            wh.execute(insert, ORGS[0])
            wh.execute(insert, ORGS[0])
    _one_line(str(err.value))
    assert _count(wh) == 0

    # A nested transaction joins the outer one.
    with pytest.raises(RuntimeError):
        with wh.transaction():
            with wh.transaction():
                wh.execute(insert, ORGS[0])
            raise RuntimeError("yttre")
    assert _count(wh) == 0

    # A committed transaction is seen by another connection.
    with wh.transaction():
        wh.executemany(insert, ORGS)
    with connect(wh_url) as other:
        assert _count(other) == len(ORGS)
    # ... and the connection is back in autocommit: this is committed at once.
    wh.execute("DELETE FROM ils_organisation WHERE org_id = ?", ("e1",))
    with connect(wh_url) as other:
        assert _count(other) == len(ORGS) - 1


# -- schema ------------------------------------------------------------------------------------


def test_init_schema_twice_is_safe_and_keeps_data(wh):
    _fill(wh)
    created = init_schema(wh)
    assert not set(created) & set(table_names()), "tables re-created"
    assert set(created) <= set(view_names())
    assert init_schema(wh) == created  # and again
    for name in INSERTS:
        assert _view_rows(wh, name) == _expected(name)
    assert wh.rows("SELECT value FROM ils_meta WHERE name = ?", ("schema_version",)) == [(str(SCHEMA_VERSION),)]
    wh.require_schema()


def test_require_schema_on_an_empty_database_says_how_to_create_it(empty_url):
    with pytest.raises(SchemaMissingError) as err:
        connect(empty_url)
    message = str(err.value)
    _one_line(message)
    assert "no ILS warehouse schema" in message
    assert "ils init --warehouse" in message


def test_missing_embedded_file_says_how_to_create_it(tmp_path):
    path = tmp_path / "finns-inte.sqlite"
    with pytest.raises(SchemaMissingError) as err:
        connect(f"sqlite:///{path}")
    message = str(err.value)
    _one_line(message)
    assert str(path) in message and "ils init" in message and "ils demo" in message
    assert not path.exists(), "a failed connect must not create the file"


def test_older_schema_version_says_how_to_upgrade(wh, wh_url):
    wh.execute("UPDATE ils_meta SET value = ? WHERE name = ?", ("0", "schema_version"))
    with pytest.raises(SchemaMissingError) as err:
        connect(wh_url)
    _one_line(str(err.value))
    assert "schema version 0" in str(err.value) and "ils init" in str(err.value)


# -- tracing -------------------------------------------------------------------------------------


def test_tracer_sees_each_statement_and_its_parameters(wh_url, caplog):
    calls: list[tuple[str, tuple]] = []
    caplog.set_level(logging.DEBUG, logger="ilslib.sql")
    with connect(wh_url, tracer=lambda sql, params: calls.append((sql, tuple(params)))) as w:
        assert calls, "the schema check was not traced"
        calls.clear()
        sql = "SELECT name FROM v_organisation WHERE org_id = ? AND kind = ?"
        w.query(sql, ("n-åäö", "namnd"))
        w.rows("SELECT COUNT(*) FROM v_goal")
        w.execute(_insert_sql("organisations"), ORGS[0])
        w.executemany(_insert_sql("organisations"), ORGS[1:])
    assert calls[0] == (sql, ("n-åäö", "namnd"))
    assert calls[1] == ("SELECT COUNT(*) FROM v_goal", ())
    assert calls[2] == (_insert_sql("organisations"), ORGS[0])
    assert calls[3][0] == _insert_sql("organisations")
    assert calls[3][1] == (f"<{len(ORGS) - 1} rows>",)
    logged = [r.getMessage() for r in caplog.records if r.name == "ilslib.sql"]
    assert any("WHERE org_id = ? AND kind = ?" in m and "n-åäö" in m for m in logged)


def test_trace_print_shows_statement_and_parameters(wh_url, capsys):
    with connect(wh_url, tracer=trace_print) as w:
        capsys.readouterr()
        w.scalar("SELECT COUNT(*)\n  FROM v_organisation WHERE kind = ?", ("bolag",))
    out = capsys.readouterr().out.splitlines()
    assert out == ["SELECT COUNT(*) FROM v_organisation WHERE kind = ?", "  parameters: ['bolag']"]


# -- errors: one line, no secrets -------------------------------------------------------------

SECRET = "hunter2-Hemligt;}"


@pytest.mark.parametrize(
    "url",
    [
        "postgres://ils:hunter2-Hemligt@db.stad.local/lis",
        "sqlite://relativ.sqlite",
        "sqlite:///",
        "odbc:",
        "odbc:bara ord",
        "mssql:SERVER=x;PWD={hunter2-Hemligt;}}}",
    ],
)
def test_malformed_url(url):
    with pytest.raises(ConfigError) as err:
        connect(url)
    message = str(err.value)
    _one_line(message)
    assert message.startswith("--warehouse: ")
    assert "malformed warehouse URL" in message or "empty" in message
    assert "hunter2" not in message


def test_malformed_url_names_the_setting_it_came_from(monkeypatch):
    monkeypatch.setenv("ILS_WAREHOUSE", "lis.sqlite")
    with pytest.raises(ConfigError, match=r"^ILS_WAREHOUSE: malformed warehouse URL 'lis.sqlite'"):
        connect()


@pytest.mark.parametrize(
    "driver, package",
    [
        ("ODBC Driver 18 for SQL Server", "msodbcsql18"),
        ("PostgreSQL Unicodex", "odbc-postgresql"),
    ],
)
def test_missing_odbc_driver_names_it_and_its_package(driver, package):
    require_odbc_driver(SQLITE_ODBC_DRIVER)  # i.e. unixODBC and pyodbc work
    url = f"odbc:DRIVER={{{driver}}};SERVER=127.0.0.1;DATABASE=lis;Trusted_Connection=yes"
    with pytest.raises(DriverMissingError) as err:
        connect(url)
    message = str(err.value)
    _one_line(message)
    assert repr(driver) in message and package in message


def test_unknown_dsn():
    require_odbc_driver(SQLITE_ODBC_DRIVER)
    with pytest.raises(DriverMissingError) as err:
        connect("odbc:DSN=ils_finns_inte")
    _one_line(str(err.value))
    assert "'ils_finns_inte' is not defined" in str(err.value)


def test_a_defined_dsn_works(isolated_env, tmp_path):
    require_odbc_driver(SQLITE_ODBC_DRIVER)
    db = tmp_path / "dsn.sqlite"
    Path(os.environ["ODBCINI"]).write_text(f"[ils_test_dsn]\nDriver = {SQLITE_ODBC_DRIVER}\nDatabase = {db}\n")
    with connect("odbc:DSN=ils_test_dsn", create=True, check_schema=False) as w:
        assert w.dialect == "sqlite" and w.is_odbc
        init_schema(w)
    with connect("odbc:DSN=ils_test_dsn") as w:
        assert w.has_table("v_outcome")
    assert db.exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_url(port: int, database: str = "lis") -> str:
    return f"odbc:DRIVER={{{POSTGRES_ODBC_DRIVER}}};SERVER=127.0.0.1;PORT={port};DATABASE={database};UID=ils;"


@pytest.fixture
def silent_server():
    """A TCP listener on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield server.getsockname()[1]
    server.close()


def test_server_refusing_connections(monkeypatch):
    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    monkeypatch.setenv("ILS_CONNECT_TIMEOUT", "5")
    started = time.monotonic()
    with pytest.raises(UnreachableError) as err:
        connect(_pg_url(_free_port()))
    assert time.monotonic() - started < 5
    _one_line(str(err.value))
    assert "unreachable" in str(err.value)


def test_server_not_answering_times_out(monkeypatch, silent_server):
    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    monkeypatch.setenv("ILS_CONNECT_TIMEOUT", "2")
    started = time.monotonic()
    with pytest.raises(UnreachableError) as err:
        connect(_pg_url(silent_server))
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 5, f"returned after {elapsed:.1f} s"
    _one_line(str(err.value))


@pytest.mark.parametrize("where", ["env", "url"])
def test_login_failed_hides_the_password(pg_cluster, monkeypatch, caplog, where):
    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    caplog.set_level(logging.DEBUG)
    url = pg_cluster.url()
    if where == "env":
        monkeypatch.setenv("ILS_WAREHOUSE_PASSWORD", SECRET)
    else:
        url += "PWD={" + SECRET.replace("}", "}}") + "};"
    with pytest.raises(LoginFailedError) as err:
        connect(url)
    message = str(err.value)
    _one_line(message)
    assert "login" in message and "ILS_WAREHOUSE_PASSWORD" in message
    for secret in (SECRET, "hunter2", pg_cluster.password):
        assert secret not in message
        assert secret not in repr(err.value.__cause__ or "")
        for record in caplog.records:
            assert secret not in record.getMessage()


def test_password_is_never_in_the_warehouse_url_or_repr(pg_cluster, monkeypatch):
    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    password = pg_cluster.password
    monkeypatch.setenv("ILS_WAREHOUSE_PASSWORD", password)
    with connect(pg_cluster.url(), check_schema=False) as w:
        assert password not in w.url and password not in repr(w)
    monkeypatch.delenv("ILS_WAREHOUSE_PASSWORD")
    quoted = "{" + password.replace("}", "}}") + "}"
    with connect(pg_cluster.url() + f"PWD={quoted};", check_schema=False) as w:
        assert password not in w.url and "PWD=***" in w.url


# -- through the ils command ---------------------------------------------------------------------


def run_ils(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m ilslib ARGS`` in a subprocess (the test's isolated environment)."""
    return subprocess.run(
        [sys.executable, "-m", "ilslib", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, **(env or {})),
        timeout=timeout,
        cwd=REPO,
    )


def assert_cli_error(proc: subprocess.CompletedProcess, *, contains: str = "", forbidden: tuple[str, ...] = ()) -> str:
    """Non-zero exit, stderr exactly one line ``ils: error: ...``, no traceback, no secrets."""
    assert proc.returncode != 0, proc
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ils: error: "), proc.stderr
    assert contains in lines[0]
    for secret in forbidden:
        assert secret not in proc.stderr and secret not in proc.stdout
    return lines[0]


def test_cli_malformed_url():
    proc = run_ils("info", "--warehouse", "postgres://ils:hunter2@db/lis")
    assert_cli_error(proc, contains="malformed warehouse URL", forbidden=("hunter2",))


def test_cli_malformed_url_from_the_environment():
    proc = run_ils("info", env={"ILS_WAREHOUSE": "lis.sqlite"})
    assert_cli_error(proc, contains="ILS_WAREHOUSE: malformed warehouse URL")


def test_cli_missing_driver():
    require_odbc_driver(SQLITE_ODBC_DRIVER)
    url = "odbc:DRIVER={ODBC Driver 18 for SQL Server};SERVER=127.0.0.1;DATABASE=lis;UID=ils"
    proc = run_ils("info", "--warehouse", url, env={"ILS_WAREHOUSE_PASSWORD": SECRET})
    assert_cli_error(proc, contains="msodbcsql18", forbidden=(SECRET, "hunter2"))


def test_cli_unknown_dsn():
    require_odbc_driver(SQLITE_ODBC_DRIVER)
    assert_cli_error(run_ils("info", "--warehouse", "odbc:DSN=ils_finns_inte"), contains="ils_finns_inte")


def test_cli_server_refusing():
    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    proc = run_ils("info", "--warehouse", _pg_url(_free_port()), env={"ILS_CONNECT_TIMEOUT": "5"})
    assert_cli_error(proc, contains="unreachable")


def test_cli_server_not_answering(silent_server):
    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    started = time.monotonic()
    proc = run_ils("info", "--warehouse", _pg_url(silent_server), env={"ILS_CONNECT_TIMEOUT": "2"})
    elapsed = time.monotonic() - started
    assert_cli_error(proc)
    assert elapsed < 10, f"ils took {elapsed:.1f} s with ILS_CONNECT_TIMEOUT=2"


def test_cli_login_failed(pg_cluster):
    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    env = {"ILS_WAREHOUSE_PASSWORD": SECRET}
    proc = run_ils("info", "--warehouse", pg_cluster.url(), env=env)
    assert_cli_error(proc, contains="login", forbidden=(SECRET, "hunter2", pg_cluster.password))
    # With every SQL statement logged (-v) the password is still nowhere.
    proc = run_ils("-v", "--trace-sql", "info", "--warehouse", pg_cluster.url(), env=env)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("ils: error: ")
    for secret in (SECRET, "hunter2", pg_cluster.password):
        assert secret not in proc.stderr + proc.stdout


def test_cli_database_without_schema(empty_url):
    proc = run_ils("info", "--warehouse", empty_url)
    assert_cli_error(proc, contains="ils init --warehouse")


def test_cli_missing_embedded_file(tmp_path):
    proc = run_ils("info", "--warehouse", f"sqlite:///{tmp_path / 'saknas.sqlite'}")
    assert_cli_error(proc, contains="does not exist")


def test_cli_bad_connect_timeout(tmp_path):
    url = f"odbc:DRIVER={{{SQLITE_ODBC_DRIVER}}};Database={tmp_path / 'w.sqlite'}"
    proc = run_ils("info", "--warehouse", url, env={"ILS_CONNECT_TIMEOUT": "snart"})
    assert_cli_error(proc, contains="ILS_CONNECT_TIMEOUT")


def test_cli_init_twice_then_info(empty_url):
    for _ in range(2):
        proc = run_ils("init", "--warehouse", empty_url)
        assert proc.returncode == 0, proc.stderr
        assert "ILS schema ready" in proc.stdout
    proc = run_ils("info", "--warehouse", empty_url)
    assert proc.returncode == 0, proc.stderr
    assert "organisations" in proc.stdout
    with connect(empty_url) as w:
        assert all(w.has_table(v) for v in view_names())


# -- the DDL in docs/warehouse.md --------------------------------------------------------------

_DDL_BLOCK = re.compile(
    r"(<!-- ddl:(?P<dialect>\w+) begin -->\n```sql\n)(?P<sql>.*?)(```\n<!-- ddl:(?P=dialect) end -->)",
    re.S,
)


def test_docs_ddl_is_current():
    """docs/warehouse.md shows the DDL that ``ils init --sql`` prints (``make docs`` refreshes it)."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = list(_DDL_BLOCK.finditer(text))
    assert {m["dialect"] for m in blocks} >= {"postgresql"}, "no generated DDL block in docs/warehouse.md"
    if os.environ.get("ILS_UPDATE_DOCS") == "1":
        new = _DDL_BLOCK.sub(lambda m: m.group(1) + ddl_script(m["dialect"]) + m.group(4), text)
        DOCS.write_text(new, encoding="utf-8")
        text = new
        blocks = list(_DDL_BLOCK.finditer(text))
    for m in blocks:
        assert m["sql"] == ddl_script(m["dialect"]), (
            f"the {m['dialect']} DDL in docs/warehouse.md is out of date: run 'make docs'"
        )
    for name in view_names():
        assert f"`{name}`" in text, f"docs/warehouse.md does not describe the view {name}"
