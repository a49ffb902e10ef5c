"""Write the template notebooks from the cells below, and the executed ROI example.

    python tools/build_templates.py              # templates/*.ipynb and notebooks/roi_example.ipynb
    python tools/build_templates.py templates    # only the templates (saved without outputs)
    python tools/build_templates.py example      # only notebooks/roi_example.ipynb

- ``templates/roi_analysis.ipynb``: is an ML project worth funding? NPV, payback,
  Monte Carlo, what moves the answer, what a step up in maturity is worth;
- ``templates/adoption_maturity.ipynb``: a team's ML delivery maturity from yes/no
  answers, time to deploy against the Algorithmia 2020 survey, what would lift it;
- ``notebooks/roi_example.ipynb``: the ROI template instantiated for the recommender
  of ``notebooks/recsys_take_rate.ipynb`` and executed with papermill (via
  ``bizml_nb.interfaces.templates.run``), saved with outputs; the test suite re-runs it with nbval.

Each template's parameters cell is generated from :data:`ROI_PARAMETERS` and
:data:`MATURITY_PARAMETERS` (the questionnaire's from ``bizml_nb.finance.maturity.QUESTIONS``),
so its cells, its decision record and ``bizml templates`` agree. The time each
notebook took to execute is printed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat

from bizml_nb.finance.maturity import QUESTIONS

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared notebook_cells module
from notebook_cells import (
    NOTEBOOKS,
    TEMPLATES,
    Cells,
    Parameters,
)
from notebook_cells import notebook as _notebook
from notebook_cells import parameters_cell as _parameters_cell
from notebook_cells import parameters_dict as _parameters_dict

# (name, type, default as Python source, comment)

# --------------------------------------------------------------------------- ROI template

ROI_PARAMETERS: Parameters = [
    ("project_name", "str", '"churn model"', "what is being decided; the summary names it"),
    (
        "benefit_source",
        "str",
        '"illustrative range"',
        "where the benefit figures come from; the summary says it",
    ),
    ("annual_benefit_low", "float", "60_000.0", "benefit per year at full speed: pessimistic end"),
    ("annual_benefit_mode", "float", "180_000.0", "benefit per year at full speed: most likely"),
    ("annual_benefit_high", "float", "450_000.0", "benefit per year at full speed: optimistic end"),
    (
        "benefit_range",
        "str",
        '"ends"',
        'how to read low and high: "ends" (no future beyond them) or "90%" (a 90% range, as a '
        "run's card gives: 5% of futures fall beyond each)",
    ),
    ("data_cost", "float", "20_000.0", "one-off data and labelling cost"),
    ("eng_months", "float", "8.0", "engineering person-months to build and deploy"),
    ("monthly_rate", "float", "15_000.0", "fully loaded cost of one person-month"),
    ("infra_setup", "float", "10_000.0", "one-off infrastructure set-up cost"),
    ("cloud_per_year", "float", "30_000.0", "cloud bill per year once live"),
    ("maintenance_share", "float", "0.2", "yearly maintenance as a share of the engineering cost"),
    (
        "deploy_days",
        "float | None",
        "None",
        "days from the start until the model is live; None: the Algorithmia 2020 survey prior",
    ),
    ("ramp_months", "float", "3.0", "months from going live to the full benefit"),
    ("years", "int", "5", "horizon of the evaluation, in years"),
    ("discount", "float", "0.10", "yearly discount rate (0.10 = 10% a year)"),
    (
        "maturity_level",
        "int",
        "1",
        "the team's ML maturity today, 0-4 on Microsoft's scale (templates/adoption_maturity finds it)",
    ),
    (
        "required_confidence",
        "float",
        "0.8",
        "chance of a positive NPV needed to recommend funding (0.8 = 80%)",
    ),
    ("currency", "str", '"USD"', "currency code of every amount"),
    ("draws", "int", "20_000", "Monte Carlo draws"),
    ("seed", "int", "20_261_128", "random seed: the same seed gives the same figures"),
]


INVESTMENT_PARAMETERS = (  # the parameters that are inputs of bizml_nb.finance.roi.Investment
    "annual_benefit_low",
    "annual_benefit_mode",
    "annual_benefit_high",
    "data_cost",
    "eng_months",
    "monthly_rate",
    "infra_setup",
    "cloud_per_year",
    "maintenance_share",
    "deploy_days",
    "ramp_months",
    "years",
    "discount",
)


def _defaults_dict(parameters: Parameters, names: tuple[str, ...]) -> str:
    return "\n".join(
        f'    "{name}": {default},' for name, _, default, _ in parameters if name in names
    )


ROI_CELLS: Cells = [
    (
        "md",
        """# Is this ML project worth funding? Return on investment

