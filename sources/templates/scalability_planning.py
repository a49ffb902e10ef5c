# %% [markdown]
# # What will it cost to serve this model? Scalability planning
#
# This notebook answers four questions for the people who pay for running an ML model:
#
# 1. **How much memory does it need?** Not just its weights: the software around it, the
#    requests it holds at once, and the copies needed to keep up with traffic.
# 2. **How many machines, at what price?** The cheapest machines that hold it, and the yearly bill.
# 3. **What happens as traffic grows?** Year by year, at the growth rate you expect.
# 4. **What would a bigger model cost?** The next model you are considering, say ten times larger.
#
# Set the values in the parameters cell below, or make a copy with
# `bizml new scalability_planning my_plan.ipynb -p NAME VALUE`, then run every cell
# (`bizml run my_plan.ipynb`). The defaults, and the machine prices, are **illustrations**:
# replace them with your own measurements and your provider's prices before relying on the result.

# %% tags=["parameters"]
# fmt: off
# Parameters: edit them here, or pass them with `bizml new scalability_planning OUT.ipynb -p NAME VALUE`.
# Every default is an ILLUSTRATION, not a measurement.
model_name: str = "ranking network"  # what is being planned; the summary names it
params: float = 100e6  # parameters of the model served today (100e6 = 100 million)
dtype: str = "fp16"  # number format of the served weights: fp32, fp16, bf16, int8 or int4
latency_ms: float = 40.0  # time to serve one batch, measured on the hardware below
batch_size: int = 1  # requests served together in one batch
rps: float = 50.0  # requests per second at peak today
traffic_growth: float = 0.5  # traffic growth per year (0.5 = +50% a year)
years: int = 3  # planning horizon in years
model_growth: float = 10.0  # the next model's size as a multiple of today's (10 = ten times the parameters)
hardware: str = "any"  # instances to choose from: "cpu", "gpu" or "any" (the latency must hold on them)
runtime_gb: float = 1.0  # memory per model copy for framework, server and kernels, in GB (illustration)
activation_mb_per_item: float = 0.0  # MB of activations per request in a batch (0: not counted; measure yours)
replicas_per_host: int = 1  # most copies of the model placed on one instance
headroom: float = 0.2  # share of an instance's memory kept free (0.2 = 20%)
target_utilisation: float = 0.7  # share of the time a replica is busy (0.7 = 70%)
currency: str = "USD"  # currency of the instance prices (the default table is in USD)
annual_benefit: float | None = None  # the model's yearly business value, to set the cloud bill against (None: not compared)
# fmt: on

# %% [markdown]
# ## What is assumed
#
# - **Memory of one copy of the model**: its parameters times the bytes each takes (4 in fp32,
#   2 in fp16 or bf16, 1 in int8, half a byte in int4), about 20% more for the working memory of
#   a prediction, the activations of the requests in a batch, and the runtime (the framework and
#   server around the model, `runtime_gb`). Each machine also keeps `headroom` of its memory free.
# - **Copies needed for the traffic** (Little's law): the requests being served at any moment
#   are the requests per second times the time each takes. One copy serves `batch_size` at once
#   and is kept busy only `target_utilisation` of the time, so that queues stay short.
# - **Machines**: the cheapest way to place those copies on the machines of a price table. The
#   table shipped with bizml_nb has **round, illustrative prices, not quotes**.
# - **Growth**: traffic grows by `traffic_growth` a year; a model `model_growth` times larger
#   takes that many times longer per batch (its computation grows with its parameters).
#
# The cell below checks the parameters and shows today's plan, with every assumption it used.

# %%
# Check the parameters, then plan today's serving
import math

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from bizml_nb.core import units
from bizml_nb.finance.capacity import (
    BYTES_PER_PARAM,
    CAPACITY_MIME,
    CapacityError,
    CapacityPlan,
    MemoryAssumptions,
    ServingAssumptions,
    cost_chart,
    cost_curve,
    count,
    plan,
    size,
)
from bizml_nb.interfaces.notebook_helpers import money_in, record_figure

if hardware not in ("any", "cpu", "gpu"):
    raise ValueError(f"hardware is 'any', 'cpu' or 'gpu' (got {hardware!r})")
if traffic_growth <= -1:
    raise ValueError(f"traffic_growth must be above -1 (-100% a year); got {traffic_growth!r}")
if years < 1:
    raise ValueError(f"years must be at least 1 (got {years!r})")
if model_growth <= 0:
    raise ValueError(f"model_growth is a multiple of today's size, above 0 (got {model_growth!r})")

