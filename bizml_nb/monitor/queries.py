"""The monitor's statistics as Ibis expressions: sums and histograms per chunk, run by an engine.

Every figure a check needs is an aggregate that merges across partitions, so it is
written once here, in Ibis, and runs on DuckDB, Spark or any other Ibis backend; only
per-chunk summaries come back to Python. The arithmetic repeats NumPy's to the
operation (the same bin formula, the same interpolation), so the results equal the
pandas path's to floating-point rounding.

Two steps that NumPy does with a search are expressions here: the calibration map
(``np.interp``) and the quantile-grid bin (``np.searchsorted``) are nested
``CASE`` expressions that halve the breakpoints at each level (a binary search:
about 10 comparisons a row for 1,000 breakpoints). The expected and realised ROC
AUC (the area under a ROC curve whose tied scores form one point) is the
Mann-Whitney sum over the chunk's distinct scores in descending order, one window
sum; it equals the trapezoids of :func:`bizml_nb.monitor.cbpe.curve_auc`. A check
ranks the scores by their cell in log-odds (:func:`score_bin`), so that the engine
adds up a few thousand cells per chunk instead of sorting every row; a reference's
AUC ranks the exact scores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import ibis.expr.types as ir

    from bizml_nb.monitor.summaries import ColumnSummary

CHUNK = "bizml_chunk"  # the chunk key column of every query
_SCORE = "bizml_score"
_P = "bizml_p"
_YHAT = "bizml_yhat"
_Y = "bizml_y"


def number(column: ir.Value) -> ir.FloatingValue:
    return column.cast("float64")


def missing(x: ir.FloatingValue) -> ir.BooleanValue:
    """NULL or NaN: what pandas counts as missing in a numeric column."""
    import ibis

    return x.isnull() | ibis.coalesce(x.isnan(), False)


def interp(x: ir.FloatingValue, xs: Sequence[float], ys: Sequence[float]) -> ir.FloatingValue:
    """``np.interp(x, xs, ys)`` as an expression (a binary search over the segments)."""
    import ibis

    from bizml_nb.monitor import spark

    if len(xs) > spark.CASE_LIMIT and spark.on_spark(x):  # a UDF: see bizml_nb.monitor.spark
        return spark.interp(x, xs, ys)

    segments = [i for i in range(len(xs) - 1) if xs[i] < xs[i + 1]]

    def piece(i: int) -> Any:
        slope = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i])
        return (x - float(xs[i])) * float(slope) + float(ys[i])

    def search(lo: int, hi: int) -> Any:  # segments[lo:hi], x within them
        if hi - lo == 1:
            return piece(segments[lo])
        mid = (lo + hi) // 2
        return ibis.ifelse(x < float(xs[segments[mid]]), search(lo, mid), search(mid, hi))

    inner = search(0, len(segments)) if segments else ibis.literal(float(ys[-1]))
    return ibis.ifelse(
        x <= float(xs[0]),
        ibis.literal(float(ys[0])),
        ibis.ifelse(x >= float(xs[-1]), ibis.literal(float(ys[-1])), inner),
    )


def rank_below(x: ir.FloatingValue, grid: Sequence[float]) -> ir.IntegerValue:
    """``np.searchsorted(grid, x, side="left")``: how many grid points lie below x."""
    import ibis

    from bizml_nb.monitor import spark

    if len(grid) > spark.CASE_LIMIT and spark.on_spark(x):  # a UDF: see bizml_nb.monitor.spark
        return spark.searchsorted(x, grid)

    def search(lo: int, hi: int) -> Any:  # the answer lies in [lo, hi]
        if lo == hi:
            return ibis.literal(lo, type="int64")
        mid = (lo + hi) // 2
        return ibis.ifelse(x > float(grid[mid]), search(mid + 1, hi), search(lo, mid))

    return search(0, len(grid))


def lookup(key: ir.Value, keys: Sequence[Any], values: Sequence[int]) -> ir.IntegerValue:
    """The value of ``key`` among sorted ``keys`` (a binary search; every key is one of them;
    texts or whole numbers)."""
    import ibis

    def search(lo: int, hi: int) -> Any:  # keys[lo:hi]
        if hi - lo == 1:
            return ibis.literal(int(values[lo]), type="int64")
        mid = (lo + hi) // 2
        return ibis.ifelse(key < keys[mid], search(lo, mid), search(mid, hi))

    result: ir.IntegerValue = search(0, len(keys))
    return result


def score_bin(score: ir.FloatingValue) -> ir.IntegerValue:
    """The score's cell in log-odds, as :func:`bizml_nb.monitor.cbpe.score_bins` computes it
    (``floor(ln(s / (1 - s)) * AUC_RESOLUTION)``; 0 and 1 in cells of their own)."""
    import ibis

    from bizml_nb.monitor.cbpe import EDGE_CELL
    from bizml_nb.monitor.constants import AUC_RESOLUTION

    inner = ((score / (1.0 - score)).ln() * float(AUC_RESOLUTION)).floor()
    cell = ibis.cases(
        (score <= 0.0, ibis.literal(-EDGE_CELL)),
        (score >= 1.0, ibis.literal(EDGE_CELL)),
        else_=inner.cast("float64"),
    )
    return cell.cast("int64")


def calibrated(score: ir.FloatingValue, calibration: Mapping[str, Any]) -> ir.FloatingValue:
    if not calibration.get("isotonic"):
        return score
    return interp(score, list(calibration["x"]), list(calibration["y"]))


def scored(
    t: ir.Table,
    chunk: ir.Value,
    *,
    proba: str,
    prediction: str | None,
    threshold: float,
    target: str | None,
    calibration: Mapping[str, Any] | None,
) -> ir.Table:
    """The rows as (chunk, raw score, calibrated p, predicted class, label or NULL); no p
    when ``calibration`` is None (the realised figures need none)."""
    import ibis

    score = number(t[proba])
    if prediction is None:
        y_hat = ibis.ifelse(score >= float(threshold), 1, 0).cast("int64")
    else:
        y_hat = number(t[prediction]).cast("int64")
    columns: dict[str, Any] = {CHUNK: chunk, _SCORE: score, _YHAT: y_hat}
    if calibration is not None:
        columns[_P] = calibrated(score, calibration)
    if target is not None:
        y = number(t[target])
        columns[_Y] = ibis.ifelse(missing(y), ibis.null("int64"), y.cast("int64"))
    return t.select(**columns)


def checks(
    t: ir.Table,
    chunk: ir.Value,
    *,
    proba: str,
    prediction: str | None,
    target: str | None,
) -> ir.Table:
    """Per chunk: rows, and the values that break the rules of the score, class and label."""
    score = number(t[proba])
    aggs: dict[str, Any] = {
        "n": t.count(),
        "proba_missing": missing(score).sum(),
        "proba_min": score.min(),
        "proba_max": score.max(),
    }
    if prediction is not None:
        p = number(t[prediction])
        aggs["prediction_missing"] = missing(p).sum()
        aggs["prediction_bad"] = ((~missing(p)) & (p != 0.0) & (p != 1.0)).sum()
    if target is not None:
        y = number(t[target])
        aggs["target_bad"] = ((~missing(y)) & (y != 0.0) & (y != 1.0)).sum()
        aggs["target_missing"] = missing(y).sum()
    return t.group_by(chunk.name(CHUNK)).aggregate(**aggs)


def sums(rows: ir.Table, *, labels: bool) -> ir.Table:
    """Per chunk: rows per predicted class, sum(p) and sum(p(1 - p)) per predicted class,
    and the realised confusion counts where labels are."""
    p, y_hat = rows[_P], rows[_YHAT]
    neg, pos = y_hat == 0, y_hat == 1
    aggs: dict[str, Any] = {
        "n0": neg.sum(),
        "n1": pos.sum(),
        "fn": p.sum(where=neg),
        "tp": p.sum(where=pos),
        "v0": (p * (1.0 - p)).sum(where=neg),
        "v1": (p * (1.0 - p)).sum(where=pos),
    }
    if labels:
        y = rows[_Y]
        for name, (truth, guess) in {
            "l_tn": (0, 0),
            "l_fp": (0, 1),
            "l_fn": (1, 0),
            "l_tp": (1, 1),
        }.items():
            aggs[name] = ((y == truth) & (y_hat == guess)).sum()
    return rows.group_by(CHUNK).aggregate(**aggs)


def roc_area(
    rows: ir.Table,
    *,
    expected: bool,
    realised: bool,
    binned: bool = False,
) -> ir.Table:
    """Per chunk: the Mann-Whitney area and the total positive and negative weights, of the
    expected ROC curve (``e_``: each row weighs p as a positive and 1 - p as a negative)
    and of the realised one (``r_``: its label; rows without one add nothing). One sort of
    the chunk's distinct scores (with ``binned``, of its score cells) serves both.
    AUC = area / (positives x negatives).
    """
    import ibis

    weights: dict[str, Any] = {}
    if expected:
        weights["e_"] = rows[_P]
    if realised:
        weights["r_"] = rows[_Y].cast("float64")  # NULL without a label: left out of sums
    sums: dict[str, Any] = {}
    for prefix, w in weights.items():
        sums[f"{prefix}pos"] = w.sum()
        sums[f"{prefix}neg"] = (1.0 - w).sum()
    key = score_bin(rows[_SCORE]) if binned else rows[_SCORE]
    points = rows.group_by(**{CHUNK: rows[CHUNK], _SCORE: key}).aggregate(**sums)
    window = ibis.window(group_by=points[CHUNK], order_by=ibis.desc(points[_SCORE]), rows=(None, 0))
    points = points.mutate(
        **{f"{prefix}cum": points[f"{prefix}pos"].sum().over(window) for prefix in weights}
    )
    out: dict[str, Any] = {}
    for prefix in weights:
        pos, neg, cum = points[f"{prefix}pos"], points[f"{prefix}neg"], points[f"{prefix}cum"]
        out[f"{prefix}area"] = (neg * (cum - 0.5 * pos)).sum()
        out[f"{prefix}positives"] = pos.sum()
        out[f"{prefix}negatives"] = neg.sum()
    return points.group_by(CHUNK).aggregate(**out)


def numeric_bins(t: ir.Table, chunk: ir.Value, summary: ColumnSummary, *, grid: bool) -> ir.Table:
    """Rows per chunk, doane bin (then outside, then missing) and, with ``grid``, quantile-grid
    bin, with the distances beyond the grid's ends (see :mod:`bizml_nb.monitor.histograms`)."""
    import ibis

    x = number(t[summary.name])
    edges = summary.edges
    lo, hi, nb = float(edges[0]), float(edges[-1]), len(edges) - 1
    scale = float(nb / (hi - lo))
    slot = ibis.least(((x - lo) * scale + 1.0).floor().cast("int64"), nb) - 1
    is_missing = missing(x)
    b = ibis.cases(
        (is_missing, nb + 1),
        ((x < lo) | (x > hi), nb),
        else_=slot,
    )
    keys: dict[str, Any] = {CHUNK: chunk, "bin": b}
    aggs: dict[str, Any] = {"n": t.count()}
    if grid:
        g = summary.grid
        keys["grid"] = ibis.ifelse(is_missing, len(g) + 1, rank_below(x, g))
        aggs["below"] = (float(g[0]) - x).sum(where=x < float(g[0]))
        aggs["above"] = (x - float(g[-1])).sum(where=x > float(g[-1]))
    return t.group_by(**keys).aggregate(**aggs)


