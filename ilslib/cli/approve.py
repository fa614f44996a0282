"""``ils approve``: approve an organisation's reporting for a period (godkänna), or undo it."""

from __future__ import annotations

import argparse

from .. import connect
from . import add_warehouse_option, tracer_for
from .ready import EXIT_CODES, report


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils approve`` to the command's subparsers."""
    p = sub.add_parser(
        "approve",
        help="approve an organisation's reporting (godkänna), or --undo",
        description="Approve the reporting of an organisation for a period, once it is marked ready: its "
        "controller, or an admin, may do it (your warehouse login decides, see docs/round.md). Required "
        "items still missing are listed as a warning. Data loaded afterwards sets it back to in progress. "
        "--undo takes the approval back (to ready). Every change is recorded (ils log).",
        epilog="examples:\n"
        "  ils approve --period 2026-T2 --org ALN\n"
        "  ils approve --period 2026-T2 --org ALN --undo\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument("--period", metavar="P", required=True, help="YYYY-BU, YYYY-T1, YYYY-T2 or YYYY-BO")
    p.add_argument("--org", metavar="ID", required=True, help="the organisation")
    p.add_argument("--undo", action="store_true", help="take the approval back")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Approve (or undo) and say what changed."""
    from ..round.state import approve

    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        change = approve(wh, args.org, args.period, undo=args.undo)
    report(change, "the approval was taken back" if args.undo else "approved")
    return 0
