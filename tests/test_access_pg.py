"""Roles in the database, not only in the application: ``ils access apply`` on a real PostgreSQL.

A cluster started by the tests, psqlODBC, real login roles made by ``ils access
apply`` (two reporters of different organisations, a reader, a reporter who
expires, controllers, an admin): each reporter loads and marks ready its own
organisation; the cross-organisation attempt is refused by ``ils`` in one line
before anything is written, and the same write as raw SQL over the login's own
ODBC connection is refused by the server (row-level security, grants), with
the warehouse unchanged; the reader reads every table and writes nothing; an
expired user loses its rights.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from access_support import PERIOD, PgAccess, counts
from round_support import snapshot

from ilslib import connect, rights
from ilslib.errors import AccessDeniedError

pytestmark = pytest.mark.postgres


@pytest.fixture
def acc(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PgAccess:
    """A fresh PostgreSQL warehouse with the data set and users loaded (no roles applied yet)."""
    from conftest import _pg_database_url

    from ilslib.schema import init_schema

    url = _pg_database_url(request, monkeypatch)
    with connect(url, check_schema=False) as wh:
        init_schema(wh)
    a = PgAccess(request.getfixturevalue("pg_cluster"), url, tmp_path)
    try:
        a.setup()
        yield a
    finally:
        a.close()


def outcome_dir(tmp: Path, org: str, name: str, value: str = "88,5") -> Path:
    d = tmp / name
    d.mkdir()
    (d / "outcomes.csv").write_text(
        f'org_id;indicator_id;period;value;gender;comment\n{org};I_T;{PERIOD};{value};T;Ökat "mycket" <b>\n',
        encoding="utf-8",
    )
    return d


def data_snapshot(wh) -> dict:
    """Every data table, the round's states and its events, but not the records of permission changes and
    reviews (nor the load records: the audit trail of attempts)."""
    snap = snapshot(wh)
    snap["event"] = [e for e in snap["event"] if e[3] not in ("access_apply", "access_review")]
    return snap


def refused(cur_or_conn, sql: str, params: tuple = (), states: tuple[str, ...] = ("42501",)) -> str:
    """Run ``sql`` and return the server's refusal (42501: insufficient privilege, row-level security)."""
    import pyodbc

    try:
        cur_or_conn.cursor().execute(sql, params)
    except pyodbc.Error as exc:
        assert exc.args[0] in states, exc.args
        return str(exc.args[1])
    pytest.fail(f"the server carried out: {sql}")


def first_column(table: str) -> str:
    from ilslib.contract import FILES
    from ilslib.schema import _EXTRA_TABLES

    for spec in FILES.values():
        if spec.table == table:
            return spec.columns[0].name
    return _EXTRA_TABLES[table][0][0]


def affected(conn, sql: str, params: tuple = ()) -> int:
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur.rowcount


