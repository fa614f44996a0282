"""Files that appear whole or not at all, sets of files that change together, paths that stay inside.

- :func:`atomic_write_bytes`: one file, written aside and renamed into place;
- :func:`publish_set`: several files of one directory (a report's HTML, PDF,
  notebook, figures and state) replaced together: a reader sees the old set
  or the new one, never a mix, and files of other sets in the directory stay;
- :func:`inside`: a path that cannot leave its base directory.

A write that fails (a full disk, a read-only file system) raises
:class:`OutputError`, one line naming the directory and the cause. It is an
:class:`OSError` too, so code that handles file-system errors still does.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .errors import ConfigError, IlsError

_UMASK = os.umask(0)
os.umask(_UMASK)

SCRATCH_SUFFIX = ".part"
"""Suffix of every scratch file and directory: hidden (``.NAME.*.part``), removed by the next run."""
ASIDE_SUFFIX = ".old" + SCRATCH_SUFFIX
"""A directory moved aside by the two-rename fallback of :func:`publish_set`."""
PUBLISH_LOCK = ".ils-publish.lock"
"""Held (``flock``) in a directory while a set is published into one of its subdirectories."""
# Tests only: "kill:STEP" (or "kill-once:STEP:FILE") kills the process at that step of publish_set,
# "no-exchange" forces the two-rename fallback. Comma-separated.
TEST_ENV = "ILS_TEST_PUBLISH"
_RENAME_EXCHANGE = 2


class OutputError(IlsError, OSError):
    """An output file or directory could not be written (disk full, read-only, no permission)."""

    def __init__(self, message: str) -> None:
        IlsError.__init__(self, message)


def cannot_write(path: Path | str, exc: OSError) -> OutputError:
    """The one-line error for a failed write: the path and the operating system's reason."""
    if isinstance(exc, OutputError):
        return exc
    reason = exc.strerror or type(exc).__name__
    return OutputError(f"cannot write {path}: {reason}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The bytes go to a hidden temporary file in the same directory, are flushed
    to disk, and the file is renamed over ``path``. Raises :class:`OutputError`.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=SCRATCH_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise cannot_write(path.parent, exc) from None
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a report is for its readers
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise cannot_write(path, exc) from None
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def inside(base: Path, *parts: str) -> Path:
    """``base / parts``, guaranteed to stay inside ``base`` (raises otherwise)."""
    base = Path(base).resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise ConfigError(f"path {'/'.join(parts)!r} would leave the output directory {base}")
    return target


# -- sets of files that change together -----------------------------------------------------


def _test_directives() -> set[str]:
    return {d.strip() for d in os.environ.get(TEST_ENV, "").split(",") if d.strip()}


def _step(name: str) -> None:
    """A point of :func:`publish_set` where the tests kill the process.

    ``ILS_TEST_PUBLISH=kill:NAME`` kills every publisher there;
    ``kill-once:NAME:FILE`` only the first (the one that creates FILE).
    """
    for d in _test_directives():
        if d == f"kill:{name}":
            os.kill(os.getpid(), signal.SIGKILL)
        if d.startswith(f"kill-once:{name}:"):
            try:
                os.close(os.open(d.split(":", 2)[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            except OSError:
                continue
            os.kill(os.getpid(), signal.SIGKILL)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold ``directory/.ils-publish.lock``: one publisher at a time per parent directory.

    Two jobs writing different sets into the same report directory must not
    each build the new content from the same old one and lose the other's files.
    """
    import fcntl

    fd = os.open(directory / PUBLISH_LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666 & ~_UMASK)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux") or "no-exchange" in _test_directives():
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):  # glibc < 2.28 or another C library
        return False
    at_fdcwd = -100
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):  # e.g. NFS
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        shutil.copy2(src, dst, follow_symlinks=False)


def _check_name(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\0" in name or name.endswith(SCRATCH_SUFFIX):
        raise ConfigError(f"not a file name for a report set: {name!r}")
    return name


def publish_set(directory: Path | str, files: Mapping[str, bytes], remove: Iterable[str] = ()) -> None:
    """Replace the files ``files`` (name -> content) in ``directory`` and remove ``remove``, all at once.

    The new content of the directory is built aside, in a hidden sibling
    ``.NAME.*.part``: the new files, written and flushed to disk, plus a hard
    link to every other entry of the directory (files of other sets, which
    stay as they are). Then the two directories are swapped in one step
    (``renameat2(RENAME_EXCHANGE)``) and the old content is removed. A reader,
    or a process killed at any point, sees the old set or the new one under
    the directory's name, never a mix; a killed publisher leaves at most the
    hidden sibling, which :func:`remove_scratch` cleans up.

    Where the swap is not supported (not Linux, or a file system without it,
    such as NFS) the old directory is renamed aside and the new one into its
    place: for that instant the directory does not exist (a reader gets "not
    found"); a publisher killed exactly then leaves ``.NAME.*.old.part``, which
    :func:`remove_scratch` puts back.

    Publishers into the same parent directory take turns (a lock file there).
    Subdirectories of ``directory`` move into the new content (reports have none).
    Raises :class:`OutputError` naming the directory and the cause.
    """
    directory = Path(directory)
    parent = directory.parent
    names = {_check_name(n) for n in files} | {_check_name(n) for n in remove}
    scratch: Path | None = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=SCRATCH_SUFFIX, dir=parent))
        for name, data in files.items():
            fd = os.open(scratch / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666 & ~_UMASK)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        _step("written")
        with _locked(parent):
            try:
                mode = directory.stat().st_mode & 0o7777
                exists = True
            except FileNotFoundError:
                mode, exists = 0o777 & ~_UMASK, False
            os.chmod(scratch, mode)
            if exists:
                with os.scandir(directory) as it:
                    entries = [e for e in it if e.name not in names]
                for e in entries:
                    if not e.is_dir(follow_symlinks=False):
                        _link_or_copy(e.path, str(scratch / e.name))
                _fsync_dir(scratch)
                _step("linked")
                for e in entries:  # after the links: the window without them is as short as it can be
                    if e.is_dir(follow_symlinks=False):
                        os.rename(e.path, scratch / e.name)
                if _exchange(scratch, directory):
                    _step("exchanged")
                else:
                    aside = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=ASIDE_SUFFIX, dir=parent))
                    os.rename(directory, aside)  # replaces the empty directory just made
                    _step("moved-aside")
                    os.rename(scratch, directory)
                    scratch = aside
                    _step("renamed")
            else:
                _fsync_dir(scratch)
                os.rename(scratch, directory)
                scratch = None
            _fsync_dir(parent)
    except OSError as exc:
        raise cannot_write(directory, exc) from None
    finally:
        if scratch is not None:  # the new content that was never published, or the old one
            shutil.rmtree(scratch, ignore_errors=True)


def remove_scratch(root: Path | str) -> int:
    """Remove what killed writers left under ``root`` (``.NAME.*.part`` files and directories); the count.

    A directory moved aside by an interrupted two-rename publish whose name is
    free again is put back (it holds the last complete set), and a
    subdirectory that an interrupted publish had moved into its new content
    goes back where it was. Call it only while no one publishes under ``root``.
    """
    root = Path(root)
    n = 0
    found = list(root.rglob(f".*{SCRATCH_SUFFIX}"))
    # Directories moved aside first (they may get their name back), then the rest, outermost first.
    found.sort(key=lambda p: (not p.name.endswith(ASIDE_SUFFIX), len(p.parts)))
    for p in found:
        if not os.path.lexists(p):  # inside a scratch directory removed already
            continue
        if not p.is_dir() or p.is_symlink():
            with contextlib.suppress(OSError):
                p.unlink()
                n += 1
            continue
        target = p.parent / _original_name(p)
        if p.name.endswith(ASIDE_SUFFIX) and _original_name(p) and not os.path.lexists(target):
            with contextlib.suppress(OSError):
                os.rename(p, target)
                n += 1
                continue
        if _original_name(p) and target.is_dir():
            with contextlib.suppress(OSError), os.scandir(p) as it:
                for e in it:
                    if e.is_dir(follow_symlinks=False) and not os.path.lexists(target / e.name):
                        os.rename(e.path, target / e.name)
        shutil.rmtree(p, ignore_errors=True)
        n += 1
    return n


def _original_name(scratch: Path) -> str:
    """``ALN`` for ``.ALN.k3j2x_9a.part`` or ``.ALN.k3j2x_9a.old.part`` (the random part has no dot; an id may)."""
    name = scratch.name
    suffix = ASIDE_SUFFIX if name.endswith(ASIDE_SUFFIX) else SCRATCH_SUFFIX
    stem = name[1 : -len(suffix)]
    return stem.rsplit(".", 1)[0] if "." in stem else ""
