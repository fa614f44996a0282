"""PostgreSQL: what the catalogue says the warehouse's roles may do, and the SQL that makes it match ``users``.

:func:`read_catalogue` reads the roles, memberships, grants, policies and
functions that concern the ILS tables; :func:`desired` says what ``users``
asks for; :func:`plan` compares the two and returns the statements that make
the database match, each with a line saying what it changes. Policies and
functions carry a comment with a fingerprint of their definition, so an
outdated or foreign definition is redone and an unchanged one is left alone:
a second ``ils access apply`` changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..rights import Grant
from ..warehouse import Warehouse
from . import model
from .model import Groups

MAX_ROLE_BYTES = 63
"""PostgreSQL's longest role name (NAMEDATALEN - 1)."""

FINGERPRINT = "ils access"
"""The start of the comment ``ils access apply`` puts on its policies and functions."""

FUNCTIONS = ("ils_access_report_orgs", "ils_access_approve_orgs", "ils_access_is_admin")


def q(name: str) -> str:
    """A quoted identifier (``"STAD\\anna"``)."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A quoted string literal."""
    return "'" + text.replace("'", "''") + "'"


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join("?" for _ in values) + ")" if values else "(NULL)"


def _bool(value: object) -> bool:
    """A boolean from the catalogue (psqlODBC may return ``'1'``/``'0'`` or ``'t'``/``'f'`` text)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true", "yes")
    return bool(value)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# -- the catalogue ---------------------------------------------------------------------------------


@dataclass
class Role:
    """A role as ``pg_roles`` has it."""

    name: str
    login: bool
    superuser: bool
    createrole: bool


@dataclass
class Policy:
    """A policy on an ILS table: its command, roles, expressions and the comment ``ils access apply`` left."""

    table: str
    name: str
    command: str
    roles: tuple[str, ...]
    using: str | None
    check: str | None
    comment: str | None


@dataclass
class Catalogue:
    """What the database holds that concerns the ILS tables."""

    schema: str
    database: str
    owner: str  # the owner of the ILS tables (of ils_meta)
    session_user: str
    relations: dict[str, tuple[bool, bool]] = field(default_factory=dict)  # name -> (rls, forced)
    acl: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (object, grantee) -> privileges
    roles: dict[str, Role] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)  # group role -> member roles
    policies: dict[str, dict[str, Policy]] = field(default_factory=dict)  # table -> name -> policy
    functions: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> (rendering, comment)
    database_acl: dict[str, set[str]] = field(default_factory=dict)  # grantee -> {"CONNECT", ...}
    schema_acl: dict[str, set[str]] = field(default_factory=dict)  # grantee -> {"USAGE", ...}

    @property
    def me(self) -> Role | None:
        """The connected login's role."""
        return self.roles.get(self.session_user)


