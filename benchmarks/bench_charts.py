"""CPU per chart: each function of ``ilslib.report.charts`` on the demo's data, this checkout and another.

The data is fetched first (not measured); each chart function is then called
for every organisation, and its CPU time (``time.process_time``) per call is
reported as the median. With ``--base DIR`` the same runs for another checkout
(e.g. ``git archive main | tar -x -C /tmp/base``) in its own process, and both
are printed side by side with the ratio.

    python benchmarks/bench_charts.py                 # 8 organisations of a fresh demo, 2026-T2
    python benchmarks/bench_charts.py --base /tmp/base --orgs 16
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from _child import demo_env, run_child  # noqa: E402  (benchmarks/ is the script directory)

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, statistics, sys, time
os.environ.setdefault("MPLBACKEND", "Agg")
url, period, orgs = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.process_time()
from ilslib.report import charts
import_cpu = time.process_time() - t
import ilslib, ilslib.figures as f
from ilslib.report import tables as tb
with ilslib.connect(url) as wh:
    data = []
    for org in orgs:
        hist = f.history(wh, org)
        ids = tb.main_indicators(f.indicators(wh, org, period), 6) if hasattr(tb, "main_indicators") else []
        kind = f.organisations(wh).set_index("org_id").loc[org, "kind"]
        data.append((org, f.economy_series(wh, org, period), f.sick_leave_series(wh, org, period), hist, ids,
                     f.compare(wh, period, "sick_leave_pct", kind=kind)))
calls = {
    "indicator_trends": lambda d: charts.indicator_trends(d[3], indicator_ids=d[4], title="Utveckling"),
    "economy_chart": lambda d: charts.economy_chart(d[1], period_title="Tertial 2 2026"),
    "sick_leave_chart": lambda d: charts.sick_leave_chart(d[2]),
    "comparison_chart": lambda d: charts.comparison_chart(d[5], org_id=d[0], label="Sjukfrånvaro", unit="%", decimals=1),
}
for fn in calls.values():  # first calls (font caches, lazy imports) are not what a report pays in a warm fork
    fn(data[0])
out = {"import": import_cpu}
for name, fn in calls.items():
    times, size = [], []
    for d in data:
        t = time.process_time()
        html = fn(d)
        times.append(time.process_time() - t)
        size.append(len(html))
    out[name] = {"cpu": statistics.median(times), "bytes": statistics.median(size)}
print("RESULT", json.dumps(out))
"""


def measure(checkout: Path, env: dict[str, str], url: str, period: str, orgs: list[str]) -> dict:
    """Run the chart calls in a fresh process with ``checkout``'s ilslib; the parsed result."""
    result = run_child(CHILD, [url, period, *orgs], checkout, env)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--period", default="2026-T2")
    ap.add_argument("--orgs", type=int, default=8, help="how many organisations (the demo's nämnder and bolag)")
    ap.add_argument("--base", help="another checkout, measured the same way")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ils-bench-charts-") as tmp:
        env, url = demo_env(tmp)
        import ilslib
        from ilslib import figures

        with ilslib.connect(url) as wh:
            orgs_df = figures.organisations(wh)
            orgs = list(orgs_df[orgs_df["kind"].isin(["namnd", "bolag"])]["org_id"])[: args.orgs]
        results = {}
        if args.base:
            results["base"] = measure(Path(args.base).resolve(), env, url, args.period, orgs)
        results["this"] = measure(REPO, env, url, args.period, orgs)
    print(f"CPU ms per call (median over {len(orgs)} organisations), load average {os.getloadavg()[0]:.1f}:")
    names = [k for k in results["this"] if k != "import"]
    head = f"{'':<18}" + "".join(f"{label:>10}" for label in results) + ("     ratio" if args.base else "")
    print(head)
    for name in names:
        row = f"{name:<18}" + "".join(f"{r[name]['cpu'] * 1000:10.1f}" for r in results.values())
        if args.base:
            row += f"{results['base'][name]['cpu'] / max(results['this'][name]['cpu'], 1e-6):9.0f}x"
        print(row)
    total = {label: sum(r[n]["cpu"] for n in names) for label, r in results.items()}
    print(f"{'all four':<18}" + "".join(f"{v * 1000:10.1f}" for v in total.values()))
    print(f"{'import charts (s)':<18}" + "".join(f"{r['import']:10.2f}" for r in results.values()))
    print("HTML bytes per chart (median):")
    for name in names:
        print(f"  {name:<16}" + "".join(f"{r[name]['bytes']:10.0f}" for r in results.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
