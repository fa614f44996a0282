"""The layout of an output directory: where each report set goes and what its files are called.

::

    OUT/index.html                      the report portal
    OUT/PERIOD/ORG/report.{html,pdf,ipynb}, figures.json   organisation reports
    OUT/PERIOD/_grupp/KIND/...          group reports (one per kind)
    OUT/PERIOD/_bok/KIND/book.{html,pdf}  the books
    OUT/_studier/NAME/PERIOD/ORG/...    other notebooks (special studies): per organisation,
    OUT/_studier/NAME/PERIOD/_grupp/KIND/...   per kind,
    OUT/_studier/NAME/PERIOD/...        or one page for the whole city
    OUT/runs/RUN-ID/manifest.json, run.log, output.log   the audit trail of every run
    OUT/.ils-run.lock                   held while a run writes

A directory holds one or more *sets* (the full report ``report``, its short
version ``report-kort``, a ``book``), each its files and a state file. The
runner, the portal and ``ils publish`` all read the layout from here.
"""

from __future__ import annotations

from .. import identifiers

LOCK_FILE = ".ils-run.lock"
GROUP_DIR = "_grupp"
BOOK_DIR = "_bok"
STUDY_DIR = "_studier"
RUNS_DIR = "runs"
KORT_STEM = "report-kort"
FORMATS = ("html", "pdf", "xlsx")
STATE_FILE = ".ils-state.json"
REPORT_STEM = "report"
BOOK_STEM = "book"
FIGURES_FILE = "figures.json"


def state_file(stem: str = REPORT_STEM) -> str:
    """The state file of a set: ``.ils-state.json`` for the full report's, ``.ils-state.STEM.json`` for another."""
    return STATE_FILE if stem == REPORT_STEM else f".ils-state.{stem}.json"


def set_files(stem: str = REPORT_STEM) -> tuple[str, ...]:
    """The files of a set besides its state: published together; a name it no longer writes is removed."""
    if stem == BOOK_STEM:  # a book: bound from the reports, no notebook of its own
        return ("book.html", "book.pdf")
    names = tuple(f"{stem}.{ext}" for ext in ("ipynb", "html", "pdf", "xlsx"))
    return (*names, FIGURES_FILE) if stem == REPORT_STEM else names


def folder_problem(value: str) -> str | None:
    """Why an id from the warehouse cannot name its report's folder, or None (then ``folder_name`` is safe)."""
    reason = identifiers.problem(value)
    if reason is None and identifiers.folder_name(value) == GROUP_DIR:  # OUT/PERIOD/_grupp: the group reports'
        reason = f"its folder would be the group reports' folder {GROUP_DIR!r}"
    if reason is None and identifiers.folder_name(value) == BOOK_DIR:  # OUT/PERIOD/_bok: the books'
        reason = f"its folder would be the books' folder {BOOK_DIR!r}"
    return reason