def read_catalogue(wh: Warehouse, groups: Groups, logins: Iterable[str]) -> Catalogue:
    """Read the catalogue: the ILS relations, their grants and policies, the group roles and ``logins``."""
    objects = model.objects()
    schema, database, me = wh.rows("SELECT current_schema(), current_database(), session_user")[0]
    owner = wh.scalar(
        "SELECT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = 'ils_meta'"
    )
    cat = Catalogue(str(schema), str(database), str(owner or ""), str(me))
    rel_filter = f"n.nspname = current_schema() AND c.relname IN {_in(objects)}"
    for name, rls, forced in wh.rows(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {rel_filter}",
        objects,
    ):
        cat.relations[str(name)] = (_bool(rls), _bool(forced))
    for name, grantee, priv in wh.rows(
        "SELECT c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, "
        "a.privilege_type FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, "
        f"aclexplode(c.relacl) a WHERE {rel_filter} AND a.grantee <> c.relowner",
        objects,
    ):
        cat.acl.setdefault((str(name), str(grantee)), set()).add(str(priv))
    wanted = sorted(set(logins) | set(groups.names.values()) | {cat.owner, cat.session_user})
    for name, login, superuser, createrole in wh.rows(
        f"SELECT rolname, rolcanlogin, rolsuper, rolcreaterole FROM pg_roles WHERE rolname IN {_in(wanted)}", wanted
    ):
        cat.roles[str(name)] = Role(str(name), _bool(login), _bool(superuser), _bool(createrole))
    group_names = list(groups.names.values())
    for grp, member in wh.rows(
        "SELECT r.rolname, m.rolname FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid "
        f"JOIN pg_roles m ON m.oid = am.member WHERE r.rolname IN {_in(group_names)}",
        group_names,
    ):
        cat.members.setdefault(str(grp), set()).add(str(member))
    for table, name, cmd, roles, using, check, comment in wh.rows(
        "SELECT c.relname, p.polname, p.polcmd, "
        "(SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END, ',' ORDER BY 1) "
        "FROM unnest(p.polroles) AS r), "
        "pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), "
        "obj_description(p.oid, 'pg_policy') FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {rel_filter}",
        objects,
    ):
        cat.policies.setdefault(str(table), {})[str(name)] = Policy(
            str(table),
            str(name),
            str(cmd),
            tuple(sorted(str(roles or "").split(","))) if roles else (),
            using,
            check,
            comment,
        )
    for name, src, secdef, config, comment in wh.rows(
        "SELECT p.proname, p.prosrc, p.prosecdef, array_to_string(p.proconfig, ';'), "
        "obj_description(p.oid, 'pg_proc') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        f"WHERE n.nspname = current_schema() AND p.proname IN {_in(FUNCTIONS)}",
        FUNCTIONS,
    ):
        cat.functions[str(name)] = (f"{src}|{_bool(secdef)}|{config or ''}", comment)
    for grantee, priv in wh.rows(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type "
        "FROM pg_database d, aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a "
        "WHERE d.datname = current_database()"
    ):
        cat.database_acl.setdefault(str(grantee), set()).add(str(priv))
    for grantee, priv in wh.rows(
        "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type "
        "FROM pg_namespace n, aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner))) a "
        "WHERE n.nspname = current_schema()"
    ):
        cat.schema_acl.setdefault(str(grantee), set()).add(str(priv))
    return cat


def effective_privileges(wh: Warehouse, logins: Sequence[str]) -> dict[str, dict[str, frozenset[str]]]:
    """``{login: {object: privileges}}``: what each login may do on every ILS table and view, by any route.

    The database's own answer (``has_table_privilege``, ``has_any_column_privilege``):
    direct grants, grants to PUBLIC and to every role the login is a member of.
    """
    out: dict[str, dict[str, frozenset[str]]] = {}
    objects = model.objects()
    if not logins:
        return out
    logins = list(logins)
    cols = ", ".join(
        f"has_any_column_privilege(r.oid, c.oid, '{p}')" if p in ("SELECT", "INSERT", "UPDATE", "REFERENCES")
        else f"has_table_privilege(r.oid, c.oid, '{p}')"
        for p in model.TABLE_PRIVILEGES
    )  # fmt: skip
    for row in wh.rows(
        f"SELECT r.rolname, c.relname, {cols} FROM pg_roles r CROSS JOIN pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE r.rolname IN {_in(logins)} AND n.nspname = current_schema() AND c.relname IN {_in(objects)}",
        [*logins, *objects],
    ):
        privs = frozenset(p for p, has in zip(model.TABLE_PRIVILEGES, row[2:], strict=True) if _bool(has))
        if privs:
            out.setdefault(str(row[0]), {})[str(row[1])] = privs
    return out


def logins_with_rights(wh: Warehouse) -> list[str]:
    """Every login role that may read or write any ILS table or view (superusers and the owner included)."""
    objects = model.objects()
    checks = " OR ".join(f"has_table_privilege(r.oid, c.oid, '{p}')" for p in ("SELECT", "INSERT", "UPDATE", "DELETE"))
    rows = wh.rows(
        "SELECT r.rolname FROM pg_roles r WHERE r.rolcanlogin AND EXISTS (SELECT 1 FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
        f"AND c.relname IN {_in(objects)} AND ({checks} OR has_any_column_privilege(r.oid, c.oid, 'INSERT') "
        "OR has_any_column_privilege(r.oid, c.oid, 'UPDATE'))) ORDER BY r.rolname",
        objects,
    )
    return [str(r[0]) for r in rows]


