"""``ils new-study NAME``: start a special study, a notebook run like the reports: per organisation, per kind, or once.

The scope decides the notebook's parameters, and so how ``ils run`` runs it
(:mod:`ilslib.runner.batch`): ``org`` declares ``org_id`` (a page per
organisation), ``kind`` declares ``kind`` (a page per kind of organisation),
``all`` neither (one page for the whole city). A name may be Swedish: it is an
identifier (:mod:`ilslib.identifiers`), the title keeps its letters
(``sjukfrånvaro_2026`` -> "Sjukfrånvaro 2026") and the folder and file names are
its ASCII transliteration (``sjukfranvaro_2026``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import tempfile
import unicodedata
from importlib import resources
from pathlib import Path

from .. import identifiers
from ..errors import ConfigError

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
# Names the batch runner or the notebooks directory already use.
RESERVED = {"report", "group_report", "explore", "studies", "_studier", "_grupp", "runs", "index"}
#: --scope: what one page of the study covers, and the template it starts from.
SCOPES = {
    "org": "one page per organisation (parameter org_id)",
    "kind": "one page per kind of organisation (parameter kind)",
    "all": "one page for the whole city",
}
# Letters that Unicode does not decompose into a base letter and a mark.
_TRANSLITERATION = str.maketrans(
    {"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ß": "ss", "œ": "oe", "Œ": "OE", "ð": "d", "Ð": "D",
     "þ": "th", "Þ": "Th", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i"}
)  # fmt: skip


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "new-study",
        help="create a special-study notebook (notebooks/studies/NAME) from the template",
        description="Create notebooks/studies/NAME/NAME.py and NAME.ipynb, a jupytext pair made from the "
        "study template: a parameters cell (org_id, period), a title, a short method section "
        "and a place for the conclusions. Run it for every organisation with ils run --notebook.",
        epilog="examples:\n"
        "  ils new-study sjukfrånvaro_2026                      (folder sjukfranvaro_2026)\n"
        "  ils new-study lokalkostnader --scope kind --title 'Lokalkostnader per nämnd'\n"
        "  ils new-study stadens_ekonomi --scope all\n"
        "  ils run --notebook notebooks/studies/sjukfranvaro_2026 --period latest --all\n"
        "NAME: an identifier (letters, Swedish ones too, digits, '_', '-') starting with a letter;\n"
        "the folder and file names are its ASCII letters (å, ä -> a, ö -> o), at most 40, and\n"
        "never a name Windows file shares refuse (con, prn, aux, nul, com0-9, lpt0-9).\n"
        "--scope: org (default) a page per organisation, kind a page per kind, all one page.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", metavar="NAME", help="the study's name (its title; its folder and file names in ASCII)")
    p.add_argument("--title", help="the study's title (default: made from NAME)")
    p.add_argument(
        "--scope",
        choices=tuple(SCOPES),
        default="org",
        help="what one page covers: org (default) an organisation, kind a kind of organisation, all the whole city",
    )
    p.add_argument(
        "--dir", metavar="DIR", help="where studies live (default: notebooks/studies in the current directory)"
    )
    p.set_defaults(func=run)


def transliterate(name: str) -> str:
    """``name`` in ASCII letters: accents dropped (``å``, ``ä`` -> ``a``, ``ö`` -> ``o``, ``é`` -> ``e``), ``æ`` -> ``ae``.

    Letters that have no ASCII form (Greek, Cyrillic ...) are kept, for :func:`check_name` to refuse.

    >>> transliterate("sjukfrånvaro_2026"), transliterate("Ærø-Öst"), transliterate("Łódź")
    ('sjukfranvaro_2026', 'AEro-Ost', 'Lodz')
    """
    decomposed = unicodedata.normalize("NFKD", name.translate(_TRANSLITERATION))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def check_name(name: str) -> tuple[str, str]:
    """``(name, folder)``: the name (trimmed, NFC) and its ASCII folder/file name; else a one-line :class:`ConfigError`.

    The one identifier rule (:mod:`ilslib.identifiers`) first; then, because the
    name becomes a folder and two file names that people share, its
    transliteration (:func:`transliterate`) must be 1-40 ASCII letters, digits,
    ``_`` and ``-``, starting with a letter, and never a name Windows file
    shares refuse (``con``, ``prn``, ``aux``, ``nul``, ``com0``-``com9``,
    ``lpt0``-``lpt9``, in any case) or one ils uses itself.
    """
    name = identifiers.check(name, "study name")
    folder = transliterate(name)
    shown = f"study name {name!r}" + (f" (folder {folder!r})" if folder != name else "")
    if not NAME_RE.match(folder):
        raise ConfigError(
            f"{shown} is not valid: use letters (å, ä, ö become a, a, o in the folder name), digits, '_' or '-', "
            f"starting with a letter, at most 40 (e.g. sjukfrånvaro_2026)"
        )
    if identifiers.folder_name(folder) != folder:
        raise ConfigError(
            f"{shown} is a device name that Windows file shares refuse as a file or folder "
            "name (con, prn, aux, nul, com0-com9, lpt0-lpt9); choose another name"
        )
    if folder.lower() in RESERVED:
        raise ConfigError(f"{shown} is reserved (ils uses it); choose another name")
    return name, folder


def default_title(name: str) -> str:
    """``sjukfrånvaro_2026`` -> ``Sjukfrånvaro 2026`` (the name as written, its letters kept)."""
    words = re.sub(r"[_-]+", " ", name).strip()
    return words[:1].upper() + words[1:]


def render(name: str, title: str, date: dt.date | None = None, *, scope: str = "org") -> str:
    """The template's text for a study of ``scope`` (a percent-format notebook); ``name`` is the folder name."""
    title = " ".join(title.split())
    if not title:
        raise ConfigError("--title is empty")
    if scope not in SCOPES:
        raise ConfigError(f"--scope {scope!r}: expected one of {', '.join(SCOPES)}")
    text = (resources.files("ilslib") / "templates" / "study" / f"{scope}.py").read_text(encoding="utf-8")
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


