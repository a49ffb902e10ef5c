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

__version__ = "0.1.0"

_LAZY = {
    "experiment": "bizml_nb.api",
    "init": "bizml_nb.api",
    "link": "bizml_nb.api",
    "log": "bizml_nb.api",
    "metric": "bizml_nb.api",
    "project": "bizml_nb.api",
    "runs": "bizml_nb.api",
    "show": "bizml_nb.api",
    "baseline": "bizml_nb.api",
    "compare": "bizml_nb.api",
    "tree": "bizml_nb.api",
    "plot": "bizml_nb.api",
    "audit": "bizml_nb.api",
    "dashboard": "bizml_nb.api",
    "evaluate_roi": "bizml_nb.api",
    "deployed": "bizml_nb.api",
    "plan_capacity": "bizml_nb.api",
    "monitor_model": "bizml_nb.api",
    "BizmlError": "bizml_nb.errors",
    "RegistryError": "bizml_nb.errors",
    "LedgerError": "bizml_nb.errors",
    "ExperimentError": "bizml_nb.errors",
    "BusinessMetric": "bizml_nb.registry",
    "Link": "bizml_nb.registry",
    "Registry": "bizml_nb.registry",
    "Ledger": "bizml_nb.ledger",
    "Run": "bizml_nb.ledger",
    "Experiment": "bizml_nb.experiments",
    "Project": "bizml_nb.projects",
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
    from bizml_nb.api import (
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
    from bizml_nb.errors import BizmlError, ExperimentError, LedgerError, RegistryError
    from bizml_nb.experiments import Experiment
    from bizml_nb.ledger import Ledger, Run
    from bizml_nb.projects import Project
    from bizml_nb.registry import BusinessMetric, Link, Registry


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
    from bizml_nb.magics import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove ``%bizml`` and ``%%bizml`` (``%unload_ext bizml_nb``)."""
    from bizml_nb.magics import unload

    unload(ipython)
