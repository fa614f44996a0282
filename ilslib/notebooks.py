"""The project's notebooks: the Jupyter kernel, jupytext pairs, and files fit for review in git.

Every notebook in ``notebooks/`` is a jupytext pair: ``NAME.py`` in the percent
format (what a reviewer reads in a diff) and ``NAME.ipynb`` (what JupyterLab
opens), with the same cells and no outputs in git. This module holds the checks
the tests and the pre-commit hooks share, and the kernel set-up:

- the Jupyter kernel ``ils`` ("Python 3 (ils)"): it ships with the package
  (:data:`PACKAGED_KERNEL`, installed by pip as ``ENV/share/jupyter/kernels/ils``,
  as ipykernel ships ``python3``), so ``pip install .`` is enough for papermill and
  JupyterLab; :func:`install_kernel` installs it again, pinned to this Python
  (``make kernel``, or ``--user`` for a JupyterLab installed elsewhere);
- :func:`pairs`, :func:`sync_problems`, :func:`output_problems`: the pairing and
  no-outputs rules;
- :func:`write_pair`: write a percent ``.py`` and its ``.ipynb`` together;
- :func:`find_secrets`: passwords written into a file (``PWD`` or ``PASSWORD`` values);
- :func:`study_module`: a special study's own module (``NAME_analysis.py`` beside its notebook).

As a command (used by ``.pre-commit-config.yaml``)::

    python -m ilslib.notebooks check [PATH ...]   # pairs in sync, no outputs (default: notebooks/)
    python -m ilslib.notebooks sync PATH ...      # rewrite each .ipynb from its percent .py
    python -m ilslib.notebooks secrets FILE ...   # no password values in the files
    python -m ilslib.notebooks kernel [--user | --prefix DIR]   # install the ils kernel
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

KERNEL_NAME = "ils"
KERNEL_DISPLAY_NAME = "Python 3 (ils)"
#: The kernelspec every notebook of the project declares.
KERNELSPEC = {"display_name": KERNEL_DISPLAY_NAME, "language": "python", "name": KERNEL_NAME}
#: The kernel spec the wheel installs (``share/jupyter/kernels/ils/kernel.json`` in the repository,
#: ``[tool.setuptools.data-files]`` in pyproject.toml). Its command is ``python``, which Jupyter
#: (jupyter_client) replaces by the Python that starts the kernel: the environment's own, as for
#: ipykernel's ``python3``. A wheel cannot know the absolute path of the environment it goes into.
PACKAGED_KERNEL = {
    "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
    "display_name": KERNEL_DISPLAY_NAME,
    "language": "python",
    "metadata": {"debugger": True},
}
#: Where the packaged kernel spec lives in the repository and in an environment (under its prefix).
PACKAGED_KERNEL_PATH = f"share/jupyter/kernels/{KERNEL_NAME}/kernel.json"
#: The jupytext pairing every notebook of the project declares.
PAIRING = "ipynb,py:percent"
#: Lines that contain this marker are not searched for passwords (a deliberate test value).
ALLOW_SECRET = "pragma: allowlist secret"


# -- the kernel ---------------------------------------------------------------------------


def install_kernel(*, user: bool = False, prefix: str | Path | None = None) -> Path:
    """Install the ``ils`` kernel for this Python; return the kernel spec's directory.

    By default into this environment (``sys.prefix``, like ``ipykernel install
    --sys-prefix``), so JupyterLab started from the environment lists it and it
    never touches the user's own Jupyter set-up; ``user=True`` puts it in the
    user's Jupyter directory (for a JupyterLab installed elsewhere), ``prefix``
    under ``PREFIX/share/jupyter/kernels``. The kernel runs ``sys.executable``,
    an absolute path, so it works whatever is on ``PATH``.
    """
    from ipykernel.kernelspec import install

    if user and prefix is not None:
        raise ValueError("give user=True or a prefix, not both")
    where = None if user else str(prefix if prefix is not None else sys.prefix)
    path = install(user=user, prefix=where, kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME)
    return Path(path)


def kernel_name_for(nb: Any) -> str:
    """The kernel to run ``nb`` with: its kernelspec's if that kernel is installed, else ``python3``.

    ``python3`` is ipykernel's own kernel, always there where ipykernel is
    installed, and runs the same Python as the caller (jupyter_client starts
    ``sys.executable`` for it). For runners that must not fail on a machine
    where ``make kernel`` has not been run.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    wanted = ((nb.get("metadata") or {}).get("kernelspec") or {}).get("name") or "python3"
    try:
        if wanted in KernelSpecManager().find_kernel_specs():
            return wanted
    except Exception:  # an unreadable kernel directory: fall back  # noqa: BLE001
        pass
    return "python3"


