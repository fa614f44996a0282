"""SQL Server: the script that gives ``users`` their rights (roles, grants, a security policy), for the DBA.

UNTESTED against a SQL Server: there is none where this project is built and
tested. ``tests/test_access_mssql.py`` parses every statement (sqlglot's T-SQL
grammar where it has one, a strict grammar of its own for the statements
sqlglot does not know) and checks that it says what the PostgreSQL policies
say. It is the same design as on PostgreSQL (:mod:`ilslib.access.model`):

- database roles ``PREFIX + role``, a database user per login (``CREATE USER
  ... FOR LOGIN``: the logins themselves, Windows or SQL Server ones, are the
  DBA's), memberships exactly as the active rows of ``users``;
- ``GRANT`` of the same privileges per role and table; nothing to ``public``;
- inline predicate functions in the schema ``ils_security`` and one security
  policy of BLOCK predicates (everyone reads everything, so no FILTER
  predicate) on the reporting, audit and meta tables; a schema-bound
  policy needs no grant on its functions. SQL Server applies
  row-level security to everyone, the owner included: members of ``db_owner``
  pass every predicate (the owner is the DBA's account, as on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..rights import Grant
from . import model
from .model import Groups

SECURITY_SCHEMA = "ils_security"
POLICY = "ils_access"
GO = "GO"


def b(name: str) -> str:
    """A bracketed identifier (``[STAD\\anna]``)."""
    return "[" + name.replace("]", "]]") + "]"


def n(text: str) -> str:
    """A Unicode string literal (``N'...'``)."""
    return "N'" + text.replace("'", "''") + "'"


def _functions(schema: str) -> dict[str, tuple[str, str]]:
    """``{name: (parameters, body)}`` of the predicate functions (inline, schema-bound)."""
    u = f"{b(schema)}.{b('ils_user')}"
    owner = "IS_MEMBER(N'db_owner') = 1"
    active = "(u.valid_to IS NULL OR u.valid_to >= CAST(GETDATE() AS date))"
    me = "u.user_id = SUSER_SNAME()"

    def has(condition: str) -> str:
        return f"EXISTS (SELECT 1 FROM {u} AS u WHERE {me} AND {active} AND ({condition}))"

    admin = has("u.role = N'admin'")
    report = has("u.role = N'admin' OR (u.role IN (N'reporter', N'controller') AND u.org_id = @org_id)")
    approve = has("u.role = N'admin' OR (u.role = N'controller' AND u.org_id = @org_id)")
    writer = has("u.role IN (N'reporter', N'controller', N'admin')")
    activity_org = f"(SELECT a.org_id FROM {b(schema)}.{b('ils_activity')} AS a WHERE a.activity_id = @activity_id)"
    report_activity = has(
        "u.role = N'admin' OR (u.role IN (N'reporter', N'controller') AND u.org_id = " + activity_org + ")"
    )
    return {
        "fn_may_report": ("@org_id NVARCHAR(64)", f"{owner} OR {report}"),
        "fn_may_report_activity": ("@activity_id NVARCHAR(64)", f"{owner} OR {report_activity}"),
        "fn_may_set_state": (
            "@org_id NVARCHAR(64), @state NVARCHAR(32), @changed_by NVARCHAR(400)",
            f"{owner} OR (@changed_by = SUSER_SNAME() AND {report} AND (@state <> N'godkand' OR {approve}))",
        ),
        "fn_may_record_event": (
            "@user_name NVARCHAR(400), @action NVARCHAR(32)",
            f"{owner} OR (@user_name = SUSER_SNAME() AND ({writer} OR @action = N'access_review'))",
        ),
        "fn_may_record_load": ("@outcome NVARCHAR(32)", f"{owner} OR @outcome <> N'ok' OR {writer}"),
        "fn_may_record_load_file": (
            "@load_id NVARCHAR(64)",
            f"{owner} OR {writer} OR EXISTS (SELECT 1 FROM {b(schema)}.{b('ils_load')} AS l "
            "WHERE l.load_id = @load_id AND l.outcome <> N'ok')",
        ),
        "fn_may_write_meta": ("@name NVARCHAR(64)", f"{owner} OR @name = {n(model.LOCK_ROW)} OR {admin}"),
    }


#: Which function guards which table, with the columns it is called with.
PREDICATES: dict[str, tuple[str, str]] = {
    "ils_outcome": ("fn_may_report", "org_id"),
    "ils_assessment": ("fn_may_report", "org_id"),
    "ils_comment": ("fn_may_report", "org_id"),
    "ils_activity_status": ("fn_may_report_activity", "activity_id"),
    "ils_round_state": ("fn_may_set_state", "org_id, state, changed_by"),
    "ils_event": ("fn_may_record_event", "user_name, action"),
    "ils_load": ("fn_may_record_load", "outcome"),
    "ils_load_file": ("fn_may_record_load_file", "load_id"),
    "ils_meta": ("fn_may_write_meta", "name"),
}
OPERATIONS = ("AFTER INSERT", "AFTER UPDATE", "BEFORE UPDATE", "BEFORE DELETE")


def statements(schema: str, grants: Sequence[Grant], groups: Groups, today: str) -> list[tuple[str, str]]:
    """``[(comment, statement)]`` in order; a statement ``GO`` ends a batch."""
    out: list[tuple[str, str]] = []
    for role, group in groups.names.items():
        out.append(
            (f"group role {group} ({role})", f"IF DATABASE_PRINCIPAL_ID({n(group)}) IS NULL CREATE ROLE {b(group)}")
        )
    active: dict[str, set[str]] = {}
    everyone: set[str] = set()
    for g in grants:
        everyone.add(g.user_id)
        if g.active(today):
            active.setdefault(g.user_id, set()).add(g.role)
    for login in sorted(active):
        out.append(
            (
                f"database user of the login {login} (the login itself is the DBA's: CREATE LOGIN ... FROM WINDOWS)",
                f"IF DATABASE_PRINCIPAL_ID({n(login)}) IS NULL CREATE USER {b(login)} FOR LOGIN {b(login)}",
            )
        )
        for role in sorted(active[login]):
            group = groups.name(role)
            out.append(
                (
                    f"{login} in {group}",
                    f"IF IS_ROLEMEMBER({n(group)}, {n(login)}) = 0 ALTER ROLE {b(group)} ADD MEMBER {b(login)}",
                )
            )
    # Every other member of the groups leaves them (expired rows, removed rows, members added by hand).
    keep = ", ".join(f"({n(groups.name(r))}, {n(login)})" for login in sorted(active) for r in sorted(active[login]))
    group_list = ", ".join(n(g) for g in groups.names.values())
    out.append(
        (
            "members that users does not give leave the groups",
            "DECLARE @drop NVARCHAR(MAX) = N''; "
            "SELECT @drop = @drop + N'ALTER ROLE ' + QUOTENAME(r.name) + N' DROP MEMBER ' + QUOTENAME(m.name) + N';' "
            "FROM sys.database_role_members AS rm "
            "JOIN sys.database_principals AS r ON r.principal_id = rm.role_principal_id "
            "JOIN sys.database_principals AS m ON m.principal_id = rm.member_principal_id "
            f"WHERE r.name IN ({group_list})"
            + (
                f" AND NOT EXISTS (SELECT 1 FROM (VALUES {keep}) AS k(role_name, member_name) "
                "WHERE k.role_name = r.name AND k.member_name = m.name)"
                if keep
                else ""
            )
            + "; EXEC sys.sp_executesql @drop",
        )
    )
    out.append(("", GO))
    for obj in model.objects():
        target = f"{b(schema)}.{b(obj)}"
        out.append((f"nothing on {obj} for public", f"REVOKE ALL ON {target} FROM public"))
        for role, group in groups.names.items():
            privs = [p for p in model.TABLE_PRIVILEGES if p in model.privileges(role)[obj]]
            out.append(("", f"GRANT {', '.join(privs)} ON {target} TO {b(group)}"))
    out.append(("", GO))
    out.append(
        (
            "the schema of the predicate functions",
            f"IF SCHEMA_ID({n(SECURITY_SCHEMA)}) IS NULL EXEC(N'CREATE SCHEMA {b(SECURITY_SCHEMA)}')",
        )
    )
    out.append(
        (
            "the policy is made again below (functions bound to it cannot change)",
            f"DROP SECURITY POLICY IF EXISTS {b(SECURITY_SCHEMA)}.{b(POLICY)}",
        )
    )
    for name in _functions(schema):
        out.append(("", f"DROP FUNCTION IF EXISTS {b(SECURITY_SCHEMA)}.{b(name)}"))
    out.append(("", GO))
    for name, (params, body) in _functions(schema).items():
        out.append(
            (
                f"predicate {name}",
                f"CREATE FUNCTION {b(SECURITY_SCHEMA)}.{b(name)}({params}) RETURNS TABLE WITH SCHEMABINDING AS "
                f"RETURN SELECT 1 AS ok WHERE {body}",
            )
        )
        out.append(("", GO))
    preds = []
    for table, (fn, cols) in PREDICATES.items():
        for op in OPERATIONS:
            preds.append(f"ADD BLOCK PREDICATE {b(SECURITY_SCHEMA)}.{b(fn)}({cols}) ON {b(schema)}.{b(table)} {op}")
    out.append(
        (
            "the security policy: every write to these tables passes its predicate",
            f"CREATE SECURITY POLICY {b(SECURITY_SCHEMA)}.{b(POLICY)} "
            + ", ".join(preds)
            + " WITH (STATE = ON, SCHEMABINDING = ON)",
        )
    )
    out.append(("", GO))
    return out


def script(schema: str, grants: Sequence[Grant], groups: Groups, today: str) -> str:
    """The script as text: a comment above each part, ``GO`` between batches."""
    lines = [
        "-- SQL Server. UNTESTED: made and parsed by ils, never run against a SQL Server by its tests.",
        "-- Logins are the DBA's (CREATE LOGIN [STAD\\anna] FROM WINDOWS, or FROM EXTERNAL PROVIDER on Azure).",
        "",
    ]
    for comment, stmt in statements(schema, grants, groups, today):
        if comment:
            lines.append(f"-- {comment}")
        lines.append(stmt if stmt == GO else stmt + ";")
    return "\n".join(lines) + "\n"
