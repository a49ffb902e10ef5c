"""Evidence for a link: fit the elasticity from past experiments, and grade it.

The history is a table of past experiments that have both an offline ML delta
and a measured online business delta (columns ``ml_delta``, ``business_delta``,
optional ``weight`` and ``label``). The fit is weighted least squares with an
intercept, ``business_delta = a + b * ml_delta``; the elasticity is the slope b,
with a 90% confidence interval from Student's t with n - 2 degrees of freedom
(the textbook OLS/WLS standard error, as statsmodels reports it). The intercept
is reported but not used for predictions: it is the online change of shipping
anything at all (novelty, seasonality), not an effect of the ML metric.

Grades (Booking.com found offline gains often do not move the business, so the
grade is shown wherever the link is used):

- ``none``: fewer than 3 points, or the 90% interval of the slope contains 0;
- ``strong``: n >= 8, R^2 >= 0.5 and the slope's two-sided p-value (Student's t,
  n - 2 degrees of freedom) below 0.005, i.e. its 99.5% interval excludes 0;
- ``weak``: every other fit whose 90% interval excludes 0.

Why p < 0.005 for ``strong``: a grade must not call noise strong. When the ML metric
does not move the business at all (a true slope of 0, normal errors), the slope's
p-value is uniform, so a fit is graded ``strong`` at most 0.5% of the time at any n,
whatever R^2 adds; 0.005 is the threshold Benjamin et al. ("Redefine statistical
significance", Nature Human Behaviour 2018) propose for claims of new effects. The
earlier rule (the 90% interval excludes 0, n >= 8, R^2 >= 0.5) called pure noise
``strong`` 4.9% of the time at n = 8, where R^2 >= 0.5 is only p < 0.05.
``tests/test_evidence_grades.py`` measures the rate by simulation at n = 5 to 200.

**Observed runs as evidence.** A run with an observation (what its model really did
to the KPI, :class:`~bizml_nb.core.observation.Observation`) is a point too: its ML
delta against its baseline run, and the observed KPI change with its interval. Two
things are computed from such points:

- :func:`observed_weights`: a point's weight in a fit is its inverse variance,
  ``1 / se_i^2`` with ``se_i`` read from its interval as a normal one
  (:func:`~bizml_nb.impact.observed.se_from_interval`), scaled so that the observed
  points' mean weight is 1. A precise launch counts more than a noisy one, and the
  observed points as a whole weigh as many rows of a history table of weight 1, so
  both mix in one fit. Only the ratios of weights matter to the slope; the scale
  matters only against the history's rows.
- :func:`observed_mean`: the elasticity the observed runs imply, the inverse-variance
  weighted mean of the implied elasticities ``r_i = y_i / x_i`` (each with standard
  error ``se_i / |x_i|``), ``b = sum(x_i y_i / se_i^2) / sum(x_i^2 / se_i^2)``: the same
  number as the weighted least-squares slope through the origin. Its standard error
  is the fixed-effect one, ``1 / sqrt(sum(x_i^2 / se_i^2))``, multiplied by
  ``sqrt(Q / (n - 1))`` when that is above 1 (``Q = sum((y_i - b x_i)^2 / se_i^2)``):
  launches that scatter more than their own intervals say widen it (the Birge ratio).
  The interval is normal, ``b +- 1.645 se`` at 90%.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bizml_nb.core.errors import RegistryError

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

Grade = Literal["strong", "weak", "none"]
CONFIDENCE = 0.90
STRONG_MIN_POINTS = 8
MIN_FIT_POINTS = 3  # a slope and its interval need at least one degree of freedom
STRONG_MIN_R2 = 0.5
STRONG_MAX_P = 0.005  # two-sided p-value of the slope; pure noise is strong < 0.5% of the time


@dataclass(frozen=True)
class Fit:
    """A fitted elasticity with its evidence."""

    slope: float
    interval: tuple[float, float]
    intercept: float
    n: int
    r2: float
    grade: Grade
    influence: tuple[tuple[str, float], ...] = ()  # (label, Cook's distance), largest first

    def sentence(self, ml_metric: str, business_metric: str) -> str:
        """The evidence in words, as cards and audits show it."""
        low, high = self.interval
        stats = f"n={self.n}, R^2 {self.r2:.2f}, 90% interval of the slope [{low:.3g}, {high:.3g}]"
        if self.grade == "none":
            return (
                f"past experiments show no reliable relation between {ml_metric} and "
                f"{business_metric} ({stats}); the offline gain may not move the business"
            )
        return f"{self.grade} evidence from past experiments ({stats})"


def fit_history(history: pd.DataFrame | str | Path) -> Fit:
    """Fit the elasticity from a history table or CSV file (see the module docstring)."""
    frame = _read(history)
    return fit_points(
        frame["ml_delta"].to_numpy(dtype=float),
        frame["business_delta"].to_numpy(dtype=float),
        frame["weight"].to_numpy(dtype=float) if "weight" in frame else None,
        [str(v) for v in frame["label"]] if "label" in frame else None,
    )


def fit_points(x: Any, y: Any, weights: Any | None = None, labels: list[str] | None = None) -> Fit:
    """Fit and grade the elasticity from checked arrays of ML and business deltas.

    What :func:`fit_history` does once it has read and checked the table: ``x`` and
    ``y`` are finite, ``weights`` positive (None: all 1), ``labels`` name the rows
    (None: ``row 1``, ``row 2`` ...).
    """
    import numpy as np
    from scipy import special

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if labels is None:
        labels = [f"row {i + 1}" for i in range(len(x))]
    n = len(x)
    if n < 3:
        slope = float(np.sum(w * x * y) / np.sum(w * x * x)) if n and np.any(x) else 0.0
        return Fit(slope, (-math.inf, math.inf), 0.0, n, 0.0, "none")
    sw = np.sqrt(w)
    design = np.column_stack([np.ones(n), x]) * sw[:, None]
    target = y * sw
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    intercept, slope = float(coef[0]), float(coef[1])
    residuals = target - design @ coef
    dof = n - 2
    sigma2 = float(residuals @ residuals) / dof
    xbar = float(np.sum(w * x) / np.sum(w))
    sxx = float(np.sum(w * (x - xbar) ** 2))
    if sxx == 0:
        raise RegistryError("every ml_delta in the history is the same; nothing to fit a slope to")
    se = math.sqrt(sigma2 / sxx)
    t = float(special.stdtrit(dof, 0.5 + CONFIDENCE / 2))  # Student's t quantile
    interval = (slope - t * se, slope + t * se)
    ybar = float(np.sum(w * y) / np.sum(w))
    total = float(np.sum(w * (y - ybar) ** 2))
    r2 = 1 - float(residuals @ residuals) / total if total > 0 else 0.0
    if se > 0:
        p_value = float(2 * special.stdtr(dof, -abs(slope) / se))  # two-sided
    else:  # a perfect fit: no residual at all
        p_value = 0.0 if slope != 0 else 1.0
    grade: Grade
    if interval[0] <= 0 <= interval[1]:
        grade = "none"
    elif n >= STRONG_MIN_POINTS and r2 >= STRONG_MIN_R2 and p_value < STRONG_MAX_P:
        grade = "strong"
    else:
        grade = "weak"
    leverage = w * (1 / np.sum(w) + (x - xbar) ** 2 / sxx)
    with np.errstate(divide="ignore", invalid="ignore"):
        cooks = (residuals**2 / (2 * sigma2)) * leverage / (1 - leverage) ** 2
    order = np.argsort(-np.nan_to_num(cooks, nan=0.0), kind="stable")  # ties: history order
    influence = tuple((labels[i], float(cooks[i])) for i in order[: min(5, n)])
    return Fit(slope, interval, intercept, n, max(r2, 0.0), grade, influence)


def read_history(history: pd.DataFrame | str | Path) -> pd.DataFrame:
    """A history table or CSV file, read and checked (the columns and values a fit needs)."""
    return _read(history)


def _read(history: pd.DataFrame | str | Path) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    if isinstance(history, str | Path):
        path = Path(history)
        try:
            frame = pd.read_csv(path)
        except FileNotFoundError:
            raise RegistryError(f"history file {path} does not exist") from None
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise RegistryError(f"cannot read the history {path}: {exc}") from None
        where = str(path)
    elif isinstance(history, pd.DataFrame):
        frame, where = history, "the history"
    else:
        raise RegistryError(
            f"the history must be a DataFrame or a CSV path (not {type(history).__name__})"
        )
    missing = [c for c in ("ml_delta", "business_delta") if c not in frame]
    if missing:
        raise RegistryError(
            f"{where} needs the columns ml_delta and business_delta; missing {', '.join(missing)}"
            f" (it has {', '.join(map(str, frame.columns)) or 'no columns'})"
        )
    columns = ["ml_delta", "business_delta"] + [c for c in ("weight",) if c in frame]
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(bad.nonzero()[0][0])
            raise RegistryError(
                f"{where}: {column} in row {row + 1} is {frame[column].iloc[row]!r}, "
                "not a finite number"
            )
    if "weight" in frame:
        weights = pd.to_numeric(frame["weight"]).to_numpy(dtype=float)
        if (weights <= 0).any():
            row = int((weights <= 0).nonzero()[0][0])
            raise RegistryError(
                f"{where}: weight in row {row + 1} is {frame['weight'].iloc[row]!r}; "
                "weights must be positive"
            )
    return frame


def _fit_params(fit: Fit, history: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "elasticity": fit.slope,
        "n": fit.n,
        "r2": round(fit.r2, 6),
        "grade": fit.grade,
    }
    if all(math.isfinite(v) for v in fit.interval):
        params["interval"] = (min(fit.interval[0], fit.slope), max(fit.interval[1], fit.slope))
    if history is not None:
        params["history"] = history
    return params


#: Observed runs needed before the audit judges a link by them (as a fit needs).
MIN_OBSERVED = MIN_FIT_POINTS


def observed_weights(ses: Sequence[float]) -> list[float]:
    """Inverse-variance weights ``1 / se^2``, scaled so that their mean is 1.

    >>> observed_weights([1.0, 2.0])  # 1 and 1/4, mean 5/8
    [1.6, 0.4]
    """
    inverse = [1 / (se * se) for se in ses]
    if not inverse:
        return []
    mean = sum(inverse) / len(inverse)
    return [w / mean for w in inverse]


@dataclass(frozen=True)
class ObservedMean:
    """The elasticity observed runs imply (see the module docstring for the method).

    ``scale`` is the factor the fixed-effect standard error was widened by (1 when the
    runs scatter no more than their intervals say).
    """

    mean: float
    se: float
    interval: tuple[float, float]
    n: int
    scale: float
    level: float = CONFIDENCE

    def disagrees_with(self, link_elasticity: float, link_interval: tuple[float, float]) -> bool:
        """Whether a link's elasticity is contradicted: the observed mean outside its
        interval, or, for a link with no interval (a point), the elasticity outside the
        observed interval."""
        low, high = link_interval
        if low == high:
            return not self.interval[0] <= link_elasticity <= self.interval[1]
        return not low <= self.mean <= high


def observed_mean(
    ml_deltas: Sequence[float], kpi_deltas: Sequence[float], ses: Sequence[float]
) -> ObservedMean:
    """The inverse-variance weighted mean of ``kpi_delta / ml_delta`` with its 90% interval.

    Each ``ml_delta`` must be nonzero and each ``se`` positive.

    >>> m = observed_mean([1.0, 2.0], [1.0, 2.0], [1.0, 1.0])
    >>> m.mean, round(m.se, 6), m.scale
    (1.0, 0.447214, 1.0)
    """
    from statistics import NormalDist

    n = len(ml_deltas)
    if n == 0:
        raise ValueError("no observed runs")
    information = sum(x * x / (se * se) for x, se in zip(ml_deltas, ses, strict=True))
    mean = (
        sum(x * y / (se * se) for x, y, se in zip(ml_deltas, kpi_deltas, ses, strict=True))
        / information
    )
    scale = 1.0
    if n > 1:
        q = sum(
            (y - mean * x) ** 2 / (se * se)
            for x, y, se in zip(ml_deltas, kpi_deltas, ses, strict=True)
        )
        scale = max(1.0, math.sqrt(q / (n - 1)))
    se_mean = scale / math.sqrt(information)
    z = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
    return ObservedMean(mean, se_mean, (mean - z * se_mean, mean + z * se_mean), n, scale)


def fit_params(fit: Fit, history: str | None, observed: int | None = None) -> dict[str, Any]:
    """The parameters a fitted link stores in bizml.toml; ``observed``: how many of its
    points were observed runs (the key is written only for a fit that used some)."""
    params = _fit_params(fit, history)
    if observed:
        params["observed"] = observed
    return params
