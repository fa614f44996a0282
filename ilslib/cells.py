"""Text from the data in cells a person opens in Excel or LibreOffice: never a formula.

A spreadsheet program evaluates a CSV cell (and a typed cell) that begins
with ``=``, ``+``, ``-`` or ``@`` as a formula, and tab or carriage return
start a formula in some of them too (the OWASP "CSV injection" rule). So every
CSV file and every workbook the project writes passes text from the data
through here:

- :func:`csv_text`: a text cell of a CSV file. A dangerous first character gets
  a leading apostrophe, which Excel and LibreOffice show as text and do not
  evaluate; a plain number (``-12,5``) is left as it is.
- :func:`is_dangerous`: whether a text would be evaluated; a workbook writer
  stores such a text as a string cell with the "quote prefix" style, so that
  the program shows it as text even when the cell is edited.

>>> csv_text('=HYPERLINK("http://x","klicka")')
'\\'=HYPERLINK("http://x","klicka")'
>>> csv_text("-12,5"), csv_text("-2+3"), csv_text("Äldrenämnden")
('-12,5', "'-2+3", 'Äldrenämnden')
"""

from __future__ import annotations

import re
from typing import Any

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d[\d \u00a0\u202f]*(?:[.,]\d+)?", re.ASCII)


def is_dangerous(text: object) -> bool:
    """True when a spreadsheet program could evaluate ``text`` as a formula (a plain number is safe)."""
    if not isinstance(text, str) or not text or not text.startswith(DANGEROUS_FIRST):
        return False
    return not _PLAIN_NUMBER.fullmatch(text)


def csv_text(value: Any) -> Any:
    """``value`` for a CSV cell: a dangerous text with a leading apostrophe, anything else unchanged."""
    if is_dangerous(value):
        return "'" + value
    return value
