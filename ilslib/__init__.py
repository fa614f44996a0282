"""ilslib: goal follow-up and management information for a city.

Open the warehouse with :func:`connect`; the figures live in :mod:`ilslib.figures`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import IlsError
from .version import __version__

if TYPE_CHECKING:
    from . import figures as figures
    from . import fmt as fmt
    from .warehouse import Warehouse, connect, trace_print

__all__ = ["IlsError", "Warehouse", "connect", "trace_print", "__version__"]

# ``import ilslib`` is enough for ``ilslib.figures.economy(...)`` and ``ilslib.connect(...)``, but these are
# imported on first use, not by ``import ilslib``: they import pandas (half a second), and ``ils run`` starts
# its fork server before that (ilslib.cli.main), so that the server's warm-up overlaps the command's imports.
_LAZY = {"figures": ".figures", "fmt": ".fmt", "Warehouse": ".warehouse", "connect": ".warehouse"}
_LAZY["trace_print"] = ".warehouse"


def __getattr__(name: str) -> Any:
    """The lazily imported names of the package (:data:`_LAZY`)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = importlib.import_module(module, __name__)
    if module.lstrip(".") != name:
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
