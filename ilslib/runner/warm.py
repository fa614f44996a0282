"""Imported once by the fork server: everything a report needs, loaded and warmed up.

Each report's process is forked from the server (through the run process)
after this ran, so none of these costs is paid per report. Nothing here opens
a database connection or leaves a thread running (neither survives a fork
safely). A failed warm-up only costs speed: the report itself says what is wrong.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("MPLBACKEND", "Agg")

# jsonschema (imported by nbformat) builds the grammars of the optional
# rfc3987-syntax package at import, over a second of CPU, for an "iri" string
# format that notebooks never use. Without it jsonschema skips that format.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None in sys.modules: "not importable"


def warm_up() -> None:
    """Import and exercise the heavy parts once."""
    import io
    import logging

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import nbformat
    import pandas as pd
    import papermill as pm

    from .. import figures  # noqa: F401
    from ..report import charts, engine, present, tables  # noqa: F401
    from ..report.render import html_to_pdf, notebook_to_html
    from . import job

    with __import__("contextlib").suppress(ImportError):
        from ..report import group  # noqa: F401
    logging.getLogger("papermill").setLevel(logging.WARNING)

    # A chart like the reports' (ticks, labels, legend, Swedish letters, PNG).
    fig, ax = plt.subplots(figsize=(4, 2))
    ax.plot([1, 2, 3], [0.5, 1.5, 1.0], marker="o", label="Utfall")
    ax.bar([1, 2, 3], [1, 2, 3], label="Budget")
    ax.set_title("Uppvärmning åäö", loc="left", fontweight="bold")
    ax.set_ylabel("mnkr")
    ax.legend(frameon=False)
    ax.grid(axis="y")
    fig.savefig(io.BytesIO(), format="png", dpi=110, bbox_inches="tight", pil_kwargs={"compress_level": 1})
    plt.close(fig)

    # A notebook through papermill's in-process engine, to HTML and PDF.
    frame = pd.DataFrame({"a": [1.5, None], "b": ["x", "y"]})
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
    html = notebook_to_html(executed, title="Uppvärmning")
    html_to_pdf(html)
    # report.xlsx (openpyxl) and the books: imported once here, not in every report process
    from ..report import book, excel  # noqa: F401

    excel.workbook([], title="Uppvärmning", about=[("Organisation", "Åre")])
    frame.to_dict("records")
    engine.fresh_shell()
    from IPython.core.interactiveshell import InteractiveShell

    engine._Shell.clear_instance()
    InteractiveShell.clear_instance()


try:
    warm_up()
except Exception:  # noqa: BLE001
    if os.environ.get("ILS_DEBUG"):
        raise
