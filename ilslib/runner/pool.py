"""Running many reports: warm, isolated, parallel.

Starting a Jupyter kernel and importing pandas, matplotlib, nbconvert and
WeasyPrint costs seconds; a report's own work is a fraction of one. So the
work is done by processes that have all of that imported already:

- a *fork server* (:mod:`multiprocessing`'s ``forkserver``, started by
  :mod:`ilslib.runner.server`), once per process that runs reports, with
  :mod:`ilslib.runner.warm` preloaded: the imports done, the report template
  compiled, a chart and an HTML page drawn once (a PDF page for PDF runs);
- for each call of :func:`run_many`, a *run process* forked from it. It takes
  the caller's environment and working directory, checks once that the
  warehouse answers, warms up what its jobs' formats need beyond the server's
  warm-up and reads their notebooks once, then schedules the reports;
- for each report, a fresh *report process* forked from the run process. It
  starts with everything imported, yet nothing a previous report did (module
  globals, matplotlib settings, pandas options, the figures it computed) can
  reach the next one: it exits when its report is written. ``jobs`` report
  processes run at once.

Nothing is shared between reports but the warm imports: each report computes
its figures through its own report context (:mod:`ilslib.figures.context`),
and no function of the library is replaced or wrapped at run time.

A report process that dies (killed, out of memory, timed out) fails its own
report only. If the caller dies (``kill -9``), the run process sees its pipe
close, kills the report processes and exits; a report process whose run
process is killed is killed by the kernel (``PR_SET_PDEATHSIG``). Output files
are written atomically (:mod:`ilslib.runner.job`), so a killed report leaves
at most a hidden ``.part`` file, which the next run removes.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import selectors
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from .job import run_job
from .server import context, server_while_planning, start_server, stop_server  # noqa: F401  (re-exported)
from .sets import Job, JobResult


@dataclass
class RunSetup:
    """What the run process needs from its caller."""

    jobs: int = 1
    engine: str = "inprocess"
    timeout: float | None = None
    env: dict[str, str] = field(default_factory=dict)
    replace_env: bool = True
    cwd: str | None = None
    check_warehouse: bool = True  # connect once before the first report (reports that read the warehouse)
    output_log: str | None = None  # stdout/stderr of the report processes go here


# -- the run process ---------------------------------------------------------------------


def _set_pdeathsig() -> None:
    """Ask Linux to kill this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def _report_process(job: Job, engine: str, wfd: int) -> None:
    """Body of a forked report process: run the job, send the pickled result, exit."""
    code = 0
    try:
        _set_pdeathsig()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            result = run_job(job, engine=engine)
        except BaseException as exc:  # noqa: BLE001  (report it, whatever it was)
            result = JobResult(job.label, "failed", 0.0, f"{type(exc).__name__}: {exc}"[:300], job.out_dir, job.meta)
            code = 1
        data = pickle.dumps(result)
        view = memoryview(data)
        while view:
            n = os.write(wfd, view)
            view = view[n:]
    finally:
        os._exit(code)


def _unreachable(setup: RunSetup) -> str | None:
    """Why the warehouse cannot be reached (redacted), or None: said once for the run, not once per report."""
    if not setup.check_warehouse:
        return None
    from .. import connect
    from ..errors import UnreachableError, WarehouseError

    try:
        with connect():
            pass
    except (UnreachableError, WarehouseError) as exc:
        from ..config import redact

        return redact(str(exc))
    except Exception:  # noqa: BLE001  (anything else: each report will say what is wrong)
        return None
    return None


