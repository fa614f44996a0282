"""Imported once by the fork server: everything a report needs, loaded and warmed up.

Each report's process is forked from the server (through the run process)
after this ran, so none of these costs is paid per report. Nothing here opens
a database connection or leaves a thread running (neither survives a fork
safely). A failed warm-up only costs speed: the report itself says what is wrong.

Only what the run's formats need is warmed up: the server is told the formats
in its environment (:data:`ilslib.runner.server.WARM_ENV`, set by
:func:`~ilslib.runner.server.start_server`); WeasyPrint (about 0.3 s of CPU to
import and lay out a first page) only for PDF, openpyxl only for Excel. The
run process warms up, once per run, whatever its jobs need beyond that
(:func:`for_jobs`), so a wrong hint costs speed, never a result. Each part is
one function, so a part no longer needed is one function to delete. (The
charts are SVG written by :mod:`ilslib.report.svg`; matplotlib, which the
reports no longer use, is not warmed up.)
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

from .server import FORMATS, WARM_ENV

os.environ.setdefault("MPLBACKEND", "Agg")

# jsonschema (imported by nbformat) builds the grammars of the optional
# rfc3987-syntax package at import, over a second of CPU, for an "iri" string
# format that notebooks never use. Without it jsonschema skips that format.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None in sys.modules: "not importable"

WARMED: set[str] = set()  # the parts warmed up in this process: "report", "html", "pdf", "xlsx"


def _warm_charts() -> None:
    """A chart like the reports' (SVG: ticks, Swedish labels, text widths, a legend) drawn once."""
    import pandas as pd

    from ..report import charts

    charts.sick_leave_chart(
        pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03"], "sick_leave_pct": [5.2, None, 4.75],
                      "suppressed": [False, True, False]})
    )  # fmt: skip


_SAMPLE_HTML: list[str] = []  # the HTML of the warm-up's notebook, for the PDF warm-up


def _warm_report() -> None:
    """The libraries of every report, and a small notebook through papermill's in-process engine to HTML."""
    import logging

    import nbformat
    import pandas as pd
    import pandas.core.reshape.reshape  # type: ignore[import-not-found]  # noqa: F401  (a report's first unstack)
    import papermill as pm

    from .. import figures  # noqa: F401
    from ..figures import context, datahash  # noqa: F401
    from ..report import charts, engine, excel, outputs, present, tables  # noqa: F401  (excel: not openpyxl)
    from ..report.render import notebook_to_html
    from ..round import state  # noqa: F401  (each report reads the round's state)
    from . import job

    with contextlib.suppress(ImportError):
        from ..report import group  # noqa: F401
    logging.getLogger("papermill").setLevel(logging.WARNING)
    _warm_charts()

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Uppvärmning"))
    nb.cells.append(nbformat.v4.new_code_cell("n = 1", metadata={"tags": ["parameters"]}))
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "from ilslib.report.present import show, table\n"
            "import pandas as pd\n"
            "show(table(pd.DataFrame({'a': [n, 2.5], 'b': ['å', 'ä']}), caption='Tabell'))"
        )
    )
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
    job._register_memory_handler()
    executed = pm.execute_notebook(
        nb,
        f"{job.MEMORY_SCHEME}warm.ipynb",
        parameters={"n": 2},
        engine_name=job.ENGINES["inprocess"],
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
    )
    job._MemoryHandler.written.clear()
    _SAMPLE_HTML.append(notebook_to_html(executed, title="Uppvärmning"))
    pd.DataFrame({"a": [1.5, None], "b": ["x", "y"]}).to_dict("records")
    engine.fresh_shell()
    from IPython.core.interactiveshell import InteractiveShell

    engine._Shell.clear_instance()
    InteractiveShell.clear_instance()


def _warm_pdf() -> None:
    """WeasyPrint imported and a first page laid out (fonts found, styles compiled); the books' module."""
    from ..report import book  # noqa: F401
    from ..report.render import html_to_pdf, warm_up_pdf

    html_to_pdf(_SAMPLE_HTML[-1] if _SAMPLE_HTML else "<!DOCTYPE html><html lang='sv'><p>Uppvärmning åäö</p></html>")
    warm_up_pdf()  # the reports' style sheet parsed into the cache, their fonts, SVG and PNG image code loaded


def _warm_xlsx() -> None:
    """openpyxl imported and a small workbook written (report.xlsx)."""
    from ..report import excel

    excel.workbook([], title="Uppvärmning", about=[("Organisation", "Åre")])


_PARTS: dict[str, Callable[[], None]] = {"report": _warm_report, "pdf": _warm_pdf, "xlsx": _warm_xlsx}


def warm_up(formats: Iterable[str] | None = None) -> None:
    """Import and exercise the heavy parts once: those of every report, and of ``formats`` (None: all formats)."""
    wanted = set(FORMATS if formats is None else formats)
    for part in ("report", *(f for f in FORMATS if f in wanted and f in _PARTS)):
        if part in WARMED:
            continue
        WARMED.add(part)  # tried once: a part that fails is the report's to report, not to be retried per run
        try:
            _PARTS[part]()
        except Exception:  # noqa: BLE001
            if os.environ.get("ILS_DEBUG"):
                raise


def for_jobs(jobs: Iterable[Any]) -> None:
    """In the run process, before its first report process: warm up the jobs' formats, read their notebooks once.

    The server may have been told fewer formats than a run set's runs ask
    for; and each report process would otherwise read and parse its notebook
    again (the cache of :func:`ilslib.runner.job.load_notebook` is inherited).
    """
    jobs = list(jobs)
    formats = {f for j in jobs for f in getattr(j, "formats", ()) if f in FORMATS}
    if any(getattr(j, "task", "notebook") == "book" for j in jobs):
        formats.add("pdf")
    warm_up(formats)
    from .job import load_notebook

    for path in {j.notebook for j in jobs if getattr(j, "task", "notebook") == "notebook"}:
        with contextlib.suppress(Exception):  # a notebook that cannot be read: its report says why
            load_notebook(path)


def _formats_asked() -> list[str] | None:
    """The formats the server was started for (and the hint removed: report processes must not see it)."""
    value = os.environ.pop(WARM_ENV, "all")
    if value == "all":
        return None
    return [f for f in value.split(",") if f]


# The imports create a few million objects and no garbage worth collecting: the cyclic collector, walking the
# growing heap again and again, was a tenth of the warm-up's CPU. The run process freezes the warm heap before
# it forks report processes (ilslib.runner.pool), so it is never walked again.
_gc_was_enabled = gc.isenabled()
gc.disable()
try:
    warm_up(_formats_asked())
finally:
    if _gc_was_enabled:
        gc.enable()
