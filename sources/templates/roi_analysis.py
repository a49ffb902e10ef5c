# %% [markdown]
# # Is this ML project worth funding? Return on investment
#
# This notebook answers three questions for the people who fund an ML project:
#
# 1. **Does it pay?** Net present value (NPV), return on investment, payback month.
# 2. **How sure are we?** The chance that it loses money, over thousands of simulated futures.
# 3. **What would change the answer?** The inputs that move the result most, the yearly
#    benefit needed to break even, and what a more mature ML team would add.
#
# Set the values in the parameters cell below, or make a copy with
# `bizml new roi_analysis my_roi.ipynb -p NAME VALUE`, then run every cell
# (`bizml run my_roi.ipynb`). The defaults are **illustrations**, not measurements:
# replace them with your own figures before relying on the result.

# %% tags=["parameters"]
# fmt: off
# Parameters: edit them here, or pass them with `bizml new roi_analysis OUT.ipynb -p NAME VALUE`.
# Every default is an ILLUSTRATION, not a measurement.
project_name: str = "churn model"  # what is being decided; the summary names it
benefit_source: str = "illustrative range"  # where the benefit figures come from; the summary says it
annual_benefit_low: float = 60_000.0  # benefit per year at full speed: pessimistic end
annual_benefit_mode: float = 180_000.0  # benefit per year at full speed: most likely
annual_benefit_high: float = 450_000.0  # benefit per year at full speed: optimistic end
benefit_range: str = "ends"  # how to read low and high: "ends" (no future beyond them) or "90%" (a 90% range, as a run's card gives: 5% of futures fall beyond each)
data_cost: float = 20_000.0  # one-off data and labelling cost
eng_months: float = 8.0  # engineering person-months to build and deploy
monthly_rate: float = 15_000.0  # fully loaded cost of one person-month
infra_setup: float = 10_000.0  # one-off infrastructure set-up cost
cloud_per_year: float = 30_000.0  # cloud bill per year once live
maintenance_share: float = 0.2  # yearly maintenance as a share of the engineering cost
deploy_days: float | None = None  # days from the start until the model is live; None: the Algorithmia 2020 survey prior
ramp_months: float = 3.0  # months from going live to the full benefit
years: int = 5  # horizon of the evaluation, in years
discount: float = 0.10  # yearly discount rate (0.10 = 10% a year)
maturity_level: int = 1  # the team's ML maturity today, 0-4 on Microsoft's scale (templates/adoption_maturity finds it)
required_confidence: float = 0.8  # chance of a positive NPV needed to recommend funding (0.8 = 80%)
currency: str = "USD"  # currency code of every amount
draws: int = 20_000  # Monte Carlo draws
seed: int = 20_261_128  # random seed: the same seed gives the same figures
# fmt: on

# %% [markdown]
# ## What is assumed
#
# The project is followed month by month over the horizon (`years`):
#
# - **At the start** it pays its one-off costs: engineering (person-months times the cost of a
#   person-month), data and labelling, and infrastructure set-up.
# - **It goes live** after the time to deploy. From then on it pays the cloud bill and
#   maintenance (a share of the engineering cost every year), and its benefit **ramps up**
#   over `ramp_months` to the full yearly level.
# - **Money later is worth less than money now**: each month's net flow is discounted at the
#   yearly `discount` rate.
# - **The benefit is a range**, not a point: pessimistic, most likely and optimistic yearly
#   values (a triangular distribution). When `deploy_days` is not given, the time to deploy is
#   a range too: a lognormal curve fitted to Algorithmia's "2020 State of Enterprise Machine
#   Learning" survey (about 745 respondents: 14% deploy a model within 7 days, 28% in 8-30
#   days, 22% in 31-90 days, 18% take longer, 18% did not answer).
#
# The figures below restate every input, so a reader can check them before reading the results.

# %%
# Check the parameters, then restate every input in words
import math
from dataclasses import fields, replace

import matplotlib.pyplot as plt
from IPython.display import display

from bizml_nb.core.figures import money_axis
from bizml_nb.finance.maturity import LEVEL_NAMES, by_maturity, check_level, survey_prior
from bizml_nb.finance.roi import (
    Investment,
    Triangular,
    cashflow_chart,
    describe,
    evaluate,
    simulate,
    tornado,
    tornado_chart,
)
from bizml_nb.interfaces.notebook_helpers import money_in, record_figure

