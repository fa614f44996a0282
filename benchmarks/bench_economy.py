#!/usr/bin/env python
"""Benchmark: one period's economy figures for every organisation, on a 10-million-row ledger.

What is timed is the library's own figure, ``ilslib.figures.economy(wh, period)``
(one row per organisation), in a fresh Python process per backend, so that the
peak memory (RSS) is that of a reader of the warehouse, not of the build.

1. The embedded warehouse: builds the demo with ``--rows`` ledger rows into a
   SQLite file (``--sqlite``; ``--reuse`` keeps an existing demo file of that size).
2. PostgreSQL over ODBC (psqlODBC): starts a throwaway cluster
   (``tests/pgcluster.py``), builds the ordinary demo there, then replaces its
   ledger with the SQLite file's ledger through ``COPY ... FROM STDIN`` (CSV
   streamed by psql), recreates the ledger index and runs ``ANALYZE``.
   ``--pg-load build`` builds the big ledger with ``ils demo``'s own writer
   instead (pyodbc ``fast_executemany``; slower).

Goal (issue 2): at most 10 s and 1 GiB on the embedded warehouse on a 2-core machine.
The figures are recorded in docs/performance.md.

    python benchmarks/bench_economy.py                 # build 10M rows, time both backends
    python benchmarks/bench_economy.py --reuse         # reuse the SQLite file from a previous run
    python benchmarks/bench_economy.py --no-postgres --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # pgcluster.py

MIB = 1024 * 1024


def say(text: str) -> None:
    print(text, flush=True)


# -- the measurement (runs in a child process) -------------------------------------------------


def measure(url: str, period: str, repeat: int) -> dict:
    """Time ``economy(wh, period)`` for every organisation; peak RSS of this process."""
    import psutil

    from ilslib import connect
    from ilslib.figures import economy

    proc = psutil.Process()
    with connect(url) as wh:
        rss_before = proc.memory_info().rss
        seconds = []
        for _ in range(repeat):
            started = time.perf_counter()
            df = economy(wh, period)
            seconds.append(time.perf_counter() - started)
        rows = wh.scalar("SELECT value FROM ils_meta WHERE name = ?", ("demo_ledger_rows",))
    return {
        "seconds": seconds,
        "organisations": len(df),
        "with_figures": int(df["net"].notna().sum()),
        "ledger_rows": int(rows) if rows else None,
        "rss_before_mib": rss_before / MIB,
        "peak_rss_mib": _peak_rss() / MIB,
    }


def _peak_rss() -> int:
    """This process's peak resident set size in bytes.

    VmHWM (Linux) belongs to this program image; ``ru_maxrss`` would also count
    the parent's memory at fork time, which Linux carries over across exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def measure_in_child(url: str, period: str, repeat: int, env: dict[str, str] | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", url, "--period", period, "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(label: str, result: dict) -> None:
    s = result["seconds"]
    say(
        f"{label}: economy({result['organisations']} organisations, {result['with_figures']} with figures) "
        f"first {s[0]:.2f} s, best {min(s):.2f} s of {len(s)}; peak RSS {result['peak_rss_mib']:.0f} MiB "
        f"(after connect {result['rss_before_mib']:.0f} MiB); ledger {result['ledger_rows']:,} rows"
    )


# -- the embedded warehouse ----------------------------------------------------------------


def _demo_rows(path: Path) -> int | None:
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            row = con.execute("SELECT value FROM ils_meta WHERE name = 'demo_ledger_rows'").fetchone()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


def sqlite_warehouse(path: Path, rows: int, seed: int, reuse: bool) -> tuple[str, float | None]:
    """The SQLite demo with about ``rows`` ledger rows: (url, build seconds or None when reused)."""
    from ilslib import demo

    url = f"sqlite:///{path.resolve()}"
    have = _demo_rows(path)
    if reuse and have is not None and abs(have - rows) <= 0.1 * rows:
        say(f"reusing {path} ({have:,} ledger rows)")
        return url, None
    if path.exists():
        if have is None:
            sys.exit(f"bench_economy: {path} exists and is not a demo warehouse; choose another --sqlite")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    say(f"building the demo with {rows:,} ledger rows in {path}")
    started = time.perf_counter()
    demo.build(url, seed=seed, ledger_rows=rows, progress=lambda line: say("  " + line))
    return url, time.perf_counter() - started


# -- PostgreSQL ------------------------------------------------------------------------------


def _psql() -> str:
    found = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"), reverse=True)), None)
    if not found:
        sys.exit("bench_economy: psql not found (install Debian package postgresql-client)")
    return found


