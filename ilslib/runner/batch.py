"""``ils run``: plan the reports of a period, skip unchanged ones, run the rest, record everything.

Layout of the output directory (``outputs/`` by default)::

    OUT/index.html                      the report portal
    OUT/PERIOD/ORG/report.{html,pdf,ipynb}, figures.json   organisation reports
    OUT/PERIOD/_grupp/KIND/...          group reports (one per kind)
    OUT/_studier/NAME/PERIOD/ORG/...    other notebooks (special studies)
    OUT/runs/RUN-ID/manifest.json, run.log   the audit trail of every run
    OUT/.ils-run.lock                   held while a run writes

Every report directory also holds ``.ils-state.json``: the hash of the
report's inputs (its data, the notebook, the parameters, the library version,
the formats) and how it ended; an unchanged hash means nothing to redo.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..config import redact, resolve_warehouse
from ..errors import ConfigError, IlsError
from ..fsutil import atomic_write_text, check_identifier, inside
from .job import FORMATS, Job, JobResult, check_parameters, notebook_parameters

STATE_FILE = ".ils-state.json"
LOCK_FILE = ".ils-run.lock"
GROUP_DIR = "_grupp"
STUDY_DIR = "_studier"
REPORT_NOTEBOOK = "report"
EXECUTORS = ("local", "dask")


class RunLockedError(IlsError):
    """Another run is writing to the same output directory."""

    exit_code = 3


def default_notebook_dir() -> Path:
    """``notebooks/`` of the working directory, else the one beside the installed package."""
    here = Path.cwd() / "notebooks"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "notebooks"


def resolve_notebook(value: str | None) -> Path:
    """The notebook file for ``--notebook`` (a file, a study directory, or a name in notebooks/)."""
    if not value:
        value = str(default_notebook_dir() / f"{REPORT_NOTEBOOK}.ipynb")
    p = Path(value)
    candidates = [p]
    if p.is_dir():
        candidates = [p / f"{p.name}.ipynb", *sorted(p.glob("*.ipynb")), p / f"{p.name}.py"]
    elif not p.suffix:
        candidates = [p.with_suffix(".ipynb"), p.with_suffix(".py"), default_notebook_dir() / f"{value}.ipynb"]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    known = sorted(q.stem for q in default_notebook_dir().glob("*.ipynb"))
    raise ConfigError(f"notebook {value!r} not found; notebooks in {default_notebook_dir()}: {', '.join(known)}")


@dataclass
class RunRequest:
    """Everything ``ils run`` was asked to do."""

    period: str
    orgs: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    all: bool = False
    notebook: str | None = None
    formats: tuple[str, ...] = ("html",)
    jobs: int = 0
    out: str = "outputs"
    force: bool = False
    engine: str = "inprocess"
    executor: str = "local"
    scheduler: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    wait: bool = False
    warehouse: str | None = None
    timeout: float | None = None


@dataclass
class Plan:
    """The jobs of a run, with what is unchanged already set aside."""

    period: str
    notebook: Path
    jobs: list[Job]
    unchanged: list[Job]
    provenance: dict[str, Any]


def parse_formats(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``"html,pdf"`` -> ``("html", "pdf")``; unknown formats are an error listing the valid ones."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise ConfigError(f"unknown format {', '.join(map(repr, bad)) or repr(text)}: expected html, pdf or html,pdf")
    return out


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _read_state(out_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _complete(out_dir: Path, state: dict[str, Any], formats: tuple[str, ...]) -> bool:
    if state.get("status") != "done":
        return False
    needed = ["report.ipynb"] + [f"report.{f}" for f in formats]
    return all((out_dir / n).is_file() for n in needed)


def plan(req: RunRequest) -> Plan:
    """Validate the request against the warehouse and the notebook; build the jobs.

    Everything a user can get wrong (period, organisation, kind, notebook,
    format, parameter) is checked here, before anything runs.
    """
    from .. import connect, figures

    formats = parse_formats(req.formats)
    if req.engine not in ("inprocess", "kernel"):
        raise ConfigError(f"unknown engine {req.engine!r}: expected inprocess or kernel")
    if req.executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {req.executor!r}: expected {' or '.join(EXECUTORS)}")
    notebook = resolve_notebook(req.notebook)
    declared = notebook_parameters(notebook)
    if not declared:
        raise ConfigError(f"notebook {str(notebook)!r} has no cell tagged 'parameters'")
    reserved = {"org_id", "period", "kind"}
    bad = sorted(set(req.parameters) & reserved)
    if bad:
        raise ConfigError(f"parameter {bad[0]!r} is set by ils run itself (use --org/--kind/--period)")
    out = Path(req.out)
    with connect(req.warehouse) as wh:
        period = figures.latest_period(wh) if req.period in ("latest", "senaste") else figures.as_period(wh, req.period)
        period_s = str(period)
        orgs_df = figures.organisations(wh)
        known = dict(zip(orgs_df["org_id"], orgs_df["kind"], strict=True))
        names = dict(zip(orgs_df["org_id"], orgs_df["name"], strict=True))
        for k in req.kinds:
            figures.check_kind(k)
        per_org = "org_id" in declared
        per_kind = not per_org and "kind" in declared
        targets: list[str] = []
        if per_org:
            for o in req.orgs:
                check_identifier(o)
                if o not in known:
                    figures.organisation(wh, o)  # raises with the nearest valid ids
            targets = list(dict.fromkeys(req.orgs))
            targets += [o for o in known if (req.all or known[o] in req.kinds) and o not in targets]
            if not targets:
                raise ConfigError("which organisations? give --org ID, --kind KIND or --all")
        elif per_kind:
            if req.orgs:
                raise ConfigError(f"notebook {notebook.name} is run per kind: use --kind, not --org")
            kinds = list(req.kinds) or (["bolag", "namnd"] if req.all else [])
            if not kinds:
                raise ConfigError(f"notebook {notebook.name} is run per kind: give --kind KIND (or --all)")
            targets = kinds
        params_extra = dict(req.parameters)
        probe = {**params_extra, "period": period_s}
        if per_org:
            probe["org_id"] = targets[0]
        elif per_kind:
            probe["kind"] = targets[0]
        check_parameters(notebook, {k: v for k, v in probe.items() if k in declared or k in params_extra})
        nb_hash = _file_hash(notebook)
        provenance = {"loads": figures.loads(wh).to_dict("records")}
        hashes = figures.data_hashes(wh, period) if (per_org or per_kind) else {}
        jobs: list[Job] = []
        unchanged: list[Job] = []
        for t in targets or [None]:
            params = dict(params_extra)
            if "period" in declared:
                params["period"] = period_s
            study = notebook.stem != REPORT_NOTEBOOK and notebook.stem != "group_report"
            base = out / STUDY_DIR / notebook.stem if study else out
            if per_org:
                params["org_id"] = t
                rel = [period_s, t]
                data = hashes[t]
                meta = {"org_id": t, "name": names[t], "kind": known[t], "period": period_s}
            elif per_kind:
                params["kind"] = t
                rel = [period_s, GROUP_DIR, t]
                members = [o for o in known if known[o] == t]
                data = _hash([hashes[o] for o in members])
                meta = {"kind": t, "name": f"Sammanställning {t}", "period": period_s, "group": True}
            else:
                rel = [period_s]
                data = _hash(provenance)
                meta = {"period": period_s, "name": notebook.stem}
            out_dir = inside(base, *rel) if rel else base
            meta["notebook"] = notebook.stem
            input_hash = _hash({"data": data, "notebook": nb_hash, "parameters": params,
                                "version": __version__, "formats": formats, "engine": req.engine})
            job = Job(str(notebook), params, str(out_dir), formats, "/".join(rel), input_hash, meta)
            state = _read_state(out_dir)
            if not req.force and state.get("input_hash") == input_hash and _complete(out_dir, state, formats):
                unchanged.append(job)
            else:
                jobs.append(job)
    return Plan(period_s, notebook, jobs, unchanged, provenance)


@contextlib.contextmanager
def run_lock(out: Path, *, wait: bool) -> Iterator[None]:
    """Hold ``OUT/.ils-run.lock`` for the run; a second run waits (``wait``) or stops with a clear error."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    fh = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise RunLockedError(
                f"another ils run is writing to {out} ({holder}): wait for it to finish, or pass --wait"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} by {getpass.getuser()} on {socket.gethostname()} since "
                 f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n")
        fh.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fh.seek(0)
            fh.truncate()
        fh.close()


