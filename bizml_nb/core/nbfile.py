"""A notebook as data: its structure checked against the notebook format, and what it displayed.

``bizml run`` and :func:`bizml_nb.interfaces.templates.read_record` read a notebook as JSON and
check it with nbformat's JSON schema for format 4 (the minor version the notebook
declares) before they look inside. A damaged notebook is refused with one line that
names the place (``cell 3, outputs[0].name``) and what is wrong there, instead of a
``TypeError`` from deep inside papermill. Two things pass, as they pass in Jupyter
and papermill: keys the format does not define (extensions keep their settings in
metadata) and, in format 4.5, cells without an ``id`` (nbformat gives them one).

>>> notebook_problem({"cells": [1], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
'cell 1 is 1; it must be a JSON object'

:func:`displayed` finds the decision summary and the record a checked notebook shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bizml_nb.core.schema import join, show

SUMMARY_TAG = "decision-summary"
RECORD_PREFIX = "application/vnd.bizml."
RECORD_SUFFIX = "+json"
STDOUT = ("stream", "stdout")
FORMAT = 4  # the notebook format papermill runs and bizml reads
_KINDS = {"cells": "cell_type", "outputs": "output_type"}  # what tells the kinds apart
_TYPES = {
    "object": "a JSON object",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


@dataclass(frozen=True)
class Displayed:
    """What a notebook displayed: its decision summary, and its record with where it is."""

    summary: str  # the text the decision-summary cell printed ("" if none)
    record: Any  # the record as displayed, any JSON value (None if the notebook showed none)
    cell: int = -1  # the record's cell, from 0
    mime: str = ""  # the record's MIME type


def tags(cell: Mapping[str, Any]) -> list[str]:
    """A cell's tags (none if its metadata holds no list of them)."""
    metadata = cell.get("metadata")
    found = metadata.get("tags", []) if isinstance(metadata, Mapping) else []
    return list(found) if isinstance(found, list) else []


def displayed(nb: Mapping[str, Any], mime: str | None = None) -> Displayed:
    """The decision summary a notebook printed and its record (``application/vnd.bizml.*+json``).

    The summary is what the cell tagged ``decision-summary`` printed, or else the
    ``text/plain`` of the card it displayed with its record. The record is
    that cell's record if it displayed one, else the last record in the notebook;
    ``mime`` picks one type. ``nb`` must have passed :func:`notebook_problem`.
    """
    summary = card = ""
    last = in_summary = None
    for index, cell in enumerate(nb.get("cells", [])):
        is_summary = SUMMARY_TAG in tags(cell)
        for output in cell.get("outputs", []) or []:
            if is_summary and (output.get("output_type"), output.get("name")) == STDOUT:
                text = output.get("text", "")
                summary += "".join(text) if isinstance(text, list) else str(text)
            data = output.get("data") or {}
            if is_summary and any(_is_record(key) for key in data):
                text = data.get("text/plain", "")
                card += "".join(text) if isinstance(text, list) else str(text)
            for key, value in data.items():
                if key == mime if mime else _is_record(key):
                    last = (index, key, value)
                    in_summary = last if is_summary else in_summary
    found = in_summary or last
    summary = (summary or card).rstrip("\n")
    if found is None:
        return Displayed(summary, None)
    index, key, value = found
    return Displayed(summary, value, index, key)


def _is_record(mime: str) -> bool:
    return mime.startswith(RECORD_PREFIX) and mime.endswith(RECORD_SUFFIX)


def notebook_problem(nb: Any) -> str | None:
    """What is wrong with the structure of ``nb`` (a notebook as parsed JSON), or None."""
    if not isinstance(nb, Mapping):
        return f"it is {show(nb)}, not a JSON object with cells"
    major, minor = nb.get("nbformat"), nb.get("nbformat_minor")
    if major is None:
        return f'it has no "nbformat" version (a notebook holds "nbformat": {FORMAT})'
    if isinstance(major, bool) or major != FORMAT:
        return (
            f'its "nbformat" is {show(major)}; bizml reads notebook format {FORMAT} '
            "(open it in Jupyter and save it to convert it)"
        )
    if isinstance(minor, bool) or not isinstance(minor, int) or minor < 0:
        return f'its "nbformat_minor" is {show(minor)}; it must be a whole number, e.g. 5'
    from nbformat.validator import get_validator

    validator = get_validator(  # type: ignore[no-untyped-call]
        FORMAT, minor, relax_add_props=True, name="jsonschema"
    )
    errors = list(validator.iter_errors(_with_ids(nb) if minor >= 5 else nb))
    if not errors:
        return None
    return _explain(min(errors, key=_order))


