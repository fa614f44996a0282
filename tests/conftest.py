"""Shared fixtures: real warehouses on three backends, a throwaway PostgreSQL, the demo.

Backends (the ``backend`` fixture and everything built on it):

``sqlite``
    the embedded warehouse, Python's own sqlite3 (``sqlite:////tmp/.../w.sqlite``);
``odbc-sqlite``
    pyodbc with the SQLite3 ODBC driver (``odbc:DRIVER={SQLite3};Database=...``);
``postgresql``
    pyodbc with psqlODBC against a PostgreSQL cluster that the suite starts
    itself (``tests/pgcluster.py``); a new database per test.

A missing driver or server skips those tests on a developer's machine and
fails them under ``CI=true``. Every test runs with HOME, the XDG directories
and the ``ILS_*`` variables isolated, so a developer's own config is never read.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pgcluster  # tests/pgcluster.py (tests/ is on sys.path through this conftest)
import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")

BACKENDS = ("sqlite", "odbc-sqlite", "postgresql")
SQLITE_ODBC_DRIVER = "SQLite3"
POSTGRES_ODBC_DRIVER = "PostgreSQL Unicode"

# Variables that would let the developer's own settings leak into a test.
ISOLATED_VARS = (
    "ILS_WAREHOUSE",
    "ILS_CONFIG",
    "ILS_WAREHOUSE_PASSWORD",
    "ILS_HOME",
    "ILS_CONNECT_TIMEOUT",
    "ILS_SMTP_PASSWORD",
)


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI=true (where every driver and server must be present)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing driver or server is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def odbc_drivers() -> list[str]:
    """Names of the installed ODBC drivers ([] when pyodbc or unixODBC is missing)."""
    try:
        import pyodbc
    except ImportError:
        return []
    return list(pyodbc.drivers())


def require_odbc_driver(name: str) -> None:
    """Skip/fail unless the ODBC driver ``name`` is installed."""
    try:
        import pyodbc  # noqa: F401
    except ImportError as exc:
        unavailable(f"pyodbc cannot be imported ({exc}); run scripts/install-system.sh")
    if name not in odbc_drivers():
        unavailable(
            f"the ODBC driver {name!r} is not installed (scripts/install-system.sh installs it); "
            f"installed: {odbc_drivers()}"
        )


# -- markers ------------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark backend-parametrised tests ``postgres`` / ``odbc_sqlite`` so ``-m`` can select them."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None:
            continue
        backend = callspec.params.get("backend")
        if backend == "postgresql":
            item.add_marker(pytest.mark.postgres)
        elif backend == "odbc-sqlite":
            item.add_marker(pytest.mark.odbc_sqlite)


# -- environment isolation --------------------------------------------------------------


def _isolate(mp: pytest.MonkeyPatch, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    mp.setenv("HOME", str(home))
    mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    mp.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    mp.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    # unixODBC finds the user's DSNs through getpwuid(), not HOME: point it here.
    mp.setenv("ODBCINI", str(home / ".odbc.ini"))
    for name in ISOLATED_VARS:
        mp.delenv(name, raising=False)


@pytest.fixture(scope="session", autouse=True)
def _isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Isolation for session fixtures (the cluster, the demo) too."""
    mp = pytest.MonkeyPatch()
    _isolate(mp, tmp_path_factory.mktemp("session-home"))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh HOME (with XDG dirs under it) and no ILS_* variables; returns the HOME."""
    home = tmp_path / "home"
    _isolate(monkeypatch, home)
    return home


# -- PostgreSQL -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.PgCluster]:
    """A throwaway PostgreSQL cluster on a free loopback port, for the whole session."""
    reason = pgcluster.available()
    if reason:
        unavailable(f"no PostgreSQL server can be started: {reason}")
    cm = pgcluster.cluster()
    try:
        pg = cm.__enter__()
    except Exception as exc:  # initdb/pg_ctl failed: say why
        detail = getattr(exc, "stderr", b"") or b""
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        unavailable(f"cannot start a PostgreSQL cluster: {exc} {detail.strip()[:500]}")
    try:
        yield pg
    finally:
        cm.__exit__(None, None, None)


def _pg_database_url(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    require_odbc_driver(POSTGRES_ODBC_DRIVER)
    pg: pgcluster.PgCluster = request.getfixturevalue("pg_cluster")
    name = "t_" + uuid.uuid4().hex[:16]
    pg.create_database(name)
    monkeypatch.setenv("ILS_WAREHOUSE_PASSWORD", pg.password)
    return pg.url(name)


# -- warehouses -----------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """One of ``sqlite``, ``odbc-sqlite``, ``postgresql``."""
    return request.param


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """URL of a new, empty database (no ILS schema) on ``backend``."""
    if backend == "sqlite":
        path = tmp_path / "w.sqlite"
        import sqlite3

        sqlite3.connect(path).close()  # an existing, empty database file
        return f"sqlite:///{path}"
    if backend == "odbc-sqlite":
        require_odbc_driver(SQLITE_ODBC_DRIVER)
        return f"odbc:DRIVER={{{SQLITE_ODBC_DRIVER}}};Database={tmp_path / 'w.sqlite'}"
    return _pg_database_url(request, monkeypatch)


@pytest.fixture
def wh_url(empty_url: str) -> str:
    """URL of a FRESH database on ``backend`` with ``init_schema`` applied."""
    from ilslib import connect
    from ilslib.schema import init_schema

    with connect(empty_url, create=True, check_schema=False) as wh:
        init_schema(wh)
    return empty_url


@pytest.fixture
def wh(wh_url: str):
    """``connect(wh_url)``, open for the test and closed after it."""
    from ilslib import connect

    with connect(wh_url) as warehouse:
        yield warehouse


# -- the demo -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The embedded demo warehouse, built once per session. Read-only for tests."""
    try:
        from ilslib import demo
    except ModuleNotFoundError as exc:
        if exc.name != "ilslib.demo":
            raise
        unavailable("ilslib.demo does not exist yet: the demo warehouse cannot be built")
    url = "sqlite:///" + str(tmp_path_factory.mktemp("demo") / "demo.sqlite")
    demo.build(url)
    return url


# -- shared by the report and runner tests ----------------------------------------------------


@pytest.fixture(scope="session")
def reports(demo_url: str, tmp_path_factory: pytest.TempPathFactory):
    """Every report the report tests look at, executed once per session (see report_support)."""
    from report_support import Reports

    return Reports.shared(demo_url, tmp_path_factory)


@pytest.fixture(scope="session")
def standard_run(demo_url: str, tmp_path_factory: pytest.TempPathFactory):
    """``ils run parameters/standard.yaml`` on the demo, once per session: the output directory (read-only)."""
    from report_support import standard_run as run

    return run(demo_url, tmp_path_factory)


@pytest.fixture(scope="module")
def demo_wh(demo_url: str):
    """The demo warehouse, connected once per module (read-only)."""
    from ilslib import connect

    with connect(demo_url) as warehouse:
        yield warehouse


@pytest.fixture
def ils(capsys: pytest.CaptureFixture[str]):
    """Run the ``ils`` command in this process; returns ``(exit code, stdout, stderr)``."""
    from ilslib.cli import main

    def run(*args: object) -> tuple[int, str, str]:
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
        cap = capsys.readouterr()
        return code, cap.out, cap.err

    return run


@pytest.fixture
def demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo warehouse, as ILS_WAREHOUSE."""
    monkeypatch.setenv("ILS_WAREHOUSE", demo_url)
    return demo_url