def _remove_leftovers(out: Path) -> int:
    """Remove scratch files a killed run left (``.NAME.*.part``); they were never visible under a real name."""
    n = 0
    for p in out.rglob(".*.part"):
        with contextlib.suppress(OSError):
            p.unlink()
            n += 1
    return n


class Reporter:
    """Progress for people and for logs: a bar on a terminal, timestamped lines otherwise."""

    def __init__(self, total: int, log: TextIO, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.log = log
        self.bar = None
        if total and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="rapport", file=self.stream, dynamic_ncols=True)

    def line(self, text: str, *, to_stream: bool = True) -> None:
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        self.log.write(f"{stamp} {text}\n")
        self.log.flush()
        if to_stream:
            if self.bar is not None:
                self.bar.write(text, file=self.stream)
            else:
                print(f"{stamp} {text}", file=self.stream, flush=True)

    def result(self, r: JobResult) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(r.label, refresh=False)
        text = f"{r.status:<9} {r.label} ({r.seconds:.1f} s)" + (f": {r.error}" if r.error else "")
        self.line(text, to_stream=self.bar is None or r.status == "failed")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _execute(plan_: Plan, req: RunRequest, on_result: Callable[[JobResult], None]) -> list[JobResult]:
    results: list[JobResult] = []
    if req.executor == "dask":
        from .dask_executor import run_on_dask

        iterator = run_on_dask(plan_.jobs, scheduler=req.scheduler, engine=req.engine,
                               workers=req.jobs or None, timeout=req.timeout)
    else:
        from .pool import cpu_count, run_many

        iterator = run_many(plan_.jobs, jobs=req.jobs or cpu_count(), engine=req.engine, timeout=req.timeout)
    for r in iterator:
        results.append(r)
        on_result(r)
    return results


