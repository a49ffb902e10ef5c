"""Checks of what a user passes to the monitor: frames, column names, classes, options.

Each check raises one :class:`~bizml_nb.monitor.constants.MonitorError` naming the
column or option at fault, or returns the values as NumPy arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import did_you_mean
from bizml_nb.monitor.constants import FIXED_THRESHOLDS, METHODS, Kind, MonitorError, Thresholds

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from bizml_nb.monitor.constants import FloatArray, IntArray


def frame(df: Any, what: str) -> pd.DataFrame:
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise MonitorError(f"{what} must be a pandas DataFrame (not {type(df).__name__})")
    return df


def names(given: Any, what: str) -> tuple[str, ...]:
    if isinstance(given, str):
        raise MonitorError(f"{what} must be a list of column names (not the string {given!r})")
    result = tuple(str(n) for n in given)
    seen: set[str] = set()
    for name in result:
        if name in seen:
            raise MonitorError(f"{what} names {name!r} twice")
        seen.add(name)
    return result


def require_columns(data: pd.DataFrame, wanted: Sequence[str], what: str) -> None:
    present = [str(c) for c in data.columns]
    missing = [n for n in wanted if n not in data.columns]
    if missing:
        quoted = ", ".join(repr(m) for m in missing)
        raise MonitorError(
            f"{what} lacks the column{'s' if len(missing) > 1 else ''} {quoted}"
            f"{did_you_mean(missing[0], present)}"
        )


def numbers(series: pd.Series[Any], name: str) -> FloatArray:
    import numpy as np
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype) or series.dtype == object:
        try:
            return np.asarray(pd.to_numeric(series), dtype=np.float64)
        except (TypeError, ValueError):
            raise MonitorError(f"column {name!r} must hold numbers") from None
    try:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise MonitorError(
            f"column {name!r} must hold numbers (its dtype is {series.dtype})"
        ) from None


def probabilities(series: pd.Series[Any], name: str) -> FloatArray:
    import numpy as np

    values = numbers(series, name)
    bad = np.isnan(values)
    if bad.any():
        raise MonitorError(
            f"the probability column {name!r} has {int(bad.sum()):,} missing values "
            f"(first at row {int(np.argmax(bad))}); every prediction needs its probability"
        )
    low, high = float(values.min()), float(values.max())
    if low < 0.0 or high > 1.0:
        which = low if low < 0.0 else high
        raise MonitorError(
            f"the probability column {name!r} holds {which!r}, outside [0, 1]; pass the "
            "model's probability of class 1 (e.g. predict_proba(X)[:, 1]), not a score or logit"
        )
    return values


def binary(series: pd.Series[Any], name: str, what: str, *, allow_missing: bool) -> IntArray:
    """0/1 (or bool) values as intp; -1 where missing (when allowed)."""
    import numpy as np

    values = numbers(series, name)
    missing = np.isnan(values)
    if missing.any() and not allow_missing:
        raise MonitorError(
            f"the {what} column {name!r} has {int(missing.sum()):,} missing values "
            f"(first at row {int(np.argmax(missing))})"
        )
    ok = missing | (values == 0.0) | (values == 1.0)
    if not ok.all():
        bad = values[~ok][0]
        raise MonitorError(
            f"the {what} column {name!r} must hold the classes 0 and 1 (or False and True); "
            f"it holds {bad!r}"
        )
    return np.where(missing, -1.0, values).astype(np.intp)


def predictions(
    data: pd.DataFrame, prediction: str | None, scores: FloatArray, threshold: float
) -> IntArray:
    import numpy as np

    if prediction is None:
        return (scores >= threshold).astype(np.intp)
    return binary(data[prediction], prediction, "prediction", allow_missing=False)


def labels(series: pd.Series[Any], name: str, *, allow_missing: bool) -> IntArray:
    return binary(series, name, "target", allow_missing=allow_missing)


def kind(series: pd.Series[Any], categorical: bool) -> Kind:
    import pandas as pd

    if categorical:
        return "categorical"
    if pd.api.types.is_bool_dtype(series.dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "numeric"
    return "categorical"


def methods(chosen_methods: Sequence[str]) -> tuple[str, ...]:
    if isinstance(chosen_methods, str):
        chosen_methods = (chosen_methods,)
    chosen = tuple(chosen_methods)
    if not chosen:
        raise MonitorError(f"methods is empty; choose from {', '.join(METHODS)}")
    for method in chosen:
        if method not in METHODS:
            raise MonitorError(
                f"unknown drift method {method!r}{did_you_mean(method, METHODS)}; "
                f"known: {', '.join(METHODS)}"
            )
    return tuple(dict.fromkeys(chosen))


def thresholds(given: Thresholds | Mapping[str, float]) -> dict[str, float] | None:
    """None for ``"std"`` (thresholds from the reference chunks), else one per method."""
    if given == "std":
        return None
    if given == "fixed":
        return dict(FIXED_THRESHOLDS)
    if isinstance(given, str):
        raise MonitorError(
            f"thresholds must be 'std', 'fixed' or a mapping of method to threshold (not {given!r})"
        )
    limits = dict(FIXED_THRESHOLDS)
    for method, value in given.items():
        if method not in METHODS:
            raise MonitorError(
                f"thresholds names an unknown method {method!r}{did_you_mean(method, METHODS)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise MonitorError(
                f"the threshold of {method} must be a positive number (not {value!r})"
            )
        limits[method] = float(value)
    return limits