# -- what users asks for ---------------------------------------------------------------------------


@dataclass
class Desired:
    """The roles, memberships and grants that ``users`` asks for, on one day."""

    groups: Groups
    members: dict[str, set[str]]  # group role -> logins
    logins: set[str]  # every active login (needs a role)
    everyone: set[str]  # every login named in users, active or not (no direct grants)
    unusable: dict[str, str]  # login -> why it cannot be a PostgreSQL role


def role_problem(name: str, groups: Groups) -> str | None:
    """Why a ``users`` login cannot be a PostgreSQL login role, or None."""
    if len(name.encode("utf-8")) > MAX_ROLE_BYTES:
        return f"longer than PostgreSQL's {MAX_ROLE_BYTES} bytes for a role name"
    low = name.lower()
    if low.startswith("pg_"):
        return "PostgreSQL reserves role names beginning with pg_"
    if low in ("public", "none", "current_user", "session_user", "current_role") or name in groups.names.values():
        return "that name is reserved for a group or by PostgreSQL"
    return None


def desired(grants: Sequence[Grant], groups: Groups, today: str) -> Desired:
    """What ``users`` (all its rows, ``grants``) asks for on ``today``."""
    members: dict[str, set[str]] = {g: set() for g in groups.names.values()}
    unusable = {}
    active: set[str] = set()
    for g in grants:
        problem = role_problem(g.user_id, groups)
        if problem:
            unusable[g.user_id] = problem
            continue
        if g.active(today) and g.role in groups.names:
            members[groups.name(g.role)].add(g.user_id)
            active.add(g.user_id)
    everyone = {g.user_id for g in grants if g.user_id not in unusable}
    return Desired(groups, members, active, everyone, unusable)


# -- the SQL ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One statement and what it changes, in words (for the output and the recorded event)."""

    sql: str
    what: str
    kind: str  # role, member, grant, revoke, rls, policy, function, comment
    change: tuple[str, ...] = ()
    """What it changes as data, for the recorded event: ``("member+", login, group)``, ``("role", name)`` ..."""


def _functions(schema: str) -> dict[str, str]:
    s = q(schema)
    active = "(u.valid_to IS NULL OR u.valid_to >= CURRENT_DATE)"
    me = "u.user_id::text = session_user::text"

    def orgs(roles: str) -> str:
        return (
            f"SELECT COALESCE(array_agg(DISTINCT u.org_id::text), ARRAY[]::text[]) FROM {s}.ils_user u "
            f"WHERE {me} AND u.role IN ({roles}) AND u.org_id <> '' AND {active}"
        )

    bodies = {
        "ils_access_report_orgs": ("text[]", orgs("'reporter', 'controller'")),
        "ils_access_approve_orgs": ("text[]", orgs("'controller'")),
        "ils_access_is_admin": (
            "boolean",
            f"SELECT EXISTS (SELECT 1 FROM {s}.ils_user u WHERE {me} AND u.role = 'admin' AND {active})",
        ),
    }
    return {
        name: f"CREATE OR REPLACE FUNCTION {s}.{name}() RETURNS {ret} LANGUAGE sql STABLE SECURITY DEFINER "
        f"SET search_path = pg_catalog, pg_temp AS $ils$ {body} $ils$"
        for name, (ret, body) in bodies.items()
    }


@dataclass(frozen=True)
class PolicyDef:
    """One policy ``ils access apply`` creates."""

    table: str
    name: str
    command: str  # SELECT, INSERT, UPDATE, ALL
    roles: tuple[str, ...]
    using: str | None
    check: str | None

    def sql(self) -> str:
        """``CREATE POLICY ...``."""
        text = f"CREATE POLICY {q(self.name)} ON {self.table} FOR {self.command} TO {', '.join(map(q, self.roles))}"
        if self.using is not None:
            text += f" USING ({self.using})"
        if self.check is not None:
            text += f" WITH CHECK ({self.check})"
        return text