check_level(maturity_level)
if not annual_benefit_low <= annual_benefit_mode <= annual_benefit_high:
    raise ValueError(
        "the benefit needs annual_benefit_low <= annual_benefit_mode <= annual_benefit_high "
        f"(got {annual_benefit_low:g}, {annual_benefit_mode:g}, {annual_benefit_high:g})"
    )
if benefit_range not in ("ends", "90%"):
    raise ValueError(f'benefit_range is "ends" or "90%" (got {benefit_range!r})')
if not 0 < required_confidence < 1:
    raise ValueError(
        f"required_confidence is a share between 0 and 1 (got {required_confidence!r})"
    )


money = money_in(currency)


def share(p: float) -> str:
    """A probability in words people read: no '100%' for 99.6%, no '0%' for 0.3%."""
    if 0 < p < 0.01:
        return "under 1%"
    if 0.99 < p < 1:
        return "over 99%"
    return f"{p:.0%}"


def percent(x: float) -> str:
    return f"{x * 100:,.3g}%"


benefit = (Triangular if benefit_range == "ends" else Triangular.from_interval)(
    annual_benefit_low, annual_benefit_mode, annual_benefit_high
)
project = Investment(
    annual_benefit=benefit,
    data_cost=data_cost,
    eng_months=eng_months,
    monthly_rate=monthly_rate,
    infra_setup=infra_setup,
    cloud_per_year=cloud_per_year,
    maintenance_share=maintenance_share,
    deploy_days=survey_prior() if deploy_days is None else deploy_days,
    ramp_months=ramp_months,
    years=years,
    discount=discount,
)
eng_cost = eng_months * monthly_rate
one_off = data_cost + eng_cost + infra_setup
running = cloud_per_year + maintenance_share * eng_cost
print(f"Project: {project_name}")
print(
    f"Benefit per year at full speed: {money(annual_benefit_low)} to {money(annual_benefit_high)}, "
    f"most likely {money(annual_benefit_mode)} (source: {benefit_source})"
)
print(
    f"One-off costs: {money(one_off)} = engineering {eng_months:g} person-months x "
    f"{money(monthly_rate)} + data {money(data_cost)} + infrastructure {money(infra_setup)}"
)
print(
    f"Running costs once live: {money(running)} a year = cloud {money(cloud_per_year)} + "
    f"maintenance {percent(maintenance_share)} of engineering"
)
if deploy_days is None:
    prior = survey_prior()  # the project's time to deploy is drawn from it
    print(
        f"Time to go live: not given, so the survey prior: median {prior.median:.0f} days, "
        f"1 in 10 projects under {prior.low():.0f} days, 1 in 10 over {prior.high():.0f} days "
        "(lognormal fitted to Algorithmia 2020)"
    )
else:
    print(f"Time to go live: {deploy_days:g} days")
print(f"Ramp-up: the full benefit {ramp_months:g} months after going live")
print(f"Horizon: {years} years, discounted at {percent(discount)} a year")

# %% [markdown]
# ## The central case
#
# Every range at one central value: the yearly benefit at its most likely value; the time to
# deploy, when it comes from the survey, at its **median** (half of the projects deploy sooner,
# half later). The survey curve is skewed, so its most likely value is only a few days: the
# median is the fairer single figure.
#
# - **NPV** (net present value) is what the project is worth today after all its costs; above
#   zero, it earns more than the discount rate.
# - **ROI** is the NPV over the present value of all the costs.
# - **Payback** is the first month from which the money in has caught up with the money out
#   (exactly even counts) and stays so to the end of the horizon.
# - **IRR** (internal rate of return) is the yearly discount rate at which the NPV would be zero.
#
# The chart shows each month's net flow (red: money out, green: money in) and the running total.

# %%
result = evaluate(project)
central_deploy = (
    f"the time to deploy at its median, {survey_prior().median:.0f} days"
    if deploy_days is None
    else f"the time to deploy {deploy_days:g} days"
)
print(
    f"Central case: the yearly benefit at its most likely value, {money(benefit.mode())}; "
    + central_deploy
)
print(f"NPV: {money(result.npv, signed=True)} over {years} years at {percent(discount)} a year")
if math.isfinite(result.roi):
    print(f"ROI: {result.roi * 100:,.0f}% (NPV over the present value of the costs)")