# -- a study's own module -----------------------------------------------------------------


def study_module(name: str, directory: str | Path | None = None) -> Any:
    """Import a study's own module ``NAME.py`` from ``directory`` (default: the working directory) afresh.

    A computation that only one study makes lives beside its notebook
    (``notebooks/studies/S/S_analysis.py``, tested by ``test_S_analysis.py``
    there), not in the library. The notebook's working directory is its own
    folder under ``ils run``, JupyterLab and ``papermill --cwd``, but that folder
    is not on ``sys.path`` in every engine: this imports the file by its path,
    under its own (unique) name, again on every call so that an edit takes
    effect without restarting the kernel.
    """
    import importlib.util

    if not name.isidentifier():
        from .errors import ConfigError

        raise ConfigError(f"study module {name!r}: expected a Python module name (letters, digits, _)")
    path = Path(directory if directory is not None else Path.cwd()) / f"{name}.py"
    if not path.is_file():
        from .errors import ConfigError

        raise ConfigError(f"study module {path} does not exist (a study's own module lives beside its notebook)")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    spec.loader.exec_module(module)
    return module


# -- pairs and outputs --------------------------------------------------------------------


def _read_ipynb(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def cell_inputs(nb: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """The inputs of a notebook as ``(cell_type, source, tags)``, what a pair must agree on."""
    out = []
    for cell in nb["cells"]:
        tags = tuple((cell.get("metadata") or {}).get("tags") or ())
        out.append((cell["cell_type"], _source(cell).rstrip("\n"), tags))
    return out


def pairs(root: str | Path) -> list[tuple[Path | None, Path | None]]:
    """Every notebook under ``root`` as ``(py, ipynb)``; one side is None when it is missing.

    A ``.py`` file counts as a notebook when it starts with a jupytext header
    (``# ---`` ... ``jupytext:``); other Python files are left alone.
    """
    root = Path(root)
    found: dict[Path, list[Path | None]] = {}
    for p in sorted(root.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in p.parts:
            continue
        found.setdefault(p.with_suffix(""), [None, None])[1] = p
    for p in sorted(root.rglob("*.py")):
        if ".ipynb_checkpoints" in p.parts or not is_jupytext_py(p):
            continue
        found.setdefault(p.with_suffix(""), [None, None])[0] = p
    return [(v[0], v[1]) for _, v in sorted(found.items())]


def is_jupytext_py(path: str | Path) -> bool:
    """True when ``path`` is a jupytext text notebook (a ``# ---`` header naming jupytext)."""
    try:
        head = Path(path).read_text(encoding="utf-8")[:2000]
    except (OSError, UnicodeDecodeError):
        return False
    return head.startswith("# ---\n") and "#   jupytext:" in head


def sync_problems(py: str | Path, ipynb: str | Path) -> list[str]:
    """What differs between the inputs of ``py`` (percent format) and ``ipynb``; [] when in sync."""
    import jupytext

    py, ipynb = Path(py), Path(ipynb)
    text_cells = cell_inputs(jupytext.read(py, fmt="py:percent"))
    nb_cells = cell_inputs(_read_ipynb(ipynb))
    problems = []
    if len(text_cells) != len(nb_cells):
        problems.append(f"{ipynb}: {len(nb_cells)} cells, {py.name} has {len(text_cells)}")
    for i, (a, b) in enumerate(zip(text_cells, nb_cells, strict=False)):
        if a != b:
            what = "type" if a[0] != b[0] else "source" if a[1] != b[1] else "tags"
            problems.append(f"{ipynb} cell {i}: {what} differs from {py.name}")
            break
    return problems


def output_problems(ipynb: str | Path) -> list[str]:
    """Code cells of ``ipynb`` that carry outputs or an execution count; [] when clean."""
    nb = _read_ipynb(Path(ipynb))
    bad = []
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            bad.append(f"{ipynb} cell {i}: has outputs")
        elif cell.get("execution_count") is not None:
            bad.append(f"{ipynb} cell {i}: has an execution count")
    return bad


def metadata_problems(py: str | Path) -> list[str]:
    """The percent ``.py`` must pair with ``ipynb`` and name the project's kernel."""
    import jupytext

    nb = jupytext.read(Path(py), fmt="py:percent")
    problems = []
    formats = ((nb.metadata.get("jupytext") or {}).get("formats")) or ""
    if formats != PAIRING:
        problems.append(f"{py}: jupytext formats {formats!r}, expected {PAIRING!r}")
    name = (nb.metadata.get("kernelspec") or {}).get("name")
    if name not in (KERNEL_NAME, "python3"):
        problems.append(f"{py}: kernel {name!r}, expected {KERNEL_NAME!r}")
    return problems


def check_tree(paths: Iterable[str | Path]) -> list[str]:
    """Every problem of the notebooks under (or at) ``paths``: unpaired, out of sync, with outputs."""
    problems: list[str] = []
    roots = [Path(p) for p in paths]
    seen: set[tuple[Path | None, Path | None]] = set()
    for root in roots:
        if root.is_file():
            base = root.with_suffix("")
            script, notebook = base.with_suffix(".py"), base.with_suffix(".ipynb")
            if root.suffix == ".py" and not is_jupytext_py(root):
                continue
            found = [(script if script.is_file() else None, notebook if notebook.is_file() else None)]
        elif root.is_dir():
            found = pairs(root)
        else:
            continue  # a deleted file (pre-commit passes those too)
        for pair in found:
            if pair in seen:
                continue
            seen.add(pair)
            py, nb = pair
            if py is None or nb is None:
                if nb is not None:
                    problems.append(
                        f"{nb}: no paired percent script {nb.with_suffix('.py').name} "
                        f"(jupytext --set-formats {PAIRING} {nb})"
                    )
                elif py is not None:
                    problems.append(f"{py}: no paired notebook {py.with_suffix('.ipynb').name} (jupytext --sync {py})")
                # neither: a path given that is no notebook and has none beside it (README.md): nothing to check
                continue
            problems += metadata_problems(py)
            problems += sync_problems(py, nb)
            problems += output_problems(nb)
    return problems


def write_pair(py_text: str, py_path: str | Path) -> tuple[Path, Path]:
    """Write a percent script and its ``.ipynb`` (same cells, no outputs); return both paths.

    Both files are written by jupytext from the same notebook, exactly as
    ``jupytext --sync`` would write them, so the pre-commit hook finds them
    consistent (the script's header gains jupytext's format and version). The
    cell ids of an existing ``.ipynb`` are kept where the cells are unchanged,
    so that regenerating a pair does not rewrite every cell.
    """
    import jupytext

    py_path = Path(py_path)
    nb = jupytext.reads(py_text, fmt="py:percent")
    ipynb = py_path.with_suffix(".ipynb")
    if ipynb.is_file():
        try:
            old = _read_ipynb(ipynb).get("cells", [])
        except (OSError, ValueError):
            old = []
        ids = {(c.get("cell_type"), _source(c)): c.get("id") for c in old if c.get("id")}
        for i, cell in enumerate(nb.cells):
            same_place = old[i].get("id") if i < len(old) and len(old) == len(nb.cells) else None
            cell_id = ids.get((cell.cell_type, cell.source)) or same_place
            if cell_id:
                cell["id"] = cell_id
    jupytext.write(nb, py_path, fmt="py:percent")
    jupytext.write(nb, ipynb, fmt="ipynb")
    return py_path, ipynb


def sync_from_scripts(paths: Iterable[str | Path]) -> list[Path]:
    """Rewrite each pair from its percent ``.py`` (the reviewed text); return the scripts done.

    ``paths`` are scripts or directories (every jupytext script under them).
    """
    done = []
    for path in map(Path, paths):
        scripts = [py for py, _ in pairs(path) if py is not None] if path.is_dir() else [path]
        for py in scripts:
            write_pair(py.read_text(encoding="utf-8"), py)
            done.append(py)
    return done


# -- secrets ------------------------------------------------------------------------------

# KEY=VALUE where KEY ends in PWD or PASSWORD (PWD=, Password=, ILS_WAREHOUSE_PASSWORD=, ...),
# and KEY: VALUE at the start of a line (YAML, TOML-like settings, JSON).
# Spaces after the separator only before a quoted value: `password = "..."`, not prose.
_VALUE = r"(?:[ \t]*(?P<q>[\"'])|)(?P<value>[^\s;'\"`}),\\]+)"
_SECRET_RES = (
    re.compile(r"(?i)(?P<key>\b\w*(?:pwd|password))[ \t]*=" + _VALUE),
    re.compile(
        r"(?i)^[ \t-]*[\"']?(?P<key>\w*(?:pwd|password))[\"']?[ \t]*:[ \t]*(?P<q>[\"']?)"
        r"(?P<value>[^\s;'\"`}),\\]+)"
    ),
)
# Values that are not secrets: placeholders, variables, redactions, and Python expressions.
_PLACEHOLDER_RE = re.compile(
    r"^(?:\.\.\.|…|\*+|x+|X+|<[^>]*>?|\$\{?\w+\}?|\$\(.*|%\(?\w+\)?s?|\{\w*\}?|\w+\(.*|"
    r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(.*)?|None|null|true|false|True|False|"
    r".*(?i:pwd|password).*)$"  # a name such as ILS_WAREHOUSE_PASSWORD, not a value
)


def find_secrets(text: str) -> list[tuple[int, str]]:
    """Lines of ``text`` that set a password to a literal value, as ``(line number, key)``.

    ``PWD=...``, ``Password='...'``, ``ILS_WAREHOUSE_PASSWORD=...`` and
    ``password: ...`` at the start of a line are found when the value is a literal; placeholders (``...``, ``***``, ``<lösenord>``, ``$VAR``), Python
    expressions (``pg.password``, ``getpass()``) and lines marked
    ``pragma: allowlist secret`` are not.

    >>> find_secrets("DRIVER={PostgreSQL Unicode};SERVER=db;UID=ils;" + "PWD" + "=hemligt")
    [(1, 'PWD')]
    >>> find_secrets("ILS_WAREHOUSE_PASSWORD=... ils info\\nPWD=***\\nenv = dict(PGPASSWORD=pg.password)")
    []
    """
    found = []
    for n, line in enumerate(text.splitlines(), 1):
        if ALLOW_SECRET in line:
            continue
        for m in (m for rx in _SECRET_RES for m in rx.finditer(line)):
            value = m["value"]
            if _PLACEHOLDER_RE.match(value):
                continue
            # `password: str` (a type hint) and `password` passed on as a variable.
            if not m["q"] and (value.lower() == m["key"].lower() or value in ("str", "bytes", "Any")):
                continue
            found.append((n, m["key"]))
    return found


def secrets_in_files(files: Iterable[str | Path]) -> list[str]:
    """``FILE:LINE: KEY=...`` for each password value in ``files`` (binary files skipped)."""
    problems = []
    for f in files:
        p = Path(f)
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        problems += [
            f"{p}:{n}: {key}= has a value; put the password in ILS_WAREHOUSE_PASSWORD "
            f"(or mark a deliberate test value '# {ALLOW_SECRET}')"
            for n, key in find_secrets(text)
        ]
    return problems


# -- command line -------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ilslib.notebooks check|secrets|kernel``; exit 1 when a check finds problems."""
    parser = argparse.ArgumentParser(prog="python -m ilslib.notebooks", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("check", help="notebooks paired with their percent .py, in sync, without outputs")
    p.add_argument("paths", nargs="*", default=["notebooks"])
    p = sub.add_parser("sync", help="rewrite each .ipynb (and the script's header) from its percent .py")
    p.add_argument("paths", nargs="+")
    p = sub.add_parser("secrets", help="no password values written into files")
    p.add_argument("files", nargs="*")
    p = sub.add_parser("kernel", help=f"install the Jupyter kernel {KERNEL_NAME!r} ({KERNEL_DISPLAY_NAME})")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="into the user's Jupyter directory")
    where.add_argument("--prefix", metavar="DIR", help="into DIR/share/jupyter/kernels (default: this environment)")
    args = parser.parse_args(argv)
    if args.cmd == "kernel":
        path = install_kernel(user=args.user, prefix=args.prefix)
        print(f"Installed the Jupyter kernel {KERNEL_NAME!r} ({KERNEL_DISPLAY_NAME}) in {path}")
        return 0
    if args.cmd == "sync":
        for py in sync_from_scripts(args.paths):
            print(f"{py} -> {py.with_suffix('.ipynb').name}")
        return 0
    problems = check_tree(args.paths) if args.cmd == "check" else secrets_in_files(args.files)
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
