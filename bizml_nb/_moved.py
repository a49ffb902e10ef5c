"""Old import paths keep working: ``bizml_nb.registry`` is ``bizml_nb.core.registry``.

Until version 0.2 every module sat directly in ``bizml_nb/``. Code and notebooks that
import ``bizml_nb.ledger``, ``bizml_nb.display`` or ``bizml_nb.monitor.Reference`` go on
working: importing an old name gives the module that now holds it (the same module
object, so ``monkeypatch.setattr("bizml_nb.ledger.X", ...)`` still reaches the code).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

#: old module name (under ``bizml_nb.``) -> the module that now holds its names.
MOVED: dict[str, str] = {
    "_io": "core._io",
    "_records": "core._records",
    "abtest": "impact.abtest",
    "api": "interfaces.api",
    "capacity": "finance.capacity",
    "cli": "interfaces.cli",
    "datasets": "interfaces.datasets",
    "demo": "interfaces.demo",
    "display": "present.cards",
    "errors": "core.errors",
    "evidence": "impact.evidence",
    "experiments": "projects.experiments",
    "export": "interfaces.export",
    "formula": "core.formula",
    "ledger": "core.ledger",
    "ledger_repair": "core.ledger_repair",
    "limits": "core.limits",
    "magics": "interfaces.magics",
    "maturity": "finance.maturity",
    "nbfile": "core.nbfile",
    "nbimport": "interfaces.nbimport",
    "outputs": "core.outputs",
    "plots": "present.charts",
    "provenance": "core.provenance",
    "reference_check": "monitor.reference_check",
    "registry": "core.registry",
    "report": "present.report",
    "report_records": "present.report_records",
    "roi": "finance.roi",
    "roi_card": "present.roi_card",
    "runner": "interfaces.runner",
    "templates": "interfaces.templates",
    "textsafe": "core.textsafe",
    "units": "core.units",
    "views": "present.views",
    "widgets": "present.widgets",
    "widgets.bundle": "present.widgets.bundle",
    "widgets.dashboard": "present.widgets.dashboard",
    "widgets.maturity_quiz": "present.widgets.maturity_quiz",
    "widgets.roi_calculator": "present.widgets.roi_calculator",
}

#: old modules whose names were split between modules: the old name gives a module
#: that finds each name in these, in order (attributes only; patch the new module).
SPLIT: dict[str, tuple[str, ...]] = {
    "schema": ("core.schema", "core.run"),
}

_PREFIX = "bizml_nb."


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``bizml_nb.OLD`` and loads it as the module it moved to."""

    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        old = fullname[len(_PREFIX) :] if fullname.startswith(_PREFIX) else ""
        if old in SPLIT:
            return importlib.machinery.ModuleSpec(fullname, self)
        if old not in MOVED:
            return None
        new = _PREFIX + MOVED[old]
        is_package = hasattr(importlib.import_module(new), "__path__")
        return importlib.machinery.ModuleSpec(fullname, self, is_package=is_package)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        old = spec.name[len(_PREFIX) :]
        if old in SPLIT:
            return _joined(spec.name, tuple(_PREFIX + name for name in SPLIT[old]))
        return importlib.import_module(_PREFIX + MOVED[old])

    def exec_module(self, module: ModuleType) -> None:
        """The module ran when it was imported under its own name."""


def _joined(name: str, sources: tuple[str, ...]) -> ModuleType:
    """A module whose attributes are looked up in ``sources``, in order."""
    modules = [importlib.import_module(source) for source in sources]
    joined = ModuleType(name, f"Moved: its names are now in {', '.join(sources)}.")

    def __getattr__(attr: str) -> object:
        for module in modules:
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {name!r} has no attribute {attr!r}")

    def __dir__() -> list[str]:
        return sorted({n for module in modules for n in dir(module) if not n.startswith("_")})

    joined.__getattr__ = __getattr__  # type: ignore[method-assign]
    joined.__dir__ = __dir__  # type: ignore[method-assign]
    return joined


def install() -> None:
    """Put the finder first, once (before any folder named like an old module)."""
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Alias())
