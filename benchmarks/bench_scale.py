"""2 000 reports end to end on one machine: time, memory per report, the portal, reruns.

Builds the demo grown to ``--orgs`` organisations (``ils demo --orgs N``, default
2 000), then runs, through one run set, every organisation's report and the group
reports for one period, HTML only (``ils run``: reports, group reports, the status
page, the portal, the manifest). Prints:

- the wall-clock time of the run, reports per minute, and the CPU seconds of the
  whole process tree (user + system time of every process at its last sample);
- memory: the peak resident set (``VmHWM`` in ``/proc/PID/status``, sampled every
  ``--sample`` seconds while each process lives) of the ``ils run`` process, of the
  fork server, of the run processes and of every report process; the report
  processes' peaks of the first 100 against the last 100 (flat or growing?);
- the sizes of the portal ``index.html``, the run's ``manifest.json`` and the
  reports' state files (``.ils-state*.json``: the incremental state);
- the portal in headless Chromium (Playwright, ``/usr/bin/chromium``): the page's
  load time from the Performance API (navigation timing), the time to filter by a
  name and to sort by a column, and that the count reads ``Visar n av m rapporter``;
- a second ``ils run`` of the same set with nothing changed: its time and how many
  reports it made again (0 expected);
- one comment of one organisation changed in the warehouse, then ``ils run``
  again: which reports it made again (that organisation's report, plus whatever
  else read the comment: its kind's group report).

The load average is printed before and after: the machine is shared, so wall times
vary; CPU seconds less so. Memory is sampled, so a report process that lives
shorter than the interval may be missed (counted and printed).

    python benchmarks/bench_scale.py                          # 2 000 organisations (takes long)
    python benchmarks/bench_scale.py --orgs 200 --jobs 2
    python benchmarks/bench_scale.py --warehouse sqlite:////tmp/city.sqlite   # a demo built before
    nice -n 5 python benchmarks/bench_scale.py --keep         # keep the output to look at it
    python benchmarks/bench_scale.py --orgs 2000 --portal-only 2026-T2,2026-T1,2026-BU   # the portal alone
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PERIOD = "2026-T2"
CHROMIUM = "/usr/bin/chromium"
CLOCK = os.sysconf("SC_CLK_TCK")

RUNSET = """description: Skalprov, organisationernas rapporter och sammanställningarna
period: {period}
formats: html
runs:
  - notebook: report
    {which}
  - notebook: group_report
    all: true
"""


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def mib(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:,.1f} MiB"


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# -- sampling the process tree -----------------------------------------------------------------


def _stat(pid: str) -> tuple[int, int, str, int] | None:
    """(parent pid, start time and CPU time (user + system) in clock ticks, command name), None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[19]), name, int(fields[11]) + int(fields[12])


