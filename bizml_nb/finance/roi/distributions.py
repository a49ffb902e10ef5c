"""Uncertain ROI inputs: triangular, uniform and lognormal distributions.

Any input of an :class:`~bizml_nb.finance.roi.Investment` may be one of these (or
anything with ``low``, ``mode``, ``high`` and ``sample``, such as a time-to-deploy
prior from :mod:`bizml_nb.finance.maturity`). A deterministic evaluation takes each at
its ``mode()``: a triangular's most likely value, a uniform's middle, a lognormal's
median (not its most likely value, which lies below the median). :func:`percentile`
gives any input's P10, P90 or other percentile (exact for these three), which the
tornado uses; :func:`~bizml_nb.finance.roi.simulate` draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Protocol

from bizml_nb.core.errors import BizmlError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]


class ROIError(BizmlError):
    """An ROI input is not valid."""


class Distribution(Protocol):
    """Anything that can say its low, mode and high, and draw samples."""

    def low(self) -> float: ...
    def mode(self) -> float: ...
    def high(self) -> float: ...
    def sample(self, rng: np.random.Generator, size: int) -> Array: ...


@dataclass(frozen=True)
class Triangular:
    """A triangular distribution from ``low`` through ``mode`` to ``high``."""

    low_: float
    mode_: float
    high_: float

    def __post_init__(self) -> None:
        values = (self.low_, self.mode_, self.high_)
        if not all(math.isfinite(v) for v in values):
            raise ROIError(f"a triangular distribution needs finite numbers (got {values})")
        if not self.low_ <= self.mode_ <= self.high_:
            raise ROIError(
                f"a triangular distribution needs low <= mode <= high "
                f"(got {self.low_:g}, {self.mode_:g}, {self.high_:g})"
            )

    @classmethod
    def from_interval(
        cls, low: float, mode: float, high: float, coverage: float = 0.9
    ) -> Triangular:
        """The triangular with this ``mode`` whose central ``coverage`` is [low, high].

        A 90% range (a run's yearly value, say) leaves 5% on each side; taken as
        the hard ends it would cut both tails. Here the ends reach past it so that
        P(X < low) = P(X > high) = (1 - coverage) / 2.

        >>> t = Triangular.from_interval(1.0, 4.0, 7.0)
        >>> round(t.low_, 3), round(t.high_, 3)
        (-0.387, 8.387)
        """
        if not low <= mode <= high:
            raise ROIError(
                f"an interval needs low <= mode <= high (got {low:g}, {mode:g}, {high:g})"
            )
        if not 0 < coverage < 1:
            raise ROIError(f"coverage is a share between 0 and 1 (got {coverage:g})")
        if low == high:
            return cls(low, mode, high)
        from scipy.optimize import fsolve

        tail, width = (1 - coverage) / 2, high - low

        def ends(logs: Array) -> tuple[float, float]:
            return low - width * math.exp(logs[0]), high + width * math.exp(logs[1])

        def residuals(logs: Array) -> list[float]:
            a, b = ends(logs)
            below = (low - a) ** 2 / ((b - a) * (mode - a))
            above = (b - high) ** 2 / ((b - a) * (b - mode))
            return [below - tail, above - tail]

        solution, _info, found, message = fsolve(
            residuals, [math.log(0.3)] * 2, full_output=True, xtol=1e-12
        )
        if found != 1 or max(abs(r) for r in residuals(solution)) > 1e-9:
            raise ROIError(f"no triangular has [{low:g}, {high:g}] as its range: {message}")
        a, b = ends(solution)
        return cls(a, mode, b)

    def low(self) -> float:
        return self.low_

    def mode(self) -> float:
        return self.mode_

    def high(self) -> float:
        return self.high_

    def ppf(self, q: float) -> float:
        """The value below which a share ``q`` of the distribution lies (exact formula).

        >>> Triangular(0.0, 0.0, 10.0).ppf(0.19)  # 10 - sqrt(0.81 x 10 x 10)
        1.0
        """
        a, c, b = self.low_, self.mode_, self.high_
        _check_share(q)
        if a == b:
            return c
        if q * (b - a) <= c - a:  # q at or below F(mode) = (c - a) / (b - a)
            return a + math.sqrt(q * (b - a) * (c - a))
        return b - math.sqrt((1 - q) * (b - a) * (b - c))

    def sample(self, rng: np.random.Generator, size: int) -> Array:
        if self.low_ == self.high_:
            import numpy as np

            return np.full(size, self.mode_)
        return rng.triangular(self.low_, self.mode_, self.high_, size)

    def __str__(self) -> str:
        return f"triangular({self.low_:g}, {self.mode_:g}, {self.high_:g})"


@dataclass(frozen=True)
class Uniform:
    """A uniform distribution between ``low`` and ``high`` (its mode is the middle)."""

    low_: float
    high_: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low_) and math.isfinite(self.high_)) or self.low_ > self.high_:
            raise ROIError(
                f"a uniform distribution needs finite low <= high (got {self.low_:g}, {self.high_:g})"
            )

    def low(self) -> float:
        return self.low_

    def mode(self) -> float:
        return (self.low_ + self.high_) / 2

    def high(self) -> float:
        return self.high_

    def ppf(self, q: float) -> float:
        """The value below which a share ``q`` of the distribution lies."""
        _check_share(q)
        return self.low_ + q * (self.high_ - self.low_)

    def sample(self, rng: np.random.Generator, size: int) -> Array:
        return rng.uniform(self.low_, self.high_, size)

    def __str__(self) -> str:
        return f"uniform({self.low_:g}, {self.high_:g})"


@dataclass(frozen=True)
class Lognormal:
    """A lognormal distribution given by its ``median`` and ``sigma`` (of the log).

    Low and high are its 10th and 90th percentiles. ``mode()`` returns the median,
    the value a deterministic evaluation uses; the most likely value is lower,
    ``median x exp(-sigma ** 2)`` (3.2 days for the survey prior, whose median is
    29 days), so text about a deterministic evaluation says "median" for it.
    """

    median: float
    sigma: float
    label: str = ""

    def __post_init__(self) -> None:
        if not (self.median > 0 and self.sigma >= 0 and math.isfinite(self.median * self.sigma)):
            raise ROIError(
                f"a lognormal needs a finite median > 0 and sigma >= 0 "
                f"(got {self.median:g}, {self.sigma:g})"
            )

    def low(self) -> float:
        return self.ppf(0.1)

    def mode(self) -> float:
        return self.median

    def high(self) -> float:
        return self.ppf(0.9)

    def ppf(self, q: float) -> float:
        """The value below which a share ``q`` of the distribution lies."""
        _check_share(q)
        if self.sigma == 0 or q in (0, 1):
            return self.median if self.sigma == 0 else (0.0 if q == 0 else math.inf)
        return self.median * math.exp(self.sigma * NormalDist().inv_cdf(q))

    def sample(self, rng: np.random.Generator, size: int) -> Array:
        return rng.lognormal(math.log(self.median), self.sigma, size)

    def __str__(self) -> str:
        base = f"lognormal(median {self.median:g}, sigma {self.sigma:g})"
        return f"{base}, {self.label}" if self.label else base


Value = float | Triangular | Uniform | Lognormal


def describe(value: Value) -> str:
    """An input as text: a number, or the distribution."""
    return f"{value:g}" if isinstance(value, int | float) else str(value)


PERCENTILE_DRAWS = 200_000  # draws behind the percentile of a distribution without ppf()
PERCENTILE_SEED = 20_261_203


def percentile(value: Value, q: float) -> float:
    """The value of an input below which a share ``q`` (0.1 for P10) of it lies.

    A number is its own percentile; a distribution with ``ppf(q)`` (all three here)
    gives it exactly; any other distribution is estimated from
    :data:`PERCENTILE_DRAWS` seeded draws of its ``sample``.

    >>> percentile(Uniform(0.0, 50.0), 0.9)
    45.0
    """
    _check_share(q)
    if isinstance(value, int | float):
        return float(value)
    ppf = getattr(value, "ppf", None)
    if callable(ppf):
        return float(ppf(q))
    import numpy as np

    draws = value.sample(np.random.default_rng(PERCENTILE_SEED), PERCENTILE_DRAWS)
    return float(np.quantile(draws, q))


def _check_share(q: float) -> None:
    if not 0 <= q <= 1:
        raise ROIError(f"a percentile is a share between 0 and 1 (got {q!r})")


def _ends(value: Value) -> tuple[float, float]:
    if isinstance(value, int | float):
        return (float(value), float(value))
    return (value.low(), value.high())


def _mode(value: Value) -> float:
    return float(value) if isinstance(value, int | float) else value.mode()


__all__ = [
    "PERCENTILE_DRAWS",
    "PERCENTILE_SEED",
    "Distribution",
    "Lognormal",
    "ROIError",
    "Triangular",
    "Uniform",
    "Value",
    "describe",
    "percentile",
]