def policies(schema: str, groups: Groups) -> list[PolicyDef]:
    """Every policy, per row-level security table (see :mod:`ilslib.access.model`)."""
    s = q(schema)
    g = groups.names
    everyone = tuple(g[r] for r in ("reporter", "controller", "reader", "admin"))
    writers = (g["reporter"], g["controller"], g["admin"])
    admin = f"(SELECT {s}.ils_access_is_admin())"
    # A scalar subquery is evaluated once per statement (not per row); the cast makes ANY take the array.
    report = f"(SELECT {s}.ils_access_report_orgs())::text[]"
    approve = f"(SELECT {s}.ils_access_approve_orgs())::text[]"
    me = "session_user::text"
    out: list[PolicyDef] = []
    for table in model.RLS_TABLES:
        t = f"{s}.{table}"
        out.append(PolicyDef(t, "ils_read", "SELECT", everyone, "true", None))
        how = model.REPORTING_TABLES.get(table)
        if how == "org_id":
            mine = f"{admin} OR org_id::text = ANY ({report})"
            check = mine
            if table == "ils_round_state":
                check = (
                    f"changed_by::text = {me} AND ({admin} OR (org_id::text = ANY ({report}) "
                    f"AND (state <> 'godkand' OR org_id::text = ANY ({approve}))))"
                )
            out.append(PolicyDef(t, "ils_report", "ALL", writers, mine, check))
        elif how == "activity":
            mine = (
                f"{admin} OR activity_id IN (SELECT a.activity_id FROM {s}.ils_activity a "
                f"WHERE a.org_id::text = ANY ({report}))"
            )
            out.append(PolicyDef(t, "ils_report", "ALL", writers, mine, mine))
        elif table == "ils_event":
            out.append(PolicyDef(t, "ils_record", "INSERT", writers, None, f"user_name::text = {me}"))
            out.append(
                PolicyDef(
                    t, "ils_review", "INSERT", (g["reader"],), None,
                    f"user_name::text = {me} AND action = 'access_review'",
                )
            )  # fmt: skip
        elif table == "ils_load":
            out.append(PolicyDef(t, "ils_record", "INSERT", writers, None, "true"))
            out.append(PolicyDef(t, "ils_attempt", "INSERT", (g["reader"],), None, "outcome <> 'ok'"))
        elif table == "ils_load_file":
            out.append(PolicyDef(t, "ils_record", "INSERT", writers, None, "true"))
            out.append(
                PolicyDef(
                    t, "ils_attempt", "INSERT", (g["reader"],), None,
                    f"load_id IN (SELECT l.load_id FROM {s}.ils_load l WHERE l.outcome <> 'ok')",
                )
            )  # fmt: skip
        elif table == model.META_TABLE:
            lock = f"name = {lit(model.LOCK_ROW)}"
            out.append(PolicyDef(t, "ils_lock", "UPDATE", everyone, lock, lock))
            out.append(PolicyDef(t, "ils_admin", "ALL", (g["admin"],), admin, admin))
    return out


def fingerprint(definition: str) -> str:
    """The comment ``ils access apply`` puts on a policy or function it made: the hash of its definition.

    Only the tables' owner can alter a policy or a function, and the owner can
    do anything anyway: the fingerprint tells an outdated or foreign definition
    from the current one, it is not a seal against the owner.
    """
    return f"{FINGERPRINT} {_hash(definition)}"


def expressions_hash(using: str | None, check: str | None) -> str:
    """The digest of a policy's expressions as the server holds them (``pg_get_expr`` of USING and WITH CHECK).

    The same digest as :func:`policy_comment`'s SQL computes: ``md5(using || '|' || check)``, empty for none.
    """
    return hashlib.md5(f"{using or ''}|{check or ''}".encode()).hexdigest()