def _hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class TreeSampler(threading.Thread):
    """Samples every process below ``root`` every ``interval`` seconds: first seen, parent, peak RSS."""

    def __init__(self, root: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.procs: dict[tuple[int, int], dict[str, Any]] = {}  # (pid, start ticks) -> record
        self.stop = threading.Event()
        self.t0 = time.perf_counter()

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            self.stop.wait(self.interval)
        self.sample()

    def sample(self) -> None:
        parents: dict[int, list[int]] = {}
        info: dict[int, tuple[int, int, str, int]] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                st = _stat(entry.name)
                if st is not None:
                    info[int(entry.name)] = st
                    parents.setdefault(st[0], []).append(int(entry.name))
        todo, depth = [(self.root, 0)], {}
        while todo:
            pid, d = todo.pop()
            depth[pid] = d
            todo += [(c, d + 1) for c in parents.get(pid, [])]
        now = time.perf_counter() - self.t0
        for pid, d in depth.items():
            if pid not in info:
                continue
            ppid, start, name, ticks = info[pid]
            key = (pid, start)
            hwm = _hwm_kib(pid)
            rec = self.procs.get(key)
            if rec is None:
                rec = self.procs[key] = {
                    "pid": pid,
                    "ppid": ppid,
                    "depth": d,
                    "name": name,
                    "cmd": _cmdline(pid)[:200],
                    "first": now,
                    "hwm": 0,
                }
            rec["last"] = now
            rec["cpu"] = ticks / CLOCK  # the last sample: a process's last moments are missed
            if hwm:
                rec["hwm"] = max(rec["hwm"], hwm)


def classify(procs: dict[tuple[int, int], dict[str, Any]], root: int) -> dict[str, list[dict[str, Any]]]:
    """The sampled processes by role: the ``ils run`` process, the fork server, run processes, report processes."""
    out: dict[str, list[dict[str, Any]]] = {
        "ils run": [],
        "fork server": [],
        "run process": [],
        "report": [],
        "other": [],
    }
    servers = set()
    for rec in procs.values():
        if rec["pid"] == root:
            out["ils run"].append(rec)
        elif rec["depth"] == 1 and "forkserver" in rec["cmd"]:
            out["fork server"].append(rec)
            servers.add(rec["pid"])
    runners = set()
    for rec in procs.values():
        if rec["ppid"] in servers and rec["pid"] not in servers:
            out["run process"].append(rec)
            runners.add(rec["pid"])
    for rec in procs.values():
        if rec["ppid"] in runners:
            out["report"].append(rec)
        elif rec["pid"] != root and rec["pid"] not in servers and rec["pid"] not in runners:
            out["other"].append(rec)
    for v in out.values():
        v.sort(key=lambda r: r["first"])
    return out


# -- commands ------------------------------------------------------------------------------------


def run_cmd(cmd: list[str], env: dict[str, str], interval: float | None = None) -> dict[str, Any]:
    """Run a command; its wall and CPU seconds, output, and (with ``interval``) its sampled process tree."""
    cpu0 = children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid, interval) if interval else None
    if sampler:
        sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    if sampler:
        sampler.stop.set()
        sampler.join()
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{stdout[-3000:]}\n{stderr[-3000:]}")
    procs = classify(sampler.procs, proc.pid) if sampler else None
    cpu = children_cpu() - cpu0
    if procs:  # the reaped children's rusage misses the fork server's descendants: the sampled CPU of every process
        cpu = sum(r.get("cpu", 0.0) for recs in procs.values() for r in recs)
    return {
        "wall": wall,
        "cpu": cpu,
        "out": stdout + stderr,
        "procs": procs,
    }


def summaries(text: str) -> list[tuple[int, int, int]]:
    """(done, unchanged, failed) of each run of the run set, from ``ils run``'s summary lines."""
    found = re.findall(r"(\d+) done, (\d+) unchanged, (\d+) failed in [\d.]+ s[^.\n]*\. Portal:", text)
    return [(int(a), int(b), int(c)) for a, b, c in found]


def durations(out: Path) -> list[float]:
    """Each report's own time (seconds, in the order they finished) from the runs' logs: ``done X (4.0 s)``."""
    found: list[tuple[str, float]] = []
    for log in (out / "runs").glob("*/run.log"):
        for line in log.read_text(encoding="utf-8").splitlines():
            m = re.match(r"(\S+) done\s+\S+ \(([\d.]+) s\)", line)
            if m:
                found.append((m.group(1), float(m.group(2))))
    return [d for _, d in sorted(found, key=lambda x: x[0])]


def states(out: Path) -> dict[str, str]:
    """Every report's state file (relative path -> its ``finished_at``): what a rerun replaced."""
    found = {}
    for p in out.rglob(".ils-state*.json"):
        if any(part.startswith(".") for part in p.relative_to(out).parts[:-1]):
            continue
        try:
            found[p.relative_to(out).as_posix()] = json.loads(p.read_text(encoding="utf-8")).get("finished_at", "")
        except (OSError, ValueError):
            found[p.relative_to(out).as_posix()] = "?"
    return found


