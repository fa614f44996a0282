"""The SQL Server script of ``ils access apply --sql --dialect mssql``: parsed, never run.

There is no SQL Server where this project is tested, so the script is checked
by parsing every statement: sqlglot's T-SQL grammar for what it knows (GRANT,
REVOKE, DECLARE/SELECT/EXEC, CREATE and DROP FUNCTION with the whole predicate
body: tables, columns, parameters), a strict grammar here for the statements
it does not know (CREATE ROLE/USER, ALTER ROLE ... ADD MEMBER, CREATE and DROP
SECURITY POLICY). Then its meaning is compared with the PostgreSQL design
(:mod:`ilslib.access.model`): the same privileges per role and table, a
predicate on every row-level security table for every kind of write.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from round_support import write_dataset

from ilslib import connect
from ilslib.access import model, mssql
from ilslib.contract import FILES
from ilslib.schema import _EXTRA_TABLES

sqlglot = pytest.importorskip("sqlglot")
from sqlglot import exp  # noqa: E402

IDENT = r"\[(?:[^\]]|\]\])+\]"
NSTR = r"N'(?:[^']|'')*'"


def unb(ident: str) -> str:
    return ident[1:-1].replace("]]", "]")


def unn(lit: str) -> str:
    return lit[2:-1].replace("''", "'")


def columns_of(table: str) -> set[str]:
    for spec in FILES.values():
        if spec.table == table:
            return set(spec.column_names)
    return {c for c, _, _ in _EXTRA_TABLES[table]}


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> str:
    d = tmp_path_factory.mktemp("mssql")
    url = f"sqlite:///{d / 'w.sqlite'}"
    from ilslib.load import load_dir
    from ilslib.schema import init_schema

    with connect(url, create=True, check_schema=False) as wh:
        init_schema(wh)
        assert load_dir(wh, write_dataset(d / "ds")).ok
    from ilslib.cli import main

    out = d / "roller.sql"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["access", "apply", "--sql", "--dialect", "mssql", "--warehouse", url]) == 0
    out.write_text(buf.getvalue(), encoding="utf-8")
    return buf.getvalue()


def statements(script: str) -> list[str]:
    """Every statement, one a line (comments and GO left out)."""
    out = []
    for line in script.splitlines():
        if not line.strip() or line.startswith("--") or line == "GO":
            continue
        assert line.endswith(";"), line
        out.append(line[:-1])
    return out


def parse(stmt: str) -> list[exp.Expression]:
    """sqlglot's T-SQL parse; a statement it does not know (a Command) is an error here."""
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    parsed = [e for e in sqlglot.parse(stmt, read="tsql", error_level=sqlglot.ErrorLevel.RAISE) if e is not None]
    assert parsed and not any(isinstance(e, exp.Command) for e in parsed), stmt
    return parsed


def test_every_statement_parses(script: str) -> None:
    assert "UNTESTED" in script and script.count("\nGO\n") >= 5
    roles: set[str] = set()
    users: set[str] = set()
    members: set[tuple[str, str]] = set()
    grants: dict[tuple[str, str], set[str]] = {}
    functions: dict[str, list[str]] = {}
    policy: list[tuple[str, str, str, str]] = []
    strict = 0
    for stmt in statements(script):
        if m := re.fullmatch(rf"IF DATABASE_PRINCIPAL_ID\(({NSTR})\) IS NULL CREATE ROLE ({IDENT})", stmt):
            assert unn(m[1]) == unb(m[2])
            parse(f"SELECT DATABASE_PRINCIPAL_ID({m[1]})")
            roles.add(unb(m[2]))
            strict += 1
        elif m := re.fullmatch(
            rf"IF DATABASE_PRINCIPAL_ID\(({NSTR})\) IS NULL CREATE USER ({IDENT}) FOR LOGIN ({IDENT})", stmt
        ):
            assert unn(m[1]) == unb(m[2]) == unb(m[3])
            users.add(unb(m[2]))
            strict += 1
        elif m := re.fullmatch(
            rf"IF IS_ROLEMEMBER\(({NSTR}), ({NSTR})\) = 0 ALTER ROLE ({IDENT}) ADD MEMBER ({IDENT})", stmt
        ):
            assert (unn(m[1]), unn(m[2])) == (unb(m[3]), unb(m[4]))
            parse(f"SELECT IS_ROLEMEMBER({m[1]}, {m[2]})")
            members.add((unb(m[3]), unb(m[4])))
            strict += 1
        elif m := re.fullmatch(rf"IF SCHEMA_ID\(({NSTR})\) IS NULL EXEC\(N'CREATE SCHEMA ({IDENT})'\)", stmt):
            assert unn(m[1]) == unb(m[2]) == mssql.SECURITY_SCHEMA
            strict += 1
        elif m := re.fullmatch(rf"DROP SECURITY POLICY IF EXISTS ({IDENT})\.({IDENT})", stmt):
            assert (unb(m[1]), unb(m[2])) == (mssql.SECURITY_SCHEMA, mssql.POLICY)
            strict += 1
        elif stmt.startswith("CREATE SECURITY POLICY "):
            m = re.fullmatch(
                rf"CREATE SECURITY POLICY ({IDENT})\.({IDENT}) (.+) WITH \(STATE = ON, SCHEMABINDING = ON\)", stmt
            )
            assert m and (unb(m[1]), unb(m[2])) == (mssql.SECURITY_SCHEMA, mssql.POLICY), stmt
            for part in m[3].split(", ADD "):
                pm = re.fullmatch(
                    rf"(?:ADD )?BLOCK PREDICATE ({IDENT})\.({IDENT})\(([a-z_, ]+)\) ON ({IDENT})\.({IDENT}) "
                    r"(AFTER INSERT|AFTER UPDATE|BEFORE UPDATE|BEFORE DELETE)",
                    part,
                )
                assert pm, part
                assert unb(pm[1]) == mssql.SECURITY_SCHEMA and unb(pm[4]) == "dbo"
                policy.append((unb(pm[2]), pm[3], unb(pm[5]), pm[6]))
            strict += 1
        else:
            for e in parse(stmt):
                if isinstance(e, exp.Grant):
                    (target,) = [t for t in e.find_all(exp.Table)]
                    privs = {p.sql("tsql").upper() for p in e.args["privileges"]}
                    for principal in e.args["principals"]:
                        grants.setdefault((target.name, principal.name), set()).update(privs)
                elif isinstance(e, exp.Create) and e.args.get("kind") == "FUNCTION":
                    fn = e.this
                    params = [p.name for p in fn.expressions]
                    functions[fn.this.name] = params
                    check_predicate(e, params)
                else:
                    assert isinstance(e, (exp.Revoke, exp.Drop, exp.Declare, exp.Select, exp.ExecuteSql)), stmt
    assert strict > 10

    groups = {f"ils_{r}" for r in model.ROLES}
    assert roles == groups
    assert users == {"STAD\\anna", "carl@stad.se", "bo.berg", "adam", "rita"}  # not eva: expired in 2020
    assert members == {
        ("ils_reporter", "STAD\\anna"), ("ils_controller", "carl@stad.se"), ("ils_reporter", "bo.berg"),
        ("ils_admin", "adam"), ("ils_reader", "rita"),
    }  # fmt: skip
    # The same privileges as on PostgreSQL, per role and table.
    for role in model.ROLES:
        for obj, privs in model.privileges(role).items():
            assert grants[(obj, f"ils_{role}")] == set(privs), (role, obj)
    # A predicate on every row-level security table, for every kind of write, with columns of that table.
    assert {t for _, _, t, _ in policy} == set(model.RLS_TABLES)
    for table in model.RLS_TABLES:
        ops = {op for _, _, t, op in policy if t == table}
        assert ops == set(mssql.OPERATIONS), table
    for fn, cols, table, _ in policy:
        args = [c.strip() for c in cols.split(",")]
        assert set(args) <= columns_of(table), (fn, table)
        assert len(args) == len(functions[fn]), fn


