"""ilslib: goal follow-up and management information for a city.

Open the warehouse with :func:`connect`; the figures live in :mod:`ilslib.figures`.
"""

from .errors import IlsError
from .warehouse import Warehouse, connect, trace_print

__version__ = "0.1.0"

# The figures and the report formatting: ``import ilslib`` is enough for ``ilslib.figures.economy(...)``.
from . import figures, fmt  # noqa: E402, F401

__all__ = ["IlsError", "Warehouse", "connect", "trace_print", "__version__"]
