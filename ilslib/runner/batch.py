"""``ils run``: plan the reports of a period, skip unchanged ones, run the rest, record everything.

Layout of the output directory (``outputs/`` by default)::

    OUT/index.html                      the report portal
    OUT/PERIOD/ORG/report.{html,pdf,ipynb}, figures.json   organisation reports
    OUT/PERIOD/_grupp/KIND/...          group reports (one per kind)
    OUT/_studier/NAME/PERIOD/ORG/...    other notebooks (special studies): per organisation,
    OUT/_studier/NAME/PERIOD/_grupp/KIND/...   per kind,
    OUT/_studier/NAME/PERIOD/...        or one page for the whole city
    OUT/runs/RUN-ID/manifest.json, run.log, output.log   the audit trail of every run
    OUT/.ils-run.lock                   held while a run writes

Every report directory also holds ``.ils-state.json``: how the report ended,
the hash of its inputs (the notebook, the parameters, the library) and every
warehouse read it made with a digest of the rows it got. A report is
unchanged when its inputs are the same and each of those reads, run again
now, returns the same rows (:func:`split_unchanged`): what a report read is
recorded as it runs, so no list of what each figure reads is kept anywhere.

Order of work: everything a user can get wrong is checked first (nothing is
written before), then the lock is taken, then the reports run. An
organisation whose id in the warehouse cannot name a folder fails alone; a
report whose files cannot be written (a full disk, a read-only directory)
fails alone; the run log, the manifest and the portal are written if at all
possible.
"""

from __future__ import annotations

import contextlib
import datetime as dt
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
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

from .. import __version__, identifiers
from ..config import redact, redact_url, resolve_warehouse
from ..errors import ConfigError, IlsError, UnknownValueError
from ..fmt import KIND_PLURAL
from ..fsutil import OutputError, atomic_write_text, inside, remove_scratch
from ..warehouse import absolute_url
from .job import FORMATS, REPORT_STEM, Job, JobResult, publish_failure
from .params import check_parameters, declared_parameters

LOCK_FILE = ".ils-run.lock"
GROUP_DIR = "_grupp"
BOOK_DIR = "_bok"
STUDY_DIR = "_studier"
RUNS_DIR = "runs"
REPORT_NOTEBOOK = "report"
GROUP_NOTEBOOK = "group_report"
KORT_NOTEBOOK = "report_kort"
KORT_STEM = "report-kort"
#: ``--audience``: who the organisation report is for, and the notebook that makes it.
AUDIENCES = {"full": REPORT_NOTEBOOK, "kort": KORT_NOTEBOOK}
#: The project's own notebooks and the set each writes in OUT/PERIOD/... (any other notebook is a study).
OFFICIAL_SETS = {REPORT_NOTEBOOK: REPORT_STEM, KORT_NOTEBOOK: KORT_STEM, GROUP_NOTEBOOK: REPORT_STEM}
EXECUTORS = ("local", "dask")
ENGINES = ("inprocess", "kernel")
# Parameters ils run sets itself from --org/--kind/--period.
RESERVED_PARAMETERS = ("org_id", "kind", "period")
#: The portal's name of a study page that covers the whole city (a study without org_id and kind).
STUDY_ALL_NAME = "Hela staden"


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
    if "\0" in value:
        raise ConfigError("--notebook: the path contains a NUL byte")
    p = Path(value)
    candidates = [p]
    if p.is_dir():
        candidates = [p / f"{p.name}.ipynb", *sorted(p.glob("*.ipynb")), p / f"{p.name}.py"]
    elif p.suffix not in (".ipynb", ".py"):
        candidates = [
            p.with_name(p.name + ".ipynb"),
            p.with_name(p.name + ".py"),
            default_notebook_dir() / f"{value}.ipynb",
            default_notebook_dir() / f"{value}.py",
        ]
    for c in candidates:
        with contextlib.suppress(OSError):
            if c.is_file():
                return c.resolve()
    known = sorted({q.stem for q in default_notebook_dir().glob("*.ipynb")})
    raise ConfigError(
        f"notebook {value!r} not found; the notebooks in {default_notebook_dir()} are: "
        f"{', '.join(known) or 'none'} (or give a path to an .ipynb or .py file)"
    )


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
    audience: str = "full"  # full: notebooks/report; kort: the short version, notebooks/report_kort
    book: list[str] = field(default_factory=list)  # kinds: a run of books (ilslib.runner.books), not of reports


