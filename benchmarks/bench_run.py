"""Batch runs: ``ils run --all`` against a naive loop of the papermill and nbconvert command lines.

Goals (issue 6), on the 2-core machine:

- the whole demo (every organisation, one period, HTML) at least 10 times
  faster with ``ils run --all`` than with a loop, per organisation, of
  ``papermill`` (CLI) plus ``jupyter nbconvert --to html --no-input`` (CLI)
  on the same notebook;
- PDF costs less than 0.5 s more per report;
- rerunning an unchanged period for every organisation takes under 5 % of
  the full run.

Everything is timed as wall-clock time of real commands in fresh processes,
one after the other, on a fresh copy of the demo warehouse. The load average
is printed before and after: other work on the machine slows both sides.

    python benchmarks/bench_run.py                  # the full comparison (the naive loop takes minutes)
    python benchmarks/bench_run.py --naive-sample 4 # time the naive loop on 4 organisations, extrapolate
    python benchmarks/bench_run.py --skip-naive     # only ils run (full, unchanged, PDF)

Exits non-zero when a goal is not met.
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
NOTEBOOK = REPO / "notebooks" / "report.ipynb"


def sh(cmd: list[str], env: dict[str, str], **kw) -> float:
    """Run a command; return its wall-clock seconds (raises if it fails)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return elapsed


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def organisations(url: str) -> list[str]:
    import ilslib
    from ilslib import figures

    with ilslib.connect(url) as wh:
        return list(figures.organisations(wh)["org_id"])


def naive_loop(orgs: list[str], period: str, work: Path, env: dict[str, str]) -> float:
    """papermill CLI + nbconvert CLI per organisation; total seconds."""
    total = 0.0
    for org in orgs:
        executed = work / f"{org}.ipynb"
        total += sh(
            [
                str(BIN / "papermill"),
                str(NOTEBOOK),
                str(executed),
                "-p",
                "org_id",
                org,
                "-p",
                "period",
                period,
                "--no-progress-bar",
                "--cwd",
                str(NOTEBOOK.parent),
            ],
            env,
        )
        total += sh(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed), "--output-dir", str(work)],
            env,
        )
    return total


def ils_run(out: Path, period: str, env: dict[str, str], *extra: str) -> float:
    return sh([str(BIN / "ils"), "run", "--period", period, "--all", "--out", str(out), *extra], env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--period", default="2026-T2")
    ap.add_argument("--warehouse", help="sqlite:///PATH of a demo warehouse (default: a fresh 'ils demo')")
    ap.add_argument(
        "--naive-sample",
        type=int,
        default=0,
        metavar="N",
        help="time the naive loop on N organisations only and extrapolate (default: all)",
    )
    ap.add_argument("--skip-naive", action="store_true", help="do not run the naive loop")
    ap.add_argument("--repeat", type=int, default=1, help="time ils run this many times; report the best")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ils-bench-run-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILS_")}
    env.update(HOME=str(tmp / "home"), MPLCONFIGDIR=str(tmp / "mpl"), PYTHONDONTWRITEBYTECODE="1")
    try:
        url = args.warehouse
        if not url:
            url = f"sqlite:///{tmp / 'demo.sqlite'}"
            sh([str(BIN / "ils"), "demo", "--warehouse", url], env)
        env["ILS_WAREHOUSE"] = url
        orgs = organisations(url)
        n = len(orgs)
        # Warm the operating system's file cache and matplotlib's font cache for both sides.
        sh([str(BIN / "ils"), "run", "--period", args.period, "--org", orgs[0], "--out", str(tmp / "warm")], env)
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
        )
        print(f"data: the demo warehouse ({url}), period {args.period}, {n} organisations")
        print(f"load average before: {load()}")

        fulls, noops, pdfs = [], [], []
        for i in range(args.repeat):
            out = tmp / f"out-{i}"
            fulls.append(ils_run(out, args.period, env))
            noops.append(ils_run(out, args.period, env))
            pdfs.append(ils_run(tmp / f"out-pdf-{i}", args.period, env, "--format", "html,pdf"))
            shutil.rmtree(out)
            shutil.rmtree(tmp / f"out-pdf-{i}")
        full, noop, pdf = min(fulls), min(noops), min(pdfs)
        print(f"ils run --all (HTML):                {full:7.1f} s   ({full / n:.2f} s per report)")
        print(
            f"ils run --all, nothing changed:      {noop:7.2f} s   ({100 * noop / full:.1f} % of the full run; "
            f"goal < 5 %)"
        )
        extra = (pdf - full) / n
        print(f"ils run --all --format html,pdf:     {pdf:7.1f} s   (PDF: {extra:+.2f} s per report; goal < 0.5 s)")
        ok = noop < 0.05 * full and extra < 0.5

        if not args.skip_naive:
            sample = orgs[: args.naive_sample] if args.naive_sample else orgs
            work = tmp / "naive"
            work.mkdir()
            naive = naive_loop(sample, args.period, work, env)
            per = naive / len(sample)
            estimate = per * n
            how = "measured" if len(sample) == n else f"{len(sample)} measured, extrapolated to {n}"
            print(f"naive loop (papermill + nbconvert CLI): {estimate:7.1f} s   ({per:.2f} s per report; {how})")
            ratio = estimate / full
            print(f"ratio naive / ils run:               {ratio:7.1f} x   (goal >= 10 x)")
            ok = ok and ratio >= 10
        print(f"load average after: {load()}")
        print("goals met" if ok else "GOAL NOT MET")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
