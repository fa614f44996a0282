"""``ils ready``: mark an organisation's reporting for a period ready (klarmarkera), or undo it."""

from __future__ import annotations

import argparse
import sys

from .. import connect
from ..round.state import Change
from . import add_warehouse_option, tracer_for

EXIT_CODES = (
    "exit codes: 0 done (also with items missing: they are listed as a warning), 2 not allowed in this state,\n"
    "  bad parameter or warehouse error, 4 your login may not do it (nothing was changed)"
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils ready`` to the command's subparsers."""
    p = sub.add_parser(
        "ready",
        help="mark an organisation's reporting ready (klarmarkera), or --undo",
        description="Mark the reporting of an organisation for a period ready (klarmarkerad): its reporter "
        "or controller, or an admin, may do it (your warehouse login decides, see docs/round.md). Required "
        "items still missing are listed as a warning; marking ready is allowed all the same (a reporter may "
        "have nothing to say). Data loaded afterwards sets it back to in progress. --undo takes the mark back. "
        "Every change is recorded (ils log).",
        epilog="examples:\n"
        "  ils ready --period 2026-T2 --org ALN\n"
        "  ils ready --period 2026-T2 --org ALN --undo\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument("--period", metavar="P", required=True, help="YYYY-BU, YYYY-T1, YYYY-T2 or YYYY-BO")
    p.add_argument("--org", metavar="ID", required=True, help="the organisation")
    p.add_argument("--undo", action="store_true", help="take the ready mark back")
    p.set_defaults(func=run)


def report(change: Change, done: str) -> None:
    """Print what changed, and the missing items as a warning."""
    from ..round.state import LABELS

    print(
        f"{change.org_id} {change.period}: {done} "
        f"({LABELS[change.from_state]} -> {LABELS[change.to_state]}, by {change.user})"
    )
    if change.missing:
        n = len(change.missing)
        print(f"warning: {n} required item{'' if n == 1 else 's'} still missing:", file=sys.stderr)
        for name in change.missing:
            print(f"  {name}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Mark ready (or undo) and say what changed."""
    from ..round.state import mark_ready

    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        change = mark_ready(wh, args.org, args.period, undo=args.undo)
    report(change, "the ready mark was taken back" if args.undo else "marked ready")
    return 0
