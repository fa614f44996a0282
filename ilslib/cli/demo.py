"""``ils demo``: build the demo warehouse (an invented city, generated from a seed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import config, demo
from ..inventory import format_summary
from ..warehouse import parse_url
from . import tracer_for


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be zero or more, got {text!r}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="build the demo warehouse (an invented city with goals, indicators, ledger and personnel)",
        description="Build a deterministic, realistic demo warehouse: an invented city with its boards and "
        "companies, goals, indicators, targets and outcomes 2024 to 2026-T2, activities, "
        "judgements, comments, ledger and personnel. The same seed gives the same data. "
        "A previous demo in the same warehouse is replaced; a warehouse with other data is "
        "never touched.",
        epilog="examples:\n"
        "  ils demo                                  the embedded demo warehouse\n"
        "  ils demo --warehouse sqlite:///demo.sqlite --seed 7\n"
        "  ils demo --warehouse sqlite:////tmp/big.sqlite --ledger-rows 10000000   (for benchmarks)\n"
        "  ils demo --warehouse sqlite:////tmp/city.sqlite --orgs 2000             (2 000 reports a period)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--warehouse",
        metavar="URL",
        help="sqlite:///PATH or odbc:CONNECTION-STRING (default: the embedded demo warehouse, "
        f"{config.demo_path()}; $ILS_WAREHOUSE is not used here)",
    )
    p.add_argument("--seed", type=_seed, default=2026, help="random seed (default 2026)")
    p.add_argument(
        "--ledger-rows",
        type=_positive_int,
        metavar="N",
        help="scale the ledger to about N rows (default: about 17 000)",
    )
    p.add_argument(
        "--orgs",
        type=_positive_int,
        metavar="N",
        help=f"grow the city to N organisations, boards and companies of added districts "
        f"(default: the demo's 32; at most {demo.MAX_ORGS}; for scale tests)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    url = args.warehouse or config.demo_url()
    info = demo.build(
        url, seed=args.seed, ledger_rows=args.ledger_rows, orgs=args.orgs, progress=print, tracer=tracer_for(args)
    )
    print(format_summary(info))
    kind, target = parse_url(url)
    shown = str(Path(target).expanduser().resolve()) if kind == "sqlite" else config.redact_url(url)
    print(f"Demo warehouse: {shown}")
    return 0