This notebook answers three questions for the people who fund an ML project:

1. **Does it pay?** Net present value (NPV), return on investment, payback month.
2. **How sure are we?** The chance that it loses money, over thousands of simulated futures.
3. **What would change the answer?** The inputs that move the result most, the yearly
   benefit needed to break even, and what a more mature ML team would add.

Set the values in the parameters cell below, or make a copy with
`bizml new roi_analysis my_roi.ipynb -p NAME VALUE`, then run every cell
(`bizml run my_roi.ipynb`). The defaults are **illustrations**, not measurements:
replace them with your own figures before relying on the result.""",
    ),
    (
        "parameters",
        _parameters_cell(
            ROI_PARAMETERS,
            "# Parameters: edit them here, or pass them with `bizml new roi_analysis OUT.ipynb -p NAME VALUE`.\n"
            "# Every default is an ILLUSTRATION, not a measurement.",
        ),
    ),
    (
        "md",
        """## What is assumed

The project is followed month by month over the horizon (`years`):

- **At the start** it pays its one-off costs: engineering (person-months times the cost of a
  person-month), data and labelling, and infrastructure set-up.
- **It goes live** after the time to deploy. From then on it pays the cloud bill and
  maintenance (a share of the engineering cost every year), and its benefit **ramps up**
  over `ramp_months` to the full yearly level.
- **Money later is worth less than money now**: each month's net flow is discounted at the
  yearly `discount` rate.
- **The benefit is a range**, not a point: pessimistic, most likely and optimistic yearly
  values (a triangular distribution). When `deploy_days` is not given, the time to deploy is
  a range too: a lognormal curve fitted to Algorithmia's "2020 State of Enterprise Machine
  Learning" survey (about 745 respondents: 14% deploy a model within 7 days, 28% in 8-30
  days, 22% in 31-90 days, 18% take longer, 18% did not answer).

The figures below restate every input, so a reader can check them before reading the results.""",
    ),
    (
        "code",
        """# Check the parameters, then restate every input in words
import math
from dataclasses import fields, replace

import matplotlib.pyplot as plt
from IPython.display import display

from bizml_nb.core import units
from bizml_nb.finance.maturity import LEVEL_NAMES, by_maturity, check_level, survey_prior
from bizml_nb.present.charts import money_axis
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

check_level(maturity_level)
if not annual_benefit_low <= annual_benefit_mode <= annual_benefit_high:
    raise ValueError(
        "the benefit needs annual_benefit_low <= annual_benefit_mode <= annual_benefit_high "
        f"(got {annual_benefit_low:g}, {annual_benefit_mode:g}, {annual_benefit_high:g})"
    )
if benefit_range not in ("ends", "90%"):
    raise ValueError(f'benefit_range is "ends" or "90%" (got {benefit_range!r})')
if not 0 < required_confidence < 1:
    raise ValueError(f"required_confidence is a share between 0 and 1 (got {required_confidence!r})")


def money(amount, signed=False):
    return units.money(amount, currency, signed=signed)


def share(p):
    \"\"\"A probability in words people read: no '100%' for 99.6%, no '0%' for 0.3%.\"\"\"
    if 0 < p < 0.01:
        return "under 1%"
    if 0.99 < p < 1:
        return "over 99%"
    return f"{p:.0%}"


def percent(x):
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
    prior = project.deploy_days
    print(
        f"Time to go live: not given, so the survey prior: median {prior.median:.0f} days, "
        f"1 in 10 projects under {prior.low():.0f} days, 1 in 10 over {prior.high():.0f} days "
        "(lognormal fitted to Algorithmia 2020)"
    )
else:
    print(f"Time to go live: {deploy_days:g} days")
print(f"Ramp-up: the full benefit {ramp_months:g} months after going live")
print(f"Horizon: {years} years, discounted at {percent(discount)} a year")""",
    ),
    (
        "md",
        """## The most likely case

Every range at its most likely value.

- **NPV** (net present value) is what the project is worth today after all its costs; above
  zero, it earns more than the discount rate.
- **ROI** is the NPV over the present value of all the costs.
- **Payback** is the first month in which the money in has caught up with the money out.
- **IRR** (internal rate of return) is the yearly discount rate at which the NPV would be zero.