def change_a_comment(url: str, org_id: str, period: str) -> str:
    """Append a sentence to one comment of ``org_id`` for ``period``; return which kind."""
    import ilslib

    with ilslib.connect(url) as wh:
        kind = wh.scalar("SELECT MIN(kind) FROM ils_comment WHERE org_id = ? AND period = ?", (org_id, period))
        if kind is None:
            sys.exit(f"{org_id} has no comment for {period}")
        wh.execute(
            "UPDATE ils_comment SET text = text || ? WHERE org_id = ? AND period = ? AND kind = ?",
            (" Uppdaterad efter skalprovet.", org_id, period, kind),
        )
    return str(kind)


# -- the portal in Chromium ------------------------------------------------------------------------

PAGE_TIMING = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, response: n.responseEnd,
          rows: document.querySelectorAll('table.portal tbody tr').length,
          count: document.getElementById('f-count').textContent};
}"""
FILTER_TIMING = """(needle) => {
  const input = document.getElementById('f-name');
  const t0 = performance.now();
  input.value = needle; input.dispatchEvent(new Event('input'));
  const filtered = performance.now() - t0;
  const shown = document.getElementById('f-count').textContent;
  input.value = ''; input.dispatchEvent(new Event('input'));
  const t1 = performance.now();
  document.querySelector('#t-org th button[data-key="met"]').click();
  const sorted = performance.now() - t1;
  return {filtered, sorted, shown};
}"""


def portal_in_chromium(index: Path, needle: str, repeat: int = 3) -> dict[str, Any]:
    """Load the portal ``repeat`` times in headless Chromium; the median timings (ms) and what the page says."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
    runs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            for _ in range(repeat):
                page = browser.new_page()
                page.goto(index.as_uri(), wait_until="load")
                timing = page.evaluate(PAGE_TIMING)
                timing.update(page.evaluate(FILTER_TIMING, needle))
                runs.append(timing)
                page.close()
        finally:
            browser.close()
    out: dict[str, Any] = {k: statistics.median(r[k] for r in runs) for k in ("dcl", "load", "filtered", "sorted")}
    out.update(rows=runs[-1]["rows"], count=runs[-1]["count"], shown=runs[-1]["shown"])
    return out


# -- the portal alone, at any size -------------------------------------------------------------------


