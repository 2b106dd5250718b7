"""The import rule of docs/ARCHITECTURE.md, read from the source: layers only import downwards, no
import cycle (imports inside functions count; `if TYPE_CHECKING:` blocks do not run and do not),
and no module hands on another module's names (tests/test_api.py keeps Streamlit inside `ui/`)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

import journeymap

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "journeymap"

# The layers, lowest first. A module may import its own layer and the layers below it.
LAYERS = {"core": 0, "journey": 1, "log": 2, "engine": 3, "measures": 4, "decide": 5, "charts": 6,
          "export": 7, "workshop": 7, "cli": 8, "ui": 9}
# Modules directly in the package: the public API sees every layer; `testing` builds logs for users'
# tests from definitions and metrics; `__main__` is the command.
TOP_LEVEL = {"journeymap": 10, "journeymap.testing": LAYERS["measures"], "journeymap.__main__": LAYERS["cli"]}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    return LAYERS[module.split(".")[1]]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at module level or inside functions."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    names: tuple[str, ...]  # the names taken from `imported` (empty for `import x`)
    line: int


def _absolute(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer if MODULES[importer].name == "__init__.py" else importer.rpartition(".")[0]
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def edges_of(importer: str, tree: ast.AST) -> list[Edge]:
    edges = []
    for node in _runtime_imports(tree):
        if isinstance(node, ast.Import):
            edges += [Edge(importer, alias.name, (), node.lineno) for alias in node.names
                      if alias.name.startswith("journeymap")]
            continue
        source = _absolute(importer, node)
        if not source.startswith("journeymap"):
            continue
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            if submodule in MODULES:
                edges.append(Edge(importer, submodule, (), node.lineno))
            else:
                edges.append(Edge(importer, source, (alias.name,), node.lineno))
    return edges


TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}
EDGES = [edge for name, tree in TREES.items() for edge in edges_of(name, tree)]
LAZY_API = "journeymap"  # the public __init__ imports lazily through a table, not import statements


def defined_names(tree: ast.AST) -> set[str]:
    """Names a module defines itself at top level (functions, classes, assignments)."""
    names: set[str] = set()
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
            for target in node.targets:
                if isinstance(target, ast.Tuple):
                    names |= {element.id for element in target.elts if isinstance(element, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.If):
            names |= defined_names(node)
        elif isinstance(node, ast.Try):
            for child in [*node.body, *node.orelse, *node.finalbody]:
                names |= defined_names(ast.Module(body=[child], type_ignores=[]))
    return names


def test_the_layers_are_the_folders():
    """Every module sits in a layer folder (or is one of the few top-level modules), so the rule below
    covers all of them."""
    loose = [name for name in MODULES if name.count(".") == 1 and name not in TOP_LEVEL
             and name.split(".")[1] not in LAYERS]
    assert loose == []
    assert {name.split(".")[1] for name in MODULES if name.count(".") >= 1} - {"testing", "__main__"} <= set(LAYERS)


def test_lower_layers_never_import_higher_ones():
    upward = [f"{e.importer} (line {e.line}) imports {e.imported}" for e in EDGES
              if e.importer != LAZY_API and e.imported in MODULES and layer_of(e.imported) > layer_of(e.importer)]
    assert upward == []


def test_no_import_cycle_anywhere():
    graph = nx.DiGraph((e.importer, e.imported) for e in EDGES if e.imported in MODULES)
    # A package's __init__ is imported before any of its modules; a module importing its own
    # package's __init__ (which here holds only a docstring) is no cycle of meaning.
    graph.remove_edges_from([(a, b) for a, b in graph.edges if a.startswith(f"{b}.")])
    cycles = [sorted(component) for component in nx.strongly_connected_components(graph) if len(component) > 1]
    assert cycles == []


def test_modules_hand_on_no_names_of_other_modules():
    """A name is imported from the module that defines it: no module's `__all__` lists a name it only
    imported, and nothing (library, pages, tests, benchmarks) takes a name from a module that merely
    imported it. Only the package's public `__init__` re-exports, and only the names in `__all__`."""
    defined = {name: defined_names(tree) for name, tree in TREES.items()}
    leaks = []
    for name, tree in TREES.items():
        if name == LAZY_API:
            continue
        for node in ast.iter_child_nodes(tree):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                listed = [element.value for element in node.value.elts]  # type: ignore[attr-defined]
                leaks += [f"{name}.__all__ lists {n}, defined elsewhere" for n in listed if n not in defined[name]]
    users = [*PACKAGE.rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py", *(ROOT / "tests").rglob("*.py"),
             *(ROOT / "benchmarks").glob("*.py")]
    for path in users:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        importer = module_name(path) if PACKAGE in path.parents else path.name
        for node in ast.walk(tree):
            if (
                not isinstance(node, ast.ImportFrom)
                or not (node.module or "").startswith("journeymap")
                and not node.level
            ):
                continue
            source = _absolute(importer, node) if node.level else node.module
            for alias in node.names:
                if source == LAZY_API:
                    if alias.name not in journeymap.__all__ and f"journeymap.{alias.name}" not in MODULES:
                        leaks.append(f"{path.relative_to(ROOT)}:{node.lineno} takes {alias.name} from journeymap, "
                                     "which is not in its public API")
                elif (
                    source in MODULES and f"{source}.{alias.name}" not in MODULES and alias.name not in defined[source]
                ):
                    leaks.append(f"{path.relative_to(ROOT)}:{node.lineno} takes {alias.name} from {source}, "
                                 "which does not define it")
    assert leaks == []
