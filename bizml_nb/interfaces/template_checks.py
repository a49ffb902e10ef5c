"""A template's parameters checked together before anything is written or run.

Each shipped template's first cell checks its parameters taken together (a
benefit's low, most likely and high values in order, a discount rate that is not a
percentage...) by calling ``check_parameters`` of its analysis module in
:mod:`bizml_nb.present.analyses`. ``bizml new`` and ``bizml run`` call the same
function first, with every parameter's value as the run would see it (the cell's
defaults, then the values injected before, then the ones given now), so a
notebook that its run would refuse is never written, and a run that would stop in
its first cell does not start.

A notebook is checked as a template's when it is that template, or when papermill
recorded the template as its input (``bizml new`` does) and it still declares
every parameter the template declares; any other notebook is not checked here.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import InvalidArguments, InvalidValue
from bizml_nb.interfaces.template_catalog import Parameter, TemplateError, templates_dir

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# template name -> its module in bizml_nb.present.analyses
ANALYSES = {
    "roi_analysis": "roi",
    "adoption_maturity": "maturity",
    "scalability_planning": "capacity",
    "silent_failure_monitoring": "monitoring",
}


def template_of(nb: Mapping[str, Any], source: Path) -> str | None:
    """The shipped template ``nb`` (read from ``source``) is, or was made from; else None."""
    if source.stem in ANALYSES and source.resolve().parent == templates_dir().resolve():
        return source.stem
    papermill = nb.get("metadata", {}).get("papermill")
    made_from = papermill.get("input_path") if isinstance(papermill, dict) else None
    if isinstance(made_from, str):
        stem = Path(made_from).stem
        if stem in ANALYSES:
            return stem
    return None


def check_together(
    template: str,
    parameters: Sequence[Parameter],
    values: Mapping[str, object],
    label: str,
    folder: Path | None = None,
) -> None:
    """TemplateError in one line when ``template``'s first cell would refuse ``values``.

    ``parameters`` are those the notebook declares (their defaults fill what
    ``values`` leaves out); a notebook that no longer declares all of the template's
    parameters is not checked (its code is no longer the template's). ``folder`` is
    where the notebook will run: the templates that read files look for relative paths
    there (default: the current folder).
    """
    module_name = ANALYSES.get(template)
    if module_name is None:
        return
    declared = {p.name: p.default for p in parameters}
    from bizml_nb.interfaces.template_catalog import get_template

    if not {p.name for p in get_template(template).parameters} <= declared.keys():
        return
    module = importlib.import_module(f"bizml_nb.present.analyses.{module_name}")
    check = module.check_parameters
    reads_files = "folder" in inspect.signature(check).parameters
    try:
        check({**declared, **values}, **({"folder": folder} if reads_files else {}))
    except (InvalidArguments, InvalidValue) as exc:
        raise TemplateError(f"{label}: {exc}") from None
