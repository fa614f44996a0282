"""Memoised figure inputs for batch runs: kind-wide data computed once per run, not once per report.

A report asks for the same data several times (its indicator table feeds the
indicators, the goals, the projection and the deviations; the comparisons
read the indicator table, economy and personnel of every organisation of its
kind, in ``figures.json`` and again in the report). In a batch every report of
a kind asks for the same kind-wide frames.

This module wraps a few of the figure library's internal data functions
(:data:`CACHED`) with a memo keyed on their arguments (the warehouse URL and
everything but the connection). The functions themselves are not copied or
changed: the wrapper calls the one function and keeps its result, and hands
out a copy each time so a caller that modifies a frame cannot affect another.

It is installed only in the runner's processes, never in the library as
imported by a user: the per-run process that forks the reports
(:mod:`ilslib.runner.pool`) installs it, fills it with the kind-wide frames
for the run's period (:func:`prefetch`), and each report's process inherits
a copy and adds its own entries, which die with it. A run is a snapshot of
the warehouse taken when it starts.

Each entry keeps the reads its computation made (:mod:`ilslib.warehouse`'s
read log) with its result: a report that gets a kept result records those
reads as its own, so its record of what it read is the same as if it had
queried the warehouse itself (``ils run`` reruns a report from that record).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
from collections.abc import Callable, Iterable
from typing import Any

from .. import warehouse

# (module, function): the data functions whose results are memoised. Each is a
# pure function of its arguments for a given warehouse state.
CACHED: tuple[tuple[str, str], ...] = (
    ("ilslib.figures.indicators", "indicator_rows"),
    ("ilslib.figures.economy", "economy_frame"),
    ("ilslib.figures.personnel", "personnel_frame"),
)

_MEMO: dict[Any, Any] = {}
_STATS = {"hits": 0, "misses": 0}
_INSTALLED: dict[tuple[str, str], Callable[..., Any]] = {}


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (set, frozenset)):
        return frozenset(_freeze(v) for v in value)
    return value


def _copy(value: Any) -> Any:
    copy = getattr(value, "copy", None)
    return copy() if callable(copy) else value


def _memoised(fn: Callable[..., Any]) -> Callable[..., Any]:
    sig = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            items = list(bound.arguments.items())
            wh = items[0][1]
            key = (fn.__module__, fn.__qualname__, getattr(wh, "url", id(wh)), _freeze(items[1:]))
            hash(key)
        except TypeError:  # arguments that cannot be a key: just call
            return fn(*args, **kwargs)
        try:
            result, reads = _MEMO[key]
            _STATS["hits"] += 1
            warehouse.replay(reads)  # what computing it read, read now as far as any log can tell
        except KeyError:
            with warehouse.reading() as log:
                result = fn(*args, **kwargs)
            _MEMO[key] = (result, log.entries())
            _STATS["misses"] += 1
        return _copy(result)

    wrapper.__ils_memoised__ = fn  # type: ignore[attr-defined]
    return wrapper


def _rebind(original: Callable[..., Any], replacement: Callable[..., Any], name: str) -> None:
    """Point every ``ilslib`` module's reference to ``original`` (``from x import f`` too) at ``replacement``."""
    for mod_name, mod in list(sys.modules.items()):
        if mod is not None and mod_name.startswith("ilslib") and getattr(mod, name, None) is original:
            setattr(mod, name, replacement)


def install(functions: Iterable[tuple[str, str]] = CACHED) -> list[str]:
    """Wrap the functions with the memo in this process; return the names wrapped.

    A function that no longer exists (the library changed) is skipped: the
    cache only ever saves time, it never changes a figure.
    """
    done = []
    for module, name in functions:
        if (module, name) in _INSTALLED:
            done.append(f"{module}.{name}")
            continue
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        fn = getattr(mod, name, None)
        if not callable(fn) or hasattr(fn, "__ils_memoised__"):
            continue
        wrapped = _memoised(fn)
        _rebind(fn, wrapped, name)
        _INSTALLED[(module, name)] = fn
        done.append(f"{module}.{name}")
    return done


def uninstall() -> None:
    """Undo :func:`install` and empty the memo (tests)."""
    for (module, name), fn in list(_INSTALLED.items()):
        current = getattr(sys.modules[module], name)
        _rebind(current, fn, name)
        del _INSTALLED[(module, name)]
    clear()


def clear() -> None:
    """Forget every memoised result."""
    _MEMO.clear()
    _STATS.update(hits=0, misses=0)


def stats() -> dict[str, int]:
    """Hits, misses and entries of the memo in this process."""
    return {**_STATS, "entries": len(_MEMO)}


def prefetch(wh: Any, period: str, kinds: Iterable[str]) -> int:
    """Compute the kind-wide frames the reports of ``kinds`` will ask for; return how many were added.

    Called through the installed wrappers with the same arguments as the
    comparisons use, so each report finds them in the memo.
    """
    from .. import figures

    p = figures.as_period(wh, period)
    before = len(_MEMO)
    mods = {m: sys.modules.get(m) for m, _ in CACHED}
    for kind in dict.fromkeys(kinds):
        ind, eco, per = (
            mods["ilslib.figures.indicators"],
            mods["ilslib.figures.economy"],
            mods["ilslib.figures.personnel"],
        )
        if ind is not None and hasattr(getattr(ind, "indicator_rows", None), "__ils_memoised__"):
            ind.indicator_rows(wh, p, kind=kind)
        if eco is not None and hasattr(getattr(eco, "economy_frame", None), "__ils_memoised__"):
            eco.economy_frame(wh, p, kinds=[kind])
        if per is not None and hasattr(getattr(per, "personnel_frame", None), "__ils_memoised__"):
            per.personnel_frame(wh, p, kinds=[kind])
    return len(_MEMO) - before