def _write_state(job: Job, result: JobResult) -> None:
    state = {
        "input_hash": job.input_hash if result.status == "done" else None,
        "status": result.status,
        "error": result.error,
        "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "seconds": round(result.seconds, 3),
        "formats": list(job.formats),
        "meta": {**job.meta, **result.meta},
    }
    atomic_write_text(Path(job.out_dir) / STATE_FILE, json.dumps(state, ensure_ascii=False, indent=2) + "\n")


def run(req: RunRequest, *, stream: TextIO | None = None) -> int:
    """Run a batch; return the exit code (0 all done or unchanged, 1 if any report failed)."""
    stream = stream or sys.stderr
    out = Path(req.out).resolve()
    resolved = resolve_warehouse(req.warehouse)
    started = dt.datetime.now().astimezone()
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    plan_ = plan(req)
    with run_lock(out, wait=req.wait):
        _remove_leftovers(out)
        run_dir = out / "runs" / run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        with (run_dir / "run.log").open("w", encoding="utf-8") as log:
            rep = Reporter(len(plan_.jobs), log, stream)
            rep.line(f"ils run {run_id}: period {plan_.period}, notebook {plan_.notebook.name}, "
                     f"{len(plan_.jobs)} to run, {len(plan_.unchanged)} unchanged, warehouse {redact(resolved.url)}")
            # The kernel (or in-process engine) reads the warehouse from the environment, never a parameter.
            os.environ["ILS_WAREHOUSE"] = resolved.url
            by_label = {j.label: j for j in plan_.jobs}
            t0 = time.monotonic()

            def on_result(r: JobResult) -> None:
                _write_state(by_label[r.label], r)
                rep.result(r)

            try:
                results = _execute(plan_, req, on_result)
            finally:
                rep.close()
            elapsed = time.monotonic() - t0
            for j in plan_.unchanged:
                rep.line(f"unchanged {j.label}", to_stream=False)
            done = [r for r in results if r.status == "done"]
            failed = [r for r in results if r.status != "done"]
            summary = (f"{len(done)} done, {len(plan_.unchanged)} unchanged, {len(failed)} failed "
                       f"in {elapsed:.1f} s")
            rep.line(f"ils run {run_id}: {summary}")
            for r in failed:
                rep.line(f"  failed {r.label}: {r.error} (see {Path(r.out_dir) / 'report.ipynb'})")
        manifest = {
            "run_id": run_id,
            "user": getpass.getuser(),
            "host": socket.gethostname(),
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "ilslib_version": __version__,
            "warehouse": redact(resolved.url),
            "period": plan_.period,
            "notebook": str(plan_.notebook.name),
            "notebook_sha256": _file_hash(plan_.notebook),
            "formats": list(req.formats),
            "executor": req.executor,
            "engine": req.engine,
            "provenance": plan_.provenance,
            "counts": {"done": len(done), "unchanged": len(plan_.unchanged), "failed": len(failed)},
            "reports": [r.to_dict() for r in results]
            + [{"label": j.label, "status": "unchanged", "out_dir": j.out_dir, "meta": j.meta}
               for j in plan_.unchanged],
        }
        atomic_write_text(run_dir / "manifest.json",
                          json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n")
        from .portal import write_portal

        index = write_portal(out)
    print(f"{summary}. Portal: {index}", file=stream)
    return 1 if failed else 0
