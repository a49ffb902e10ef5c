# %% [markdown]
# # Is this ML project worth funding? Return on investment
#
# This notebook answers three questions for the people who fund an ML project: **does it
# pay** (net present value, return on investment, payback month), **how sure are we** (the
# chance that it loses money, over thousands of simulated futures), and **what would change
# the answer** (the inputs that move it most, the benefit needed to break even, what a more
# mature ML team would add).
#
# Set the values in the parameters cell below, or make a copy with
# `bizml new roi_analysis my_roi.ipynb -p NAME VALUE` and run it with `bizml run my_roi.ipynb`.
# The defaults are **illustrations**, not measurements (the same illustrative costs as
# `%bizml roi` and the ROI calculator): replace them with your own figures before relying on
# the result.

# %% tags=["parameters"]
# fmt: off
# Parameters: edit them here, or pass them with `bizml new roi_analysis OUT.ipynb -p NAME VALUE`.
# Every default is an ILLUSTRATION, not a measurement.
from typing import Optional

project_name: str = "churn model"  # what is being decided; the decision names it
benefit_source: str = "illustrative range"  # where the benefit figures come from; the decision says it
annual_benefit_low: float = 60_000.0  # benefit per year at full speed: pessimistic end
annual_benefit_mode: float = 180_000.0  # benefit per year at full speed: most likely
annual_benefit_high: float = 450_000.0  # benefit per year at full speed: optimistic end
benefit_range: str = "ends"  # how to read low and high: "ends" (no future beyond them) or "90%" (a 90% range, as a run's card gives: 5% of futures fall beyond each)
run: Optional[str] = None  # a run of the project in this folder (name or id), for benefit_from "observed"
benefit_from: str = "given"  # "given": the benefit figures above; "observed": run's realised yearly value (recorded with %bizml observed) replaces them
data_cost: float = 20_000.0  # one-off data and labelling cost
eng_months: float = 8.0  # engineering person-months to build and deploy
monthly_rate: float = 15_000.0  # fully loaded cost of one person-month
infra_setup: float = 10_000.0  # one-off infrastructure set-up cost
cloud_per_year: float = 30_000.0  # cloud bill per year once live
maintenance_share: float = 0.2  # yearly maintenance as a share of the engineering cost
deploy_days: Optional[float] = None  # days from the start until the model is live; None: the Algorithmia 2020 survey prior
ramp_months: float = 3.0  # months from going live to the full benefit
years: int = 5  # horizon of the evaluation, in years
discount: float = 0.10  # yearly discount rate, a share: 0.10 is 10% a year
allow_high_discount: bool = False  # true to take a discount rate above 1 (100% a year) rather than ask whether a percentage was meant
maturity_level: int = 1  # the team's ML maturity today, 0-4 on Microsoft's scale (templates/adoption_maturity finds it)
required_confidence: float = 0.8  # chance of a positive NPV needed to recommend funding (0.8 is 80%)
currency: str = "USD"  # currency code of every amount
draws: int = 100_000  # Monte Carlo draws (as %bizml roi and evaluate_roi)
seed: int = 20_261_128  # random seed: the same seed gives the same figures
# fmt: on

# %% [markdown]
# ## The decision
#
# Whether to fund the project: **fund** when the chance of a positive NPV is at least
# `required_confidence`; **fund a first stage** (a pilot that measures the input that moves
# the answer most) when it is between 50% and that bar; otherwise **do not fund as scoped**.
# The card says which, and why: the central case, the range of outcomes, what would change
# the answer. The sections below it show the figures it rests on. The cell first checks the
# parameters together, as `bizml new` and `bizml run` do.

# %% tags=["decision-summary"]
from bizml_nb.present.analyses import roi

parameters = roi.parameters_from(globals())
roi.check_parameters(parameters)
analysis = roi.analyse(parameters)
analysis.decision