def test_apply_creates_roles_and_is_idempotent(acc: PgAccess) -> None:
    dry = acc.apply("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f'CREATE ROLE "{acc.prefix}reporter" NOLOGIN;' in dry.stdout
    assert f'CREATE ROLE "{acc.login("anna")}" LOGIN;' in dry.stdout  # no password: the DBA's part
    assert "PASSWORD" not in dry.stdout
    assert f'GRANT "{acc.prefix}reporter" TO "{acc.login("anna")}";' in dry.stdout
    assert "ENABLE ROW LEVEL SECURITY" in dry.stdout and "nothing was changed (--dry-run)" in dry.stderr
    with connect(acc.url) as wh:  # the dry run changed nothing
        assert wh.scalar("SELECT COUNT(*) FROM pg_roles WHERE rolname LIKE ?", (acc.prefix + "%",)) == 0
        assert wh.scalar("SELECT COUNT(*) FROM ils_event WHERE action = 'access_apply'") == 0

    first = acc.apply()
    assert first.returncode == 0, first.stderr
    assert f"{acc.login('anna')} added to {acc.prefix}reporter" in first.stdout
    assert re.search(r"\d+ changes applied, recorded as event \S+", first.stdout)
    second = acc.apply()
    assert second.returncode == 0 and "nothing to change" in second.stdout, second.stdout + second.stderr
    assert acc.apply("--dry-run").stdout == ""  # nothing left to do

    with connect(acc.url) as wh:
        events = wh.rows("SELECT user_name, detail FROM v_event WHERE action = 'access_apply'")
        assert len(events) == 1 and events[0][0] == "postgres"
        detail = json.loads(events[0][1])
        assert detail["prefix"] == acc.prefix
        assert ["member+", acc.login("carl"), acc.prefix + "controller"] in detail["changes"]
        assert wh.scalar("SELECT value FROM ils_meta WHERE name = 'access_role_prefix'") == acc.prefix
        roles = dict(wh.rows("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE ?", (acc.tag + "%",)))
        assert set(roles) == {acc.login(w) for w in ("anna", "bo", "rita", "eva", "carl", "cia", "dan", "adam")}
        assert all(str(v) in ("1", "True", "true") for v in roles.values())  # login roles
        members = wh.rows(
            "SELECT r.rolname, m.rolname FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid "
            "JOIN pg_roles m ON m.oid = am.member WHERE r.rolname LIKE ?",
            (acc.prefix + "%",),
        )
        assert sorted(members) == sorted(
            [(acc.prefix + "reporter", acc.login(w)) for w in ("anna", "bo", "eva", "dan")]
            + [(acc.prefix + "controller", acc.login(w)) for w in ("carl", "cia")]
            + [(acc.prefix + "reader", acc.login("rita")), (acc.prefix + "admin", acc.login("adam"))]
        )
        rls = dict(wh.rows("SELECT relname, CASE WHEN relrowsecurity THEN 1 ELSE 0 END FROM pg_class "
                           "WHERE relname IN ('ils_outcome', 'ils_ledger', 'ils_round_state')"))  # fmt: skip
        assert rls == {"ils_outcome": 1, "ils_ledger": 0, "ils_round_state": 1}


def test_who_may_write_what_with_any_tool(acc: PgAccess, tmp_path: Path) -> None:
    assert acc.apply().returncode == 0
    acc.set_passwords()

    # Each reporter loads and marks ready its own organisation.
    for who, org in (("anna", "NAMN_A"), ("bo", "BOL_C")):
        p = acc.ils("load", str(outcome_dir(tmp_path, org, f"own-{who}")), who=who)
        assert p.returncode == 0, p.stdout + p.stderr
        p = acc.ils("ready", "--period", PERIOD, "--org", org, who=who)
        assert p.returncode == 0, p.stderr
        assert f"by {acc.login(who)}" in p.stdout
    with acc.as_("carl") as wh:
        from ilslib.round.state import approve, state

        assert state(wh, "NAMN_A", PERIOD) == "klar"
        approve(wh, "NAMN_A", PERIOD)  # its controller approves (the database lets a controller set godkand)
        assert state(wh, "NAMN_A", PERIOD) == "godkand"

    with connect(acc.url) as wh:
        before = data_snapshot(wh)
        loads_before = wh.scalar("SELECT COUNT(*) FROM ils_load")
        assert wh.scalar("SELECT value FROM v_outcome WHERE org_id = 'BOL_C' AND period = ?", (PERIOD,)) == 88.5

    # The application refuses the cross-organisation attempt first: one line, exit 4, nothing written.
    p = acc.ils("load", str(outcome_dir(tmp_path, "BOL_C", "cross")), who="anna")
    assert p.returncode == 4, p.stdout + p.stderr
    line = p.stderr.strip()
    assert "\n" not in line and "Traceback" not in p.stderr
    assert (
        line.startswith("ils: error: outcomes.csv: ") and "may not load reporting data for organisation BOL_C" in line
    )
    assert "needs the role reporter or controller of the organisation" in line
    p = acc.ils("ready", "--period", PERIOD, "--org", "BOL_C", "--undo", who="anna")
    assert p.returncode == 4 and "may not undo the ready mark for organisation BOL_C" in p.stderr
    p = acc.ils("approve", "--period", PERIOD, "--org", "BOL_C", who="bo")  # its own, but a reporter
    assert p.returncode == 4 and "needs the role controller of the organisation" in p.stderr

    # The same writes as raw SQL over the reporter's own ODBC connection: the server refuses them.
    conn = acc.raw("anna")
    try:
        msg = refused(conn, "INSERT INTO ils_outcome (org_id, indicator_id, period, value, gender) "
                            "VALUES ('BOL_C', 'I_L', ?, 1, 'T')", (PERIOD,))  # fmt: skip
        assert 'new row violates row-level security policy for table "ils_outcome"' in msg
        assert affected(conn, "UPDATE ils_outcome SET value = 0 WHERE org_id = 'BOL_C'") == 0  # not even seen to write
        assert affected(conn, "DELETE FROM ils_outcome WHERE org_id = 'BOL_C'") == 0
        assert affected(conn, "DELETE FROM ils_round_state WHERE org_id = 'BOL_C'") == 0
        refused(conn, "UPDATE ils_outcome SET org_id = 'BOL_C' WHERE org_id = 'NAMN_A'")  # moving a row out
        refused(conn, "INSERT INTO ils_comment (org_id, period, kind, text) VALUES ('NAMN_B', ?, 'analys', 'x')",
                (PERIOD,))  # fmt: skip
        refused(
            conn,
            "INSERT INTO ils_activity_status (activity_id, period, status) VALUES ('A3', ?, 'genomford')",
            (PERIOD,),
        )  # fmt: skip  (A3 is BOL_C's activity)
        # its own organisation, but approving is a controller's: the server refuses 'godkand' from a reporter
        refused(conn, "UPDATE ils_round_state SET state = 'godkand', changed_by = session_user WHERE org_id = 'NAMN_A'")
        refused(conn, "INSERT INTO ils_round_state (org_id, period, state, changed_at, changed_by) "
                      "VALUES ('NAMN_A', '2026-BO', 'godkand', 'x', session_user)")  # fmt: skip
        # nor may it write in someone else's name, or touch the audit trail or the shared data
        refused(
            conn, "INSERT INTO ils_event (event_id, at, user_name, action) VALUES ('e1', 'x', 'postgres', 'approve')"
        )
        assert "permission denied for table ils_event" in refused(conn, "DELETE FROM ils_event")
        refused(conn, "UPDATE ils_load SET outcome = 'ok'")
        assert "permission denied for table ils_ledger" in refused(
            conn,
            "INSERT INTO ils_ledger (org_id, month, account, kind, budget) VALUES ('NAMN_A', '2026-01', '1', "
            "'intakt', 1)",
        )
        refused(conn, "UPDATE ils_user SET role = 'admin'")
        refused(
            conn,
            "INSERT INTO v_outcome (org_id, indicator_id, period, value, gender) VALUES ('BOL_C', 'I_L', "
            "'2026-T2', 1, 'T')",
        )  # fmt: skip  (the views are read-only for everyone)
        refused(conn, "TRUNCATE ils_outcome")
        assert affected(conn, "UPDATE ils_meta SET value = 'x' WHERE name = 'schema_version'") == 0
    finally:
        conn.close()

    # Through ilslib on the reporter's own connection the server's refusal is one line too (the backstop).
    with acc.as_("anna") as wh:
        with pytest.raises(AccessDeniedError) as err:
            wh.execute("INSERT INTO ils_outcome (org_id, indicator_id, period, value, gender) "
                       "VALUES ('BOL_C', 'I_L', ?, 1, 'T')", (PERIOD,))  # fmt: skip
        text = str(err.value)
        assert err.value.exit_code == 4 and "\n" not in text
        assert text.startswith(
            'the warehouse refused it: new row violates row-level security policy for table "ils_outcome"'
        )
        assert "[42501]" not in text and "SQLExecDirectW" not in text
        with pytest.raises(AccessDeniedError, match="permission denied for table ils_ledger"), wh.transaction():
            wh.execute("DELETE FROM ils_outcome WHERE org_id = 'NAMN_A'")  # allowed, then rolled back with the rest
            wh.execute("DELETE FROM ils_ledger")

    with connect(acc.url) as wh:
        assert data_snapshot(wh) == before, "a refused write changed the warehouse"
        # the refused load is in the audit trail of attempts (ils_load), with the login that tried
        assert wh.scalar("SELECT COUNT(*) FROM ils_load") == loads_before + 1
        assert wh.rows("SELECT outcome FROM ils_load ORDER BY started_at DESC")[0][0] == "refused"


def test_the_reader_reads_everything_and_writes_nothing(acc: PgAccess, tmp_path: Path) -> None:
    from ilslib import figures
    from ilslib.access import model
    from ilslib.round.status import round_status

    assert acc.apply().returncode == 0
    acc.set_passwords()
    with connect(acc.url) as wh:
        expected = counts(wh)
        orgs = figures.organisations(wh)
        before = data_snapshot(wh)
    with acc.as_("rita") as wh:
        assert counts(wh) == expected  # every table and view, every row (reports are public inside the city)
        assert figures.organisations(wh).equals(orgs)
        st = round_status(wh, PERIOD)
        assert {r.org_id for r in st.rows} == {"NAMN_A", "NAMN_B", "BOL_C", "BOL_D"}
        assert rights.rights(wh).describe() == "reader"
    conn = acc.raw("rita")
    try:
        for table in model.objects():
            # a view the server cannot write through at all says so before it looks at the privileges (55000)
            refused(conn, f"DELETE FROM {table}", states=("42501", "55000"))
            if table.startswith("ils_"):
                refused(conn, f"TRUNCATE {table}")
                col = first_column(table)
                if table == "ils_meta":  # the load lock's row is everyone's (a load takes it first): no other row
                    assert affected(conn, "UPDATE ils_meta SET value = 'x' WHERE name <> 'load_lock'") == 0
                else:
                    refused(conn, f"UPDATE {table} SET {col} = {col}")
        refused(conn, "INSERT INTO ils_outcome (org_id, indicator_id, period, value, gender) VALUES ('NAMN_A', 'I_T', "
                      "'2026-T2', 1, 'T')")  # fmt: skip
        refused(conn, "INSERT INTO ils_load (load_id, started_at, outcome) VALUES ('x', 'x', 'ok')")  # no fake loads
        refused(conn, "INSERT INTO ils_event (event_id, at, user_name, action) VALUES ('e', 'x', session_user, 'load')")
    finally:
        conn.close()
    p = acc.ils("load", str(outcome_dir(tmp_path, "NAMN_A", "reader")), who="rita")
    assert p.returncode == 4 and "may not load reporting data for organisation NAMN_A" in p.stderr, p.stderr
    p = acc.ils("ready", "--period", PERIOD, "--org", "NAMN_A", who="rita")
    assert p.returncode == 4 and p.stderr.count("\n") == 1
    with connect(acc.url) as wh:
        assert data_snapshot(wh) == before
        assert wh.rows("SELECT outcome, user_name FROM v_load ORDER BY started_at DESC")[0][0] == "refused"


def test_an_expired_user_loses_its_rights(acc: PgAccess, tmp_path: Path) -> None:
    assert acc.apply().returncode == 0
    acc.set_passwords()
    p = acc.ils("load", str(outcome_dir(tmp_path, "NAMN_B", "eva-1")), who="eva")
    assert p.returncode == 0, p.stderr  # eva reports for NAMN_B while her row is valid

    acc.load_users(acc.users_csv(expired=("eva",)))  # her valid_to passed yesterday
    with connect(acc.url) as wh:
        before = data_snapshot(wh)
    # Before anyone runs apply: the application refuses, and the database already does (valid_to is read live).
    p = acc.ils("load", str(outcome_dir(tmp_path, "NAMN_B", "eva-2", "1")), who="eva")
    assert p.returncode == 4 and "may not load reporting data for organisation NAMN_B" in p.stderr
    conn = acc.raw("eva")
    try:
        refused(conn, "INSERT INTO ils_comment (org_id, period, kind, text) VALUES ('NAMN_B', ?, 'analys', 'x')",
                (PERIOD,))  # fmt: skip
        assert affected(conn, "DELETE FROM ils_outcome WHERE org_id = 'NAMN_B'") == 0
        assert conn.cursor().execute("SELECT COUNT(*) FROM ils_outcome").fetchone()[0] > 0  # still a member: reads
    finally:
        conn.close()

    p = acc.apply()
    assert p.returncode == 0 and f"{acc.login('eva')} removed from {acc.prefix}reporter" in p.stdout, p.stdout
    conn = acc.raw("eva")  # she can still log in (the login is the DBA's), but holds no right in the warehouse
    try:
        assert "permission denied for table ils_outcome" in refused(conn, "SELECT COUNT(*) FROM ils_outcome")
        refused(conn, "SELECT * FROM v_user")
    finally:
        conn.close()
    p = acc.ils("status", "--period", PERIOD, who="eva")
    assert p.returncode == 4, p.stderr
    assert (
        p.stderr.startswith("ils: error: the warehouse refused it: permission denied for ")
        and p.stderr.count("\n") == 1
    )
    with connect(acc.url) as wh:
        assert data_snapshot(wh) == before
        detail = json.loads(wh.rows("SELECT detail FROM v_event WHERE action = 'access_apply' ORDER BY at DESC")[0][0])
        assert detail["changes"] == [["member-", acc.login("eva"), acc.prefix + "reporter"]]


def test_apply_needs_an_admin_or_the_owner(acc: PgAccess) -> None:
    assert acc.apply().returncode == 0
    acc.set_passwords()
    p = acc.apply(who="anna")
    assert p.returncode == 4
    assert "may not apply the users table to the database's permissions: that needs the role admin" in p.stderr
    # an admin of users may ask, but the database's permissions are the owner's: refused before anything runs
    acc.load_users(acc.users_csv(extra=["{tag}_newbie;Ny Person;;reader;;"]))
    p = acc.apply(who="adam")
    assert p.returncode == 4, p.stdout + p.stderr
    assert "cannot change the database's permissions: that needs the owner of the warehouse's tables" in p.stderr
    assert acc.apply("--dry-run", who="adam").returncode == 0  # but it may print the SQL for the DBA
    with connect(acc.url) as wh:
        assert wh.scalar("SELECT COUNT(*) FROM pg_roles WHERE rolname = ?", (f"{acc.tag}_newbie",)) == 0
    p = acc.apply()
    assert p.returncode == 0 and f"login role {acc.tag}_newbie created" in p.stdout
    acc.pg.psql(f'DROP OWNED BY "{acc.tag}_newbie"', database=acc.database)
    acc.pg.psql(f'DROP ROLE "{acc.tag}_newbie"')


def test_sql_script_for_the_dba_runs_on_a_fresh_database(acc: PgAccess, request, monkeypatch) -> None:
    """``--sql`` gives everything, safe to run again; applied by psql as a DBA would, then apply finds nothing."""
    p = acc.ils("access", "apply", "--sql", "--role-prefix", acc.prefix)
    assert p.returncode == 0, p.stderr
    script = p.stdout
    assert script.startswith("-- ils access apply --sql --dialect postgresql")
    assert "PWD" not in script and acc.pg.password not in script
    for _ in range(2):  # safe to run twice
        acc.pg.psql(script, database=acc.database)
    out = acc.apply()
    assert out.returncode == 0, out.stderr
    # what the script cannot know (the database's name for CONNECT is taken at run time) is there already
    assert out.stdout.startswith("the database already matches users"), out.stdout
