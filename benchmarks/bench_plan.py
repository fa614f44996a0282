"""Planning a batch: how long ``ils run --period latest --all`` takes before any report is written.

Planning checks every report's recorded reads against the warehouse (each
distinct read once) to tell which reports are unchanged. Timed, on the demo
warehouse (32 organisations), embedded and on PostgreSQL over ODBC:

- a full run into a new directory (``ils run --period latest --all``);
- the same command again, nothing changed: the whole command, and the plan
  alone (``ilslib.runner.batch.plan`` in a fresh process, after its imports);
- after one comment changed: from the start of ``ils run`` to the first report
  written (its state file replaced), the goal of a later issue being <= 1.5 s.

``--base DIR`` runs the same with another ilslib (e.g. ``git archive COMMIT |
tar -x -C DIR``), for a before/after comparison on the same machine and load.

    python benchmarks/bench_plan.py                    # embedded and PostgreSQL
    python benchmarks/bench_plan.py --no-postgres --repeat 3
    python benchmarks/bench_plan.py --base /tmp/ils-main
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # pgcluster.py

PLAN = """
import sys, time
t0 = time.perf_counter()
from ilslib.runner.plan import plan
from ilslib.runner.request import RunRequest
t1 = time.perf_counter()
p = plan(RunRequest(period="latest", all=True, out=sys.argv[1]))
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {len(p.jobs)} {len(p.unchanged)}")
"""


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


class Side:
    """One ilslib to time: this checkout, or another one given with --base."""

    def __init__(self, name: str, root: Path, env: dict[str, str]):
        self.name, self.root = name, root
        self.env = dict(env)
        if root != ROOT:
            self.env["PYTHONPATH"] = str(root)

    def ils(self, *args: str) -> float:
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "ilslib", *args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"{self.name}: ils {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        return elapsed

    def plan(self, out: Path) -> tuple[float, float, int, int]:
        proc = subprocess.run(
            [sys.executable, "-c", PLAN, str(out)], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            sys.exit(f"{self.name}: plan failed:\n{proc.stderr[-3000:]}")
        imp, pl, todo, same = proc.stdout.split()
        return float(imp), float(pl), int(todo), int(same)

    def first_written(self, out: Path, state: Path) -> tuple[float, float]:
        """Seconds from the start of ``ils run --all`` to ``state`` being replaced, and to the end."""
        before = state.stat().st_mtime_ns
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "ilslib", "run", "--period", "latest", "--all", "--out", str(out)],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        first = None
        while proc.poll() is None:
            try:
                if first is None and state.stat().st_mtime_ns != before:
                    first = time.perf_counter() - t0
            except FileNotFoundError:
                pass
            time.sleep(0.005)
        total = time.perf_counter() - t0
        if first is None and state.stat().st_mtime_ns != before:
            first = total
        return (first if first is not None else float("nan")), total


def change_a_comment(url: str, env: dict[str, str], n: int) -> None:
    import ilslib

    old = {k: os.environ.get(k) for k in ("ILS_WAREHOUSE_PASSWORD",)}
    if "ILS_WAREHOUSE_PASSWORD" in env:
        os.environ["ILS_WAREHOUSE_PASSWORD"] = env["ILS_WAREHOUSE_PASSWORD"]
    try:
        with ilslib.connect(url) as wh:
            period = str(__import__("ilslib.figures", fromlist=["x"]).latest_period(wh))
            wh.execute(
                "UPDATE ils_comment SET text = text || ? WHERE org_id = ? AND period = ?",
                (f" Ändrad {n}.", "ALN", period),
            )
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def measure(label: str, url: str, sides: list[Side], work: Path, repeat: int) -> None:
    print(f"\n{label}: {url.split(';PWD')[0]}")
    for side in sides:
        side.env["ILS_WAREHOUSE"] = url
        fulls, again, plans, imports, firsts, changed_totals = [], [], [], [], [], []
        for i in range(repeat):
            out = work / f"out-{side.name}-{label}-{i}"
            shutil.rmtree(out, ignore_errors=True)
            fulls.append(side.ils("run", "--period", "latest", "--all", "--out", str(out)))
            again.append(side.ils("run", "--period", "latest", "--all", "--out", str(out)))
            imp, pl, todo, same = side.plan(out)
            assert todo == 0 and same == 32, (todo, same)
            imports.append(imp)
            plans.append(pl)
            change_a_comment(url, side.env, i)
            state = next(out.glob("*/ALN/.ils-state.json"))
            first, total = side.first_written(out, state)
            firsts.append(first)
            changed_totals.append(total)
        print(
            f"  {side.name:<5} full run {min(fulls):6.1f} s | unchanged: ils run {min(again):5.2f} s, "
            f"plan {min(plans):5.3f} s (imports {min(imports):4.2f} s) | one comment changed: first report "
            f"written after {min(firsts):4.2f} s, run {min(changed_totals):4.2f} s | load {load()}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--base", type=Path, help="another ilslib checkout to compare with (its repository root)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ils-bench-plan-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILS_")}
    env.update(HOME=str(work / "home"), MPLCONFIGDIR=str(work / "mpl"), PYTHONDONTWRITEBYTECODE="1")
    (work / "home").mkdir()
    sides = [Side("new", ROOT, env)]
    if args.base:
        sides.insert(0, Side("base", args.base.resolve(), env))
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; load before {load()}"
    )
    try:
        url = f"sqlite:///{work / 'demo.sqlite'}"
        sides[-1].ils("demo", "--warehouse", url)
        measure("embedded", url, sides, work, args.repeat)
        if not args.no_postgres:
            import pgcluster

            from ilslib import demo

            reason = pgcluster.available()
            if reason:
                print(f"PostgreSQL skipped: {reason}")
                return 0
            with pgcluster.cluster() as pg:
                pg.create_database("bench")
                os.environ["ILS_WAREHOUSE_PASSWORD"] = pg.password
                demo.build(pg.url("bench"))
                for side in sides:
                    side.env["ILS_WAREHOUSE_PASSWORD"] = pg.password
                measure("postgresql", pg.url("bench"), sides, work, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
