"""The board's book: a 30-organisation book in less than one minute on the 2-core machine.

The demo has 15 companies; their reports for the period (HTML, and PDF to compare page
counts) and the group report are produced with ``ils run`` (not timed), then each company's
report is bound twice, as 30 chapters, and ``make_book`` (one HTML document, one WeasyPrint
rendering, PDF/UA-1) is timed. The book is validated with page-validation (PDF/UA-1) and its
page count compared with the chapters'.

    python benchmarks/bench_book.py                 # builds a demo in a temporary directory
    python benchmarks/bench_book.py --reports DIR   # reuse reports produced earlier (DIR/PERIOD/ORG/report.html)

Exits non-zero when the goal (under 60 s) is not met.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PERIOD = "2026-T2"
GOAL_SECONDS = 60.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=Path, help="reports produced earlier (default: produce them now)")
    ap.add_argument("--chapters", type=int, default=30, help="organisations in the book (default 30)")
    args = ap.parse_args()

    import pypdf

    import ilslib
    from ilslib import demo
    from ilslib import figures as f
    from ilslib.report.book import make_book

    work = Path(tempfile.mkdtemp(prefix="ils-bench-book-"))
    url = f"sqlite:///{work / 'demo.sqlite'}"
    demo.build(url)
    env = {**os.environ, "ILS_WAREHOUSE": url}
    reports = args.reports
    if reports is None:
        reports = work / "outputs"
        for extra in ([], ["--notebook", "group_report"]):
            cmd = [str(BIN / "ils"), "run", *extra, "--period", PERIOD, "--kind", "bolag", "--format", "html,pdf"]
            subprocess.run([*cmd, "--out", str(reports)], env=env, check=True, capture_output=True)
    with ilslib.connect(url) as wh:
        period = f.as_period(wh, PERIOD)
        companies = list(zip(*(f.organisations(wh, "bolag")[c] for c in ("org_id", "name")), strict=True))
    # 30 chapters: each company's report bound twice (a second copy under another id and name)
    chapters: list[tuple[str, str]] = []
    for i in range(args.chapters):
        org, name = companies[i % len(companies)]
        if i >= len(companies):
            copy = f"{org}_{i // len(companies) + 1}"
            shutil.copytree(reports / PERIOD / org, reports / PERIOD / copy, dirs_exist_ok=True)
            org, name = copy, f"{name} (kopia {i // len(companies) + 1})"
        chapters.append((org, name))
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    started = time.perf_counter()
    cpu = time.process_time()
    book = make_book(chapters, period=period, kind="bolag", reports=reports, out=work / "book")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    expected = 2 + sum(
        len(pypdf.PdfReader(reports / PERIOD / c.key / "report.pdf").pages)
        if not c.group
        else len(pypdf.PdfReader(reports / PERIOD / "_grupp" / "bolag" / "report.pdf").pages)
        for c in book.chapters
    )
    import page

    ua = page.validate_pdf(book.pdf, profile="ua1")
    print(f"book: {len(chapters)} organisations + the group report, {book.pages} pages (expected {expected}), "
          f"{book.pdf.stat().st_size / 1e6:.1f} MB")  # fmt: skip
    print(f"time: {seconds:.1f} s wall, {cpu:.1f} s CPU (load before {load}); goal < {GOAL_SECONDS:.0f} s")
    print(f"PDF/UA-1 (page-validation): {'no failures' if ua.is_compliant else f'{ua.rules.failed} rules failed'}")
    ok = seconds < GOAL_SECONDS and ua.is_compliant and book.pages == expected
    print("goal met" if ok else "GOAL NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
