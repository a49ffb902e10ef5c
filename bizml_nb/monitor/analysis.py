"""Checking data against a reference, chunk by chunk: :meth:`Reference.check`'s work.

Per chunk: the expected confusion matrix and ROC AUC of the calibrated
probabilities (CBPE), their sampling errors and alerts; the realised metrics where
labels are; drift per column; and, when priced, the value.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

from bizml_nb.core.errors import BizmlWarning
from bizml_nb.monitor import inputs
from bizml_nb.monitor.cbpe import (
    confusion_counts,
    expected_counts,
    performance,
    rates,
    realised_auc,
    sampling_errors,
)
from bizml_nb.monitor.chunks import chunking_of
from bizml_nb.monitor.constants import (
    DEFAULT_METHODS,
    METRICS,
    MIN_CHUNK_ROWS,
    MonitorError,
    Thresholds,
)
from bizml_nb.monitor.drift import measure_drift
from bizml_nb.monitor.pricing import pricing_of, value_of
from bizml_nb.monitor.result import MonitorResult

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from bizml_nb.monitor.pricing import ValueSource
    from bizml_nb.monitor.reference import Reference


def check(
    reference: Reference,
    df: pd.DataFrame,
    *,
    chunk_size: int | None = None,
    chunks: int | None = None,
    by: str | None = None,
    freq: str | None = None,
    methods: Sequence[str] = DEFAULT_METHODS,
    thresholds: Thresholds | Mapping[str, float] = "std",
    value: ValueSource = None,
    kpi: str | None = None,
    currency: str | None = None,
) -> MonitorResult:
    """Drift, estimated performance and value of ``df`` (see :meth:`Reference.check`)."""
    import numpy as np

    frame = inputs.frame(df, "the data to check")
    methods = inputs.methods(methods)
    limits = inputs.thresholds(thresholds)
    pricing = pricing_of(value, kpi, currency)
    needed = [*reference.features, reference.proba] + (
        [reference.prediction] if reference.prediction else []
    )
    inputs.require_columns(frame, needed + ([by] if by else []), "the data to check")
    if len(frame) == 0:
        raise MonitorError("the data to check has no rows")
    chunking = chunking_of(frame, chunk_size, chunks, by, freq)
    small = [k for k, s in zip(chunking.keys, chunking.sizes, strict=True) if s < MIN_CHUNK_ROWS]
    notes: list[str] = []
    if small:
        message = (
            f"{len(small)} of {chunking.count} chunks have fewer than {MIN_CHUNK_ROWS} rows "
            f"(first: {small[0]}); their statistics are too noisy to act on"
        )
        warnings.warn(message, BizmlWarning, stacklevel=3)
        notes.append(message)

    raw = inputs.probabilities(frame[reference.proba], reference.proba)
    y_hat = chunking.take(inputs.predictions(frame, reference.prediction, raw, reference.threshold))
    scores = chunking.take(raw)

    # Estimated performance: the expected confusion matrix and ROC curve per chunk.
    k = chunking.count
    expected, var_by, auc = expected_counts(reference.calibration, scores, y_hat, chunking)
    estimates = rates(expected)
    estimates["roc_auc"] = auc
    errors = sampling_errors(expected, var_by, auc)

    # Realised performance where labels are present.
    labelled = np.zeros(k, dtype=np.int64)
    realised_counts = np.full((k, 4), math.nan)
    realised = {m: np.full(k, math.nan) for m in METRICS}
    if reference.target in frame.columns:
        y = chunking.take(
            inputs.labels(frame[reference.target], reference.target, allow_missing=True)
        )
        counts = confusion_counts(y_hat, y, chunking)
        labelled = counts.sum(axis=1).astype(np.int64)
        with_labels = labelled > 0
        if with_labels.any():
            realised_counts[with_labels] = counts[with_labels]
            for name, values in rates(counts).items():
                realised[name] = np.where(with_labels, values, math.nan)
            realised["roc_auc"] = realised_auc(scores, y, chunking)

    estimated = performance(
        estimates,
        errors,
        realised,
        chunking,
        reference_chunk_metrics=reference.chunk_metrics,
        reference_chunk_sizes=reference.chunk_sizes,
        reference_metrics=reference.metrics,
    )

    # Drift per column.
    drift, outside, missing = measure_drift(
        reference.columns,
        frame,
        scores,
        y_hat,
        chunking,
        reference_rows=reference.rows,
        reference_chunk_sizes=reference.chunk_sizes,
        methods=methods,
        limits=limits,
    )

    money = None
    if pricing is not None:
        money = value_of(pricing, expected, var_by, realised_counts, reference.confusion)
    if reference.calibration.get("isotonic"):
        notes.append("probabilities recalibrated on the reference (isotonic)")
    return MonitorResult(
        chunks=chunking.keys,
        rows=chunking.sizes,
        starts=chunking.starts,
        ends=chunking.ends,
        columns=tuple(c.name for c in reference.columns),
        kinds=tuple(c.kind for c in reference.columns),
        roles=tuple(c.role for c in reference.columns),
        drift=drift,
        outside=outside,
        missing=missing,
        performance=estimated,
        expected=expected,
        realised_counts=realised_counts,
        labelled=labelled,
        value=money,
        reference_rows=reference.rows,
        thresholds=limits,
        notes=tuple(notes),
    )