The chart shows each month's net flow (red: money out, green: money in) and the running total.""",
    ),
    (
        "code",
        """result = evaluate(project)
print(f"NPV: {money(result.npv, signed=True)} over {years} years at {percent(discount)} a year")
if math.isfinite(result.roi):
    print(f"ROI: {result.roi * 100:,.0f}% (NPV over the present value of the costs)")
else:
    print("ROI: not defined (the project has no costs)")
print(f"Payback: {result.payback_text}")
if result.irr is None:
    print("IRR: none (the flows never turn from negative to positive)")
elif result.irr > 10:
    print("IRR: above 1,000% a year (the costs are small next to the benefit: read NPV and payback)")
else:
    print(f"IRR: {result.irr * 100:,.0f}% a year")
cashflow_chart(result, currency)""",
    ),
    (
        "md",
        """## How sure are we?

The same project in many simulated futures (`draws`): each draws a yearly benefit from its
range and, when `deploy_days` is not given, a time to deploy from the survey curve. The chart
shows how often each NPV came up; left of the dashed line the project loses money. The same
`seed` gives exactly the same figures.""",
    ),
    (
        "code",
        """sim = simulate(project, draws=draws, seed=seed)
npv_p10, npv_p50, npv_p90 = sim.npv_percentiles()
pay_p10, pay_p50, pay_p90 = sim.payback_percentiles()


def month(value):
    return f"month {value:.0f}" if value is not None else f"not within {years} years"


print(f"Chance that the project pays (NPV above zero): {share(sim.p_positive)} of {draws:,} futures")
print(
    f"NPV: 1 future in 10 below {money(npv_p10, signed=True)}, half below "
    f"{money(npv_p50, signed=True)}, 1 in 10 above {money(npv_p90, signed=True)}"
)
print(f"Payback: {month(pay_p10)} at best (1 in 10), {month(pay_p50)} typically, {month(pay_p90)} at worst (1 in 10)")

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
figure""",
    ),
    (
        "md",
        """## What moves the answer most

Each uncertain input is set to its low end and then to its high end, the others held at
their most likely values. The longer the bar, the more that input decides the outcome, and
the more it is worth measuring before committing (for the benefit: an A/B test or a pilot).
The **break-even benefit** is the yearly benefit at which the most likely NPV is zero.""",
    ),
    (
        "code",
        """WORDS = {"annual_benefit": "the yearly benefit", "deploy_days": "the time to deploy"}
drivers = tornado(project)
for row in drivers.itertuples():
    if row.input == "annual_benefit":
        low, high = money(row.low), money(row.high)
    else:
        low, high = f"{row.low:,.0f} days", f"{row.high:,.0f} days"
    print(
        f"{WORDS.get(row.input, row.input).capitalize()}: NPV {money(row.npv_at_low, signed=True)} "
        f"at {low}, {money(row.npv_at_high, signed=True)} at {high}"
    )

def margin(value, bar):
    ratio = value / bar
    if ratio >= 2:
        return f"{ratio:,.1f} times that"
    return f"{abs(ratio - 1):.0%} {'above' if ratio >= 1 else 'below'} that"


# NPV is a straight line in the yearly benefit: two evaluations give where it crosses zero
most_likely = project.at_mode()
npv_without = evaluate(replace(most_likely, annual_benefit=0.0)).npv
per_unit = (evaluate(replace(most_likely, annual_benefit=1e6)).npv - npv_without) / 1e6
breakeven = -npv_without / per_unit if per_unit > 0 else math.inf
if math.isfinite(breakeven):
    print(
        f"Break-even: {money(breakeven)} a year of benefit gives an NPV of zero in the most likely "
        f"case; the most likely benefit, {money(annual_benefit_mode)}, is {margin(annual_benefit_mode, breakeven)}"
        if breakeven > 0
        else "Break-even: the project pays even without any benefit"
    )
else:
    print(f"Break-even: none; the project is not live within {years} years")
tornado_chart(drivers, currency)""",
    ),
    (
        "md",
        """## What a step up in maturity is worth (illustrative)

Teams with mature ML delivery deploy faster. In the same Algorithmia survey, almost 75% of
companies with models in production for over five years deploy a model in under 30 days,
while 60% of those just starting take longer; those two points are the only published
figures per maturity group. The table puts this project at each level of Microsoft's
"Machine Learning operations maturity model" (0 No MLOps to 4 Full MLOps automated
operations) with an **illustrative** time to deploy shaped to those two points, and
**illustrative** multipliers on engineering effort and the cloud bill relative to the team's
level today (`maturity_level`). Read it for the order of magnitude, not as a forecast. Its row
for today's level differs from the figures above: it uses that level's time to deploy.""",
    ),
    (
        "code",
        """levels = by_maturity(project, draws=draws, reference_level=maturity_level)
print("level  name                             median days  engineering  cloud   median NPV  P(NPV > 0)")
for row in levels.itertuples():
    marker = "  <- today" if row.level == maturity_level else ""
    print(
        f"{row.level:>5}  {row.name:<32} {row.median_days_to_deploy:>11.0f}  "
        f"{row.eng_multiplier:>10.2f}x  {row.cloud_multiplier:>4.2f}x  "
        f"{money(row.npv_p50, signed=True):>11}  {share(row.p_npv_positive):>10}{marker}"
    )
if maturity_level < 4:
    step_gain = float(levels["npv_p50"][maturity_level + 1] - levels["npv_p50"][maturity_level])
    print(
        f"One step up, from level {maturity_level} ({LEVEL_NAMES[maturity_level]}) to "
        f"{maturity_level + 1} ({LEVEL_NAMES[maturity_level + 1]}), changes this project's median "
        f"NPV by about {money(step_gain, signed=True)} (illustrative)"
    )
else:
    step_gain = None
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
figure""",
    ),
    (
        "md",
        """## Decision summary

The recommendation follows one rule, stated so that it can be argued with: **fund** when the
chance of a positive NPV is at least `required_confidence`; **fund a first stage** (a pilot
that measures the input that moves the answer most) when it is between 50% and that bar;
otherwise **do not fund as scoped**. The cell also records the key figures as JSON
(`application/vnd.bizml.roi+json`), which `bizml run` and reports read back.""",
    ),
    (
        "summary",
        """top = drivers.iloc[0] if not drivers.empty else None
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
    f"Most likely: NPV {money(result.npv, signed=True)} over {years} years, payback "
    f"{result.payback_text}"
    + (f", ROI {result.roi * 100:,.0f}%." if math.isfinite(result.roi) else "."),
    f"Range: 1 future in 10 below {money(npv_p10, signed=True)}, 1 in 10 above "
    f"{money(npv_p90, signed=True)}.",
]
if top is not None and top["swing"] > 0:
    lines.append(
        f"What would change it: {top_words} matters most (NPV {money(top['npv_at_low'], signed=True)} "
        f"at its low end, {money(top['npv_at_high'], signed=True)} at its high end)"
        + (
            f"; below {money(breakeven)} a year of benefit the most likely case loses money."
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
    + ("the Algorithmia 2020 survey prior." if deploy_days is None else f"{deploy_days:g} days (given).")
)
parameters = {
PARAMETERS_DICT
}
TEMPLATE_DEFAULTS = {  # the template's illustrative values, to say which inputs nobody changed
TEMPLATE_DEFAULTS_DICT
}
BENEFIT = ("annual_benefit_low", "annual_benefit_mode", "annual_benefit_high")
unchanged = [
    item.name
    for item in fields(project)
    if all(parameters[k] == TEMPLATE_DEFAULTS[k] for k in (BENEFIT if item.name == "annual_benefit" else (item.name,)))
]
if unchanged:
    lines.append(f"Inputs left at the template's defaults (review them): {', '.join(unchanged)}.")
summary = "\\n".join(lines)
print(summary)


def finite(x):
    \"\"\"A figure for the record: None unless finite, else 10 significant digits (the digits
    after those differ between CPUs and BLAS libraries, and a record should not).\"\"\"
    return float(f"{x:.10g}") if x is not None and math.isfinite(x) else None


record = {
    "format": "bizml.roi",
    "version": 1,
    "template": "roi_analysis",
    "project": project_name,
    "currency": currency,
    "decision": decision,
    "required_confidence": required_confidence,
    "npv": finite(result.npv),
    "roi": finite(result.roi),
    "payback_month": result.payback_month,
    "irr": finite(result.irr),
    "p_npv_positive": finite(p),
    "npv_p10_p50_p90": [finite(npv_p10), finite(npv_p50), finite(npv_p90)],
    "payback_p10_p50_p90": [finite(pay_p10), finite(pay_p50), finite(pay_p90)],
    "draws": draws,
    "seed": seed,
    "breakeven_annual_benefit": finite(breakeven),
    "drivers": [
        {"input": row.input, "npv_at_low": finite(row.npv_at_low), "npv_at_high": finite(row.npv_at_high)}
        for row in drivers.itertuples()
    ],
    "maturity": {
        "level": maturity_level,
        "name": LEVEL_NAMES[maturity_level],
        "npv_p50_by_level": [finite(v) for v in levels["npv_p50"]],
        "gain_next_level": finite(step_gain),
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
)""".replace(
            "PARAMETERS_DICT", _parameters_dict([p[0] for p in ROI_PARAMETERS], indent="    ")
        ).replace("TEMPLATE_DEFAULTS_DICT", _defaults_dict(ROI_PARAMETERS, INVESTMENT_PARAMETERS)),
    ),
]

