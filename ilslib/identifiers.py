"""The one rule for identifiers: what an id may hold, and the folder name it gets.

An identifier (``org_id``, ``goal_id``, ``indicator_id``, ``activity_id``,
``account``, a kind, a notebook or study name) is 1-64 characters
of letters (Swedish letters and other Unicode letters included), the ASCII
digits ``0-9``, ``_``, ``-`` and ``.``, normalised to Unicode NFC, and never
``.`` or ``..``. A space, an invisible, format, control or line-separator
character (U+200B, U+2028, U+0085 ...) is never part of an id. Loading,
running and naming output folders all use this module, so an id the loader
accepts is an id every batch can run. A ``user_id`` is a warehouse login and
follows :func:`login_problem`: the same rule, plus ``@`` and ``\\``.

>>> normalise("  SDN_O\u0308ST ")      # trimmed, and O + combining diaeresis becomes Ö
'SDN_ÖST'
>>> problem("SDN\u200bOST")
'the character U+200B (ZERO WIDTH SPACE) is not allowed in an identifier (letters, digits 0-9, _, - and .)'
>>> folder_name("ALN"), folder_name(".x"), folder_name("con")
('ALN', '~.x', '~con')
"""

from __future__ import annotations

import unicodedata

from .errors import ConfigError

MAX_LENGTH = 64
"""Longest identifier (the warehouse key columns are VARCHAR(64))."""

_PUNCTUATION = frozenset("_-.")
_ASCII_DIGITS = frozenset("0123456789")
# Names a Windows file share refuses as a file or folder name, whatever the case or extension.
_RESERVED_NAMES = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)
FOLDER_ESCAPE = "~"
"""Prefix of a folder name derived from an id that would be hidden, an option or a reserved name."""


def normalise(value: str) -> str:
    """``value`` trimmed of surrounding white space and in Unicode NFC (two spellings of Å are one id)."""
    return unicodedata.normalize("NFC", value.strip())


def _allowed(ch: str) -> bool:
    return ch in _ASCII_DIGITS or ch in _PUNCTUATION or unicodedata.category(ch).startswith("L")


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def problem(value: object) -> str | None:
    """Why ``value`` is not a valid (already normalised) identifier, or None when it is one."""
    if not isinstance(value, str):
        return f"an identifier must be text, not {type(value).__name__}"
    if not value:
        return "an identifier cannot be empty"
    if len(value) > MAX_LENGTH:
        return f"an identifier may have at most {MAX_LENGTH} characters (this one has {len(value)})"
    if value in (".", ".."):
        return f"{value!r} is not an identifier"
    for ch in value:
        if not _allowed(ch):
            shown = repr(ch) if ch.isprintable() and not ch.isspace() else _describe(ch)
            if ch.isprintable() and not ch.isspace():
                shown = f"{shown} ({_describe(ch)})"
            return f"the character {shown} is not allowed in an identifier (letters, digits 0-9, _, - and .)"
    if unicodedata.normalize("NFC", value) != value:
        return "the identifier is not in Unicode NFC form"
    return None


def check(value: object, what: str = "organisation id") -> str:
    """``value`` normalised (trimmed, NFC) when it is a valid identifier; else a one-line :class:`ConfigError`."""
    if isinstance(value, str):
        value = normalise(value)
    reason = problem(value)
    if reason is not None:
        raise ConfigError(f"{what} {str(value)[:80]!r} is not valid: {reason}")
    assert isinstance(value, str)
    return value


# -- logins: a deliberate exception to the identifier rule -------------------------------------

LOGIN_PUNCTUATION = frozenset("_-.@\\")
"""What a login may hold besides letters and digits: an id's ``_ - .`` and ``@`` and ``\\``.

A ``user_id`` is the person's warehouse login, and real logins are ``STAD\\anna``
(Windows, SQL Server) or ``anna@stad.se`` (Azure AD, Kerberos), which the
identifier rule refuses. A login is otherwise an identifier: 1-64 characters,
NFC, no space, invisible, format, control or line-separator character, never
``.`` or ``..``. It never names a file or folder.
"""


def login_problem(value: object) -> str | None:
    """Why ``value`` is not a valid (already normalised) login, or None when it is one.

    >>> login_problem("STAD\\\\anna"), login_problem("anna@stad.se"), login_problem("åsa.öberg")
    (None, None, None)
    >>> login_problem("anna svensson")
    'the character U+0020 (SPACE) is not allowed in a login (letters, digits 0-9, _, -, ., @ and \\\\)'
    """
    if not isinstance(value, str):
        return f"a login must be text, not {type(value).__name__}"
    if not value:
        return "a login cannot be empty"
    if len(value) > MAX_LENGTH:
        return f"a login may have at most {MAX_LENGTH} characters (this one has {len(value)})"
    if value in (".", ".."):
        return f"{value!r} is not a login"
    for ch in value:
        if not (ch in LOGIN_PUNCTUATION or _allowed(ch)):
            shown = f"{ch!r} ({_describe(ch)})" if ch.isprintable() and not ch.isspace() else _describe(ch)
            return f"the character {shown} is not allowed in a login (letters, digits 0-9, _, -, ., @ and \\)"
    if unicodedata.normalize("NFC", value) != value:
        return "the login is not in Unicode NFC form"
    return None


def folder_name(value: str) -> str:
    """The name of the output folder for a valid identifier: the id itself where that is safe.

    An id that would make a hidden folder (``.x``), look like an option (``-x``)
    or be a name Windows file shares refuse (``con``, ``nul.x``, ``LPT1``) gets
    the prefix ``~``, which no identifier contains, so two ids never share a folder.
    """
    reason = problem(value)
    if reason is not None:
        raise ConfigError(f"identifier {str(value)[:80]!r} cannot name a folder: {reason}")
    stem = value.split(".", 1)[0].lower()
    if value[0] in ".-" or stem in _RESERVED_NAMES:
        return FOLDER_ESCAPE + value
    return value
