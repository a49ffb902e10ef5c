"""The silent_failure_monitoring template's parameters: their names, defaults and checks.

:func:`check_parameters` is what the template's first cell, ``bizml new`` and ``bizml run``
call before anything is written or run, so a command line and a notebook refuse the
same values with the same words. A path parameter takes a CSV file, or Parquet: a
``.parquet``/``.pq`` file or a glob of them (:func:`bizml_nb.monitor.logs.is_parquet`).
"""

from __future__ import annotations

import csv
import functools
import glob
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.core.errors import InvalidArguments, did_you_mean
from bizml_nb.core.limits import bound, out_of_range, yearly_value_problem
from bizml_nb.monitor.logs import is_csv, is_parquet, parquet_columns
from bizml_nb.present.analyses import parts
from bizml_nb.present.analyses.parts import braced as _braces
from bizml_nb.present.analyses.parts import shown

shown_whole = functools.partial(shown, width=None)  # paths and names in full

if TYPE_CHECKING:
    from collections.abc import Mapping

#: the template's parameters, in the order of its parameters cell
PARAMETERS = (
    "reference_path",
    "analysis_path",
    "drift",
    "proba_column",
    "prediction_column",
    "label_column",
    "chunk_size",
    "chunk_by",
    "time_column",
    "tn_value",
    "fp_value",
    "fn_value",
    "tp_value",
    "cases_per_year",
    "currency",
)
#: the generated cases (``bizml_nb.interfaces.datasets.DRIFT_KINDS``, as the template words them)
DRIFT_KINDS = ("covariate", "concept", "none")
#: the generated data's columns for the probability, the predicted class and the label
GENERATED_COLUMNS = {
    "proba_column": "proba",
    "prediction_column": "prediction",
    "label_column": "target",
}
#: rows of the generated reference and analysis periods
GENERATED_ROWS = (50_000, 100_000)
MIN_CHUNK_SIZE = 100  # fewer rows give estimates and drift statistics too noisy to read
MIN_CHUNKS = 2  # one chunk cannot show a change over time
VALUES = ("tn_value", "fp_value", "fn_value", "tp_value")
COLUMNS = ("proba_column", "prediction_column", "label_column")


#: parameters a notebook made before they existed lacks, and the value it runs with
ADDED_LATER: dict[str, Any] = {"chunk_by": "", "time_column": ""}
#: chunks by period of a time column (``chunk_by``); empty: chunks of ``chunk_size`` rows
PERIODS = ("day", "week", "month")


