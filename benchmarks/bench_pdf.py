"""The PDF alone: CPU per report for ``html_to_pdf``, and whether two checkouts make the same PDF.

Produces the HTML of N organisations' reports and short versions once (``ils run
--format html`` on a fresh demo, not timed), then, for this checkout and optionally
another (``--base``), renders every page in a process forked from a warm parent (the
fork server's warm-up, :mod:`ilslib.runner.warm`, plus ``render.warm_up_pdf`` where
the checkout has it), the way ``ils run`` makes a report's PDF. Prints the median CPU
seconds (``time.process_time`` of the report process) side by side and whether the
PDFs of the two checkouts are byte for byte the same.

    python benchmarks/bench_pdf.py                       # 8 organisations, 2026-T2
    python benchmarks/bench_pdf.py --base DIR --repeat 2 # against another checkout, alternately
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _child import BIN, demo_env, run_child  # noqa: E402  (benchmarks/ is the script directory)

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import gc, hashlib, json, os, sys, time
os.environ.setdefault("MPLBACKEND", "Agg")
import ilslib.runner.warm  # noqa: F401  (the fork server's warm-up)
from ilslib.report import render
if hasattr(render, "warm_up_pdf"):
    render.warm_up_pdf()
gc.collect()
gc.freeze()
out = []
for path in sys.argv[1:]:
    html = open(path, encoding="utf-8").read()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        t = time.process_time()
        pdf = render.html_to_pdf(html)
        cpu = time.process_time() - t
        os.write(w, json.dumps([cpu, hashlib.sha256(pdf).hexdigest()]).encode())
        os._exit(0)
    os.close(w)
    data = os.read(r, 4096)
    os.close(r)
    os.waitpid(pid, 0)
    out.append(json.loads(data))
print("RESULT", json.dumps(out))
"""


def measure(checkout: Path, env: dict[str, str], pages: list[Path]) -> list[tuple[float, str]]:
    """CPU seconds and SHA-256 of each page's PDF, made with ``checkout``'s ilslib."""
    result = run_child(CHILD, [*map(str, pages)], checkout, env)
    return [(cpu, digest) for cpu, digest in result]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--period", default="2026-T2")
    ap.add_argument("--orgs", type=int, default=8, help="how many organisations (the demo's first N)")
    ap.add_argument("--base", help="another checkout, measured alternately with this one")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="ils-bench-pdf-") as tmp:
        env, url = demo_env(tmp)
        env["ILS_WAREHOUSE"] = url
        import ilslib
        from ilslib import figures

        with ilslib.connect(url) as wh:
            orgs = list(figures.organisations(wh)["org_id"])[: args.orgs]
        out = Path(tmp) / "out"
        run = [str(BIN / "ils"), "run", "--period", args.period, "--format", "html", "--out", str(out)]
        run += [a for org in orgs for a in ("--org", org)]
        for audience in ("full", "kort"):
            subprocess.run([*run, "--audience", audience], env=env, check=True, capture_output=True)
        full = sorted(out.glob("*/*/report.html"))
        kort = sorted(out.glob("*/*/report-kort.html"))
        pages = full + kort
        versions = [("this", REPO)] + ([("base", Path(args.base).resolve())] if args.base else [])
        runs: dict[str, list[list[tuple[float, str]]]] = {}
        for i in range(args.repeat):
            for label, checkout in versions if i % 2 == 0 else list(reversed(versions)):
                runs.setdefault(label, []).append(measure(checkout, env, pages))
                print(f"  [{label}] load average {os.getloadavg()[0]:.1f}")
        print(f"PDF CPU seconds per page (median over {len(orgs)} organisations x {args.repeat}), {args.period}:")
        print(f"{'':<8} {'report':>8} {'short version':>14}")
        for label, results in runs.items():
            rep = statistics.median(r[i][0] for r in results for i in range(len(full)))
            short = statistics.median(r[i][0] for r in results for i in range(len(full), len(pages)))
            print(f"{label:<8} {rep:8.3f} {short:14.3f}")
        digests = {label: [d for _, d in results[0]] for label, results in runs.items()}
        if "base" in digests:
            same = sum(a == b for a, b in zip(digests["this"], digests["base"], strict=True))
            print(f"PDFs byte for byte the same as base's: {same} of {len(pages)}")
            if same != len(pages):
                return 1
        report = statistics.median(r[i][0] for r in runs["this"] for i in range(len(full)))
        print(f"goal PDF <= 0.3 s more per report: {report:.2f} s {'met' if report <= 0.3 else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
