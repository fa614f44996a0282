"""What a run is asked to do (:class:`RunRequest`), every check of it, and what it will do (:class:`Plan`).

A request comes from the command line, from a run set (:func:`load_runset`,
:meth:`RunRequest.from_settings`) or from Python; :meth:`RunRequest.check` makes
the same checks for each, before anything is read or written. The notebooks a
run may use are found here too (:func:`resolve_notebook`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .layout import FORMATS, KORT_STEM, REPORT_STEM
from .sets import Job, JobResult

REPORT_NOTEBOOK = "report"

GROUP_NOTEBOOK = "group_report"

KORT_NOTEBOOK = "report_kort"

#: ``--audience``: who the organisation report is for, and the notebook that makes it.
AUDIENCES = {"full": REPORT_NOTEBOOK, "kort": KORT_NOTEBOOK}

#: The project's own notebooks and the set each writes in OUT/PERIOD/... (any other notebook is a study).
OFFICIAL_SETS = {REPORT_NOTEBOOK: REPORT_STEM, KORT_NOTEBOOK: KORT_STEM, GROUP_NOTEBOOK: REPORT_STEM}

EXECUTORS = ("local", "dask")

ENGINES = ("inprocess", "kernel")

# Parameters ils run sets itself from --org/--kind/--period.
RESERVED_PARAMETERS = ("org_id", "kind", "period")


def default_notebook_dir() -> Path:
    """``notebooks/`` of the working directory, else the one beside the installed package."""
    here = Path.cwd() / "notebooks"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[2] / "notebooks"


def resolve_notebook(value: str | None) -> Path:
    """The notebook file for ``--notebook`` (a file, a study directory, or a name in notebooks/)."""
    if not value:
        value = str(default_notebook_dir() / f"{REPORT_NOTEBOOK}.ipynb")
    if "\0" in value:
        raise ConfigError("--notebook: the path contains a NUL byte")
    p = Path(value)
    candidates = [p]
    if p.is_dir():
        candidates = [p / f"{p.name}.ipynb", *sorted(p.glob("*.ipynb")), p / f"{p.name}.py"]
    elif p.suffix not in (".ipynb", ".py"):
        candidates = [
            p.with_name(p.name + ".ipynb"),
            p.with_name(p.name + ".py"),
            default_notebook_dir() / f"{value}.ipynb",
            default_notebook_dir() / f"{value}.py",
        ]
    for c in candidates:
        with contextlib.suppress(OSError):
            if c.is_file():
                return c.resolve()
    known = sorted({q.stem for q in default_notebook_dir().glob("*.ipynb")})
    raise ConfigError(
        f"notebook {value!r} not found; the notebooks in {default_notebook_dir()} are: "
        f"{', '.join(known) or 'none'} (or give a path to an .ipynb or .py file)"
    )


@dataclass
class RunRequest:
    """Everything ``ils run`` was asked to do."""

    period: str
    orgs: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    all: bool = False
    notebook: str | None = None
    formats: tuple[str, ...] = ("html",)
    jobs: int = 0
    out: str = "outputs"
    force: bool = False
    engine: str = "inprocess"
    executor: str = "local"
    scheduler: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    wait: bool = False
    warehouse: str | None = None
    timeout: float | None = None
    audience: str = "full"  # full: notebooks/report; kort: the short version, notebooks/report_kort
    book: list[str] = field(default_factory=list)  # kinds: a run of books (ilslib.runner.books), not of reports


@dataclass
class Plan:
    """The jobs of a run, with what is unchanged already set aside."""

    period: str
    notebook: Path | None  # None for a run of books
    jobs: list[Job]
    unchanged: list[Job]
    provenance: dict[str, Any]
    out: Path
    per: str = "org"  # "org", "kind", "once" or "book"
    rejected: list[JobResult] = field(default_factory=list)  # reports that cannot run (an invalid id)

    @property
    def what(self) -> str:
        """What the run makes, for its log: the notebook, or the books."""
        if self.notebook is None:
            return "books " + ", ".join(str(j.parameters.get("kind")) for j in self.jobs + self.unchanged)
        return f"notebook {self.notebook.name}"


def parse_formats(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``"html,pdf"`` -> ``("html", "pdf")``; unknown formats are an error listing the valid ones."""
    items = text.split(",") if isinstance(text, str) else [str(t) for t in text]
    out = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        shown = ", ".join(map(repr, bad)) if bad else repr(text)
        raise ConfigError(
            f"unknown format {shown}: expected html, pdf or xlsx, or several separated by commas (html,pdf,xlsx)"
        )
    return out


def check_audience(value: str | None) -> str:
    """``full`` or ``kort`` (``--audience``); anything else is a one-line error naming both."""
    audience = (value or "full").strip().lower()
    if audience not in AUDIENCES:
        raise ConfigError(
            f"unknown audience {value!r}: expected full (the whole report) or kort (the two-page short version)"
        )
    return audience


def official_set(notebook: Path) -> str | None:
    """The set a project notebook writes (``report``, ``report-kort``), or None for any other notebook (a study)."""
    standard = notebook.parent == default_notebook_dir().resolve() and notebook.suffix == ".ipynb"
    return OFFICIAL_SETS.get(notebook.stem) if standard else None


def is_study(notebook: Path) -> bool:
    """True for every notebook but the project's own report notebooks (``notebooks/report``, ``group_report``).

    Only those write to ``OUT/PERIOD/...``; any other notebook (a fork named
    report.ipynb elsewhere too) is a study with a directory of its own,
    ``OUT/_studier/NAME/``.
    """
    return official_set(notebook) is None
