"""Return on an ML project: monthly cash flows, NPV, ROI, payback, IRR, Monte Carlo.

The model, month by month over ``years`` (t = 0 .. 12 * years):

- month 0 carries the one-off costs: data and labelling, engineering
  (``eng_months`` x ``monthly_rate``) and infrastructure set-up;
- the model goes live ``deploy_days`` after the start (30.4375 days a month);
  benefits ramp up linearly over ``ramp_months`` from then on, to
  ``annual_benefit`` / 12 a month; the level in a month is taken at its middle;
- from going live, recurring costs: cloud (``cloud_per_year`` / 12) and
  maintenance (``maintenance_share`` x the engineering cost, per year);
- flows are discounted monthly at (1 + ``discount``) ** (1 / 12) - 1.

NPV is the sum of discounted flows; ROI is NPV over the present value of all
costs; payback is the first month from which the cumulative (undiscounted) net
flow stays at or above zero to the horizon; IRR is the yearly rate that makes
NPV zero (scipy's brentq on the monthly rate).

Any input may be a distribution (:class:`Triangular`, :class:`Lognormal`,
:class:`Uniform`, or a time-to-deploy prior from :mod:`bizml_nb.finance.maturity`);
:func:`simulate` draws all of them at once (vectorised, seeded).

>>> r = evaluate(Investment(annual_benefit=1_200_000, eng_months=6, monthly_rate=15_000,
...                      deploy_days=0, ramp_months=0, years=1, discount=0))
>>> round(r.npv)  # 12 x 100k of benefit - 90k of engineering - 12 x 1.5k of maintenance
1092000
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Protocol

from bizml_nb.core.errors import BizmlError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    from matplotlib.figure import Figure

    Array = npt.NDArray[np.float64]

DAYS_PER_MONTH = 365.25 / 12
DRAWS = 100_000
SEED = 20_261_128


class ROIError(BizmlError):
    """An ROI input is not valid."""


# --------------------------------------------------------------------------- distributions


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


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Investment:
    """The inputs of an ROI evaluation; any field except ``years`` may be a distribution."""

    annual_benefit: Value
    data_cost: Value = 0.0
    eng_months: Value = 6.0
    monthly_rate: Value = 15_000.0
    infra_setup: Value = 0.0
    cloud_per_year: Value = 0.0
    maintenance_share: Value = 0.2
    deploy_days: Value = 90.0
    ramp_months: Value = 3.0
    years: int = 5
    discount: Value = 0.10

    def __post_init__(self) -> None:
        if isinstance(self.years, bool) or not isinstance(self.years, int) or self.years <= 0:
            raise ROIError(
                f"the horizon must be a positive whole number of years (not {self.years!r})"
            )
        if self.years > MAX_YEARS:
            raise ROIError(f"years must be at most {MAX_YEARS} (not {self.years:,})")
        for item in fields(self):
            if item.name == "years":
                continue
            value = getattr(self, item.name)
            if isinstance(value, numbers.Real) and not isinstance(value, bool | int | float):
                value = float(value)  # numpy scalars: plain numbers, not distributions
                object.__setattr__(self, item.name, value)
            is_distribution = all(
                callable(getattr(value, m, None)) for m in ("low", "mode", "high", "sample")
            )
            if isinstance(value, bool) or not (isinstance(value, int | float) or is_distribution):
                raise ROIError(
                    f"{item.name} must be a number or a distribution such as Triangular(low, mode, "
                    f"high) (got {type(value).__name__} {value!r})"
                )
            for end in _ends(value):
                if not math.isfinite(end):
                    raise ROIError(f"{item.name} must be finite (not {end!r})")
            _within_limits(item.name, value)
            if item.name == "discount" and _ends(value)[0] <= -1:
                raise ROIError(
                    f"discount must be above -100% a year (got {_ends(value)[0]:g}); "
                    "0.10 means 10% a year"
                )
            if item.name == "discount" and -self.years * math.log1p(_ends(value)[0]) > math.log(
                MAX_FACTOR
            ):
                raise ROIError(
                    f"discount {_ends(value)[0]!r} over {self.years} years makes the last "
                    f"month's flow worth more than {MAX_FACTOR:g} times its face value (the "
                    "figures would overflow); 0.10 means 10% a year"
                )
            if item.name in _NON_NEGATIVE and _ends(value)[0] < 0:
                raise ROIError(f"{item.name} must not be negative (got {_ends(value)[0]:g})")

    def uncertain(self) -> list[str]:
        """The names of the inputs that are distributions."""
        return [f.name for f in fields(self) if not isinstance(getattr(self, f.name), int | float)]

    def at_mode(self) -> Investment:
        """The same project with every distribution replaced by its mode."""
        modes: dict[str, Any] = {name: _mode(getattr(self, name)) for name in self.uncertain()}
        return replace(self, **modes)


# Bounds that keep every cash flow finite: money within +-1e15, months, days and shares
# within 1e6, at most 100 years, a discount factor of at most 1e200 at the horizon, and
# lognormal inputs with sigma <= 5. The largest flow is then below 1e240.
MONEY_LIMIT = 1e15
OTHER_LIMIT = 1e6
MAX_FACTOR = 1e200
MAX_YEARS = 100
MAX_SIGMA = 5.0
_MONEY = {"annual_benefit", "data_cost", "monthly_rate", "infra_setup", "cloud_per_year"}


def _within_limits(name: str, value: Value) -> None:
    """ROIError naming ``name`` when its ends (or a lognormal's spread) could overflow."""
    limit = MONEY_LIMIT if name in _MONEY else OTHER_LIMIT
    for end in _ends(value):
        if abs(end) > limit:
            raise ROIError(
                f"{name} is {end:g}, beyond the +-{limit:g} the cash flows can hold without "
                "overflowing; give it in larger units"
            )
    sigma = getattr(value, "sigma", None)
    if isinstance(sigma, int | float) and sigma > MAX_SIGMA:
        raise ROIError(
            f"{name} is a lognormal with sigma {sigma:g}; at most {MAX_SIGMA:g} is allowed "
            "(its draws would overflow)"
        )


def _finite_flows(project: Investment, figures: Array) -> None:
    """A last guard: refuse a project whose cash flows overflowed, naming its inputs."""
    import numpy as np

    if bool(np.isfinite(figures).all()):
        return
    largest = sorted(
        (f.name for f in fields(project) if f.name != "years"),
        key=lambda name: -max(abs(e) for e in _ends(getattr(project, name))),
    )
    raise ROIError(
        "the cash flows overflow (a number beyond 1.8e308); check the largest inputs: "
        + ", ".join(largest[:3])
    )


_NON_NEGATIVE = {
    "data_cost",
    "eng_months",
    "monthly_rate",
    "infra_setup",
    "cloud_per_year",
    "maintenance_share",
    "deploy_days",
    "ramp_months",
}


@dataclass(frozen=True)
class Result:
    """A deterministic evaluation: the monthly cash flows and the figures from them."""

    project: Investment
    cashflows: pd.DataFrame
    npv: float
    roi: float  # NPV / present value of the costs (0.5 = 50%)
    payback_month: int | None  # None: not within the horizon
    irr: float | None  # yearly; None when the flows never change sign

    @property
    def payback_text(self) -> str:
        if self.payback_month is None:
            return f"not within {self.project.years} years"
        return f"month {self.payback_month}"


@dataclass(frozen=True)
class Simulation:
    """A Monte Carlo evaluation: NPV and payback across draws of the uncertain inputs."""

    project: Investment
    draws: int
    npv: Array
    payback: Array  # months; nan where not within the horizon
    seed: int = SEED
    uncertain: tuple[str, ...] = field(default=())

    @property
    def p_positive(self) -> float:
        """P(NPV > 0)."""
        return float((self.npv > 0).mean())

    def npv_percentiles(self) -> tuple[float, float, float]:
        """P10, P50 and P90 of the NPV."""
        import numpy as np

        p10, p50, p90 = np.percentile(self.npv, [10, 50, 90])
        return float(p10), float(p50), float(p90)

    def payback_percentiles(self) -> tuple[float | None, float | None, float | None]:
        """P10, P50 and P90 of the payback month (None where that share never pays back)."""
        import numpy as np

        filled = np.where(np.isnan(self.payback), np.inf, self.payback)
        values = np.percentile(filled, [10, 50, 90], method="higher")  # no inf - inf
        return tuple(None if not np.isfinite(v) else float(v) for v in values)  # type: ignore[return-value]


def evaluate(project: Investment) -> Result:
    """The deterministic evaluation of ``project`` (distributions at their mode)."""
    import numpy as np
    import pandas as pd

    p = project.at_mode()
    months = np.arange(12 * p.years + 1)
    flows = _flows(
        {f.name: np.array([float(getattr(p, f.name))]) for f in fields(p) if f.name != "years"},
        p.years,
    )
    benefit, cost, net, factor = (x[0] for x in flows)
    discounted = net * factor
    frame = pd.DataFrame(
        {
            "month": months,
            "benefit": benefit,
            "cost": cost,
            "net": net,
            "discounted": discounted,
            "cumulative": np.cumsum(net),
        }
    )
    npv = float(discounted.sum())
    pv_cost = float((cost * factor).sum())
    _finite_flows(project, np.array([npv, pv_cost, *np.cumsum(net)]))
    roi = npv / pv_cost if pv_cost > 0 else (math.copysign(math.inf, npv) if npv else math.nan)
    payback = _payback(np.cumsum(net)[None, :])[0]
    return Result(
        project,
        frame,
        npv,
        roi,
        None if np.isnan(payback) else int(payback),
        irr(net),
    )


def simulate(project: Investment, *, draws: int = DRAWS, seed: int = SEED) -> Simulation:
    """Monte Carlo over the uncertain inputs: ``draws`` joint draws, seeded, vectorised."""
    import numpy as np

    if draws <= 0:
        raise ROIError("draws must be positive")
    rng = np.random.default_rng(seed)
    inputs: dict[str, Array] = {}
    for item in fields(project):
        if item.name == "years":
            continue
        value = getattr(project, item.name)
        if isinstance(value, int | float):
            inputs[item.name] = np.full(draws, float(value))
        else:
            inputs[item.name] = value.sample(rng, draws)
    _, _, net, factor = _flows(inputs, project.years)
    npv = (net * factor).sum(axis=1)
    _finite_flows(project, npv)
    payback = _payback(np.cumsum(net, axis=1))
    return Simulation(project, draws, npv, payback, seed, tuple(project.uncertain()))


def irr(net: Array) -> float | None:
    """The yearly internal rate of return of monthly flows ``net`` (None without a root)."""
    import numpy as np
    from scipy.optimize import brentq

    months = np.arange(len(net))

    def npv_at(monthly: float) -> float:
        return float(np.sum(net / (1 + monthly) ** months))

    low = -0.99
    try:
        # (1 - 0.99) ** -t overflows past about 13 years of months; inf still has a sign
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            # widen the bracket while the flows turn but the root lies beyond it (tiny
            # costs against a large benefit give monthly rates in the hundreds)
            for high in (10.0, 1e3, 1e6):
                if npv_at(low) * npv_at(high) < 0:
                    break
            else:
                return None  # no sign change, all-zero flows, nan
            monthly = brentq(npv_at, low, high, xtol=1e-12, rtol=1e-12, maxiter=500)
    except (ValueError, OverflowError, FloatingPointError):
        return None
    return float((1 + monthly) ** 12 - 1)


IRR_SHOWN_UP_TO = 10.0  # 1,000% a year: above that the IRR says little; read NPV and payback


def irr_text(irr_yearly: float | None) -> str:
    """The IRR in words: a percentage a year, "above 1,000%/yr", or why there is none."""
    if irr_yearly is None:
        return "none (the flows never turn)"
    if irr_yearly > IRR_SHOWN_UP_TO:
        return f"above {IRR_SHOWN_UP_TO * 100:,.0f}%/yr"
    return f"{irr_yearly * 100:,.0f}%/yr"


def tornado(project: Investment) -> pd.DataFrame:
    """NPV with each uncertain input at its low and at its high, the others at their mode.

    Sorted by swing (largest first): the inputs that matter most for the decision.
    """
    import pandas as pd

    base = project.at_mode()
    base_npv = evaluate(base).npv
    rows = []
    for name in project.uncertain():
        value = getattr(project, name)
        low_npv = evaluate(_with(base, name, value.low())).npv
        high_npv = evaluate(_with(base, name, value.high())).npv
        rows.append(
            {
                "input": name,
                "low": value.low(),
                "high": value.high(),
                "npv_at_low": low_npv,
                "npv_at_high": high_npv,
                "swing": abs(high_npv - low_npv),
                "base_npv": base_npv,
            }
        )
    frame = pd.DataFrame(
        rows, columns=["input", "low", "high", "npv_at_low", "npv_at_high", "swing", "base_npv"]
    )
    return frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def tornado_chart(table: pd.DataFrame, currency: str = "USD") -> Figure:
    """A horizontal bar chart of :func:`tornado`'s table around the base NPV."""
    import matplotlib.pyplot as plt

    from bizml_nb.core import units
    from bizml_nb.core.figures import money_axis

    figure, axes = plt.subplots(figsize=(7, 0.5 * max(len(table), 2) + 1.2))
    if table.empty:
        axes.text(0.5, 0.5, "no uncertain inputs", ha="center", transform=axes.transAxes)
    else:
        base = float(table["base_npv"].iloc[0])
        rows = table.iloc[::-1]
        for position, (_, row) in enumerate(rows.iterrows()):
            low, high = sorted((row["npv_at_low"], row["npv_at_high"]))
            axes.barh(position, high - low, left=low, color="tab:blue")
        axes.set_yticks(range(len(rows)), [str(n) for n in rows["input"]])
        axes.axvline(
            base, color="0.3", linestyle="--", label=f"base NPV {units.money(base, currency)}"
        )
        axes.legend(fontsize=8)
    money_axis(axes.xaxis, currency)
    axes.set_xlabel(f"NPV ({currency})")
    axes.set_title("What moves the NPV most")
    figure.tight_layout()
    plt.close(figure)
    return figure


def cashflow_chart(result: Result, currency: str = "USD") -> Figure:
    """Monthly net flows as bars and the cumulative position as a line."""
    import matplotlib.pyplot as plt

    from bizml_nb.core.figures import money_axis

    frame = result.cashflows
    figure, axes = plt.subplots(figsize=(7, 3.5))
    colors = ["tab:green" if v >= 0 else "tab:red" for v in frame["net"]]
    axes.bar(frame["month"], frame["net"], color=colors, label="net flow in the month")
    axes.plot(frame["month"], frame["cumulative"], color="tab:blue", label="cumulative")
    axes.axhline(0, color="0.5", linewidth=0.8)
    if result.payback_month is not None:
        axes.axvline(result.payback_month, color="tab:blue", linestyle=":", label="payback")
    axes.set_xlabel("month")
    money_axis(axes.yaxis, currency)
    axes.set_ylabel(currency)
    axes.legend(fontsize=8)
    figure.tight_layout()
    plt.close(figure)
    return figure


# --------------------------------------------------------------------------- internals


def _flows(inputs: dict[str, Array], years: int) -> tuple[Array, Array, Array, Array]:
    """Benefit, cost and net flows (draws x months) and the discount factor per month."""
    import numpy as np

    n_months = 12 * years + 1
    t = np.arange(n_months, dtype=float)[None, :]
    col = {name: values[:, None] for name, values in inputs.items()}
    eng_cost = col["eng_months"] * col["monthly_rate"]
    live_from = col["deploy_days"] / DAYS_PER_MONTH
    mid = t - 0.5  # the middle of month t (month 0 is the start: no running flows)
    ramp = col["ramp_months"]
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(
            ramp > 0, np.clip((mid - live_from) / ramp, 0.0, 1.0), (mid >= live_from) * 1.0
        )
    level[:, 0] = 0.0
    live = (mid >= live_from) & (t > 0)
    benefit = col["annual_benefit"] / 12 * level
    running = (col["cloud_per_year"] / 12 + col["maintenance_share"] * eng_cost / 12) * live
    one_off = (col["data_cost"] + eng_cost + col["infra_setup"]) * (t == 0)
    cost = running + one_off
    net = benefit - cost
    monthly = (1 + col["discount"]) ** (1 / 12) - 1
    factor = (1 + monthly) ** -t
    return benefit, cost, net, factor


def _with(investment: Investment, name: str, value: float) -> Investment:
    changes: dict[str, Any] = {name: value}
    return replace(investment, **changes)


def _payback(cumulative: Array) -> Array:
    """First month after the start from which cumulative net stays >= 0, per row; nan if never.

    "Stays": with nothing spent up front the cumulative is zero until go-live, which is
    not payback when running costs then take it below zero.
    """
    import numpy as np

    reached = cumulative[:, 1:] >= 0
    stays = np.logical_and.accumulate(reached[:, ::-1], axis=1)[:, ::-1]
    first = stays.argmax(axis=1) + 1.0
    return np.where(stays.any(axis=1), first, np.nan)


def _ends(value: Value) -> tuple[float, float]:
    if isinstance(value, int | float):
        return (float(value), float(value))
    return (value.low(), value.high())


def _mode(value: Value) -> float:
    return float(value) if isinstance(value, int | float) else value.mode()


def describe(value: Value) -> str:
    """An input as text: a number, or the distribution."""
    return f"{value:g}" if isinstance(value, int | float) else str(value)


__all__ = [
    "Investment",
    "Lognormal",
    "Result",
    "Simulation",
    "Triangular",
    "Uniform",
    "cashflow_chart",
    "describe",
    "evaluate",
    "irr",
    "simulate",
    "tornado",
    "tornado_chart",
]
