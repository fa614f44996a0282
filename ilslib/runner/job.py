"""One report: execute a notebook with parameters, render it, publish its files as one set.

A job's outputs live in one directory (``OUT/PERIOD/ORG`` for an organisation
report), as a *set* of files named after the set's stem: for the full report
(stem ``report``) ``report.ipynb`` (the executed notebook, kept also when it
failed, with papermill's error marker at the top), ``report.html``,
``report.pdf``, ``report.xlsx``, ``figures.json`` and the state
``.ils-state.json`` (how the report ended, what it read, its files); for the
short version (stem ``report-kort``) ``report-kort.ipynb``, ``.html``,
``.pdf``, ``.xlsx`` and ``.ils-state.report-kort.json`` (its figures are the
full report's: ``figures.json`` belongs to the full set). The files come from
the executed notebook (:func:`ilslib.report.report_files`), are made in memory
and published together (:func:`ilslib.fsutil.publish_set`): a reader, or a run
killed at any point, sees the previous complete set or the new one, never a
mix; the other set in the directory stays exactly as it is. The executed
notebook never touches the disk before that: papermill writes it into memory.

While the notebook runs, every warehouse read is recorded
(:func:`ilslib.warehouse.reading`); the state keeps the reads and their
digest, from which ``ils run`` later tells whether the report is unchanged.

This module is imported by the parent of a run too: Jupyter's libraries
(nbformat, papermill, nbconvert) are imported only inside :func:`run_job`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import warehouse
from ..errors import ConfigError
from ..fsutil import OutputError, publish_set
from .layout import FIGURES_FILE, REPORT_STEM
from .params import check_parameters, declared_parameters  # noqa: F401  (re-exported)
from .sets import Job, JobResult, file_record, state_document

ENGINES = {"inprocess": "ils-inprocess", "kernel": "nbclient"}
MEMORY_SCHEME = "ils-memory://"


@functools.lru_cache(maxsize=32)
def _load_notebook_cached(path: str, mtime: float) -> Any:  # noqa: ARG001  (mtime: the cache key)
    import nbformat

    p = Path(path)
    if p.suffix == ".py":
        import jupytext

        return jupytext.read(p)
    return nbformat.read(p, as_version=4)


def load_notebook(path: str | Path) -> Any:
    """Read a notebook (``.ipynb``, or a jupytext percent ``.py``); a fresh copy each call."""
    import copy

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"notebook {str(path)!r} does not exist")
    try:
        nb = _load_notebook_cached(str(p.resolve()), p.stat().st_mtime)
    except Exception as exc:  # a user's malformed file
        raise ConfigError(f"notebook {str(path)!r} cannot be read: {exc}") from None
    nb = copy.deepcopy(nb)
    for cell in nb.cells:  # papermill reads cell.metadata.tags as an attribute
        cell.metadata.setdefault("tags", [])
    return nb


class _MemoryHandler:
    """A papermill I/O handler that keeps written notebooks in memory (``ils-memory://NAME``)."""

    written: dict[str, str] = {}

    @classmethod
    def read(cls, path: str) -> str:
        return cls.written[path]

    @classmethod
    def write(cls, buf: str, path: str) -> None:
        cls.written[path] = buf

    @classmethod
    def listdir(cls, path: str) -> list[str]:  # noqa: ARG003
        return sorted(cls.written)

    @classmethod
    def pretty_path(cls, path: str) -> str:
        return path


@functools.lru_cache(maxsize=1)
def _register_memory_handler() -> None:
    from papermill.iorw import papermill_io

    papermill_io.register(MEMORY_SCHEME, _MemoryHandler)


def _error_summary(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        text = f"{exc.ename}: {exc.evalue}".strip()
    else:
        text = f"{type(exc).__name__}: {exc}".strip()
    from ..config import redact

    return redact((text.splitlines() or [""])[0][:300])


def _profiled(job: Job, fn: Any) -> Any:
    """Run ``fn()`` under cProfile when ``ILS_RUN_PROFILE`` names a directory (a .prof file per report)."""
    target = os.environ.get("ILS_RUN_PROFILE")
    if not target:
        return fn()
    import cProfile

    prof = cProfile.Profile()
    try:
        return prof.runcall(fn)
    finally:
        Path(target).mkdir(parents=True, exist_ok=True)
        prof.dump_stats(str(Path(target) / ((job.label.replace("/", "_") or "report") + ".prof")))


def run_job(job: Job, *, engine: str = "inprocess") -> JobResult:
    """Execute, render and write one report (or bind one book); never raises for a failing notebook."""
    if job.task == "book":
        from .books import run_book_job

        return _profiled(job, lambda: run_book_job(job))
    return _profiled(job, lambda: _run_job(job, engine))


@contextlib.contextmanager
def _kernel_reads(engine: str, log: warehouse.ReadLog) -> Iterator[None]:
    """With Jupyter kernels the notebook runs in another process: it reports its reads through a file."""
    if engine != "kernel":
        yield
        return
    fd, path = tempfile.mkstemp(prefix="ils-reads-", suffix=".jsonl")
    os.close(fd)
    old = os.environ.get(warehouse.READ_LOG_ENV)
    os.environ[warehouse.READ_LOG_ENV] = path  # the kernel inherits this process's environment
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(warehouse.READ_LOG_ENV, None)
        else:
            os.environ[warehouse.READ_LOG_ENV] = old
        for sql, params, digest in warehouse.read_file_log(path):
            log.add(sql, params, digest)
        with contextlib.suppress(OSError):
            os.unlink(path)


def _run_job(job: Job, engine: str) -> JobResult:
    started = time.monotonic()
    out_dir = Path(job.out_dir)
    executed = None
    try:
        import nbformat
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        from ..figures.datahash import report_data_hash
        from ..report import engine as _engine  # noqa: F401  (registers the in-process engine)
        from ..report import report_files
        from ..report.present import read_meta

        _register_memory_handler()
        nb_path = Path(job.notebook)
        nb = load_notebook(nb_path)
        scratch = f"{MEMORY_SCHEME}{os.getpid()}-{id(job)}.ipynb"
        error: BaseException | None = None
        with warehouse.reading() as reads:
            # The reporting round's state the report is made in, as one of its reads: publication (ils publish)
            # takes only reports made in the approved state, and a change of state makes the report run again.
            from ..round.state import round_meta

            round_info = round_meta(job.meta)
            try:
                # A notebook without kernel metadata still runs: in process any name will do; with
                # Jupyter kernels its own kernel if installed, else ipykernel's python3.
                if engine == "kernel":
                    from ..notebooks import kernel_name_for

                    kernel = kernel_name_for(nb)
                else:
                    kernel = "python3"
                with _kernel_reads(engine, reads):
                    executed = pm.execute_notebook(
                        nb,
                        scratch,
                        parameters=job.parameters,
                        engine_name=ENGINES[engine],
                        kernel_name=kernel,
                        language="python",
                        progress_bar=False,
                        log_output=False,
                        cwd=str(nb_path.resolve().parent),
                        request_save_on_cell_execute=False,
                    )
            except PapermillExecutionError as exc:
                error = exc
                executed = None
        text = _MemoryHandler.written.pop(scratch, None)
        if executed is None and text is not None:
            executed = nbformat.reads(text, as_version=4)
        if executed is not None:
            # papermill records where the notebook came from and went (here: objects in memory).
            pm_meta = executed.metadata.setdefault("papermill", {})
            pm_meta["input_path"] = str(nb_path)
            pm_meta["output_path"] = str(out_dir / f"{job.stem}.ipynb")
        if error is not None:
            # papermill has put its error marker at the top of the notebook: keep it, nothing else.
            return _failed(job, started, _error_summary(error), executed, nbformat)
        meta = read_meta(executed)
        title = meta.get("title") or job.meta.get("title") or nb_path.stem
        # Every file of the set from the executed notebook (one home: ilslib.report.report_files).
        files = report_files(executed, formats=job.formats, stem=job.stem, notebook=nb_path.name, title=str(title))
        if job.stem != REPORT_STEM:  # the short version shows the full report's figures: figures.json is the full set's
            files.pop(FIGURES_FILE, None)
        files[f"{job.stem}.ipynb"] = nbformat.writes(executed).encode("utf-8")
        record = file_record(files)
        # Plain data only (no NotebookNode): the result travels to a parent that never imports nbformat.
        summary = json.loads(json.dumps(meta.get("summary") or {}, default=str))
        # the figures' own data hash (figures.json's provenance.data_hash): one value in the set, the state and the manifest
        data_hash = report_data_hash(meta.get("figures"), reads)
        done_meta = {"title": str(title), "summary": summary, "data_hash": data_hash, **round_info}
        seconds = time.monotonic() - started
        files[job.state_file] = state_document(
            job, "done", seconds=seconds, meta=done_meta, reads=reads.entries(), digest=reads.digest(), files=record
        )
        try:
            publish_set(out_dir, files, remove=[n for n in job.set_files if n not in files])
        except OutputError as exc:
            return JobResult(job.label, "failed", time.monotonic() - started, str(exc), str(out_dir), job.meta)
        return JobResult(
            job.label,
            "done",
            seconds,
            None,
            str(out_dir),
            {**job.meta, **done_meta},
            published=True,
            files=record,
        )
    except Exception as exc:  # a job never takes the batch down with it
        if os.environ.get("ILS_DEBUG"):
            traceback.print_exc()
        nbf: Any = None
        with contextlib.suppress(ImportError):
            import nbformat as nbf
        return _failed(job, started, _error_summary(exc), executed, nbf)


def _failed(job: Job, started: float, error: str, executed: Any, nbformat: Any) -> JobResult:
    """A failed report: its executed notebook (if any) and its state, published as its set."""
    seconds = time.monotonic() - started
    files: dict[str, bytes] = {}
    if executed is not None and nbformat is not None:
        files[f"{job.stem}.ipynb"] = nbformat.writes(executed).encode("utf-8")
    record = file_record(files)
    files[job.state_file] = state_document(job, "failed", error=error, seconds=seconds, files=record)
    published = True
    try:
        publish_set(job.out_dir, files, remove=[n for n in job.set_files if n not in files])
    except OutputError as exc:
        error, published, record = f"{error}; and {exc}", False, {}
    return JobResult(job.label, "failed", seconds, error, job.out_dir, job.meta, published=published, files=record)


def _main(argv: list[str]) -> int:
    """``python -m ilslib.runner.job JOB.pickle RESULT.pickle``: one job in a fresh process."""
    import pickle

    with open(argv[0], "rb") as fh:
        job, engine = pickle.load(fh)
    result = run_job(job, engine=engine)
    with open(argv[1], "wb") as fh:
        pickle.dump(result, fh)
    return 0 if result.status == "done" else 1


if __name__ == "__main__":  # pragma: no cover  (run by the Dask executor on daemonic workers)
    import sys

    # The classes as ilslib.runner.job, not as __main__ (the result is unpickled by the worker).
    from ilslib.runner import job as _module

    sys.exit(_module._main(sys.argv[1:]))
