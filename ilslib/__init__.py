"""ilslib: goal follow-up and management information for a city.

Open the warehouse with :func:`connect`; the figures live in :mod:`ilslib.figures`.
"""

# The figures and the report formatting: ``import ilslib`` is enough for ``ilslib.figures.economy(...)``.
from . import figures, fmt  # noqa: E402, F401
from .errors import IlsError
from .version import __version__
from .warehouse import Warehouse, connect, trace_print

__all__ = ["IlsError", "Warehouse", "connect", "trace_print", "__version__"]