def category_counts(t: ir.Table, chunk: ir.Value, name: str) -> ir.Table:
    return t.group_by(**{CHUNK: chunk, "value": t[name]}).aggregate(n=t.count())


def moments(t: ir.Table, names: Sequence[str]) -> ir.Table:
    """Per numeric column: values, sum, min, max and infinite values (one row)."""
    aggs: dict[str, Any] = {}
    for i, name in enumerate(names):
        x = number(t[name])
        ok = ~missing(x)
        aggs[f"n{i}"] = ok.sum()
        aggs[f"sum{i}"] = x.sum(where=ok)
        aggs[f"min{i}"] = x.min(where=ok)
        aggs[f"max{i}"] = x.max(where=ok)
        aggs[f"inf{i}"] = (ok & ((x == float("inf")) | (x == float("-inf")))).sum()
    return t.aggregate(**aggs)


def central(t: ir.Table, means: Mapping[str, float]) -> ir.Table:
    """Per numeric column: sums of squared and cubed deviations from its mean (one row)."""
    aggs: dict[str, Any] = {}
    for i, (name, mean) in enumerate(means.items()):
        x = number(t[name])
        d = x - float(mean)
        ok = ~missing(x)
        aggs[f"m2_{i}"] = (d * d).sum(where=ok)
        aggs[f"m3_{i}"] = (d * d * d).sum(where=ok)
    return t.aggregate(**aggs)


def quantiles(t: ir.Table, name: str, levels: Sequence[float]) -> ir.Table:
    x = number(t[name])
    return t.filter(~missing(x)).aggregate(q=x.quantile(list(levels)))


def pairs(
    t: ir.Table,
    proba: str,
    target: str,
    *,
    fraction: float | None,
    seed: int,
    order: Sequence[str],
) -> ir.Table:
    """The (score, label) pairs the calibration map is fitted on, in the rows' order (by
    ``order``; else by score and label); a seeded sample if ``fraction`` is given."""
    rows = t.select(
        s=number(t[proba]),
        y=number(t[target]).cast("int64"),
        **{f"bizml_order{i}": t[c] for i, c in enumerate(order)},
    )
    if fraction is not None:
        rows = rows.sample(fraction, seed=seed)
    keys = [f"bizml_order{i}" for i in range(len(order))] or ["s", "y"]
    return rows.order_by(keys).select("s", "y")
