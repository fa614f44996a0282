"""No import cycles among ilslib's modules, counting the imports inside functions too.

Each module's imports are read with ``ast`` (every ``import`` and ``from ... import``,
at the top or deferred into a function), resolved to ilslib's modules, and the graph
is searched for a cycle. A cycle hidden in a function still ties two modules into one
(neither can be understood, tested or moved without the other), so it counts.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ilslib

PACKAGE = Path(ilslib.__file__).resolve().parent


def _modules() -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is a package)}`` of every module of ilslib."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def import_graph() -> dict[str, set[str]]:
    """``{module: the ilslib modules it imports}``; ``from X import name`` counts X.name when that is a module."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names]
            found.update(t for t in targets if t in modules and t != name)
        graph[name] = found
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_the_imports_it_must() -> None:
    graph = import_graph()
    assert len(graph) > 80
    assert "ilslib.warehouse" in graph["ilslib.schema"]  # from .warehouse import ...
    assert "ilslib.fmt" in graph["ilslib.report.tables"]  # from .. import fmt
    assert "ilslib.runner.books" in graph["ilslib.runner.plan"]  # deferred into plan()
    # a cycle is found when there is one
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles_among_ilslib_modules() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_every_module_imports() -> None:
    """Every module imports, in a fresh interpreter (the notebooks' templates are not modules)."""
    names = [n for n in sorted(_modules()) if not n.endswith("__main__") and not n.startswith("ilslib.templates")]
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    p = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
