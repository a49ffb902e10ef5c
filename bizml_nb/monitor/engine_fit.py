"""A reference fitted on data an engine reads: the same summaries as from a DataFrame.

Per numeric column, two one-row aggregates give the count, mean, min, max and the
second and third central moments, from which NumPy's ``doane`` bin edges follow (its
own formula, repeated); the quantile grid is the engine's exact quantiles
(``quantile_cont`` on DuckDB; an approximate one on engines that only have that),
rounded as the DataFrame path rounds them. Histograms, confusion counts and ROC AUC
per reference chunk are the queries of a check. The calibration map needs the
(score, label) pairs themselves: all of them up to ``calibration_rows`` (default
1,000,000), else a seeded sample of about that many, which the reference records
(``calibration["sample"]``) and the check's card states.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from bizml_nb.monitor import queries
from bizml_nb.monitor.chunks import split
from bizml_nb.monitor.constants import (
    CALIBRATION_SEED,
    MIN_CHUNK_ROWS,
    MonitorError,
)
from bizml_nb.monitor.engine import CALIBRATION_ROWS, FILE, FILE_ROW, _backend_name, plan
from bizml_nb.monitor.engine_check import (
    ChunkPlan,
    _areas,
    chunk_plan,
    count_columns,
    performance_sums,
    validate,
)
from bizml_nb.monitor.summaries import ColumnSummary, categorical_summary, category_key

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.monitor.constants import Kind, Role
    from bizml_nb.monitor.engine import Source


def fit_fields(
    source: Source,
    *,
    features: Sequence[str],
    proba: str,
    target: str,
    prediction: str | None,
    threshold: float,
    categorical: Sequence[str],
    chunks: int | None,
    chunk_size: int | None,
    order_by: str | None,
    quantiles: int,
    calibration_rows: int = CALIBRATION_ROWS,
) -> dict[str, Any]:
    """The fields of a :class:`~bizml_nb.monitor.reference.Reference` fitted on ``source``."""
    import numpy as np

    from bizml_nb.monitor.cbpe import rates
    from bizml_nb.monitor.drift import reference_columns

    roles = [proba, target] + ([prediction] if prediction is not None else [])
    source.require([*features, *roles])
    source.require_numbers(proba, "probability")
    source.require_numbers(target, "target")
    if prediction is not None:
        source.require_numbers(prediction, "prediction")
    kinds: dict[str, Kind] = {}
    for f in features:
        dtype = source.dtype(f)
        numeric = dtype.is_numeric() and not dtype.is_boolean() and f not in categorical
        kinds[f] = "numeric" if numeric else "categorical"
    n_categorical = sum(kind == "categorical" for kind in kinds.values())
    numeric = len(features) - n_categorical
    searched = _backend_name(source) == "duckdb"  # the grid histograms' query (engine_grid)
    plan(source, 10 + numeric + 2 * n_categorical + int(searched))
    chunked = chunk_plan(
        source,
        chunk_size=chunk_size,
        chunks=chunks,
        by=None,
        freq=None,
        order_by=order_by,
        reference=True,
    )
    assert chunked.chunking is not None
    n = int(chunked.chunking.sizes.sum())
    if n < 2 * MIN_CHUNK_ROWS:
        raise MonitorError(
            f"{source.name} has {n} rows; it needs at least {2 * MIN_CHUNK_ROWS} "
            f"(two chunks of {MIN_CHUNK_ROWS}) to set alert thresholds"
        )
    if chunked.chunking.count < 2:
        raise MonitorError(
            f"the reference must make at least 2 chunks to set alert thresholds "
            f"(it makes {chunked.chunking.count}); use smaller chunks"
        )
    found = validate(source, chunked, proba=proba, prediction=prediction, target=target)
    if int(found["target_missing"].sum()):
        raise MonitorError(
            f"the target column {target!r} of {source.name} has "
            f"{int(found['target_missing'].sum()):,} missing values"
        )
    calibration = _calibration(
        source, proba, target, n=n, order_by=order_by, limit=calibration_rows
    )
    _, _, _, label_counts, label_auc = performance_sums(
        source,
        chunked,
        calibration={"isotonic": False},
        proba=proba,
        prediction=prediction,
        threshold=threshold,
        target=target,
    )
    assert label_counts is not None
    y_hat_counts = label_counts[:, [0, 1]].sum(axis=0) + label_counts[:, [2, 3]].sum(axis=0)
    positives = label_counts[:, 2:].sum()
    if positives in (0, n):
        raise MonitorError(
            f"the reference target {target!r} holds only class {int(positives > 0)}; "
            "estimating performance needs a reference with both classes"
        )

    summaries = _summaries(
        source,
        features,
        kinds,
        proba=proba,
        prediction=prediction,
        threshold=threshold,
        quantiles=quantiles,
        n=n,
        y_hat_counts=(int(y_hat_counts[0]), int(y_hat_counts[1])),
    )
    expected = np.zeros((chunked.chunking.count, 4))  # the prediction's counts, per chunk
    expected[:, 0] = label_counts[:, 0] + label_counts[:, 2]
    expected[:, 1] = label_counts[:, 1] + label_counts[:, 3]
    counted = count_columns(source, chunked, summaries, expected, grid=True)
    columns = reference_columns(summaries, counted)

    chunk_rates = rates(label_counts)
    chunk_rates["roc_auc"] = (
        label_auc if label_auc is not None else np.full(len(label_counts), math.nan)
    )
    total = label_counts.sum(axis=0)
    overall = {k: float(v[0]) for k, v in rates(total[None, :]).items()}
    whole = ChunkPlan(chunked.table.mutate(**{queries.CHUNK: 0}), split(n, None, 1), None, None)
    rows = queries.scored(
        whole.table,
        whole.table[queries.CHUNK],
        proba=proba,
        prediction=prediction,
        threshold=threshold,
        target=target,
        calibration=None,
    )
    found = source.execute(queries.roc_area(rows, expected=False, realised=True), "ROC AUC")
    overall["roc_auc"] = float(_areas(whole, found)["r_"][0])
    return {
        "rows": n,
        "features": tuple(features),
        "proba": proba,
        "target": target,
        "prediction": prediction,
        "threshold": float(threshold),
        "columns": tuple(columns),
        "calibration": calibration,
        "chunk_sizes": tuple(int(s) for s in chunked.chunking.sizes),
        "chunk_metrics": {k: tuple(float(x) for x in v) for k, v in chunk_rates.items()},
        "confusion": tuple(int(c) for c in total),
        "metrics": overall,
    }


def _summaries(
    source: Source,
    features: Sequence[str],
    kinds: dict[str, Kind],
    *,
    proba: str,
    prediction: str | None,
    threshold: float,
    quantiles: int,
    n: int,
    y_hat_counts: tuple[int, int],
) -> list[ColumnSummary]:
    """Each column's summary before its histograms: features, the score, the predicted class."""
    numeric = [f for f in features if kinds[f] == "numeric"]
    bare = _numeric_summaries(source, [*numeric, proba], quantiles, n)
    summaries: list[ColumnSummary] = []
    for f in features:
        if kinds[f] == "numeric":
            summaries.append(bare[f])
        else:
            summaries.append(_category_summary(source, f, n))
    summaries.append(bare[proba])
    summaries.append(
        ColumnSummary(
            name=prediction or f"{proba} >= {threshold:g}",
            kind="categorical",
            role="prediction",
            rows=n,
            missing=0,
            counts=y_hat_counts,
            categories=("0", "1"),
        )
    )
    return summaries


