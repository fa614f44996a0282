"""``OUT/runs/RUN-ID/manifest.json``: the record of one run (who, what, which data, every report's files)."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import sys
from pathlib import Path
from typing import Any

from ..config import redact, redact_url
from ..version import __version__
from .incremental import file_hash, library_fingerprint, read_state
from .request import Plan, RunRequest, check_audience, parse_formats
from .sets import JobResult


def _argv() -> list[str]:
    return [redact(a) for a in sys.argv]


def build_manifest(
    req: RunRequest,
    plan_: Plan,
    resolved: Any,
    run_id: str,
    started: dt.datetime,
    finished: dt.datetime,
    results: list[JobResult],
    interrupted: bool,
) -> dict[str, Any]:
    """The audit record of the run (``OUT/runs/RUN-ID/manifest.json``).

    Each report lists the files of its set (name, size, SHA-256): those it
    published, or for an unchanged report those its state records.
    """
    jobs_by_label = {j.label: j for j in plan_.jobs + plan_.unchanged}
    done = [r for r in results if r.status == "done"]
    total = len(plan_.jobs) + len(plan_.rejected)
    return {
        "run_id": run_id,
        "user": getpass.getuser(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "command": _argv(),
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": finished.isoformat(timespec="seconds"),
        "seconds": round((finished - started).total_seconds(), 3),
        "ilslib_version": __version__,
        "library": library_fingerprint(),
        "warehouse": redact_url(resolved.url),
        "warehouse_source": resolved.source,
        "period": plan_.period,
        "notebook": plan_.notebook.name if plan_.notebook else None,
        "notebook_sha256": file_hash(plan_.notebook) if plan_.notebook else None,
        "audience": None if plan_.notebook is None or req.book else check_audience(req.audience),
        "books": list(req.book) or None,
        "formats": ["html", "pdf"] if req.book else list(parse_formats(req.formats)),
        "executor": req.executor,
        "scheduler": redact_url(req.scheduler) if req.scheduler else None,
        "engine": req.engine,
        "jobs": req.jobs or (None if req.executor == "dask" else _cpus()),
        "force": req.force,
        "provenance": plan_.provenance,
        "interrupted": interrupted,
        "counts": {
            "done": len(done),
            "unchanged": len(plan_.unchanged),
            "failed": len(results) - len(done),
            "not_run": total - len(results),
        },
        "reports": [
            {
                **r.to_dict(),
                "set": jobs_by_label[r.label].stem if r.label in jobs_by_label else None,
                "seconds": round(r.seconds, 3),
                "input_hash": jobs_by_label[r.label].input_hash if r.label in jobs_by_label else None,
                "data_hash": r.meta.get("data_hash"),
            }
            for r in results
        ]
        + [
            {
                "label": j.label,
                "status": "unchanged",
                "seconds": 0.0,
                "error": None,
                "out_dir": j.out_dir,
                "meta": j.meta,
                "files": read_state(Path(j.out_dir), j.state_file).get("files") or {},
                "set": j.stem,
                "input_hash": j.input_hash,
                "data_hash": j.meta.get("data_hash"),
            }
            for j in plan_.unchanged
        ],
    }


def _cpus() -> int:
    from .pool import cpu_count

    return cpu_count()
