"""Running the same jobs on a Dask distributed cluster.

Each job is a task; on the worker it runs exactly as locally, in a fresh
process forked from the worker's own warm fork server (or, on a daemonic
worker, in a fresh Python process), and writes its files into the output
directory, which must therefore be the same path on every worker (a network
file system). Without ``--scheduler`` a ``LocalCluster`` is started for the
run. The warehouse URL travels with each task; a password never does: each
worker reads ``ILS_WAREHOUSE_PASSWORD`` from its own environment.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import IlsError
from .sets import Job, JobResult


class DaskUnreachableError(IlsError):
    """The Dask scheduler given with ``--scheduler`` did not answer."""


def _run_in_subprocess(job: Job, engine: str, timeout: float | None, env: dict[str, str]) -> JobResult:
    """The job in a fresh Python process (slower: nothing is imported yet; as isolated)."""
    import pickle
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ils-job-") as tmp:
        args, result = os.path.join(tmp, "job.pickle"), os.path.join(tmp, "result.pickle")
        with open(args, "wb") as fh:
            pickle.dump((job, engine), fh)
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "ilslib.runner.job", args, result],
                env={**os.environ, **env},
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return JobResult(
                job.label, "failed", timeout or 0.0, f"timed out after {timeout:g} s", job.out_dir, job.meta
            )
        try:
            with open(result, "rb") as fh:
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError):
            from ..config import redact

            last = [redact(ln) for ln in (proc.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:]] or [
                ""
            ]
            return JobResult(
                job.label,
                "failed",
                0.0,
                f"the report process died (exit code {proc.returncode}) {last[0]}"[:300].strip(),
                job.out_dir,
                job.meta,
            )


def _run_on_worker(job: Job, engine: str, timeout: float | None, env: dict[str, str]) -> JobResult:
    """On a worker: the job in a fresh process of the worker's own fork server.

    A worker started as a daemonic process (``dask worker`` by default) may
    not start processes through multiprocessing: there each job runs in a
    fresh Python process instead (set ``DASK_DISTRIBUTED__WORKER__DAEMON=False``
    for the warm, faster way).
    """
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return _run_in_subprocess(job, engine, timeout, env)
    from .pool import run_isolated

    return run_isolated(job, engine=engine, timeout=timeout, env=env)


def _is_daemonic() -> bool:
    """On a worker: True when it is a daemonic process (it may not fork warm report processes)."""
    import multiprocessing

    return bool(multiprocessing.current_process().daemon)


def daemonic_workers(client: Any) -> int:
    """How many of the cluster's connected workers are daemonic (0 when they cannot be asked)."""
    try:
        answers = client.run(_is_daemonic, on_error="return")
    except Exception:  # noqa: BLE001  (only a warning depends on it)
        return 0
    return sum(1 for value in answers.values() if value is True)


def run_on_dask(
    jobs: list[Job],
    *,
    scheduler: str | None = None,
    engine: str = "inprocess",
    workers: int | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Iterator[JobResult]:
    """Submit every job to the cluster; yield results as they complete.

    ``env`` is added to each worker's environment for the job (the warehouse
    URL; never a password: workers read theirs from their own environment).
    ``warn(line)`` is told when workers are daemonic (``dask worker``'s
    default): each report there starts a fresh Python, about five times slower.
    """
    import dask
    from distributed import Client, LocalCluster, as_completed

    from ..config import connect_timeout

    if not jobs:
        return
    env = dict(env or {})
    # distributed logs at INFO to stderr; a scheduled job's log is for ils's own lines.
    for name in (
        "distributed",
        "distributed.scheduler",
        "distributed.nanny",
        "distributed.worker",
        "distributed.core",
        "distributed.http.proxy",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=f"{connect_timeout():g}s")
        else:
            # Workers that may start processes of their own: each report runs in a fresh one.
            with dask.config.set({"distributed.worker.daemon": False}):
                cluster = LocalCluster(
                    n_workers=workers or 2,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=40,
                )
            client = Client(cluster)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise DaskUnreachableError(
            f"cannot reach the Dask scheduler {scheduler or '(local cluster)'} within "
            f"{connect_timeout():g} s: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__} "
            f"(set ILS_CONNECT_TIMEOUT to wait longer)"
        ) from None
    try:
        if warn is not None:
            daemonic = daemonic_workers(client)
            if daemonic:
                warn(
                    f"warning: {daemonic} Dask worker(s) are daemonic: each report starts a fresh Python there "
                    "(about 5 times slower); start workers with DASK_DISTRIBUTED__WORKER__DAEMON=False"
                )
        futures = [
            client.submit(
                _run_on_worker,
                j,
                engine,
                timeout,
                env,
                key=f"ils-{j.label.replace('/', '_')}-{j.input_hash[:8]}",
                pure=False,
            )
            for j in jobs
        ]
        by_future = dict(zip(futures, jobs, strict=True))
        for fut in as_completed(futures):
            job = by_future[fut]
            try:
                yield fut.result()
            except Exception as exc:  # noqa: BLE001  (the worker died or the task could not run)
                yield JobResult(
                    job.label,
                    "failed",
                    0.0,
                    f"Dask task failed: {type(exc).__name__}: {exc}"[:300],
                    job.out_dir,
                    job.meta,
                )
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
