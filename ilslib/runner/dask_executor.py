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

from ..errors import WarehouseError
from .job import Job, JobResult, run_job


def _run_on_worker(job: Job, engine: str, timeout: float | None, env: dict[str, str]) -> JobResult:
    os.environ.update(env)
    try:
        from .pool import run_isolated

        return run_isolated(job, engine=engine, timeout=timeout)
    except AssertionError:  # a daemonic worker may not have children: run in the worker itself
        return run_job(job, engine=engine)


def run_on_dask(
    jobs: list[Job],
    *,
    scheduler: str | None = None,
    engine: str = "inprocess",
    workers: int | None = None,
    timeout: float | None = None,
) -> Iterator[JobResult]:
    """Submit every job to the cluster; yield results as they complete."""
    import dask
    from distributed import Client, LocalCluster, as_completed

    if not jobs:
        return
    # Only the warehouse URL travels (never a password: workers read theirs from their own environment).
    env = {k: os.environ[k] for k in ("ILS_WAREHOUSE",) if k in os.environ}
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout="15s")
        else:
            dask.config.set({"distributed.worker.daemon": False})
            cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
            client = Client(cluster)
    except OSError as exc:
        raise WarehouseError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    try:
        futures = [client.submit(_run_on_worker, j, engine, timeout, env, key=f"ils-{j.label}-{j.input_hash[:8]}",
                                 pure=False) for j in jobs]
        by_future = dict(zip(futures, jobs, strict=True))
        for fut in as_completed(futures):
            job = by_future[fut]
            try:
                yield fut.result()
            except Exception as exc:  # the worker died or the task could not run
                yield JobResult(job.label, "failed", 0.0, f"Dask task failed: {type(exc).__name__}: {exc}",
                                job.out_dir, job.meta)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
