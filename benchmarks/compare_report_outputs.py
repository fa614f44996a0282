"""Are two checkouts' reports the same, byte for byte? figures.json, the notebook's HTML outputs, the tables.

A helper for changes that must not change a report (the performance work): runs a
report notebook for every organisation of a fresh demo and each period with this
checkout and with ``--base``, the way ``ils run`` runs it (papermill's in-process
engine in a process forked from a warm parent), and compares what each report
published: ``figures.json`` (the figures published with the report), every HTML output
of the notebook (charts included) and the tables published for ``report.xlsx``.
The creation time is masked. Prints each difference and exits 1 when there is one.

    python benchmarks/compare_report_outputs.py --base DIR
    python benchmarks/compare_report_outputs.py --base DIR --notebook report_kort --periods 2026-T2
    python benchmarks/compare_report_outputs.py --base DIR --notebook group_report   # kinds, not organisations
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

CHILD = r"""
import json, os, sys
os.environ.setdefault("MPLBACKEND", "Agg")
notebook, key, periods, items = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4].split(",")
import ilslib.runner.warm  # noqa: F401  (the fork server's warm-up)
import papermill as pm
from ilslib.report.present import read_meta, read_tables
from ilslib.runner import job
job._register_memory_handler()
for period in periods:
    for item in items:
        r, w = os.pipe()
        if os.fork() == 0:
            os.close(r)
            try:
                nb = pm.execute_notebook(
                    notebook, f"{job.MEMORY_SCHEME}{item}.ipynb", parameters={key: item, "period": period},
                    engine_name=job.ENGINES["inprocess"], progress_bar=False, log_output=False,
                    request_save_on_cell_execute=False, cwd=os.path.dirname(notebook),
                )
                meta = read_meta(nb)
                html = [
                    "".join(o["data"]["text/html"]) for c in nb.cells for o in c.get("outputs", [])
                    if "text/html" in (o.get("data") or {})
                ]
                out = {"figures": meta.get("figures"), "html": html, "tables": read_tables(nb)}
            except Exception as exc:  # noqa: BLE001  (reported as a difference)
                out = {"error": repr(exc)}
            os.write(w, (json.dumps([period, item, out], ensure_ascii=False, allow_nan=False) + "\n").encode())
            os._exit(0)
        os.close(w)
        data = b""
        while chunk := os.read(r, 1 << 20):
            data += chunk
        os.close(r)
        os.wait()
        sys.stdout.write(data.decode())
"""

#: The creation time, in figures.json (UTC, ISO) and in the HTML's "Om rapporten" (local time).
STAMPS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00|(?<=Skapad</dt><dd>)\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def dump(checkout: Path, env: dict[str, str], notebook: str, key: str, periods: list[str], items: list[str]) -> dict:
    """Every report's outputs with ``checkout``'s ilslib and notebook: ``{(period, item): outputs}``."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(checkout / "notebooks" / f"{notebook}.ipynb"), key, ",".join(periods)]
        + [",".join(items)],
        env=dict(env, PYTHONPATH=str(checkout)),
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.exit(f"running the reports failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    out = {}
    for line in STAMPS.sub("<time>", proc.stdout).splitlines():
        period, item, outputs = json.loads(line)
        out[(period, item)] = outputs
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, help="the other checkout")
    ap.add_argument("--notebook", default="report", help="report, report_kort or group_report")
    ap.add_argument("--periods", default="2026-T1,2026-T2,2025-BO,2026-BU")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ils-compare-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ILS_")}
        env.update(HOME=str(Path(tmp) / "home"), MPLCONFIGDIR=str(Path(tmp) / "mpl"))
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        subprocess.run([str(BIN / "ils"), "demo", "--warehouse", url], env=env, check=True, capture_output=True)
        env["ILS_WAREHOUSE"] = url
        if args.notebook == "group_report":
            key, items = "kind", ["namnd", "bolag", "koncern"]
        else:
            import ilslib
            from ilslib import figures

            with ilslib.connect(url) as wh:
                key, items = "org_id", list(figures.organisations(wh)["org_id"])
        periods = args.periods.split(",")
        base = dump(Path(args.base).resolve(), env, args.notebook, key, periods, items)
        this = dump(REPO, env, args.notebook, key, periods, items)
    differences = 0
    for report, outputs in base.items():
        for part in ("error", "figures", "html", "tables"):
            if outputs.get(part) != this[report].get(part):
                differences += 1
                print(f"{report[0]} {report[1]}: {part} differs")
    print(f"{len(base)} reports ({args.notebook}), {differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