# --------------------------------------------------------------------------- maturity template

ILLUSTRATIVE_YES = {  # a team at level 1 that has started on level 2
    "separate_teams_collaborate",
    "data_pipeline_automated",
    "experiments_tracked",
    "code_and_model_versioned",
    "release_repeatable",
    "app_has_tests",
}
assert {q.key for q in QUESTIONS} >= ILLUSTRATIVE_YES, "a default answer names no question"
MATURITY_PARAMETERS: Parameters = [
    ("organisation", "str", '"our ML team"', "whose maturity this is; the summary names it"),
    (
        "deployment_history",
        "str | None",
        "None",
        "CSV of past deployments (columns started, deployed; one row per model); None: skip it",
    ),
] + [(q.key, "bool", str(q.key in ILLUSTRATIVE_YES), q.text) for q in QUESTIONS]


def _maturity_parameters_cell() -> str:
    lines = [
        "# Parameters: edit them here, or pass them with `bizml new adoption_maturity OUT.ipynb -p NAME VALUE`.",
        "# The answers (True = yes) describe an ILLUSTRATIVE team: replace them with yours.",
    ]
    dimension = None
    for name, kind, default, comment in MATURITY_PARAMETERS:
        question = next((q for q in QUESTIONS if q.key == name), None)
        if question is not None and question.dimension != dimension:
            dimension = question.dimension
            lines.append(f"# {dimension}: questions for levels 1-4")
        lines.append(f"{name}: {kind} = {default}  # {comment}")
    return "\n".join(lines)


