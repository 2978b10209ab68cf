"""No import cycle among the modules of ``pandapon.testing``.

Every ``import`` and ``from ... import`` counts, wherever it stands: at module level, inside a function, or under
``if TYPE_CHECKING:`` (a cycle hidden there still couples the modules both ways).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandapon.testing

PACKAGE = "pandapon.testing"


def package_modules() -> dict[str, Path]:
    """Every module of the package (the package itself included) → its source file."""
    root = Path(pandapon.testing.__file__).parent
    modules = {PACKAGE: root / "__init__.py"}
    for info in pkgutil.iter_modules([str(root)]):
        assert not info.ispkg, f"{PACKAGE}.{info.name} is a package: extend this test to walk it"
        modules[f"{PACKAGE}.{info.name}"] = root / f"{info.name}.py"
    return modules


def imported_modules(source: str, module: str, is_package: bool, known: Iterable[str]) -> set[str]:
    """The modules of ``known`` that ``module`` imports anywhere in ``source``."""
    known = set(known)
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in known else target)
    return {name for name in found if name in known and name != module}


def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    return {
        name: imported_modules(path.read_text(encoding="utf-8"), name, name == PACKAGE, modules)
        for name, path in modules.items()
    }


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Return one cycle as a path that starts and ends at the same module, or ``None``."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(graph.get(node, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        on_path.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle is not None:
                return cycle
    return None


def test_every_module_imports() -> None:
    for name in package_modules():
        importlib.import_module(name)


def test_no_import_cycle_among_the_package_modules() -> None:
    graph = import_graph()
    assert graph[PACKAGE], "the package imports nothing of its own: the graph is not being read"
    assert f"{PACKAGE}._state" in graph[f"{PACKAGE}._routes"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_reader_sees_imports_in_functions_and_type_checking_blocks() -> None:
    source = """
from typing import TYPE_CHECKING
from . import _a as alias
from ._b import thing
if TYPE_CHECKING:
    from ._c import Only
def later() -> None:
    from ._d import inner
    import pandapon.testing._e
from .. import AsyncPandaPon
from . import exported_name
"""
    known = [PACKAGE, *(f"{PACKAGE}._{x}" for x in "abcdef")]
    found = imported_modules(source, f"{PACKAGE}._f", False, known)
    assert found == {PACKAGE, *(f"{PACKAGE}._{x}" for x in "abcde")}


def test_a_cycle_is_named() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"b"}}) is None
