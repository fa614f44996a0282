"""Batch runs on a local Dask cluster of 1, 2 and 4 worker processes, against the local executor.

For each cluster size a ``distributed.LocalCluster`` (worker processes, one
thread each) is started by this script, and ``ils run --all --executor dask
--scheduler ADDRESS`` runs the demo's reports on it into a new directory;
``ils run --all`` with the local executor (2 reports at a time) is timed in the
same benchmark run for comparison. Each worker runs its reports in processes
forked from its own warm fork server, so the first report of each worker pays
the warm-up. Prints wall time, reports per worker-minute and the overhead
against the local executor.

    python benchmarks/bench_dask.py                 # 1, 2, 4 workers, the whole demo (32 reports)
    python benchmarks/bench_dask.py --workers 1,2
    python benchmarks/bench_dask.py --daemon       # daemonic workers (dask worker's default): a fresh Python per report

This machine has 2 cores: 4 workers show where a cluster stops scaling when
the cores, not the workers, are the limit.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def sh(cmd: list[str], env: dict[str, str]) -> float:
    """Run a command; return its wall-clock seconds (exits if it fails)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return elapsed


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--period", default="2026-T2")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument(
        "--daemon", action="store_true", help="daemonic workers (no fork server: a fresh Python per report)"
    )
    args = ap.parse_args()
    import dask
    from distributed import LocalCluster

    tmp = Path(tempfile.mkdtemp(prefix="ils-bench-dask-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILS_")}
    env.update(HOME=str(tmp / "home"), MPLCONFIGDIR=str(tmp / "mpl"), PYTHONDONTWRITEBYTECODE="1")
    try:
        url = f"sqlite:///{tmp / 'demo.sqlite'}"
        sh([str(BIN / "ils"), "demo", "--warehouse", url], env)
        env["ILS_WAREHOUSE"] = url
        os.environ.update(env)  # the workers started below inherit the warehouse
        run = [str(BIN / "ils"), "run", "--period", args.period, "--all"]
        sh([*run[:-1], "--org", "ALN", "--out", str(tmp / "warm")], env)
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
            f"load average before: {load()}"
        )
        local = sh([*run, "--out", str(tmp / "local")], env)
        n = sum(1 for _ in (tmp / "local" / args.period).glob("*/report.html"))
        print(f"local executor (2 at a time): {local:6.1f} s for {n} reports ({n / local * 60:.0f} reports/minute)")
        for workers in (int(w) for w in args.workers.split(",")):
            t0 = time.perf_counter()
            # As ils run's own LocalCluster: non-daemonic workers, each with its warm fork server.
            with (
                dask.config.set({"distributed.worker.daemon": args.daemon}),
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster,
            ):
                started = time.perf_counter() - t0
                out = tmp / f"dask-{workers}"
                seconds = sh(
                    [*run, "--executor", "dask", "--scheduler", cluster.scheduler_address, "--out", str(out)], env
                )
            done = sum(1 for _ in (out / args.period).glob("*/report.html"))
            per_worker_minute = done / seconds * 60 / workers
            print(
                f"dask, {workers} worker(s): {seconds:6.1f} s for {done} reports "
                f"({per_worker_minute:.1f} reports per worker-minute; cluster started in {started:.1f} s; "
                f"{seconds / local:.2f} x the local executor); load average {load()}"
            )
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
