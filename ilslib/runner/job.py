"""One report: execute a notebook with parameters, render it, write its files atomically.

A job's outputs live in one directory (``OUT/PERIOD/ORG`` for an organisation
report): ``report.ipynb`` (the executed notebook, kept also when it failed,
with papermill's error marker at the top), ``report.html``, ``report.pdf``
and ``figures.json``. Each file is written aside and renamed into place.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from ..errors import ConfigError
from ..fsutil import atomic_write_bytes, atomic_write_text

ENGINES = {"inprocess": "ils-inprocess", "kernel": "nbclient"}
FORMATS = ("html", "pdf")
OUTPUT_FILES = ("report.ipynb", "report.html", "report.pdf", "figures.json")


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
    """How a job ended: ``done``, ``unchanged`` or ``failed`` (with the reason)."""

    label: str
    status: str
    seconds: float = 0.0
    error: str | None = None
    out_dir: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@functools.lru_cache(maxsize=32)
def _load_notebook_cached(path: str, mtime: float) -> nbformat.NotebookNode:  # noqa: ARG001
    p = Path(path)
    if p.suffix == ".py":
        import jupytext

        return jupytext.read(p)
    return nbformat.read(p, as_version=4)


def load_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook (``.ipynb``, or a jupytext percent ``.py``); a fresh copy each call."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"notebook {str(path)!r} does not exist")
    try:
        nb = _load_notebook_cached(str(p.resolve()), p.stat().st_mtime)
    except Exception as exc:  # a user's malformed file
        raise ConfigError(f"notebook {str(path)!r} cannot be read: {exc}") from None
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:  # papermill reads cell.metadata.tags as an attribute
        cell.metadata.setdefault("tags", [])
    return nb


def notebook_parameters(path: str | Path) -> dict[str, dict[str, Any]]:
    """The parameters declared in the notebook's ``parameters`` cell (name -> papermill's info)."""
    from papermill.inspection import _infer_parameters

    nb = load_notebook(path)
    return {p.name: p._asdict() for p in _infer_parameters(nb)}


def check_parameters(path: str | Path, given: dict[str, Any], *, required: tuple[str, ...] = ()) -> None:
    """Raise :class:`ConfigError` for a parameter the notebook does not declare, or a missing one."""
    declared = notebook_parameters(path)
    if not declared:
        raise ConfigError(f"notebook {str(path)!r} has no cell tagged 'parameters'")
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ConfigError(
            f"notebook {str(path)!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters are: {', '.join(sorted(declared))}"
        )
    missing = [r for r in required if r in declared and r not in given]
    if missing:
        raise ConfigError(f"notebook {str(path)!r} needs the parameter(s) {', '.join(missing)}")


def _error_summary(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue}".strip().splitlines()[0][:300]
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0][:300]


def _remove_stale(out_dir: Path, keep: tuple[str, ...]) -> None:
    for name in OUTPUT_FILES:
        if name not in keep:
            try:
                (out_dir / name).unlink()
            except FileNotFoundError:
                pass


def run_job(job: Job, *, engine: str = "inprocess") -> JobResult:
    """Execute, render and write one report; never raises for a failing notebook."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from ..report import engine as _engine  # noqa: F401  (registers the in-process engine)
    from ..report.present import read_meta
    from ..report.render import html_to_pdf, notebook_to_html

    started = time.monotonic()
    out_dir = Path(job.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nb_path = Path(job.notebook)
    error: BaseException | None = None
    try:
        nb = load_notebook(nb_path)
        # papermill writes the executed notebook (with its error marker when a cell
        # failed) to a scratch file outside the output directory; we move it in atomically.
        fd, scratch = tempfile.mkstemp(prefix="ils-", suffix=".ipynb")
        os.close(fd)
        try:
            try:
                pm.execute_notebook(
                    nb, scratch, parameters=job.parameters, engine_name=ENGINES[engine],
                    progress_bar=False, log_output=False, cwd=str(nb_path.resolve().parent),
                    request_save_on_cell_execute=False,
                )
            except PapermillExecutionError as exc:
                error = exc
            executed = nbformat.read(scratch, as_version=4)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(scratch)
        if error is not None:
            atomic_write_text(out_dir / "report.ipynb", nbformat.writes(executed))
            _remove_stale(out_dir, keep=("report.ipynb",))
            return JobResult(job.label, "failed", time.monotonic() - started,
                             _error_summary(error), str(out_dir), job.meta)
        meta = read_meta(executed)
        title = meta.get("title") or job.meta.get("title") or nb_path.stem
        written = ["report.ipynb"]
        figures = meta.get("figures")
        if figures is not None:
            figures.setdefault("provenance", {})["notebook"] = nb_path.name
            atomic_write_text(out_dir / "figures.json",
                              json.dumps(figures, ensure_ascii=False, indent=2, allow_nan=False) + "\n")
            written.append("figures.json")
        html = notebook_to_html(executed, title=title)
        if "html" in job.formats:
            atomic_write_text(out_dir / "report.html", html)
            written.append("report.html")
        if "pdf" in job.formats:
            atomic_write_bytes(out_dir / "report.pdf", html_to_pdf(html))
            written.append("report.pdf")
        atomic_write_text(out_dir / "report.ipynb", nbformat.writes(executed))
        _remove_stale(out_dir, keep=tuple(written))
        summary = meta.get("summary") or {}
        return JobResult(job.label, "done", time.monotonic() - started, None, str(out_dir),
                         {**job.meta, "title": title, "summary": summary})
    except Exception as exc:  # a job never takes the batch down with it
        if os.environ.get("ILS_DEBUG"):
            traceback.print_exc()
        return JobResult(job.label, "failed", time.monotonic() - started, _error_summary(exc),
                         str(out_dir), job.meta)
