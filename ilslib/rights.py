"""Who is using the warehouse, and what that login may do (the contract's "Who may do what").

The person is always the warehouse's own idea of who is connected: the login
on PostgreSQL (``SESSION_USER``) and SQL Server (``SUSER_SNAME()``), the
operating-system user on SQLite (embedded or over ODBC), where there is one
file and one user. Never a command-line flag.

What a login may do comes from the ``users`` table (``v_user``), counting only
rows whose ``valid_to`` has not passed:

- ``reporter`` of an organisation: load its reporting data (outcomes,
  judgements, activity statuses, comments) and mark it ready;
- ``controller`` of an organisation: the same, and approve it;
- ``reader``: read;
- ``admin``: everything, including the users and the shared data
  (organisations, goals, indicators, targets, activities, ledger, personnel,
  deadlines).

Until ``users`` names an active admin, the warehouse's owner acts as one, so a
new warehouse can be set up: the database owner (or a superuser) on
PostgreSQL, a member of ``db_owner`` on SQL Server, the owner of the file on
SQLite. On a server database these checks are the application's first answer;
the database's own grants and row-level security (``ils access apply``) are
the backstop.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AccessDeniedError
from .warehouse import Warehouse

ROLES = ("reporter", "controller", "reader", "admin")

#: Contract files that a reporter or controller may load for its own organisations; every other file is
#: shared data that only an admin loads.
REPORTING_FILES = ("outcomes", "assessments", "activity_status", "comments")

_LOGINS: weakref.WeakKeyDictionary[Warehouse, str] = weakref.WeakKeyDictionary()


def os_user() -> str:
    """The operating-system user (the identity on the embedded warehouse)."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry, e.g. in a container
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def login(wh: Warehouse) -> str:
    """The name of the person connected to ``wh``, as the database knows it (cached per connection)."""
    if wh in _LOGINS:
        return _LOGINS[wh]
    if wh.dialect == "postgresql":
        name = str(wh.scalar("SELECT SESSION_USER"))
    elif wh.dialect == "mssql":
        name = str(wh.scalar("SELECT SUSER_SNAME()"))
    else:
        name = os_user()
    _LOGINS[wh] = name
    return name


def _sqlite_file(wh: Warehouse) -> Path | None:
    for row in wh.rows("PRAGMA database_list"):
        if str(row[1]) == "main":
            return Path(str(row[2])) if row[2] else None
    return None


def is_owner(wh: Warehouse) -> bool:
    """True when the connected person owns the warehouse (see the module docstring)."""
    if wh.dialect == "postgresql":
        return bool(
            wh.scalar(
                "SELECT CASE WHEN r.rolsuper OR pg_has_role(SESSION_USER, d.datdba, 'MEMBER') THEN 1 ELSE 0 END "
                "FROM pg_roles r, pg_database d WHERE r.rolname = SESSION_USER AND d.datname = current_database()"
            )
        )
    if wh.dialect == "mssql":
        return bool(wh.scalar("SELECT IS_MEMBER('db_owner')"))
    path = _sqlite_file(wh)
    if path is None:  # an in-memory database belongs to whoever opened it
        return True
    try:
        uid = path.stat().st_uid
    except OSError:
        return False
    owner = _user_name(uid)
    if owner is None:  # no user database: the process's own uid decides
        return hasattr(os, "getuid") and uid == os.getuid()
    return owner == os_user()


def _user_name(uid: int) -> str | None:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return None


@dataclass(frozen=True)
class Grant:
    """One row of ``users``: a person's role, for one organisation (reporter, controller) or for all."""

    user_id: str
    name: str
    email: str | None
    role: str
    org_id: str | None
    valid_to: str | None

    def active(self, today: str) -> bool:
        """True when ``valid_to`` (ISO date) is empty or not before ``today``."""
        return self.valid_to is None or self.valid_to >= today


def today() -> str:
    """Today's date as ISO text (the date rights are judged on)."""
    return dt.date.today().isoformat()


