"""Each column's histogram per chunk, on the reference's bins and quantile grid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bizml_nb.monitor.chunks import in_order
from bizml_nb.monitor.inputs import numbers
from bizml_nb.monitor.summaries import category_key

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from bizml_nb.monitor.chunks import Chunking
    from bizml_nb.monitor.constants import FloatArray, IntArray
    from bizml_nb.monitor.summaries import ColumnSummary

BLOCK_COLUMNS = 64  # numeric columns binned together, chunk by chunk (bounds the scratch memory)


@dataclass(frozen=True)
class Counts:
    """Per chunk: rows per bin (reference bins, then outside, then missing), and the grid."""

    bins: npt.NDArray[np.int64]
    grid: npt.NDArray[np.int64] | None = None  # per grid bin: <= g0, (g_i-1, g_i], > g_last
    below: FloatArray | None = None  # per chunk: sum of (g0 - x) over x < g0
    above: FloatArray | None = None  # per chunk: sum of (x - g_last) over x > g_last


def count_columns(
    columns: Sequence[ColumnSummary],
    frame: pd.DataFrame,
    scores: FloatArray,
    y_hat: IntArray,
    chunking: Chunking,
    *,
    grid: bool,
) -> dict[str, Counts]:
    """Each column's histogram per chunk; ``scores`` and ``y_hat`` already in chunk order."""
    import numpy as np

    out: dict[str, Counts] = {}
    numeric = [c for c in columns if c.kind == "numeric" and c.role == "feature"]
    for start in range(0, len(numeric), BLOCK_COLUMNS):
        block = numeric[start : start + BLOCK_COLUMNS]
        arrays = [numbers(frame[c.name], c.name) for c in block]
        for summary, bins in zip(block, numeric_bins(block, arrays, chunking), strict=True):
            out[summary.name] = Counts(bins)
        if grid:
            for summary, x in zip(block, arrays, strict=True):
                out[summary.name] = with_grid(
                    out[summary.name], summary, chunking.take(x), chunking
                )
    k = chunking.count
    for summary in columns:
        if summary.role == "proba":
            bins = numeric_bins([summary], [scores], in_order(chunking))[0]
            counts = Counts(bins)
            out[summary.name] = with_grid(counts, summary, scores, chunking) if grid else counts
        elif summary.role == "prediction":
            bins = np.zeros((k, 4), dtype=np.int64)
            for i, seg in enumerate(chunking.segments()):
                bins[i, :2] = np.bincount(y_hat[seg], minlength=2)[:2]
            out[summary.name] = Counts(bins)
        elif summary.kind == "categorical":
            codes = chunking.take(category_codes(summary, frame[summary.name]))
            nb = len(summary.categories) + 2
            bins = np.zeros((k, nb), dtype=np.int64)
            for i, seg in enumerate(chunking.segments()):
                bins[i] = np.bincount(codes[seg], minlength=nb)
            out[summary.name] = Counts(bins)
    return out


def numeric_bins(
    columns: Sequence[ColumnSummary], arrays: Sequence[FloatArray], chunking: Chunking
) -> list[npt.NDArray[np.int64]]:
    """Rows per doane bin, outside and missing, per chunk, for several numeric columns at once.

    The bins are of equal width, so a value's bin is arithmetic, not a search. Work goes
    chunk by chunk: each chunk's values of all the columns are copied into one small
    scratch block that stays in the CPU cache, so no copy of the whole table is made.
    ``arrays`` hold the columns in the data's own row order.
    """
    import numpy as np

    f, k = len(columns), chunking.count
    lo = np.array([c.edges[0] for c in columns])[:, None]
    hi = np.array([c.edges[-1] for c in columns])[:, None]
    nbins = np.array([len(c.edges) - 1 for c in columns])
    scale = nbins[:, None] / (hi - lo)
    # slot 0: below lo; 1..k: the bins (x >= hi lands in k, and x > hi is moved out after);
    # k + 1: missing.
    top = np.nextafter(nbins[:, None] + 1.0, 0.0)
    missing_slot = nbins[:, None] + 1.5
    slots = nbins + 2
    offsets = np.concatenate([[0], np.cumsum(slots)[:-1]]).astype(np.intp)[:, None]
    total = int(slots.sum())
    counts = np.zeros((k, total), dtype=np.int64)
    above = np.zeros((k, f), dtype=np.int64)
    width = int(chunking.sizes.max()) if k else 0
    block = np.empty((f, width))
    scratch = np.empty((f, width))
    codes = np.empty((f, width), dtype=np.intp)
    for i, seg in enumerate(chunking.segments()):
        rows = seg if chunking.order is None else chunking.order[seg]
        w = seg.stop - seg.start
        values, buf, idx = block[:, :w], scratch[:, :w], codes[:, :w]
        for j, column in enumerate(arrays):
            values[j] = column[rows]
        np.subtract(values, lo, out=buf)
        buf *= scale
        buf += 1.0
        np.clip(buf, 0.0, top, out=buf)  # NaN stays NaN
        nan = np.isnan(buf)
        if nan.any():
            np.copyto(buf, np.broadcast_to(missing_slot, buf.shape), where=nan)
        np.copyto(idx, buf, casting="unsafe")
        idx += offsets
        counts[i] = np.bincount(idx.ravel(), minlength=total)
        above[i] = np.count_nonzero(values > hi, axis=1)
    result = []
    for j in range(f):
        nb = int(nbins[j])
        part = counts[:, int(offsets[j, 0]) : int(offsets[j, 0]) + nb + 2]
        bins = np.empty((k, nb + 2), dtype=np.int64)
        bins[:, :nb] = part[:, 1 : nb + 1]
        bins[:, nb - 1] -= above[:, j]
        bins[:, nb] = part[:, 0] + above[:, j]
        bins[:, nb + 1] = part[:, nb + 1]
        result.append(bins)
    return result


def with_grid(counts: Counts, summary: ColumnSummary, x: FloatArray, chunking: Chunking) -> Counts:
    """Add the quantile-grid histogram (for Kolmogorov-Smirnov and Wasserstein)."""
    import numpy as np

    k = chunking.count
    g = np.asarray(summary.grid)
    codes = np.searchsorted(g, x, side="left").astype(np.intp)  # NaN sorts last: len(g)
    nan = np.isnan(x)
    codes[nan] = len(g) + 1
    ng = len(g) + 2
    ids = chunking.ids
    grid = np.bincount(ids * ng + codes, minlength=k * ng).reshape(k, ng)[:, :-1]
    low = x < g[0]
    high = x > g[-1]
    below = np.bincount(ids[low], weights=g[0] - x[low], minlength=k).astype(np.float64)
    above = np.bincount(ids[high], weights=x[high] - g[-1], minlength=k).astype(np.float64)
    return Counts(counts.bins, grid.astype(np.int64), below, above)


def category_codes(summary: ColumnSummary, data: Any) -> IntArray:
    """Category index of each value; len(categories): never seen; len + 1: missing."""
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(data, use_na_sentinel=True)
    lookup = {c: i for i, c in enumerate(summary.categories)}
    unseen = len(summary.categories)
    mapped = np.array(
        [lookup.get(category_key(u), unseen) for u in uniques] + [unseen + 1], dtype=np.intp
    )
    return np.asarray(mapped[codes], dtype=np.intp)  # -1 (missing) picks the last entry
