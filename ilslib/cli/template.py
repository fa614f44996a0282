"""``ils template``: the reporting workbook (inrapportering) of an organisation and period."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import connect
from ..errors import ConfigError
from ..periods import Period
from . import add_warehouse_option, tracer_for


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils template`` to the command's subparsers."""
    p = sub.add_parser(
        "template",
        help="write the reporting workbook (inrapportering_ID_P.xlsx) of an organisation, or of many",
        description="Write the reporting workbook of an organisation for a period, pre-filled from the "
        "warehouse: a sheet 'Läs först' with the instructions and the deadline, and a sheet per file the "
        "reporter fills in (outcomes, assessments, activity_status, comments) with one row per item to "
        "report, the names, units, targets and previous values beside the cells to fill in, drop-down "
        "lists for the codes. The reporter returns it; 'ils load FILE.xlsx' loads it. See docs/round.md.",
        epilog="examples:\n"
        "  ils template --period 2026-T2 --org ALN                    ./inrapportering_ALN_2026-T2.xlsx\n"
        "  ils template --period 2026-T2 --org ALN --out /tmp/aln.xlsx\n"
        "  ils template --period 2026-T2 --kind bolag --out utskick/  one per company\n"
        "  ils template --period 2026-T2 --all --out utskick/         one per board and company\n"
        "\n"
        "exit codes: 0 written, 2 bad parameter or warehouse error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument("--period", metavar="P", required=True, help="YYYY-BU, YYYY-T1, YYYY-T2 or YYYY-BO")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--org", metavar="ID", help="the organisation")
    who.add_argument("--kind", metavar="K", help="every organisation of a kind (namnd, bolag, ...)")
    who.add_argument("--all", action="store_true", help="every organisation of the reporting kinds (namnd, bolag)")
    p.add_argument(
        "--out",
        metavar="PATH",
        help="with --org: the file (default ./inrapportering_ID_P.xlsx); with --kind/--all: the directory "
        "(default the current one)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the workbook(s); print each path."""
    from ..round.template import template_orgs, write_template

    period = str(Period.parse(args.period))
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        if args.org:
            print(write_template(wh, args.org, period, args.out))
            return 0
        orgs = template_orgs(wh, kind=args.kind)
        if not orgs:
            raise ConfigError(f"no organisation of the kind {args.kind or 'namnd or bolag'} in {wh.url}")
        out = Path(args.out) if args.out else Path.cwd()
        if out.exists() and not out.is_dir():
            raise ConfigError(
                f"--out {out}: with --kind or --all, --out is a directory (one workbook per organisation)"
            )
        for org in orgs:
            print(write_template(wh, org, period, out, directory=True))
        print(f"{len(orgs)} workbooks in {out}")
    return 0