MATURITY_CELLS: Cells = [
    (
        "md",
        f"""# How mature is our ML delivery, and what should we fix first?

{len(QUESTIONS)} yes/no questions place an ML team on Microsoft's ML operations maturity model
(levels 0 to 4) and on Google's MLOps levels (0 to 2). The notebook then shows what that
level usually means for the time it takes to get a model live, compares the team's own
deployments with a published survey if it has a record of them, and lists the concrete
changes that would lift the team one level.

Answer the questions in the parameters cell below (True = yes), or make a copy with
`bizml new adoption_maturity my_team.ipynb -p experiments_tracked true ...`, then run every
cell (`bizml run my_team.ipynb`). The default answers describe an **illustrative** team,
not yours.""",
    ),
    ("parameters", _maturity_parameters_cell()),
    (
        "md",
        """## How the level is scored

- Microsoft's "Machine Learning operations maturity model" (Azure Architecture Center)
  describes five levels, 0 No MLOps, 1 DevOps but no MLOps, 2 Automated training, 3 Automated
  model deployment and 4 Full MLOps automated operations, under four headings: people, model
  creation, model release and application integration. Each question is evidence of one
  level under one heading.
- A heading is at level L when every question of levels 1 to L under it is answered yes.
  The team's level is its weakest heading's: a release process is only as mature as its
  weakest part.
- Google Cloud's "MLOps: continuous delivery and automation pipelines in machine learning"
  has three levels: 0 manual process, 1 ML pipeline automation, 2 CI/CD pipeline automation.
  Microsoft's 0-1 count as Google's 0, 2 as 1, and 3-4 as 2.""",
    ),
    (
        "code",
        """# Score the answers: a level per heading, the team's level, Google's level
import math
from pathlib import Path
from statistics import NormalDist

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from bizml_nb.finance.maturity import (
    ALGORITHMIA_CITATION,
    DEFAULT_ASSUMPTIONS,
    DIMENSIONS,
    LEVEL_NAMES,
    QUESTIONS,
    assess,
    compare_with_survey,
    deployment_days,
    survey_shares,
)

answers = {
ANSWERS_DICT
}
assessment = assess(answers)
level = assessment.level
yes = sum(answers.values())
print(f"{organisation}: {yes} of {len(QUESTIONS)} questions answered yes")
print(
    f"Level {level} ({assessment.name}) on Microsoft's 0-4 scale; "
    f"level {assessment.google_level} on Google's 0-2 scale"
)
for dimension in DIMENSIONS:
    at = assessment.by_dimension[dimension]
    weakest = "  <- sets the team's level" if at == level else ""
    print(f"  {dimension:<24} level {at} ({LEVEL_NAMES[at]}){weakest}")

figure, axes = plt.subplots(figsize=(7, 2.6))
values = [assessment.by_dimension[d] for d in DIMENSIONS]
axes.barh(range(len(DIMENSIONS)), values, color=["tab:orange" if v == level else "tab:blue" for v in values])
axes.set_yticks(range(len(DIMENSIONS)), list(DIMENSIONS))
axes.invert_yaxis()
axes.set_xlim(0, 4)
axes.set_xticks(range(5))
axes.set_xlabel("maturity level (orange: the weakest headings, which set the team's level)")
axes.set_title("Maturity by heading")
figure.tight_layout()
plt.close(figure)
figure""".replace("ANSWERS_DICT", _parameters_dict([q.key for q in QUESTIONS], indent="    ")),
    ),
    (
        "md",
        """The answers, question by question:""",
    ),
    (
        "code",
        """pd.DataFrame(
    {
        "heading": [q.dimension for q in QUESTIONS],
        "level": [q.level for q in QUESTIONS],
        "question": [q.text for q in QUESTIONS],
        "answer": ["yes" if answers[q.key] else "no" for q in QUESTIONS],
    }
)""",
    ),
    (
        "md",
        """## Time to deploy: what this level usually means

Algorithmia's "2020 State of Enterprise Machine Learning" (about 745 respondents) asked how
long it takes to deploy a model: 14% said 7 days or less, 28% 8-30 days, 22% 31-90 days, 18%
longer, and 18% did not answer (the shares below are of those who answered). Per maturity
group, the survey gives only two points: almost 75% of companies with models in production
for over five years deploy in under 30 days, and 60% of those just starting take longer.
The curves per level below are **illustrative**, shaped to those two points; they are not
measured per level.""",
    ),
    (
        "code",
        """BINS = [("7 days or less", 0, 7), ("8-30 days", 7, 30), ("31-90 days", 30, 90), ("more than 90 days", 90, math.inf)]


def within(prior, days):
    \"\"\"Share of projects deployed within ``days`` under a lognormal prior.\"\"\"
    if days == math.inf:
        return 1.0
    return NormalDist().cdf((math.log(days) - math.log(prior.median)) / prior.sigma)


def binned(prior):
    return [within(prior, high) - (within(prior, low) if low > 0 else 0.0) for _, low, high in BINS]


survey = survey_shares()
shown_levels = [level] + ([level + 1] if level < 4 else [])
table = pd.DataFrame({"days to deploy": [name for name, _, _ in BINS], "survey (all who answered)": [survey[name] for name, _, _ in BINS]})
for at in shown_levels:
    table[f"level {at} (illustrative)"] = binned(DEFAULT_ASSUMPTIONS.deploy_prior(at))
prior = DEFAULT_ASSUMPTIONS.deploy_prior(level)
survey_30 = survey["7 days or less"] + survey["8-30 days"]
print(f"Survey: {survey_30:.0%} of those who answered deploy within 30 days ({ALGORITHMIA_CITATION})")
print(f"Level {level}: median {prior.median:.0f} days to deploy, {within(prior, 30):.0%} within 30 days (illustrative)")
if level < 4:
    better = DEFAULT_ASSUMPTIONS.deploy_prior(level + 1)
    print(f"Level {level + 1}: median {better.median:.0f} days, {within(better, 30):.0%} within 30 days (illustrative)")

figure, axes = plt.subplots(figsize=(7, 3))
width = 0.8 / (len(table.columns) - 1)
for i, column in enumerate(table.columns[1:]):
    axes.bar([x + i * width for x in range(len(BINS))], table[column], width=width, label=column)
axes.set_xticks([x + width * (len(table.columns) - 2) / 2 for x in range(len(BINS))], list(table["days to deploy"]))
axes.set_ylabel("share of models")
axes.set_title("Time to deploy: survey and illustrative curves per level")
axes.legend(fontsize=8)
figure.tight_layout()
plt.close(figure)
display(figure)
shown = table.copy()
for column in shown.columns[1:]:
    shown[column] = [f"{v:.0%}" for v in shown[column]]
shown""",
    ),
    (
        "md",
        """## The team's own deployments

With `deployment_history`, the path of a CSV with one row per deployed model and the columns
`started` and `deployed` (dates), the team's own times to deploy are set beside the survey's.
Measured figures beat any survey: if yours differ from the level's illustrative curve, trust
yours (and give them to `roi_analysis` as `deploy_days`).""",
    ),
    (
        "code",
        """history = None
if deployment_history is None:
    print("No deployment history given (parameter deployment_history): nothing to compare.")
else:
    if not Path(deployment_history).is_file():
        raise FileNotFoundError(f"deployment_history: no file at {deployment_history!r}")
    days = deployment_days(pd.read_csv(deployment_history))
    comparison = compare_with_survey(days)
    history = {
        "deployments": len(days),
        "median_days": float(days.median()),
        "within_30_days": float((days <= 30).mean()),
        "shares": {row.days: float(row.yours) for row in comparison.itertuples()},
    }
    print(
        f"{history['deployments']} deployments: median {history['median_days']:.0f} days from start "
        f"to live, {history['within_30_days']:.0%} within 30 days (survey: {survey_30:.0%})"
    )
    figure, axes = plt.subplots(figsize=(7, 3))
    positions = range(len(comparison))
    axes.bar([x - 0.2 for x in positions], comparison["yours"], width=0.4, label=organisation)
    axes.bar([x + 0.2 for x in positions], comparison["survey"], width=0.4, label="Algorithmia 2020")
    axes.set_xticks(list(positions), list(comparison["days"]))
    axes.set_ylabel("share of models")
    axes.set_title("Time to deploy: yours and the survey's")
    axes.legend(fontsize=8)
    figure.tight_layout()
    plt.close(figure)
    display(figure)
    shown = comparison.copy()
    for column in ("yours", "survey"):
        shown[column] = [f"{v:.0%}" for v in shown[column]]
    display(shown)""",
    ),
    (
        "md",
        """## What would lift the level

To reach the next level, every heading has to reach it: these are the questions still
answered no, each with a first concrete step.""",
    ),
    (
        "code",
        """if level == 4:
    to_next = []
    print("Level 4 is the top of the scale: keep the practices that got the team here.")
else:
    to_next = [q for q in QUESTIONS if q.level <= level + 1 and not answers[q.key]]
    print(f"To reach level {level + 1} ({LEVEL_NAMES[level + 1]}), {len(to_next)} changes:")
    for q in to_next:
        print(f"- [{q.dimension}, level {q.level}] {q.text}")
        print(f"  first step: {q.next_step}")""",
    ),
    (
        "md",
        """## Decision summary

Where the team stands, what to fix first, and what it would change. The cell also records
the key figures as JSON (`application/vnd.bizml.maturity+json`), which `bizml run` and
reports read back.""",
    ),
    (
        "summary",
        """weakest = [d for d in DIMENSIONS if assessment.by_dimension[d] == level]
lines = [
    f"Decision summary: {organisation}",
    f"Level {level} ({assessment.name}) on Microsoft's 0-4 scale, level {assessment.google_level} "
    f"on Google's 0-2 scale; {yes} of {len(QUESTIONS)} answers yes.",
]
if level < 4:
    lines.append(f"The level is set by: {', '.join(weakest)}.")
    lines.append(
        f"Fix first ({len(to_next)} changes to reach level {level + 1}, {LEVEL_NAMES[level + 1]}): "
        + "; ".join(q.next_step.rstrip(".") for q in to_next[:3])
        + ("; and more below." if len(to_next) > 3 else ".")
    )
    lines.append(
        f"Time to deploy (illustrative): median {prior.median:.0f} days at level {level}, "
        f"{DEFAULT_ASSUMPTIONS.deploy_prior(level + 1).median:.0f} days at level {level + 1}."
    )
else:
    lines.append(f"Top level: keep it. Time to deploy (illustrative): median {prior.median:.0f} days.")
if history is not None:
    lines.append(
        f"Own deployments: {history['deployments']}, median {history['median_days']:.0f} days, "
        f"{history['within_30_days']:.0%} within 30 days (survey: {survey_30:.0%})."
    )
lines.append(f"What would change this: answering yes to the questions listed above; then re-run.")
summary = "\\n".join(lines)
print(summary)

record = {
    **assessment.record(),
    "template": "adoption_maturity",
    "organisation": organisation,
    "level_name": assessment.name,
    "yes_answers": int(yes),
    "to_next_level": [q.key for q in to_next],
    "deploy_prior": {
        "level": level,
        "median_days": float(prior.median),
        "within_30_days": float(within(prior, 30)),
        "illustrative": True,
    },
    "survey": {"source": ALGORITHMIA_CITATION, "shares": {k: float(v) for k, v in survey.items()}},
    "history": history,
    "parameters": {
PARAMETERS_DICT
    },
    "summary": summary,
}
display(
    {
        "text/plain": "decision record: application/vnd.bizml.maturity+json",
        "application/vnd.bizml.maturity+json": record,
    },
    raw=True,
)""".replace("PARAMETERS_DICT", _parameters_dict([p[0] for p in MATURITY_PARAMETERS])),
    ),
]

