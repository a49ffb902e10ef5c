"""A check's statistics computed by an engine: the chunks, then per chunk sums and histograms.

The chunk of a row is an expression (:func:`chunk_plan`): its position divided by the
chunk size, the period of a time column (in UTC when the times have a zone, as
for a DataFrame; see :func:`bizml_nb.monitor.chunks.periods`), or a column's value. A row's position is
``order_by``'s rank when given; for Parquet files it is the row's place in the
files taken in the order of their names (a row's file and its row number there,
which DuckDB reads with the data, plus the rows of the files before it), so no
sort is needed. Engines do not keep row order otherwise, so a DuckDB relation or an
Ibis table cut into row chunks needs ``order_by``.

Then a few aggregate queries (:mod:`bizml_nb.monitor.queries`) give the
:class:`~bizml_nb.monitor.analysis.ChunkStats` that a DataFrame gives in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bizml_nb.monitor import engine_grid, queries
from bizml_nb.monitor.chunks import Chunking, ChunkStats, split
from bizml_nb.monitor.constants import MIN_CHUNK_ROWS, REFERENCE_CHUNKS, MonitorError
from bizml_nb.monitor.engine import FILE, FILE_INDEX, FILE_ROW, plan
from bizml_nb.monitor.histograms import Counts
from bizml_nb.monitor.summaries import category_key

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import ibis.expr.types as ir
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from bizml_nb.monitor.constants import FloatArray
    from bizml_nb.monitor.engine import Source
    from bizml_nb.monitor.reference import Reference
    from bizml_nb.monitor.summaries import ColumnSummary

_UNITS = {"D": "D", "W": "W", "M": "M"}


@dataclass
class ChunkPlan:
    """The source with its chunk column, and how a chunk's value maps to its place."""

    table: ir.Table
    chunking: Chunking | None  # row chunks: known from the row count; else after the first query
    by: str | None
    freq: str | None
    index: dict[Any, int] | None = None

    def places(self, values: pd.Series[Any]) -> npt.NDArray[np.intp]:
        import numpy as np

        if self.index is None:
            return np.asarray(values, dtype=np.intp)
        return np.array([self.index[v] for v in values], dtype=np.intp)


