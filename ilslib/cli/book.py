"""``ils book``: bind a kind's reports for a period into one PDF for the board."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .. import connect
from ..errors import ConfigError
from . import add_warehouse_option, tracer_for

KINDS = ("bolag", "namnd", "koncern")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils book`` to the command's subparsers."""
    p = sub.add_parser(
        "book",
        help="bind the reports of a kind into one PDF (and HTML) with a cover, contents and bookmarks",
        description="Bind the already produced reports of every organisation of a kind for a period "
        "(REPORTS/PERIOD/ORG/report.html, the group report REPORTS/PERIOD/_grupp/KIND/report.html) "
        "into one book: a cover, a table of contents with page numbers, the group report first, then "
        "each organisation as a chapter on a new page, continuous page numbers, the organisation's "
        "name in the running header and a bookmark per chapter; tagged PDF/UA-1, title and language "
        "set. Writes OUT/PERIOD/_bok/KIND/book.pdf and book.html. Organisations without a report "
        "are named on the contents page. See docs/reports.md.",
        epilog="examples:\n"
        "  ils book --period 2026-T2 --kind bolag\n"
        "  ils book --period latest --kind namnd --reports outputs --out /srv/bok\n"
        "\n"
        "Produce the reports first: ils run --period 2026-T2 --kind bolag, and the group report:\n"
        "ils run --notebook group_report --period 2026-T2 --kind bolag.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument("--period", required=True, metavar="P", help="YYYY-BU|T1|T2|BO, or latest")
    p.add_argument("--kind", required=True, choices=KINDS, help="whose reports: bolag, namnd or koncern")
    p.add_argument("--reports", metavar="DIR", default="outputs", help="where the reports are (default outputs)")
    p.add_argument("--out", metavar="DIR", help="where the book goes (default: the reports' directory)")
    p.add_argument("--html-only", action="store_true", help="write book.html only (no PDF)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Find the reports, bind them, say where the book is and what is missing."""
    from .. import figures as f
    from ..report.book import make_book

    reports = Path(args.reports)
    if not reports.is_dir():
        raise ConfigError(f"--reports: {reports} is not a directory (produce the reports with ils run first)")
    started = time.monotonic()
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        period = f.as_period(wh, args.period)
        orgs = f.organisations(wh, f.group_kinds(args.kind))
    members = list(zip(orgs["org_id"], orgs["name"], strict=True))
    book = make_book(
        members, period=period, kind=args.kind, reports=reports, out=Path(args.out) if args.out else None,
        pdf=not args.html_only,
    )  # fmt: skip
    n = sum(not c.group for c in book.chapters)
    group = "the group report and " if any(c.group for c in book.chapters) else "no group report; "
    pages = f", {book.pages} pages" if book.pdf else ""
    print(f"Book: {n} of {len(members)} reports ({group}{n} organisations){pages}, {time.monotonic() - started:.1f} s")
    if book.missing:
        print(f"missing reports: {', '.join(o for o, _ in book.missing)} (named on the contents page)")
    for path in (book.pdf, book.html):
        if path is not None:
            print(path)
    return 0
