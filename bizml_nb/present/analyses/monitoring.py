"""The silent_failure_monitoring template's analysis: its parameters checked, the check, the decision.

The template's cells call these functions and show what they return: the decision
card first (:class:`~bizml_nb.present.analyses.monitoring_views.DecisionCard`), then
the data, the monitor's card, the chart and the tables that support it::

    parameters = monitoring.parameters_from(globals())
    monitoring.check_parameters(parameters)
    check = monitoring.check(parameters, generate=classifier_drift)
    check.decision

``check_parameters`` is also what ``bizml new`` and ``bizml run`` call before anything is
written or run, so a command line and a notebook refuse the same values with the
same words.
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bizml_nb.core import units
from bizml_nb.core.errors import InvalidArguments, did_you_mean
from bizml_nb.core.limits import bound, out_of_range, yearly_value_problem
from bizml_nb.present.analyses import parts
from bizml_nb.present.analyses.monitoring_views import (
    DataCard,
    DecisionCard,
    MonitorView,
    Note,
    chunks_table,
    labels_table,
)
from bizml_nb.present.analyses.parts import braced as _braces
from bizml_nb.present.analyses.parts import shown

shown_whole = functools.partial(shown, width=None)  # paths and names in full

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import pandas as pd

    from bizml_nb.monitor.result import MonitorResult
    from bizml_nb.present.analyses.parts import Chart, TextTable

TEMPLATE = "silent_failure_monitoring"
#: the template's parameters, in the order of its parameters cell
PARAMETERS = (
    "reference_path",
    "analysis_path",
    "drift",
    "proba_column",
    "prediction_column",
    "label_column",
    "chunk_size",
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


def parameters_from(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The template's parameters from a notebook's namespace (``globals()``), by name."""
    return parts.parameters_from(namespace, PARAMETERS)


def check_parameters(values: Mapping[str, Any], *, folder: Path | None = None) -> None:
    """Refuse parameters that cannot go together, in one message naming each as ``{name}``.

    ``values`` holds every parameter of the template (its defaults with the user's values
    applied). Reads nothing but the first line of the CSV files it is given (their
    columns), a relative path in ``folder`` (the folder the notebook will run in;
    default: the current one); the data's size is checked when it is loaded.

    >>> check_parameters({**DEFAULTS, "chunk_size": 50})
    Traceback (most recent call last):
    ...
    bizml_nb.core.errors.InvalidArguments: chunk_size must be at least 100 rows (got 50)
    """
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