memory = MemoryAssumptions(
    activation_mb_per_item=activation_mb_per_item,
    runtime_gb=runtime_gb,
    replicas_per_host=replicas_per_host,
    headroom=headroom,
)
serving = ServingAssumptions(batch_size=batch_size, target_utilisation=target_utilisation)
choose = None if hardware == "any" else hardware


money = money_in(currency)


def plan_for(
    size_params: float, traffic: float, latency: float, number_format: str = dtype
) -> CapacityPlan | None:
    """The plan, or None when no machine in the table holds the model."""
    try:
        return plan(
            size_params,
            number_format,
            traffic,
            latency,
            memory=memory,
            serving=serving,
            hardware=choose,
            currency=currency,
        )
    except CapacityError as exc:
        if str(exc).startswith("nothing fits"):
            return None
        raise


today = plan(
    params,
    dtype,
    rps,
    latency_ms,
    memory=memory,
    serving=serving,
    hardware=choose,
    currency=currency,
)
print(f"Model: {model_name}")
today.card()

# %% [markdown]
# ## Where the memory goes
#
# The weights are often the smaller part. The chart splits the memory of one machine into its
# parts; the table shows what a smaller number format would change (the latency is held fixed,
# a cautious assumption: smaller formats are often faster).

# %%
parts = today.breakdown.parts
figure, axes = plt.subplots(figsize=(7, 0.45 * len(parts) + 1.2))
axes.barh([p.label for p in parts][::-1], [p.gb for p in parts][::-1], color="tab:blue")
for position, part in enumerate(parts[::-1]):
    axes.text(part.gb, position, " " + size(part.gb), va="center", fontsize=8)
axes.set_xlabel("GB on one machine")
axes.set_title(
    f"{size(today.breakdown.total_gb)} on each {today.fit.instance.name} "
    f"({today.fit.replicas_per_host} cop{'y' if today.fit.replicas_per_host == 1 else 'ies'})"
)
axes.margins(x=0.25)
figure.tight_layout()
plt.close(figure)
display(figure)

rows = []
for option in ("fp32", "fp16", "int8", "int4"):
    option_plan = plan_for(params, rps, latency_ms, option)
    rows.append(
        {
            "number format": option,
            "weights": size(params * BYTES_PER_PARAM[option] / 1e9),
            "memory of one copy": size(option_plan.breakdown.per_copy_gb) if option_plan else "",
            "machines": f"{option_plan.fit.hosts} x {option_plan.fit.instance.name}"
            if option_plan
            else "none in the table holds it",
            "yearly cost": money(option_plan.yearly_cost) if option_plan else "",
        }
    )
pd.DataFrame(rows).set_index("number format")

# %% [markdown]
# ## As traffic and the model grow
#
# Year by year at `traffic_growth` a year, for today's model and for a model `model_growth`
# times larger (its batches take that many times longer). The charts show the yearly cost over
# a grid of traffic levels and model sizes; a gap means no machine in the table holds the model.

# %%
next_params = params * model_growth
next_latency = latency_ms * model_growth
growth_rows: list[dict[str, float | str]] = []
for year in range(years + 1):
    traffic = rps * (1 + traffic_growth) ** year
    row: dict[str, float | str] = {"year": year, "requests/s": round(traffic, 1)}
    for label, size_params, latency in (
        ("today's model", params, latency_ms),
        ("next model", next_params, next_latency),
    ):
        result = plan_for(size_params, traffic, latency)
        row[f"{label}: machines"] = (
            f"{result.fit.hosts} x {result.fit.instance.name}" if result else "none holds it"
        )
        row[f"{label}: yearly cost"] = result.yearly_cost if result else math.nan
    growth_rows.append(row)
growth = pd.DataFrame(growth_rows).set_index("year")
shown = growth.copy()
for column in ("today's model: yearly cost", "next model: yearly cost"):
    shown[column] = ["" if math.isnan(v) else money(v) for v in growth[column]]
display(shown)

params_grid = sorted({params / 10, params, next_params})
rps_grid = sorted({rps * (1 + traffic_growth) ** year for year in range(years + 1)} | {rps / 10})
curve = cost_curve(
    params_grid,
    rps_grid,
    dtype,
    latency_ms,
    latency_params=params,
    memory=memory,
    serving=serving,
    hardware=choose,
)
cost_chart(curve, currency)

# %% [markdown]
# ## The next model
#
# The same plan for the model `model_growth` times larger, at today's traffic. If no machine in
# the table holds it, the message says how much it needs and what the largest machine has.