# --------------------------------------------------------------------------- the example

# The benefit is the predicted yearly value of run "SVD rank 6" in
# notebooks/recsys_take_rate.ipynb, read from that notebook's saved run record
# (its card: about +$3.95M/yr [+$1.22M, +$7.07M]); tests/test_notebooks_agree.py
# fails when the two notebooks disagree.
RECSYS_RUN = "SVD rank 6"
BENEFIT_KEYS = ("annual_benefit_low", "annual_benefit_mode", "annual_benefit_high")
ROI_EXAMPLE: dict[str, Any] = {
    "project_name": "recommender: SVD rank 6",
    "benefit_source": (
        "the predicted yearly value of run 'SVD rank 6' in notebooks/recsys_take_rate.ipynb "
        "(90% range; illustrative figures)"
    ),
    **dict.fromkeys(BENEFIT_KEYS, 0.0),  # filled in by recsys_benefit()
    "benefit_range": "90%",
    "data_cost": 30_000.0,
    "eng_months": 18.0,
    "monthly_rate": 20_000.0,
    "infra_setup": 120_000.0,
    "cloud_per_year": 400_000.0,
    "maintenance_share": 0.25,
    "ramp_months": 3.0,
    "years": 3,
    "maturity_level": 1,
}
EXAMPLE_INTRO = """# Worked example: is the recommender worth shipping?

This is `templates/roi_analysis.ipynb` instantiated for the recommender of
`notebooks/recsys_take_rate.ipynb` and executed (`python tools/build_templates.py example`,
through the functions behind `bizml new` and `bizml run`). The yearly benefit is that notebook's predicted value
of run **SVD rank 6**: about MID a year, 90% range LOW to HIGH (`benefit_range = "90%"`:
5% of the simulated futures fall below LOW and 5% above HIGH). Those figures, and
the costs below, are **illustrations**, not measurements. The parameters papermill injected
are in the cell tagged `injected-parameters`, just after the template's defaults."""


