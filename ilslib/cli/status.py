"""``ils status``: every organisation's reporting for a period: state, completeness, missing items, lateness."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import connect
from ..errors import ConfigError
from ..periods import Period, is_latest
from . import add_warehouse_option, round_period, tracer_for


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils status`` to the command's subparsers."""
    p = sub.add_parser(
        "status",
        help="the reporting round of a period: state, completeness, missing items, deadline, days late",
        description="List every organisation of the reporting kinds (nämnder and bolag; --kind for one kind) "
        "with the state of its reporting for the period (ej påbörjad, pågående, klarmarkerad, godkänd), its "
        "completeness (the share of the required items that are in the warehouse), the missing items by "
        "name, its deadline and the days it is late (after the deadline while neither ready nor approved). "
        "The late and the incomplete come first. --html writes the portal's status page, "
        "OUT/PERIOD/status.html. See docs/round.md.",
        epilog="examples:\n"
        "  ils status --period 2026-T2\n"
        "  ils status --period 2026-T2 --kind bolag\n"
        "  ils status --period 2026-T2 --format json --out status.json\n"
        "  ils status --period 2026-T2 --format csv --out status.csv     (for Excel)\n"
        "  ils status --period 2026-T2 --html                           outputs/2026-T2/status.html\n"
        "  ils status --period 2026-T2 --html --out /srv/ils/outputs\n"
        "\n"
        "exit codes: 0 shown (whatever the status), 2 bad parameter or warehouse error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument(
        "--period", metavar="P", required=True, help="YYYY-BU, YYYY-T1, YYYY-T2, YYYY-BO or latest (due or reported)"
    )
    p.add_argument("--kind", metavar="K", help="only the organisations of this kind (default: namnd and bolag)")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text", help="text (default), json or csv")
    p.add_argument(
        "--out",
        metavar="PATH",
        help="write to the FILE instead of the terminal; with --html the output directory (default outputs)",
    )
    p.add_argument("--html", action="store_true", help="write the status page OUT/PERIOD/status.html")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Show or write the status."""
    from ..round import status as st

    if not is_latest(args.period):
        Period.parse(args.period)  # a malformed period is an error before connecting
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        period = round_period(wh, args.period)
        if args.html:
            out = Path(args.out or "outputs")
            if out.exists() and not out.is_dir():
                raise ConfigError(f"--out {out}: with --html, --out is the output directory (like ils run --out)")
            try:
                path = st.write_status_page(wh, out, period, kind=args.kind)
            except OSError as exc:
                raise ConfigError(f"cannot write the status page under {out}: {exc.strerror or exc}") from None
            print(path)
            return 0
        status = st.round_status(wh, period, kind=args.kind)
    if args.out:
        try:
            path = st.write_output(status, args.out, args.format)
        except OSError as exc:
            raise ConfigError(f"--out {args.out}: cannot write: {exc.strerror or exc}") from None
        print(f"{len(status.rows)} organisations written to {path}")
    elif args.format == "json":
        print(st.to_json(status), end="")
    elif args.format == "csv":
        print(st.to_csv(status).decode("utf-8-sig"), end="")
    else:
        print(st.format_text(status))
    return 0
