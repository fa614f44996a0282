"""A throwaway PostgreSQL cluster for the tests and benchmarks.

``initdb`` as the ``postgres`` user (when running as root) into a temporary
directory, started on a free loopback port, stopped and removed at the end.
Password login (scram) over TCP, so the psqlODBC tests exercise a real login.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
PASSWORD = "throwaway-Test-pw;1"  # a test-only cluster; contains ';' to exercise quoting
DATABASE = "ils_test"


@dataclass
class PgCluster:
    port: int
    datadir: Path
    password: str = PASSWORD
    user: str = SUPERUSER

    def odbc(self, database: str = DATABASE, driver: str = "PostgreSQL Unicode") -> str:
        """The connection string, without the password (that goes in ILS_WAREHOUSE_PASSWORD)."""
        return f"DRIVER={{{driver}}};SERVER=127.0.0.1;PORT={self.port};DATABASE={database};UID={self.user};"

    def url(self, database: str = DATABASE) -> str:
        return "odbc:" + self.odbc(database)

    def psql(self, sql: str, database: str = "postgres") -> str:
        env = dict(os.environ, PGPASSWORD=self.password)
        out = subprocess.run(
            [
                _bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-qAtc",
                sql,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout

    def create_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}"')
        self.psql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found and name != "psql":
        return found
    if name == "psql" and found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if not candidates:
        raise FileNotFoundError(f"{name} not found (install Debian package postgresql)")
    return candidates[0]


def available() -> str | None:
    """None when a cluster can be made here; otherwise the reason it cannot."""
    try:
        _bin("initdb")
        _bin("pg_ctl")
    except FileNotFoundError as exc:
        return str(exc)
    if os.geteuid() == 0:
        try:
            subprocess.run(["id", SUPERUSER], check=True, capture_output=True)
        except subprocess.CalledProcessError:
            return "running as root but there is no 'postgres' user to run initdb as"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SUPERUSER, "--", *cmd]
    return cmd


@contextlib.contextmanager
def cluster() -> Iterator[PgCluster]:
    """Start a throwaway cluster; stop it and remove its files at the end."""
    reason = available()
    if reason:
        raise RuntimeError(reason)
    base = Path(tempfile.mkdtemp(prefix="ils-pg-"))
    datadir = base / "data"
    sockdir = base / "sock"
    datadir.mkdir()
    sockdir.mkdir()
    pwfile = base / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(base, SUPERUSER)
        for p in (datadir, sockdir, pwfile):
            shutil.chown(p, SUPERUSER)
    port = _free_port()
    log = base / "server.log"
    try:
        subprocess.run(
            _as_owner(
                [
                    _bin("initdb"),
                    "-D",
                    str(datadir),
                    "-U",
                    SUPERUSER,
                    "--pwfile",
                    str(pwfile),
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            _as_owner(
                [
                    _bin("pg_ctl"),
                    "-D",
                    str(datadir),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {port} -k {sockdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        pg = PgCluster(port=port, datadir=datadir)
        pg.create_database(DATABASE)
        yield pg
    finally:
        subprocess.run(
            _as_owner([_bin("pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "stop"]), capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)
