"""The board's books in a run: a run set's ``book: [namnd, bolag]`` binds each kind's reports into one PDF.

A book is made from the reports already on disk (:mod:`ilslib.report.book`):
``OUT/PERIOD/ORG/report.html`` of every organisation of the kind and the
kind's group report ``OUT/PERIOD/_grupp/KIND/report.html``. So a run set lists
its book entries after its reports; ``ils run`` runs the entries in order.

A book is a set like a report's, in ``OUT/PERIOD/_bok/KIND/``: ``book.html``,
``book.pdf`` and its state ``.ils-state.book.json``, published at once. Its
input is what it binds: the organisations of the kind (from the warehouse,
when the run is planned) and the bytes of each report it finds (when the run
starts, after the reports of the run set's earlier entries were made); a book
whose input is unchanged is not made again (``--force`` makes it anyway), so a
night without new data binds nothing. It is bound in a process forked from
the warm fork server, like a report.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from ..fsutil import OutputError, inside, publish_set
from .incremental import library_fingerprint, read_state
from .layout import BOOK_DIR, BOOK_STEM, STATE_FILE
from .request import Plan
from .sets import Job, JobResult, file_record, state_document


def plan_books(req: Any) -> Any:
    """The plan of a run of books (``RunRequest.book``): kinds and period checked, members from the warehouse.

    The reports a book binds are looked at when the run starts (:func:`split_unchanged_books`),
    not here: a run set's earlier entries make them.
    """
    from .. import connect, figures
    from ..report.book import BOOK_TITLES

    kinds = list(req.book)  # checked by RunRequest.check
    out = Path(req.out).resolve()
    jobs = []
    with connect(req.warehouse) as wh:
        period = str(figures.as_period(wh, req.period))
        for kind in kinds:
            orgs = figures.organisations(wh, figures.group_kinds(kind))
            members = [[str(o), str(n)] for o, n in zip(orgs["org_id"], orgs["name"], strict=True)]
            meta = {
                "kind": kind,
                "period": period,
                "name": BOOK_TITLES[kind],
                "book": True,
                "notebook": BOOK_STEM,
                "set": BOOK_STEM,
            }
            params = {"kind": kind, "period": period, "reports": str(out), "members": members}
            target = inside(out, period, BOOK_DIR, kind)
            label = f"{period}/{BOOK_DIR}/{kind}"
            jobs.append(Job("", params, str(target), ("html", "pdf"), label, "", meta, BOOK_STEM, "book"))
    return Plan(period, None, jobs, [], {}, out, "book")


def _chapters(job: Job) -> tuple[Any, Any, Any]:
    from ..periods import Period
    from ..report.book import find_chapters

    p = job.parameters
    period = Period.parse(p["period"])
    members = [(o, n) for o, n in p["members"]]
    chapters, missing = find_chapters(members, period, p["kind"], Path(p["reports"]))
    return period, chapters, missing


def book_input_hash(job: Job) -> str:
    """What the book binds: the library, its organisations, and what every report it finds now was made from."""

    _, chapters, missing = _chapters(job)
    h = hashlib.sha256()
    h.update(
        json.dumps(
            {
                "library": library_fingerprint(),
                "kind": job.parameters["kind"],
                "period": job.parameters["period"],
                "members": job.parameters["members"],
                "chapters": [[c.key, c.title] for c in chapters],
                "missing": [list(m) for m in missing],
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
    )
    for c in chapters:
        # A report is the same when it was made from the same notebook, parameters and library (its input
        # hash) and read the same data (its data digest): made again at another minute it differs only in
        # its "Skapad" time, and the book is not bound again for that. A report without that record: its bytes.
        state = read_state(c.path.parent, STATE_FILE)
        same = [state.get("status"), state.get("input_hash"), state.get("data_digest")]
        if all(isinstance(x, str) for x in same):
            h.update(json.dumps(same).encode())
            continue
        try:
            h.update(hashlib.sha256(c.path.read_bytes()).digest())
        except OSError:
            h.update(b"unreadable")  # made anyway: the book says what is wrong
    return h.hexdigest()


def split_unchanged_books(jobs: list[Job], *, force: bool) -> tuple[list[Job], list[Job]]:
    """``(to make, unchanged)``: a book is unchanged when its last state is done with the same input, files there."""

    todo, same = [], []
    for j in jobs:
        j.input_hash = book_input_hash(j)
        out_dir = Path(j.out_dir)
        state = read_state(out_dir, j.state_file)
        there = all((out_dir / n).is_file() for n in j.set_files)
        if not force and there and state.get("status") == "done" and state.get("input_hash") == j.input_hash:
            j.meta.update({k: v for k, v in (state.get("meta") or {}).items() if k not in j.meta})
            same.append(j)
        else:
            todo.append(j)
    return todo, same


def run_book_job(job: Job) -> JobResult:
    """Bind one book and publish ``book.html``, ``book.pdf`` and its state as one set; never raises."""
    from ..errors import IlsError
    from ..periods import Period
    from ..report.book import book_files

    started = time.monotonic()
    try:
        period = Period.parse(job.parameters["period"])
        files, book = book_files(
            [(o, n) for o, n in job.parameters["members"]], period=period, kind=job.parameters["kind"],
            reports=Path(job.parameters["reports"]),
        )  # fmt: skip
    except (IlsError, OSError, ValueError) as exc:
        return _failed(job, started, str(exc))
    except Exception as exc:  # noqa: BLE001  (a book never takes the run down with it)
        if os.environ.get("ILS_DEBUG"):
            raise
        return _failed(job, started, f"{type(exc).__name__}: {exc}"[:300])
    record = file_record(files)
    organisations = [c for c in book.chapters if not c.group]
    done_meta = {
        "title": book.title,
        "pages": book.pages,
        "organisations": len(organisations),
        "members": len(job.parameters["members"]),
        "missing": [o for o, _ in book.missing],
        "group_report": any(c.group for c in book.chapters),
    }
    seconds = time.monotonic() - started
    files[job.state_file] = state_document(job, "done", seconds=seconds, meta=done_meta, files=record)
    try:
        publish_set(job.out_dir, files)
    except OutputError as exc:
        return JobResult(job.label, "failed", time.monotonic() - started, str(exc), job.out_dir, job.meta)
    return JobResult(
        job.label, "done", seconds, None, job.out_dir, {**job.meta, **done_meta}, published=True, files=record
    )


def _failed(job: Job, started: float, error: str) -> JobResult:
    """A book that could not be made: its state says why, and the previous book goes (nothing stale stays)."""
    from ..config import redact

    error = redact(error.splitlines()[0] if error else "")
    seconds = time.monotonic() - started
    state = state_document(job, "failed", error=error, seconds=seconds)
    try:
        publish_set(job.out_dir, {job.state_file: state}, remove=job.set_files)
    except OutputError as exc:
        return JobResult(job.label, "failed", seconds, f"{error}; and {exc}", job.out_dir, job.meta)
    return JobResult(job.label, "failed", seconds, error, job.out_dir, job.meta, published=True)
