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

Every input but the benefit has an ILLUSTRATIVE default (:func:`defaults`, the one set
that the magic, the API, the calculator and the ROI template share); the time to deploy
defaults to the Algorithmia 2020 survey prior (:data:`SURVEY_DEPLOY_DAYS`).

Any input may be a distribution (:class:`Triangular`, :class:`Lognormal`,
:class:`Uniform`, or a time-to-deploy prior from :mod:`bizml_nb.finance.maturity`);
:func:`simulate` draws all of them at once (vectorised, seeded); :func:`tornado` moves
each from its P10 to its P90 (:func:`percentile`), the others at their ``mode()``.

The package: :mod:`~bizml_nb.finance.roi.distributions` (the uncertain inputs),
:mod:`~bizml_nb.finance.roi.cashflows` (the deterministic model),
:mod:`~bizml_nb.finance.roi.simulation` (Monte Carlo and tornado) and
:mod:`~bizml_nb.finance.roi.charts`.

>>> r = evaluate(Investment(annual_benefit=1_200_000, eng_months=6, monthly_rate=15_000,
...                        data_cost=0, infra_setup=0, cloud_per_year=0,
...                        deploy_days=0, ramp_months=0, years=1, discount=0))
>>> round(r.npv)  # 12 x 100k of benefit - 90k of engineering - 12 x 1.5k of maintenance
1092000
"""

from __future__ import annotations

from bizml_nb.finance.roi.cashflows import (
    DAYS_PER_MONTH,
    DISCOUNT_ASKED_ABOVE,
    ILLUSTRATIVE,
    IRR_NOTE,
    IRR_SHOWN_UP_TO,
    MAX_FACTOR,
    MAX_SIGMA,
    MAX_YEARS,
    MONEY_LIMIT,
    OTHER_LIMIT,
    SURVEY_DEPLOY_DAYS,
    Investment,
    Result,
    defaults,
    discount_problem,
    evaluate,
    irr,
    irr_text,
)
from bizml_nb.finance.roi.charts import cashflow_chart, npv_histogram, tornado_chart
from bizml_nb.finance.roi.distributions import (
    Distribution,
    Lognormal,
    ROIError,
    Triangular,
    Uniform,
    Value,
    describe,
    percentile,
)
from bizml_nb.finance.roi.simulation import (
    DRAWS,
    SEED,
    TORNADO_PERCENTILES,
    Simulation,
    simulate,
    tornado,
)

__all__ = [
    "DAYS_PER_MONTH",
    "DISCOUNT_ASKED_ABOVE",
    "DRAWS",
    "ILLUSTRATIVE",
    "IRR_NOTE",
    "IRR_SHOWN_UP_TO",
    "MAX_FACTOR",
    "MAX_SIGMA",
    "MAX_YEARS",
    "MONEY_LIMIT",
    "OTHER_LIMIT",
    "SEED",
    "SURVEY_DEPLOY_DAYS",
    "TORNADO_PERCENTILES",
    "Distribution",
    "Investment",
    "Lognormal",
    "ROIError",
    "Result",
    "Simulation",
    "Triangular",
    "Uniform",
    "Value",
    "cashflow_chart",
    "defaults",
    "describe",
    "discount_problem",
    "evaluate",
    "irr",
    "irr_text",
    "npv_histogram",
    "percentile",
    "simulate",
    "tornado",
    "tornado_chart",
]