def _with_ids(nb: Mapping[str, Any]) -> dict[str, Any]:
    """``nb`` with an id for every cell that has none, for the check only."""
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return dict(nb)
    return {
        **nb,
        "cells": [
            {**cell, "id": "checked"} if isinstance(cell, Mapping) and "id" not in cell else cell
            for cell in cells
        ],
    }


def _order(error: Any) -> tuple[tuple[int, int, str], ...]:
    """Errors in the notebook's order: the first cell with a problem first."""
    return tuple(
        (0, part, "") if isinstance(part, int) else (1, 0, str(part))
        for part in error.absolute_path
    )


def _where(path: list[str | int]) -> str:
    """``cell 3, outputs[0].name`` for ``cells[2].outputs[0].name``; the notebook for []."""
    if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
        head, path = f"cell {path[1] + 1}", path[2:]
    else:
        head = ""
    rest = ""
    for part in path:
        rest = join(rest, part)
    return ", ".join(part for part in (head, rest) if part) or "the notebook"


def _explain(error: Any) -> str:
    """One line for a schema error: where it is and what the place must hold."""
    path = list(error.absolute_path)
    where, value, rule, wanted = (
        _where(path),
        error.instance,
        error.validator,
        error.validator_value,
    )
    if rule == "oneOf" and error.context:
        return _explain_kind(error, path, where)
    if rule == "type":
        kinds = [wanted] if isinstance(wanted, str) else list(wanted)
        return (
            f"{where} is {show(value)}; it must be {' or '.join(_TYPES.get(k, k) for k in kinds)}"
        )
    if rule == "required" and isinstance(value, Mapping):
        missing = next((key for key in wanted if key not in value), "?")
        return f"{where} has no {missing!r}, which it must have"
    if rule in ("enum", "const"):
        allowed = wanted if rule == "enum" else [wanted]
        return f"{where} is {show(value)}; it must be one of {', '.join(map(repr, allowed))}"
    return f"{where} is {show(value)}, which the notebook format does not allow ({rule} {wanted!r})"


def _explain_kind(error: Any, path: list[str | int], where: str) -> str:
    """A value that fits none of its alternatives: explain it by the one it is meant to be.

    A cell or an output is meant to be the kind its ``cell_type`` or ``output_type``
    names; any other value, the alternative of its JSON type (text or a list of lines).
    """
    value = error.instance
    key = _KINDS.get(str(path[-2])) if len(path) >= 2 and isinstance(path[-1], int) else None
    branches: dict[int, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    kinds: list[str] = []  # the JSON types the alternatives take
    allowed: list[Any] = []  # the kinds of cell or output
    fitting = []
    for errors in branches.values():
        wrong_type = [e for e in errors if e.validator == "type" and not e.relative_path]
        named = [e for e in errors if key is not None and list(e.relative_path) == [key]]
        for e in wrong_type:
            kinds += (
                [e.validator_value] if isinstance(e.validator_value, str) else e.validator_value
            )
        for e in named:
            allowed += e.validator_value if e.validator == "enum" else [e.validator_value]
        if not wrong_type and not named:
            fitting.append(errors)
    if len(fitting) == 1:
        return _explain(min(fitting[0], key=_order))
    if key is not None and isinstance(value, Mapping):
        if key not in value:
            return f"{where} has no {key!r}, which it must have"
        shown = ", ".join(map(repr, allowed))
        return f"{where} has the {key} {show(value[key])}; it must be one of {shown}"
    if not fitting and kinds:
        unique = list(dict.fromkeys(_TYPES.get(k, k) for k in kinds))
        return f"{where} is {show(value)}; it must be {' or '.join(unique)}"
    return _explain(min(error.context, key=_order))
