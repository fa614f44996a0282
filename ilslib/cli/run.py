"""``ils run``: produce reports, one organisation or a whole reporting package."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ConfigError
from . import add_warehouse_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="produce reports (HTML, PDF, figures.json) for organisations and a period",
        description="Execute a report notebook for each organisation (or kind) and write "
        "OUT/PERIOD/ORG/report.html, report.pdf, report.xlsx, report.ipynb and figures.json "
        "(--audience kort: the two-page short version report-kort.html, .pdf beside them), "
        "then the portal OUT/index.html. Unchanged reports are not rerun. A run set "
        "(parameters/*.yaml) can also bind the board's books (OUT/PERIOD/_bok/KIND/book.pdf).",
        epilog="examples:\n"
        "  ils run --period 2026-T2 --org ALN\n"
        "  ils run --period latest --all --format html,pdf,xlsx\n"
        "  ils run --period latest --all --audience kort --format html,pdf   (the short versions)\n"
        "  ils run --period latest-BO --kind bolag --jobs 2\n"
        "  ils run --notebook group_report --period 2026-T2 --kind bolag\n"
        "  ils run parameters/standard.yaml           (a run set: see parameters/README.md)\n"
        "  ils run parameters/tertial.yaml --period 2026-T1 --force\n"
        "  ils run --period latest --all --executor dask --scheduler tcp://127.0.0.1:8786\n"
        "\n"
        "Unchanged reports (same data, notebook, parameters and library) are skipped; --force\n"
        "reruns them. Progress goes to stderr (a bar on a terminal, timestamped lines\n"
        "otherwise); every run writes OUT/runs/RUN-ID/run.log and manifest.json.\n"
        "\n"
        "exit codes: 0 every report done or unchanged, 1 a report failed (the summary says\n"
        "which and why), 2 bad input or warehouse unreachable (nothing ran),\n"
        "3 another run holds the output directory (use --wait)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runset", nargs="?", help="a run set file (parameters/NAME.yaml)")
    p.add_argument(
        "--period",
        help="YYYY-BU|T1|T2|BO; latest (the latest reported period); "
        "latest-T, latest-BO, latest-BU (the latest tertial, annual report, budget)",
    )
    p.add_argument("--org", action="append", default=[], metavar="ID", help="an organisation (repeatable)")
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="KIND",
        help="every organisation of a kind: kommun, koncern, namnd, bolag, enhet (repeatable)",
    )
    p.add_argument("--all", action="store_true", help="every organisation")
    p.add_argument("--notebook", metavar="PATH", help="notebook to run (default notebooks/report.ipynb)")
    p.add_argument(
        "--format",
        dest="formats",
        metavar="LIST",
        help="html, pdf, xlsx, or several separated by commas, e.g. html,pdf,xlsx (default html)",
    )
    p.add_argument(
        "--audience",
        metavar="WHO",
        help="full: the whole report (default); kort: the two-page short version for politicians "
        "(notebooks/report_kort, written as report-kort.html/.pdf beside the report)",
    )
    p.add_argument("--jobs", type=int, metavar="N", help="reports at once (default: the number of CPUs)")
    p.add_argument("--out", metavar="DIR", help="output directory (default outputs)")
    p.add_argument("--force", action="store_true", help="rerun reports whose inputs are unchanged")
    p.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra notebook parameter (repeatable; the value is read as YAML)",
    )
    p.add_argument(
        "--engine",
        choices=("inprocess", "kernel"),
        help="inprocess: warm forked workers (default); kernel: a Jupyter kernel per report",
    )
    p.add_argument("--executor", choices=("local", "dask"), help="local processes (default) or a Dask cluster")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a LocalCluster)")
    p.add_argument("--wait", action="store_true", help="wait for another run on the same output directory")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="fail a report that takes longer")
    add_warehouse_option(p)
    p.set_defaults(func=run)


def _parse_parameters(items: list[str]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise ConfigError(f"--parameter {item!r}: expected NAME=VALUE")
        try:
            out[name.strip()] = yaml.safe_load(value) if value.strip() else ""
        except yaml.YAMLError:
            out[name.strip()] = value
    return out


def _request(args: argparse.Namespace, entry: dict[str, Any], cli_params: dict[str, Any], where: str) -> Any:
    from ..runner.request import RunRequest

    # the options named as the request's fields; --org, --kind and --parameter are lists of their own
    same: tuple[str, ...] = ("period", "all", "notebook", "formats", "jobs", "out", "force", "engine", "executor")
    same += ("scheduler", "wait", "warehouse", "timeout", "audience")
    given = {name: getattr(args, name) for name in same}
    return RunRequest.from_settings(entry, where=where, orgs=args.org, kinds=args.kind, parameters=cli_params, **given)


def run(args: argparse.Namespace) -> int:
    from ..runner.server import formats_in_argv, start_server, stop_server

    # The fork server's warm-up (a second and more of CPU) runs while the requests are checked, the warehouse
    # opened and the runs planned, not after them: the first report waits that much less. ilslib.cli.main
    # started it already, before the imports (args.server_started); called otherwise (ilslib.cli.run.run), it
    # starts here. It is stopped again when ils run ends before it served a report (a bad option, period or
    # organisation: exit 2; nothing to run; a held lock; Ctrl-C), so that it never outlives the command in the
    # middle of its warm-up.
    started = bool(getattr(args, "server_started", False))
    if args.executor != "dask":
        hint = None if args.runset else (formats_in_argv(["--format", args.formats]) if args.formats else ["html"])
        started = start_server(hint) or started
    try:
        return _run(args, started)
    except BaseException:
        if started:
            stop_server()
        raise


def _run(args: argparse.Namespace, started: bool) -> int:
    from ..runner.batch import needs_server
    from ..runner.batch import run as run_batch
    from ..runner.plan import plan
    from ..runner.request import load_runset
    from ..runner.server import stop_server

    entries = load_runset(args.runset) if args.runset else [{}]
    cli_params = _parse_parameters(args.parameter)
    requests = []
    for i, entry in enumerate(entries, 1):
        where = (f"run set {args.runset}" + (f", run {i}" if len(entries) > 1 else "")) if args.runset else "ils run"
        requests.append(_request(args, entry, cli_params, where))
    # Every run of a run set is checked before the first one starts.
    plans = [plan(req) for req in requests]
    if started and not any(p.jobs and needs_server(req) for req, p in zip(requests, plans, strict=True)):
        stop_server()  # nothing to run here (all unchanged, or all on Dask): its warm-up is not wanted
    code = 0
    for req, p in zip(requests, plans, strict=True):
        code = max(code, run_batch(req, plan_=p))
    return code
