"""The package surface: public names stay what they are, whatever gets imported."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import subprocess
import sys

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
            "compare",
            "dashboard",
            "deployed",
            "evaluate_roi",
            "experiment",
            "init",
            "link",
            "log",
            "metric",
            "monitor_model",
            "plan_capacity",
            "plot",
            "project",
            "runs",
            "show",
            "tree",
        ],
        "bizml_nb.interfaces.api",
    ),
    **dict.fromkeys(
        ["BizmlError", "RegistryError", "LedgerError", "ExperimentError"], "bizml_nb.core.errors"
    ),
    **dict.fromkeys(["BusinessMetric", "Link", "Registry"], "bizml_nb.core.registry"),
    **dict.fromkeys(["Ledger", "Run"], "bizml_nb.core.ledger"),
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
