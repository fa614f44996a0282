"""A small hand-made reporting round, and acting as another login, for the tests of ``ilslib.round``.

The data set (:func:`write_dataset`), for the year 2026:

- STAD (kommun); NAMN_A "Äldrenämnden" and NAMN_B "Östra <stadsdelsnämnden> & "Co"" (nämnder);
  BOL_C "Bostäder AB" and BOL_D "=1+2 Tomma bolaget AB" (bolag, a name a spreadsheet would evaluate); ENH
  (enhet: not a reporting kind);
- tertial indicators I_T (higher, %, 1 decimal), I_L (lower, antal, 0 decimals, a zero target),
  I_G (lower, %, split by gender: K and M outcomes in 2026-T1) and an annual one, I_A;
- NAMN_A: targets for I_T (annual 90, T2 85), I_L (0), I_G (5), I_A (10); activities A1 (2026), A2
  (ended 2025) and A4 (whose title is a formula, =HYPERLINK(...)); goals GA1 (2026) and GA2 (ended
  2025); outcomes in 2026-T1 only;
- NAMN_B: a target for I_T, its T2 outcome and VD-kommentar already in (complete); a 2025 target for
  I_L only (so the 2026 budget owes one);
- BOL_C: a target for I_L, activity A3 (no dates), goal GC1; BOL_D: nothing but its comment is owed;
- deadlines for 2026-T2: 2026-09-15 for every kind, 2026-09-08 for bolag;
- users: a reporter of NAMN_A with a Windows login (``STAD\\anna``), a controller of NAMN_A and
  NAMN_B with an e-mail login, a reporter of BOL_C, an admin, a reader, and an expired reporter of
  NAMN_B.

Acting as a login: on the embedded warehouse (and SQLite over ODBC) the login is the
operating-system user, which ``getpass.getuser()`` reads from ``LOGNAME``/``USER``; on
PostgreSQL a real login role is made for each person (:func:`pg_roles`) and the connection
logs in as it.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ilslib import connect
from ilslib.contract import FILES, LOAD_ORDER

PEOPLE = {
    "reporter": "STAD\\anna",  # reporter of NAMN_A
    "controller": "carl@stad.se",  # controller of NAMN_A and NAMN_B
    "other": "bo.berg",  # reporter of BOL_C
    "admin": "adam",
    "reader": "rita",
    "expired": "eva",  # reporter of NAMN_B until 2020-12-31
    "stranger": "sven",  # no row in users
}

PERIOD = "2026-T2"
HOSTILE_TITLE = '=HYPERLINK("http://x.example","klicka")'
"""The title of activity A4: a text a spreadsheet would evaluate."""

DATASET = {
    "organisations": '''org_id;name;kind;parent_id;controller
STAD;Staden;kommun;;
NAMN_A;Äldrenämnden;namnd;STAD;Åsa Öberg
NAMN_B;"Östra <stadsdelsnämnden> & ""Co""";namnd;STAD;
BOL_C;Bostäder AB;bolag;STAD;Carl Ceder
BOL_D;=1+2 Tomma bolaget AB;bolag;STAD;
ENH;Enheten;enhet;NAMN_A;
''',
    "indicators": """indicator_id;name;unit;direction;frequency;source;decimals
I_T;Andel nöjda brukare;%;higher;tertial;KF;1
I_L;Antal olyckor;antal;lower;tertial;own;0
I_G;Sjukfrånvaro;%;lower;tertial;own;1
I_A;Årsindikator;index;higher;annual;own;1
""",
    "goals": '''goal_id;org_id;level;parent_goal_id;title;description;first_year;last_year
