"""``ils load``: validate a directory of contract files, or a reporting workbook, and write it, all or nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import connect
from ..errors import ConfigError, LoadError
from ..load import (
    REJECTS_FILE,
    FileResult,
    format_rejects,
    format_state_changes,
    format_summary,
    load_dir,
    load_workbook,
)
from ..periods import Period
from . import add_warehouse_option, tracer_for

# Files with fewer rows than this get a plain line, not a progress bar.
BAR_MIN_ROWS = 50_000


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils load`` to the command's subparsers."""
    p = sub.add_parser(
        "load",
        help="validate and load a directory of contract files (CSV/XLSX) or a reporting workbook, all or nothing",
        description="Validate every file in DIR (or the reporting workbook FILE.xlsx that ils template "
        "wrote) against the data contract and write them into the warehouse in one transaction. One bad "
        "row anywhere rejects the whole load: nothing is written, every reject is listed and saved in "
        f"{REJECTS_FILE} (in DIR, or beside the workbook), and the exit code is 1. Every row of a "
        "workbook must belong to its organisation and period. Your warehouse login must be allowed to "
        "load what you load: outcomes, assessments, activity_status and comments need the role reporter "
        "or controller of each organisation in them; every other file needs admin (otherwise nothing is "
        "loaded and the exit code is 4). A row whose key already exists replaces the old row, so loading "
        "the same directory twice changes nothing. Reporting data loaded for an organisation that was "
        "marked ready or approved sets it back to in progress (the load says so). Only one load writes at "
        "a time: when another load is writing, ils load says so at once and exits with code 3 (or waits, "
        "with --wait). See docs/loading.md, docs/round.md and docs/contract.md.",
        epilog="examples:\n"
        "  ils load exports/2026-T2\n"
        "  ils load inrapportering_ALN_2026-T2.xlsx\n"
        "  ils load inrapportering_ALN_2026-T2.xlsx --period 2026-T2   (refuse a workbook of another period)\n"
        "  ils load inkommet/                          (a directory of returned workbooks)\n"
        "  ils load exports/2026-T2 --warehouse sqlite:///lis.sqlite\n"
        "  ILS_WAREHOUSE_PASSWORD=... ils load exports/2026-T2 --warehouse 'odbc:DSN=lis'\n"
        "  ils load exports/2026-T2 --rejects /tmp/rejects.csv --show 0   (list every reject)\n"
        "  ils load exports/2026-T2 --wait 600       (wait up to 10 minutes for another load)\n"
        "\n"
        "exit codes: 0 loaded, 1 rejected (nothing written), 2 bad input or warehouse error,\n"
        "  3 another load is writing into the warehouse (nothing written), 4 your login may not\n"
        "  load this (nothing written)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "directory",
        metavar="DIR|FILE",
        help="directory holding the files (organisations.csv, ledger.xlsx, inrapportering_*.xlsx ...), "
        "or one reporting workbook",
    )
    p.add_argument(
        "--period",
        metavar="P",
        help="with a workbook: the period it must be for (a workbook of another period is refused)",
    )
    add_warehouse_option(p)
    p.add_argument(
        "--rejects",
        metavar="FILE",
        help=f"where to write the rejects (default: DIR/{REJECTS_FILE}, or {REJECTS_FILE} beside the workbook)",
    )
    p.add_argument(
        "--show",
        metavar="N",
        type=int,
        default=200,
        help="list at most N rejects on the terminal (default 200; 0 = all; the file has all)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines, only the summary")
    p.add_argument(
        "--wait",
        metavar="SECONDS",
        type=float,
        default=0.0,
        help="when another load is writing into the warehouse, wait up to SECONDS for it "
        "(default 0: say so at once and exit with code 3)",
    )
    p.set_defaults(func=run)


class _TerminalProgress:
    """A tqdm bar for big files on a terminal; otherwise one plain line per file."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.bar: Any = None

    def start(self, name: str, total: int | None) -> None:
        if self.quiet or not self.tty or not total or total < BAR_MIN_ROWS:
            return
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=name, unit=" rows", unit_scale=True, leave=False, file=sys.stderr)

    def note(self, text: str) -> None:
        """A message about the load as a whole (e.g. that it waits for another load)."""
        print(f"  {text}", file=sys.stderr, flush=True)

    def advance(self, rows: int) -> None:
        if self.bar is not None:
            self.bar.update(rows)

    def done(self, result: FileResult) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if not self.quiet:
            rows = f"{result.rows_read:,d}".replace(",", " ")
            state = f", {result.rejects} rejects" if result.rejects else ""
            print(f"  {result.name}: {rows} rows checked in {result.seconds:.1f} s{state}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Load the directory; print the summary, and the rejects (then exit 1) when it was rejected."""
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        if not args.quiet:
            print(f"Loading {args.directory} into {wh.url}", flush=True)
        if args.wait < 0:
            raise ConfigError(f"--wait {args.wait:g}: the number of seconds to wait cannot be negative")
        progress = _TerminalProgress(args.quiet)
        target = Path(args.directory).expanduser()
        if target.is_dir():
            if args.period:
                raise ConfigError("--period is for a workbook: a directory's files say their periods themselves")
            result = load_dir(wh, target, rejects_path=args.rejects, progress=progress, wait=args.wait)
        else:
            period = str(Period.parse(args.period)) if args.period else None
            result = load_workbook(
                wh, target, period=period, rejects_path=args.rejects, progress=progress, wait=args.wait
            )
        url = wh.url
    for line in format_summary(result, url):
        print(line)
    if result.ok:
        for line in format_state_changes(result):
            print(line)
        return 0
    print(f"Rejects ({len(result.rejects)}):", file=sys.stderr)
    for line in format_rejects(result, None if args.show == 0 else max(args.show, 1)):
        print(line, file=sys.stderr)
    where = f"; they are listed in {result.rejects_path}" if result.rejects_path else ""
    n, files = len(result.rejects), len({r.file for r in result.rejects})
    raise LoadError(
        f"load rejected: {n} reject{'' if n == 1 else 's'} in {files} file{'' if files == 1 else 's'}, "
        f"nothing was written{where}"
    )