def chunk_plan(
    source: Source,
    *,
    chunk_size: int | None,
    chunks: int | None,
    by: str | None,
    freq: str | None,
    order_by: str | None,
    reference: bool = False,
) -> ChunkPlan:
    import ibis

    t = source.table
    if by is not None:
        if chunk_size is not None or chunks is not None:
            raise MonitorError("give one of chunk_size, chunks or by, not several")
        source.require([by])
        key: Any = t[by]
        if freq is not None:
            unit = _UNITS.get(freq)
            if unit is None:
                raise MonitorError(
                    f"an engine cuts times into periods of D, W or M (day, week, month); "
                    f"not {freq!r}"
                )
            if not source.dtype(by).is_temporal():
                raise MonitorError(
                    f"cannot cut {by!r} of {source.name} into periods of {freq!r}: its type is "
                    f"{source.dtype(by)}, not a time"
                )
            # a time with a zone is cut in UTC days, weeks and months, as a DataFrame's is
            key = source.utc_wall_clock(by).truncate(unit)
        return ChunkPlan(source.freeze(t.mutate(**{queries.CHUNK: key})), None, by, freq)
    if freq is not None:
        raise MonitorError("freq needs by=COLUMN: the column of times to cut into periods")
    n, offsets = _rows(source, order_by)
    if n == 0:
        raise MonitorError(f"{source.name} has no rows")
    if chunk_size is None and chunks is None:
        # as chunks.reference_chunking and chunks.chunking_of choose
        chunks = (
            max(2, min(REFERENCE_CHUNKS, n // MIN_CHUNK_ROWS))
            if reference
            else min(REFERENCE_CHUNKS, n)
        )
    chunking = split(n, chunk_size, chunks)
    if order_by is not None:
        source.require([order_by])
        position: Any = ibis.row_number().over(order_by=t[order_by])
    else:
        key = t[FILE_INDEX] if FILE_INDEX in t.columns else t[FILE]
        position = queries.lookup(key, list(offsets), list(offsets.values())) + t[FILE_ROW]
    if chunk_size is not None:
        chunk = position // chunk_size
    else:
        assert chunks is not None
        base, extra = divmod(n, chunks)
        cut = extra * (base + 1)
        chunk = ibis.ifelse(
            position < cut, position // (base + 1), extra + (position - cut) // max(base, 1)
        )
    frozen = source.freeze(t.mutate(**{queries.CHUNK: chunk.cast("int64")}))
    return ChunkPlan(frozen, chunking, None, None)


def _rows(source: Source, order_by: str | None) -> tuple[int, dict[Any, int]]:
    """The row count, and for Parquet files the rows before each file (files by name), keyed
    by the file's number where the engine gives one, else by its name."""
    t = source.table
    if order_by is None and not source.files:
        raise MonitorError(
            f"{source.name} has no row order of its own (engines do not keep one): give "
            "order_by=COLUMN for row chunks, or chunk by a time or category column (by=, chunk_by=)"
        )
    if order_by is not None:
        counted = source.execute(t.aggregate(n=t.count()), "rows")
        return int(counted["n"].iloc[0]), {}
    numbered = FILE_INDEX in t.columns
    keys = [FILE_INDEX, FILE] if numbered else [FILE]
    per_file = source.execute(t.group_by(keys).aggregate(n=t.count()), "rows per file")
    offsets: dict[Any, int] = {}
    total = 0
    # sorted by their names' UTF-8 bytes, as DuckDB lists them; Spark gives each file as a
    # URI with its special characters %-escaped ("a%20b.parquet"): sorted by its name
    plain = (lambda name: name) if source.backend is not None else _unescaped
    for index, name, rows in sorted(
        zip(per_file[keys[0]], per_file[FILE], per_file["n"], strict=True),
        key=lambda f: plain(str(f[1])).encode(),
    ):
        offsets[int(index) if numbered else str(name)] = total
        total += int(rows)
    return total, dict(sorted(offsets.items()))


def _unescaped(uri: str) -> str:
    """A file URI's path as its name: ``file:/logs/a%20b.parquet`` -> ``/logs/a b.parquet``
    (``+`` stays a plus)."""
    from urllib.parse import unquote

    return unquote(uri.removeprefix("file:"))


def validate(
    source: Source,
    chunked: ChunkPlan,
    *,
    proba: str,
    prediction: str | None,
    target: str | None,
) -> pd.DataFrame:
    """The per-chunk checks (one query): rows, and the values that break the rules; sets the
    chunks of a ``by`` plan. One MonitorError naming the source and the column."""
    import numpy as np
    import pandas as pd

    t = chunked.table
    found = source.execute(
        queries.checks(t, t[queries.CHUNK], proba=proba, prediction=prediction, target=target),
        "checks",
    )
    where = source.name
    if found.empty:
        raise MonitorError(f"{where} has no rows")
    total = found.sum(numeric_only=True)
    if total["proba_missing"]:
        raise MonitorError(
            f"the probability column {proba!r} of {where} has {int(total['proba_missing']):,} "
            "missing values; every prediction needs its probability"
        )
    low, high = float(found["proba_min"].min()), float(found["proba_max"].max())
    if low < 0.0 or high > 1.0:
        raise MonitorError(
            f"the probability column {proba!r} of {where} holds {low if low < 0 else high!r}, "
            "outside [0, 1]; pass the model's probability of class 1, not a score or logit"
        )
    if prediction is not None and total["prediction_missing"]:
        raise MonitorError(
            f"the prediction column {prediction!r} of {where} has "
            f"{int(total['prediction_missing']):,} missing values"
        )
    if prediction is not None and total["prediction_bad"]:
        raise MonitorError(
            f"the prediction column {prediction!r} of {where} must hold the classes 0 and 1 "
            f"(or False and True); {int(total['prediction_bad']):,} values are neither"
        )
    if target is not None and total["target_bad"]:
        raise MonitorError(
            f"the target column {target!r} of {where} must hold the classes 0 and 1 "
            f"(or False and True); {int(total['target_bad']):,} values are neither"
        )
    if chunked.chunking is None:
        keys = found[queries.CHUNK]
        if keys.isna().any():
            raise MonitorError(
                f"the chunk column {chunked.by!r} of {where} has missing values; every row "
                "needs a chunk"
            )
        found = found.iloc[sorted(range(len(found)), key=lambda i: keys.iloc[i])]
        values = list(found[queries.CHUNK])
        if chunked.freq is not None:
            labels = tuple(str(pd.Timestamp(v).to_period(chunked.freq)) for v in values)
        else:
            labels = tuple(str(v) for v in values)
        sizes = found["n"].to_numpy(dtype=np.intp)
        none = (None,) * len(values)
        chunked.chunking = Chunking(labels, sizes, none, none)
        chunked.index = {v: i for i, v in enumerate(values)}
    return found


def engine_stats(
    reference: Reference,
    source: Source,
    needed: Sequence[str],
    *,
    chunk_size: int | None,
    chunks: int | None,
    by: str | None,
    freq: str | None,
    order_by: str | None,
    grid: bool,
) -> ChunkStats:
    """What :func:`~bizml_nb.monitor.analysis.frame_stats` gives, from an engine's queries."""
    source.require(list(needed))
    labels = reference.target in source.columns
    target = reference.target if labels else None
    _check_types(source, reference.columns, reference.proba, reference.prediction, target)
    categorical = sum(c.kind == "categorical" and c.role == "feature" for c in reference.columns)
    numeric = [c for c in reference.columns if c.kind == "numeric"]
    searched = engine_grid.applies(source, numeric, grid=grid)
    plan(source, int(by is None) + 4 + categorical + int(searched))
    chunked = chunk_plan(
        source, chunk_size=chunk_size, chunks=chunks, by=by, freq=freq, order_by=order_by
    )
    validate(source, chunked, proba=reference.proba, prediction=reference.prediction, target=target)
    assert chunked.chunking is not None
    expected, var_by, auc, label_counts, label_auc = performance_sums(
        source,
        chunked,
        calibration=reference.calibration,
        proba=reference.proba,
        prediction=reference.prediction,
        threshold=reference.threshold,
        target=target,
        binned=True,
    )
    counted = count_columns(source, chunked, reference.columns, expected, grid=grid)
    return ChunkStats(chunked.chunking, expected, var_by, auc, label_counts, label_auc, counted)


def _check_types(
    source: Source,
    columns: Sequence[ColumnSummary],
    proba: str,
    prediction: str | None,
    target: str | None,
) -> None:
    source.require_numbers(proba, "probability")
    if prediction is not None:
        source.require_numbers(prediction, "prediction")
    if target is not None:
        source.require_numbers(target, "target")
    for summary in columns:
        if summary.role == "feature" and summary.kind == "numeric":
            source.require_numbers(summary.name, "numeric feature")


def performance_sums(
    source: Source,
    chunked: ChunkPlan,
    *,
    calibration: Mapping[str, Any],
    proba: str,
    prediction: str | None,
    threshold: float,
    target: str | None,
    binned: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray | None, FloatArray | None]:
    """Per chunk: expected counts, their variances and ROC AUC; realised counts and AUC.
    ``binned``: the AUCs rank the scores by cell, as a check's do."""
    import numpy as np

    assert chunked.chunking is not None
    k = chunked.chunking.count
    t = chunked.table
    rows = source.freeze(
        queries.scored(
            t,
            t[queries.CHUNK],
            proba=proba,
            prediction=prediction,
            threshold=threshold,
            target=target,
            calibration=calibration,
        )
    )
    found = source.execute(queries.sums(rows, labels=target is not None), "expected counts")
    at = chunked.places(found[queries.CHUNK])
    got = found.fillna(0.0)

    def column(name: str) -> FloatArray:
        out = np.zeros(k)
        out[at] = got[name].to_numpy(dtype=np.float64)
        return out

    n0, n1, fn, tp = column("n0"), column("n1"), column("fn"), column("tp")
    expected = np.stack([n0 - fn, n1 - tp, fn, tp], axis=1)
    var_by = np.stack([column("v0"), column("v1")], axis=1)
    areas = _areas(
        chunked,
        source.execute(
            queries.roc_area(rows, expected=True, realised=target is not None, binned=binned),
            "ROC AUC",
        ),
    )
    auc = areas["e_"]
    label_counts = label_auc = None
    if target is not None:
        label_counts = np.stack([column(c) for c in ("l_tn", "l_fp", "l_fn", "l_tp")], axis=1)
        label_auc = areas["r_"]
    return expected, var_by, auc, label_counts, label_auc


def _areas(chunked: ChunkPlan, found: pd.DataFrame) -> dict[str, FloatArray]:
    """Each ROC AUC per chunk (by prefix: ``e_`` expected, ``r_`` realised) from the result of
    :func:`~bizml_nb.monitor.queries.roc_area`; NaN where a chunk has no positive or no
    negative weight."""
    import numpy as np

    assert chunked.chunking is not None
    at = chunked.places(found[queries.CHUNK])
    out: dict[str, FloatArray] = {}
    for prefix in ("e_", "r_"):
        if f"{prefix}area" not in found:
            continue
        area = found[f"{prefix}area"].to_numpy(dtype=np.float64, na_value=np.nan)
        pos = found[f"{prefix}positives"].to_numpy(dtype=np.float64, na_value=np.nan)
        neg = found[f"{prefix}negatives"].to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where((pos > 0) & (neg > 0), area / (pos * neg), math.nan)
        values = np.full(chunked.chunking.count, math.nan)
        values[at] = value
        out[prefix] = values
    return out


def count_columns(
    source: Source,
    chunked: ChunkPlan,
    columns: Sequence[ColumnSummary],
    expected: FloatArray,
    *,
    grid: bool,
) -> dict[str, Counts]:
    """Each column's histograms per chunk, as :func:`bizml_nb.monitor.histograms.count_columns`."""
    import numpy as np

    assert chunked.chunking is not None
    k = chunked.chunking.count
    t = chunked.table
    chunk = t[queries.CHUNK]
    out: dict[str, Counts] = {}
    numeric = [c for c in columns if c.kind == "numeric"]
    if numeric:  # one query: every numeric column's histograms, stacked
        import ibis

        searched = engine_grid.applies(source, numeric, grid=grid)  # DuckDB: its histogram
        parts = [
            queries.numeric_bins(t, chunk, summary, grid=grid and not searched).mutate(bizml_col=j)
            for j, summary in enumerate(numeric)
        ]
        stacked = source.execute(ibis.union(*parts, distinct=False), "histograms")
        by_grid = engine_grid.grid_counts(source, chunked, numeric) if searched else []
        for j, summary in enumerate(numeric):
            found = stacked[stacked["bizml_col"] == j]
            at = chunked.places(found[queries.CHUNK])
            n = found["n"].to_numpy(dtype=np.int64)
            bins = np.zeros((k, len(summary.edges) + 1), dtype=np.int64)
            np.add.at(bins, (at, found["bin"].to_numpy(dtype=np.intp)), n)
            if not grid:
                out[summary.name] = Counts(bins)
                continue
            if searched:
                out[summary.name] = Counts(bins, *by_grid[j])
                continue
            g = np.zeros((k, len(summary.grid) + 2), dtype=np.int64)
            np.add.at(g, (at, found["grid"].to_numpy(dtype=np.intp)), n)
            below, above = np.zeros(k), np.zeros(k)
            np.add.at(below, at, found["below"].fillna(0.0).to_numpy(dtype=np.float64))
            np.add.at(above, at, found["above"].fillna(0.0).to_numpy(dtype=np.float64))
            out[summary.name] = Counts(bins, g[:, :-1], below, above)
    for summary in columns:
        if summary.role == "prediction":
            bins = np.zeros((k, 4), dtype=np.int64)
            bins[:, 0] = np.rint(expected[:, 0] + expected[:, 2]).astype(np.int64)
            bins[:, 1] = np.rint(expected[:, 1] + expected[:, 3]).astype(np.int64)
            out[summary.name] = Counts(bins)
        elif summary.kind == "categorical":
            out[summary.name] = _categories(source, chunked, summary)
    return {c.name: out[c.name] for c in columns}


def _categories(source: Source, chunked: ChunkPlan, summary: ColumnSummary) -> Counts:
    import numpy as np
    import pandas as pd

    assert chunked.chunking is not None
    t = chunked.table
    found = source.execute(
        queries.category_counts(t, t[queries.CHUNK], summary.name), f"counts of {summary.name}"
    )
    lookup = {c: i for i, c in enumerate(summary.categories)}
    unseen = len(summary.categories)
    codes = np.array(
        [unseen + 1 if pd.isna(v) else lookup.get(category_key(v), unseen) for v in found["value"]],
        dtype=np.intp,
    )
    bins = np.zeros((chunked.chunking.count, unseen + 2), dtype=np.int64)
    np.add.at(
        bins, (chunked.places(found[queries.CHUNK]), codes), found["n"].to_numpy(dtype=np.int64)
    )
    return Counts(bins)
