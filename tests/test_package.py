"""The package surface: public names stay what they are, whatever gets imported."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import bizml_nb
import bizml_nb.interfaces.api


def test_public_functions_are_not_shadowed_by_submodules() -> None:
    """Importing every submodule leaves bizml_nb.experiment, .project, ... as the API functions."""
    for module in pkgutil.walk_packages(bizml_nb.__path__, "bizml_nb."):
        importlib.import_module(module.name)
    for name in bizml_nb.interfaces.api.__all__:
        assert getattr(bizml_nb, name) is getattr(bizml_nb.interfaces.api, name), name


# What each public name is, written out by hand: the module that defines it.
PUBLIC = {
    **dict.fromkeys(
        [
            "audit",
            "baseline",
            "calibration",
            "compare",
            "dashboard",
            "deployed",
            "evaluate_roi",
            "experiment",
            "init",
            "link",
            "log",
            "log_predictions",
            "metric",
            "monitor_model",
            "observe",
            "plan_capacity",
            "plot",
            "project",
            "realised_impact",
            "runs",
            "show",
            "threshold",
            "tree",
        ],
        "bizml_nb.interfaces.api",
    ),
    **dict.fromkeys(
        ["BizmlError", "RegistryError", "LedgerError", "ExperimentError"], "bizml_nb.core.errors"
    ),
    **dict.fromkeys(["BusinessMetric", "Link", "Registry"], "bizml_nb.core.registry"),
    "Ledger": "bizml_nb.core.ledger",
    "Run": "bizml_nb.core.run",
    "Experiment": "bizml_nb.projects.experiments",
    "Project": "bizml_nb.projects.project",
}

# In a fresh interpreter, as a user's `import bizml_nb` would be: read each name twice
# (the first read goes through the package's lazy loader, the second is what it kept)
# and name every one that is not the object its defining module holds.
_READ_EACH_NAME = """
import importlib, json, sys
import bizml_nb
expected = json.loads(sys.argv[1])
wrong = []
for name, module in expected.items():
    want = getattr(importlib.import_module(module), name)
    for attempt in ("first read", "second read"):
        if getattr(bizml_nb, name) is not want:
            wrong.append(f"{name} ({attempt}) is not {module}.{name}")
print(json.dumps(wrong))
"""


def test_every_public_name_resolves() -> None:
    """Each name in bizml_nb.__all__ reads, from the package, as the object it names."""
    assert sorted(bizml_nb.__all__) == sorted(
        [*PUBLIC, "__version__", "load_ipython_extension", "unload_ipython_extension"]
    )
    assert sorted(dir(bizml_nb)) == sorted(bizml_nb.__all__)
    done = subprocess.run(
        [sys.executable, "-c", _READ_EACH_NAME, json.dumps(PUBLIC)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert re.fullmatch(r"\d+\.\d+\.\d+", bizml_nb.__version__)
    # The two extension hooks are the package's own functions, not lazily loaded ones.
    for hook in ("load_ipython_extension", "unload_ipython_extension"):
        assert getattr(bizml_nb, hook).__module__ == "bizml_nb"
    assert not hasattr(bizml_nb, "no_such_name")


def _typing_imports(source: str) -> dict[str, str]:
    """name -> module of each ``from MODULE import NAME as NAME`` under ``if TYPE_CHECKING:``."""
    found: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for item in node.body:
                assert isinstance(item, ast.ImportFrom), ast.unparse(item)
                assert item.module, ast.unparse(item)
                for alias in item.names:
                    assert alias.asname == alias.name, f"{alias.name} is not re-exported"
                    found[alias.name] = item.module
    return found


def test_type_checkers_see_the_names_the_lazy_table_loads() -> None:
    """The package's ``if TYPE_CHECKING:`` imports name what ``_LAZY`` loads, from the same
    modules: a name added to one and not the other fails here."""
    source = Path(bizml_nb.__file__).read_text(encoding="utf-8")
    assert _typing_imports(source) == bizml_nb._LAZY
    assert _typing_imports(source) == PUBLIC


def test_the_check_of_the_typing_imports_reads_names_and_refuses_a_plain_import() -> None:
    """The parser behind the test above: a name and its module; an import without
    ``as NAME`` (not a re-export for mypy) is refused."""
    source = "if TYPE_CHECKING:\n    from bizml_nb.core.run import Run as Run\n"
    assert _typing_imports(source) == {"Run": "bizml_nb.core.run"}
    with pytest.raises(AssertionError, match="Run is not re-exported"):
        _typing_imports("if TYPE_CHECKING:\n    from bizml_nb.core.run import Run\n")
