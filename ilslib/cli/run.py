"""``ils run``: produce reports, one organisation or a whole reporting package."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from . import add_warehouse_option

if TYPE_CHECKING:  # the runner is imported only when it runs
    from ..runner.batch import RunRequest

RUNSET_KEYS = {
    "description",
    "period",
    "notebook",
    "orgs",
    "kinds",
    "all",
    "formats",
    "jobs",
    "out",
    "parameters",
    "runs",
    "engine",
    "executor",
    "scheduler",
    "timeout",
    "audience",
    "book",
}
#: The settings of a book entry (``book: [namnd, bolag]``): a book binds reports already made.
BOOK_KEYS = {"description", "book", "period", "out"}


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


def load_runset(path: str) -> list[dict[str, Any]]:
    """Read a run set: one run (a mapping) or several (``runs: [...]``); unknown keys are errors."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"run set {path!r} does not exist")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"run set {path}{where}: not valid YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(f"run set {path}: expected a mapping of settings")

    def check(entry: dict[str, Any], where: str) -> dict[str, Any]:
        unknown = sorted(set(entry) - RUNSET_KEYS)
        if unknown:
            raise ConfigError(
                f"run set {path}{where}: unknown setting {unknown[0]!r}; "
                f"valid: {', '.join(sorted(RUNSET_KEYS - {'runs'}))}"
            )
        if "book" in entry:
            not_for_books = sorted(set(entry) - BOOK_KEYS)
            if not_for_books:
                raise ConfigError(
                    f"run set {path}{where}: {not_for_books[0]!r} is a setting of reports; a book entry takes "
                    f"{', '.join(sorted(BOOK_KEYS))} (it binds the reports the entries before it made)"
                )
        return entry

    base = check({k: v for k, v in data.items() if k != "runs"}, "")
    runs = data.get("runs")
    if runs is None:
        return [base]
    if not isinstance(runs, list) or not runs:
        raise ConfigError(f"run set {path}: 'runs' must be a list of runs")
    if "book" in base:
        raise ConfigError(f"run set {path}: 'book' belongs in an entry of 'runs' (after the reports it binds)")
    out = []
    for i, entry in enumerate(runs, 1):
        if not isinstance(entry, dict):
            raise ConfigError(f"run set {path}, run {i}: expected a mapping")
        check(entry, f", run {i}")
        if "book" in entry:  # only the settings a book has are taken from the top
            out.append({**{k: v for k, v in base.items() if k in BOOK_KEYS}, **entry})
        else:
            out.append({**base, **entry})
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _request(args: argparse.Namespace, entry: dict[str, Any], cli_params: dict[str, Any], where: str) -> RunRequest:
    from ..runner.batch import RunRequest, parse_formats

    def setting(name: str, value: Any, kind: type | tuple[type, ...]) -> Any:
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool) and kind is not bool):
            expected = (
                {bool: "true or false", int: "a whole number", str: "text", dict: "a mapping"}.get(kind, "a number")
                if isinstance(kind, type)
                else "a number"
            )
            raise ConfigError(f"{where}: {name!r} must be {expected}, got {value!r}")
        return value

    period = args.period or (str(entry["period"]) if entry.get("period") is not None else "")
    if not period:
        raise ConfigError(f"{where}: which period? give --period YYYY-BU|T1|T2|BO, latest or latest-BO")
    if "book" in entry:
        book = entry["book"]
        if not (isinstance(book, str) or isinstance(book, list) and all(isinstance(b, str) for b in book)):
            raise ConfigError(f"{where}: 'book' must be a kind or a list of kinds, e.g. [namnd, bolag], got {book!r}")
        if args.org:
            raise ConfigError(f"{where}: a book is made per kind: use --kind, not --org")
        kinds = args.kind or _as_list(book)
        if not kinds:
            raise ConfigError(f"{where}: 'book' must name one or more kinds, e.g. [namnd, bolag]")
        from ..errors import IlsError
        from ..runner.books import check_book_kinds

        try:
            kinds = check_book_kinds(kinds)
        except IlsError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        return RunRequest(
            period=period,
            book=kinds,
            out=args.out or setting("out", entry.get("out"), str) or "outputs",
            force=args.force,
            wait=args.wait,
            warehouse=args.warehouse,
        )
    params = setting("parameters", entry.get("parameters"), dict) or {}
    jobs = args.jobs if args.jobs is not None else setting("jobs", entry.get("jobs"), int) or 0
    if jobs < 0:
        raise ConfigError(f"--jobs {jobs}: expected 1 or more")
    timeout = args.timeout if args.timeout is not None else setting("timeout", entry.get("timeout"), (int, float))
    executor = args.executor or setting("executor", entry.get("executor"), str) or "local"
    scheduler = args.scheduler or setting("scheduler", entry.get("scheduler"), str)
    if scheduler and executor != "dask":
        raise ConfigError(f"{where}: --scheduler {scheduler!r} is for --executor dask (this run is local)")
    if scheduler and not re.fullmatch(r"(tcp|tls|inproc|ucx|ws|wss)://[^\s/]+(:\d+)?/?", scheduler):
        raise ConfigError(
            f"{where}: --scheduler {scheduler!r} is not a scheduler address (expected e.g. tcp://10.0.0.5:8786)"
        )
    return RunRequest(
        period=period,
        orgs=args.org or _as_list(entry.get("orgs")),
        kinds=args.kind or _as_list(entry.get("kinds")),
        all=args.all or bool(setting("all", entry.get("all"), bool)),
        notebook=args.notebook or setting("notebook", entry.get("notebook"), str),
        formats=parse_formats(args.formats or entry.get("formats") or "html"),
        jobs=jobs,
        out=args.out or setting("out", entry.get("out"), str) or "outputs",
        force=args.force,
        engine=args.engine or setting("engine", entry.get("engine"), str) or "inprocess",
        executor=executor,
        scheduler=scheduler,
        parameters={**params, **cli_params},
        wait=args.wait,
        warehouse=args.warehouse,
        timeout=timeout,
        audience=args.audience or setting("audience", entry.get("audience"), str) or "full",
    )


def run(args: argparse.Namespace) -> int:
    from ..runner.batch import plan
    from ..runner.batch import run as run_batch

    entries = load_runset(args.runset) if args.runset else [{}]
    cli_params = _parse_parameters(args.parameter)
    requests = []
    for i, entry in enumerate(entries, 1):
        where = (f"run set {args.runset}" + (f", run {i}" if len(entries) > 1 else "")) if args.runset else "ils run"
        requests.append(_request(args, entry, cli_params, where))
    # Every run of a run set is checked before the first one starts.
    plans = [plan(req) for req in requests]
    code = 0
    for req, p in zip(requests, plans, strict=True):
        code = max(code, run_batch(req, plan_=p))
    return code
