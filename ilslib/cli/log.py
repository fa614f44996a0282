"""``ils log``: the recorded history of the reporting round (loads, ready marks, approvals)."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path
from typing import Any

from .. import connect, fmt
from ..cells import csv_text
from ..errors import ConfigError
from ..fsutil import atomic_write_bytes
from ..periods import Period, is_latest
from . import add_warehouse_option, round_period, tracer_for


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``ils log`` to the command's subparsers."""
    p = sub.add_parser(
        "log",
        help="the history of the reporting round: who loaded, marked ready, approved, and when",
        description="Show every recorded change of the reporting round for a period (and organisation): "
        "when (local time), who (the warehouse login), what (load, ready, approve and their undoing), "
        "for which organisation, and from which state to which. Oldest first.",
        epilog="examples:\n"
        "  ils log --period 2026-T2\n"
        "  ils log --period 2026-T2 --org ALN\n"
        "  ils log --period 2026-T2 --format csv --out logg-2026-T2.csv\n"
        "\n"
        "exit codes: 0 shown, 2 bad parameter or warehouse error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_warehouse_option(p)
    p.add_argument(
        "--period", metavar="P", required=True, help="YYYY-BU, YYYY-T1, YYYY-T2, YYYY-BO or latest (due or reported)"
    )
    p.add_argument("--org", metavar="ID", help="only this organisation")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text", help="text (default), json or csv")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of the terminal")
    p.set_defaults(func=run)


def _local(at: str) -> str:
    """An ISO time as the city's local ``YYYY-MM-DD HH:MM:SS`` (:func:`ilslib.fmt.local_time`)."""
    return fmt.local_time(at, seconds=True)


def run(args: argparse.Namespace) -> int:
    """Print (or write) the events."""
    from ..round.state import ACTIONS, LABELS, history

    if not is_latest(args.period):
        Period.parse(args.period)  # a malformed period is an error before connecting
    with connect(args.warehouse, tracer=tracer_for(args)) as wh:
        period = str(round_period(wh, args.period))
        if args.org:
            from ..figures import organisation

            organisation(wh, args.org)  # an unknown id is an error naming the nearest ones
        events = history(wh, period, args.org)
    records: list[dict[str, Any]] = [
        {str(k): (None if v != v else v) for k, v in rec.items()}  # NaN -> None
        for rec in events.to_dict("records")
    ]
    if args.format == "json":
        text = json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    elif args.format == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        heads = ("tid", "vem", "händelse", "organisation", "period", "från", "till", "detalj")
        w.writerow(heads)
        for r in records:
            w.writerow(
                [
                    _local(r["at"]),
                    csv_text(r["user_name"] or ""),
                    csv_text(ACTIONS.get(r["action"], r["action"])),
                    csv_text(r["org_id"] or ""),
                    r["period"] or "",
                    LABELS.get(r["from_state"] or "", r["from_state"] or ""),
                    LABELS.get(r["to_state"] or "", r["to_state"] or ""),
                    csv_text(r["detail"] or ""),
                ]
            )
        text = buf.getvalue()
    else:
        who = f" {args.org}" if args.org else ""
        lines = [f"Händelser i inrapporteringen{who} {period} ({len(records)}):"]
        org_w = max([len(str(r["org_id"] or "-")) for r in records] + [1])
        act_w = max([len(ACTIONS.get(r["action"], r["action"])) for r in records] + [1])
        user_w = max([len(str(r["user_name"])) for r in records] + [1])
        for r in records:
            move = ""
            if r["to_state"]:
                before = LABELS.get(r["from_state"] or "", r["from_state"] or "-")
                after = LABELS.get(r["to_state"], r["to_state"])
                move = f"  {before} -> {after}" if before != after else f"  {after} (oförändrat)"
            detail = f"  ({r['detail']})" if r["detail"] else ""
            lines.append(
                f"  {_local(r['at'])}  {r['org_id'] or '-':<{org_w}}  {ACTIONS.get(r['action'], r['action']):<{act_w}}"
                f"  {r['user_name']:<{user_w}}{move}{detail}".rstrip()
            )
        if not records:
            lines.append("  inga")
        text = "\n".join(lines) + "\n"
    if args.out:
        try:
            atomic_write_bytes(Path(args.out), text.encode("utf-8-sig" if args.format == "csv" else "utf-8"))
        except OSError as exc:
            raise ConfigError(f"--out {args.out}: cannot write: {exc.strerror or exc}") from None
        print(f"{len(records)} events written to {args.out}")
    else:
        print(text, end="")
    return 0
