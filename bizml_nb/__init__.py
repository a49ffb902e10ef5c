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

_LAZY = {
    "experiment": "bizml_nb.interfaces.api",
    "init": "bizml_nb.interfaces.api",
    "link": "bizml_nb.interfaces.api",
    "log": "bizml_nb.interfaces.api",
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
    "BizmlError": "bizml_nb.core.errors",
    "RegistryError": "bizml_nb.core.errors",
    "LedgerError": "bizml_nb.core.errors",
    "ExperimentError": "bizml_nb.core.errors",
    "BusinessMetric": "bizml_nb.core.registry",
    "Link": "bizml_nb.core.registry",
    "Registry": "bizml_nb.core.registry",
    "Ledger": "bizml_nb.core.ledger",
    "Run": "bizml_nb.core.ledger",
    "Experiment": "bizml_nb.projects.experiments",
    "Project": "bizml_nb.projects.project",
}

__all__ = [
    "BizmlError",
    "BusinessMetric",
    "Experiment",
    "ExperimentError",
    "Ledger",
    "LedgerError",
    "Link",
    "Project",
    "Registry",
    "RegistryError",
    "Run",
    "__version__",
    "audit",
    "baseline",
    "compare",
    "dashboard",
    "deployed",
    "evaluate_roi",
    "experiment",
    "init",
    "link",
    "load_ipython_extension",
    "log",
    "metric",
    "monitor_model",
    "plan_capacity",
    "plot",
    "project",
    "runs",
    "show",
    "tree",
    "unload_ipython_extension",
]

if TYPE_CHECKING:
    from bizml_nb.core.errors import BizmlError, ExperimentError, LedgerError, RegistryError
    from bizml_nb.core.ledger import Ledger, Run
    from bizml_nb.core.registry import BusinessMetric, Link, Registry
    from bizml_nb.interfaces.api import (
        audit,
        baseline,
        compare,
        dashboard,
        deployed,
        evaluate_roi,
        experiment,
        init,
        link,
        log,
        metric,
        monitor_model,
        plan_capacity,
        plot,
        project,
        runs,
        show,
        tree,
    )
    from bizml_nb.projects.experiments import Experiment
    from bizml_nb.projects.project import Project


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bizml_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
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
