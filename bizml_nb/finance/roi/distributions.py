"""Uncertain ROI inputs: triangular, uniform and lognormal distributions.

Any input of an :class:`~bizml_nb.finance.roi.Investment` may be one of these (or
anything with ``low``, ``mode``, ``high`` and ``sample``, such as a time-to-deploy
prior from :mod:`bizml_nb.finance.maturity`). A deterministic evaluation takes each at
its mode; :func:`~bizml_nb.finance.roi.simulate` draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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

    def sample(self, rng: np.random.Generator, size: int) -> Array:
        return rng.uniform(self.low_, self.high_, size)

    def __str__(self) -> str:
        return f"uniform({self.low_:g}, {self.high_:g})"


@dataclass(frozen=True)
class Lognormal:
    """A lognormal distribution given by its ``median`` and ``sigma`` (of the log).

    Low and high are its 10th and 90th percentiles; its mode is the median
    (the value a deterministic evaluation uses).
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
        return self.median * math.exp(-1.2815515655446004 * self.sigma)

    def mode(self) -> float:
        return self.median

    def high(self) -> float:
        return self.median * math.exp(1.2815515655446004 * self.sigma)

    def sample(self, rng: np.random.Generator, size: int) -> Array:
        return rng.lognormal(math.log(self.median), self.sigma, size)

    def __str__(self) -> str:
        base = f"lognormal(median {self.median:g}, sigma {self.sigma:g})"
        return f"{base}, {self.label}" if self.label else base


Value = float | Triangular | Uniform | Lognormal


def describe(value: Value) -> str:
    """An input as text: a number, or the distribution."""
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _ends(value: Value) -> tuple[float, float]:
    if isinstance(value, int | float):
        return (float(value), float(value))
    return (value.low(), value.high())


def _mode(value: Value) -> float:
    return float(value) if isinstance(value, int | float) else value.mode()


__all__ = [
    "Distribution",
    "Lognormal",
    "ROIError",
    "Triangular",
    "Uniform",
    "Value",
    "describe",
]