def policy_comment(p: PolicyDef) -> str:
    """The statement that comments a policy just created: its definition's fingerprint and the server's
    own rendering of its expressions, digested (so an ``ALTER POLICY`` that keeps the comment is seen)."""
    expr = (
        "SELECT md5(COALESCE(pg_get_expr(p.polqual, p.polrelid), '') || '|' || "
        "COALESCE(pg_get_expr(p.polwithcheck, p.polrelid), '')) FROM pg_policy p "
        f"WHERE p.polrelid = {lit(p.table)}::regclass AND p.polname = {lit(p.name)}"
    )
    return (
        f"DO $ils$ BEGIN EXECUTE format('COMMENT ON POLICY %I ON %s IS %L', {lit(p.name)}, {lit(p.table)}, "
        f"{lit(fingerprint(p.sql()) + ' ')} || ({expr})); END $ils$"
    )


def policy_intact(existing: Policy, p: PolicyDef) -> bool:
    """True when the policy in the database is the one ``p`` defines: same name, command and roles, the
    fingerprint of its definition, and expressions as the server rendered them when it was made (a policy
    altered in place keeps its comment, not its expressions)."""
    cmd = {"SELECT": "r", "INSERT": "a", "UPDATE": "w", "DELETE": "d", "ALL": "*"}[p.command]
    return (
        existing.comment == f"{fingerprint(p.sql())} {expressions_hash(existing.using, existing.check)}"
        and existing.command == cmd
        and existing.roles == tuple(sorted(p.roles))
    )


def function_body(definition: str) -> str:
    """The body of a function ``ils access apply`` defines, as ``pg_proc.prosrc`` holds it."""
    return definition.split("$ils$")[1]


def function_intact(cat: Catalogue, name: str, definition: str) -> bool:
    """True when the function exists as ``ils access apply`` made it: its fingerprint, its body as the server
    holds it now (a ``CREATE OR REPLACE`` keeps the comment, not the body), security definer, search path."""
    found = cat.functions.get(name)
    return (
        found is not None
        and found[1] == fingerprint(definition)
        and found[0] == f"{function_body(definition)}|True|search_path=pg_catalog, pg_temp"
    )


def structure_problems(cat: Catalogue, groups: Groups) -> list[str]:
    """What is missing or changed in the row-level security and its functions (empty: all as defined)."""
    out = []
    for name, definition in _functions(cat.schema).items():
        if not function_intact(cat, name, definition):
            out.append(f"funktionen {name} saknas eller är ändrad")
    by_table: dict[str, dict[str, PolicyDef]] = {}
    for p in policies(cat.schema, groups):
        by_table.setdefault(p.table.split(".")[-1], {})[p.name] = p
    for table in model.RLS_TABLES:
        rls, forced = cat.relations.get(table, (False, False))
        if table not in cat.relations:
            out.append(f"tabellen {table} saknas")
            continue
        if not rls:
            out.append(f"radsäkerheten är avslagen för {table}")
        have = cat.policies.get(table, {})
        for name, p in by_table.get(table, {}).items():
            if name not in have:
                out.append(f"regeln {name} för {table} saknas")
            elif not policy_intact(have[name], p):
                out.append(f"regeln {name} för {table} är ändrad")
        for name in sorted(set(have) - set(by_table.get(table, {}))):
            out.append(f"okänd regel {name} för {table}")
    return out


def _objects_text(objs: Sequence[str]) -> str:
    return ", ".join(objs) if len(objs) <= 4 else f"{len(objs)} tables and views ({objs[0]} ... {objs[-1]})"


