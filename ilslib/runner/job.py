"""One report: execute a notebook with parameters, render it, write its files atomically.

A job's outputs live in one directory (``OUT/PERIOD/ORG`` for an organisation
report): ``report.ipynb`` (the executed notebook, kept also when it failed,
with papermill's error marker at the top), ``report.html``, ``report.pdf``
and ``figures.json``. Each file is written aside (a hidden ``.NAME.*.part``
file in the same directory) and renamed into place, so a reader, or a run
killed half-way, never sees a partial file under a real name. The executed
notebook never touches the disk before that: papermill writes it into memory.

This module is imported by the parent of a run too: Jupyter's libraries
(nbformat, papermill, nbconvert) are imported only inside :func:`run_job`.
"""

from __future__ import annotations

import functools
import json
import os
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..fsutil import atomic_write_bytes, atomic_write_text
from .params import check_parameters, declared_parameters  # noqa: F401  (re-exported)

ENGINES = {"inprocess": "ils-inprocess", "kernel": "nbclient"}
FORMATS = ("html", "pdf")
OUTPUT_FILES = ("report.ipynb", "report.html", "report.pdf", "figures.json")
MEMORY_SCHEME = "ils-memory://"


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


@dataclass
class JobResult:
    """How a job ended: ``done`` or ``failed`` (with the reason); ``unchanged`` jobs never run."""

    label: str
    status: str
    seconds: float = 0.0
    error: str | None = None
    out_dir: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (for the manifest)."""
        return asdict(self)


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


def remove_stale_outputs(out_dir: Path, *, written_since: float) -> None:
    """After a failed report: remove its HTML, PDF and figures, and a notebook older than this run.

    A report that failed in a cell has just written its executed notebook (kept,
    with the error at the top); one whose process was killed or timed out has
    not, and the previous run's files must not stay published beside the failure.
    """
    _remove_stale(out_dir, keep=("report.ipynb",))
    nb = out_dir / "report.ipynb"
    try:
        if nb.stat().st_mtime < written_since:
            nb.unlink()
    except FileNotFoundError:
        pass


def _remove_stale(out_dir: Path, keep: tuple[str, ...]) -> None:
    for name in OUTPUT_FILES:
        if name not in keep:
            try:
                (out_dir / name).unlink()
            except FileNotFoundError:
                pass


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
    """Execute, render and write one report; never raises for a failing notebook."""
    return _profiled(job, lambda: _run_job(job, engine))


def _run_job(job: Job, engine: str) -> JobResult:
    started = time.monotonic()
    out_dir = Path(job.out_dir)
    try:
        import nbformat
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError

        from ..report import engine as _engine  # noqa: F401  (registers the in-process engine)
        from ..report.present import read_meta
        from ..report.render import html_to_pdf, notebook_to_html

        _register_memory_handler()
        nb_path = Path(job.notebook)
        nb = load_notebook(nb_path)
        out_dir.mkdir(parents=True, exist_ok=True)
        scratch = f"{MEMORY_SCHEME}{os.getpid()}-{id(job)}.ipynb"
        error: BaseException | None = None
        try:
            # A notebook without kernel metadata still runs: in process any name will do; with
            # Jupyter kernels its own kernel if installed, else ipykernel's python3.
            if engine == "kernel":
                from ..notebooks import kernel_name_for

                kernel = kernel_name_for(nb)
            else:
                kernel = "python3"
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
            pm_meta["output_path"] = str(out_dir / "report.ipynb")
        if error is not None:
            # papermill has put its error marker at the top of the notebook.
            if executed is not None:
                atomic_write_text(out_dir / "report.ipynb", nbformat.writes(executed))
            _remove_stale(out_dir, keep=("report.ipynb",))
            return JobResult(
                job.label, "failed", time.monotonic() - started, _error_summary(error), str(out_dir), job.meta
            )
        meta = read_meta(executed)
        title = meta.get("title") or job.meta.get("title") or nb_path.stem
        written = ["report.ipynb"]
        html = notebook_to_html(executed, title=title)
        figures = meta.get("figures")
        if figures is not None:
            figures.setdefault("provenance", {})["notebook"] = nb_path.name
            atomic_write_text(
                out_dir / "figures.json", json.dumps(figures, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
            )
            written.append("figures.json")
        if "html" in job.formats:
            atomic_write_text(out_dir / "report.html", html)
            written.append("report.html")
        if "pdf" in job.formats:
            atomic_write_bytes(out_dir / "report.pdf", html_to_pdf(html))
            written.append("report.pdf")
        atomic_write_text(out_dir / "report.ipynb", nbformat.writes(executed))
        _remove_stale(out_dir, keep=tuple(written))
        # Plain data only (no NotebookNode): the result travels to a parent that never imports nbformat.
        summary = json.loads(json.dumps(meta.get("summary") or {}, default=str))
        return JobResult(
            job.label,
            "done",
            time.monotonic() - started,
            None,
            str(out_dir),
            {**job.meta, "title": str(title), "summary": summary},
        )
    except Exception as exc:  # a job never takes the batch down with it
        if os.environ.get("ILS_DEBUG"):
            traceback.print_exc()
        return JobResult(job.label, "failed", time.monotonic() - started, _error_summary(exc), str(out_dir), job.meta)


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
