"""The import graph of ``src/aisec``, read with ``ast`` (nothing is imported or run).

Two rules of docs/architecture.md §2 hold for every module:
- no import cycle between modules (a cycle is a seam in the wrong place: the pieces
  cannot be understood, tested or loaded one without the other);
- no module imports another package's private module (``aisec.guard._engine`` from
  outside ``aisec.guard``): each package's public face is its ``__init__`` and its
  public modules.

Imports inside ``if TYPE_CHECKING:`` blocks are left out: they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _modules() -> dict[str, Path]:
    mods: dict[str, Path] = {}
    for path in sorted((SRC / "aisec").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the aisec modules it imports (a ``from pkg import name`` of a submodule
    counts as importing the submodule, else the package)."""
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                graph[mod].update(a.name for a in node.names if a.name in mods)
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in mods:
                    graph[mod].add(full)
                elif base in mods:
                    graph[mod].add(base)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _owner_of_private(module: str) -> str | None:
    """``aisec.guard._engine`` -> ``aisec.guard``; None for a public module."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def test_no_import_cycle_between_modules() -> None:
    cycles = _cycles(_imports(_modules()))
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_module_imports_another_packages_private_module() -> None:
    bad = []
    for mod, targets in _imports(_modules()).items():
        for target in sorted(targets):
            owner = _owner_of_private(target)
            if owner is not None and mod != owner and not mod.startswith(owner + "."):
                bad.append(f"{mod} imports {target}")
    assert bad == [], "private imports across packages:\n" + "\n".join(bad)


def test_the_graph_reader_finds_cycles_and_private_imports() -> None:
    """The checks above would pass vacuously if the reader found no edges."""
    graph = _imports(_modules())
    assert "aisec.core.findings" in graph["aisec.cli.main"] or any(
        "aisec.core" in t for t in graph["aisec.cli.main"]
    )
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _owner_of_private("aisec.guard._engine") == "aisec.guard"
    assert _owner_of_private("aisec.guard.training") is None
