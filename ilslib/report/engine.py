"""A papermill engine that runs a notebook's cells in the current process.

papermill still does everything it always does (parameter injection, cell
metadata, the error marker at the top of a failed notebook); only the cells
are run by an IPython shell inside this process instead of a separate Jupyter
kernel. The batch runner forks a warm worker (pandas, matplotlib and ilslib
already imported) for every report, so each report starts from clean state
and the cost of starting a kernel and importing is paid once per worker.

Outputs are recorded exactly as a kernel would send them: ``display_data``,
``execute_result``, ``stream`` and ``error``. Use ``engine_name="ils-inprocess"``
with :func:`papermill.execute_notebook`; the standard kernel engine stays
available (``--engine kernel`` on the command line).
"""

from __future__ import annotations

import io
import sys
from typing import Any, cast

import nbformat
from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from papermill.engines import Engine, papermill_engines
from traitlets import Type
from traitlets.config import Config

ENGINE_NAME = "ils-inprocess"


class _Stream(io.TextIOBase):
    """stdout/stderr for a cell: text becomes a ``stream`` output."""

    def __init__(self, sink: list, name: str):
        self._sink = sink
        self._name = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            last = self._sink[-1] if self._sink else None
            if last is not None and last.get("output_type") == "stream" and last.get("name") == self._name:
                last["text"] += text
            else:
                self._sink.append(nbformat.v4.new_output("stream", name=self._name, text=text))
        return len(text)

    def flush(self) -> None:
        pass


class _Publisher(DisplayPublisher):
    def publish(  # noqa: ARG002
        self,
        data: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        source: Any = None,
        *,
        transient: dict[str, Any] | None = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        cast("_Shell", self.shell)._ils_outputs.append(
            nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})
        )

    def clear_output(self, wait: bool = False) -> None:
        cast("_Shell", self.shell)._ils_outputs.clear()


class _Hook(DisplayHook):
    def start_displayhook(self) -> None:
        pass

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict: dict[str, Any], md_dict: dict[str, Any] | None = None) -> None:
        cast("_Shell", self.shell)._ils_outputs.append(
            nbformat.v4.new_output(
                "execute_result", data=format_dict, metadata=md_dict or {}, execution_count=self.prompt_count
            )
        )

    def finish_displayhook(self) -> None:
        pass


class _Shell(InteractiveShell):
    """An IPython shell whose outputs become notebook outputs."""

    display_pub_class = Type(_Publisher)
    displayhook_class = Type(_Hook)
    #: The outputs of the cell that runs (notebook output nodes), set by :func:`fresh_shell` and :func:`run_cell`.
    _ils_outputs: list[Any]

    def _showtraceback(self, etype: type[BaseException] | None, evalue: BaseException | None, stb: list[str]) -> None:
        self._ils_outputs.append(
            nbformat.v4.new_output(
                "error", ename=getattr(etype, "__name__", str(etype)), evalue=str(evalue), traceback=list(stb)
            )
        )

    def enable_gui(self, gui: str | None = None) -> None:  # no event loops in a batch run
        pass


def fresh_shell() -> _Shell:
    """A new shell with an empty namespace (the previous one, if any, is discarded)."""
    # clear_instance() only walks up the MRO: clear ours and any plain shell.
    _Shell.clear_instance()
    InteractiveShell.clear_instance()
    # No history file: a report has no history, and a shell left over at exit must not write to a
    # database in a HOME that is gone (or read-only) by then.
    config = Config()
    config.HistoryManager.enabled = False
    config.HistoryManager.hist_file = ":memory:"
    shell = _Shell.instance(config=config, colors="nocolor", autocall=0, history_length=0)
    shell._ils_outputs = []
    return shell


def run_cell(shell: _Shell, source: str) -> tuple[list[Any], bool]:
    """Run one cell; return its outputs and whether it raised."""
    outputs: list[Any] = []
    shell._ils_outputs = outputs
    old_out, old_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Stream(outputs, "stdout"), _Stream(outputs, "stderr")
    try:
        result = shell.run_cell(source, store_history=True)
    finally:
        sys.stdout, sys.stderr = old_out, old_err
    failed = not result.success
    if failed and not any(o.get("output_type") == "error" for o in outputs):
        exc = result.error_in_exec or result.error_before_exec
        outputs.append(nbformat.v4.new_output("error", ename=type(exc).__name__, evalue=str(exc), traceback=[str(exc)]))
    return outputs, failed


class InProcessEngine(Engine):
    """papermill engine: the cells run in this process (see the module docstring)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> None:  # noqa: ARG003
        shell = fresh_shell()
        count = 0
        for index, cell in enumerate(nb_man.nb.cells):
            if cell.cell_type != "code":
                continue
            nb_man.cell_start(cell, index)
            count += 1
            outputs, failed = run_cell(shell, cell.source)
            cell.outputs = outputs
            cell.execution_count = count
            if failed:
                nb_man.cell_exception(cell, index)
                nb_man.cell_complete(cell, index)
                break
            nb_man.cell_complete(cell, index)


papermill_engines.register(ENGINE_NAME, InProcessEngine)
