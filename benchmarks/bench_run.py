"""Batch runs: ``ils run`` against a naive loop of the papermill and nbconvert command lines.

Goals (the performance issue), on the 2-core machine, HTML only:

- ``ils run`` at least 25 times faster than a loop, per organisation, of
  ``papermill`` (CLI) plus ``jupyter nbconvert --to html --no-input`` (CLI)
  on the same notebook, for 32 reports; at least 15 times for 8 reports;
- the first report written at most 1.5 s after ``ils run`` started;
- PDF costs at most 0.3 s more per report (issue 6 asked for 0.5 s);
- rerunning an unchanged period for every organisation takes under 5 % of
  the full run (issue 6).

Everything is timed as wall-clock time of real commands in fresh processes of
this one benchmark, one after the other, on a fresh copy of the demo
warehouse: the naive loop is run once per organisation of the largest size
and the time for N reports is the sum over the first N organisations (the same
organisations ``ils run --org ...`` makes). The time to the first report is
from starting ``ils run`` until the first ``OUT/PERIOD/ORG/report.html``
exists (polled every 10 ms). The load average is printed before and after:
other work on the machine slows both sides. ``--base DIR`` also times
``ils run`` of another checkout (through ``PYTHONPATH``), alternately with this
one, for a before/after.

    python benchmarks/bench_run.py                  # the full comparison (the naive loop takes minutes)
    python benchmarks/bench_run.py --naive-sample 4 # time the naive loop on 4 organisations, extrapolate
    python benchmarks/bench_run.py --skip-naive     # only ils run (8 and 32 reports, unchanged, PDF, xlsx)
    python benchmarks/bench_run.py --base /tmp/base --repeat 2
    python benchmarks/bench_run.py --base /tmp/base --first-only --sizes 8 --repeat 5   # the first report only

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
    """Run a command in the checkout of ``env`` (its PYTHONPATH); return its wall-clock seconds (raises if it fails)."""
    kw.setdefault("cwd", env.get("PYTHONPATH") or str(REPO))
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


def ils_run(out: Path, period: str, env: dict[str, str], *extra: str, orgs: list[str] | None = None) -> float:
    """``ils run`` for ``orgs`` (every organisation when None); wall-clock seconds."""
    which = ["--all"] if orgs is None else [x for org in orgs for x in ("--org", org)]
    return sh([str(BIN / "ils"), "run", "--period", period, *which, "--out", str(out), *extra], env)


PERF = shutil.which("perf")


def _perf_cpu(path: Path) -> float | None:
    """CPU seconds (task-clock) from ``perf stat -x, -o PATH`` output, or None."""
    try:
        for line in path.read_text().splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[2] == "task-clock" and fields[1] == "msec":
                return float(fields[0]) / 1000
    except (OSError, ValueError):
        pass
    return None


def ils_run_first(
    out: Path, period: str, env: dict[str, str], orgs: list[str] | None
) -> tuple[float, float, float | None]:
    """``ils run`` (HTML) into a new directory: (seconds to the first report.html, seconds in all, CPU seconds).

    The CPU seconds are those of every process of the run (the command, its fork server, the run and report
    processes), counted by ``perf stat`` when it is installed (else None): less disturbed by other work on
    the machine than the wall-clock times.
    """
    which = ["--all"] if orgs is None else [x for org in orgs for x in ("--org", org)]
    cmd = [str(BIN / "ils"), "run", "--period", period, *which, "--out", str(out)]
    perf_out = out.parent / f"{out.name}.perf"
    if PERF:
        cmd = [PERF, "stat", "-x,", "-e", "task-clock", "-o", str(perf_out), *cmd]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=env.get("PYTHONPATH") or REPO
    )
    first = None
    where = out / period
    while proc.poll() is None:
        if first is None and where.is_dir() and any(where.glob("*/report.html")):
            first = time.perf_counter() - t0
        time.sleep(0.01)
    elapsed = time.perf_counter() - t0
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{stdout[-2000:]}\n{stderr[-3000:]}")
    return (first if first is not None else elapsed), elapsed, _perf_cpu(perf_out) if PERF else None


def child_cpu(cmd: list[str], env: dict[str, str], repeat: int = 3) -> float:
    """The least CPU seconds (user + system) of a command over ``repeat`` runs, itself and its waited children."""
    import resource

    best = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=env.get("PYTHONPATH") or str(REPO))
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return best


# The steps on the way to the first report, each in a fresh Python, timed in CPU seconds (less disturbed by
# other work than wall-clock time): what the fork server can overlap, and what it must wait for.
PHASES = {
    "python alone": "pass",
    "the command's imports before the server starts": "import ilslib.cli",
    "the command's imports and options (parser)": "import ilslib.cli as c; c.build_parser()",
    "the fork server's warm-up, HTML run": "import os; os.environ['ILS_WARM_FORMATS'] = 'html'; import ilslib.runner.warm",
    "the fork server's warm-up, every format": "import os; os.environ['ILS_WARM_FORMATS'] = 'all'; "
    "import ilslib.runner.warm",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--period", default="2026-T2")
    ap.add_argument("--warehouse", help="sqlite:///PATH of a demo warehouse (default: a fresh 'ils demo')")
    ap.add_argument("--sizes", default="8,32", help="numbers of reports to compare (default 8,32)")
    ap.add_argument(
        "--naive-sample",
        type=int,
        default=0,
        metavar="N",
        help="time the naive loop on N organisations only and extrapolate (default: as many as the largest size)",
    )
    ap.add_argument("--skip-naive", action="store_true", help="do not run the naive loop")
    ap.add_argument("--repeat", type=int, default=1, help="time ils run this many times; report the best")
    ap.add_argument("--base", help="another checkout whose ils run is timed too (the version before)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument(
        "--first-only",
        action="store_true",
        help="time only the runs of --sizes and their first report (no unchanged, PDF, xlsx or naive loop)",
    )
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ils-bench-run-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILS_")}
    env.update(HOME=str(tmp / "home"), MPLCONFIGDIR=str(tmp / "mpl"))
    # Compiled modules (.pyc) as an installation has them, kept in the temporary directory rather than written
    # into either checkout: without them (PYTHONDONTWRITEBYTECODE) every process compiles ilslib's sources
    # again, about 0.1-0.2 s of CPU on the way to the first report that no installed ilslib pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    try:
        url = args.warehouse
        if not url:
            url = f"sqlite:///{tmp / 'demo.sqlite'}"
            sh([str(BIN / "ils"), "demo", "--warehouse", url], env)
        env["ILS_WAREHOUSE"] = url
        orgs = organisations(url)
        n = len(orgs)
        sizes = sorted({min(int(x), n) for x in args.sizes.split(",")})
        top = sizes[-1]  # the largest size: the unchanged rerun and the other formats are timed on it
        top_orgs = None if top == n else orgs[:top]
        versions = [("this", dict(env, PYTHONPATH=str(REPO)))]
        if args.base:
            versions.insert(0, ("base", dict(env, PYTHONPATH=str(Path(args.base).resolve()))))
        # Warm the operating system's file cache, matplotlib's font cache and the compiled modules for both sides.
        for _, venv in versions:
            sh([str(BIN / "ils"), "run", "--period", args.period, "--org", orgs[0], "--out", str(tmp / "warm")], venv)
            shutil.rmtree(tmp / "warm")
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
        )
        print(f"data: the demo warehouse ({url}), period {args.period}, {n} organisations")
        print(f"load average before: {load()}")

        # best[(version, what)] = seconds
        runs: dict[tuple[str, str], list[float]] = {}

        def note(version: str, what: str, seconds: float) -> None:
            runs.setdefault((version, what), []).append(seconds)
            print(f"  [{version}] {what}: {seconds:.2f} s", flush=True)

        for i in range(args.repeat):
            for label, venv in versions if i % 2 == 0 else list(reversed(versions)):
                for size in sizes:
                    out = tmp / f"out-{label}-{size}-{i}"
                    first, full, cpu = ils_run_first(out, args.period, venv, None if size == n else orgs[:size])
                    note(label, f"html {size}", full)
                    note(label, f"first report {size}", first)
                    if cpu is not None:
                        note(label, f"cpu html {size}", cpu)
                    if size == top and not args.first_only:
                        note(label, "unchanged", ils_run(out, args.period, venv, orgs=top_orgs))
                    shutil.rmtree(out)
                for fmt in () if args.first_only else ("html,pdf", "html,xlsx"):
                    out = tmp / f"out-{label}-{fmt}-{i}"
                    note(label, fmt, ils_run(out, args.period, venv, "--format", fmt, orgs=top_orgs))
                    shutil.rmtree(out)

        def best(label: str, what: str) -> float:
            return min(runs[(label, what)])

        if args.first_only:
            print("-- CPU seconds of the steps before the first report (least of 3, each in a fresh Python):")
            for what, code in PHASES.items():
                cells = "   ".join(
                    f"{label} {child_cpu([sys.executable, '-c', code], venv):.2f} s" for label, venv in versions
                )
                print(f"   {what:<50} {cells}")
            for label, _ in versions:
                for size in sizes:
                    firsts = ", ".join(f"{x:.2f}" for x in runs[(label, f"first report {size}")])
                    print(
                        f"-- {label}: first report of {size} after {firsts} s (best {best(label, f'first report {size}'):.2f} s)"
                    )
                    firsts = sorted(runs[(label, f"first report {size}")])
                    print(f"   median {firsts[len(firsts) // 2]:.2f} s")
                    cpus = sorted(runs.get((label, f"cpu html {size}"), []))
                    if cpus:
                        print(
                            f"   CPU of the whole run (every process, perf stat): median {cpus[len(cpus) // 2]:.2f} s, "
                            f"best {cpus[0]:.2f} s"
                        )
            first = min(best("this", f"first report {size}") for size in sizes)
            print(f"goal first report <= 1.5 s: {first:.2f} s {'met' if first <= 1.5 else 'NOT MET'}")
            print(f"load average after: {load()}")
            return 0 if first <= 1.5 else 1

        ok = True
        for label, _ in versions:
            print(f"-- ils run ({label} checkout), best of {args.repeat}:")
            for size in sizes:
                full = best(label, f"html {size}")
                print(
                    f"ils run, {size:2d} reports (HTML):      {full:7.1f} s   ({full / size:.2f} s per report; "
                    f"first report after {best(label, f'first report {size}'):.2f} s)"
                )
            full = best(label, f"html {top}")
            noop = best(label, "unchanged")
            print(
                f"ils run, {top} reports, nothing changed: {noop:7.2f} s   ({100 * noop / full:.1f} % of the full run)"
            )
            for fmt in ("html,pdf", "html,xlsx"):
                extra = (best(label, fmt) - full) / top
                print(
                    f"ils run, {top} reports, --format {fmt:<9}: {best(label, fmt):7.1f} s   ({extra:+.2f} s per report)"
                )
        full = best("this", f"html {top}")
        first = min(best("this", f"first report {size}") for size in sizes)
        pdf_extra = (best("this", "html,pdf") - full) / top
        print(f"goal first report <= 1.5 s: {first:.2f} s {'met' if first <= 1.5 else 'NOT MET'}")
        print(f"goal PDF <= +0.3 s per report: {pdf_extra:+.2f} s {'met' if pdf_extra <= 0.3 else 'NOT MET'}")
        ok = first <= 1.5 and pdf_extra <= 0.3 and best("this", "unchanged") < 0.05 * full

        if not args.skip_naive:
            sample = orgs[: args.naive_sample or max(sizes)]
            work = tmp / "naive"
            work.mkdir()
            per_org = [naive_loop([org], args.period, work, env) for org in sample]
            for size in sizes:
                if size <= len(per_org):
                    naive, how = sum(per_org[:size]), "measured"
                else:
                    naive = sum(per_org) / len(per_org) * size
                    how = f"{len(per_org)} measured, extrapolated to {size}"
                goal = 25 if size >= 32 else 15
                print(f"naive loop, {size:2d} reports (papermill + nbconvert CLI): {naive:7.1f} s ({how})")
                for label, _ in versions:
                    ratio = naive / best(label, f"html {size}")
                    met = ratio >= goal
                    print(f"ratio naive / ils run ({label}), {size:2d} reports: {ratio:6.1f} x   (goal >= {goal} x)")
                    if label == "this":
                        ok = ok and met
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