def _calibration(
    source: Source, proba: str, target: str, *, n: int, order_by: str | None, limit: int
) -> dict[str, Any]:
    """The calibration map, fitted on the (score, label) pairs in row order (all of them, or a
    seeded sample when there are more than ``limit``)."""
    import numpy as np

    from bizml_nb.monitor.calibration import fit_calibration

    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 2 * MIN_CHUNK_ROWS:
        raise MonitorError(
            f"calibration_rows must be a whole number of at least 200 (not {limit!r})"
        )
    fraction = None if n <= limit else limit / n
    order = [FILE, FILE_ROW] if source.files and order_by is None else []
    if order_by is not None:
        order = [order_by]
    rows = queries.pairs(
        source.table, proba, target, fraction=fraction, seed=CALIBRATION_SEED, order=order
    )
    found = source.execute(rows, "pairs for the calibration map")
    scores = found["s"].to_numpy(dtype=np.float64)
    y = found["y"].to_numpy(dtype=np.intp)
    record = fit_calibration(scores, y)
    if fraction is not None:
        record["sample"] = {"rows": len(scores), "of": n, "seed": CALIBRATION_SEED}
    return record


def _numeric_summaries(
    source: Source, names: Sequence[str], quantiles: int, n: int
) -> dict[str, ColumnSummary]:
    import numpy as np

    t = source.table
    m = source.execute(queries.moments(t, names), "counts and sums").iloc[0]
    means: dict[str, float] = {}
    for i, name in enumerate(names):
        if int(m[f"n{i}"] or 0) == 0:
            raise MonitorError(f"the reference column {name!r} has no values (all missing)")
        if int(m[f"inf{i}"] or 0):
            raise MonitorError(
                f"the reference column {name!r} holds infinite values; replace them "
                "(or mark them missing) before fitting"
            )
        means[name] = float(m[f"sum{i}"]) / int(m[f"n{i}"])
    c = source.execute(queries.central(t, means), "central moments").iloc[0]
    levels = [float(v) for v in np.linspace(0.0, 1.0, quantiles + 1)]
    out: dict[str, ColumnSummary] = {}
    for i, name in enumerate(names):
        count = int(m[f"n{i}"])
        lo, hi = float(m[f"min{i}"]), float(m[f"max{i}"])
        edges = doane_edges(count, float(c[f"m2_{i}"]), float(c[f"m3_{i}"]), lo, hi)
        q = source.execute(queries.quantiles(t, name, levels), f"quantiles of {name}")
        values = np.asarray(q["q"].iloc[0], dtype=np.float64)
        grid = np.unique(np.array([float(f"{v:.7g}") for v in values]))
        grid[0], grid[-1] = lo, hi
        grid = np.unique(grid)
        role: Role = "feature" if i < len(names) - 1 else "proba"
        out[name] = ColumnSummary(
            name=name,
            kind="numeric",
            role=role,
            rows=n,
            missing=n - count,
            counts=(),
            edges=tuple(float(e) for e in edges),
            grid=tuple(float(g) for g in grid),
            mean=means[name],
            std=math.sqrt(float(c[f"m2_{i}"]) / count),
            min=lo,
            max=hi,
        )
    return out