def create_study(
    name: str, *, title: str | None = None, directory: str | Path | None = None, scope: str = "org"
) -> Path:
    """Create ``DIR/FOLDER/FOLDER.py`` and ``FOLDER.ipynb`` from the template of ``scope``; return the directory.

    ``FOLDER`` is the name's ASCII transliteration; the title defaults to the
    name as written. Refuses an invalid or reserved name and an existing study
    (also one that differs only in case, or in accents). Both files appear
    together or not at all.
    """
    from ..notebooks import write_pair

    name, folder = check_name(name)
    if scope not in SCOPES:
        raise ConfigError(f"--scope {scope!r}: expected one of {', '.join(SCOPES)}")
    base = Path(directory) if directory is not None else studies_dir(None)
    target = base / folder
    if base.is_dir():
        clash = [p.name for p in base.iterdir() if p.name.lower() == folder.lower()]
        if clash:
            raise ConfigError(f"study {name!r} exists already: {base / clash[0]} (edit it, or choose another name)")
    text = render(folder, title or default_title(name), scope=scope)
    base.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder}.", suffix=".part", dir=base))
    try:
        write_pair(text, scratch / f"{folder}.py")
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
    target = create_study(args.name, title=args.title, directory=studies_dir(args.dir), scope=args.scope)
    where = _shown(target)
    name = target.name
    title = " ".join((args.title or default_title(identifiers.normalise(args.name))).split())
    print(f"Created {where}/{name}.py and {name}.ipynb, the study {title!r}: {SCOPES[args.scope]}")
    print("(a jupytext pair: edit either, both are kept in sync).")
    print("Next:")
    print(f"  1. Write the question, the method and the analysis: make lab, then open {where}/{name}.ipynb")
    print("     (figures come from ilslib.figures; see docs/notebooks.md).")
    if args.scope == "org":
        print(f"  2. Try it for one organisation:  ils run --notebook {where} --period latest --org ALN")
        print(f"  3. Run it for every organisation: ils run --notebook {where} --period latest --all")
        print(f"     The pages go to outputs/_studier/{name}/PERIOD/ORG/ and are listed in outputs/index.html.")
    elif args.scope == "kind":
        print(f"  2. Try it for one kind:     ils run --notebook {where} --period latest --kind namnd")
        print(f"  3. Run it for every kind:   ils run --notebook {where} --period latest --all")
        print(f"     The pages go to outputs/_studier/{name}/PERIOD/_grupp/KIND/ and are listed in outputs/index.html.")
    else:
        print(f"  2. Run it:  ils run --notebook {where} --period latest")
        print(f"     The page goes to outputs/_studier/{name}/PERIOD/ and is listed in outputs/index.html.")
    print(f"  4. Commit {where}/{name}.py and {name}.ipynb (pre-commit strips outputs and checks the pair).")
    return 0
