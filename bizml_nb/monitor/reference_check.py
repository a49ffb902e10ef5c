"""The checks a saved monitor reference passes before it is used.

A reference file (:meth:`bizml_nb.monitor.Reference.save`) holds counts, histograms
and rates that the monitor divides by, sums and prices. Each is checked here, with
the same general limits as run records (:func:`bizml_nb.core.schema.plain`: nesting,
finite numbers, integer lengths, real text), and against the others: counts are
whole numbers that are not negative, the chunks and the confusion matrix add up to
the reference's rows, rates lie in [0, 1], histogram edges increase, and there is
one summary per feature plus the probability and prediction columns. A reference
that breaks a rule is refused with a message naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bizml_nb.core.schema import NAME_CHARS, Invalid, number, plain, show, text

MAX_ROWS = 10**15
MAX_VALUES = 10_000_000  # entries of one list (a histogram, a grid, the calibration map)
KINDS = ("numeric", "categorical")
ROLES = ("feature", "proba", "prediction")


def check_reference(
    record: Mapping[str, Any],
    *,
    metrics: tuple[str, ...],
    methods: tuple[str, ...],
    max_categories: int,
) -> None:
    """Raise :class:`~bizml_nb.core.schema.Invalid` naming the first field that breaks a rule.

    ``record`` is a reference's data with a known format and version; ``metrics``,
    ``methods`` and ``max_categories`` are the monitor's.
    """
    plain(record, "", items=MAX_VALUES)
    rows = whole(_get(record, "rows"), "rows", low=2, high=MAX_ROWS)
    features = _names(_get(record, "features"), "features")
    proba = text(_get(record, "proba"), "proba", limit=NAME_CHARS, empty=False)
    text(_get(record, "target"), "target", limit=NAME_CHARS, empty=False)
    prediction = _get(record, "prediction")
    if prediction is not None:
        text(prediction, "prediction", limit=NAME_CHARS, empty=False)
    threshold = number(_get(record, "threshold"), "threshold", low=0.0, high=1.0)
    if threshold in (0.0, 1.0):
        raise Invalid("threshold", f"threshold is {threshold:g}; it must lie strictly in (0, 1)")
    _confusion(_get(record, "confusion"), rows)
    sizes = _list(_get(record, "chunk_sizes"), "chunk_sizes")
    chunks = [whole(s, f"chunk_sizes[{i}]", low=1, high=MAX_ROWS) for i, s in enumerate(sizes)]
    if len(chunks) < 2 or sum(chunks) != rows:
        raise Invalid(
            "chunk_sizes",
            f"chunk_sizes holds {len(chunks)} chunks of {sum(chunks):,} rows in all; a "
            f"reference has at least 2 chunks adding up to its {rows:,} rows",
        )
    _rates(_get(record, "metrics"), "metrics", metrics, None)
    _rates(_get(record, "chunk_metrics"), "chunk_metrics", metrics, len(chunks))
    _calibration(_get(record, "calibration"))
    columns = _list(_get(record, "columns"), "columns")
    for index, column in enumerate(columns):
        _column(
            column,
            f"columns[{index}]",
            rows=rows,
            chunks=len(chunks),
            methods=methods,
            most=max_categories,
        )
    _column_set(columns, features, proba)


def whole(value: Any, field: str, *, low: int, high: int) -> int:
    """A whole number in [low, high] (booleans and floats are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(
            field, f"{field} is {show(value)}; it must be a whole number from {low:,} to {high:,}"
        )
    return value


def _get(record: Mapping[str, Any], key: str, within: str = "") -> Any:
    """``record[key]``; Invalid naming ``within.key`` when it is missing."""
    field = f"{within}.{key}" if within else key
    if key not in record:
        raise Invalid(field, f"{field} is missing")
    return record[key]


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise Invalid(field, f"{field} is {show(value)}; it must be a list")
    return value


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Invalid(field, f"{field} is {show(value)}; it must be a mapping")
    return value


def _names(value: Any, field: str) -> list[str]:
    names = [
        text(name, f"{field}[{i}]", limit=NAME_CHARS, empty=False)
        for i, name in enumerate(_list(value, field))
    ]
    if len(set(names)) != len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise Invalid(field, f"{field} names {twice!r} twice")
    return names


def _share(value: Any, field: str) -> None:
    """A rate in [0, 1], or null where it could not be computed."""
    if value is not None:
        number(value, field, low=0.0, high=1.0)


def _confusion(value: Any, rows: int) -> None:
    cells = _list(
        _get(_mapping(value, "confusion"), "tn_fp_fn_tp", "confusion"), "confusion.tn_fp_fn_tp"
    )
    if len(cells) != 4:
        raise Invalid(
            "confusion.tn_fp_fn_tp",
            f"confusion.tn_fp_fn_tp has {len(cells)} counts; it must have 4 (TN, FP, FN, TP)",
        )
    tn, fp, fn, tp = (
        whole(c, f"confusion.tn_fp_fn_tp[{i}]", low=0, high=MAX_ROWS) for i, c in enumerate(cells)
    )
    if tn + fp + fn + tp != rows:
        raise Invalid(
            "confusion.tn_fp_fn_tp",
            f"confusion.tn_fp_fn_tp adds up to {tn + fp + fn + tp:,} rows, not the "
            f"reference's {rows:,}",
        )
    if tp + fn == 0 or tn + fp == 0:
        raise Invalid(
            "confusion.tn_fp_fn_tp",
            "confusion.tn_fp_fn_tp holds only one class; a reference has both",
        )


def _rates(value: Any, field: str, metrics: tuple[str, ...], chunks: int | None) -> None:
    rates = _mapping(value, field)
    for metric in metrics:
        path = f"{field}.{metric}"
        if metric not in rates:
            raise Invalid(path, f"{path} is missing")
        if chunks is None:
            _share(rates[metric], path)
            continue
        values = _list(rates[metric], path)
        if len(values) != chunks:
            raise Invalid(path, f"{path} has {len(values)} values, not one per chunk ({chunks})")
        for i, item in enumerate(values):
            _share(item, f"{path}[{i}]")


def _calibration(value: Any) -> None:
    calibration = _mapping(value, "calibration")
    isotonic = calibration.get("isotonic", False)
    if not isinstance(isotonic, bool):
        raise Invalid(
            "calibration.isotonic", f"calibration.isotonic is {show(isotonic)}; true or false"
        )
    if not isotonic:
        return
    xs = _list(_get(calibration, "x", "calibration"), "calibration.x")
    ys = _list(_get(calibration, "y", "calibration"), "calibration.y")
    if not xs or len(xs) != len(ys):
        raise Invalid(
            "calibration.x",
            f"calibration.x and .y hold {len(xs)} and {len(ys)} points; the map needs one y "
            "per x, and at least one",
        )
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        number(x, f"calibration.x[{i}]", low=0.0, high=1.0)
        number(y, f"calibration.y[{i}]", low=0.0, high=1.0)
        if i and (x < xs[i - 1] or y < ys[i - 1]):
            raise Invalid(
                f"calibration.x[{i}]",
                f"calibration.x[{i}] or .y[{i}] is below the point before it; the map increases",
            )


def _increasing(value: Any, field: str, *, least: int) -> list[float]:
    values = [
        number(v, f"{field}[{i}]", low=-1e300, high=1e300)
        for i, v in enumerate(_list(value, field))
    ]
    if len(values) < least:
        raise Invalid(field, f"{field} holds {len(values)} values; at least {least} are needed")
    for i in range(1, len(values)):
        if values[i] <= values[i - 1]:
            raise Invalid(f"{field}[{i}]", f"{field}[{i}] is not above the value before it")
    return values


def _counts(value: Any, field: str, size: int, most: int) -> int:
    """A histogram of ``size`` bins of non-negative whole counts adding up to 1..most."""
    counts = _list(value, field)
    if len(counts) != size:
        raise Invalid(field, f"{field} holds {len(counts)} counts; it must hold {size}")
    total = sum(whole(c, f"{field}[{i}]", low=0, high=MAX_ROWS) for i, c in enumerate(counts))
    if not 0 < total <= most:
        raise Invalid(field, f"{field} adds up to {total:,}; it must count from 1 to {most:,} rows")
    return total


def _column(
    value: Any, field: str, *, rows: int, chunks: int, methods: tuple[str, ...], most: int
) -> None:
    """One column summary; ``most`` is the number of categories a column may have."""
    column = _mapping(value, field)
    text(_get(column, "name", field), f"{field}.name", limit=NAME_CHARS, empty=False)
    kind, role = column.get("kind"), column.get("role")
    if (
        kind not in KINDS
        or role not in ROLES
        or (role == "proba" and kind != "numeric")
        or (role == "prediction" and kind != "categorical")
    ):
        raise Invalid(
            f"{field}.kind",
            f"{field} has kind {show(kind)} and role {show(role)}; a feature is numeric or "
            "categorical, the probability numeric and the prediction categorical",
        )
    whole(_get(column, "rows", field), f"{field}.rows", low=rows, high=rows)
    missing = whole(_get(column, "missing", field), f"{field}.missing", low=0, high=rows - 1)
    if kind == "numeric":
        _numeric(column, field, rows=rows, present=rows - missing)
    else:
        categories = _names(_get(column, "categories", field), f"{field}.categories")
        if role == "prediction" and categories != ["0", "1"]:
            raise Invalid(
                f"{field}.categories", f"{field}.categories must be ['0', '1'] for the prediction"
            )
        if len(categories) > most:
            raise Invalid(
                f"{field}.categories",
                f"{field}.categories holds {len(categories):,}; at most {most:,}",
            )
        _counts(_get(column, "counts", field), f"{field}.counts", len(categories), rows - missing)
    stats = _mapping(column.get("chunk_stats", {}), f"{field}.chunk_stats")
    for method, values in stats.items():
        path = f"{field}.chunk_stats.{method}"
        if method not in methods:
            raise Invalid(path, f"{path}: {method!r} is not a drift method ({', '.join(methods)})")
        if len(_list(values, path)) != chunks:
            raise Invalid(path, f"{path} has {len(values)} values, not one per chunk ({chunks})")
        for i, item in enumerate(values):
            if item is not None:
                number(item, f"{path}[{i}]", low=0.0, high=1e300)


def _numeric(column: Mapping[str, Any], field: str, *, rows: int, present: int) -> None:
    """A numeric column's histogram, quantile grid and moments."""
    edges = _increasing(_get(column, "edges", field), f"{field}.edges", least=2)
    _counts(_get(column, "counts", field), f"{field}.counts", len(edges) - 1, present)
    grid = _increasing(_get(column, "grid", field), f"{field}.grid", least=1)
    _counts(_get(column, "grid_counts", field), f"{field}.grid_counts", len(grid) + 1, rows)
    for key in ("mean", "min", "max"):
        if column.get(key) is not None:
            number(column[key], f"{field}.{key}", low=-1e300, high=1e300)
    if column.get("std") is not None:
        number(column["std"], f"{field}.std", low=0.0, high=1e300)


def _column_set(columns: list[Any], features: list[str], proba: str) -> None:
    names = [column["name"] for column in columns]
    if len(set(names)) != len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise Invalid("columns", f"columns summarise {twice!r} twice")
    roles = [column["role"] for column in columns]
    wanted = dict.fromkeys(features, "feature")
    wanted[proba] = "proba"
    found = {name: role for name, role in zip(names, roles, strict=True) if role != "prediction"}
    if found != wanted or roles.count("prediction") != 1:
        raise Invalid(
            "columns",
            "columns must summarise each feature, the probability column and the "
            f"prediction once each (found {len(found)} of {len(wanted)} and "
            f"{roles.count('prediction')} prediction columns)",
        )
