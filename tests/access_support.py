"""A PostgreSQL warehouse with real login roles made by ``ils access apply``, for the tests of ``ilslib.access``.

Roles are cluster-wide and the suite's cluster is shared: every warehouse here
gets its own group role prefix and its own login names (``a1b2c3_anna``), and
:meth:`PgAccess.close` drops them. Logins are made by ``ils access apply``
without a password, as in production; the tests then set one, as the DBA would.

The data set is ``round_support``'s (NAMN_A, NAMN_B, BOL_C, BOL_D ...), with
these people (``users`` rows made by :meth:`PgAccess.users`):

- ``anna``: reporter of NAMN_A; ``bo``: reporter of BOL_C; ``rita``: reader;
- ``eva``: reporter of NAMN_B (expires when a test says so);
- ``carl``: controller of NAMN_A and NAMN_B; ``cia``: controller of BOL_C and BOL_D;
- ``dan``: reporter of BOL_D; ``adam``: admin.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from round_support import url_as, write_dataset

from ilslib import connect

PEOPLE = {
    "anna": ("Anna Åberg", [("reporter", "NAMN_A")]),
    "bo": ("Bo Berg", [("reporter", "BOL_C")]),
    "rita": ("Rita Läsare", [("reader", None)]),
    "eva": ("Eva Ek", [("reporter", "NAMN_B")]),
    "carl": ("Carl Ceder", [("controller", "NAMN_A"), ("controller", "NAMN_B")]),
    "cia": ("Cia Cedergren", [("controller", "BOL_C"), ("controller", "BOL_D")]),
    "dan": ("Dan Dahl", [("reporter", "BOL_D")]),
    "adam": ("Adam Admin", [("admin", None)]),
}
PERIOD = "2026-T2"


class PgAccess:
    """One test's PostgreSQL warehouse, its group role prefix and its people's logins."""

    def __init__(self, pg, url: str, tmp: Path):
        self.pg = pg
        self.url = url
        self.tmp = tmp
        tag = uuid.uuid4().hex[:6]
        self.prefix = f"t{tag}_"
        self.tag = tag
        self.database = url.split("DATABASE=")[1].split(";")[0]

    def login(self, who: str) -> str:
        """The login role of person ``who`` (a key of PEOPLE)."""
        return f"{self.tag}_{who}" if who in PEOPLE else who

    def users_csv(self, *, expired: tuple[str, ...] = (), extra: list[str] = (), without: tuple[str, ...] = ()) -> str:
        """The users file: every person of PEOPLE (``expired`` ones with a valid_to yesterday), plus ``extra`` lines."""
        yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        lines = ["user_id;name;email;role;org_id;valid_to"]
        for who, (name, roles) in PEOPLE.items():
            if who in without:
                continue
            for role, org in roles:
                valid_to = yesterday if who in expired else "2099-12-31" if who == "eva" else ""
                lines.append(f"{self.login(who)};{name};;{role};{org or ''};{valid_to}")
        lines += [x.replace("{tag}", self.tag) for x in extra]
        return "\n".join(lines) + "\n"

    def load_users(self, text: str) -> None:
        """Replace ``users`` with ``text`` (as the owner: users is admin data)."""
        from ilslib.load import load_dir

        d = self.tmp / f"users-{uuid.uuid4().hex[:6]}"
        d.mkdir()
        (d / "users.csv").write_text(text, encoding="utf-8")
        with connect(self.url) as wh:
            wh.execute("DELETE FROM ils_user")
            result = load_dir(wh, d)
            assert result.ok, [str(r) for r in result.rejects]

    def setup(self) -> None:
        """The data set and users in a fresh warehouse (as the owner)."""
        from ilslib.load import load_dir

        with connect(self.url) as wh:
            result = load_dir(wh, write_dataset(self.tmp / "dataset", without=("users",)))
            assert result.ok, [str(r) for r in result.rejects]
        self.load_users(self.users_csv())

    def set_passwords(self) -> None:
        """Give every existing login role of this test the cluster's password (the DBA's part)."""
        pw = self.pg.password.replace("'", "''")
        for who in PEOPLE:
            name = self.login(who)
            self.pg.psql(
                f"DO $$BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN "
                f"ALTER ROLE \"{name}\" PASSWORD '{pw}'; END IF; END$$"
            )

    def url_of(self, who: str) -> str:
        """The warehouse URL logging in as ``who``."""
        return url_as(self.url, self.login(who))

    @contextlib.contextmanager
    def as_(self, who: str) -> Iterator:
        """A warehouse connection as ``who``."""
        with connect(self.url_of(who)) as wh:
            yield wh

    def raw(self, who: str):
        """``who``'s own pyodbc connection (autocommit), as Excel or any ODBC tool would open it."""
        import pyodbc

        conn = self.url_of(who)[len("odbc:") :] + f"PWD={{{self.pg.password.replace('}', '}}')}}};"
        return pyodbc.connect(conn, autocommit=True)

    def ils(self, *args: str, who: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """``ils ARGS`` in a subprocess, logging in as ``who`` (default: the owner)."""
        env = dict(
            os.environ, ILS_WAREHOUSE=self.url_of(who) if who else self.url, ILS_WAREHOUSE_PASSWORD=self.pg.password
        )
        return subprocess.run(
            [sys.executable, "-m", "ilslib", *args], capture_output=True, text=True, timeout=timeout, env=env
        )

    def apply(self, *extra: str, who: str | None = None) -> subprocess.CompletedProcess[str]:
        """``ils access apply --role-prefix PREFIX``."""
        return self.ils("access", "apply", "--role-prefix", self.prefix, *extra, who=who)

    def close(self) -> None:
        """Drop this test's roles (their privileges in the test database first)."""
        names = [self.login(w) for w in PEOPLE] + [
            self.prefix + r for r in ("reporter", "controller", "reader", "admin")
        ]
        names += [f"{self.tag}_{x}" for x in ("stranger", "tool")]
        for name in names:
            with contextlib.suppress(subprocess.CalledProcessError):
                self.pg.psql(
                    f"DO $$BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN "
                    f"EXECUTE 'DROP OWNED BY \"{name}\"'; END IF; END$$",
                    database=self.database,
                )
        for name in names:
            with contextlib.suppress(subprocess.CalledProcessError):
                self.pg.psql(f'DROP ROLE IF EXISTS "{name}"')


def counts(wh) -> dict[str, int]:
    """The row count of every ILS table and view."""
    from ilslib.access import model

    return {name: int(wh.scalar(f"SELECT COUNT(*) FROM {name}")) for name in model.objects()}
