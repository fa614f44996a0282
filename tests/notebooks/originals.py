"""Where every function of every loaded ``ilslib`` module was defined: a rebound function shows.

``snapshot()`` maps each loaded ``ilslib`` module to its callable attributes (classes and
modules left out), each described by its type, ``__module__``, ``__qualname__`` and the file
and first line of its code. A function replaced at run time by a wrapper (a memo, a mock) has
the wrapper's code, defined elsewhere, even when the wrapper copies the name and module.

``python originals.py`` imports every ``ilslib`` module in a fresh process and prints the
snapshot as JSON: the originals to compare with.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import types
from typing import Any


def _describe(obj: Any) -> list[Any]:
    code = getattr(obj, "__code__", None) or getattr(getattr(obj, "__wrapped__", None), "__code__", None)
    return [
        type(obj).__name__,
        getattr(obj, "__module__", None),
        getattr(obj, "__qualname__", None),
        code.co_filename if code is not None else None,
        code.co_firstlineno if code is not None else None,
    ]


def snapshot(import_all: bool = False) -> dict[str, dict[str, list[Any]]]:
    """``{module: {attribute: description}}`` of every callable attribute of every loaded ilslib module."""
    if import_all:
        import ilslib

        for info in pkgutil.walk_packages(ilslib.__path__, "ilslib."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    out: dict[str, dict[str, list[Any]]] = {}
    for name, mod in sorted(sys.modules.items()):
        if mod is None or not (name == "ilslib" or name.startswith("ilslib.")):
            continue
        out[name] = {
            attr: _describe(obj)
            for attr, obj in sorted(vars(mod).items())
            if callable(obj) and not isinstance(obj, (type, types.ModuleType))
        }
    return out


if __name__ == "__main__":
    print(json.dumps(snapshot(import_all=True)))