def plan(cat: Catalogue, want: Desired) -> list[Step]:
    """The statements that make the database ``cat`` match ``want``, in order (empty: it matches)."""
    steps: list[Step] = []
    groups = want.groups
    schema = q(cat.schema)
    # 1. group roles, and a login role for every active person that has none (no password: the DBA's part).
    for role, group in groups.names.items():
        if group not in cat.roles:
            steps.append(
                Step(f"CREATE ROLE {q(group)} NOLOGIN", f"group role {group} created ({role})", "role", ("role", group))
            )
    for login in sorted(want.logins):
        if login not in cat.roles:
            steps.append(Step(f"CREATE ROLE {q(login)} LOGIN", f"login role {login} created", "role", ("role", login)))
    # 2. memberships: exactly the active rows of users.
    for group, logins in want.members.items():
        have = cat.members.get(group, set())
        for login in sorted(logins - have):
            steps.append(
                Step(
                    f"GRANT {q(group)} TO {q(login)}", f"{login} added to {group}", "member", ("member+", login, group)
                )
            )
        for login in sorted(have - logins):
            steps.append(
                Step(
                    f"REVOKE {q(group)} FROM {q(login)}",
                    f"{login} removed from {group}",
                    "member",
                    ("member-", login, group),
                )
            )
    # 3. connect to the database and use the schema.
    for group in groups.names.values():
        if "CONNECT" not in cat.database_acl.get(group, set()):
            steps.append(
                Step(
                    f"GRANT CONNECT ON DATABASE {q(cat.database)} TO {q(group)}",
                    f"{group} may connect",
                    "grant",
                    ("grant", group, "DATABASE", "CONNECT"),
                )
            )
        if "USAGE" not in cat.schema_acl.get(group, set()):
            steps.append(
                Step(
                    f"GRANT USAGE ON SCHEMA {schema} TO {q(group)}",
                    f"{group} may use {cat.schema}",
                    "grant",
                    ("grant", group, "SCHEMA", "USAGE"),
                )
            )
    # 4. the functions the policies call (before the policies).
    group_list = ", ".join(q(g) for g in groups.names.values())
    for name, definition in _functions(cat.schema).items():
        if function_intact(cat, name, definition):
            continue
        steps.append(Step(definition, f"function {name} (re)created", "function", ("function", name)))
        steps.append(Step(f"REVOKE ALL ON FUNCTION {schema}.{name}() FROM PUBLIC", "", "function"))
        steps.append(Step(f"GRANT EXECUTE ON FUNCTION {schema}.{name}() TO {group_list}", "", "function"))
        steps.append(Step(f"COMMENT ON FUNCTION {schema}.{name}() IS {lit(fingerprint(definition))}", "", "comment"))
    # 5. grants on every ILS table and view: the groups exactly as defined, nothing to PUBLIC or to a person.
    managed = set(groups.names.values()) | {"PUBLIC"} | want.everyone
    wanted: dict[tuple[str, str], set[str]] = {}
    for role, group in groups.names.items():
        for obj, privs in model.privileges(role).items():
            wanted[(obj, group)] = set(privs)
    revokes: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    grants: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for obj in model.objects():
        if obj not in cat.relations:
            continue
        for grantee in sorted(managed):
            have = cat.acl.get((obj, grantee), set())
            need = wanted.get((obj, grantee), set())
            extra = tuple(sorted(have - need, key=model.TABLE_PRIVILEGES.index))
            missing = tuple(sorted(need - have, key=model.TABLE_PRIVILEGES.index))
            if extra:
                revokes.setdefault((grantee, extra), []).append(obj)
            if missing:
                grants.setdefault((grantee, missing), []).append(obj)
    # One statement per grantee and set of privileges, naming every table it concerns.
    for (grantee, listed), objs in revokes.items():
        who = "PUBLIC" if grantee == "PUBLIC" else q(grantee)
        steps.append(
            Step(
                f"REVOKE {', '.join(listed)} ON {', '.join(f'{schema}.{o}' for o in objs)} FROM {who}",
                f"{', '.join(listed)} on {_objects_text(objs)} revoked from {grantee}",
                "revoke",
                ("revoke", grantee, ", ".join(objs), ", ".join(listed)),
            )
        )
    for (grantee, listed), objs in grants.items():
        steps.append(
            Step(
                f"GRANT {', '.join(listed)} ON {', '.join(f'{schema}.{o}' for o in objs)} TO {q(grantee)}",
                f"{', '.join(listed)} on {_objects_text(objs)} granted to {grantee}",
                "grant",
                ("grant", grantee, ", ".join(objs), ", ".join(listed)),
            )
        )
    # 6. row-level security and its policies.
    by_table: dict[str, list[PolicyDef]] = {}
    for p in policies(cat.schema, groups):
        by_table.setdefault(p.table.split(".")[-1], []).append(p)
    for table in model.RLS_TABLES:
        if table not in cat.relations:
            continue
        rls, forced = cat.relations[table]
        if not rls:
            steps.append(
                Step(
                    f"ALTER TABLE {schema}.{table} ENABLE ROW LEVEL SECURITY",
                    f"row-level security on {table}",
                    "rls",
                    ("rls", table),
                )
            )
        if forced:  # the owner is the DBA's account, which sets everything up: not subject to the policies
            steps.append(
                Step(
                    f"ALTER TABLE {schema}.{table} NO FORCE ROW LEVEL SECURITY",
                    f"{table}: not forced",
                    "rls",
                    ("rls", table),
                )
            )
        existing = cat.policies.get(table, {})
        defined = {p.name for p in by_table.get(table, [])}
        for name in sorted(set(existing) - defined):
            steps.append(
                Step(
                    f"DROP POLICY {q(name)} ON {schema}.{table}",
                    f"unknown policy {name} on {table} dropped",
                    "policy",
                    ("policy-", table, name),
                )
            )
        for p in by_table.get(table, []):
            if p.name in existing and policy_intact(existing[p.name], p):
                continue
            if p.name in existing:
                steps.append(Step(f"DROP POLICY {q(p.name)} ON {p.table}", "", "policy"))
            verb = "redone" if p.name in existing else "created"
            steps.append(Step(p.sql(), f"policy {p.name} on {table} {verb}", "policy", ("policy", table, p.name)))
            steps.append(Step(policy_comment(p), "", "comment"))
    return steps