else:
    print("ROI: not defined (the project has no costs)")
print(f"Payback: {result.payback_text}")
if result.irr is None:
    print("IRR: none (the flows never turn from negative to positive)")
elif result.irr > 10:
    print(
        "IRR: above 1,000% a year (the costs are small next to the benefit: read NPV and payback)"
    )
else:
    print(f"IRR: {result.irr * 100:,.0f}% a year")
cashflow_chart(result, currency)

# %% [markdown]
# ## How sure are we?
#
# The same project in many simulated futures (`draws`): each draws a yearly benefit from its
# range and, when `deploy_days` is not given, a time to deploy from the survey curve. The chart
# shows how often each NPV came up; left of the dashed line the project loses money. The same
# `seed` gives exactly the same figures.

# %%
sim = simulate(project, draws=draws, seed=seed)
npv_p10, npv_p50, npv_p90 = sim.npv_percentiles()
pay_p10, pay_p50, pay_p90 = sim.payback_percentiles()


def month(value: float | None) -> str:
    return f"month {value:.0f}" if value is not None else f"not within {years} years"


print(
    f"Chance that the project pays (NPV above zero): {share(sim.p_positive)} of {draws:,} futures"
)
print(
    f"NPV: 1 future in 10 below {money(npv_p10, signed=True)}, half below "
    f"{money(npv_p50, signed=True)}, 1 in 10 above {money(npv_p90, signed=True)}"
)
print(
    f"Payback: {month(pay_p10)} at best (1 in 10), {month(pay_p50)} typically, {month(pay_p90)} at worst (1 in 10)"
)

figure, axes = plt.subplots(figsize=(7, 3))
axes.hist(sim.npv, bins=60, color="tab:blue")
money_axis(axes.xaxis, currency)
axes.axvline(0, color="tab:red", linestyle="--", label="NPV = 0")
axes.set_xlabel(f"NPV ({currency})")
axes.set_ylabel("futures")
axes.set_title(f"NPV over {draws:,} simulated futures")
axes.legend(fontsize=8)
figure.tight_layout()
plt.close(figure)
figure

# %% [markdown]
# ## What moves the answer most
#
# Each uncertain input is set to its 10th percentile (P10: 1 future in 10 falls below it) and
# then to its 90th (P90: 1 in 10 above it), the others held at their central values. Every
# input swings over the same percentiles, whatever the shape of its range, so the bars compare
# like with like. The longer the bar, the more that input decides the outcome, and the more it
# is worth measuring before committing (for the benefit: an A/B test or a pilot).
# The **break-even benefit** is the yearly benefit at which the central case's NPV is zero.

# %%
WORDS = {"annual_benefit": "the yearly benefit", "deploy_days": "the time to deploy"}
drivers = tornado(project)
for row in drivers.to_dict("records"):
    if row["input"] == "annual_benefit":
        low, high = money(row["low"]), money(row["high"])
    else:
        low, high = f"{row['low']:,.0f} days", f"{row['high']:,.0f} days"
    print(
        f"{WORDS.get(row['input'], row['input']).capitalize()}: "
        f"NPV {money(row['npv_at_low'], signed=True)} at its P10 ({low}), "
        f"{money(row['npv_at_high'], signed=True)} at its P90 ({high})"
    )


def margin(value: float, bar: float) -> str:
    ratio = value / bar
    if ratio >= 2:
        return f"{ratio:,.1f} times that"
    return f"{abs(ratio - 1):.0%} {'above' if ratio >= 1 else 'below'} that"


# NPV is a straight line in the yearly benefit: two evaluations give where it crosses zero
central = project.at_mode()
npv_without = evaluate(replace(central, annual_benefit=0.0)).npv
per_unit = (evaluate(replace(central, annual_benefit=1e6)).npv - npv_without) / 1e6
breakeven = -npv_without / per_unit if per_unit > 0 else math.inf
if math.isfinite(breakeven):
    print(
        f"Break-even: {money(breakeven)} a year of benefit gives an NPV of zero in the central "
        f"case; the most likely benefit, {money(annual_benefit_mode)}, is {margin(annual_benefit_mode, breakeven)}"
        if breakeven > 0
        else "Break-even: the project pays even without any benefit"
    )
else:
    print(f"Break-even: none; the project is not live within {years} years")
tornado_chart(drivers, currency)

