"""The deterministic ROI model: an investment's monthly cash flows, NPV, ROI, payback, IRR.

Month by month over ``years``: one-off costs in month 0, benefits ramping up from
go-live, recurring costs from go-live, flows discounted monthly (the model is stated in
full in :mod:`bizml_nb.finance.roi`). Payback is the first month after which the
cumulative undiscounted net flow stays at or above zero to the horizon; exact
break-even (a cumulative of exactly zero) counts as paid back (:func:`_payback`). :func:`evaluate` takes every distribution at its
mode; the Monte Carlo (:mod:`bizml_nb.finance.roi.simulation`) uses the same flows.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from bizml_nb.finance.roi.distributions import Lognormal, ROIError, Value, _ends, _mode

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    Array = npt.NDArray[np.float64]

DAYS_PER_MONTH = 365.25 / 12

# Bounds that keep every cash flow finite: money within +-1e15, months, days and shares
# within 1e6, at most 100 years, a discount factor of at most 1e200 at the horizon, and
# lognormal inputs with sigma <= 5. The largest flow is then below 1e240.
MONEY_LIMIT = 1e15
OTHER_LIMIT = 1e6
MAX_FACTOR = 1e200
MAX_YEARS = 100
MAX_SIGMA = 5.0
_MONEY = {"annual_benefit", "data_cost", "monthly_rate", "infra_setup", "cloud_per_year"}

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


#: The time to deploy when none is given: a lognormal fitted to the Algorithmia 2020
#: survey's answers (median 28.6 days, P10 4.3, P90 191). It equals
#: :func:`bizml_nb.finance.maturity.survey_prior`, which fits it from the survey's shares
#: (finance.maturity imports this package, so the fit's result is written here; a test
#: checks that the two agree).
SURVEY_DEPLOY_DAYS = Lognormal(28.63938779888751, 1.4805111527004602, "fitted to Algorithmia 2020")

#: What every default below is: an illustration to replace, not a measurement.
ILLUSTRATIVE = "illustrative defaults, not measurements: replace them with your own figures"


@dataclass(frozen=True)
class Investment:
    """The inputs of an ROI evaluation; any field except ``years`` may be a distribution.

    The defaults are the one set of ILLUSTRATIVE costs that ``%bizml roi``,
    ``bizml_nb.evaluate_roi``, the ROI calculator and the roi_analysis template all use
    (:func:`defaults`): a small team's project with 20,000 of data and labelling, 8
    person-months at 15,000, 10,000 of infrastructure set-up and 30,000 a year of cloud,
    maintenance at 20% of the engineering cost a year, live after the Algorithmia 2020
    survey's time to deploy (:data:`SURVEY_DEPLOY_DAYS`, median 28.6 days), full benefit
    3 months after going live, 5 years at 10% a year.
    """

    annual_benefit: Value
    data_cost: Value = 20_000.0
    eng_months: Value = 8.0
    monthly_rate: Value = 15_000.0
    infra_setup: Value = 10_000.0
    cloud_per_year: Value = 30_000.0
    maintenance_share: Value = 0.2
    deploy_days: Value = SURVEY_DEPLOY_DAYS
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


def defaults() -> dict[str, Value | int]:
    """The illustrative defaults of every input but the benefit, by name (:class:`Investment`'s).

    >>> defaults()["eng_months"], defaults()["discount"]
    (8.0, 0.1)
    """
    found: dict[str, Value | int] = {}
    for item in fields(Investment):
        if item.name != "annual_benefit":
            found[item.name] = item.default  # type: ignore[assignment]
    return found


#: The largest yearly discount rate taken without being asked for: above it, "5" is far
#: more likely a percentage (5%, 0.05) than a rate of 500% a year.
DISCOUNT_ASKED_ABOVE = 1.0


def discount_problem(
    rate: Value, allow_high: bool = False, how_to_allow: str = "set {allow_high_discount}"
) -> str | None:
    """What is wrong with a yearly discount ``rate`` (None: nothing), worded with ``{discount}``.

    A negative rate is refused (it makes money later worth more than money now); a rate
    above :data:`DISCOUNT_ASKED_ABOVE` (100% a year) asks whether a percentage was meant
    (``5`` -> ``0.05``) unless ``allow_high``, which the message names as
    ``{allow_high_discount}`` in ``how_to_allow``. The caller words the names
    (``--discount``, ``-p discount``).

    >>> discount_problem(0.1) is None, discount_problem(5, allow_high=True) is None
    (True, True)
    >>> print(discount_problem(5))
    {discount} is 5, which is 500% a year: did you mean 0.05 (5%)? The rate is a share (0.10 is 10% a year); for a rate above 100% a year, set {allow_high_discount}
    """
    low, high = _ends(rate)
    if low < 0:
        return (
            f"{{discount}} is {low:g}: a negative discount rate is refused (it would make "
            "money later worth more than money now); give a yearly rate of 0 or more, such "
            "as 0.10 for 10% a year"
        )
    if high > DISCOUNT_ASKED_ABOVE and not allow_high:
        return (
            f"{{discount}} is {high:g}, which is {high * 100:,.0f}% a year: did you mean "
            f"{high / 100:g} ({high:g}%)? The rate is a share (0.10 is 10% a year); for a "
            f"rate above 100% a year, {how_to_allow}"
        )
    return None


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


#: 300% a year: above it an IRR only says that the costs are small next to the benefit
#: (a few thousand of engineering against millions a year gives seven digits); it is
#: shown as "above 300%/yr" with that note. Records keep the exact figure.
IRR_SHOWN_UP_TO = 3.0
IRR_NOTE = "the costs are small next to the benefit; read the NPV and payback"


def irr_text(irr_yearly: float | None) -> str:
    """The IRR in words: a percentage a year, "above 300%/yr (...)", or why there is none.

    >>> irr_text(0.2086), irr_text(None)
    ('21%/yr', 'none (the flows never turn)')
    >>> irr_text(65_855.97)
    'above 300%/yr (the costs are small next to the benefit; read the NPV and payback)'
    """
    if irr_yearly is None:
        return "none (the flows never turn)"
    if irr_yearly > IRR_SHOWN_UP_TO:
        return f"above {IRR_SHOWN_UP_TO * 100:,.0f}%/yr ({IRR_NOTE})"
    return f"{irr_yearly * 100:,.0f}%/yr"


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


BREAK_EVEN_TOLERANCE = 1e-9  # of the largest cumulative amount: float rounding, not money


def _payback(cumulative: Array) -> Array:
    """The payback month of each row of cumulative net flows (months 0..n); nan if never.

    The rule: payback is the first month m >= 1 such that the cumulative net flow is at
    or above zero in month m and in every later month to the horizon.

    - "Stays": a cumulative that touches zero and then dips below it again has not paid
      back; with nothing spent up front the cumulative is zero until go-live, which is
      not payback when running costs then take it below zero.
    - Exact break-even counts: a cumulative of exactly zero is paid back. Sums of
      monthly flows are floats, so "zero" means within :data:`BREAK_EVEN_TOLERANCE`
      times the row's largest cumulative amount (100,000 a year of benefit against
      100,000 up front pays back in month 12, not 13 because of a -3.6e-12 rounding).
    """
    import numpy as np

    scale = np.abs(cumulative).max(axis=1, initial=0.0)[:, None]
    reached = cumulative[:, 1:] >= -BREAK_EVEN_TOLERANCE * scale
    stays = np.logical_and.accumulate(reached[:, ::-1], axis=1)[:, ::-1]
    first = stays.argmax(axis=1) + 1.0
    return np.where(stays.any(axis=1), first, np.nan)


__all__ = [
    "BREAK_EVEN_TOLERANCE",
    "DAYS_PER_MONTH",
    "DISCOUNT_ASKED_ABOVE",
    "ILLUSTRATIVE",
    "IRR_NOTE",
    "IRR_SHOWN_UP_TO",
    "MAX_FACTOR",
    "MAX_SIGMA",
    "MAX_YEARS",
    "MONEY_LIMIT",
    "OTHER_LIMIT",
    "SURVEY_DEPLOY_DAYS",
    "Investment",
    "Result",
    "defaults",
    "discount_problem",
    "evaluate",
    "irr",
    "irr_text",
]
