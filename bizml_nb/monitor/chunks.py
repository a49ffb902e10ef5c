"""Cutting rows into chunks: consecutive rows, equal parts, or one chunk per value or period.

Also the spread of a statistic over the reference chunks, which sets the alert
thresholds of drift and of the estimates alike, and :class:`ChunkStats`, all that a
check keeps of each chunk.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bizml_nb.monitor.constants import MIN_CHUNK_ROWS, REFERENCE_CHUNKS, MonitorError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from bizml_nb.monitor.constants import FloatArray, IntArray
    from bizml_nb.monitor.histograms import Counts


@dataclass(frozen=True)
class Chunking:
    """Chunks of rows. Arrays are taken into chunk order first (``take``), so every chunk
    is one slice (``segments``) and ``ids`` is sorted."""

    keys: tuple[str, ...]
    sizes: IntArray
    starts: tuple[int | None, ...]
    ends: tuple[int | None, ...]
    order: IntArray | None = None  # rows grouped by chunk; None: they already are

    @property
    def count(self) -> int:
        return len(self.keys)

    @property
    def ids(self) -> IntArray:
        import numpy as np

        return np.repeat(np.arange(self.count, dtype=np.intp), self.sizes)

    def segments(self) -> list[slice]:
        import numpy as np

        bounds = np.concatenate([[0], np.cumsum(self.sizes)])
        return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]

    def take(self, values: Any) -> Any:
        """``values`` (rows along the last axis) in chunk order."""
        if self.order is None:
            return values
        return values[..., self.order]


@dataclass(frozen=True)
class ChunkStats:
    """All a check needs of the data, per chunk: what a DataFrame or an engine reduces it to."""

    chunking: Chunking
    expected: FloatArray  # expected TN, FP, FN, TP
    var_by: FloatArray  # variance of FN and of TP
    auc: FloatArray  # expected ROC AUC
    label_counts: FloatArray | None  # realised TN, FP, FN, TP over labelled rows; None: no labels
    label_auc: FloatArray | None  # realised ROC AUC (NaN with one class or none)
    counted: Mapping[str, Counts]  # each column's histograms


def contiguous(sizes: IntArray) -> Chunking:
    import numpy as np

    bounds = np.concatenate([[0], np.cumsum(sizes)])
    starts = tuple(int(s) for s in bounds[:-1])
    ends = tuple(int(e) - 1 for e in bounds[1:])
    keys = tuple(f"[{s}:{e}]" for s, e in zip(starts, ends, strict=True))
    return Chunking(keys, sizes.astype(np.intp), starts, ends)


def reference_chunking(n: int, chunks: int | None, chunk_size: int | None) -> Chunking:
    if chunks is None and chunk_size is None:
        chunks = max(2, min(REFERENCE_CHUNKS, n // MIN_CHUNK_ROWS))
    chunking = split(n, chunk_size, chunks)
    if chunking.count < 2:
        raise MonitorError(
            f"the reference must make at least 2 chunks to set alert thresholds "
            f"(it makes {chunking.count}); use smaller chunks"
        )
    return chunking


def split(n: int, chunk_size: int | None, chunks: int | None) -> Chunking:
    import numpy as np

    if chunk_size is not None and chunks is not None:
        raise MonitorError("give chunk_size or chunks, not both")
    if chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise MonitorError(f"chunk_size must be a positive whole number (not {chunk_size!r})")
        full, rest = divmod(n, chunk_size)
        sizes = [chunk_size] * full + ([rest] if rest else [])
        return contiguous(np.array(sizes, dtype=np.intp))
    assert chunks is not None
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks < 1:
        raise MonitorError(f"chunks must be a positive whole number (not {chunks!r})")
    if chunks > n:
        raise MonitorError(f"chunks={chunks} is more than the {n} rows")
    base, extra = divmod(n, chunks)
    sizes_arr = np.full(chunks, base, dtype=np.intp)
    sizes_arr[:extra] += 1
    return contiguous(sizes_arr)


def chunking_of(
    frame: pd.DataFrame,
    chunk_size: int | None,
    chunks: int | None,
    by: str | None,
    freq: str | None,
) -> Chunking:
    """The chunks of the data to check (10 equal parts when nothing is given)."""
    import numpy as np
    import pandas as pd

    n = len(frame)
    if by is None:
        if freq is not None:
            raise MonitorError("freq needs by=COLUMN: the column of times to cut into periods")
        if chunk_size is None and chunks is None:
            chunks = min(REFERENCE_CHUNKS, n)
        return split(n, chunk_size, chunks)
    if chunk_size is not None or chunks is not None:
        raise MonitorError("give one of chunk_size, chunks or by, not several")
    column = frame[by]
    if column.isna().any():
        raise MonitorError(f"the chunk column {by!r} has missing values; every row needs a chunk")
    if freq is not None:
        column = periods(column, by, freq)
    codes, uniques = pd.factorize(column, sort=True)
    ids = np.asarray(codes, dtype=np.intp)
    sizes = np.bincount(ids, minlength=len(uniques)).astype(np.intp)
    keys = tuple(str(u) for u in uniques)
    if bool((np.diff(ids) >= 0).all()):
        chunking = contiguous(sizes)
        return Chunking(keys, chunking.sizes, chunking.starts, chunking.ends)
    order = np.argsort(ids, kind="stable").astype(np.intp)
    return Chunking(keys, sizes, (None,) * len(keys), (None,) * len(keys), order)


def periods(column: pd.Series[Any], by: str, freq: str) -> pd.Series[Any]:
    """The period of ``freq`` of each time in ``column``. Times without a zone are cut as
    they are written; times with a zone in UTC (a Parquet file, a DuckDB relation or an
    Ibis table keeps the instant but not always the zone, so UTC is the one rule every
    source can follow, whatever the machine's time zone)."""
    import pandas as pd

    try:
        times = pd.Series(pd.to_datetime(column))
        if times.dt.tz is not None:
            times = times.dt.tz_convert("UTC").dt.tz_localize(None)
        return times.dt.to_period(freq)
    except (TypeError, ValueError, AttributeError) as exc:
        raise MonitorError(f"cannot cut {by!r} into periods of {freq!r}: {exc}") from None


PERIODS = {"day": "D", "week": "W", "month": "M"}  # chunk_by's words, as pandas frequencies


def resolve_chunk_by(
    chunk_by: int | str | None,
    chunk_size: int | None,
    by: str | None,
    freq: str | None,
    time_columns: Sequence[str],
) -> tuple[int | None, str | None, str | None]:
    """``chunk_by`` as ``(chunk_size, by, freq)``: a number of rows, ``"day"``, ``"week"``
    or ``"month"`` of a time column (``by``, or the data's only time column), or a column."""
    if chunk_by is None:
        return chunk_size, by, freq
    if isinstance(chunk_by, bool) or not isinstance(chunk_by, int | str):
        raise MonitorError(
            f"chunk_by must be a number of rows, 'day', 'week', 'month' or a column name "
            f"(not {chunk_by!r})"
        )
    if isinstance(chunk_by, int):
        if chunk_size is not None:
            raise MonitorError("give chunk_by or chunk_size, not both")
        if chunk_by < 1:
            raise MonitorError(
                f"chunk_by={chunk_by} rows: a chunk needs at least 1 row (a number of rows, "
                "'day', 'week', 'month' or a column name)"
            )
        return chunk_by, by, freq
    if chunk_by in PERIODS:
        if freq is not None:
            raise MonitorError(f"give chunk_by={chunk_by!r} or freq, not both")
        if by is None:
            if len(time_columns) != 1:
                found = ", ".join(repr(c) for c in time_columns) or "none"
                raise MonitorError(
                    f"chunk_by={chunk_by!r} needs by=COLUMN, the column of times "
                    f"(time columns found: {found})"
                )
            by = time_columns[0]
        return chunk_size, by, PERIODS[chunk_by]
    if by is not None:
        raise MonitorError(f"give chunk_by={chunk_by!r} or by={by!r}, not both")
    return chunk_size, chunk_by, freq


def in_order(chunking: Chunking) -> Chunking:
    """The same chunks, for arrays already taken into chunk order."""
    return replace(chunking, order=None)


def mean_std(values: FloatArray) -> tuple[float, float]:
    """Mean and sample standard deviation of the finite values (over the reference chunks)."""
    import numpy as np

    finite = values[np.isfinite(values)]
    if len(finite) < 2:
        return (float(finite[0]) if len(finite) else math.nan), math.nan
    return float(finite.mean()), float(finite.std(ddof=1))
