"""Exception types. Every error a user can cause is an :class:`IlsError`.

The command line prints ``ils: error: <message>`` for these and exits non-zero,
without a traceback; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class IlsError(Exception):
    """Root of every error caused by input, configuration or the environment."""

    exit_code = 2


class ConfigError(IlsError):
    """A setting, parameter or warehouse URL is malformed or missing."""


class WarehouseError(IlsError):
    """The warehouse could not be reached or used."""


class DriverMissingError(WarehouseError):
    """An ODBC driver (or pyodbc/unixODBC itself) is not installed."""


class UnreachableError(WarehouseError):
    """The database server did not answer within the connect timeout."""


class LoginFailedError(WarehouseError):
    """The server refused the credentials."""


class SchemaMissingError(WarehouseError):
    """The database is reachable but holds no (or an older) ILS warehouse schema."""


class UnknownValueError(IlsError):
    """An organisation, period, indicator or similar is not known."""


class AccessDeniedError(IlsError):
    """The login may not do this (the users table gives it no such role); nothing was written."""

    exit_code = 4


class LoadError(IlsError):
    """A load directory was rejected; nothing was written."""

    exit_code = 1


class LoadBusyError(LoadError):
    """Another load is writing into the warehouse (it holds the load lock); nothing was written."""

    exit_code = 3
