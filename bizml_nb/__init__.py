"""bizml_nb: tie every notebook experiment to the business metric it is meant to move.

In a notebook::

    %load_ext bizml_nb
    %bizml help

From Python::

    import bizml_nb
    with bizml_nb.experiment("two-tower v2", target="take_rate") as run:
        run.log({"ndcg@10": 0.4125})

The package imports nothing heavy at start-up: the public functions are loaded on
first use, so ``%load_ext bizml_nb`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bizml_nb import _moved
from bizml_nb.core.version import __version__

_moved.install()

#: public name -> the module that defines it, imported on first use (the one list of
#: the package's public names; ``__all__`` and ``dir(bizml_nb)`` follow it).
_LAZY = {
    "experiment": "bizml_nb.interfaces.api",
    "init": "bizml_nb.interfaces.api",
    "link": "bizml_nb.interfaces.api",
    "log": "bizml_nb.interfaces.api",
    "log_predictions": "bizml_nb.interfaces.api",
    "threshold": "bizml_nb.interfaces.api",
    "metric": "bizml_nb.interfaces.api",
    "project": "bizml_nb.interfaces.api",
    "runs": "bizml_nb.interfaces.api",
    "show": "bizml_nb.interfaces.api",
    "baseline": "bizml_nb.interfaces.api",
    "compare": "bizml_nb.interfaces.api",
    "tree": "bizml_nb.interfaces.api",
    "plot": "bizml_nb.interfaces.api",
    "audit": "bizml_nb.interfaces.api",
    "dashboard": "bizml_nb.interfaces.api",
    "evaluate_roi": "bizml_nb.interfaces.api",
    "deployed": "bizml_nb.interfaces.api",
    "plan_capacity": "bizml_nb.interfaces.api",
    "monitor_model": "bizml_nb.interfaces.api",
    "observe": "bizml_nb.interfaces.api",
    "calibration": "bizml_nb.interfaces.api",
    "realised_impact": "bizml_nb.interfaces.api",
    "BizmlError": "bizml_nb.core.errors",
    "RegistryError": "bizml_nb.core.errors",
    "LedgerError": "bizml_nb.core.errors",
    "ExperimentError": "bizml_nb.core.errors",
    "BusinessMetric": "bizml_nb.core.registry",
    "Link": "bizml_nb.core.registry",
    "Registry": "bizml_nb.core.registry",
    "Ledger": "bizml_nb.core.ledger",
    "Run": "bizml_nb.core.run",
    "Experiment": "bizml_nb.projects.experiments",
    "Project": "bizml_nb.projects.project",
}

#: every public name: the lazy ones above, and those defined or imported here (strings
#: all, though ruff cannot tell from the ``*_LAZY``).
__all__ = [*_LAZY, "__version__", "load_ipython_extension", "unload_ipython_extension"]  # noqa: PLE0604

# For type checkers only (``X as X``: an explicit re-export), the same names from the
# same modules as _LAZY, which is what runs; tests/test_package.py fails when the two
# disagree. Importing them for real here would make ``import bizml_nb`` load pandas
# and the rest (about 230 ms), and ``%load_ext bizml_nb`` slow.
if TYPE_CHECKING:
    from bizml_nb.core.errors import BizmlError as BizmlError
    from bizml_nb.core.errors import ExperimentError as ExperimentError
    from bizml_nb.core.errors import LedgerError as LedgerError
    from bizml_nb.core.errors import RegistryError as RegistryError
    from bizml_nb.core.ledger import Ledger as Ledger
    from bizml_nb.core.registry import BusinessMetric as BusinessMetric
    from bizml_nb.core.registry import Link as Link
    from bizml_nb.core.registry import Registry as Registry
    from bizml_nb.core.run import Run as Run
    from bizml_nb.interfaces.api import audit as audit
    from bizml_nb.interfaces.api import baseline as baseline
    from bizml_nb.interfaces.api import calibration as calibration
    from bizml_nb.interfaces.api import compare as compare
    from bizml_nb.interfaces.api import dashboard as dashboard
    from bizml_nb.interfaces.api import deployed as deployed
    from bizml_nb.interfaces.api import evaluate_roi as evaluate_roi
    from bizml_nb.interfaces.api import experiment as experiment
    from bizml_nb.interfaces.api import init as init
    from bizml_nb.interfaces.api import link as link
    from bizml_nb.interfaces.api import log as log
    from bizml_nb.interfaces.api import log_predictions as log_predictions
    from bizml_nb.interfaces.api import metric as metric
    from bizml_nb.interfaces.api import monitor_model as monitor_model
    from bizml_nb.interfaces.api import observe as observe
    from bizml_nb.interfaces.api import plan_capacity as plan_capacity
    from bizml_nb.interfaces.api import plot as plot
    from bizml_nb.interfaces.api import project as project
    from bizml_nb.interfaces.api import realised_impact as realised_impact
    from bizml_nb.interfaces.api import runs as runs
    from bizml_nb.interfaces.api import show as show
    from bizml_nb.interfaces.api import threshold as threshold
    from bizml_nb.interfaces.api import tree as tree
    from bizml_nb.projects.experiments import Experiment as Experiment
    from bizml_nb.projects.project import Project as Project


_SHOW_CARDS = frozenset({"Project", "Experiment"})


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bizml_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    if name in _SHOW_CARDS:
        # A project or an experiment shows recorded runs as cards; the presentation
        # layer installs how (bizml_nb.projects.experiments.show_runs_with).
        importlib.import_module("bizml_nb.present.cards")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%bizml`` and ``%%bizml`` (``%load_ext bizml_nb``)."""
    from bizml_nb.interfaces.magics import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove ``%bizml`` and ``%%bizml`` (``%unload_ext bizml_nb``)."""
    from bizml_nb.interfaces.magics import unload

    unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the prebuilt JupyterLab extension lies in the package, for
    ``jupyter labextension develop``; an install finds it as shared data instead."""
    return [{"src": "labextension", "dest": "bizml-nb"}]
