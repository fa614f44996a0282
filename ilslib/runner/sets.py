"""A report set as data: the job that makes it, how it ended, and its state file.

The runner plans :class:`Job` objects, the report processes (:mod:`ilslib.runner.job`,
:mod:`ilslib.runner.books`) return :class:`JobResult` objects and write the set's state
(:func:`state_document`); nothing here imports Jupyter or the warehouse.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ..fsutil import publish_set
from .layout import REPORT_STEM, set_files, state_file


def file_record(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """``{name: {"bytes": size, "sha256": digest}}`` of a set's files (the state and the manifest list them)."""
    return {n: {"bytes": len(b), "sha256": hashlib.sha256(b).hexdigest()} for n, b in sorted(files.items())}


@dataclass
class Job:
    """What to run and where its files go."""

    notebook: str
    parameters: dict[str, Any]
    out_dir: str
    formats: tuple[str, ...] = ("html",)
    label: str = ""
    input_hash: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    stem: str = REPORT_STEM  # the set: report (the full report, a group report, a study), report-kort, book
    task: str = "notebook"  # "notebook": execute and render it; "book": bind reports (ilslib.runner.books)

    @property
    def state_file(self) -> str:
        """The name of the set's state file in :attr:`out_dir`."""
        return state_file(self.stem)

    @property
    def set_files(self) -> tuple[str, ...]:
        """The names of the set's files (besides the state)."""
        return set_files(self.stem)


@dataclass
class JobResult:
    """How a job ended: ``done`` or ``failed`` (with the reason); ``unchanged`` jobs never run."""

    label: str
    status: str
    seconds: float = 0.0
    error: str | None = None
    out_dir: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    published: bool = False  # its files and state are in its directory (else the run records the failure)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # what it published: name -> bytes, sha256

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (for the manifest)."""
        return {k: v for k, v in asdict(self).items() if k != "published"}


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def state_document(
    job: Job,
    status: str,
    *,
    error: str | None = None,
    seconds: float = 0.0,
    meta: dict[str, Any] | None = None,
    reads: list[list[Any]] | None = None,
    digest: str | None = None,
    files: dict[str, dict[str, Any]] | None = None,
) -> bytes:
    """The set's state file (``.ils-state.json``): how it ended, its files and, when done, what it read.

    ``input_hash`` (notebook, parameters, library) and ``reads`` (each
    statement, its parameters and the digest of its rows) are what ``ils run``
    compares to skip an unchanged report; a failed report has neither.
    ``files`` (:func:`file_record`) lists the set's files published with it.
    """
    done = status == "done"
    state = {
        "input_hash": job.input_hash if done else None,
        "status": status,
        "error": error,
        "finished_at": _now(),
        "seconds": round(seconds, 3),
        "formats": list(job.formats),
        "set": job.stem,
        "meta": {**job.meta, **(meta or {})},
        "files": files or {},
        "data_digest": digest if done else None,
    }
    text = json.dumps(state, ensure_ascii=False, indent=2)
    # One read per line: the file stays readable and small.
    lines = [json.dumps(r, ensure_ascii=False) for r in (reads or [])] if done else []
    body = ",\n    ".join(lines)
    text = text[:-2] + ',\n  "reads": [' + (f"\n    {body}\n  " if lines else "") + "]\n}\n"
    return text.encode("utf-8")


def publish_failure(job: Job, result: JobResult) -> None:
    """Record a failure the report could not record itself (killed, timed out, not written): state only.

    The report's other files go, so nothing of an earlier run stays published
    as if it were current. Raises :class:`~ilslib.fsutil.OutputError`.
    """
    state = state_document(job, "failed", error=result.error, seconds=result.seconds, meta=result.meta)
    publish_set(job.out_dir, {job.state_file: state}, remove=job.set_files)
