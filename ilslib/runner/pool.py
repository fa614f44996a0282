"""Running many reports: warm, isolated, parallel.

Starting a Jupyter kernel and importing pandas, matplotlib, nbconvert and
WeasyPrint costs seconds; a report's own work is a fraction of one. So a
*fork server* is started once, with all of that imported and the report
template compiled (:mod:`ilslib.runner.warm`), and every report runs in a
fresh child process forked from it: imports done, yet nothing a previous
report did (globals, matplotlib settings, pandas options) can leak into the
next one, because each child exits when its report is written. ``jobs``
children run at once. A child that dies (killed, out of memory) fails its own
report only.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait

from .job import Job, JobResult, run_job

_CTX: mp.context.BaseContext | None = None


def context() -> mp.context.BaseContext:
    """The fork-server context, with the warm-up module preloaded."""
    global _CTX
    if _CTX is None:
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(method)
        if method == "forkserver":
            ctx.set_forkserver_preload(["ilslib.runner.warm"])
        _CTX = ctx
    return _CTX


def _child(job: Job, engine: str, conn: Connection) -> None:
    try:
        result = run_job(job, engine=engine)
        conn.send(result)
    finally:
        conn.close()


def run_isolated(job: Job, *, engine: str = "inprocess", timeout: float | None = None) -> JobResult:
    """Run one job in a fresh child of the fork server and wait for it."""
    for result in run_many([job], jobs=1, engine=engine, timeout=timeout):
        return result
    raise RuntimeError("no result")  # pragma: no cover


def run_many(
    jobs_list: Iterable[Job],
    *,
    jobs: int = 2,
    engine: str = "inprocess",
    timeout: float | None = None,
    on_start: Callable[[Job], None] | None = None,
) -> Iterator[JobResult]:
    """Run jobs, ``jobs`` at a time, each in its own child; yield results as they finish."""
    ctx = context()
    pending = list(jobs_list)
    pending.reverse()
    running: dict[object, tuple[Job, mp.process.BaseProcess, Connection, float]] = {}
    while pending or running:
        while pending and len(running) < max(1, jobs):
            job = pending.pop()
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(job, engine, child), name=f"ils-report-{job.label}")
            proc.start()
            child.close()
            running[proc.sentinel] = (job, proc, parent, time.monotonic())
            if on_start:
                on_start(job)
        ready = wait(list(running), timeout=1.0)
        now = time.monotonic()
        for sentinel in list(running):
            job, proc, conn, started = running[sentinel]
            if sentinel not in ready:
                if timeout and now - started > timeout:
                    proc.kill()
                    proc.join()
                    del running[sentinel]
                    conn.close()
                    yield JobResult(job.label, "failed", now - started,
                                    f"timed out after {timeout:g} s", job.out_dir, job.meta)
                continue
            proc.join()
            del running[sentinel]
            result = None
            try:
                if conn.poll():
                    result = conn.recv()
            except (EOFError, OSError):
                result = None
            finally:
                conn.close()
            if result is None:
                code = proc.exitcode
                why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                result = JobResult(job.label, "failed", now - started,
                                   f"the report process died ({why})", job.out_dir, job.meta)
            yield result


def cpu_count() -> int:
    """Usable CPUs (respects the process's CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1
