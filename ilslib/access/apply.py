"""``ils access apply``: make the server database's roles, grants and row-level security match ``users``.

On PostgreSQL :func:`apply` reads the catalogue, plans the statements that
make it match (:mod:`ilslib.access.pg`) and runs them in ONE transaction,
recording what changed as an ``access_apply`` event (who, when, what); with
nothing to change it changes and records nothing. ``dry_run`` only plans.
:func:`script` gives every statement for a DBA to run (PostgreSQL or SQL
Server). The embedded warehouse has one file and one user: nothing to apply.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import rights
from ..config import redact_url
from ..errors import AccessDeniedError, ConfigError
from ..warehouse import Warehouse
from . import model, pg
from .model import Groups

DIALECTS = ("postgresql", "mssql")


@dataclass
class ApplyResult:
    """What ``ils access apply`` did (or, with ``dry_run``, would do)."""

    prefix: str
    steps: list[pg.Step] = field(default_factory=list)
    applied: bool = False
    event_id: str | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # login -> why it has no role

    @property
    def changes(self) -> list[pg.Step]:
        """The steps that say what they change (the others are part of one: a drop before a create ...)."""
        return [s for s in self.steps if s.what]


def stored_prefix(wh: Warehouse) -> str | None:
    """The group role prefix ``ils access apply`` last used on this warehouse, or None."""
    value = wh.scalar("SELECT value FROM ils_meta WHERE name = ?", (model.PREFIX_META,))
    return str(value) if value else None


def groups_of(wh: Warehouse, prefix: str | None = None) -> Groups:
    """The group roles of this warehouse: ``prefix``, else the stored one, else ``ils_``."""
    if prefix:
        return Groups(model.check_prefix(prefix))
    return Groups(stored_prefix(wh) or model.DEFAULT_PREFIX)


def embedded_note(wh: Warehouse) -> str:
    """What protects an embedded (SQLite) warehouse: its file's permissions, and nothing else."""
    from ..rights import _sqlite_file

    path = _sqlite_file(wh)
    where = f" ({path})" if path else ""
    return (
        f"the embedded warehouse{where} is one file with one user: it has no roles, grants or row-level security. "
        "ils checks every login's rights from users before it writes, but whoever can write the file can change "
        "anything in it: its file permissions are the only protection (ils access review shows them)"
    )


def _require(wh: Warehouse, action: str) -> rights.Rights:
    """An admin of users, or the owner of the warehouse (the database's owner may change its permissions)."""
    r = rights.rights(wh)
    if r.is_admin or rights.is_owner(wh):
        return r
    raise AccessDeniedError(
        f"{rights.shown(r.user)} may not {action}: that needs the role admin or the warehouse's owner "
        f"(you are: {r.describe()})"
    )


def _can_run(wh: Warehouse, cat: pg.Catalogue, steps: list[pg.Step]) -> None:
    """Refuse in one line, before anything runs, when the login cannot make these changes in the database."""
    me = cat.me
    if me is not None and me.superuser:
        return
    owns = (
        bool(wh.scalar("SELECT CASE WHEN pg_has_role(session_user, ?, 'USAGE') THEN 1 ELSE 0 END", (cat.owner,)))
        if cat.owner
        else False
    )
    needs_roles = any(s.kind in ("role", "member") for s in steps)
    if not owns or (needs_roles and not (me and me.createrole)):
        missing = []
        if not owns:
            missing.append(f"the owner of the warehouse's tables ({cat.owner})")
        if needs_roles and not (me and me.createrole):
            missing.append("CREATEROLE")
        raise AccessDeniedError(
            f"{rights.shown(cat.session_user)} cannot change the database's permissions: that needs "
            f"{' and '.join(missing)}; nothing was changed (ask the DBA to run it as the owner, or give them the SQL "
            "of ils access apply --dry-run)"
        )