def build_templates() -> None:
    TEMPLATES.mkdir(exist_ok=True)
    for name, cells in (("roi_analysis", ROI_CELLS), ("adoption_maturity", MATURITY_CELLS)):
        nbformat.write(_notebook(name.split("_")[0], cells), TEMPLATES / f"{name}.ipynb")
        print(f"templates/{name}.ipynb: written (no outputs)")


def recsys_benefit() -> tuple[float, float, float]:
    """Run "SVD rank 6"'s yearly value (low, mid, high) as its saved card rounds it."""
    from bizml_nb.interfaces.nbimport import cards_in_notebook
    from bizml_nb.present.cards import RUN_MIME

    for card in cards_in_notebook(NOTEBOOKS / "recsys_take_rate.ipynb"):
        if card[RUN_MIME]["run"]["name"] == RECSYS_RUN:
            low, mid, high = (float(f"{v:.3g}") for v in card[RUN_MIME]["impact"]["value_per_year"])
            return low, mid, high
    raise SystemExit(f"no saved card for run {RECSYS_RUN!r}: run tools/build_examples.py first")


def build_example() -> float:
    from bizml_nb.core import units
    from bizml_nb.interfaces import templates

    benefit = recsys_benefit()
    parameters = {**ROI_EXAMPLE, **dict(zip(BENEFIT_KEYS, benefit, strict=True))}
    low, mid, high = (units.money(v, "USD", signed=True).replace("$", "\\$") for v in benefit)
    out = NOTEBOOKS / "roi_example.ipynb"
    with tempfile.TemporaryDirectory() as scratch:
        prepared = templates.new("roi_analysis", Path(scratch) / "roi_example.ipynb", parameters)
        executed = Path(scratch) / "executed.ipynb"  # a new file: `bizml run` replaces none
        done = templates.run(prepared, out=executed, progress=False, cwd=NOTEBOOKS)
        nb = nbformat.read(executed, as_version=4)
    nb.metadata.papermill.update(input_path="templates/roi_analysis.ipynb", output_path=None)
    for key in ("start_time", "end_time", "duration", "exception"):
        nb.metadata.papermill.pop(key, None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
    intro = nbformat.v4.new_markdown_cell(
        EXAMPLE_INTRO.replace("MID", mid).replace("LOW", low).replace("HIGH", high)
    )
    intro.id = "example-intro"
    nb.cells.insert(0, intro)
    nbformat.write(nb, out)
    return done.seconds


def main(argv: list[str] | None = None) -> None:
    targets = (argv if argv is not None else sys.argv[1:]) or ["templates", "example"]
    unknown = [t for t in targets if t not in ("templates", "example")]
    if unknown:
        raise SystemExit(f"unknown target {unknown[0]!r}; choose from templates, example")
    if "templates" in targets:
        build_templates()
    if "example" in targets:
        seconds = build_example()
        print(f"notebooks/roi_example.ipynb: executed in {seconds:.1f} s")


if __name__ == "__main__":
    main()
