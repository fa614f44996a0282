"""Imported once by the fork server: everything a report needs, loaded and warmed up.

Each report's process is forked from the server after this ran, so none of
these costs is paid per report. Nothing here opens a database connection or
starts a thread (neither survives a fork safely).
"""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")


def warm_up() -> None:
    """Import and exercise the heavy parts once."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import nbformat
    import pandas  # noqa: F401
    import papermill  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

    from .. import figures  # noqa: F401
    from ..report import engine, present  # noqa: F401
    from ..report.render import html_to_pdf, notebook_to_html

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    ax.set_title("åäö")
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# Uppvärmning"))
    html = notebook_to_html(nb, title="Uppvärmning")
    html_to_pdf(html)


try:
    warm_up()
except Exception:  # a failed warm-up only costs speed; the report itself will say what is wrong
    pass