@dataclass
class Plan:
    """The jobs of a run, with what is unchanged already set aside."""

    period: str
    notebook: Path | None  # None for a run of books
    jobs: list[Job]
    unchanged: list[Job]
    provenance: dict[str, Any]
    out: Path
    per: str = "org"  # "org", "kind", "once" or "book"
    rejected: list[JobResult] = field(default_factory=list)  # reports that cannot run (an invalid id)

    @property
    def what(self) -> str:
        """What the run makes, for its log: the notebook, or the books."""
        if self.notebook is None:
            return "books " + ", ".join(str(j.parameters.get("kind")) for j in self.jobs + self.unchanged)
        return f"notebook {self.notebook.name}"


def parse_formats(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``"html,pdf"`` -> ``("html", "pdf")``; unknown formats are an error listing the valid ones."""
    items = text.split(",") if isinstance(text, str) else [str(t) for t in text]
    out = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        shown = ", ".join(map(repr, bad)) if bad else repr(text)
        raise ConfigError(
            f"unknown format {shown}: expected html, pdf or xlsx, or several separated by commas (html,pdf,xlsx)"
        )
    return out


def check_audience(value: str | None) -> str:
    """``full`` or ``kort`` (``--audience``); anything else is a one-line error naming both."""
    audience = (value or "full").strip().lower()
    if audience not in AUDIENCES:
        raise ConfigError(
            f"unknown audience {value!r}: expected full (the whole report) or kort (the two-page short version)"
        )
    return audience


def official_set(notebook: Path) -> str | None:
    """The set a project notebook writes (``report``, ``report-kort``), or None for any other notebook (a study)."""
    standard = notebook.parent == default_notebook_dir().resolve() and notebook.suffix == ".ipynb"
    return OFFICIAL_SETS.get(notebook.stem) if standard else None


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def library_fingerprint() -> str:
    """ilslib's version and a hash of its code and templates: a changed library reruns every report."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(__version__.encode())
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".j2", ".css", ".json", ".toml") and "__pycache__" not in p.parts:
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


