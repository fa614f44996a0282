"""One run at a time per output directory: ``OUT/.ils-run.lock``."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

from ..errors import IlsError
from ..fsutil import OutputError, remove_scratch
from .layout import LOCK_FILE


class RunLockedError(IlsError):
    """Another run is writing to the same output directory."""

    exit_code = 3


@contextlib.contextmanager
def run_lock(out: Path, *, wait: bool) -> Iterator[None]:
    """Hold ``OUT/.ils-run.lock`` for the run; a second run waits (``wait``) or stops with a clear error.

    The lock is an advisory ``flock`` on the file: the operating system
    releases it when the holder exits, however it exits (``kill -9`` too).
    """
    import fcntl

    path = out / LOCK_FILE
    try:
        out.mkdir(parents=True, exist_ok=True)
        fh = path.open("a+", encoding="utf-8")
    except OSError as exc:  # a read-only or full file system: nothing can run
        raise OutputError(f"cannot write to the output directory {out}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            if not wait:
                raise RunLockedError(
                    f"another ils run is writing to {out} ({holder}): wait for it to finish, "
                    f"or pass --wait to start when it has"
                ) from None
            print(f"ils run: waiting for the run writing to {out} ({holder})", file=sys.stderr, flush=True)
            fcntl.flock(fh, fcntl.LOCK_EX)
        # Who holds it, for the message of a second run; the lock itself is the flock (a full disk
        # may refuse these few bytes: the lock holds all the same).
        with contextlib.suppress(OSError):
            fh.seek(0)
            fh.truncate()
            fh.write(
                f"pid {os.getpid()} by {getpass.getuser()} on {socket.gethostname()} since "
                f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n"
            )
            fh.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            fh.seek(0)
            fh.truncate()
        with contextlib.suppress(OSError):
            fh.close()


def remove_leftovers(out: Path) -> int:
    """Remove what a killed run left (``.NAME.*.part`` files and directories, never visible under a real name)."""
    return remove_scratch(out)
