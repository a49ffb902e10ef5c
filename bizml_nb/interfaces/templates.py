"""Template notebooks: list them with their parameters, instantiate one, run a notebook.

    bizml templates
    bizml new roi_analysis my_roi.ipynb -p annual_benefit_low 1e6 -p annual_benefit_mode 2e6 \
        -p annual_benefit_high 3e6 -p years 3
    bizml run my_roi.ipynb --out my_roi.done.ipynb

A template is a notebook in ``templates/`` whose cell tagged ``parameters`` holds
one typed assignment per parameter with a comment (papermill's convention, which
``papermill --help-notebook`` lists)::

    eng_months: float = 8.0  # engineering person-months to build and deploy
    deploy_days: Optional[float] = None  # days to go live; None: the survey prior

(``Optional[float]``, not ``float | None``: papermill skips the second.) The cell
is parsed with :mod:`ast`; values given as text (``-p NAME VALUE``) are converted
to the declared type, ``None`` accepted where the type allows it, and checked
together as the template's first cell checks them
(:mod:`bizml_nb.interfaces.template_checks`). Right after its parameters, each
template shows its decision as a card, in a cell tagged ``decision-summary``; the
card carries a JSON record (``application/vnd.bizml.roi+json``,
``...maturity+json``...), which :func:`read_record` reads back from an executed
notebook, and its text is the summary ``bizml run`` prints.

Finding templates and reading, parsing and converting parameters is
:mod:`bizml_nb.interfaces.template_catalog` (its names are re-exported here), which
:mod:`bizml_nb.interfaces.runner` (``bizml run``, behind :func:`run`) shares.
papermill and nbformat are imported only inside the functions that execute or
write notebooks: listing templates reads the JSON directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core._io import atomic_write_text
from bizml_nb.core.nbfile import RECORD_PREFIX, displayed
from bizml_nb.core.notebook_records import check_record
from bizml_nb.core.outputs import check_target, make_folder
from bizml_nb.core.schema import RecordError
from bizml_nb.interfaces.runner import run_notebook
from bizml_nb.interfaces.template_catalog import (
    INJECTED_TAG,
    KINDS,
    PARAMETERS_TAG,
    Execution,
    Parameter,
    Template,
    TemplateError,
    check_notebook,
    convert,
    get_template,
    list_templates,
    not_a_template,
    parameters_of,
    parse_parameters,
    quiet_papermill,
    read_notebook,
    templates_dir,
)
from bizml_nb.interfaces.template_checks import check_together

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "INJECTED_TAG",
    "KINDS",
    "PARAMETERS_TAG",
    "Execution",
    "Parameter",
    "Template",
    "TemplateError",
    "convert",
    "get_template",
    "list_templates",
    "new",
    "parameters_of",
    "parse_parameters",
    "read_record",
    "run",
    "templates_dir",
]


def new(
    template: str,
    dest: Path | str,
    parameters: Mapping[str, object] | None = None,
    *,
    force: bool = False,
) -> Path:
    """Write ``dest``: the template with ``parameters`` injected (papermill's prepare step).

    Nothing runs. Refuses an unknown template or parameter, a value of the wrong
    type, values the template's first cell would refuse taken together
    (:mod:`bizml_nb.interfaces.template_checks`), and an existing ``dest`` unless ``force``.
    """
    chosen = get_template(template)
    values = chosen.convert(parameters or {})
    check_together(chosen.name, chosen.parameters, values, f"template {chosen.name}")
    dest = Path(dest)
    if dest.suffix != ".ipynb":
        raise TemplateError(f"the new notebook's name must end in .ipynb (got {str(dest)!r})")
    not_a_template(dest, "pick a name elsewhere")
    check_target(dest, force=force)
    make_folder(dest)
    import nbformat
    import papermill

    with quiet_papermill():
        nb = papermill.execute_notebook(
            chosen.path, None, parameters=values, prepare_only=True, progress_bar=False
        )
    nb.metadata.papermill["output_path"] = str(dest)
    atomic_write_text(dest, nbformat.writes(nb), force=force)  # type: ignore[no-untyped-call]
    return dest


def run(
    notebook: Path | str,
    parameters: Mapping[str, object] | None = None,
    out: Path | str | None = None,
    *,
    force: bool = False,
    progress: bool = True,
    cwd: Path | str | None = None,
    timeout: float | None = None,
) -> Execution:
    """Execute ``notebook`` with papermill and write it to ``out`` (default: in place).

    ``notebook`` is a path, or a template's name (then ``out`` is required: a
    template is never changed). An existing ``out`` is refused before anything
    runs, unless ``force``. ``parameters`` are checked and converted like
    :func:`new`'s and merged with those injected before. Only a run whose cells
    all succeed writes the target. A cell that raises stops the run with a message
    naming the cell (its number in the notebook as given, its ``In [n]`` and first
    line) and the error; the target is left as it was and the executed part, with
    papermill's error banners, is written beside it as ``NAME.failed.ipynb``
    (numbered ``NAME.failed-2.ipynb``... rather than replacing an earlier one).
    ``cwd`` is the kernel's working folder (default: this process's, never changed).
    The notebook is first checked against the notebook format (TemplateError naming
    the place of a problem); one whose metadata names no kernel (no ``kernelspec``)
    runs with the ``python3`` kernel, unless its ``language_info`` names another
    language.
    """
    return run_notebook(
        notebook, parameters, out, force=force, progress=progress, cwd=cwd, timeout=timeout
    )


def read_record(
    notebook: Path | str | Mapping[str, Any], mime: str | None = None
) -> dict[str, Any]:
    """The JSON record an executed notebook displayed (``application/vnd.bizml.*+json``).

    The decision-summary cell's record is preferred; otherwise the last record
    in the notebook. ``mime`` picks one type, e.g. ``application/vnd.bizml.roi+json``.
    The notebook must fit the notebook format, and the record the rules every reader
    of records applies (:func:`bizml_nb.core.notebook_records.check_record`: finite numbers, short
    integers, sizes); else TemplateError names the place, or the cell and the field.
    """
    nb: Mapping[str, Any] = notebook if not isinstance(notebook, str | Path) else {}
    label = "the notebook"
    if isinstance(notebook, str | Path):
        label, nb = str(notebook), read_notebook(Path(notebook))
    check_notebook(nb, label)
    found = displayed(nb, mime)
    if found.record is None:
        what = mime or f"{RECORD_PREFIX}*+json"
        raise TemplateError(f"the notebook displayed no {what} record (was it executed?)")
    try:
        check_record(found.record, found.mime, f"{label}, cell {found.cell + 1}")
    except RecordError as exc:
        raise TemplateError(str(exc)) from None
    record: dict[str, Any] = found.record
    return record
