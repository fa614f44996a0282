"""``ils run``: plan the reports of a period, skip unchanged ones, run the rest, record everything.

The parts, each small enough to read at once:

- :mod:`~ilslib.runner.request`: what a run is asked to do and every check of it;
- :mod:`~ilslib.runner.plan`: the jobs of a run (period, organisations, directories);
- :mod:`~ilslib.runner.incremental`: what is unchanged since the last run;
- :mod:`~ilslib.runner.layout`: the output directory's layout;
- :mod:`~ilslib.runner.lock`: one run at a time per output directory;
- :mod:`~ilslib.runner.progress`: the progress bar and the run log;
- :mod:`~ilslib.runner.manifest`: the record of the run;
- this module: :func:`run`, which takes a plan through the lock, the report
  processes (:mod:`~ilslib.runner.pool` or :mod:`~ilslib.runner.dask_executor`),
  the log, the manifest, the status page and the portal.

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
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from ..config import redact, redact_url, resolve_warehouse
from ..errors import IlsError
from ..fsutil import OutputError, atomic_write_text
from ..warehouse import absolute_url
from .incremental import library_fingerprint, split_unchanged
from .layout import RUNS_DIR
from .lock import remove_leftovers, run_lock
from .manifest import build_manifest
from .plan import plan
from .progress import Reporter, closing_quietly, open_run_log
from .request import Plan, RunRequest, official_set
from .sets import Job, JobResult, publish_failure


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
            warn=rep.line,
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


def _state_seen(job: Job) -> tuple[int, int] | None:
    """What the job's state file looked like (mtime, size): changed meanwhile means another run wrote it."""
    try:
        st = (Path(job.out_dir) / job.state_file).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


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
        from .server import server_while_planning

        # the warm-up overlaps the plan; stopped on a bad request
        with server_while_planning(needs_server(req), _warm_formats(req)):
            plan_ = plan(req)
    out = plan_.out
    seen = {j.label: _state_seen(j) for j in plan_.jobs}
    if plan_.jobs and (req.executor == "local" or plan_.per == "book"):
        from .server import start_server

        # a no-op when started before the plan; else it warms up while the lock is taken
        start_server(_warm_formats(req, plan_.jobs))
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
        log = open_run_log(
            run_dir,
            f"ils run {run_id}: period {plan_.period}, {plan_.what}, "
            f"{total} to run, {len(plan_.unchanged)} unchanged, "
            f"warehouse {redact_url(resolved.url)}, output {out}, ilslib {library_fingerprint()}",
        )
        results: list[JobResult] = []
        by_label = {j.label: j for j in plan_.jobs}
        t0 = time.monotonic()
        problems: list[str] = []  # the run's own records that could not be written
        with closing_quietly(log):
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
            manifest = build_manifest(req, plan_, resolved, run_id, started, finished, results, interrupted)
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


def _warm_formats(req: RunRequest, jobs: list[Job] | None = None) -> list[str]:
    """The formats the fork server is to warm up for: the request's (the jobs' when planned; books bind PDFs)."""
    if jobs:
        formats = {f for j in jobs for f in j.formats}
    else:
        from .request import parse_formats

        try:
            formats = set(parse_formats(req.formats))
        except IlsError:  # a bad format: the plan says so, with every other check, in its order
            formats = {"html"}
    if req.book or (jobs and any(j.task == "book" for j in jobs)):
        formats.add("pdf")
    return sorted(formats)


def needs_server(req: RunRequest) -> bool:
    """True when the request's reports run in processes forked from the local fork server (not on Dask)."""
    return req.executor == "local" or bool(req.book)


def _is_official(plan_: Plan) -> bool:
    """True for the project's own report notebooks (not a study, not a run of books)."""
    return plan_.notebook is not None and official_set(plan_.notebook) is not None


def _write_status_page(req: RunRequest, out: Path, period: str) -> Path:
    """``OUT/PERIOD/status.html``: the reporting round's status when the reports were made."""
    from .. import connect
    from ..round.status import write_status_page

    with connect(req.warehouse) as wh:
        return write_status_page(wh, out, period)


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
