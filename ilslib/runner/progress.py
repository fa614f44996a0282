"""A run's progress: a bar on a terminal, timestamped lines otherwise, and the run log."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ..fsutil import OutputError
from .sets import JobResult


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


class Reporter:
    """Progress for people and for logs: a bar on a terminal, timestamped lines otherwise."""

    def __init__(self, total: int, log: TextIO | None, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.log: TextIO | None = log
        self.log_lost = False
        self.bar = None
        isatty = getattr(self.stream, "isatty", lambda: False)
        if total and isatty() and os.environ.get("TERM") != "dumb":
            from tqdm import tqdm

            size = os.terminal_size((0, 0))
            with contextlib.suppress(OSError, ValueError, AttributeError):
                size = os.get_terminal_size(self.stream.fileno())
            # A terminal that reports no size (some pseudo-terminals) would hide the bar: assume 80x24.
            sized = {"dynamic_ncols": True} if size.columns and size.lines else {"ncols": 80, "nrows": 24}
            self.bar = tqdm(
                total=total,
                desc="Rapporter",
                unit="rapport",
                file=self.stream,
                **sized,
                bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}] {postfix}",
            )

    def line(self, text: str, *, to_stream: bool = True) -> None:
        """A timestamped line in the run log (and on the stream: above the bar, or as is).

        When the run log cannot be written (the disk filled up) the run goes
        on: that is said once, and every line goes to the stream from then on.
        """
        stamp = _now()
        if self.log_lost:
            to_stream = True
        if self.log is not None:
            try:
                self.log.write(f"{stamp} {text}\n")
                self.log.flush()
            except OSError as exc:
                name = getattr(self.log, "name", "the run log")
                self.log, self.log_lost = None, True
                self.line(f"cannot write the run log {name}: {exc.strerror or exc}; it ends here")
                to_stream = True
        if to_stream:
            if self.bar is not None:
                self.bar.write(text, file=self.stream)
            else:
                print(f"{stamp} {text}", file=self.stream, flush=True)

    def result(self, r: JobResult) -> None:
        """One report ended."""
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(r.label, refresh=True)
        text = f"{r.status:<9} {r.label} ({r.seconds:.1f} s)" + (f": {r.error}" if r.error else "")
        self.line(text, to_stream=self.bar is None or r.status == "failed")

    def close(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.close()


def open_run_log(run_dir: Path, first_line: str) -> TextIO:
    """The run's log with its first line written; an :class:`OutputError` (nothing can run) when it cannot be."""
    path = run_dir / "run.log"
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        log = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write the run log {path}: {exc.strerror or exc}") from None
    try:
        log.write(f"{_now()} {first_line}\n")
        log.flush()
        os.fsync(log.fileno())  # a full disk says so here, before any report runs
    except OSError as exc:
        with contextlib.suppress(OSError):
            log.close()
        with contextlib.suppress(OSError):
            path.unlink()
            run_dir.rmdir()
        raise OutputError(f"cannot write the run log {path}: {exc.strerror or exc}") from None
    return log


@contextlib.contextmanager
def closing_quietly(log: TextIO) -> Iterator[TextIO]:
    """Close the run log at the end; its last buffered lines may not fit on a full disk (said already)."""
    try:
        yield log
    finally:
        with contextlib.suppress(OSError):
            log.close()
