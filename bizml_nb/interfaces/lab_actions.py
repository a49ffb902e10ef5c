"""What JupyterLab's panel and launcher do: list templates, make a notebook, build the report.

Each is what the ``bizml`` command does (``bizml templates``, ``bizml new``,
``bizml report``), over the server's root folder: paths relative to it, kept inside
it (:mod:`bizml_nb.interfaces.lab_paths`), and an existing file refused
(:class:`~bizml_nb.interfaces.lab_paths.Conflict`). Each returns a JSON-ready dict.
"""

from __future__ import annotations

import glob
import math
from pathlib import Path
from typing import Any

from bizml_nb.interfaces.lab_paths import (
    Conflict,
    Forbidden,
    LabError,
    NotFound,
    find,
    inside,
    kept_inside,
    relative,
)

#: where the report is written, beside bizml.toml (as ``bizml report`` writes it)
REPORT_NAME = "bizml-report.html"


def templates_view() -> dict[str, Any]:
    """The shipped templates, each with its parameters as its ``parameters`` cell declares them."""
    from bizml_nb.interfaces.template_catalog import list_templates

    return {
        "templates": [
            {
                "name": template.name,
                "title": template.title,
                "parameters": [
                    {
                        "name": p.name,
                        "type": p.type,
                        "kinds": list(p.kinds),
                        "default": _plain(p.default),
                        "comment": p.comment,
                    }
                    for p in template.parameters
                ],
            }
            for template in list_templates()
        ]
    }


def _plain(value: Any) -> Any:
    """A default as JSON holds it: its literal text when JSON has no such value (``inf``)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return repr(value)


def new_notebook(
    root: Path, template: Any, folder: Any, name: Any, parameters: Any = None
) -> dict[str, Any]:
    """Write ``folder/name`` from a template with ``parameters``, as ``bizml new`` does.

    ``name`` is a file name (``.ipynb`` is added unless it ends so: ``roi v1.5`` is
    ``roi v1.5.ipynb``); an existing
    file is refused (Conflict) and nothing is written.
    """
    from bizml_nb.interfaces.templates import get_template, new

    for key, value in (("template", template), ("folder", folder), ("name", name)):
        if not isinstance(value, str):
            raise LabError(f"{key} must be a text (got {type(value).__name__})")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise LabError("parameters must be an object of parameter names and values")
    name = name.strip()
    if not name or "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        raise LabError(f"name {name!r} must be a file name, without a folder")
    if not name.lower().endswith(".ipynb"):
        name += ".ipynb"
    where = inside(root, folder, "folder")
    if not where.is_dir():
        raise NotFound(f"no folder {folder!r} in the server's root folder")
    dest = where / name
    if dest.exists() or dest.is_symlink():
        raise Conflict(
            f"{relative(root, dest)} already exists; nothing was written. Choose another name"
        )
    chosen = get_template(template)
    values = chosen.convert(parameters)
    new(chosen.name, dest, values)
    return {
        "path": relative(root, dest),
        "template": chosen.name,
        "parameters": {k: _plain(v) for k, v in values.items()},
    }


# --------------------------------------------------------------------------- the report


def report(root: Path, path: Any, *, force: Any = False) -> dict[str, Any]:
    """Write the project's HTML report, as ``bizml report`` does; return its path.

    The report reads the project's executed notebooks (``ROOT/**/*.ipynb``), only
    those inside the server's root. An existing report is refused (Conflict) unless
    ``force``.
    """
    from bizml_nb.present.report import build_report

    if not isinstance(force, bool):
        raise LabError(f"force must be true or false (not {force!r})")
    place = find(root, path)
    target = place.folder / REPORT_NAME
    if not force and (target.exists() or target.is_symlink()):
        raise Conflict(
            f"{relative(root, target)} already exists; nothing was written. Send "
            '"force": true to replace it'
        )
    if target.is_symlink():
        # replacing it would write wherever the link points: the route writes plain files
        raise Forbidden(
            f"{relative(root, target)} is a symbolic link; nothing was written. Remove the "
            "link (or build the report with `bizml report` in a terminal)"
        )
    kept_inside(root, target, "report")
    pattern = str(Path(glob.escape(str(place.folder))) / "**" / "*.ipynb")
    notebooks = [
        glob.escape(found)
        for found in sorted(glob.glob(pattern, recursive=True))
        if Path(found).resolve().is_relative_to(root)
    ]
    project = place.open()
    try:
        written = build_report(project, target, notebooks=notebooks, force=force)
    finally:
        project.ledger.close()
    return {"path": relative(root, written.resolve()), "root": relative(root, place.folder)}
