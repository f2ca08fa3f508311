"""The package's layering: no import cycle between its packages and top-level
modules (prism_cp.X), and the CLI imported by `prism_cp/__main__.py` alone, so
the library never drags in its command line."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "prism_cp"


def module_name(path: Path) -> str:
    """prism_cp.a.b for prism_cp/a/b.py (prism_cp.a for prism_cp/a/__init__.py)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every prism_cp module `path` imports, at any depth of its code."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in out if name == "prism_cp" or name.startswith("prism_cp.")}


def unit(name: str) -> str:
    """The package or top-level module a module belongs to: prism_cp.X."""
    return ".".join(name.split(".")[:2])


def modules() -> dict[Path, str]:
    return {path: module_name(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_no_import_cycle_between_packages():
    graph = nx.DiGraph()
    for path, name in modules().items():
        for target in imports(path):
            if unit(target) != unit(name) and unit(target) != "prism_cp":
                graph.add_edge(unit(name), unit(target))
    assert graph.number_of_edges() > 10  # the walk does see the imports
    assert list(nx.simple_cycles(graph)) == []


def test_only_main_imports_the_cli():
    def is_cli(target: str) -> bool:
        top = unit(target)
        return top == "prism_cp.cli" or top.startswith("prism_cp.cli_")

    importers = {name for path, name in modules().items() if any(is_cli(t) for t in imports(path)) and not is_cli(name)}
    assert importers == {"prism_cp.__main__"}