def doane_edges(n: int, m2: float, m3: float, lo: float, hi: float) -> Any:
    """``np.histogram_bin_edges(x, bins="doane")`` from x's count, central moment sums and range."""
    import numpy as np

    if hi <= lo:
        return np.array([lo - 0.5, lo + 0.5])
    width = 0.0
    if n > 2:
        sg1 = np.sqrt(6.0 * (n - 2) / ((n + 1.0) * (n + 3)))
        sigma = np.sqrt(m2 / n)
        if sigma > 0.0:
            g1 = m3 / n / sigma**3
            width = (hi - lo) / (1.0 + np.log2(n) + np.log2(1.0 + np.absolute(g1) / sg1))
    bins = int(np.ceil((hi - lo) / width)) if width else 1
    return np.linspace(lo, hi, bins + 1, endpoint=True)


def _category_summary(source: Source, name: str, n: int) -> ColumnSummary:
    import pandas as pd

    t = source.table
    found = source.execute(
        t.group_by(value=t[name]).aggregate(n=t.count()), f"categories of {name}"
    )
    merged: dict[str, int] = {}
    missing = 0
    for value, count in zip(found["value"], found["n"], strict=True):
        if pd.isna(value):
            missing += int(count)
            continue
        key = category_key(value)
        merged[key] = merged.get(key, 0) + int(count)
    return categorical_summary(name, "feature", merged, n, missing)
