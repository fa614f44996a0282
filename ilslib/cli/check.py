"""``ils check``: a data-quality report of what is in the warehouse."""

from __future__ import annotations

import argparse

from .. import connect
from ..check import format_text, run_checks, write_report
from . import add_warehouse_option, tracer_for


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils check`` to the command's subparsers."""
    p = sub.add_parser(
        "check",
        help="data-quality report: missing targets, outcomes, judgements, statuses, months; outliers",
        description="Check what is in the warehouse for one period: organisations without targets, "
        "indicators without outcomes, outcomes without targets, goals without judgement, "
        "activities without status, outliers, missing ledger and personnel months. "
        "Prints a summary; --out writes every finding (.csv or .md). See docs/loading.md.",
        epilog="examples:\n"
        "  ils check                          the latest reported period\n"
        "  ils check --period 2026-T2\n"
        "  ils check --period 2026-T2 --out quality.md\n"
        "  ils check --period 2026-BO --out quality.csv --warehouse sqlite:///lis.sqlite",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument("--period", metavar="P", help="YYYY-BU, YYYY-T1, YYYY-T2 or YYYY-BO (default: the latest reported)")
    p.add_argument("--out", metavar="FILE", help="also write every finding to FILE (.csv or .md)")
    p.add_argument(
        "--show",
        metavar="N",
        type=int,
        default=20,
        help="list at most N findings per check on the terminal (default 20)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the checks; print the report and write it with ``--out``."""
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        report = run_checks(wh, args.period)
    print(format_text(report, limit=max(args.show, 0)))
    if args.out:
        path = write_report(report, args.out)
        print(f"\n{len(report.findings)} findings written to {path}")
    return 0
