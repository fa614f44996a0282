"""What each role may do in the database: the one definition that apply, the SQL and the review share.

A role of ``users`` (:data:`ilslib.rights.ROLES`) becomes a group role in the
server database (``PREFIX + role``: ``ils_reporter``, ``ils_controller``,
``ils_reader``, ``ils_admin``); a person's login is a member of the group roles
its active rows of ``users`` give. The groups' privileges, per table:

========================  =========================================================================
tables                    who writes (everyone in a group reads every table and view)
========================  =========================================================================
reporting data            reporter, controller, admin: INSERT, UPDATE, DELETE, rows limited by
                          row-level security to the organisations the login may report for
                          (outcomes, assessments, activity statuses, comments, round states)
audit trail               reporter, controller, admin: INSERT (append only: nobody but the
                          owner changes or deletes it); reader: INSERT of a refused load's
                          record and of its own review (ils_load, ils_load_file, ils_event)
``ils_meta``              everyone UPDATE of the load lock row (a load takes it first, also one
                          that is then refused); admin every row
shared data               admin: INSERT, UPDATE, DELETE (organisations, goals, indicators,
                          targets, activities, ledger, personnel, deadlines, users)
========================  =========================================================================

Row-level security keys every write on the ``users`` rows of ``SESSION_USER``
whose ``valid_to`` has not passed, read at the moment of the write: a right
ends on its ``valid_to`` even before ``ils access apply`` removes the login
from its groups. A reporter may set a round state to ``pagaende`` or ``klar``
for its organisations, never ``godkand`` (a controller of the organisation or
an admin may); a state or an event can only be written in the login's own
name. The tables' owner is not subject to row-level security (it is not
forced): the owner account is the DBA's, which runs ``ils init`` and
``ils access apply``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..contract import FILES
from ..rights import REPORTING_FILES, ROLES
from ..schema import table_names, view_names

DEFAULT_PREFIX = "ils_"
"""Group roles are ``PREFIX + role``; one prefix per warehouse database (roles are cluster-wide)."""

PREFIX_META = "access_role_prefix"
"""The ``ils_meta`` row that remembers the prefix ``ils access apply`` used."""

READ = frozenset({"SELECT"})
WRITE = frozenset({"INSERT", "UPDATE", "DELETE"})
APPEND = frozenset({"INSERT"})
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")

#: The reporting tables, each with how a row's organisation is found (a column, or through the activity).
REPORTING_TABLES: dict[str, str] = {FILES[f].table: ("activity" if f == "activity_status" else "org_id")
                                    for f in REPORTING_FILES}  # fmt: skip
REPORTING_TABLES["ils_round_state"] = "org_id"
AUDIT_TABLES = ("ils_load", "ils_load_file", "ils_event")
META_TABLE = "ils_meta"
LOCK_ROW = "load_lock"
#: Tables with row-level security (the others are governed by grants alone).
RLS_TABLES = (*REPORTING_TABLES, *AUDIT_TABLES, META_TABLE)


def shared_tables() -> list[str]:
    """The tables only an admin writes: every ILS table but the reporting, audit and meta tables."""
    return [t for t in table_names() if t not in RLS_TABLES]


def objects() -> list[str]:
    """Every ILS table and view, in a fixed order (tables first)."""
    return table_names() + view_names()


def privileges(role: str) -> dict[str, frozenset[str]]:
    """The privileges of a role's group on every ILS table and view (``{object: {"SELECT", ...}}``)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    out = {name: READ for name in objects()}
    for t in AUDIT_TABLES:
        out[t] = READ | APPEND
    out[META_TABLE] = READ | {"UPDATE"}
    if role in ("reporter", "controller", "admin"):
        for t in REPORTING_TABLES:
            out[t] = READ | WRITE
    if role == "admin":
        out[META_TABLE] = READ | WRITE
        for t in shared_tables():
            out[t] = READ | WRITE
    return out


def expected_privileges(roles: set[str] | frozenset[str]) -> dict[str, frozenset[str]]:
    """The union of the groups' privileges for a login holding ``roles`` (no roles: nothing)."""
    out: dict[str, frozenset[str]] = {}
    for role in roles:
        for obj, privs in privileges(role).items():
            out[obj] = out.get(obj, frozenset()) | privs
    return out


@dataclass(frozen=True)
class Groups:
    """The group role names for one warehouse (``prefix + role``)."""

    prefix: str = DEFAULT_PREFIX

    def name(self, role: str) -> str:
        """The group role of ``role`` (``ils_reporter``)."""
        return self.prefix + role

    @property
    def names(self) -> dict[str, str]:
        """``{role: group role name}`` for every role."""
        return {r: self.prefix + r for r in ROLES}

    def role_of(self, group: str) -> str | None:
        """The role a group role name stands for, or None."""
        for r, g in self.names.items():
            if g == group:
                return r
        return None


def check_prefix(prefix: str) -> str:
    """A group role prefix: 1-40 characters, a lower-case letter first, then lower-case letters, digits or ``_``."""
    import re

    from ..errors import ConfigError

    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", prefix or "") or prefix.startswith("pg_"):
        raise ConfigError(
            f"--role-prefix {prefix!r}: expected a lower-case letter, then lower-case letters, digits or _ "
            "(at most 40, not starting with pg_), e.g. ils_ or lis_prod_"
        )
    return prefix
