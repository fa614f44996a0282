"""Files that appear whole or not at all, and paths that stay inside their directory."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

from .errors import ConfigError

_UMASK = os.umask(0)
os.umask(_UMASK)

_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The bytes go to a hidden temporary file in the same directory, are flushed
    to disk, and the file is renamed over ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a report is for its readers
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def check_identifier(value: str, what: str = "organisation id") -> str:
    """Return ``value`` if it is a safe identifier for a path component, else raise.

    Identifiers are 1-64 characters of letters, digits, ``_``, ``.`` and ``-``,
    starting with a letter or digit: never ``..``, a slash, a NUL byte or an
    absolute path.
    """
    if not isinstance(value, str) or not _ID_RE.fullmatch(value) or value in (".", ".."):
        shown = repr(value)[:80]
        raise ConfigError(f"{what} {shown} is not a valid identifier (letters, digits, '_', '.', '-'; at most 64)")
    return value


def inside(base: Path, *parts: str) -> Path:
    """``base / parts``, guaranteed to stay inside ``base`` (raises otherwise)."""
    base = Path(base).resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise ConfigError(f"path {'/'.join(parts)!r} would leave the output directory {base}")
    return target
