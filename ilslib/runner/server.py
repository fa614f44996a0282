"""The fork server every report process is forked from: started, told what to warm up, stopped.

Kept apart from :mod:`ilslib.runner.pool` because ``ils run`` starts the server
before anything heavy is imported (:func:`ilslib.cli.main`): this module imports
only the standard library, so the server's warm-up (:mod:`ilslib.runner.warm`,
a second and more of CPU) runs on the second core while the command imports
pandas, checks its options, opens the warehouse and plans.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
from collections.abc import Iterable, Iterator
from typing import Any

# The formats the server warms up for (read by ilslib.runner.warm in the server's process, then removed from
# its environment): a comma-separated list of html, pdf, xlsx; "all" (or unset) warms everything.
WARM_ENV = "ILS_WARM_FORMATS"
FORMATS = ("html", "pdf", "xlsx")

_CTX: mp.context.BaseContext | None = None


def context() -> mp.context.BaseContext:
    """The fork-server context, with the warm-up module preloaded."""
    global _CTX
    if _CTX is None:
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(method)
        if method == "forkserver":
            ctx.set_forkserver_preload(["ilslib.runner.warm"])
        _CTX = ctx
    return _CTX


def start_server(formats: Iterable[str] | None = None) -> bool:
    """Start the fork server now (it warms up while the caller does other work); True if this call started it.

    ``ensure_running`` only starts the server's process and returns: the
    warm-up (:mod:`ilslib.runner.warm`) runs in it meanwhile, and the first
    report process asked of it waits for the rest. ``formats``: the output
    formats to warm up for (None: all of them). A server already running is
    left as it is; a run needing a format it did not warm up for warms it up
    once in its run process (:func:`ilslib.runner.warm.for_jobs`).
    """
    if context().get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver  # the module's one server (typeshed does not declare its private state)
    before = server._forkserver_pid
    wanted = "all" if formats is None else ",".join(sorted(set(formats) & set(FORMATS)) or ["html"])
    old = os.environ.get(WARM_ENV)
    os.environ[WARM_ENV] = wanted  # the server inherits this process's environment when it is started
    try:
        forkserver.ensure_running()
    finally:
        if old is None:
            os.environ.pop(WARM_ENV, None)
        else:
            os.environ[WARM_ENV] = old
    return bool(server._forkserver_pid != before)


def stop_server() -> None:
    """Stop the fork server now and wait for it (a run that ends before its first report: nothing to warm up for).

    It would stop by itself when this process exits, but only after its
    warm-up (a second and more of CPU), so it is killed instead. The next
    :func:`start_server` or run starts a new one.
    """
    if context().get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    server: Any = forkserver._forkserver
    with server._lock:
        if server._forkserver_pid is None:
            return
        pid, alive, address = server._forkserver_pid, server._forkserver_alive_fd, server._forkserver_address
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)  # mid-import: nothing of it is worth finishing
        with contextlib.suppress(OSError):
            os.close(alive)
        with contextlib.suppress(ChildProcessError):  # reaped already (a SIGCHLD handler of the caller's)
            os.waitpid(pid, 0)
        if address and not mp.util.is_abstract_socket_namespace(address):  # a socket file (Linux's are abstract)
            with contextlib.suppress(OSError):
                os.unlink(address)
        # forgotten like multiprocessing's own stop: the next ensure_running starts a new server
        server._forkserver_pid = server._forkserver_alive_fd = server._forkserver_address = None


@contextlib.contextmanager
def server_while_planning(needed: bool, formats: Iterable[str] | None = None) -> Iterator[None]:
    """Start the fork server before the block (it warms up while the run is planned) when ``needed``.

    When the block raises (a bad period, an unknown organisation: exit 2), a
    server started here is stopped, so nothing is left running.
    """
    started = start_server(formats) if needed else False
    try:
        yield
    except BaseException:
        if started:
            stop_server()
        raise


def formats_in_argv(argv: list[str]) -> list[str] | None:
    """The formats the options of ``ils run`` (after ``run``) ask for (``--format``), as a warm-up hint; None when
    unknown.

    Only a hint, read before the options are parsed: a run set (whose runs may
    ask for PDF) or anything unusual gives None (warm up for every format). A
    wrong guess costs speed, never a result: the run process warms up what is
    missing (:func:`ilslib.runner.warm.for_jobs`).
    """
    formats: list[str] = ["html"]
    positional = 0
    it = iter(argv)
    for arg in it:
        if arg == "--format":
            value = next(it, "")
        elif arg.startswith("--format="):
            value = arg.partition("=")[2]
        elif arg in ("--audience", "--notebook", "--period", "--org", "--kind", "--out", "--jobs", "-p"):
            next(it, None)  # an option's value: not a positional
            continue
        elif arg in ("--parameter", "--engine", "--executor", "--scheduler", "--timeout", "--warehouse"):
            next(it, None)
            continue
        elif not arg.startswith("-"):
            positional += 1
            continue
        else:
            continue
        formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    if positional:  # a run set: its runs may name formats of their own
        return None
    return formats