def parameters_from(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The template's parameters from a notebook's namespace (``globals()``), by name."""
    return parts.parameters_from(namespace, PARAMETERS, ADDED_LATER)


def check_parameters(values: Mapping[str, Any], *, folder: Path | None = None) -> None:
    """Refuse parameters that cannot go together, in one message naming each as ``{name}``.

    ``values`` holds every parameter of the template (its defaults with the user's values
    applied; those of :data:`ADDED_LATER` may be left out). Reads nothing but the columns
    of the files it is given (a CSV file's first line, a Parquet file's schema), a
    relative path in ``folder`` (the folder the notebook will run in; default: the
    current one); the data's size is checked when it is loaded.

    >>> check_parameters({**DEFAULTS, "chunk_size": 50})
    Traceback (most recent call last):
    ...
    bizml_nb.core.errors.InvalidArguments: chunk_size must be at least 100 rows (got 50)
    """
    values = {**ADDED_LATER, **values}
    missing = [name for name in PARAMETERS if name not in values]
    if missing:
        raise InvalidArguments(
            f"the template's parameters lack {', '.join('{' + m + '}' for m in missing)}", *missing
        )
    _check_types(values)
    _check_paths(values, folder or Path())
    _check_drift(values)
    _check_columns(values)
    _check_chunk_size(values)
    _check_chunk_by(values)
    _check_values(values)
    currency = values["currency"]
    if not units.is_currency_name(currency):
        raise InvalidArguments(
            f"{{currency}} is {shown_whole(currency)}: {units.CURRENCY_RULE}", "currency"
        )


#: the template's defaults (its parameters cell), for doctests and tests
DEFAULTS: dict[str, Any] = {
    "reference_path": "",
    "analysis_path": "",
    "drift": "covariate",
    "proba_column": "proba",
    "prediction_column": "prediction",
    "label_column": "target",
    "chunk_size": 5000,
    "chunk_by": "",
    "time_column": "",
    "tn_value": 0.0,
    "fp_value": -20.0,
    "fn_value": -100.0,
    "tp_value": 60.0,
    "cases_per_year": 1_000_000.0,
    "currency": "USD",
}


def given_path(value: object) -> str | None:
    """A path parameter as given: None when left empty (generated data)."""
    return value if isinstance(value, str) and value.strip() else None


# --------------------------------------------------------------------------- checks


def _check_types(values: Mapping[str, Any]) -> None:
    for name in ("reference_path", "analysis_path"):
        if values[name] is not None and not isinstance(values[name], str):
            raise InvalidArguments(
                f"{{{name}}} must be the path of a CSV or Parquet file (or a glob of Parquet "
                "files), or empty for generated data "
                f"(got {shown_whole(values[name])})",
                name,
            )
    for name in ("drift", *COLUMNS, "chunk_by", "time_column", "currency"):
        if not isinstance(values[name], str):
            raise InvalidArguments(
                f"{{{name}}} must be text (got {shown_whole(values[name])})", name
            )
    size = values["chunk_size"]
    if isinstance(size, bool) or not isinstance(size, int):
        raise InvalidArguments(
            f"{{chunk_size}} must be a whole number of rows (got {shown_whole(size)})", "chunk_size"
        )
    for name in (*VALUES, "cases_per_year"):
        value = values[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidArguments(
                f"{{{name}}} must be a finite number (got {shown_whole(value)})", name
            )


def _check_paths(values: Mapping[str, Any], folder: Path) -> None:
    reference, analysis = given_path(values["reference_path"]), given_path(values["analysis_path"])
    if (reference is None) != (analysis is None):
        raise InvalidArguments(
            "give both {reference_path} and {analysis_path} (CSV or Parquet files), or neither "
            "to run on generated data",
            "reference_path",
            "analysis_path",
        )
    wanted = {
        "reference_path": [values[c] for c in COLUMNS],  # the reference needs its labels
        "analysis_path": [values["proba_column"], values["prediction_column"]],
    }
    for name, path in (("reference_path", reference), ("analysis_path", analysis)):
        if path is None:
            continue
        header = _columns_of(name, path, folder)
        if header is None:
            continue  # unreadable here: loading the data names the problem
        for column in wanted[name]:
            if column not in header:
                which = next(c for c in COLUMNS if values[c] == column)
                raise InvalidArguments(
                    f"{{{name}}} has no column {shown_whole(column)}{_braces(did_you_mean(column, header))}; "
                    f"name it with {{{which}}} (its columns: {_braces(', '.join(header))})",
                    name,
                    which,
                )
        time_column = values["time_column"]
        if name == "analysis_path" and time_column.strip() and time_column not in header:
            raise InvalidArguments(
                f"{{analysis_path}} has no column {shown_whole(time_column)}"
                f"{_braces(did_you_mean(time_column, header))} for {{time_column}} "
                f"(its columns: {_braces(', '.join(header))})",
                "time_column",
                "analysis_path",
            )


def _columns_of(name: str, path: str, folder: Path) -> list[str] | None:
    """The columns of the file (or first file of the glob) ``path``: None when unreadable."""
    where = "(a relative path is read from the folder the notebook runs in)"
    if is_csv(path):
        if not folder.joinpath(path).is_file():
            raise InvalidArguments(
                f"{{{name}}} is {shown_whole(path)}, which is not a file {where}", name
            )
        return _header(folder.joinpath(path))
    if not is_parquet(path):
        raise InvalidArguments(
            f"{{{name}}} is {shown_whole(path)}: give a CSV file (.csv), or Parquet (a .parquet "
            "or .pq file, or a glob of them)",
            name,
        )
    if "://" in path:
        return None  # read by the engine: loading the data names a problem
    pattern = str(folder.joinpath(path))
    if any(ch in path for ch in "*?["):
        files = sorted(f for f in glob.glob(pattern, recursive=True) if Path(f).is_file())
        if not files:
            raise InvalidArguments(
                f"{{{name}}} is {shown_whole(path)}: no file matches {where}", name
            )
        return parquet_columns(files[0])
    if not Path(pattern).is_file():
        raise InvalidArguments(
            f"{{{name}}} is {shown_whole(path)}, which is not a file {where}", name
        )
    return parquet_columns(pattern)


def _check_drift(values: Mapping[str, Any]) -> None:
    drift = values["drift"]
    if drift not in DRIFT_KINDS:
        raise InvalidArguments(
            f"{{drift}} must be one of {', '.join(DRIFT_KINDS)} "
            f"(got {shown_whole(drift)}){_braces(did_you_mean(drift, DRIFT_KINDS))}",
            "drift",
        )


def _check_columns(values: Mapping[str, Any]) -> None:
    for name in COLUMNS:
        if not values[name].strip():
            raise InvalidArguments(f"{{{name}}} must name a column (it is empty)", name)
    names = [values[c] for c in COLUMNS]
    if len(set(names)) < len(names):
        raise InvalidArguments(
            "{proba_column}, {prediction_column} and {label_column} must name three different "
            f"columns (got {', '.join(shown_whole(n) for n in names)})",
            *COLUMNS,
        )
    if given_path(values["reference_path"]) is None:
        for name, column in GENERATED_COLUMNS.items():
            if values[name] != column:
                raise InvalidArguments(
                    f"the generated data's column for {{{name}}} is {column!r}, not "
                    f"{shown_whole(values[name])}: leave {{{name}}} at {column!r}, or give your data "
                    "with {reference_path} and {analysis_path}",
                    name,
                    "reference_path",
                    "analysis_path",
                )


def _check_chunk_size(values: Mapping[str, Any]) -> None:
    size = values["chunk_size"]
    if size < MIN_CHUNK_SIZE:
        raise InvalidArguments(
            f"{{chunk_size}} must be at least {MIN_CHUNK_SIZE} rows (got {size:,})", "chunk_size"
        )
    rows = GENERATED_ROWS[1]
    if given_path(values["reference_path"]) is None and size > rows // MIN_CHUNKS:
        raise InvalidArguments(
            f"{{chunk_size}} must be at most {rows // MIN_CHUNKS:,} rows with generated data, so "
            f"that its {rows:,} rows make at least {MIN_CHUNKS} chunks to compare (got {size:,})",
            "chunk_size",
        )


def _check_chunk_by(values: Mapping[str, Any]) -> None:
    chunk_by, time_column = values["chunk_by"], values["time_column"]
    if chunk_by and chunk_by not in PERIODS:
        raise InvalidArguments(
            f"{{chunk_by}} must be empty (chunks of {{chunk_size}} rows) or one of "
            f"{', '.join(PERIODS)} (got {shown_whole(chunk_by)})"
            f"{_braces(did_you_mean(chunk_by, PERIODS))}",
            "chunk_by",
            "chunk_size",
        )
    if time_column.strip() and not chunk_by:
        raise InvalidArguments(
            "{time_column} names the column of times for {chunk_by} day, week or month; leave "
            "it empty for chunks of {chunk_size} rows",
            "time_column",
            "chunk_by",
            "chunk_size",
        )


def _check_values(values: Mapping[str, Any]) -> None:
    cases = values["cases_per_year"]
    problem = out_of_range("cases_per_year", cases)
    if problem is not None:
        raise InvalidArguments(
            f"{{cases_per_year}} {problem} (got {bound(cases)})", "cases_per_year"
        )
    for name in VALUES:
        problem = out_of_range(name, values[name])
        if problem is not None:
            raise InvalidArguments(
                f"{{{name}}} is {bound(values[name])}: a value per case must lie between "
                f"-1e18 and 1e18",
                name,
            )
    largest = max(abs(values[name]) for name in VALUES)
    problem = yearly_value_problem(largest, cases, cases="{cases_per_year}")
    if problem is not None:
        worst = next(name for name in VALUES if abs(values[name]) == largest)
        raise InvalidArguments(f"{{{worst}}} {problem}", worst, "cases_per_year")


def _header(path: Path) -> list[str] | None:
    """The column names on the first line of a CSV file (None if it cannot be read)."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            first = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return [name.strip() for name in first] if first else None
