"""Benchmark: ``ils load`` of a 1-million-row ledger file.

Generates a load directory (a few organisations and a ledger CSV of N rows,
default 1 000 000, with decimal commas, thousands separators and åäö like a
real Swedish export), then times ``ils load`` as a subprocess:

1. into a fresh embedded warehouse (first load: insert only);
2. the same directory again (every row replaces an existing one);
3. into PostgreSQL over ODBC (psqlODBC, a throwaway cluster from
   ``tests/pgcluster.py``), first load; with ``--pg-reload`` also the reload.

Prints wall time and the peak resident memory of the ``ils`` process.
The goal (issue 3): at most 30 s and 1 GiB on the embedded warehouse.

    python benchmarks/bench_load.py             # 1M rows, embedded + PostgreSQL
    python benchmarks/bench_load.py --rows 200000 --no-pg
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


def time_load(directory: Path, url: str, env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``ils load`` once; return (seconds, peak RSS in MiB of that process, last summary line)."""
    script = (
        "import resource, sys\n"
        "from ilslib.cli import main\n"
        "rc = main(sys.argv[1:])\n"
        "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", script, "load", str(directory), "--warehouse", url, "--quiet"],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"ils load failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    peak = next(int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KB"))
    total = [line for line in proc.stdout.splitlines() if line.strip().startswith("total")]
    return seconds, peak / 1024, (total[-1].strip() if total else "")


def init(url: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "ilslib", "init", "--warehouse", url], env=env, check=True, capture_output=True
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    ap.add_argument("--pg-reload", action="store_true", help="also time a reload on PostgreSQL")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="ils-bench-load-") as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        d = make_load_dir(base / "load", args.rows)
        size = (d / "ledger.csv").stat().st_size / 2**20
        print(f"ledger.csv: {args.rows:,} rows, {size:.0f} MiB (generated in {time.perf_counter() - t0:.1f} s)")
        env = dict(os.environ, ILS_HOME=str(base / "home"))
        results = []

        url = f"sqlite:///{base / 'wh.sqlite'}"
        init(url, env)
        s, rss, total = time_load(d, url, env)
        results.append(("embedded (SQLite), first load", s, rss, total))
        s, rss, total = time_load(d, url, env)
        results.append(("embedded (SQLite), reload (all replaced)", s, rss, total))

        if not args.no_pg:
            import pgcluster

            reason = pgcluster.available()
            if reason:
                print(f"PostgreSQL skipped: {reason}")
            else:
                with pgcluster.cluster() as pg:
                    env_pg = dict(env, ILS_WAREHOUSE_PASSWORD=pg.password)
                    pg_url = pg.url()
                    init(pg_url, env_pg)
                    s, rss, total = time_load(d, pg_url, env_pg)
                    results.append(("PostgreSQL over ODBC, first load", s, rss, total))
                    if args.pg_reload:
                        s, rss, total = time_load(d, pg_url, env_pg)
                        results.append(("PostgreSQL over ODBC, reload", s, rss, total))

        print(f"{'case':<44} {'seconds':>8} {'peak RSS MiB':>13}")
        for name, s, rss, total in results:
            print(f"{name:<44} {s:>8.1f} {rss:>13.0f}   {total}")
        emb = results[0]
        ok = emb[1] <= 30 and emb[2] <= 1024
        print(f"goal (embedded first load <= 30 s and <= 1024 MiB): {'met' if ok else 'NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
