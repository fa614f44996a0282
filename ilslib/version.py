"""The library's version (the same as ``pyproject.toml``'s): a module of its own, so that every part of
``ilslib`` can name it without importing the package (and the package's imports) first."""

__version__ = "0.1.0"