# %% [markdown]
# ## What a step up in maturity is worth (illustrative)
#
# Teams with mature ML delivery deploy faster. In the same Algorithmia survey, almost 75% of
# companies with models in production for over five years deploy a model in under 30 days,
# while 60% of those just starting take longer; those two points are the only published
# figures per maturity group. The table puts this project at each level of Microsoft's
# "Machine Learning operations maturity model" (0 No MLOps to 4 Full MLOps automated
# operations) with an **illustrative** time to deploy shaped to those two points, and
# **illustrative** multipliers on engineering effort and the cloud bill relative to the team's
# level today (`maturity_level`). Read it for the order of magnitude, not as a forecast. Its row
# for today's level differs from the figures above: it uses that level's time to deploy.

# %%
levels = by_maturity(project, draws=draws, reference_level=maturity_level)
print(
    "level  name                             median days  engineering  cloud   median NPV  P(NPV > 0)"
)
for row in levels.to_dict("records"):
    marker = "  <- today" if row["level"] == maturity_level else ""
    print(
        f"{row['level']:>5}  {row['name']:<32} {row['median_days_to_deploy']:>11.0f}  "
        f"{row['eng_multiplier']:>10.2f}x  {row['cloud_multiplier']:>4.2f}x  "
        f"{money(row['npv_p50'], signed=True):>11}  {share(row['p_npv_positive']):>10}{marker}"
    )
step_gain: float | None = None  # what one level up adds to the median NPV
if maturity_level < 4:
    step_gain = float(levels["npv_p50"][maturity_level + 1] - levels["npv_p50"][maturity_level])
    print(
        f"One step up, from level {maturity_level} ({LEVEL_NAMES[maturity_level]}) to "
        f"{maturity_level + 1} ({LEVEL_NAMES[maturity_level + 1]}), changes this project's median "
        f"NPV by about {money(step_gain, signed=True)} (illustrative)"
    )
else:
    print("The team is at the top level (4): there is no step up to price")

figure, axes = plt.subplots(figsize=(7, 3))
colors = ["tab:orange" if level == maturity_level else "tab:blue" for level in levels["level"]]
axes.bar(levels["level"], levels["npv_p50"], color=colors)
axes.axhline(0, color="0.5", linewidth=0.8)
axes.set_xticks(list(levels["level"]))
axes.set_xlabel("maturity level (orange: today)")
axes.set_ylabel(f"median NPV ({currency})")
axes.set_title("This project at each maturity level (illustrative)")
figure.tight_layout()
plt.close(figure)
figure

# %% [markdown]
# ## Decision summary
#
# The recommendation follows one rule, stated so that it can be argued with: **fund** when the
# chance of a positive NPV is at least `required_confidence`; **fund a first stage** (a pilot
# that measures the input that moves the answer most) when it is between 50% and that bar;
# otherwise **do not fund as scoped**. The cell also records the key figures as JSON
# (`application/vnd.bizml.roi+json`), which `bizml run` and reports read back.

# %% tags=["decision-summary"]
top = drivers.iloc[0] if not drivers.empty else None
top_words = WORDS.get(top["input"], top["input"]) if top is not None else "none"
p = sim.p_positive
if p >= required_confidence:
    decision = "fund"
    reason = f"the NPV is positive in {share(p)} of simulated futures (the bar is {share(required_confidence)})"
elif p >= 0.5:
    decision = "fund a first stage"
    reason = (
        f"the NPV is positive in {share(p)} of simulated futures, short of the "
        f"{share(required_confidence)} bar: fund a first stage that measures {top_words}, "
        "then decide on the full build"
    )
else:
    decision = "do not fund as scoped"
    reason = f"the NPV is positive in only {share(p)} of simulated futures"

lines = [
    f"Decision summary: {project_name}",
    f"Recommendation: {decision}; {reason}.",
    f"Central case: NPV {money(result.npv, signed=True)} over {years} years, payback "
    f"{result.payback_text}"
    + (f", ROI {result.roi * 100:,.0f}%." if math.isfinite(result.roi) else "."),
    f"Range: 1 future in 10 below {money(npv_p10, signed=True)}, 1 in 10 above "
    f"{money(npv_p90, signed=True)}.",
]
if top is not None and top["swing"] > 0:
    lines.append(
        f"What would change it: {top_words} matters most (NPV {money(top['npv_at_low'], signed=True)} "
        f"at its P10, {money(top['npv_at_high'], signed=True)} at its P90: 1 future in 10 "
        "lies beyond each)"
        + (
            f"; below {money(breakeven)} a year of benefit the central case loses money."
            if math.isfinite(breakeven) and breakeven > 0
            else "."
        )
    )