def check_predicate(create: exp.Create, params: list[str]) -> None:
    """A predicate function reads only the users, activities and loads, with their real columns."""
    alias_tables = {}
    for t in create.find_all(exp.Table):
        if t.db == "dbo":
            alias_tables[t.alias] = t.name
    assert set(alias_tables.values()) <= {"ils_user", "ils_activity", "ils_load"}, alias_tables
    for col in create.find_all(exp.Column):
        table = alias_tables.get(col.table)
        assert table is not None, col.sql("tsql")
        assert col.name in columns_of(table), col.sql("tsql")
    text = create.sql("tsql")
    for p in params:
        assert p in text.split("RETURN", 1)[1], (p, text)
    assert "IS_MEMBER(N'db_owner') = 1" in text  # the owner passes, as on PostgreSQL (it is not subject to RLS there)
    assert isinstance(create.expression, exp.Return) and isinstance(create.expression.this, exp.Select)


def test_what_the_predicates_say(script: str) -> None:
    """The rules of the PostgreSQL policies, in the SQL Server functions."""
    fns = {m[1]: m[2] for m in re.finditer(r"CREATE FUNCTION \[ils_security\]\.\[(\w+)\]\(.*?\) RETURNS TABLE WITH "
                                            r"SCHEMABINDING AS RETURN (.*);", script)}  # fmt: skip
    assert set(fns) == {fn for fn, _ in mssql.PREDICATES.values()}
    valid = "(u.valid_to IS NULL OR u.valid_to >= CAST(GETDATE() AS date))"
    for body in fns.values():
        assert "u.user_id = SUSER_SNAME()" in body and valid in body  # the login, and only while valid
    assert "@state <> N'godkand'" in fns["fn_may_set_state"] and "u.role = N'controller'" in fns["fn_may_set_state"]
    assert "@changed_by = SUSER_SNAME()" in fns["fn_may_set_state"]
    assert "@user_name = SUSER_SNAME()" in fns["fn_may_record_event"]
    assert "@action = N'access_review'" in fns["fn_may_record_event"]
    assert "@outcome <> N'ok'" in fns["fn_may_record_load"]
    assert "@name = N'load_lock'" in fns["fn_may_write_meta"]
    assert "a.activity_id = @activity_id" in fns["fn_may_report_activity"]


def test_quoting_and_the_dry_run_of_the_embedded_warehouse(tmp_path: Path, ils) -> None:
    assert mssql.b("a]b") == "[a]]b]" and mssql.n("O'Brien") == "N'O''Brien'"
    e = sqlglot.parse_one(f"SELECT {mssql.n('O' + chr(39) + 'Brien')} AS {mssql.b('a]b')}", read="tsql")
    assert e.expressions[0].alias == "a]b" and e.expressions[0].this.name == "O'Brien"
    code, out, err = ils("access", "apply", "--sql", "--dialect", "sqlite")
    assert code == 2 and "invalid choice: 'sqlite'" in err
    code, out, err = ils("access", "apply", "--dialect", "mssql")
    assert code == 2 and "--dialect goes with --sql" in err
