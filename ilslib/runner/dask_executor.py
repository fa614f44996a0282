"""Running the same jobs on a Dask distributed cluster.

Each job is a task; on the worker it runs exactly as locally (in a fresh child
of the worker's fork server when the worker may have children, in process
otherwise), and writes its files into the output directory, which must
therefore be shared by every worker (a network file system). Without
``--scheduler`` a ``LocalCluster`` is started for the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..errors import IlsError
from .job import Job, JobResult, run_job


class DaskUnreachableError(IlsError):
    """The Dask scheduler given with ``--scheduler`` did not answer."""


def _run_on_worker(job: Job, engine: str, timeout: float | None, env: dict[str, str]) -> JobResult:
    """On a worker: the job in a fresh process of the worker's own fork server."""
    try:
        from .pool import run_isolated

        return run_isolated(job, engine=engine, timeout=timeout, env=env)
    except AssertionError:  # a daemonic worker may not have children: run in the worker itself
        os.environ.update(env)
        return run_job(job, engine=engine)


def run_on_dask(
    jobs: list[Job],
    *,
    scheduler: str | None = None,
    engine: str = "inprocess",
    workers: int | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[JobResult]:
    """Submit every job to the cluster; yield results as they complete.

    ``env`` is added to each worker's environment for the job (the warehouse
    URL; never a password: workers read theirs from their own environment).
    """
    import dask
    from distributed import Client, LocalCluster, as_completed

    from ..config import connect_timeout

    if not jobs:
        return
    env = dict(env or {})
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=f"{connect_timeout():g}s")
        else:
            # Workers that may start processes of their own: each report runs in a fresh one.
            with dask.config.set({"distributed.worker.daemon": False}):
                cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
            client = Client(cluster)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise DaskUnreachableError(
            f"cannot reach the Dask scheduler {scheduler or '(local cluster)'} within "
            f"{connect_timeout():g} s: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__} "
            f"(set ILS_CONNECT_TIMEOUT to wait longer)") from None
    try:
        futures = [client.submit(_run_on_worker, j, engine, timeout, env,
                                 key=f"ils-{j.label.replace('/', '_')}-{j.input_hash[:8]}", pure=False)
                   for j in jobs]
        by_future = dict(zip(futures, jobs, strict=True))
        for fut in as_completed(futures):
            job = by_future[fut]
            try:
                yield fut.result()
            except Exception as exc:  # noqa: BLE001  (the worker died or the task could not run)
                yield JobResult(job.label, "failed", 0.0, f"Dask task failed: {type(exc).__name__}: {exc}"[:300],
                                job.out_dir, job.meta)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
