"""Project settings: the same for everyone who runs the reports (kept in the repository).

Personal settings (which warehouse, the password) are in :mod:`ilslib.config`,
outside the repository; the numbers here change what a report says, so they
are part of the library and of its version.
"""

from __future__ import annotations

#: Default partial band (delvis uppfyllt), in percent of ``|target|`` on the
#: unfavourable side of the target, used when a target row has no partial_limit.
PARTIAL_BAND_PCT: float = 10.0

#: Sick leave is not published when the period's last month has fewer employees.
SUPPRESS_BELOW_HEADCOUNT: int = 5

#: How many accounts :func:`ilslib.figures.accounts` lists by default.
TOP_ACCOUNTS: int = 10

#: The organisation kinds that report on goals (used by roll-ups and comparisons).
REPORTING_KINDS: tuple[str, ...] = ("namnd", "bolag")
