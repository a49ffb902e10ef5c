"""The package surface: public names stay what they are, whatever gets imported."""

from __future__ import annotations

import importlib
import pkgutil

import bizml_nb
import bizml_nb.api


def test_public_functions_are_not_shadowed_by_submodules() -> None:
    """Importing every submodule leaves bizml_nb.experiment, .project, ... as the API functions."""
    for module in pkgutil.walk_packages(bizml_nb.__path__, "bizml_nb."):
        importlib.import_module(module.name)
    for name in bizml_nb.api.__all__:
        assert getattr(bizml_nb, name) is getattr(bizml_nb.api, name), name


def test_every_public_name_resolves() -> None:
    """Each name in bizml_nb.__all__ can be read from the package."""
    for name in bizml_nb.__all__:
        assert getattr(bizml_nb, name) is not None, name
