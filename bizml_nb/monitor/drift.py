"""Drift statistics per chunk and column, against the whole reference, with their alerts.

Jensen-Shannon distance and PSI on the reference's bins (plus one bin for values out
of its range, or categories it never saw), Kolmogorov-Smirnov and Wasserstein on its
quantile grid, chi-squared on category counts. Thresholds: fixed, or mean + 3 std of
the reference chunks' statistics rescaled to each chunk's size (see the package doc).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bizml_nb.monitor.chunks import mean_std
from bizml_nb.monitor.constants import (
    CATEGORICAL_ONLY,
    FIXED_THRESHOLDS,
    NUMERIC_ONLY,
    PSI_FLOOR,
    STD_MULTIPLIER,
)
from bizml_nb.monitor.histograms import count_columns

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from bizml_nb.monitor.chunks import Chunking
    from bizml_nb.monitor.constants import BoolArray, FloatArray, IntArray
    from bizml_nb.monitor.histograms import Counts
    from bizml_nb.monitor.summaries import ColumnSummary


@dataclass(frozen=True)
class Drift:
    """One drift statistic per chunk and column, its thresholds and alerts.

    For ``chi2`` the thresholds are p-values (an alert below) and ``p_values`` is set.
    NaN where the method does not apply to a column.
    """

    method: str
    values: FloatArray
    thresholds: FloatArray
    alerts: BoolArray
    p_values: FloatArray | None = None


def applies(method: str, summary: ColumnSummary) -> bool:
    if method in NUMERIC_ONLY:
        return summary.kind == "numeric"
    if method in CATEGORICAL_ONLY:
        return summary.kind == "categorical"
    return True


def statistic(
    summary: ColumnSummary, counts: Counts, method: str
) -> tuple[FloatArray, FloatArray | None]:
    """One drift statistic per chunk against the whole reference (and p-values for chi2)."""
    import numpy as np

    ref = np.append(np.asarray(summary.counts, dtype=np.float64), 0.0)  # + outside bin
    cur = counts.bins[:, :-1].astype(np.float64)  # without missing
    totals = cur.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = cur / totals
    r = ref / ref.sum()
    if method == "jensen_shannon":
        from scipy.spatial.distance import jensenshannon

        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(jensenshannon(r[None, :], q, axis=1, base=2), dtype=np.float64), None
    if method == "psi":
        rr = np.maximum(r, PSI_FLOOR)[None, :]
        qq = np.maximum(q, PSI_FLOOR)
        return np.sum((qq - rr) * np.log(qq / rr), axis=1), None
    if method == "chi2":
        from scipy.stats import chi2_contingency

        stats = np.full(len(cur), math.nan)
        p_values = np.full(len(cur), math.nan)
        for i, row in enumerate(cur):
            table = np.vstack([ref, row])
            table = table[:, table.sum(axis=0) > 0]
            if row.sum() == 0 or table.shape[1] < 2:
                continue
            test = chi2_contingency(table, correction=False)
            stats[i], p_values[i] = float(test.statistic), float(test.pvalue)
        return stats, p_values
    assert counts.grid is not None
    assert counts.below is not None
    assert counts.above is not None
    g = np.asarray(summary.grid)
    ref_g = np.asarray(summary.grid_counts, dtype=np.float64)
    ref_cdf = np.cumsum(ref_g) / ref_g.sum()
    cur_g = counts.grid.astype(np.float64)
    n = cur_g.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        cur_cdf = np.cumsum(cur_g, axis=1)[:, :-1] / n  # at g0 .. g_last
    if method == "kolmogorov_smirnov":
        return np.max(np.abs(cur_cdf - ref_cdf[None, :-1]), axis=1), None
    # Wasserstein-1: the area between the two CDFs. Inside the grid the mass of a bin sits at
    # its midpoint for both; beyond it, the exact distance of the chunk's outlying values.
    positions = np.concatenate([[g[0]], (g[:-1] + g[1:]) / 2.0, [g[-1]]])
    widths = np.diff(positions)
    cur_full = np.cumsum(cur_g, axis=1) / n
    ref_full = ref_cdf
    inner = np.sum(np.abs(cur_full - ref_full[None, :])[:, :-1] * widths[None, :], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        tails = (counts.below + counts.above) / n[:, 0]
    return inner + tails, None


def reference_columns(
    summaries: Sequence[ColumnSummary], counted: Mapping[str, Counts]
) -> list[ColumnSummary]:
    """A reference's column summaries completed from its chunks' histograms: a numeric
    column's counts are the sums of its chunks', and each chunk's statistics are measured
    against the whole reference, as new chunks will be."""
    from bizml_nb.monitor.constants import METHODS
    from bizml_nb.monitor.summaries import with_counts, with_stats

    out: list[ColumnSummary] = []
    for bare in summaries:
        counts = counted[bare.name]
        summary = bare
        if bare.kind == "numeric":
            summary = with_counts(
                bare,
                counts.bins[:, : len(bare.edges) - 1].sum(axis=0),
                None if counts.grid is None else counts.grid.sum(axis=0),
            )
        stats = {
            method: tuple(float(v) for v in statistic(summary, counts, method)[0])
            for method in METHODS
            if method != "chi2" and applies(method, summary)
        }
        out.append(with_stats(summary, stats))
    return out


def measure_drift(
    columns: Sequence[ColumnSummary],
    frame: pd.DataFrame,
    scores: FloatArray,
    y_hat: IntArray,
    chunking: Chunking,
    *,
    reference_rows: int,
    reference_chunk_sizes: Sequence[int],
    methods: tuple[str, ...],
    limits: Mapping[str, float] | None,
) -> tuple[dict[str, Drift], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each method's drift per chunk and column; and per chunk and column, the values
    outside the reference's range (or never seen) and the missing values."""
    need_grid = any(method in NUMERIC_ONLY for method in methods)
    counted = count_columns(columns, frame, scores, y_hat, chunking, grid=need_grid)
    return drift_of(
        columns,
        counted,
        chunking,
        reference_rows=reference_rows,
        reference_chunk_sizes=reference_chunk_sizes,
        methods=methods,
        limits=limits,
    )


