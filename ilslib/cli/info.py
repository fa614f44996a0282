"""``ils info``: what is in the warehouse."""

from __future__ import annotations

import argparse
import json

from .. import connect
from ..inventory import format_summary, summary
from . import add_warehouse_option, tracer_for


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "info",
        help="show what is in the warehouse (organisations, row counts, periods)",
        description="Show which warehouse is used and what it holds.",
        epilog="examples:\n  ils info\n  ils info --json\n  ils info --warehouse sqlite:///lis.sqlite",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        info = summary(wh)
    print(json.dumps(info, ensure_ascii=False, indent=2) if args.json else format_summary(info))
    return 0