if step_gain is not None:
    lines.append(
        f"Maturity: one level up ({maturity_level} to {maturity_level + 1}) changes the median NPV "
        f"by about {money(step_gain, signed=True)} (illustrative)."
    )
lines.append(
    f"Figures from: benefit {benefit_source}; time to deploy "
    + (
        "the Algorithmia 2020 survey prior."
        if deploy_days is None
        else f"{deploy_days:g} days (given)."
    )
)
parameters = {
    "project_name": project_name,
    "benefit_source": benefit_source,
    "annual_benefit_low": annual_benefit_low,
    "annual_benefit_mode": annual_benefit_mode,
    "annual_benefit_high": annual_benefit_high,
    "benefit_range": benefit_range,
    "data_cost": data_cost,
    "eng_months": eng_months,
    "monthly_rate": monthly_rate,
    "infra_setup": infra_setup,
    "cloud_per_year": cloud_per_year,
    "maintenance_share": maintenance_share,
    "deploy_days": deploy_days,
    "ramp_months": ramp_months,
    "years": years,
    "discount": discount,
    "maturity_level": maturity_level,
    "required_confidence": required_confidence,
    "currency": currency,
    "draws": draws,
    "seed": seed,
}
TEMPLATE_DEFAULTS = {  # the template's illustrative values, to say which inputs nobody changed
    "annual_benefit_low": 60_000.0,
    "annual_benefit_mode": 180_000.0,
    "annual_benefit_high": 450_000.0,
    "data_cost": 20_000.0,
    "eng_months": 8.0,
    "monthly_rate": 15_000.0,
    "infra_setup": 10_000.0,
    "cloud_per_year": 30_000.0,
    "maintenance_share": 0.2,
    "deploy_days": None,
    "ramp_months": 3.0,
    "years": 5,
    "discount": 0.10,
}
BENEFIT = ("annual_benefit_low", "annual_benefit_mode", "annual_benefit_high")
unchanged = [
    item.name
    for item in fields(project)
    if all(
        parameters[k] == TEMPLATE_DEFAULTS[k]
        for k in (BENEFIT if item.name == "annual_benefit" else (item.name,))
    )
]
if unchanged:
    lines.append(f"Inputs left at the template's defaults (review them): {', '.join(unchanged)}.")
summary = "\n".join(lines)
print(summary)


record = {
    "format": "bizml.roi",
    "version": 1,
    "template": "roi_analysis",
    "project": project_name,
    "currency": currency,
    "decision": decision,
    "required_confidence": required_confidence,
    "npv": record_figure(result.npv),
    "roi": record_figure(result.roi),
    "payback_month": result.payback_month,
    "irr": record_figure(result.irr),
    "p_npv_positive": record_figure(p),
    "npv_p10_p50_p90": [record_figure(npv_p10), record_figure(npv_p50), record_figure(npv_p90)],
    "payback_p10_p50_p90": [record_figure(pay_p10), record_figure(pay_p50), record_figure(pay_p90)],
    "draws": draws,
    "seed": seed,
    "breakeven_annual_benefit": record_figure(breakeven),
    "drivers": [
        {
            "input": row["input"],
            "npv_at_low": record_figure(row["npv_at_low"]),
            "npv_at_high": record_figure(row["npv_at_high"]),
        }
        for row in drivers.to_dict("records")
    ],
    "maturity": {
        "level": maturity_level,
        "name": LEVEL_NAMES[maturity_level],
        "npv_p50_by_level": [record_figure(v) for v in levels["npv_p50"]],
        "gain_next_level": record_figure(step_gain),
        "illustrative": True,
    },
    "benefit_from": benefit_source,
    "inputs": {item.name: describe(getattr(project, item.name)) for item in fields(project)},
    "defaults": unchanged,
    "parameters": parameters,
    "summary": summary,
}
display(
    {
        "text/plain": "decision record: application/vnd.bizml.roi+json",
        "application/vnd.bizml.roi+json": record,
    },
    raw=True,
)