KF1;STAD;kf_mal;;Trygg omsorg för alla;;2024;
GA1;NAMN_A;namndmal;KF1;"Äldre har inflytande ""på riktigt""";;2026;2026
GA2;NAMN_A;namndmal;KF1;Gammalt mål;;2024;2025
GC1;BOL_C;bolagsmal;KF1;Trygga bostäder;;;
''',
    "targets": """org_id;indicator_id;goal_id;year;period_type;target;partial_limit
NAMN_A;I_T;GA1;2026;;90;
NAMN_A;I_T;GA1;2026;T2;85;
NAMN_A;I_L;;2026;;0;
NAMN_A;I_G;;2026;;5;
NAMN_A;I_A;;2026;;10;
NAMN_B;I_T;;2026;;80;
NAMN_B;I_L;;2025;;3;
BOL_C;I_L;GC1;2026;;2;
""",
    "outcomes": """org_id;indicator_id;period;value;gender;comment
NAMN_A;I_T;2026-T1;82,5;T;
NAMN_A;I_G;2026-T1;6;T;
NAMN_A;I_G;2026-T1;7;K;
NAMN_A;I_G;2026-T1;5;M;
NAMN_B;I_T;2026-T2;81;T;
""",
    "activities": """activity_id;org_id;goal_id;title;source;start_date;end_date
A1;NAMN_A;GA1;Fler aktiviteter för äldre;own;2026-01-01;2026-12-31
A2;NAMN_A;;Avslutad 2025;own;2025-01-01;2025-12-31
A3;BOL_C;GC1;Trygghetsvandringar;KF;;
A4;NAMN_A;;"=HYPERLINK(""http://x.example"",""klicka"")";own;2026-03-01;
""",
    "activity_status": """activity_id;period;status;comment
A1;2026-T1;paborjad;
""",
    "comments": """org_id;period;kind;text
NAMN_B;2026-T2;vd_kommentar;Klart.
""",
    "deadlines": """period;kind;deadline
2026-T2;;2026-09-15
2026-T2;bolag;2026-09-08
""",
    "users": """user_id;name;email;role;org_id;valid_to
STAD\\anna;Anna Andersson;anna@stad.se;reporter;NAMN_A;
carl@stad.se;Carl Ceder;carl@stad.se;controller;NAMN_A;
carl@stad.se;Carl Ceder;carl@stad.se;controller;NAMN_B;
bo.berg;Bo Berg;;reporter;BOL_C;
adam;Adam Admin;;admin;;
rita;Rita Läsare;;reader;;
eva;Eva Ek;;reporter;NAMN_B;2020-12-31
""",
}


def write_dataset(directory: Path, *, without: tuple[str, ...] = ()) -> Path:
    """The data set as contract files in ``directory`` (made if needed); ``without`` leaves files out."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in DATASET.items():
        if name not in without:
            (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


def load_dataset(url: str, tmp: Path) -> None:
    """Load the data set into the (fresh) warehouse at ``url``, as its owner."""
    from ilslib.load import load_dir

    with connect(url) as wh:
        result = load_dir(wh, write_dataset(tmp / "dataset"))
        assert result.ok, [str(r) for r in result.rejects]


def snapshot(wh) -> dict[str, list[tuple]]:
    """Every row of every contract table and of the round's own tables."""
    tables = {name: FILES[name].table for name in LOAD_ORDER}
    tables.update(state="ils_round_state", event="ils_event")
    return {name: sorted(wh.rows(f"SELECT * FROM {table}"), key=repr) for name, table in tables.items()}


# -- acting as a login ---------------------------------------------------------------------------


def _role_sql(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def pg_roles(pg, database: str) -> None:
    """A login role for each person (made once per cluster) with the rights to read and write ``database``."""
    for name in PEOPLE.values():
        role = _role_sql(name)
        literal = name.replace("'", "''")
        pg.psql(
            "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"
            + literal
            + f"') THEN CREATE ROLE {role} LOGIN PASSWORD '{pg.password.replace(chr(39), chr(39) * 2)}'; END IF; END$$"
        )
        pg.psql(
            f"GRANT CONNECT ON DATABASE {_role_sql(database)} TO {role}; "
            f"GRANT USAGE ON SCHEMA public TO {role}; "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            database=database,
        )


def url_as(url: str, login: str) -> str:
    """The PostgreSQL URL ``url`` logging in as ``login`` (the password is the same as the cluster's)."""
    return re.sub(r"UID=[^;]*;", lambda _: f"UID={login};", url)


def database_of(url: str) -> str:
    """The DATABASE= of an ODBC URL."""
    m = re.search(r"DATABASE=([^;]*);", url)
    assert m, url
    return m.group(1)


class Logins:
    """Connections to one warehouse as each person of :data:`PEOPLE` (and as the owner who set it up)."""

    def __init__(self, url: str, backend: str, monkeypatch: pytest.MonkeyPatch):
        self.url = url
        self.backend = backend
        self.mp = monkeypatch

    @contextlib.contextmanager
    def as_(self, who: str) -> Iterator:
        """A warehouse connection whose login is the person ``who`` (a key of PEOPLE, or a login)."""
        login = PEOPLE.get(who, who)
        if self.backend == "postgresql":
            with connect(url_as(self.url, login)) as wh:
                yield wh
            return
        with self.mp.context() as m:
            m.setenv("LOGNAME", login)
            m.setenv("USER", login)
            with connect(self.url) as wh:
                yield wh

    def env(self, who: str) -> dict[str, str]:
        """The environment of an ``ils`` subprocess acting as ``who`` (the embedded warehouse)."""
        login = PEOPLE.get(who, who)
        return dict(os.environ, LOGNAME=login, USER=login, ILS_WAREHOUSE=self.url)


def ils(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ilslib ARGS`` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "ilslib", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else dict(os.environ),
    )