# %% [markdown]
# ## What is assumed
#
# The project is followed month by month over the horizon (`years`). **At the start** it
# pays its one-off costs: engineering (person-months times the cost of a person-month), data
# and labelling, and infrastructure set-up. **It goes live** after the time to deploy; from
# then on it pays the cloud bill and maintenance (a share of the engineering cost every
# year), and its benefit **ramps up** over `ramp_months` to the full yearly level. **Money
# later is worth less than money now**: each month's net flow is discounted at the yearly
# `discount` rate.
#
# The benefit is a range, not a point: pessimistic, most likely and optimistic yearly values
# (a triangular distribution). When `deploy_days` is not given, the time to deploy is a range
# too: a lognormal curve fitted to Algorithmia's "2020 State of Enterprise Machine Learning"
# survey (about 745 respondents: 14% deploy a model within 7 days, 28% in 8-30 days, 22% in
# 31-90 days, 18% take longer, 18% did not answer).

# %%
analysis.inputs()

# %% [markdown]
# ## The central case
#
# Every range at one central value: the yearly benefit at its most likely value; the time to
# deploy, when it comes from the survey, at its **median** (half of the projects deploy
# sooner, half later; the survey curve is skewed, so its most likely value is only a few
# days). **NPV** (net present value) is what the project is worth today after all its costs;
# above zero, it earns more than the discount rate. **ROI** is the NPV over the present value
# of all the costs. **Payback** is the first month from which the money in has caught up
# with the money out (exactly even counts) and stays so to the end of the horizon. **IRR**
# (internal rate of return) is the yearly discount rate at which the NPV would be zero; above
# 300% a year it only says that the costs are small next to the benefit, and is shown so.

# %%
analysis.central()

# %% [markdown]
# Each month's net flow (red: money out, green: money in) and the running total:

# %%
analysis.cashflow_chart()

# %% [markdown]
# ## How sure are we?
#
# The same project in many simulated futures (`draws`): each draws a yearly benefit from its
# range and, when `deploy_days` is not given, a time to deploy from the survey curve. The
# same `seed` gives exactly the same figures.

# %%
analysis.spread()

# %% [markdown]
# How often each NPV came up; left of the dashed line the project loses money:

# %%
analysis.spread_chart()

# %% [markdown]
# ## What moves the answer most
#
# Each uncertain input is set to its 10th percentile (P10: 1 future in 10 falls below it) and
# then to its 90th (P90: 1 in 10 above it), the others held at their central values. Every
# input swings over the same percentiles, whatever the shape of its range, so the bars
# compare like with like. The longer the bar, the more that input decides the outcome, and
# the more it is worth measuring before committing (for the benefit: an A/B test or a
# pilot). The **break-even benefit** is the yearly benefit at which the central case's NPV is
# zero.

# %%
analysis.drivers()

# %%
analysis.drivers_chart()

# %% [markdown]
# ## What a step up in maturity is worth (illustrative)
#
# Teams with mature ML delivery deploy faster. In the same Algorithmia survey, almost 75% of
# companies with models in production for over five years deploy a model in under 30 days,
# while 60% of those just starting take longer; those two points are the only published
# figures per maturity group. Below, this project at each level of Microsoft's "Machine
# Learning operations maturity model" (0 No MLOps to 4 Full MLOps automated operations) with
# an **illustrative** time to deploy shaped to those two points, and **illustrative**
# multipliers on engineering effort and the cloud bill relative to the team's level today
# (`maturity_level`). Read it for the order of magnitude, not as a forecast. Its row for
# today's level differs from the figures above: it uses that level's time to deploy.

# %%
analysis.maturity()

# %%
analysis.maturity_chart()

# %% [markdown]
# ## Try other values
#
# The ROI calculator starts from this notebook's inputs (the benefit at its most likely
# value, the time to deploy at its median). Move a slider and its NPV, payback and chart
# change at once; the sections above stay as they are. To carry the new values into the
# whole analysis, run the `bizml run` line the calculator shows under its chart, which passes
# every changed value with `-p` (a changed benefit scales its low, most likely and high
# values alike). The calculator needs a live notebook; a saved copy shows its figures as
# text.

# %% tags=["nbval-ignore-output"]
calculator = analysis.calculator()
calculator