# %%
bigger: CapacityPlan | None  # None: no machine in the table holds the next model
bigger_problem: str | None
try:
    bigger = plan(
        next_params,
        dtype,
        rps,
        next_latency,
        memory=memory,
        serving=serving,
        hardware=choose,
        currency=currency,
    )
except CapacityError as exc:
    bigger = None
    bigger_problem = str(exc)
    print(f"The next model ({count(next_params)} parameters): {bigger_problem}")
else:
    bigger_problem = None
    display(bigger.card())


# %% [markdown]
# ## Decision summary
#
# What serving costs today, in the last year of the horizon, and with the bigger model; how much
# of it the weights explain; and, when the yearly benefit is given, the bill as a share of it.
# The cell also records the key figures as JSON (`application/vnd.bizml.capacity+json`), which
# `bizml run` and reports read back; its `yearly_cost` is the `cloud_per_year` input of the
# ROI template.


# %% tags=["decision-summary"]
def cost_text(value: float) -> str:
    return "no machine in the table holds it" if math.isnan(value) else money(value)


final_traffic = rps * (1 + traffic_growth) ** years
final = growth.iloc[-1]
final_cost, final_next_cost = final["today's model: yearly cost"], final["next model: yearly cost"]
weights_gb = params * today.bytes_per_param / 1e9
lines = [
    f"Decision summary: {model_name}",
    f"Today: {count(params)} parameters in {dtype} at {units.number(rps)} requests/s need "
    f"{today.replicas} cop{'y' if today.replicas == 1 else 'ies'} of the model on "
    f"{today.fit.hosts} x {today.fit.instance.name}: about {money(today.yearly_cost)} a year.",
    f"Memory: one copy needs {size(today.breakdown.per_copy_gb)}, of which the weights are "
    f"{size(weights_gb)} ({weights_gb / today.breakdown.per_copy_gb:.0%}); the rest is the "
    "runtime, the working memory and the requests in flight.",
    f"In {years} years at {traffic_growth:+.0%} a year ({units.number(final_traffic)} requests/s): "
    f"{cost_text(final_cost)} a year.",
    f"A {model_growth:g}x larger model ({count(next_params)} parameters): "
    + (
        f"{money(bigger.yearly_cost)} a year today, "
        f"{cost_text(final_next_cost)} a year in {years} years."
        if bigger is not None
        else "no machine in the table holds it."
    ),
]
if annual_benefit is not None and annual_benefit > 0:
    lines.append(
        f"Against the benefit of {money(annual_benefit)} a year, today's bill is "
        f"{today.yearly_cost / annual_benefit:.1%} of it."
    )
lines.append(
    "Prices: "
    + (
        "the illustrative default table (round prices, not quotes): replace them with your provider's."
        if today.default_table
        else "the table given."
    )
)
lines.append(
    "What would change this: the latency measured on the machines chosen, real prices, "
    "and the activations at your batch size."
)
summary = "\n".join(lines)
print(summary)


record = {
    **today.record(),
    "template": "scalability_planning",
    "model_name": model_name,
    "growth": [
        {
            "year": int(row["year"]),
            "rps": record_figure(row["requests/s"]),
            "yearly_cost": record_figure(row["today's model: yearly cost"]),
            "next_model_yearly_cost": record_figure(row["next model: yearly cost"]),
        }
        for row in growth.reset_index().to_dict("records")
    ],
    "next_model": {
        "params": next_params,
        "latency_ms": next_latency,
        "yearly_cost": record_figure(bigger.yearly_cost) if bigger is not None else None,
        "problem": bigger_problem,
    },
    "annual_benefit": annual_benefit,
    "parameters": {
        "model_name": model_name,
        "params": params,
        "dtype": dtype,
        "latency_ms": latency_ms,
        "batch_size": batch_size,
        "rps": rps,
        "traffic_growth": traffic_growth,
        "years": years,
        "model_growth": model_growth,
        "hardware": hardware,
        "runtime_gb": runtime_gb,
        "activation_mb_per_item": activation_mb_per_item,
        "replicas_per_host": replicas_per_host,
        "headroom": headroom,
        "target_utilisation": target_utilisation,
        "currency": currency,
        "annual_benefit": annual_benefit,
    },
    "summary": summary,
}
display(
    {
        "text/plain": "decision record: application/vnd.bizml.capacity+json",
        CAPACITY_MIME: record,
    },
    raw=True,
)