def apply(wh: Warehouse, *, dry_run: bool = False, prefix: str | None = None, today: str | None = None) -> ApplyResult:
    """Make the warehouse's roles, grants and policies match ``users`` (PostgreSQL); see the module docstring."""
    if wh.dialect != "postgresql":
        raise ConfigError(
            embedded_note(wh)
            if wh.dialect == "sqlite"
            else "ils access apply changes SQL Server through its DBA: print the script with "
            "ils access apply --sql --dialect mssql"
        )
    _require(wh, "apply the users table to the database's permissions")
    day = today or rights.today()
    groups = groups_of(wh, prefix)
    all_grants = rights.grants(wh)
    want = pg.desired(all_grants, groups, day)
    cat = pg.read_catalogue(wh, groups, want.everyone)
    steps = pg.plan(cat, want)
    result = ApplyResult(groups.prefix, steps, skipped=dict(want.unusable))
    prefix_changes = stored_prefix(wh) != groups.prefix
    if dry_run or (not steps and not prefix_changes):
        return result
    _can_run(wh, cat, steps)
    detail = {"prefix": groups.prefix, "changes": [list(s.change) for s in steps if s.change]}
    with wh.transaction():
        for s in steps:
            wh.execute(s.sql)
        wh.execute("DELETE FROM ils_meta WHERE name = ?", (model.PREFIX_META,))
        wh.execute("INSERT INTO ils_meta (name, value) VALUES (?, ?)", (model.PREFIX_META, groups.prefix))
        from ..round.state import record_event

        result.event_id = record_event(wh, "access_apply", detail=json.dumps(detail, ensure_ascii=False))
    result.applied = True
    return result


def script(
    wh: Warehouse, dialect: str, *, prefix: str | None = None, schema: str | None = None, today: str | None = None
) -> str:
    """Every statement that gives the warehouse's ``users`` their rights, for a DBA: ``postgresql`` or ``mssql``.

    Made from the users of the connected warehouse (of any kind), without
    reading the target database: safe to run again on a database that has
    some of it already. The SQL Server script is untested here (no SQL Server).
    """
    if dialect not in DIALECTS:
        raise ConfigError(f"--dialect {dialect!r}: expected postgresql or mssql (the embedded warehouse has no roles)")
    day = today or rights.today()
    groups = groups_of(wh, prefix)
    all_grants = rights.grants(wh)
    head = [
        f"-- ils access apply --sql --dialect {dialect}: the roles, grants and row-level security that give the",
        f"-- users of {redact_url(wh.url)} their rights, made {dt.date.today().isoformat()} (valid_to judged on {day}).",
        "-- Run it as the owner of the warehouse's tables (and a role that may create roles); safe to run again.",
    ]
    if dialect == "postgresql":
        if schema is None:
            schema = str(wh.scalar("SELECT current_schema()")) if wh.dialect == "postgresql" else "public"
        steps = pg.full_script(schema, all_grants, groups, day)
        lines = head + [
            "-- Login roles get no password here: set one (ALTER ROLE ... PASSWORD) or use single sign-on.",
            "",
        ]
        for s in steps:
            if s.what:
                lines.append(f"-- {s.what}")
            lines.append(s.sql + ";")
        return "\n".join(lines) + "\n"
    from . import mssql

    if schema is None:
        schema = str(wh.scalar("SELECT SCHEMA_NAME()")) if wh.dialect == "mssql" else "dbo"
    return "\n".join(head) + "\n" + mssql.script(schema, all_grants, groups, day)


def format_steps(steps: list[pg.Step]) -> str:
    """The statements as an SQL script, each change named in a comment above it."""
    lines = []
    for s in steps:
        if s.what:
            lines.append(f"-- {s.what}")
        lines.append(s.sql + ";")
    return "\n".join(lines) + ("\n" if lines else "")


def file_mode(path: Path) -> str:
    """A file's permissions as ``ls -l`` shows them (``-rw-r-----``)."""
    import stat

    return stat.filemode(path.stat().st_mode)
