"""``ils run``: produce reports, one organisation or a whole reporting package."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from . import add_warehouse_option

RUNSET_KEYS = {"description", "period", "notebook", "orgs", "kinds", "all", "formats", "jobs", "out",
               "parameters", "runs", "engine", "executor", "scheduler", "timeout"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="produce reports (HTML, PDF, figures.json) for organisations and a period",
        description="Execute a report notebook for each organisation (or kind) and write "
                    "OUT/PERIOD/ORG/report.html, report.pdf, report.ipynb and figures.json, "
                    "then the portal OUT/index.html. Unchanged reports are not rerun.",
        epilog="examples:\n"
               "  ils run --period 2026-T2 --org BOL01\n"
               "  ils run --period latest --all --format html,pdf\n"
               "  ils run --period 2026-BO --kind bolag --jobs 4\n"
               "  ils run --notebook group_report --period 2026-BO --kind bolag\n"
               "  ils run parameters/tertial.yaml            (a named run set)\n"
               "  ils run parameters/tertial.yaml --period 2026-T1 --force\n"
               "  ils run --period latest --all --executor dask --scheduler tcp://10.0.0.5:8786\n"
               "exit codes: 0 all reports done or unchanged, 1 a report failed, "
               "2 bad input, 3 another run holds the output directory",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("runset", nargs="?", help="a run set file (parameters/NAME.yaml)")
    p.add_argument("--period", help="YYYY-BU|T1|T2|BO, or 'latest'")
    p.add_argument("--org", action="append", default=[], metavar="ID", help="an organisation (repeatable)")
    p.add_argument("--kind", action="append", default=[], metavar="KIND",
                   help="every organisation of a kind: kommun, koncern, namnd, bolag, enhet (repeatable)")
    p.add_argument("--all", action="store_true", help="every organisation")
    p.add_argument("--notebook", metavar="PATH", help="notebook to run (default notebooks/report.ipynb)")
    p.add_argument("--format", dest="formats", metavar="LIST", help="html, pdf or html,pdf (default html)")
    p.add_argument("--jobs", type=int, metavar="N", help="reports at once (default: the number of CPUs)")
    p.add_argument("--out", metavar="DIR", help="output directory (default outputs)")
    p.add_argument("--force", action="store_true", help="rerun reports whose inputs are unchanged")
    p.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                   help="an extra notebook parameter (repeatable; the value is read as YAML)")
    p.add_argument("--engine", choices=("inprocess", "kernel"),
                   help="inprocess: warm forked workers (default); kernel: a Jupyter kernel per report")
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
            raise ConfigError(f"run set {path}{where}: unknown setting {unknown[0]!r}; "
                              f"valid: {', '.join(sorted(RUNSET_KEYS - {'runs'}))}")
        return entry

    base = check({k: v for k, v in data.items() if k != "runs"}, "")
    runs = data.get("runs")
    if runs is None:
        return [base]
    if not isinstance(runs, list) or not runs:
        raise ConfigError(f"run set {path}: 'runs' must be a list of runs")
    out = []
    for i, entry in enumerate(runs, 1):
        if not isinstance(entry, dict):
            raise ConfigError(f"run set {path}, run {i}: expected a mapping")
        out.append({**base, **check(entry, f", run {i}")})
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def run(args: argparse.Namespace) -> int:
    from ..runner.batch import RunRequest, parse_formats
    from ..runner.batch import run as run_batch

    entries = load_runset(args.runset) if args.runset else [{}]
    cli_params = _parse_parameters(args.parameter)
    code = 0
    for entry in entries:
        fmt = args.formats or entry.get("formats") or "html"
        req = RunRequest(
            period=args.period or str(entry.get("period") or ""),
            orgs=args.org or _as_list(entry.get("orgs")),
            kinds=args.kind or _as_list(entry.get("kinds")),
            all=args.all or bool(entry.get("all")),
            notebook=args.notebook or entry.get("notebook"),
            formats=parse_formats(fmt),
            jobs=args.jobs if args.jobs is not None else int(entry.get("jobs") or 0),
            out=args.out or entry.get("out") or "outputs",
            force=args.force,
            engine=args.engine or entry.get("engine") or "inprocess",
            executor=args.executor or entry.get("executor") or "local",
            scheduler=args.scheduler or entry.get("scheduler"),
            parameters={**(entry.get("parameters") or {}), **cli_params},
            wait=args.wait,
            warehouse=args.warehouse,
            timeout=args.timeout if args.timeout is not None else entry.get("timeout"),
        )
        if not req.period:
            raise ConfigError("which period? give --period YYYY-T1|T2|BO|BU or --period latest")
        if req.jobs < 0:
            raise ConfigError("--jobs must be 1 or more")
        code = max(code, run_batch(req))
    return code