def read_state(out_dir: Path, name: str) -> dict[str, Any]:
    """A set's state file (``name`` in ``out_dir``) as a mapping; {} when missing or damaged."""
    try:
        state = json.loads((out_dir / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _recorded_reads(state: dict[str, Any]) -> list[tuple[str, list[Any], str]] | None:
    """The reads a state file records, or None when it has none usable (an older or damaged file)."""
    reads = state.get("reads")
    if not isinstance(reads, list) or not isinstance(state.get("data_digest"), str):
        return None  # no record: the report runs (a notebook that reads nothing has an empty one)
    out = []
    for r in reads:
        if not (isinstance(r, list) and len(r) == 3 and isinstance(r[0], str) and isinstance(r[1], list)):
            return None
        out.append((r[0], r[1], str(r[2])))
    return out


def _read_key(sql: str, params: list[Any]) -> tuple[str, str]:
    return sql, json.dumps(params, ensure_ascii=False, sort_keys=True)


def _same_inputs(job: Job, state: dict[str, Any]) -> bool:
    """The last run of the job succeeded with the same notebook, parameters and library, and its files are there."""
    if state.get("status") != "done" or state.get("input_hash") != job.input_hash:
        return False
    out_dir = Path(job.out_dir)
    needed = [f"{job.stem}.ipynb"] + [f"{job.stem}.{f}" for f in job.formats]
    return all((out_dir / n).is_file() for n in needed)


def _fresh_digests(distinct: dict[Any, tuple[str, list[Any]]], wh: Any, url: str | None) -> dict[Any, str]:
    """Run each read again, on ``wh`` or a connection to ``url``: key -> digest of its rows.

    (Measured: spreading the reads over several connections saves little, the
    client's own work being most of the time; so one connection.)
    """
    from .. import connect

    with contextlib.ExitStack() as stack:
        if wh is None:
            wh = stack.enter_context(connect(url))
        return {key: wh.read_digest(sql, params) for key, (sql, params) in distinct.items()}


def split_unchanged(
    jobs: list[Job], *, force: bool, wh: Any = None, url: str | None = None
) -> tuple[list[Job], list[Job]]:
    """``(to run, unchanged)``: with ``force`` nothing is unchanged.

    A job is unchanged when its last run succeeded with the same inputs, its
    files are there, and every warehouse read that run recorded returns the
    same rows now. Each distinct read is run once for all the jobs (the reads
    of a kind's comparisons are shared by every report of the kind), on
    ``wh`` or on a connection to ``url``. A job with no record of its reads runs.
    """
    if force:
        return list(jobs), []
    candidates: list[tuple[Job, dict[str, Any], list[tuple[str, list[Any], str]]]] = []
    for j in jobs:
        state = read_state(Path(j.out_dir), j.state_file) if j.out_dir else {}
        reads = _recorded_reads(state) if _same_inputs(j, state) else None
        if reads is not None:
            candidates.append((j, state, reads))
    same: set[int] = set()
    if candidates:
        distinct = {}
        for _, _, reads in candidates:
            for sql, params, _ in reads:
                distinct.setdefault(_read_key(sql, params), (sql, params))
        fresh = _fresh_digests(distinct, wh, url)
        for j, state, reads in candidates:
            if all(fresh[_read_key(sql, params)] == digest for sql, params, digest in reads):
                same.add(id(j))
                j.meta["data_hash"] = (state.get("meta") or {}).get("data_hash")
    return [j for j in jobs if id(j) not in same], [j for j in jobs if id(j) in same]


def folder_problem(value: str) -> str | None:
    """Why an id from the warehouse cannot name its report's folder, or None (then ``folder_name`` is safe)."""
    reason = identifiers.problem(value)
    if reason is None and identifiers.folder_name(value) == GROUP_DIR:  # OUT/PERIOD/_grupp: the group reports'
        reason = f"its folder would be the group reports' folder {GROUP_DIR!r}"
    if reason is None and identifiers.folder_name(value) == BOOK_DIR:  # OUT/PERIOD/_bok: the books'
        reason = f"its folder would be the books' folder {BOOK_DIR!r}"
    return reason


def _targets_per_org(wh: Any, req: RunRequest, known: dict[str, str]) -> list[str]:
    from .. import figures

    # Ids on the command line: the one identifier rule, checked before anything runs (exit 2).
    orgs = [identifiers.check(o, "organisation id") for o in req.orgs]
    for o in orgs:
        if o not in known:
            figures.organisation(wh, o)  # raises, naming the nearest valid ids
        reason = folder_problem(o)
        if reason is not None:
            raise ConfigError(f"organisation id {o!r} cannot have a report: {reason}")
    targets = list(dict.fromkeys(orgs))
    targets += [o for o in known if (req.all or known[o] in req.kinds) and o not in targets]
    if not targets:
        if req.kinds:
            raise UnknownValueError(f"no organisation of kind {', '.join(req.kinds)} in the warehouse")
        raise ConfigError("which organisations? give --org ID (repeatable), --kind KIND or --all")
    return targets


def plan(req: RunRequest) -> Plan:
    """Validate the request against the warehouse and the notebook; build the jobs.

    Everything a user can get wrong (period, organisation, kind, notebook,
    format, parameter, engine, executor) is checked here, before anything
    runs or is written.
    """
    from .. import connect, figures, settings

    if req.book:
        from .books import plan_books

        return plan_books(req)
    parse_formats(req.formats)  # a bad format is an error before anything else
    audience = check_audience(req.audience)
    if req.engine not in ENGINES:
        raise ConfigError(f"unknown engine {req.engine!r}: expected {' or '.join(ENGINES)}")
    if req.executor not in EXECUTORS:
        raise ConfigError(f"unknown executor {req.executor!r}: expected {' or '.join(EXECUTORS)}")
    if req.jobs < 0:
        raise ConfigError(f"--jobs {req.jobs}: expected 1 or more")
    if req.timeout is not None and req.timeout <= 0:
        raise ConfigError(f"--timeout {req.timeout:g}: expected a positive number of seconds")
    if "\0" in str(req.out):
        raise ConfigError("--out: the path contains a NUL byte")
    for k in req.kinds:
        figures.check_kind(k)
    notebook = resolve_notebook(req.notebook)
    if audience == "kort":  # the short version of the organisation report: its own notebook, its own set
        if official_set(notebook) not in (REPORT_STEM, KORT_STEM) or notebook.stem == GROUP_NOTEBOOK:
            raise ConfigError(
                f"--audience kort is the short version of the organisation report (notebooks/{KORT_NOTEBOOK}); "
                f"it cannot be combined with --notebook {req.notebook}"
            )
        notebook = resolve_notebook(KORT_NOTEBOOK)
    declared = declared_parameters(notebook)
    if not declared:
        raise ConfigError(f"notebook {notebook.name} has no cell tagged 'parameters'")
    bad = sorted(set(req.parameters) & set(RESERVED_PARAMETERS))
    if bad:
        raise ConfigError(f"parameter {bad[0]!r} is set by ils run itself (use --org, --kind or --period)")
    check_parameters(notebook, dict(req.parameters))
    per_org = "org_id" in declared
    per_kind = not per_org and "kind" in declared
    out = Path(req.out).resolve()
    with connect(req.warehouse) as wh:
        period_s = str(figures.as_period(wh, req.period))
        orgs_df = figures.organisations(wh)
        known = dict(zip(orgs_df["org_id"], orgs_df["kind"], strict=True))
        names = dict(zip(orgs_df["org_id"], orgs_df["name"], strict=True))
        if per_org:
            targets: list[str | None] = list(_targets_per_org(wh, req, known))
        elif per_kind:
            if req.orgs:
                raise ConfigError(f"notebook {notebook.name} is run per kind: use --kind, not --org")
            # --all: the reporting kinds for the group report; every kind that has organisations for a study.
            every = list(settings.REPORTING_KINDS) if not is_study(notebook) else list(dict.fromkeys(known.values()))
            kinds = list(dict.fromkeys(req.kinds)) or (every if req.all else [])
            if not kinds:
                raise ConfigError(
                    f"notebook {notebook.name} is run per kind: give --kind KIND "
                    f"(one of {', '.join(every or settings.REPORTING_KINDS)}) or --all"
                )
            targets = list(kinds)
        else:
            if req.orgs or req.kinds:
                raise ConfigError(
                    f"notebook {notebook.name} has no org_id or kind parameter: run it without --org/--kind"
                )
            targets = [None]
        provenance = {"loads": figures.loads(wh).to_dict("records")}
        jobs, rejected = _jobs(req, notebook, declared, period_s, targets, per_org, per_kind, known, names, out)
        todo, unchanged = split_unchanged(jobs, force=req.force, wh=wh, url=req.warehouse)
    per = "org" if per_org else "kind" if per_kind else "once"
    return Plan(period_s, notebook, todo, unchanged, provenance, out, per, rejected)


def _jobs(
    req: RunRequest,
    notebook: Path,
    declared: dict[str, Any],
    period_s: str,
    targets: list[str | None],
    per_org: bool,
    per_kind: bool,
    known: dict[str, str],
    names: dict[str, str],
    out: Path,
) -> tuple[list[Job], list[JobResult]]:
    """The jobs of a run; an organisation whose id cannot name a folder is a failed result instead."""
    formats = parse_formats(req.formats)
    nb_hash = _file_hash(notebook)
    library = library_fingerprint()
    # Only the project's own report notebooks write to OUT/PERIOD/...; any other notebook (a fork
    # named report.ipynb elsewhere too) is a study with a directory of its own.
    stem = official_set(notebook)
    study = stem is None
    stem = stem or REPORT_STEM
    if study:  # the name becomes a directory: the identifier rule, and a safe folder name
        identifiers.check(notebook.stem, "notebook name")
    base = out / STUDY_DIR / identifiers.folder_name(notebook.stem) if study else out
    suffix = "" if stem == REPORT_STEM else f"/{stem}"  # a label of its own for the short version beside the report
    jobs: list[Job] = []
    rejected: list[JobResult] = []
    for t in targets:
        params = dict(req.parameters)
        if "period" in declared:
            params["period"] = period_s
        if per_org:
            params["org_id"] = t
            meta = {"org_id": t, "name": names[t], "kind": known[t], "period": period_s}
            reason = folder_problem(str(t))
            if reason is not None:  # ids from the warehouse never stop the batch: this report fails alone
                label = f"{period_s}/{t!r}{suffix}"
                error = f"organisation id {str(t)[:80]!r} is not valid: {reason}"
                rejected.append(JobResult(label, "failed", 0.0, error, "", {**meta, "notebook": notebook.stem}))
                continue
            rel = [period_s, identifiers.folder_name(str(t))]
        elif per_kind:
            params["kind"] = t
            rel = [period_s, GROUP_DIR, identifiers.folder_name(str(t))]
            plural = KIND_PLURAL.get(str(t), str(t))
            meta = {
                "kind": t,
                "name": plural[:1].upper() + plural[1:] if study else f"Mål och måluppfyllelse – {plural}",
                "period": period_s,
                "group": True,
            }
        else:
            rel = [period_s]
            meta = {"period": period_s, "name": STUDY_ALL_NAME if study else notebook.stem}
        meta["notebook"] = notebook.stem
        if study:  # what the portal lists as a study: the study's name and what one page covers
            meta["study"] = notebook.stem
            meta["scope"] = "org" if per_org else "kind" if per_kind else "all"
        if stem != REPORT_STEM:
            meta["set"] = stem
        # The data is not part of it: the recorded reads say whether the data changed (split_unchanged).
        input_hash = _hash({"notebook": nb_hash, "parameters": params, "library": library})
        label = "/".join(rel) + suffix
        jobs.append(Job(str(notebook), params, str(inside(base, *rel)), formats, label, input_hash, meta, stem))
    return jobs, rejected


@contextlib.contextmanager
def run_lock(out: Path, *, wait: bool) -> Iterator[None]:
    """Hold ``OUT/.ils-run.lock`` for the run; a second run waits (``wait``) or stops with a clear error.

    The lock is an advisory ``flock`` on the file: the operating system
    releases it when the holder exits, however it exits (``kill -9`` too).
    """
    import fcntl

    path = out / LOCK_FILE
    try:
        out.mkdir(parents=True, exist_ok=True)
        fh = path.open("a+", encoding="utf-8")
    except OSError as exc:  # a read-only or full file system: nothing can run
        raise OutputError(f"cannot write to the output directory {out}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            if not wait:
                raise RunLockedError(
                    f"another ils run is writing to {out} ({holder}): wait for it to finish, "
                    f"or pass --wait to start when it has"
                ) from None
            print(f"ils run: waiting for the run writing to {out} ({holder})", file=sys.stderr, flush=True)
            fcntl.flock(fh, fcntl.LOCK_EX)
        # Who holds it, for the message of a second run; the lock itself is the flock (a full disk
        # may refuse these few bytes: the lock holds all the same).
        with contextlib.suppress(OSError):
            fh.seek(0)
            fh.truncate()
            fh.write(
                f"pid {os.getpid()} by {getpass.getuser()} on {socket.gethostname()} since "
                f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n"
            )
            fh.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fh.seek(0)
            fh.truncate()
        with contextlib.suppress(OSError):
            fh.close()


def remove_leftovers(out: Path) -> int:
    """Remove what a killed run left (``.NAME.*.part`` files and directories, never visible under a real name)."""
    return remove_scratch(out)


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


class Reporter:
    """Progress for people and for logs: a bar on a terminal, timestamped lines otherwise."""

    def __init__(self, total: int, log: TextIO | None, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.log: TextIO | None = log
        self.log_lost = False
        self.bar = None
        isatty = getattr(self.stream, "isatty", lambda: False)
        if total and isatty() and os.environ.get("TERM") != "dumb":
            from tqdm import tqdm

            size = os.terminal_size((0, 0))
            with contextlib.suppress(OSError, ValueError, AttributeError):
                size = os.get_terminal_size(self.stream.fileno())
            # A terminal that reports no size (some pseudo-terminals) would hide the bar: assume 80x24.
            sized = {"dynamic_ncols": True} if size.columns and size.lines else {"ncols": 80, "nrows": 24}
            self.bar = tqdm(
                total=total,
                desc="Rapporter",
                unit="rapport",
                file=self.stream,
                **sized,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}] {postfix}",
            )

    def line(self, text: str, *, to_stream: bool = True) -> None:
        """A timestamped line in the run log (and on the stream: above the bar, or as is).

        When the run log cannot be written (the disk filled up) the run goes
        on: that is said once, and every line goes to the stream from then on.
        """
        stamp = _now()
        if self.log_lost:
            to_stream = True
        if self.log is not None:
            try:
                self.log.write(f"{stamp} {text}\n")
                self.log.flush()
            except OSError as exc:
                name = getattr(self.log, "name", "the run log")
                self.log, self.log_lost = None, True
                self.line(f"cannot write the run log {name}: {exc.strerror or exc}; it ends here")
                to_stream = True
        if to_stream:
            if self.bar is not None:
                self.bar.write(text, file=self.stream)
            else:
                print(f"{stamp} {text}", file=self.stream, flush=True)

    def result(self, r: JobResult) -> None:
        """One report ended."""
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(r.label, refresh=True)
        text = f"{r.status:<9} {r.label} ({r.seconds:.1f} s)" + (f": {r.error}" if r.error else "")
        self.line(text, to_stream=self.bar is None or r.status == "failed")

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()


def _execute(
    plan_: Plan, req: RunRequest, run_dir: Path, url: str, rep: Reporter, on_result: Callable[[JobResult], None]
) -> None:
    # The report processes read the warehouse from the environment, never from a parameter.
    books = plan_.per == "book"  # books read the reports on disk: made here, beside them
    if req.executor == "dask" and not books:
        from .dask_executor import run_on_dask

        iterator = run_on_dask(
            plan_.jobs,
            scheduler=req.scheduler,
            engine=req.engine,
            workers=req.jobs or None,
            timeout=req.timeout,
            env={"ILS_WAREHOUSE": url},
        )
    else:
        from .pool import cpu_count, run_many

        iterator = run_many(
            plan_.jobs,
            jobs=req.jobs or cpu_count(),
            engine=req.engine,
            timeout=req.timeout,
            env={**os.environ, "ILS_WAREHOUSE": url},
            replace_env=True,
            check_warehouse=not books,
            output_log=str(run_dir / "output.log"),
            on_start=lambda job, pid: rep.line(f"started   {job.label} (pid {pid})", to_stream=False),
        )
    for r in iterator:
        on_result(r)


def _cpus() -> int:
    from .pool import cpu_count

    return cpu_count()


def _argv() -> list[str]:
    return [redact(a) for a in sys.argv]


def _state_seen(job: Job) -> tuple[int, int] | None:
    """What the job's state file looked like (mtime, size): changed meanwhile means another run wrote it."""
    try:
        st = (Path(job.out_dir) / job.state_file).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _open_run_log(run_dir: Path, first_line: str) -> TextIO:
    """The run's log with its first line written; an :class:`OutputError` (nothing can run) when it cannot be."""
    path = run_dir / "run.log"
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        log = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write the run log {path}: {exc.strerror or exc}") from None
    try:
        log.write(f"{_now()} {first_line}\n")
        log.flush()
        os.fsync(log.fileno())  # a full disk says so here, before any report runs
    except OSError as exc:
        with contextlib.suppress(OSError):
            log.close()
        with contextlib.suppress(OSError):
            path.unlink()
            run_dir.rmdir()
        raise OutputError(f"cannot write the run log {path}: {exc.strerror or exc}") from None
    return log


@contextlib.contextmanager
def _closing_quietly(log: TextIO) -> Iterator[TextIO]:
    """Close the run log at the end; its last buffered lines may not fit on a full disk (said already)."""
    try:
        yield log
    finally:
        with contextlib.suppress(OSError):
            log.close()


def _record_failure(job: Job, r: JobResult, rep: Reporter) -> None:
    """The report could not record its failure itself (killed, timed out, not written): the run does."""
    try:
        publish_failure(job, r)
    except OutputError as exc:
        rep.line(f"could not record the failure of {r.label}: {exc}")


def run(req: RunRequest, *, stream: TextIO | None = None, plan_: Plan | None = None) -> int:
    """Run a batch; return the exit code (0 all done or unchanged, 1 if any report failed).

    Bad input raises :class:`~ilslib.errors.IlsError` before anything is
    written; a held lock raises :class:`RunLockedError` (exit code 3); an
    output directory that cannot be written to (read-only, full) raises
    :class:`~ilslib.fsutil.OutputError` (exit code 2) before any report runs.
    A report whose files cannot be written fails alone; the manifest and the
    portal are written if at all possible (exit code 1 when they are not).
    """
    stream = stream or sys.stderr
    resolved = resolve_warehouse(req.warehouse)
    started = dt.datetime.now().astimezone()
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    if plan_ is None:
        plan_ = plan(req)
    out = plan_.out
    seen = {j.label: _state_seen(j) for j in plan_.jobs}
    if plan_.jobs and (req.executor == "local" or plan_.per == "book"):
        from .pool import start_server

        start_server()  # warms up while the lock is taken and the log opened
    with run_lock(out, wait=req.wait):
        # A run that held the lock meanwhile may have done some of the work: check the reports it wrote.
        written = [j for j in plan_.jobs if _state_seen(j) != seen[j.label]]
        if plan_.per == "book":  # a book's input is the reports on disk now, made by the runs before this one
            from .books import split_unchanged_books

            plan_.jobs, more_unchanged = split_unchanged_books(plan_.jobs, force=req.force)
            plan_.unchanged += more_unchanged
        elif written:
            _, more_unchanged = split_unchanged(written, force=req.force, url=req.warehouse)
            plan_.unchanged += more_unchanged
            plan_.jobs = [j for j in plan_.jobs if j not in more_unchanged]
        leftovers = remove_leftovers(out)
        run_dir = out / RUNS_DIR / run_id
        total = len(plan_.jobs) + len(plan_.rejected)
        log = _open_run_log(
            run_dir,
            f"ils run {run_id}: period {plan_.period}, {plan_.what}, "
            f"{total} to run, {len(plan_.unchanged)} unchanged, "
            f"warehouse {redact_url(resolved.url)}, output {out}, ilslib {library_fingerprint()}",
        )
        results: list[JobResult] = []
        by_label = {j.label: j for j in plan_.jobs}
        t0 = time.monotonic()
        problems: list[str] = []  # the run's own records that could not be written
        with _closing_quietly(log):
            rep = Reporter(total, log, stream)
            if leftovers:
                rep.line(f"removed {leftovers} partial file(s) left by an interrupted run", to_stream=False)

            def on_result(r: JobResult) -> None:
                results.append(r)
                job = by_label.get(r.label)
                if r.status != "done" and not r.published and job is not None:
                    _record_failure(job, r, rep)
                rep.result(r)

            for r in plan_.rejected:  # an id in the warehouse that cannot name a folder: fails alone
                on_result(r)
            interrupted = False
            try:
                with _sigterm_as_interrupt():
                    _execute(plan_, req, run_dir, absolute_url(resolved.url), rep, on_result)
            except IlsError as exc:  # e.g. the Dask scheduler did not answer
                rep.close()
                rep.line(f"ils run {run_id}: stopped: {redact(str(exc))}", to_stream=False)
                raise
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM: record what was done, then stop
                interrupted = True
            finally:
                rep.close()
            elapsed = time.monotonic() - t0
            for j in plan_.unchanged:
                rep.line(f"unchanged {j.label}", to_stream=False)
            done = [r for r in results if r.status == "done"]
            failed = [r for r in results if r.status != "done"]
            summary = f"{len(done)} done, {len(plan_.unchanged)} unchanged, {len(failed)} failed in {elapsed:.1f} s"
            if interrupted:
                summary += f"; interrupted, {total - len(results)} not run"
            rep.line(f"ils run {run_id}: {summary}")
            for r in failed:
                # The executed notebook to open, when this run wrote one (a failure in a cell).
                job = by_label.get(r.label)
                stem = job.stem if job is not None and job.task == "notebook" else None
                kept = Path(r.out_dir) / f"{stem}.ipynb" if stem and r.out_dir and r.published else None
                seen_nb = kept is not None and kept.is_file()
                rep.line(f"  failed {r.label}: {r.error}" + (f" (see {kept})" if seen_nb else ""))
            finished = dt.datetime.now().astimezone()
            manifest = _manifest(req, plan_, resolved, run_id, started, finished, results, interrupted)
            try:
                atomic_write_text(
                    run_dir / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n"
                )
            except OutputError as exc:
                problems.append(f"the manifest was not written: {exc}")
            if _is_official(plan_):
                try:
                    _write_status_page(req, out, plan_.period)
                except (OutputError, IlsError) as exc:
                    problems.append(f"the status page was not written: {exc}")
            from .portal import write_portal

            index: Path | None = None
            try:
                index = write_portal(out)
            except OutputError as exc:
                problems.append(f"the portal was not written: {exc}")
            for text in problems:
                rep.line(f"ils run {run_id}: {text}")
    print(f"{summary}. Portal: {index or 'not written'}", file=stream, flush=True)
    if interrupted:
        raise KeyboardInterrupt
    return 1 if failed or problems else 0


def is_study(notebook: Path) -> bool:
    """True for every notebook but the project's own report notebooks (``notebooks/report``, ``group_report``).

    Only those write to ``OUT/PERIOD/...``; any other notebook (a fork named
    report.ipynb elsewhere too) is a study with a directory of its own,
    ``OUT/_studier/NAME/``.
    """
    return official_set(notebook) is None


def _is_official(plan_: Plan) -> bool:
    """True for the project's own report notebooks (not a study, not a run of books)."""
    return plan_.notebook is not None and official_set(plan_.notebook) is not None


def _write_status_page(req: RunRequest, out: Path, period: str) -> Path:
    """``OUT/PERIOD/status.html``: the reporting round's status when the reports were made."""
    from .. import connect
    from ..round.status import write_status_page

    with connect(req.warehouse) as wh:
        return write_status_page(wh, out, period)


def _manifest(
    req: RunRequest,
    plan_: Plan,
    resolved: Any,
    run_id: str,
    started: dt.datetime,
    finished: dt.datetime,
    results: list[JobResult],
    interrupted: bool,
) -> dict[str, Any]:
    """The audit record of the run (``OUT/runs/RUN-ID/manifest.json``).

    Each report lists the files of its set (name, size, SHA-256): those it
    published, or for an unchanged report those its state records.
    """
    jobs_by_label = {j.label: j for j in plan_.jobs + plan_.unchanged}
    done = [r for r in results if r.status == "done"]
    total = len(plan_.jobs) + len(plan_.rejected)
    return {
        "run_id": run_id,
        "user": getpass.getuser(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "command": _argv(),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "seconds": round((finished - started).total_seconds(), 3),
        "ilslib_version": __version__,
        "library": library_fingerprint(),
        "warehouse": redact_url(resolved.url),
        "warehouse_source": resolved.source,
        "period": plan_.period,
        "notebook": plan_.notebook.name if plan_.notebook else None,
        "notebook_sha256": _file_hash(plan_.notebook) if plan_.notebook else None,
        "audience": None if plan_.notebook is None or req.book else check_audience(req.audience),
        "books": list(req.book) or None,
        "formats": ["html", "pdf"] if req.book else list(parse_formats(req.formats)),
        "executor": req.executor,
        "scheduler": redact_url(req.scheduler) if req.scheduler else None,
        "engine": req.engine,
        "jobs": req.jobs or (None if req.executor == "dask" else _cpus()),
        "force": req.force,
        "provenance": plan_.provenance,
        "interrupted": interrupted,
        "counts": {
            "done": len(done),
            "unchanged": len(plan_.unchanged),
            "failed": len(results) - len(done),
            "not_run": total - len(results),
        },
        "reports": [
            {
                **r.to_dict(),
                "set": jobs_by_label[r.label].stem if r.label in jobs_by_label else None,
                "seconds": round(r.seconds, 3),
                "input_hash": jobs_by_label[r.label].input_hash if r.label in jobs_by_label else None,
                "data_hash": r.meta.get("data_hash"),
            }
            for r in results
        ]
        + [
            {
                "label": j.label,
                "status": "unchanged",
                "seconds": 0.0,
                "error": None,
                "out_dir": j.out_dir,
                "meta": j.meta,
                "files": read_state(Path(j.out_dir), j.state_file).get("files") or {},
                "set": j.stem,
                "input_hash": j.input_hash,
                "data_hash": j.meta.get("data_hash"),
            }
            for j in plan_.unchanged
        ],
    }


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While the reports run, SIGTERM (systemd stopping the job) stops the run like Ctrl-C."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:  # noqa: ARG001
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
