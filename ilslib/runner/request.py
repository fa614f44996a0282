"""What a run is asked to do (:class:`RunRequest`), every check of it, and what it will do (:class:`Plan`).

A request comes from the command line, from a run set (:func:`load_runset`,
:meth:`RunRequest.from_settings`) or from Python; :meth:`RunRequest.check` makes
the same checks for each, before anything is read or written. The notebooks a
run may use are found here too (:func:`resolve_notebook`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, IlsError
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
    where: str = field(default="ils run", compare=False)  # where it was asked, for messages: "run set X, run 2"

    @classmethod
    def from_settings(cls, entry: Mapping[str, Any], *, where: str = "ils run", **given: Any) -> RunRequest:
        """A checked request from a run set's ``entry`` (:func:`load_runset`) and the ``given`` settings.

        ``given`` are the command line's settings (the fields of a request; None,
        empty or False: not given); they take precedence over the entry's. Each
        setting of the entry must have its type (``jobs`` a whole number, ...);
        every check of :meth:`check` follows, with ``where`` in its message.
        """

        def setting(name: str, kind: type | tuple[type, ...]) -> Any:
            value = entry.get(name)
            if value is not None and (not isinstance(value, kind) or isinstance(value, bool) and kind is not bool):
                expected = (
                    {bool: "true or false", int: "a whole number", str: "text", dict: "a mapping"}.get(kind, "a number")
                    if isinstance(kind, type)
                    else "a number"
                )
                raise ConfigError(f"{where}: {name!r} must be {expected}, got {value!r}")
            return value

        def first(name: str, kind: type | tuple[type, ...]) -> Any:
            value = given.get(name)
            return value if value not in (None, [], "", False) else setting(name, kind)

        period = given.get("period") or (str(entry["period"]) if entry.get("period") is not None else "")
        common: dict[str, Any] = {
            "period": period,
            "out": first("out", str) or "outputs",
            "force": bool(given.get("force")),
            "wait": bool(given.get("wait")),
            "warehouse": given.get("warehouse"),
            "where": where,
        }
        if "book" in entry:
            book = entry["book"]
            if not (isinstance(book, str) or isinstance(book, list) and all(isinstance(b, str) for b in book)):
                raise ConfigError(
                    f"{where}: 'book' must be a kind or a list of kinds, e.g. [namnd, bolag], got {book!r}"
                )
            kinds = list(given.get("kinds") or _as_list(book))
            if not kinds:
                raise ConfigError(f"{where}: 'book' must name one or more kinds, e.g. [namnd, bolag]")
            return cls(**common, book=kinds, orgs=list(given.get("orgs") or [])).check()
        jobs = given.get("jobs")
        return cls(
            **common,
            orgs=list(given.get("orgs") or _as_list(entry.get("orgs"))),
            kinds=list(given.get("kinds") or _as_list(entry.get("kinds"))),
            all=bool(given.get("all")) or bool(setting("all", bool)),
            notebook=first("notebook", str),
            formats=parse_formats(given.get("formats") or entry.get("formats") or "html"),
            jobs=jobs if jobs is not None else setting("jobs", int) or 0,
            engine=first("engine", str) or "inprocess",
            executor=first("executor", str) or "local",
            scheduler=first("scheduler", str),
            parameters={**(setting("parameters", dict) or {}), **(given.get("parameters") or {})},
            timeout=given["timeout"] if given.get("timeout") is not None else setting("timeout", (int, float)),
            audience=first("audience", str) or "full",
        ).check()

    def check(self) -> RunRequest:
        """Every check that needs no warehouse, the same for the command line, a run set and Python; ``self``.

        The period is given; formats, audience, engine, executor, ``jobs``,
        ``timeout``, the output path, the kinds and the scheduler's address are
        valid; a run of books names book kinds and no organisation. What needs
        the warehouse (the period's data, the organisations) or the notebook
        (its parameters) is checked by :func:`ilslib.runner.plan.plan`.
        """
        where = self.where
        if not str(self.period or "").strip():
            raise ConfigError(f"{where}: which period? give --period YYYY-BU|T1|T2|BO, latest or latest-BO")
        if "\0" in str(self.out):
            raise ConfigError("--out: the path contains a NUL byte")
        if self.book:
            if self.orgs:
                raise ConfigError(f"{where}: a book is made per kind: use --kind, not --org")
            try:
                self.book = check_book_kinds(list(self.book))
            except IlsError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            return self
        parse_formats(self.formats)  # a bad format is an error before anything else
        check_audience(self.audience)
        if self.jobs < 0:
            raise ConfigError(f"--jobs {self.jobs}: expected 1 or more")
        if self.scheduler and self.executor != "dask":
            raise ConfigError(f"{where}: --scheduler {self.scheduler!r} is for --executor dask (this run is local)")
        if self.scheduler and not re.fullmatch(r"(tcp|tls|inproc|ucx|ws|wss)://[^\s/]+(:\d+)?/?", self.scheduler):
            raise ConfigError(
                f"{where}: --scheduler {self.scheduler!r} is not a scheduler address (expected e.g. tcp://10.0.0.5:8786)"
            )
        if self.engine not in ENGINES:
            raise ConfigError(f"unknown engine {self.engine!r}: expected {' or '.join(ENGINES)}")
        if self.executor not in EXECUTORS:
            raise ConfigError(f"unknown executor {self.executor!r}: expected {' or '.join(EXECUTORS)}")
        if self.timeout is not None and self.timeout <= 0:
            raise ConfigError(f"--timeout {self.timeout:g}: expected a positive number of seconds")
        from ..figures.orgs import check_kind

        for k in self.kinds:
            check_kind(k)
        return self


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


RUNSET_KEYS = {
    "description",
    "period",
    "notebook",
    "orgs",
    "kinds",
    "all",
    "formats",
    "jobs",
    "out",
    "parameters",
    "runs",
    "engine",
    "executor",
    "scheduler",
    "timeout",
    "audience",
    "book",
}
#: The settings of a book entry (``book: [namnd, bolag]``): a book binds reports already made.
BOOK_KEYS = {"description", "book", "period", "out"}


#: The kinds a book is made for (``ils book --kind``), in the order they are made.
BOOK_KINDS = ("namnd", "bolag", "koncern")


def check_book_kinds(kinds: list[str]) -> list[str]:
    """The kinds of a book entry, each checked (a one-line error naming the valid ones)."""
    from ..figures.orgs import check_kind

    if not kinds:
        raise ConfigError(f"which books? name one or more kinds: {', '.join(BOOK_KINDS)}")
    for k in kinds:
        check_kind(k)
        if k not in BOOK_KINDS:
            raise ConfigError(f"no book is made for kind {k!r}: books are made for {', '.join(BOOK_KINDS)}")
    return list(dict.fromkeys(kinds))


def load_runset(path: str) -> list[dict[str, Any]]:
    """Read a run set: one run (a mapping) or several (``runs: [...]``); unknown keys are errors."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"run set {path!r} does not exist")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"run set {path}{where}: not valid YAML") from None
    if not isinstance(data, dict):
        raise ConfigError(f"run set {path}: expected a mapping of settings")

    def check(entry: dict[str, Any], where: str) -> dict[str, Any]:
        unknown = sorted(set(entry) - RUNSET_KEYS)
        if unknown:
            raise ConfigError(
                f"run set {path}{where}: unknown setting {unknown[0]!r}; "
                f"valid: {', '.join(sorted(RUNSET_KEYS - {'runs'}))}"
            )
        if "book" in entry:
            not_for_books = sorted(set(entry) - BOOK_KEYS)
            if not_for_books:
                raise ConfigError(
                    f"run set {path}{where}: {not_for_books[0]!r} is a setting of reports; a book entry takes "
                    f"{', '.join(sorted(BOOK_KEYS))} (it binds the reports the entries before it made)"
                )
        return entry

    base = check({k: v for k, v in data.items() if k != "runs"}, "")
    runs = data.get("runs")
    if runs is None:
        return [base]
    if not isinstance(runs, list) or not runs:
        raise ConfigError(f"run set {path}: 'runs' must be a list of runs")
    if "book" in base:
        raise ConfigError(f"run set {path}: 'book' belongs in an entry of 'runs' (after the reports it binds)")
    out = []
    for i, entry in enumerate(runs, 1):
        if not isinstance(entry, dict):
            raise ConfigError(f"run set {path}, run {i}: expected a mapping")
        check(entry, f", run {i}")
        if "book" in entry:  # only the settings a book has are taken from the top
            out.append({**{k: v for k, v in base.items() if k in BOOK_KEYS}, **entry})
        else:
            out.append({**base, **entry})
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]
