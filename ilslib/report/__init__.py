"""Report production: the report context, presentation helpers for notebooks, HTML, PDF and Excel.

- :func:`context` / :func:`group_context`: every figure of a report, computed once
  (:class:`ilslib.figures.context.ReportContext`); the notebook asks it for frames and shows them;
- :mod:`ilslib.report.tables` and :mod:`ilslib.report.group`: the tables (one definition each,
  :mod:`ilslib.report.model`, for the HTML and the workbook), :mod:`ilslib.report.charts`: charts;
- :func:`report_files`: the files of a report from its executed notebook, as ``{name: bytes}``
  (``report.html``, ``report.pdf``, ``report.xlsx``, ``figures.json``);
- :mod:`ilslib.report.book`: the board's book of a kind's reports.

Heavy modules are imported when used, so that importing :mod:`ilslib.report` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..figures.context import GroupContext, ReportContext
    from ..periods import Period
    from ..warehouse import Warehouse


def context(wh: Warehouse, org_id: str, period: str | Period) -> ReportContext:
    """The report context of an organisation and period: every figure of its report, each computed once.

    >>> ctx = ilslib.report.context(wh, "ALN", "2026-T2")      # doctest: +SKIP
    >>> ctx.indicators, ctx.economy, ctx.figures_json()         # doctest: +SKIP
    """
    from ..figures.context import ReportContext

    return ReportContext(wh, org_id, period)


def group_context(wh: Warehouse, period: str | Period, kind: str) -> GroupContext:
    """The group report's context for a kind (``bolag``, ``namnd``, ``koncern``) and period."""
    from ..figures.context import GroupContext

    return GroupContext(wh, period, kind)


def report_files(nb: Any, *, formats: tuple[str, ...] = ("html", "pdf", "xlsx"), **options: Any) -> dict[str, bytes]:
    """The files of a report from its executed notebook, ``{name: bytes}`` (``stem=``, ``notebook=``: see
    :func:`ilslib.report.outputs.report_files`)."""
    from .outputs import report_files as _files

    return _files(nb, formats=formats, **options)
