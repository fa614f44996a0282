"""``ils access``: the database's own permissions from users (apply), and internal control's review."""

from __future__ import annotations

import argparse
import sys

from .. import connect
from . import add_warehouse_option, tracer_for


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils access apply`` and ``ils access review`` to the command's subparsers."""
    p = sub.add_parser(
        "access",
        help="roles, grants and row-level security in the database from users (apply); their review",
        description="Who may do what, in the database itself. 'apply' makes a PostgreSQL warehouse's roles, "
        "grants and row-level security match the users table; 'review' is internal control's review of it. "
        "See docs/access.md.",
        epilog="examples:\n"
        "  ils access apply --dry-run                 print the SQL that would make the database match users\n"
        "  ils access apply                           make it so (the owner of the warehouse's tables)\n"
        "  ils access review --out granskning.html    internal control's review; exit 1 on findings\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="access_command", metavar="ACTION", parser_class=type(p))
    a = actions.add_parser(
        "apply",
        help="make the database's roles, grants and row-level security match users",
        description="Make the warehouse match the users table (PostgreSQL): a group role per role "
        "(PREFIXreporter, PREFIXcontroller, PREFIXreader, PREFIXadmin), a login role per person where missing "
        "(without a password: the DBA sets one, or single sign-on logs in), memberships exactly as the active "
        "rows of users (an expired user leaves its groups), grants, and row-level security on every table a "
        "reporter or controller writes, keyed on the organisations the login may report for. Run it as the "
        "owner of the warehouse's tables, after every change of users and after ils init. Idempotent: a "
        "second run changes nothing; every run that changes something is recorded (the next ils access "
        "review lists it under its changes). The embedded warehouse has no roles: its file's permissions are "
        "its only protection.",
        epilog="examples:\n"
        "  ils access apply --dry-run                      print the SQL it would run\n"
        "  ils access apply\n"
        "  ils access apply --role-prefix lis_prod_        a second warehouse on the same cluster\n"
        "  ils access apply --sql --dialect mssql > roller.sql   the SQL Server script for the DBA (untested)\n"
        "\nexit codes: 0 done (or nothing to change), 2 bad option or warehouse error, 4 your login may not do it",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(a)
    a.add_argument("--dry-run", action="store_true", help="print the statements it would run; change nothing")
    a.add_argument(
        "--sql", action="store_true", help="print every statement for a DBA (all of it, not only what is missing)"
    )
    a.add_argument("--dialect", choices=("postgresql", "mssql"), help="with --sql: the database the SQL is for")
    a.add_argument(
        "--role-prefix",
        metavar="P",
        help="group role names begin with P (default: the one used before, else ils_); one per warehouse database",
    )
    a.set_defaults(func=run_apply)
    r = actions.add_parser(
        "review",
        help="internal control: every user, the rights the database holds, and findings (exit 1 if any)",
        description="Internal control's review of who may do what (Swedish, for internkontroll): every user of "
        "users with role, organisations and valid_to, the rights the database actually holds for the login "
        "(read from its catalogue, not from users), when the person last loaded, marked ready and approved; "
        "then the findings, each with what to do: rights the database gives that users does not (or the "
        "reverse), expired users still holding rights, organisations without an active reporter or controller, "
        "one person reporting for and approving the same organisation, row-level security missing or changed, "
        "and the rights changed since the last review. The review is recorded, so the next one lists the "
        "changes since. Exit code 1 when there are findings, so it can be scheduled.",
        epilog="examples:\n"
        "  ils access review\n"
        "  ils access review --out granskning.html\n"
        "  ils access review --out granskning.csv --since 2026-01-01\n"
        "\nexit codes: 0 no findings, 1 findings, 2 bad option or warehouse error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(r)
    r.add_argument("--out", metavar="FILE", help="write it to FILE.html, .csv, .md or .txt (default: the terminal)")
    r.add_argument("--since", metavar="DATE", help="list the changes since DATE (default: since the last review)")
    r.add_argument("--no-record", action="store_true", help="do not record this review")
    r.set_defaults(func=run_review)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_apply(args: argparse.Namespace) -> int:
    """Apply users to the database (or print the SQL)."""
    from ..access import apply as ap
    from ..errors import ConfigError

    if args.dialect and not args.sql:
        raise ConfigError("--dialect goes with --sql (ils access apply --sql --dialect mssql)")
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        if args.sql:
            dialect = args.dialect or wh.dialect
            sys.stdout.write(ap.script(wh, dialect, prefix=args.role_prefix))
            return 0
        if wh.dialect == "sqlite":
            print(ap.embedded_note(wh))
            return 0
        result = ap.apply(wh, dry_run=args.dry_run, prefix=args.role_prefix)
    for login, why in sorted(result.skipped.items()):
        print(f"warning: users login {login!r} gets no role: {why}", file=sys.stderr)
    if args.dry_run:
        sys.stdout.write(ap.format_steps(result.steps))
        n = len(result.changes)
        print(f"-- {n} change{'' if n == 1 else 's'}; nothing was changed (--dry-run)", file=sys.stderr)
        return 0
    if not result.changes:
        done = "; the group role prefix is recorded in the warehouse" if result.applied else ": nothing to change"
        print(f"the database already matches users (group roles {result.prefix}*){done}")
        return 0
    for s in result.changes:
        print(s.what)
    n = len(result.changes)
    print(f"{n} change{'' if n == 1 else 's'} applied, recorded as event {result.event_id}")
    return 0


def run_review(args: argparse.Namespace) -> int:
    """Review, print or write it, exit 1 when there are findings."""
    from ..access import render
    from ..access.review import review
    from ..errors import ConfigError

    since = args.since
    if since is not None:
        import datetime as dt

        try:
            since = dt.date.fromisoformat(since).isoformat()
        except ValueError:
            raise ConfigError(f"--since {args.since!r}: expected a date YYYY-MM-DD") from None
    if args.out:
        render.form_of(args.out)  # a bad suffix is an error before anything is read
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        result = review(wh, since=since, record=not args.no_record)
    if args.out:
        path = render.write(result, args.out)
        n = len(result.findings)
        print(f"{path}: {n} finding{'' if n == 1 else 's'}")
    else:
        sys.stdout.write(render.to_text(result))
    return 1 if result.findings else 0
