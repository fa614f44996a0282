"""``ils new-study NAME``: start a special study, a notebook run for every organisation like the reports."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import tempfile
from importlib import resources
from pathlib import Path

from .. import identifiers
from ..errors import ConfigError

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
# Names the batch runner or the notebooks directory already use.
RESERVED = {"report", "group_report", "explore", "studies", "_studier", "_grupp", "runs", "index"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "new-study",
        help="create a special-study notebook (notebooks/studies/NAME) from the template",
        description="Create notebooks/studies/NAME/NAME.py and NAME.ipynb, a jupytext pair made from the "
        "study template: a parameters cell (org_id, period), a title, a short method section "
        "and a place for the conclusions. Run it for every organisation with ils run --notebook.",
        epilog="examples:\n"
        "  ils new-study sjukfranvaro_2026\n"
        "  ils new-study lokalkostnader --title 'Lokalkostnader per nämnd'\n"
        "  ils run --notebook notebooks/studies/sjukfranvaro_2026 --period latest --all\n"
        "NAME: 1-40 ASCII letters, digits, '_' or '-', starting with a letter; not a name Windows\n"
        "file shares refuse (con, prn, aux, nul, com0-9, lpt0-9).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", metavar="NAME", help="the study's name (its directory and file names)")
    p.add_argument("--title", help="the study's title (default: made from NAME)")
    p.add_argument(
        "--dir", metavar="DIR", help="where studies live (default: notebooks/studies in the current directory)"
    )
    p.set_defaults(func=run)


def check_name(name: str) -> str:
    """``name`` (trimmed, NFC) if it can name a study, else raise a one-line :class:`ConfigError`.

    The one identifier rule (:mod:`ilslib.identifiers`) first; then, because the
    name becomes a folder and two file names that people share, ASCII
    letters, digits, ``_`` and ``-`` only, starting with a letter, and never a
    name Windows file shares refuse (``con``, ``prn``, ``aux``, ``nul``,
    ``com0``-``com9``, ``lpt0``-``lpt9``, in any case).
    """
    name = identifiers.check(name, "study name")
    if not NAME_RE.match(name):
        raise ConfigError(
            f"study name {name!r} is not valid: use 1-40 ASCII letters, digits, '_' or '-', "
            f"starting with a letter (e.g. sjukfranvaro_2026)"
        )
    if identifiers.folder_name(name) != name:
        raise ConfigError(
            f"study name {name!r} is a device name that Windows file shares refuse as a file or folder "
            "name (con, prn, aux, nul, com0-com9, lpt0-lpt9); choose another name"
        )
    if name.lower() in RESERVED:
        raise ConfigError(f"study name {name!r} is reserved (ils uses it); choose another name")
    return name


def default_title(name: str) -> str:
    """``sjukfranvaro_2026`` -> ``Sjukfranvaro 2026``."""
    words = re.sub(r"[_-]+", " ", name).strip()
    return words[:1].upper() + words[1:]


def render(name: str, title: str, date: dt.date | None = None) -> str:
    """The template's text for a study (a percent-format notebook)."""
    title = " ".join(title.split())
    if not title:
        raise ConfigError("--title is empty")
    text = (resources.files("ilslib") / "templates" / "study" / "study.py").read_text(encoding="utf-8")
    md_title = re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", title)  # shown as written, not as markup
    text = text.replace('"__STUDY_TITLE__"', repr(title))
    text = text.replace("__STUDY_TITLE_MD__", md_title)
    text = text.replace("__STUDY_NAME__", name)
    return text.replace("__STUDY_DATE__", (date or dt.date.today()).isoformat())


def studies_dir(explicit: str | None) -> Path:
    """``--dir``, else ``notebooks/studies`` of the current directory (which must hold ``notebooks/``)."""
    if explicit:
        return Path(explicit)
    here = Path.cwd() / "notebooks"
    if not here.is_dir():
        raise ConfigError(
            f"no notebooks/ directory in {Path.cwd()}: run ils new-study in the project directory, or give --dir DIR"
        )
    return here / "studies"


def create_study(name: str, *, title: str | None = None, directory: str | Path | None = None) -> Path:
    """Create ``DIR/NAME/NAME.py`` and ``NAME.ipynb`` from the template; return the study directory.

    Refuses an invalid or reserved name and an existing study (also one that
    differs only in case). Both files appear together or not at all.
    """
    from ..notebooks import write_pair

    name = check_name(name)
    base = Path(directory) if directory is not None else studies_dir(None)
    target = base / name
    if base.is_dir():
        clash = [p.name for p in base.iterdir() if p.name.lower() == name.lower()]
        if clash:
            raise ConfigError(f"study {name!r} exists already: {base / clash[0]} (edit it, or choose another name)")
    text = render(name, title or default_title(name))
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".part", dir=base))
    try:
        write_pair(text, scratch / f"{name}.py")
        os.chmod(scratch, 0o777 & ~_umask())
        os.rename(scratch, target)  # fails if the name was taken meanwhile
    except OSError as exc:
        raise ConfigError(f"cannot create {target}: {exc.strerror or exc}") from None
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def run(args: argparse.Namespace) -> int:
    target = create_study(args.name, title=args.title, directory=studies_dir(args.dir))
    where = _shown(target)
    name = target.name
    print(f"Created {where}/{name}.py and {name}.ipynb (a jupytext pair: edit either, both are kept in sync).")
    print("Next:")
    print(f"  1. Write the question, the method and the analysis: make lab, then open {where}/{name}.ipynb")
    print("     (figures come from ilslib.figures; see docs/notebooks.md).")
    print(f"  2. Try it for one organisation:  ils run --notebook {where} --period latest --org ALN")
    print(f"  3. Run it for every organisation: ils run --notebook {where} --period latest --all")
    print(f"     The reports go to outputs/_studier/{name}/PERIOD/ORG/ and are listed in outputs/index.html.")
    print(f"  4. Commit {where}/{name}.py and {name}.ipynb (pre-commit strips outputs and checks the pair).")
    return 0
