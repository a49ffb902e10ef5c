"""Checking data against a reference, chunk by chunk: :meth:`Reference.check`'s work.

Per chunk: the expected confusion matrix and ROC AUC of the calibrated
probabilities (CBPE), their sampling errors and alerts; the realised metrics where
labels are; drift per column; and, when priced, the value.

The data are first reduced to :class:`ChunkStats` (per chunk: sums, histograms,
counts), from a DataFrame here or by an engine (:mod:`bizml_nb.monitor.engine_check`);
:func:`conclude` turns either into the result.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

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
from bizml_nb.monitor.chunks import ChunkStats, chunking_of, resolve_chunk_by
from bizml_nb.monitor.constants import (
    DEFAULT_METHODS,
    METRICS,
    MIN_CHUNK_ROWS,
    NUMERIC_ONLY,
    MonitorError,
    Thresholds,
)
from bizml_nb.monitor.drift import drift_of
from bizml_nb.monitor.engine import MEMORY_LIMIT, is_engine_source
from bizml_nb.monitor.histograms import count_columns
from bizml_nb.monitor.pricing import pricing_of, value_of
from bizml_nb.monitor.result import MonitorResult

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from bizml_nb.monitor.chunks import Chunking
    from bizml_nb.monitor.pricing import Pricing, ValueSource
    from bizml_nb.monitor.reference import Reference


def check(
    reference: Reference,
    df: Any,
    *,
    chunk_size: int | None = None,
    chunks: int | None = None,
    by: str | None = None,
    freq: str | None = None,
    chunk_by: int | str | None = None,
    order_by: str | None = None,
    methods: Sequence[str] = DEFAULT_METHODS,
    thresholds: Thresholds | Mapping[str, float] = "std",
    value: ValueSource = None,
    kpi: str | None = None,
    currency: str | None = None,
    memory_limit: str | None = MEMORY_LIMIT,
    temp_directory: str | os.PathLike[str] | None = None,
    threads: int | None = None,
    progress: Any = None,
) -> MonitorResult:
    """Drift, estimated performance and value of ``df`` (see :meth:`Reference.check`)."""
    methods = inputs.methods(methods)
    limits = inputs.thresholds(thresholds)
    pricing = pricing_of(value, kpi, currency)
    needed = [*reference.features, reference.proba] + (
        [reference.prediction] if reference.prediction else []
    )
    if is_engine_source(df):
        from bizml_nb.monitor.engine import open_source
        from bizml_nb.monitor.engine_check import engine_stats

        source = open_source(
            df,
            what="the data to check",
            memory_limit=memory_limit,
            temp_directory=temp_directory,
            threads=threads,
            progress=progress,
        )
        chunk_size, by, freq = resolve_chunk_by(
            chunk_by, chunk_size, by, freq, source.time_columns()
        )
        stats = engine_stats(
            reference,
            source,
            needed,
            chunk_size=chunk_size,
            chunks=chunks,
            by=by,
            freq=freq,
            order_by=order_by,
            grid=any(method in NUMERIC_ONLY for method in methods),
        )
        notes = _small_chunks(stats.chunking)
    else:
        frame = inputs.frame(df, "the data to check")
        if order_by is not None:
            raise MonitorError(
                "order_by is for data read by an engine; a DataFrame's chunks follow its rows"
            )
        time_columns = [
            str(c) for c, t in frame.dtypes.items() if str(t).startswith(("datetime", "period"))
        ]
        chunk_size, by, freq = resolve_chunk_by(chunk_by, chunk_size, by, freq, time_columns)
        inputs.require_columns(frame, needed + ([by] if by else []), "the data to check")
        if len(frame) == 0:
            raise MonitorError("the data to check has no rows")
        chunking = chunking_of(frame, chunk_size, chunks, by, freq)
        notes = _small_chunks(chunking)
        stats = frame_stats(reference, frame, chunking, methods)
    return conclude(reference, stats, methods=methods, limits=limits, pricing=pricing, notes=notes)


def _small_chunks(chunking: Chunking) -> list[str]:
    small = [k for k, s in zip(chunking.keys, chunking.sizes, strict=True) if s < MIN_CHUNK_ROWS]
    if not small:
        return []
    message = (
        f"{len(small)} of {chunking.count} chunks have fewer than {MIN_CHUNK_ROWS} rows "
        f"(first: {small[0]}); their statistics are too noisy to act on"
    )
    warnings.warn(message, BizmlWarning, stacklevel=4)
    return [message]


def frame_stats(
    reference: Reference, frame: pd.DataFrame, chunking: Chunking, methods: Sequence[str]
) -> ChunkStats:
    """A DataFrame's chunks reduced to :class:`ChunkStats`."""
    raw = inputs.probabilities(frame[reference.proba], reference.proba)
    y_hat = chunking.take(inputs.predictions(frame, reference.prediction, raw, reference.threshold))
    scores = chunking.take(raw)

    # Estimated performance: the expected confusion matrix and ROC curve per chunk.
    expected, var_by, auc = expected_counts(reference.calibration, scores, y_hat, chunking)

    # Realised performance where labels are present.
    label_counts = label_auc = None
    if reference.target in frame.columns:
        y = chunking.take(
            inputs.labels(frame[reference.target], reference.target, allow_missing=True)
        )
        label_counts = confusion_counts(y_hat, y, chunking)
        if (label_counts.sum(axis=1) > 0).any():
            label_auc = realised_auc(scores, y, chunking, binned=True)

    need_grid = any(method in NUMERIC_ONLY for method in methods)
    counted = count_columns(reference.columns, frame, scores, y_hat, chunking, grid=need_grid)
    return ChunkStats(chunking, expected, var_by, auc, label_counts, label_auc, counted)


def conclude(
    reference: Reference,
    stats: ChunkStats,
    *,
    methods: tuple[str, ...],
    limits: Mapping[str, float] | None,
    pricing: Pricing | None,
    notes: list[str],
) -> MonitorResult:
    """The result from a check's :class:`ChunkStats`, however they were computed."""
    import numpy as np

    chunking, expected, var_by, auc = stats.chunking, stats.expected, stats.var_by, stats.auc
    k = chunking.count
    estimates = rates(expected)
    estimates["roc_auc"] = auc
    errors = sampling_errors(expected, var_by, auc)

    labelled = np.zeros(k, dtype=np.int64)
    realised_counts = np.full((k, 4), math.nan)
    realised = {m: np.full(k, math.nan) for m in METRICS}
    if stats.label_counts is not None:
        counts = stats.label_counts
        labelled = counts.sum(axis=1).astype(np.int64)
        with_labels = labelled > 0
        if with_labels.any():
            realised_counts[with_labels] = counts[with_labels]
            for name, values in rates(counts).items():
                realised[name] = np.where(with_labels, values, math.nan)
            if stats.label_auc is not None:
                realised["roc_auc"] = stats.label_auc

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
    drift, outside, missing = drift_of(
        reference.columns,
        stats.counted,
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
        sample = reference.calibration.get("sample")
        if isinstance(sample, dict):
            notes.append(
                f"calibration map fitted on a sample of {sample.get('rows', 0):,} of "
                f"{sample.get('of', 0):,} reference rows (seed {sample.get('seed')})"
            )
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
