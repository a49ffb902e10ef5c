"""The package's shape: layers that import only downwards, no cycles, small modules.

Every module of ``bizml_nb`` is parsed with ``ast`` (nothing is imported) and every
import of a ``bizml_nb`` module is collected, including imports inside functions and
under ``if TYPE_CHECKING:``. The layers, lowest first, are those of
``docs/architecture.md``; a module may import from its own layer and the layers below.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bizml_nb"

#: lowest first; a module belongs to the first layer whose prefix it starts with.
LAYERS = (
    "bizml_nb.core",
    "bizml_nb.impact",
    "bizml_nb.finance",
    "bizml_nb.monitor",
    "bizml_nb.projects",
    "bizml_nb.teams",
    "bizml_nb.present",
    "bizml_nb.interfaces",
)
#: outside the layers: the package's front door and the old-path table.
TOP = {"bizml_nb", "bizml_nb._moved"}
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str, known: dict[str, Path]) -> str:
    """``bizml_nb.a.b.c`` -> the longest known module prefix (``c`` may be a name in ``b``)."""
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, int, bool]]:
    """(imported module, line, under TYPE_CHECKING) for each import of a bizml_nb module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                typing_only.update(id(n) for n in ast.walk(child))
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{alias.name}" for alias in node.names]
        for target in targets:
            if target == "bizml_nb" or target.startswith("bizml_nb."):
                resolved = _resolve(target, known)
                if resolved != name:
                    found.append((resolved, node.lineno, id(node) in typing_only))
    return found


def layer(name: str) -> int | None:
    for index, prefix in enumerate(LAYERS):
        if name == prefix or name.startswith(prefix + "."):
            return index
    return None


def test_every_module_belongs_to_a_layer() -> None:
    stray = [name for name in modules() if name not in TOP and layer(name) is None]
    assert not stray, f"modules outside every layer of docs/architecture.md: {stray}"


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    known = modules()
    upward = []
    for name, path in known.items():
        own = layer(name)
        if own is None:
            continue
        for target, line, _ in imports(name, path, known):
            other = layer(target)
            if target in TOP or (other is not None and other > own):
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_no_import_cycles_counting_imports_inside_functions() -> None:
    known = modules()
    graph = {
        name: {t for t, _, typing_only in imports(name, path, known) if not typing_only}
        for name, path in known.items()
    }
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_module_is_over_500_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines (split them by responsibility): {long}"


def test_the_checks_see_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """The parser counts imports inside functions and relative imports."""
    core = tmp_path / "bizml_nb" / "core"
    core.mkdir(parents=True)
    (core / "a.py").write_text("def f():\n    from bizml_nb.present.cards import Card\n")
    (core / "b.py").write_text("from . import a\n")
    known = {
        "bizml_nb.core.a": core / "a.py",
        "bizml_nb.core.b": core / "b.py",
        "bizml_nb.present.cards": core / "a.py",
    }
    assert imports("bizml_nb.core.a", core / "a.py", known) == [
        ("bizml_nb.present.cards", 2, False)
    ]
    assert imports("bizml_nb.core.b", core / "b.py", known) == [("bizml_nb.core.a", 1, False)]
    assert layer("bizml_nb.present.cards") == 6 > layer("bizml_nb.core.a") == 0  # type: ignore[operator]


OLD_NAMES = json.loads((Path(__file__).parent / "data" / "public_names_v0.json").read_text())


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_every_public_name_of_version_0_1_is_found_at_its_old_path(old: str) -> None:
    module = importlib.import_module(old)
    missing = [name for name in OLD_NAMES[old] if not hasattr(module, name)]
    assert not missing, f"{old} no longer offers {missing}"


def test_docs_architecture_lists_every_module_and_no_other() -> None:
    """docs/architecture.md's module tables name each module of the package (by its path
    under ``bizml_nb/``) in their first column; a module added or removed fails here."""
    import re

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([\w/]+\.py)` \|", text, flags=re.M))
    actual = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py" or len(path.read_text(encoding="utf-8").splitlines()) > 60
    }
    assert not actual - listed, (
        f"modules missing from docs/architecture.md: {sorted(actual - listed)}"
    )
    assert not listed - actual, (
        f"docs/architecture.md lists modules that do not exist: {sorted(listed - actual)}"
    )
