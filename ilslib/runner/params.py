"""A notebook's declared parameters, read without importing Jupyter.

``ils run`` validates parameters before anything runs, in the parent process,
which never needs nbformat or papermill (importing them costs over a second).
A notebook is an ``.ipynb`` file (JSON) or a jupytext percent-format ``.py``
file; its parameters are the top-level assignments of the code cell tagged
``parameters``, exactly as papermill reads them.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

from ..errors import ConfigError

_PERCENT = re.compile(r"^# %%(?P<rest>.*)$")
_TAGS = re.compile(r"tags\s*=\s*\[(?P<tags>[^\]]*)\]")


class Expression(str):
    """A default that is not a literal (its source text): any value may replace it."""


def _cells(path: Path) -> list[tuple[str, list[str], str]]:
    """``(cell_type, tags, source)`` of every cell of the notebook."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        cells: list[tuple[str, list[str], str]] = []
        kind: str | None = None
        tags: list[str] = []
        lines: list[str] = []
        for line in text.splitlines():
            m = _PERCENT.match(line)
            if m:
                if kind is not None:
                    cells.append((kind, tags, "\n".join(lines)))
                rest = m.group("rest")
                kind = "markdown" if "[markdown]" in rest or "[md]" in rest else "code"
                t = _TAGS.search(rest)
                tags = [s.strip().strip("'\"") for s in t.group("tags").split(",")] if t else []
                lines = []
            elif kind is not None:
                lines.append(line)
        if kind is not None:
            cells.append((kind, tags, "\n".join(lines)))
        return cells
    nb = json.loads(text)
    out = []
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        out.append(
            (
                cell.get("cell_type", ""),
                list((cell.get("metadata") or {}).get("tags") or []),
                "".join(src) if isinstance(src, list) else src,
            )
        )
    return out


def declared_parameters(path: str | Path) -> dict[str, Any]:
    """``{name: default}`` of the notebook's ``parameters`` cell ({} when it has none).

    A default that is not a literal (an expression) is given as the source text.
    """
    p = Path(path)
    try:
        cells = _cells(p)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"notebook {str(path)!r} cannot be read: {exc}") from None
    for kind, tags, source in cells:
        if kind == "code" and "parameters" in tags:
            try:
                tree = ast.parse(source)
            except SyntaxError as exc:
                raise ConfigError(
                    f"notebook {str(path)!r}: the parameters cell is not valid Python (line {exc.lineno})"
                ) from None
            found: dict[str, Any] = {}
            for node in tree.body:
                targets = (
                    node.targets
                    if isinstance(node, ast.Assign)
                    else [node.target]
                    if isinstance(node, ast.AnnAssign)
                    else []
                )
                value: ast.expr | None = getattr(node, "value", None)
                for t in targets:
                    if isinstance(t, ast.Name):
                        if value is None:  # a bare annotation: no default
                            found[t.id] = None
                            continue
                        try:
                            found[t.id] = ast.literal_eval(value)
                        except ValueError:
                            found[t.id] = Expression(ast.get_source_segment(source, value) or "")
            return found
    return {}


def _type_name(value: Any) -> str:
    return {
        bool: "true or false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _compatible(default: Any, given: Any) -> bool:
    if default is None or given is None or isinstance(default, Expression):
        return True
    if isinstance(default, bool) or isinstance(given, bool):
        return isinstance(default, bool) and isinstance(given, bool)
    if isinstance(default, float):
        return isinstance(given, (int, float))
    if isinstance(default, (int, str, list, dict)):
        return isinstance(given, type(default))
    return True


def check_parameters(path: str | Path, given: dict[str, Any]) -> dict[str, Any]:
    """Raise :class:`ConfigError` for a parameter the notebook does not declare or of the wrong type.

    Returns the declared parameters (name -> default).
    """
    declared = declared_parameters(path)
    name = Path(path).name
    if not declared:
        raise ConfigError(f"notebook {name} has no cell tagged 'parameters'")
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ConfigError(
            f"notebook {name} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters are: {', '.join(declared)}"
        )
    for k, v in given.items():
        if not _compatible(declared[k], v):
            raise ConfigError(
                f"parameter {k}={v!r}: notebook {name} expects {_type_name(declared[k])} "
                f"(its default is {declared[k]!r})"
            )
    return declared