class Generated(Protocol):
    """Generated data with a known truth (``bizml_nb.interfaces.datasets.classifier_drift``)."""

    @property
    def reference(self) -> pd.DataFrame: ...
    @property
    def analysis(self) -> pd.DataFrame: ...
    @property
    def drift_from(self) -> int: ...
    @property
    def shifted(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class MonitoringCheck:
    """The template's check: the decision card it leads with, and what supports it.

    :attr:`decision` is the card (with the notebook's one monitor record); :attr:`data`,
    :attr:`monitor`, :meth:`chart`, :meth:`chunks` and :meth:`labels` are the analysis
    below it, each shown by a cell of its own.
    """

    decision: DecisionCard
    data: DataCard
    result: MonitorResult  # the label-free check
    truth: MonitorResult | None  # the same check with the labels, when they are known

    @property
    def monitor(self) -> MonitorView:
        """The monitor's card (drift by method, estimates of the last chunk, value)."""
        return MonitorView(self.result)

    def chart(self) -> Chart:
        """Estimates per chunk with their band, the value per year, and drift, as a chart."""
        from bizml_nb.present.analyses.parts import Chart

        return Chart.of(
            self.result.plot(),
            "Chart, chunk by chunk: estimated accuracy, F1 and ROC AUC with their band "
            "(+-3 standard errors) and alert range; the value per year with its 90% range "
            "against the reference; each column's drift statistic over its threshold "
            "(above 1: an alert), the columns that alerted in colour",
        )

    def chunks(self) -> TextTable:
        """Each chunk: the columns with drift alerts, the estimated accuracy and value."""
        return chunks_table(self.result)

    def labels(self) -> TextTable | Note:
        """The estimates beside what the labels showed, chunk by chunk (a note without labels)."""
        if self.truth is None:
            return Note(
                "Labels",
                "none for the analysis period: the realised performance is not known yet",
            )
        return labels_table(self.truth, generated=self.decision.generated)


def check(
    values: Mapping[str, Any], *, generate: Callable[..., Generated] | None = None
) -> MonitoringCheck:
    """Check the analysis period against the reference and decide, from the template's values.

    With no files given, ``generate(drift=...)`` makes the data (the template passes
    ``bizml_nb.interfaces.datasets.classifier_drift``); its labels are held back from the
    check, as in production, and used only to show what the check could not see.
    """
    import pandas as pd

    from bizml_nb.monitor import Reference
    from bizml_nb.monitor.decision import decide

    check_parameters(values)
    label, chunk_size = values["label_column"], values["chunk_size"]
    reference_path, analysis_path = (
        given_path(values["reference_path"]),
        given_path(values["analysis_path"]),
    )
    if reference_path is None or analysis_path is None:  # neither: checked above
        if generate is None:
            raise InvalidArguments(
                "no data: give {reference_path} and {analysis_path}",
                "reference_path",
                "analysis_path",
            )
        case = generate(drift=values["drift"])
        reference_data, analysis_data = case.reference, case.analysis
        data = generated_words(values["drift"], case.shifted, case.drift_from)
        checked = analysis_data.drop(columns=[label])  # labels held back, as in production
    else:
        reference_data, analysis_data = read_csv(reference_path), read_csv(analysis_path)
        data = f"the files {Path(reference_path).name} (reference) and {Path(analysis_path).name}"
        checked = analysis_data
    generated = reference_path is None
    rows = len(analysis_data)
    if rows < MIN_CHUNKS * MIN_CHUNK_SIZE:
        raise InvalidArguments(
            f"the analysis period has {rows:,} rows; it needs at least "
            f"{MIN_CHUNKS * MIN_CHUNK_SIZE:,} to make {MIN_CHUNKS} chunks of "
            f"{MIN_CHUNK_SIZE} rows or more to compare: give a longer {{analysis_path}}",
            "analysis_path",
        )
    if chunk_size > rows // MIN_CHUNKS:
        raise InvalidArguments(
            f"{{chunk_size}} must be at most {rows // MIN_CHUNKS:,} rows, so that the "
            f"{rows:,} rows of the analysis period make at least {MIN_CHUNKS} chunks to compare "
            f"(got {chunk_size:,})",
            "chunk_size",
        )
    roles = {values[c] for c in COLUMNS}
    features = tuple(
        str(c)
        for c in reference_data.columns
        if c not in roles and not pd.api.types.is_datetime64_any_dtype(reference_data[c])
    )
    labels_used = (
        not generated
        and label in analysis_data.columns
        and bool(analysis_data[label].notna().any())
    )
    reference = Reference.fit(
        reference_data,
        features=list(features),
        proba=values["proba_column"],
        target=label,
        prediction=values["prediction_column"],
    )
    pricing = {
        "value_matrix": [
            [values["tn_value"], values["fp_value"]],
            [values["fn_value"], values["tp_value"]],
        ],
        "cases_per_year": values["cases_per_year"],
    }
    currency = values["currency"]
    result = reference.check(checked, chunk_size=chunk_size, value=pricing, currency=currency)
    truth: MonitorResult | None = None
    if generated:
        truth = reference.check(
            analysis_data, chunk_size=chunk_size, value=pricing, currency=currency
        )
    elif labels_used:
        truth = result
    if generated:
        labels = "held back from the check, as they would be in production; shown only at the end"
    else:
        labels = "given, and used" if labels_used else "none (the check is label-free)"
    parameters = {name: values[name] for name in PARAMETERS}
    parameters.update(reference_path=reference_path, analysis_path=analysis_path)
    card = DecisionCard(
        decision=decide(result, truth, labels_used=labels_used),
        data=data,
        generated=generated,
        drift=values["drift"] if generated else None,
        reference_rows=reference.rows,
        chunk_size=chunk_size,
        parameters=parameters,
    )
    return MonitoringCheck(
        decision=card,
        data=DataCard(data, len(reference_data), rows, features, labels),
        result=result,
        truth=truth,
    )


def generated_words(drift: str, shifted: tuple[str, ...], start: int) -> str:
    """What the generated data is, in plain words.

    >>> generated_words("none", (), 50_000)
    'generated data (an illustration) with no drift: the analysis period is drawn like the reference'
    """
    if drift == "covariate" and shifted:
        return (
            f"generated data (an illustration): inputs {' and '.join(shifted)} shift from row "
            f"{start:,} of the analysis period on (covariate drift)"
        )
    if drift == "concept":
        return (
            f"generated data (an illustration): from row {start:,} of the analysis period on, "
            "the same inputs lead to other outcomes (concept drift)"
        )
    return (
        "generated data (an illustration) with no drift: the analysis period is drawn like "
        "the reference"
    )


def read_csv(path: str) -> pd.DataFrame:
    """A CSV file, with text columns that hold dates read as dates."""
    import contextlib

    import pandas as pd

    frame = pd.read_csv(path)
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            continue
        with contextlib.suppress(ValueError, TypeError):
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


# --------------------------------------------------------------------------- checks


def _check_types(values: Mapping[str, Any]) -> None:
    for name in ("reference_path", "analysis_path"):
        if values[name] is not None and not isinstance(values[name], str):
            raise InvalidArguments(
                f"{{{name}}} must be the path of a CSV file, or empty for generated data "
                f"(got {shown_whole(values[name])})",
                name,
            )
    for name in ("drift", *COLUMNS, "currency"):
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
            "give both {reference_path} and {analysis_path} (CSV files), or neither to run on "
            "generated data",
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
        if not folder.joinpath(path).is_file():
            raise InvalidArguments(
                f"{{{name}}} is {shown_whole(path)}, which is not a file (a relative path is read "
                f"from the folder the notebook runs in)",
                name,
            )
        header = _header(folder.joinpath(path))
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
