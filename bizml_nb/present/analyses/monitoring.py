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

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bizml_nb.core.errors import InvalidArguments
from bizml_nb.monitor.logs import is_parquet, parquet_rows, read_csv
from bizml_nb.present.analyses.monitoring_params import (
    ADDED_LATER,
    COLUMNS,
    DEFAULTS,
    DRIFT_KINDS,
    GENERATED_COLUMNS,
    GENERATED_ROWS,
    MIN_CHUNK_SIZE,
    MIN_CHUNKS,
    PARAMETERS,
    PERIODS,
    VALUES,
    check_parameters,
    given_path,
    parameters_from,
    shown_whole,
)
from bizml_nb.present.analyses.monitoring_views import (
    DataCard,
    DecisionCard,
    MonitorView,
    Note,
    chunks_table,
    labels_table,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import pandas as pd

    from bizml_nb.monitor.result import MonitorResult
    from bizml_nb.present.analyses.parts import Chart, TextTable

TEMPLATE = "silent_failure_monitoring"

__all__ = [
    "ADDED_LATER",
    "COLUMNS",
    "DEFAULTS",
    "DRIFT_KINDS",
    "GENERATED_COLUMNS",
    "GENERATED_ROWS",
    "MIN_CHUNKS",
    "MIN_CHUNK_SIZE",
    "PARAMETERS",
    "PERIODS",
    "TEMPLATE",
    "VALUES",
    "Generated",
    "MonitoringCheck",
    "check",
    "check_parameters",
    "generated_words",
    "given_path",
    "parameters_from",
    "read_csv",
    "shown_whole",
]


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
    from bizml_nb.monitor.logs import data_of

    check_parameters(values)
    label, chunk_size = values["label_column"], values["chunk_size"]
    reference_path, analysis_path = (
        given_path(values["reference_path"]),
        given_path(values["analysis_path"]),
    )
    rows: int | None
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
        checked: Any = analysis_data.drop(columns=[label])  # labels held back, as in production
        rows = len(analysis_data)
    else:
        reference_data = data_of(reference_path, engine="pandas", what="the reference data")
        data = f"the files {Path(reference_path).name} (reference) and {Path(analysis_path).name}"
        if is_parquet(analysis_path):  # checked by the engine, out of core
            checked, analysis_data, rows = analysis_path, None, parquet_rows(analysis_path)
        else:
            analysis_data = checked = read_csv(analysis_path)
            rows = len(analysis_data)
    generated = reference_path is None
    chunking = _chunking(values, rows)
    roles = {values[c] for c in COLUMNS}
    features = tuple(
        str(c)
        for c in reference_data.columns
        if c not in roles and not pd.api.types.is_datetime64_any_dtype(reference_data[c])
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
    result = reference.check(checked, value=pricing, currency=currency, **chunking)
    labels_used = not generated and bool(result.labelled.sum() > 0)
    truth: MonitorResult | None = None
    if generated:
        truth = reference.check(analysis_data, value=pricing, currency=currency, **chunking)
    elif labels_used:
        truth = result
    if generated:
        labels = "held back from the check, as they would be in production; shown only at the end"
    else:
        labels = "given, and used" if labels_used else "none (the check is label-free)"
    parameters = {
        name: values[name]
        for name in PARAMETERS
        if name not in ADDED_LATER or values[name] != ADDED_LATER[name]  # the record of 0.2
    }
    parameters.update(reference_path=reference_path, analysis_path=analysis_path)
    card = DecisionCard(
        decision=decide(result, truth, labels_used=labels_used),
        data=data,
        generated=generated,
        drift=values["drift"] if generated else None,
        reference_rows=reference.rows,
        chunk_size=chunk_size if "chunk_size" in chunking else int(max(result.rows)),
        parameters=parameters,
    )
    checked_rows = int(sum(result.rows))
    return MonitoringCheck(
        decision=card,
        data=DataCard(data, len(reference_data), checked_rows, features, labels),
        result=result,
        truth=truth,
    )


def _chunking(values: Mapping[str, Any], rows: int | None) -> dict[str, Any]:
    """The check's chunks from the template's values, refused when too few rows are known
    to make :data:`MIN_CHUNKS` chunks (``rows`` None: the engine counts them)."""
    if rows is not None and rows < MIN_CHUNKS * MIN_CHUNK_SIZE:
        raise InvalidArguments(
            f"the analysis period has {rows:,} rows; it needs at least "
            f"{MIN_CHUNKS * MIN_CHUNK_SIZE:,} to make {MIN_CHUNKS} chunks of "
            f"{MIN_CHUNK_SIZE} rows or more to compare: give a longer {{analysis_path}}",
            "analysis_path",
        )
    if values["chunk_by"]:
        return {"chunk_by": values["chunk_by"], "by": values["time_column"].strip() or None}
    chunk_size = values["chunk_size"]
    if rows is not None and chunk_size > rows // MIN_CHUNKS:
        raise InvalidArguments(
            f"{{chunk_size}} must be at most {rows // MIN_CHUNKS:,} rows, so that the "
            f"{rows:,} rows of the analysis period make at least {MIN_CHUNKS} chunks to compare "
            f"(got {chunk_size:,})",
            "chunk_size",
        )
    return {"chunk_size": chunk_size}


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
