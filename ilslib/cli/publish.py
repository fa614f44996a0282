"""``ils publish``: the external portal, with the approved reports of a period only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import connect
from . import add_warehouse_option, tracer_for


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils publish`` to the command's subparsers."""
    p = sub.add_parser(
        "publish",
        help="build the external portal: the approved reports of a period, nothing else",
        description="Build the external portal in OUT from the produced reports (REPORTS, default outputs): only "
        "the reports of organisations whose reporting for the period is approved (godkand), made after the "
        "approval from the data as it is now, with their HTML, PDF, report.xlsx and short version; the group "
        "report of a kind once every organisation of it is approved (or --allow-partial, which says on the "
        "group report which are not); the board's book of a fully approved kind. Never executed notebooks, "
        "studies, run logs, manifests, state files or drafts; figures.json only with --with-data. Its own "
        "index.html filters by period, kind, report type and name. Other periods already published stay; "
        "publishing a period again adds new approvals and removes reports whose approval was undone. The "
        "new portal is built aside and switched in one step. See docs/publish.md.",
        epilog="examples:\n"
        "  ils publish --period 2026-T2 --out /srv/www/rapporter\n"
        "  ils publish --period latest --reports outputs --out publicerat --with-data\n"
        "  ils publish --period 2025-BO --out publicerat --allow-partial\n"
        "  ils serve publicerat                 (look at it before the web server does)\n"
        "\nexit codes: 0 published, 1 published, but approved reports need ils run (or ils book) first,\n"
        "  2 bad option, warehouse or disk error (nothing changed)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument("--period", required=True, metavar="P", help="YYYY-BU|T1|T2|BO, or latest")
    p.add_argument("--reports", metavar="DIR", default="outputs", help="the produced reports (default outputs)")
    p.add_argument("--out", metavar="DIR", required=True, help="the published portal (a new, empty or published dir)")
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="publish group reports before every organisation of the kind is approved (with a notice)",
    )
    p.add_argument("--with-data", action="store_true", help="publish each report's figures.json too")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Publish, then say what was published and what waits."""
    from ..publish import publish

    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        result = publish(
            wh, args.period, Path(args.reports), Path(args.out),
            allow_partial=args.allow_partial, with_data=args.with_data,
        )  # fmt: skip
    orgs = [i for i in result.items if i.kind == "org"]
    groups = [i for i in result.items if i.kind == "group"]
    books = [i for i in result.items if i.kind == "book"]
    print(
        f"Published {result.period}: {len(orgs)} organisation report{'' if len(orgs) == 1 else 's'}, "
        f"{len(groups)} group report{'' if len(groups) == 1 else 's'}, {len(books)} book{'' if len(books) == 1 else 's'} "
        f"({result.files} files) in {result.out}"
    )
    for g in groups:
        if g.partial:
            print(f"  {g.name}: published with a notice, not approved: {', '.join(g.partial)}")
    if result.not_approved:
        shown = ", ".join(result.not_approved[:12]) + (
            f" and {len(result.not_approved) - 12} more" if len(result.not_approved) > 12 else ""
        )
        print(f"not approved (not published): {shown}")
    for what, why in result.skipped:
        print(f"not published: {what}: {why}")
    for what, why in result.needs_run:
        print(f"warning: {what}: {why}", file=sys.stderr)
    return 1 if result.needs_run else 0