def copy_ledger(pg, database: str, sqlite_path: Path) -> int:
    """Stream the SQLite file's ledger into PostgreSQL with COPY (CSV through psql's stdin)."""
    columns = "org_id, month, account, account_name, kind, outcome, budget, forecast"
    env = dict(os.environ, PGPASSWORD=pg.password)
    proc = subprocess.Popen(
        [
            _psql(),
            "-h",
            "127.0.0.1",
            "-p",
            str(pg.port),
            "-U",
            pg.user,
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-qc",
            f"COPY ils_ledger ({columns}) FROM STDIN WITH (FORMAT csv)",
        ],
        stdin=subprocess.PIPE,
        env=env,
        text=True,
        encoding="utf-8",
    )
    n = 0
    with sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True) as con:
        cur = con.execute(f"SELECT {columns} FROM ils_ledger")
        writer = csv.writer(proc.stdin, lineterminator="\n")
        while batch := cur.fetchmany(100_000):
            writer.writerows(batch)  # None -> empty unquoted field -> NULL
            n += len(batch)
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit("bench_economy: COPY into PostgreSQL failed")
    return n


def postgres(sqlite_path: Path, rows: int, seed: int, period: str, repeat: int, load: str) -> None:
    import pgcluster

    from ilslib import connect, demo

    reason = pgcluster.available()
    if reason:
        say(f"PostgreSQL: skipped ({reason})")
        return
    say("PostgreSQL: starting a throwaway cluster")
    with pgcluster.cluster() as pg:
        os.environ["ILS_WAREHOUSE_PASSWORD"] = pg.password  # never in the URL
        database = "ils_bench"
        pg.create_database(database)
        url = pg.url(database)
        started = time.perf_counter()
        if load == "build":
            demo.build(
                url,
                seed=seed,
                ledger_rows=rows,
                progress=lambda line: say("  " + line) if "index" in line or "done" in line else None,
            )
            say(f"PostgreSQL: demo built with its own writer in {time.perf_counter() - started:.0f} s")
        else:
            demo.build(url, seed=seed)
            with connect(url) as wh:
                for name, _ in demo.ledger_indexes(wh.dialect):
                    wh.execute(f"DROP INDEX {name}")
                wh.execute("TRUNCATE TABLE ils_ledger")
            copied = copy_ledger(pg, database, sqlite_path)
            t_copy = time.perf_counter() - started
            with connect(url) as wh:
                t0 = time.perf_counter()
                for _, stmt in demo.ledger_indexes(wh.dialect):
                    wh.execute(stmt)
                wh.execute("ANALYZE")
                wh.execute("UPDATE ils_meta SET value = ? WHERE name = ?", (str(copied), "demo_ledger_rows"))
                t_index = time.perf_counter() - t0
            say(
                f"PostgreSQL: demo built, {copied:,} ledger rows copied in {t_copy:.0f} s, "
                f"index and ANALYZE {t_index:.0f} s"
            )
        result = measure_in_child(url, period, repeat, env=dict(os.environ))
        size = pg.psql("SELECT pg_size_pretty(pg_total_relation_size('ils_ledger'))", database).strip()
        report("PostgreSQL (psqlODBC)", result)
        say(f"PostgreSQL: ils_ledger with its indexes takes {size}")


# -- main --------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    return (
        f"{cpu}, {os.cpu_count()} cores, {psutil.virtual_memory().total / 1024**3:.0f} GiB RAM; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--sqlite",
        type=Path,
        default=Path(tempfile.gettempdir()) / "ils-bench" / "economy.sqlite",
        help="the embedded warehouse file (default: %(default)s)",
    )
    p.add_argument("--rows", type=int, default=10_000_000, help="ledger rows (default: %(default)s)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--reuse", action="store_true", help="reuse --sqlite when it is a demo of about --rows rows")
    p.add_argument("--period", default="2026-T2", help="the period to compute (default: %(default)s)")
    p.add_argument("--repeat", type=int, default=3, help="timed calls per backend (default: %(default)s)")
    p.add_argument("--no-postgres", action="store_true", help="only the embedded warehouse")
    p.add_argument(
        "--pg-load",
        choices=("copy", "build"),
        default="copy",
        help="copy the SQLite ledger with COPY (default) or build it with the demo writer",
    )
    p.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)  # the child process
    args = p.parse_args(argv)

    if args.measure:
        print(json.dumps(measure(args.measure, args.period, args.repeat)))
        return 0

    say(f"machine: {machine()}")
    url, built = sqlite_warehouse(args.sqlite, args.rows, args.seed, args.reuse)
    if built is not None:
        say(
            f"embedded: demo with {args.rows:,} ledger rows built in {built:.0f} s "
            f"({args.sqlite.stat().st_size / 1024**3:.2f} GiB)"
        )
    result = measure_in_child(url, args.period, args.repeat)
    report("embedded (sqlite3)", result)
    ok = min(result["seconds"]) <= 10 and result["seconds"][0] <= 10 and result["peak_rss_mib"] <= 1024
    say(f"goal (<= 10 s, <= 1 GiB on the embedded warehouse): {'met' if ok else 'NOT met'}")
    if not args.no_postgres:
        postgres(args.sqlite, args.rows, args.seed, args.period, args.repeat, args.pg_load)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