def _run_process(jobs_list: list[Job], setup: RunSetup, conn: Connection) -> None:
    """Body of the run process: prepare, then fork a report process per job, ``setup.jobs`` at once."""
    _set_pdeathsig()
    if setup.replace_env:
        os.environ.clear()
    os.environ.update(setup.env)
    if setup.cwd:
        os.chdir(setup.cwd)
    if setup.output_log:
        fd = os.open(setup.output_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    pending = deque(jobs_list)
    unreachable = _unreachable(setup)
    if unreachable:
        for job in pending:
            conn.send(("result", JobResult(job.label, "failed", 0.0, unreachable, job.out_dir, job.meta)))
        return
    from . import warm

    warm.for_jobs(jobs_list)  # what the server's warm-up left out (a format it was not told of), and the notebooks
    gc.freeze()  # the warm heap is shared with every report process: never scan (and so copy) it again
    sel = selectors.DefaultSelector()
    sel.register(conn.fileno(), selectors.EVENT_READ, None)
    running: dict[int, tuple[int, Job, list[bytes], float, str | None]] = {}

    def kill_all() -> None:
        for pid, *_rest in running.values():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def finish(fd: int) -> None:
        pid, job, chunks, started, why = running.pop(fd)
        sel.unregister(fd)
        os.close(fd)
        _, status = os.waitpid(pid, 0)
        result = None
        if chunks and why is None:
            with contextlib.suppress(Exception):
                result = pickle.loads(b"".join(chunks))
        if result is None:
            if why is None:
                if os.WIFSIGNALED(status):
                    why = f"the report process was killed (signal {os.WTERMSIG(status)})"
                else:
                    why = f"the report process died (exit code {os.waitstatus_to_exitcode(status)})"
            result = JobResult(job.label, "failed", time.monotonic() - started, why, job.out_dir, job.meta)
        conn.send(("result", result))

    try:
        while pending or running:
            while pending and len(running) < max(1, setup.jobs):
                job = pending.popleft()
                rfd, wfd = os.pipe()
                pid = os.fork()
                if pid == 0:  # the report process
                    os.close(rfd)
                    sel.close()
                    _report_process(job, setup.engine, wfd)
                os.close(wfd)
                running[rfd] = (pid, job, [], time.monotonic(), None)
                sel.register(rfd, selectors.EVENT_READ, pid)
                conn.send(("start", job.label, pid))
            for key, _ in sel.select(timeout=0.5):
                if key.data is None:  # the caller: a message, or its end closed (it died)
                    try:
                        conn.recv()
                    except (EOFError, OSError):
                        kill_all()
                        os._exit(1)
                    continue
                fd = key.fd
                try:
                    chunk = os.read(fd, 1 << 16)
                except OSError:
                    chunk = b""
                if chunk:
                    running[fd][2].append(chunk)
                else:
                    finish(fd)
            if setup.timeout:
                now = time.monotonic()
                for fd, (pid, job, chunks, started, why) in list(running.items()):
                    if why is None and now - started > setup.timeout:
                        with contextlib.suppress(OSError):
                            os.kill(pid, signal.SIGKILL)
                        running[fd] = (pid, job, chunks, started, f"timed out after {setup.timeout:g} s")
    finally:
        kill_all()


# -- the caller's side -------------------------------------------------------------------


def run_many(
    jobs_list: Iterable[Job],
    *,
    jobs: int = 2,
    engine: str = "inprocess",
    timeout: float | None = None,
    on_start: Callable[[Job, int], None] | None = None,
    check_warehouse: bool = True,
    env: dict[str, str] | None = None,
    replace_env: bool = False,
    output_log: str | None = None,
) -> Iterator[JobResult]:
    """Run jobs, ``jobs`` at a time, each in its own fresh process; yield results as they finish.

    ``env``: variables for the reports, added to the fork server's
    environment (``replace_env``: instead of it); default: this process's
    whole environment, instead of the fork server's. ``on_start(job, pid)``
    is called when a report process starts. ``check_warehouse``: connect
    once first; when that fails, every job fails with the reason.
    """
    todo = list(jobs_list)
    if not todo:
        return
    by_label = {j.label: j for j in todo}
    setup = RunSetup(
        jobs=max(1, jobs),
        engine=engine,
        timeout=timeout,
        env=dict(os.environ) if env is None else dict(env),
        replace_env=env is None or replace_env,
        cwd=os.getcwd(),
        check_warehouse=check_warehouse,
        output_log=output_log,
    )
    ctx = context()
    mine, theirs = ctx.Pipe(duplex=True)
    # the fork-server and spawn contexts have Process; typeshed's BaseContext does not declare it
    proc = ctx.Process(target=_run_process, args=(todo, setup, theirs), name="ils-run")  # type: ignore[attr-defined]
    proc.start()
    theirs.close()
    outstanding = dict(by_label)
    try:
        while outstanding:
            ready = wait([mine, proc.sentinel])
            if mine in ready:
                try:
                    msg = mine.recv()
                except (EOFError, OSError):
                    break
                if msg[0] == "start":
                    if on_start and msg[1] in by_label:
                        on_start(by_label[msg[1]], msg[2])
                elif msg[0] == "result":
                    result: JobResult = msg[1]
                    outstanding.pop(result.label, None)
                    yield result
            elif not mine.poll():
                break
        proc.join(timeout=10)
        code = proc.exitcode
        for job in list(outstanding.values()):
            why = f"the run process died ({'signal ' + str(-code) if code and code < 0 else f'exit code {code}'})"
            yield JobResult(job.label, "failed", 0.0, why, job.out_dir, job.meta)
    finally:
        mine.close()  # the run process sees its pipe close and stops its report processes
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join()


def run_isolated(
    job: Job, *, engine: str = "inprocess", timeout: float | None = None, env: dict[str, str] | None = None
) -> JobResult:
    """Run one job in a fresh process forked from the fork server and wait for it."""
    for result in run_many([job], jobs=1, engine=engine, timeout=timeout, env=env):
        return result
    raise RuntimeError("no result")  # pragma: no cover


def cpu_count() -> int:
    """Usable CPUs (respects the process's CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1
