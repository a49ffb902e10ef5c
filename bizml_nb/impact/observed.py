"""What a launched model really did: its realised KPI change, and predicted vs realised.

Every bizml_nb figure is a prediction; this module holds the statistics that check
predictions against what an A/B test or a launch measured. Pure functions of plain
numbers: no ledger, no registry, no display (the observation ledger, its cards and the
``%bizml observed`` / ``%bizml calibration`` magics are built on top of them).

- :func:`daily_difference` (and :func:`from_table` for a DataFrame or CSV of
  ``date, control, treatment``): the realised change from one KPI figure per arm per
  day, the mean of the daily differences with a Student-t interval;
- :func:`se_from_interval`: the standard error behind a reported normal interval;
- :func:`calibration`: over many runs, the share of realised changes inside their
  predicted range, and the *haircut* (realised / predicted) to apply to new predictions.

The shrinkage of many observed effects and the winner's curse are in
:mod:`bizml_nb.impact.shrinkage`. Why check at all: Booking.com found that gains in
offline model performance did not translate into business gains (Bernardi et al.,
"150 Successful Machine Learning Models", KDD 2019).

>>> r = daily_difference(["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"],
...                      [0.110, 0.112, 0.111, 0.113], [0.112, 0.113, 0.114, 0.115])
>>> round(r.estimate, 6), r.n_days
(0.002, 4)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import InvalidArguments, InvalidValue

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    Floats = npt.NDArray[np.float64]

LEVEL = 0.90  # the level of every interval unless said otherwise
MIN_DAYS = 2  # a standard deviation of the daily differences needs two days
MIN_POINTS = 2  # the haircut's standard error needs one residual degree of freedom
TABLE_COLUMNS = ("date", "control", "treatment")


@dataclass(frozen=True)
class DailyDifference:
    """The realised KPI change from daily control/treatment figures, with its interval.

    ``estimate`` is the mean of the daily differences (treatment - control), in the
    KPI's own unit; ``[low, high]`` its Student-t interval at ``level``; ``sd`` the
    standard deviation of the daily differences and ``se = sd / sqrt(n_days)``.
    ``first_day`` and ``last_day`` are the earliest and latest day as given (ISO
    dates when they are dates). ``method`` says how, in words a card can print.
    """

    estimate: float
    low: float
    high: float
    level: float
    n_days: int
    sd: float
    se: float
    first_day: str
    last_day: str
    method: str


@dataclass(frozen=True)
class Calibration:
    """Predicted against realised changes over ``n`` runs.

    - ``coverage``: the share of realised changes inside their predicted range
      (``inside`` of ``n``), ``[coverage_low, coverage_high]`` its Wilson interval at
      ``level``; it should be near ``range_level`` (the predicted ranges' own level).
    - ``haircut``: the least-squares slope of realised on predicted through the origin,
      ``sum(p * r) / sum(p^2)``; ``[haircut_low, haircut_high]`` its Student-t interval
      at ``level`` (n - 1 degrees of freedom) from ``haircut_se``. Multiply a new
      prediction by it to get what the team's launches have realised per unit predicted.
    """

    n: int
    inside: int
    coverage: float
    coverage_low: float
    coverage_high: float
    range_level: float
    haircut: float
    haircut_se: float
    haircut_low: float
    haircut_high: float
    level: float
    method: str


def daily_difference(
    days: Iterable[Any], control: Any, treatment: Any, *, level: float = LEVEL
) -> DailyDifference:
    """The realised KPI change from one figure per arm per day (e.g. daily take-rate).

    Method: d_t = treatment_t - control_t for each of the n days; the estimate is the
    mean of d, its interval ``mean +- t_{n-1, (1+level)/2} * sd(d) / sqrt(n)`` (Student's
    t with n - 1 degrees of freedom, sd with the n - 1 divisor). Pairing by day removes
    what moves both arms alike (weekday, season, outages).

    Assumptions: the daily differences are independent draws around one true change
    (no trend over the test, no day-to-day autocorrelation, no novelty effect), and
    each day counts the same whatever its traffic. Days with equal differences give an
    interval of zero width.

    Raises :class:`~bizml_nb.core.errors.InvalidValue` (a ``ValueError``) for fewer
    than 2 days, a missing or non-finite figure, a day given twice or a level outside
    (0, 1); :class:`~bizml_nb.core.errors.InvalidArguments` when the three lengths differ.
    """
    from scipy import special

    check_level(level)
    labels = _day_labels(days)
    arm_c, arm_t = _array("control", control), _array("treatment", treatment)
    if not len(labels) == len(arm_c) == len(arm_t):
        raise InvalidArguments(
            "{days}, {control} and {treatment} need one entry per day; got "
            f"{len(labels)} days, {len(arm_c)} control and {len(arm_t)} treatment figures",
            "days",
            "control",
            "treatment",
        )
    n = len(labels)
    if n < MIN_DAYS:
        raise InvalidValue(
            "days",
            f"holds {n} day{'' if n == 1 else 's'}; the difference and its interval need "
            f"at least {MIN_DAYS} days of control and treatment figures",
        )
    _finite("control", arm_c, [f"on day {label}" for label in labels])
    _finite("treatment", arm_t, [f"on day {label}" for label in labels])
    diffs = arm_t - arm_c
    mean = float(diffs.mean())
    sd = float(diffs.std(ddof=1))
    se = sd / math.sqrt(n)
    q = float(special.stdtrit(n - 1, 0.5 + level / 2))  # Student's t quantile
    ordered = sorted(labels)
    method = (
        f"mean of {n} daily differences (treatment - control); {percent(level)} Student-t "
        f"interval with {_freedom(n - 1)}; assumes the daily differences are "
        "independent around one true change (no trend, no day-to-day correlation) and "
        "weighs every day the same"
    )
    return DailyDifference(
        estimate=mean,
        low=mean - q * se,
        high=mean + q * se,
        level=level,
        n_days=n,
        sd=sd,
        se=se,
        first_day=ordered[0],
        last_day=ordered[-1],
        method=method,
    )


def from_table(table: pd.DataFrame | str | Path, *, level: float = LEVEL) -> DailyDifference:
    """:func:`daily_difference` from a DataFrame or CSV file with columns date, control, treatment.

    One row per day; other columns are ignored. A missing column, an unreadable file
    or a cell that is not a number is named in an
    :class:`~bizml_nb.core.errors.InvalidValue` (keyword ``table``).
    """
    import pandas as pd

    if isinstance(table, str | Path):
        path = Path(table)
        try:
            frame = pd.read_csv(path, skipinitialspace=True)
        except FileNotFoundError:
            raise InvalidValue("table", f"{path} does not exist; give the CSV's path") from None
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise InvalidValue("table", f"{path} cannot be read as CSV ({exc})") from None
        where = f"{path} "
    elif isinstance(table, pd.DataFrame):
        frame, where = table, ""
    else:
        raise InvalidValue(
            "table",
            f"must be a pandas DataFrame or the path of a CSV file (not {type(table).__name__})",
        )
    missing = [column for column in TABLE_COLUMNS if column not in frame.columns]
    if missing:
        has = ", ".join(map(str, frame.columns)) or "no columns"
        raise InvalidValue(
            "table",
            f"{where}needs the columns date, control and treatment (one row per day); "
            f"missing {', '.join(missing)} (it has {has})",
        )
    days = list(frame["date"])
    arms = {}
    for column in ("control", "treatment"):
        values = pd.to_numeric(frame[column], errors="coerce")
        wrong = values.isna() & frame[column].notna()
        if wrong.any():
            row = int(wrong.to_numpy().nonzero()[0][0])
            raise InvalidValue(
                "table",
                f"{where}column {column} holds {frame[column].iloc[row]!r} in row "
                f"{row + 1} (day {_day_label(days[row])}), not a number",
            )
        arms[column] = values.to_numpy(dtype=float)
    return daily_difference(days, arms["control"], arms["treatment"], level=level)


def se_from_interval(low: float, high: float, level: float = LEVEL) -> float:
    """The standard error behind a symmetric normal interval: (high - low) / (2 z).

    z is the standard normal quantile at (1 + level) / 2 (1.6449 for 90%). Assumes the
    interval was estimate +- z * se. A Student-t interval from few days is wider than
    the normal one, so the se read from it comes out a little large: the cautious side.

    >>> round(se_from_interval(0.0008, 0.0034), 7)
    0.0007903
    """
    from statistics import NormalDist

    check_level(level)
    for keyword, value in (("low", low), ("high", high)):
        if not _is_finite(value):
            raise InvalidValue(keyword, f"must be a finite number (not {value!r})")
    if not high > low:
        raise InvalidArguments(
            "{low} must be below {high} "
            f"(got {low!r} and {high!r}); give the interval as low, high",
            "low",
            "high",
        )
    return (float(high) - float(low)) / (2 * NormalDist().inv_cdf(0.5 + level / 2))


def calibration(
    predicted_mid: Any,
    predicted_low: Any,
    predicted_high: Any,
    realised: Any,
    *,
    level: float = LEVEL,
    range_level: float = LEVEL,
) -> Calibration:
    """How well predicted changes matched realised ones, over ``n`` runs.

    Method:

    - coverage = (number of realised r_i with low_i <= r_i <= high_i) / n, with the
      Wilson score interval at ``level`` (Wilson 1927: it stays inside [0, 1] and keeps
      its level near 0 or 1, where the normal interval does not); well calibrated
      ranges give a coverage near ``range_level``;
    - haircut b = sum(p_i r_i) / sum(p_i^2), the least-squares slope of realised on
      predicted mid p through the origin: a mean of the ratios r_i / p_i weighted by
      p_i^2, so a prediction near zero (whose ratio means nothing) weighs almost
      nothing. Its standard error is sqrt(s^2 / sum(p_i^2)) with
      s^2 = sum((r_i - b p_i)^2) / (n - 1), its interval Student's t with n - 1
      degrees of freedom. b = 1: the team realises what it predicts; b = 0.5: half.
      Multiply new predictions by b (the learned haircut).

    Assumptions: the runs are independent; realised changes scatter around b times the
    prediction with one spread whatever the prediction's size (a few large predictions
    dominate the slope). Needs at least 2 runs and a nonzero prediction; every range
    must hold its mid (low <= mid <= high).
    """
    from scipy import special

    check_level(level)
    check_level(range_level, "range_level")
    arrays = {
        "predicted_mid": _array("predicted_mid", predicted_mid),
        "predicted_low": _array("predicted_low", predicted_low),
        "predicted_high": _array("predicted_high", predicted_high),
        "realised": _array("realised", realised),
    }
    lengths = {len(values) for values in arrays.values()}
    if len(lengths) > 1:
        got = ", ".join(f"{len(values)} {name}" for name, values in arrays.items())
        raise InvalidArguments(
            "{predicted_mid}, {predicted_low}, {predicted_high} and {realised} need one "
            f"value per run each; got {got}",
            *arrays,
        )
    for name, values in arrays.items():
        _finite(name, values, [f"for run {i + 1}" for i in range(len(values))])
    p, low, high, r = arrays.values()
    n = len(p)
    if n < MIN_POINTS:
        raise InvalidValue(
            "realised",
            f"holds {n} run{'' if n == 1 else 's'}; calibration needs at least "
            f"{MIN_POINTS} runs with a prediction and an observation",
        )
    for keyword, bad in (("predicted_low", low > p), ("predicted_high", high < p)):
        if bad.any():
            i = int(bad.nonzero()[0][0])
            raise InvalidValue(
                keyword,
                f"of run {i + 1} lies {'above' if keyword == 'predicted_low' else 'below'} "
                f"its mid: range [{low[i]:g}, {high[i]:g}], mid {p[i]:g}; give ranges with "
                "low <= mid <= high",
            )
    spp = float(p @ p)
    if spp == 0:
        raise InvalidValue(
            "predicted_mid",
            "is 0 for every run; a haircut (realised / predicted) needs a nonzero prediction",
        )
    inside = int(((low <= r) & (r <= high)).sum())
    share = inside / n
    z = float(special.ndtri(0.5 + level / 2))
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    slope = float(p @ r) / spp
    residuals = r - slope * p
    se = math.sqrt(float(residuals @ residuals) / (n - 1) / spp)
    q = float(special.stdtrit(n - 1, 0.5 + level / 2))
    method = (
        f"coverage: share of {n} realised changes inside their predicted "
        f"{percent(range_level)} range, {percent(level)} Wilson interval; haircut: least-squares "
        "slope of realised on predicted through the origin, sum(p*r)/sum(p^2) (a mean "
        f"ratio realised/predicted weighted by p^2), {percent(level)} Student-t interval with "
        f"{_freedom(n - 1)}; assumes independent runs with one spread around "
        "haircut x prediction. Multiply new predictions by the haircut"
    )
    return Calibration(
        n=n,
        inside=inside,
        coverage=share,
        coverage_low=max(0.0, centre - half),
        coverage_high=min(1.0, centre + half),
        range_level=range_level,
        haircut=slope,
        haircut_se=se,
        haircut_low=slope - q * se,
        haircut_high=slope + q * se,
        level=level,
        method=method,
    )


def check_level(level: float, keyword: str = "level") -> None:
    """Refuse a confidence level outside (0, 1) (``0.90``, not ``90``)."""
    if not (_is_finite(level) and 0 < level < 1):
        hint = (
            f" (for {level:g}% write {level / 100:g})"
            if _is_finite(level) and 1 < level < 100
            else ""
        )
        raise InvalidValue(
            keyword, f"must lie strictly between 0 and 1, e.g. 0.90 (not {level!r}){hint}"
        )


def finite_values(keyword: str, values: Any, what: str = "item") -> Floats:
    """``values`` as a flat float array, every entry finite, else an InvalidValue naming it."""
    array = _array(keyword, values)
    _finite(keyword, array, [f"for {what} {i + 1}" for i in range(len(array))])
    return array


def percent(level: float) -> str:
    """A level as people write it: ``0.9`` -> ``"90%"``, ``0.975`` -> ``"97.5%"``."""
    return f"{100 * level:.10g}%"


def _freedom(dof: int) -> str:
    return f"{dof} degree{'' if dof == 1 else 's'} of freedom"


def _is_finite(value: Any) -> bool:
    """A real number (numpy's too), not a bool, and finite."""
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _array(keyword: str, values: Any) -> Floats:
    import numpy as np

    if isinstance(values, str | bytes):
        raise InvalidValue(keyword, f"must be a list of numbers, not the text {values!r}")
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InvalidValue(keyword, f"must be a list of numbers (got {values!r:.60})") from None
    if array.ndim != 1:
        shape = "a single number" if array.ndim == 0 else f"an array of shape {array.shape}"
        raise InvalidValue(keyword, f"must be a flat list of numbers (got {shape})")
    return array


def _finite(keyword: str, array: Floats, where: list[str]) -> None:
    import numpy as np

    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        i = int(bad[0])
        raise InvalidValue(
            keyword,
            f"{where[i]} is {array[i]}, not a finite number; fill in or drop that entry",
        )


def _day_labels(days: Iterable[Any]) -> list[str]:
    """Each day as text (an ISO date for a date), refusing a blank or repeated day."""
    if isinstance(days, str | bytes):
        raise InvalidValue("days", f"must be a list of days, not the text {days!r}")
    try:
        given = list(days)
    except TypeError:
        raise InvalidValue("days", f"must be a list of days (not {days!r:.60})") from None
    labels: list[str] = []
    seen: dict[str, int] = {}
    for i, day in enumerate(given):
        label = _day_label(day)
        if not label:
            raise InvalidValue(
                "days", f"has no day at position {i + 1} ({day!r}); give every row its date"
            )
        if label in seen:
            raise InvalidValue(
                "days",
                f"lists {label} twice (positions {seen[label] + 1} and {i + 1}); give one "
                "row per day (add up or average a day's figures first)",
            )
        seen[label] = i
        labels.append(label)
    return labels


def _day_label(day: Any) -> str:
    import numpy as np

    if day is None or str(day) == "NaT" or (isinstance(day, float) and math.isnan(day)):
        return ""
    if isinstance(day, np.datetime64):
        day = day.astype("datetime64[us]").item()
    if isinstance(day, datetime) and day.time() == time(0):  # pandas' Timestamp too
        day = day.date()
    if isinstance(day, date):  # a datetime with a time of day too
        return day.isoformat()
    text = str(day).strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return text