def drift_of(
    columns: Sequence[ColumnSummary],
    counted: Mapping[str, Counts],
    chunking: Chunking,
    *,
    reference_rows: int,
    reference_chunk_sizes: Sequence[int],
    methods: tuple[str, ...],
    limits: Mapping[str, float] | None,
) -> tuple[dict[str, Drift], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """:func:`measure_drift` from each column's histograms per chunk (however counted)."""
    import numpy as np

    k, c = chunking.count, len(columns)
    values = {m: np.full((k, c), math.nan) for m in methods}
    limit = {m: np.full((k, c), math.nan) for m in methods}
    p_values = np.full((k, c), math.nan)
    outside = np.zeros((k, c), dtype=np.int64)
    missing = np.zeros((k, c), dtype=np.int64)
    n_ref = float(reference_rows)
    m = float(np.mean(reference_chunk_sizes))
    sizes = chunking.sizes.astype(np.float64)
    # Null spread of a chunk of N new rows over that of a reference chunk (see the package doc).
    ratio = (1.0 / sizes + 1.0 / n_ref) / (1.0 / m - 1.0 / n_ref)
    for j, summary in enumerate(columns):
        counts = counted[summary.name]
        outside[:, j] = counts.bins[:, -2]
        missing[:, j] = counts.bins[:, -1]
        for method in methods:
            if not applies(method, summary):
                continue
            stat, p = statistic(summary, counts, method)
            values[method][:, j] = stat
            if method == "chi2":
                p_values[:, j] = p
                limit[method][:, j] = (limits or FIXED_THRESHOLDS)["chi2"]
            elif limits is not None:
                fixed = limits[method]
                if method == "wasserstein":
                    fixed *= summary.std or 0.0
                limit[method][:, j] = fixed
            else:
                ref = np.asarray((summary.chunk_stats or {}).get(method, ()), dtype=np.float64)
                centre, spread = mean_std(ref)
                factor = ratio if method == "psi" else np.sqrt(ratio)
                limit[method][:, j] = (centre + STD_MULTIPLIER * spread) * factor
    drift: dict[str, Drift] = {}
    for method in methods:
        with np.errstate(invalid="ignore"):
            if method == "chi2":
                alerts = p_values < limit[method]
            else:
                alerts = values[method] > limit[method]
        drift[method] = Drift(
            method=method,
            values=values[method],
            thresholds=limit[method],
            alerts=alerts,
            p_values=p_values if method == "chi2" else None,
        )
    return drift, outside, missing