def portal_only(n: int, periods: list[str], work: Path) -> int:
    """The portal for ``n`` organisations' reports in ``periods``, from state files written here.

    The portal is built from the reports' state files alone; writing them as ``ils run``
    does lets its size and load time be measured at 2 000 (or 10 000) reports a period
    without making the reports. Every fifth report is a draft, one failed.
    """
    from ilslib import demo
    from ilslib.runner.portal import write_portal

    orgs, _ = demo.grown_organisations(demo.catalogue(), n)
    out = work / "portal"
    for period in periods:
        for i, org in enumerate(orgs):
            d = out / period / org["id"]
            d.mkdir(parents=True, exist_ok=True)
            for f in ("report.html", "report.pdf", "report.xlsx", "figures.json"):
                (d / f).write_bytes(b"x")
            meta = {
                "org_id": org["id"],
                "name": org["name"],
                "kind": org["kind"],
                "period": period,
                "notebook": "report",
                "summary": {"uppfyllt": i % 7, "delvis": i % 3, "ej_uppfyllt": i % 4},
                "round_state": "klar" if i % 5 == 0 else "godkand",
            }
            state = {"status": "failed" if i == 7 else "done", "error": "ValueError: x" if i == 7 else None}
            state.update(input_hash="h", finished_at="2026-11-27T08:00:00+00:00", meta=meta)
            (d / ".ils-state.json").write_text(json.dumps(state), encoding="utf-8")
    t0 = time.process_time()
    index = write_portal(out)
    cpu = time.process_time() - t0
    rows = n * len(periods)
    print(
        f"portal of {rows} reports ({n} organisations x {len(periods)} period(s)): written in {cpu:.2f} s CPU, "
        f"index.html {mib(index.stat().st_size)} ({index.stat().st_size / rows:,.0f} bytes per report)"
    )
    page = portal_in_chromium(index, orgs[n // 2]["name"].lower())
    print(
        f"  in headless Chromium: DOMContentLoaded {page['dcl']:.0f} ms, load {page['load']:.0f} ms (median of 3); "
        f"filter by name {page['filtered']:.0f} ms ({page['shown']!r}); sort {page['sorted']:.0f} ms; "
        f"{page['count']!r}"
    )
    return 0


# -- the benchmark ---------------------------------------------------------------------------------


def describe(label: str, recs: list[dict[str, Any]]) -> str:
    if not recs:
        return f"  {label:<26} none seen"
    peaks = [r["hwm"] * 1024 for r in recs]
    if len(recs) == 1:
        return f"  {label:<26} peak {mib(peaks[0])}"
    return f"  {label:<26} {len(recs)} processes, peak median {mib(statistics.median(peaks))}, max {mib(max(peaks))}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orgs", type=int, default=2000, help="organisations in the demo (default 2000)")
    ap.add_argument("--warehouse", help="sqlite:///PATH of a demo built before (default: build one)")
    ap.add_argument("--period", default=PERIOD)
    ap.add_argument(
        "--limit",
        type=int,
        default=0,
        metavar="K",
        help="only the first K organisations' reports (by id; the group reports still cover every one)",
    )
    ap.add_argument("--jobs", type=int, default=0, help="reports at once (default: ils run's, the number of CPUs)")
    ap.add_argument("--sample", type=float, default=0.05, help="seconds between memory samples (default 0.05)")
    ap.add_argument("--work", type=Path, help="working directory (default: a new temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the working directory")
    ap.add_argument(
        "--portal-only",
        metavar="PERIODS",
        help="only the portal, for --orgs organisations in these comma-separated periods (no reports are made)",
    )
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="ils-bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ILS_")}
    env.update(HOME=str(work / "home"), MPLCONFIGDIR=str(work / "mpl"), PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = str(REPO)
    ils = str(BIN / "ils")
    try:
        print(
            f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
        )
        print(f"load average before: {load()}", flush=True)
        if args.portal_only:
            return portal_only(args.orgs, args.portal_only.split(","), work)
        url = args.warehouse
        if not url:
            url = f"sqlite:///{work / 'city.sqlite'}"
            built = run_cmd([ils, "demo", "--warehouse", url, "--orgs", str(args.orgs)], env)
            size = (work / "city.sqlite").stat().st_size
            print(
                f"ils demo --orgs {args.orgs}: {built['wall']:.1f} s wall, {built['cpu']:.1f} s CPU, "
                f"{mib(size)} (load {load()})",
                flush=True,
            )
        env["ILS_WAREHOUSE"] = url
        import ilslib

        with ilslib.connect(url) as wh:
            named = wh.rows("SELECT org_id, name FROM v_organisation ORDER BY org_id")
        orgs = [str(o) for o, _ in named]
        names = {str(o): str(n) for o, n in named}
        print(f"data: {url}, period {args.period}, {len(orgs)} organisations")

        runset = work / "skalprov.yaml"
        chosen = orgs[: args.limit] if args.limit else orgs
        which = "all: true" if not args.limit else "orgs: [" + ", ".join(chosen) + "]"
        runset.write_text(RUNSET.format(period=args.period, which=which), encoding="utf-8")
        if args.limit:
            print(f"organisation reports: the first {len(chosen)} of {len(orgs)} by id")
        # the organisation in the middle: found by name in the portal, its comment changed for the last run
        middle = chosen[len(chosen) // 2]
        middle_name = names[middle]
        out = work / "out"
        cmd = [ils, "run", str(runset), "--out", str(out)] + (["--jobs", str(args.jobs)] if args.jobs else [])

        # 1. everything, into an empty directory
        first = run_cmd(cmd, env, interval=args.sample)
        runs = summaries(first["out"])
        done = sum(d for d, _, _ in runs)
        failed = sum(f for _, _, f in runs)
        reports = len(list((out / args.period).glob("*/report.html")))
        print(
            f"\nfull run: {first['wall']:.1f} s wall, {first['cpu']:.1f} s CPU of the process tree; "
            f"{done} done ({reports} organisation reports, {done - reports} group reports), {failed} failed; "
            f"{60 * done / first['wall']:.1f} reports per minute, {first['cpu'] / max(done, 1):.2f} CPU s per report "
            f"(load {load()})",
            flush=True,
        )
        procs = first["procs"]
        print(f"memory (peak resident set, VmHWM sampled every {args.sample:g} s):")
        for role in ("ils run", "fork server", "run process"):
            print(describe(role, procs[role]))
        rep = procs["report"]
        print(describe("report processes", rep))
        if len(rep) >= 20:
            n = min(100, len(rep) // 2)
            head, tail = [r["hwm"] / 1024 for r in rep[:n]], [r["hwm"] / 1024 for r in rep[-n:]]
            print(
                f"  report processes, first {n}: median {statistics.median(head):.1f} MiB, max {max(head):.1f} MiB; "
                f"last {n}: median {statistics.median(tail):.1f} MiB, max {max(tail):.1f} MiB"
            )
        print(f"  report processes seen: {len(rep)} of {done} reports made (shorter-lived ones can be missed)")
        took = durations(out)
        if len(took) >= 20:
            n = min(100, len(took) // 2)
            print(
                f"report time (run log, in the order they finished): first {n} median {statistics.median(took[:n]):.2f} s, "
                f"last {n} median {statistics.median(took[-n:]):.2f} s; slowest {max(took):.1f} s"
            )

        index = out / "index.html"
        manifests = sorted((out / "runs").glob("*/manifest.json"))
        state_files = list(out.rglob(".ils-state*.json"))
        print("sizes:")
        print(f"  portal index.html           {mib(index.stat().st_size)}")
        for m in manifests:
            print(f"  manifest {m.parent.name:<18} {mib(m.stat().st_size)}")
        print(
            f"  state files                 {len(state_files)} files, {mib(sum(p.stat().st_size for p in state_files))}"
        )
        status = out / args.period / "status.html"
        if status.is_file():
            print(f"  status page                 {mib(status.stat().st_size)}")

        needle = middle_name.lower()
        try:
            page = portal_in_chromium(index, needle)
            print(
                f"portal in headless Chromium: DOMContentLoaded {page['dcl']:.0f} ms, load {page['load']:.0f} ms "
                f"(median of 3); {page['rows']} rows; filter by name '{needle}': {page['filtered']:.0f} ms "
                f"({page['shown']!r}); sort by goal attainment: {page['sorted']:.0f} ms; count after load "
                f"{page['count']!r}",
                flush=True,
            )
        except Exception as exc:  # noqa: BLE001 - the rest of the benchmark still counts
            print(f"portal in headless Chromium: FAILED: {exc}")

        # 2. nothing changed
        before = states(out)
        again = run_cmd(cmd, env)
        after = states(out)
        remade = sorted(k for k in after if before.get(k) != after[k])
        print(
            f"\nsecond run, nothing changed: {again['wall']:.1f} s wall, {again['cpu']:.1f} s CPU; "
            f"{summaries(again['out'])} (done, unchanged, failed); state files replaced: {len(remade)} "
            f"(load {load()})",
            flush=True,
        )

        # 3. one comment changed
        org = middle
        kind = change_a_comment(url, org, args.period)
        before = after
        changed = run_cmd(cmd, env)
        after = states(out)
        remade = sorted(k for k in after if before.get(k) != after[k])
        print(
            f"one comment changed ({org} {args.period} {kind}): {changed['wall']:.1f} s wall, "
            f"{changed['cpu']:.1f} s CPU; {summaries(changed['out'])} (done, unchanged, failed); "
            f"made again: {', '.join(remade) or 'nothing'} (load {load()})",
            flush=True,
        )
        print(f"load average after: {load()}")
        ok = failed == 0 and not [k for k in summaries(again["out"]) if k[0]] and bool(remade)
        print("ok" if ok else "NOT OK")
        return 0 if ok else 1
    finally:
        if args.keep or args.work:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