def grants(wh: Warehouse, user_id: str | None = None, *, active_on: str | None = None) -> list[Grant]:
    """The rows of ``users`` (one person's with ``user_id``), active ones only when ``active_on`` is a date."""
    sql = "SELECT user_id, name, email, role, org_id, valid_to FROM v_user"
    params: tuple[object, ...] = ()
    if user_id is not None:
        sql += " WHERE user_id = ?"
        params = (user_id,)
    out = []
    for r in wh.rows(sql, params):
        g = Grant(str(r[0]), str(r[1]), r[2] or None, str(r[3]), r[4] or None, str(r[5])[:10] if r[5] else None)
        if active_on is None or g.active(active_on):
            out.append(g)
    return sorted(out, key=lambda g: (g.user_id, ROLES.index(g.role) if g.role in ROLES else 99, g.org_id or ""))


def has_active_admin(wh: Warehouse, *, on: str | None = None) -> bool:
    """True when ``users`` names at least one admin whose ``valid_to`` has not passed."""
    day = on or today()
    # the admin rows only: every load, mark and approval asks, and users may name thousands of people
    valid = wh.rows("SELECT valid_to FROM v_user WHERE role = ?", ("admin",))
    return any(not v or str(v)[:10] >= day for (v,) in valid)


@dataclass(frozen=True)
class Rights:
    """What one login may do on one warehouse, today."""

    user: str
    grants: tuple[Grant, ...] = field(default=())
    owner_as_admin: bool = False

    @property
    def is_admin(self) -> bool:
        """An active admin row, or the owner while no admin is named."""
        return self.owner_as_admin or any(g.role == "admin" for g in self.grants)

    def orgs(self, *roles: str) -> set[str]:
        """The organisations this login holds any of ``roles`` for."""
        return {g.org_id for g in self.grants if g.role in roles and g.org_id}

    def may_report(self, org_id: str) -> bool:
        """Load reporting data for ``org_id`` and mark it ready: its reporter or controller, or an admin."""
        return self.is_admin or org_id in self.orgs("reporter", "controller")

    def may_approve(self, org_id: str) -> bool:
        """Approve ``org_id``'s reporting: its controller, or an admin."""
        return self.is_admin or org_id in self.orgs("controller")

    def describe(self) -> str:
        """The roles in one line, for messages: ``reporter of ALN, IDN; reader``."""
        parts = []
        for role in ROLES:
            mine = [g for g in self.grants if g.role == role]
            if not mine:
                continue
            orgs = sorted({g.org_id for g in mine if g.org_id})
            parts.append(f"{role} of {', '.join(orgs)}" if orgs else role)
        if self.owner_as_admin:
            parts.append("owner of the warehouse (acts as admin while users names no admin)")
        return "; ".join(parts) or "no role in users"


def rights(wh: Warehouse, *, on: str | None = None) -> Rights:
    """The connected login's rights today (or on the date ``on``)."""
    day = on or today()
    user = login(wh)
    mine = tuple(grants(wh, user, active_on=day))
    owner = not has_active_admin(wh, on=day) and is_owner(wh)
    return Rights(user, mine, owner)


def shown(user: str) -> str:
    """A login in quotes for a message, as it is written (``'STAD\\anna'``; an unprintable one as repr)."""
    return f"'{user}'" if user.isprintable() else repr(user)


def denied(r: Rights, action: str, org_ids: Iterable[str], needed: str) -> AccessDeniedError:
    """The one-line refusal: who, what, for which organisations, the role it needs and the roles it has."""
    orgs = sorted(set(org_ids))
    listed = ", ".join(orgs[:10]) + (f" and {len(orgs) - 10} more" if len(orgs) > 10 else "")
    return AccessDeniedError(
        f"{shown(r.user)} may not {action} for organisation{'s' if len(orgs) > 1 else ''} {listed}: "
        f"that needs the role {needed} (you are: {r.describe()}); an administrator grants it in users"
    )


def require_report(wh: Warehouse, org_ids: Iterable[str], action: str = "load reporting data") -> Rights:
    """The login's rights if it may report for every one of ``org_ids``; else :class:`AccessDeniedError`."""
    r = rights(wh)
    refused = [o for o in org_ids if not r.may_report(o)]
    if refused:
        raise denied(r, action, refused, "reporter or controller of the organisation (or admin)")
    return r


def require_approve(wh: Warehouse, org_ids: Iterable[str], action: str = "approve the reporting") -> Rights:
    """The login's rights if it may approve every one of ``org_ids``; else :class:`AccessDeniedError`."""
    r = rights(wh)
    refused = [o for o in org_ids if not r.may_approve(o)]
    if refused:
        raise denied(r, action, refused, "controller of the organisation (or admin)")
    return r
