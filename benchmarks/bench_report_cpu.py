"""CPU per report, by part: the notebook's cells, HTML, PDF and report.xlsx, as in ``ils run``.

Wall-clock figures of a batch run on a shared 2-core machine mostly measure
the other work on it. This script measures what one report costs in CPU
seconds (user + system, ``time.process_time`` of the report's own process),
the way ``ils run`` makes it: a warm parent imports and warms up what the fork
server does (:mod:`ilslib.runner.warm`), and each report runs in a child forked
from it (papermill's in-process engine, then the conversions), one after the
other. Prints each part's median over the organisations.

    python benchmarks/bench_report_cpu.py                     # 8 organisations of a fresh demo, 2026-T2
    python benchmarks/bench_report_cpu.py --orgs 16
    python benchmarks/bench_report_cpu.py --base DIR          # the same for another checkout, alternately

The goals of the performance issue: HTML at most 0.25 s of CPU per report (the
notebook's cells and the HTML), PDF at most 0.3 s more.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from _child import demo_env, run_child  # noqa: E402  (benchmarks/ is the script directory)

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import gc, json, os, sys, time
os.environ.setdefault("MPLBACKEND", "Agg")
notebook, period, orgs = sys.argv[1], sys.argv[2], sys.argv[3:]
t0 = time.process_time()
import ilslib.runner.warm  # noqa: F401  (the fork server's warm-up)
from ilslib.runner import job
warm = time.process_time() - t0
import papermill as pm
from ilslib.report.excel import workbook
from ilslib.report.present import read_meta, read_tables
from ilslib.report.render import html_to_pdf, notebook_to_html
job._register_memory_handler()
gc.freeze()
out = {"warm": warm, "reports": []}
for org in orgs:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        times = {}
        t = time.process_time()
        nb = pm.execute_notebook(
            notebook, f"{job.MEMORY_SCHEME}{org}.ipynb", parameters={"org_id": org, "period": period},
            engine_name=job.ENGINES["inprocess"], progress_bar=False, log_output=False,
            request_save_on_cell_execute=False, cwd=os.path.dirname(notebook),
        )
        times["cells"] = time.process_time() - t
        t = time.process_time()
        meta = read_meta(nb)
        html = notebook_to_html(nb, title=str(meta.get("title") or "report"))
        times["html"] = time.process_time() - t
        t = time.process_time()
        html_to_pdf(html)
        times["pdf"] = time.process_time() - t
        t = time.process_time()
        workbook(read_tables(nb), title="x", about=[tuple(p) for p in meta.get("about") or []])
        times["xlsx"] = time.process_time() - t
        os.write(w, json.dumps(times).encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    out["reports"].append(json.loads(data))
print("RESULT", json.dumps(out))
"""


def measure(checkout: Path, env: dict[str, str], period: str, orgs: list[str]) -> dict:
    """Run the warm parent and its forked reports with ``checkout``'s ilslib; the parsed result."""
    result = run_child(CHILD, [str(checkout / "notebooks" / "report.ipynb"), period, *orgs], checkout, env)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--period", default="2026-T2")
    ap.add_argument("--orgs", type=int, default=8, help="how many organisations (the demo's first N)")
    ap.add_argument("--base", help="another checkout, measured alternately with this one")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="ils-bench-cpu-") as tmp:
        env, url = demo_env(tmp)
        env["ILS_WAREHOUSE"] = url
        import ilslib
        from ilslib import figures

        with ilslib.connect(url) as wh:
            orgs = list(figures.organisations(wh)["org_id"])[: args.orgs]
        versions = [("this", REPO)]
        if args.base:
            versions.insert(0, ("base", Path(args.base).resolve()))
        runs: dict[str, list[dict]] = {}
        for i in range(args.repeat):
            for label, checkout in versions if i % 2 == 0 else list(reversed(versions)):
                result = measure(checkout, env, args.period, orgs)
                runs.setdefault(label, []).extend(result["reports"])
                print(f"  [{label}] warm-up {result['warm']:.2f} s CPU; load average {os.getloadavg()[0]:.1f}")
        print(f"CPU seconds per report (median over {len(orgs)} organisations x {args.repeat}), period {args.period}:")
        print(f"{'':<8} {'cells':>7} {'html':>7} {'HTML total':>11} {'pdf':>7} {'xlsx':>7}")
        for label, reports in runs.items():
            med = {k: statistics.median(r[k] for r in reports) for k in ("cells", "html", "pdf", "xlsx")}
            total = statistics.median(r["cells"] + r["html"] for r in reports)
            print(
                f"{label:<8} {med['cells']:7.2f} {med['html']:7.2f} {total:11.2f} {med['pdf']:7.2f} {med['xlsx']:7.2f}"
            )
        reports = runs["this"]
        html_total = statistics.median(r["cells"] + r["html"] for r in reports)
        pdf = statistics.median(r["pdf"] for r in reports)
        print(f"goal HTML <= 0.25 s CPU per report: {html_total:.2f} s {'met' if html_total <= 0.25 else 'NOT MET'}")
        print(f"goal PDF <= 0.3 s more per report: {pdf:.2f} s {'met' if pdf <= 0.3 else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
