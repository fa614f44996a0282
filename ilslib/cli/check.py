"""``ils check``: a data-quality report of what is in the warehouse, for controllers (in Swedish)."""

from __future__ import annotations

import argparse

from .. import connect
from ..check import format_text, run_checks, write_report
from ..fmt import number
from . import add_warehouse_option, tracer_for


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils check`` to the command's subparsers."""
    p = sub.add_parser(
        "check",
        help="data-quality report: missing targets, outcomes, judgements, statuses, months; outliers; implausible rows",
        description="Check what is in the warehouse for one period: organisations without targets, "
        "indicators without outcomes, outcomes without targets, goals without judgement, "
        "activities without status, outliers, missing ledger and personnel months; and, in the "
        "whole warehouse, rows the data contract calls implausible (parent cycles, an end before "
        "its start, sick hours above the scheduled hours, negative personnel figures, outcomes "
        "for a budget period). Prints a summary in Swedish; --out writes every finding (.csv for "
        "Excel, or .md). See docs/loading.md.",
        epilog="exit codes: 0 nothing found, 1 findings (0 with --exit-zero), 2 bad parameter or warehouse error\n"
        "\n"
        "examples:\n"
        "  ils check                          the latest reported period\n"
        "  ils check --period 2026-T2\n"
        "  ils check --period 2026-T2 --out kvalitet.md\n"
        "  ils check --period 2026-BO --out kvalitet.csv --warehouse sqlite:///lis.sqlite\n"
        "  ils check --exit-zero              for a scheduled job that must not fail on findings",
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
    p.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit with code 0 also when there are findings (default: 1, so a scheduled job notices)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the checks; print the report and write it with ``--out``; exit 1 on findings unless ``--exit-zero``."""
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        report = run_checks(wh, args.period)
    print(format_text(report, limit=max(args.show, 0)))
    if args.out:
        path = write_report(report, args.out)
        n = len(report.findings)
        print(f"\n{number(n)} {'iakttagelse' if n == 1 else 'iakttagelser'} skrivna till {path}")
    return 1 if report.findings and not args.exit_zero else 0
