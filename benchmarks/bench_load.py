"""Benchmark: ``ils load`` of a 1-million-row ledger file.

Generates a load directory (a few organisations and a ledger CSV of N rows,
default 1 000 000, with decimal commas, thousands separators and åäö like a
real Swedish export), then times ``ils load`` as a subprocess:

1. into a fresh embedded warehouse (first load: insert only);
2. the same directory again (every row replaces an existing one);
3. into PostgreSQL over ODBC (psqlODBC, a throwaway cluster from
   ``tests/pgcluster.py``), first load; with ``--pg-reload`` also the reload.

Prints wall time, CPU time (user + system) and the peak resident memory of the
``ils`` process, its forked checker included (``ils load`` checks a big CSV
file in a child process while the parent writes: their CPU times are added,
and so are their peaks, which overstates the memory a little).
The goals: at most 5 s and 1 GiB on the embedded warehouse (the performance
issue; issue 3 asked for 30 s), at most 12 s on PostgreSQL over ODBC.

With ``--base DIR`` (another checkout of the repository, e.g. made with
``git archive COMMIT | tar -x -C DIR``) every case is timed for both
versions, alternately, in this one process tree (the same virtual
environment; the other version through ``PYTHONPATH``), each into its own
fresh warehouse, and the ratio printed: a loaded machine slows both sides.

    python benchmarks/bench_load.py             # 1M rows, embedded + PostgreSQL
    python benchmarks/bench_load.py --rows 200000 --no-pg
    python benchmarks/bench_load.py --base /tmp/base --repeat 2
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

N_ORGS = 40


def make_load_dir(directory: Path, rows: int, seed: int = 1) -> Path:
    """Write organisations.csv and a ledger.csv of ``rows`` rows into ``directory``."""
    rnd = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    orgs = [f"{i:04d}" for i in range(1, N_ORGS + 1)]
    with (directory / "organisations.csv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("org_id;name;kind;parent_id;controller\n")
        fh.write("0000;Staden;kommun;;\n")
        for o in orgs:
            fh.write(f"{o};Förvaltning {o} & Co;namnd;0000;Åsa Öberg\n")
    months = [f"{y}-{m:02d}" for y in range(2015, 2031) for m in range(1, 13)]
    per_org_month = -(-rows // (len(orgs) * len(months)))
    accounts = [str(3000 + 10 * a) for a in range(per_org_month)]
    written = 0
    with (directory / "ledger.csv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("org_id;month;account;account_name;kind;outcome;budget;forecast\n")
        out = []
        for o in orgs:
            for m in months:
                for a in accounts:
                    if written >= rows:
                        break
                    kind = "intakt" if a < "5000" else "kostnad"
                    outcome = f"{rnd.randint(0, 9_999_999):,}".replace(",", " ") + f",{rnd.randint(0, 99):02d}"
                    budget = f"{rnd.randint(0, 9_999_999)}"
                    forecast = f"{rnd.randint(0, 99_999_999)},5" if m.endswith(("04", "08", "12")) else ""
                    out.append(f"{o};{m};{a};Konto {a} – personal/övrigt;{kind};{outcome};{budget};{forecast}\n")
                    written += 1
                    if len(out) >= 100_000:
                        fh.write("".join(out))
                        out = []
        fh.write("".join(out))
    return directory


def time_load(directory: Path, url: str, env: dict[str, str]) -> tuple[float, float, str, float]:
    """Run ``ils load`` once; return (seconds, peak RSS in MiB, last summary line, CPU seconds of that process).

    ``env`` decides which checkout runs (``PYTHONPATH``); the process runs in the load directory's parent.
    """
    script = (
        "import resource, sys\n"
        "from ilslib.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "ru = resource.getrusage(resource.RUSAGE_SELF)\n"
        "rc_ = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print('PEAK_RSS_KB', ru.ru_maxrss, rc_.ru_maxrss, file=sys.stderr)\n"
        "print('CPU_S', ru.ru_utime + ru.ru_stime, rc_.ru_utime + rc_.ru_stime, file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    t0 = time.perf_counter()
    # Not from the repository: ``python -c`` puts the working directory first on sys.path, before PYTHONPATH.
    proc = subprocess.run(
        [sys.executable, "-c", script, "load", str(directory), "--warehouse", url, "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        cwd=directory.parent,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"ils load failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    # A load may check a big file in a forked child (ilslib.load): its CPU counts, and its memory adds to ours.
    peak = next(line.split()[1:] for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KB"))
    cpu = next(line.split()[1:] for line in proc.stderr.splitlines() if line.startswith("CPU_S"))
    child_rss = int(peak[1]) if len(peak) > 1 and float(cpu[1]) > 0 else 0
    total = [line for line in proc.stdout.splitlines() if line.strip().startswith("total")]
    summary = total[-1].strip() if total else ""
    cpu_main, cpu_child = float(cpu[0]), float(cpu[1]) if len(cpu) > 1 else 0.0
    if cpu_child:
        summary += f"  [CPU parent {cpu_main:.1f} s + child {cpu_child:.1f} s; RSS child {child_rss / 1024:.0f} MiB]"
    return seconds, (int(peak[0]) + child_rss) / 1024, summary, cpu_main + cpu_child


def init(url: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "ilslib", "init", "--warehouse", url],
        env=env,
        check=True,
        capture_output=True,
        cwd=tempfile.gettempdir(),
    )


def versions(base: str | None, env: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """(label, environment) of each version timed: this checkout, and ``base`` when given."""
    this = dict(env, PYTHONPATH=str(ROOT))
    if not base:
        return [("this", this)]
    return [("base", dict(env, PYTHONPATH=str(Path(base).resolve()))), ("this", this)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    ap.add_argument("--pg-reload", action="store_true", help="also time a reload on PostgreSQL")
    ap.add_argument("--base", help="another checkout to time side by side (the version before)")
    ap.add_argument("--repeat", type=int, default=1, help="time each case this many times per version (best kept)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="ils-bench-load-") as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        d = make_load_dir(base / "load", args.rows)
        size = (d / "ledger.csv").stat().st_size / 2**20
        print(f"ledger.csv: {args.rows:,} rows, {size:.0f} MiB (generated in {time.perf_counter() - t0:.1f} s)")
        env = dict(os.environ, ILS_HOME=str(base / "home"))
        vers = versions(args.base, env)
        # results[case][version] = list of (seconds, rss, summary)
        results: dict[str, dict[str, list[tuple[float, float, str, float]]]] = {}

        def note(case: str, label: str, measured: tuple[float, float, str, float]) -> None:
            results.setdefault(case, {}).setdefault(label, []).append(measured)
            print(
                f"  {case} [{label}]: {measured[0]:.1f} s, CPU {measured[3]:.1f} s, {measured[1]:.0f} MiB "
                f"(load average {'/'.join(f'{x:.1f}' for x in os.getloadavg())}){measured[2][measured[2].find('  [') :] if '  [' in measured[2] else ''}",
                flush=True,
            )

        for attempt in range(args.repeat):
            for label, venv in vers if attempt % 2 == 0 else list(reversed(vers)):
                url = f"sqlite:///{base / f'wh-{label}-{attempt}.sqlite'}"
                init(url, venv)
                note("embedded (SQLite), first load", label, time_load(d, url, venv))
                note("embedded (SQLite), reload (all replaced)", label, time_load(d, url, venv))
                (base / f"wh-{label}-{attempt}.sqlite").unlink()

        if not args.no_pg:
            import pgcluster

            reason = pgcluster.available()
            if reason:
                print(f"PostgreSQL skipped: {reason}")
            else:
                with pgcluster.cluster() as pg:
                    for attempt in range(args.repeat):
                        for label, venv in vers if attempt % 2 == 0 else list(reversed(vers)):
                            env_pg = dict(venv, ILS_WAREHOUSE_PASSWORD=pg.password)
                            database = f"bench_{label}_{attempt}"
                            pg.create_database(database)
                            pg_url = pg.url(database)
                            init(pg_url, env_pg)
                            note("PostgreSQL over ODBC, first load", label, time_load(d, pg_url, env_pg))
                            if args.pg_reload:
                                note("PostgreSQL over ODBC, reload", label, time_load(d, pg_url, env_pg))

        labels = [label for label, _ in vers]
        head = f"{'case':<44}" + "".join(
            f" {label + ' s':>9} {label + ' CPU':>9} {label + ' MiB':>9}" for label in labels
        )
        print(head + ("   ratio (wall, CPU)" if len(labels) == 2 else ""))
        for case, by in results.items():
            line = f"{case:<44}"
            best, best_cpu = {}, {}
            for label in labels:
                runs = by.get(label, [])
                s, rss, cpu = min(r[0] for r in runs), max(r[1] for r in runs), min(r[3] for r in runs)
                best[label], best_cpu[label] = s, cpu
                line += f" {s:>9.1f} {cpu:>9.1f} {rss:>9.0f}"
            if len(labels) == 2:
                line += f"   {best['base'] / best['this']:.1f} x, {best_cpu['base'] / best_cpu['this']:.1f} x"
            print(line + f"   {by['this'][-1][2]}")
        emb = results["embedded (SQLite), first load"]["this"]
        s_emb, rss_emb = min(r[0] for r in emb), max(r[1] for r in emb)
        ok = s_emb <= 5 and rss_emb <= 1024
        print(f"goal (embedded first load <= 5 s and <= 1024 MiB): {'met' if ok else 'NOT MET'} ({s_emb:.1f} s)")
        pg_runs = results.get("PostgreSQL over ODBC, first load", {}).get("this")
        if pg_runs:
            s_pg = min(r[0] for r in pg_runs)
            print(f"goal (PostgreSQL first load <= 12 s): {'met' if s_pg <= 12 else 'NOT MET'} ({s_pg:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