def full_script(schema: str, grants: Sequence[Grant], groups: Groups, today: str) -> list[Step]:
    """Every statement, for a DBA to read and run (``--sql``): safe to run again, whatever exists already."""
    empty = Catalogue(schema, "", "", "")
    empty.relations = {name: (False, False) for name in model.objects()}
    want = desired(grants, groups, today)
    out = []
    for s in plan(empty, want):
        if s.kind == "role":  # a role may exist already on the DBA's cluster
            bare = s.sql.split(" ", 2)[2].rsplit(" ", 1)[0]
            out.append(Step(_if_role_missing(bare, s.sql), s.what, s.kind))
        elif s.sql.startswith("GRANT CONNECT ON DATABASE"):
            group = s.sql.rsplit(" TO ", 1)[1]
            out.append(
                Step(
                    "DO $ils$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO %s', current_database(), "
                    f"{lit(group)}); END $ils$",
                    s.what,
                    s.kind,
                )
            )
        elif s.kind == "policy" and s.sql.startswith("CREATE POLICY"):
            name, table = s.sql[len("CREATE POLICY ") :].split(" FOR ", 1)[0].split(" ON ", 1)
            out.append(Step(f"DROP POLICY IF EXISTS {name} ON {table}", "", "policy"))
            out.append(s)
        else:
            out.append(s)
    # Logins whose every row has expired leave their groups (the login role itself stays: the DBA's).
    for login in sorted(want.everyone - want.logins):
        for group in groups.names.values():
            out.append(
                Step(
                    "DO $ils$ BEGIN IF pg_has_role(" + lit(login) + ", " + lit(group) + ", 'MEMBER') "
                    f"THEN REVOKE {q(group)} FROM {q(login)}; END IF; "
                    "EXCEPTION WHEN undefined_object THEN NULL; END $ils$",
                    f"{login} removed from {group} (expired)",
                    "member",
                )
            )
    return out


def _if_role_missing(quoted: str, sql: str) -> str:
    bare = quoted[1:-1].replace('""', '"')
    return f"DO $ils$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {lit(bare)}) THEN {sql}; END IF; END $ils$"
