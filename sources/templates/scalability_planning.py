# %% [markdown]
# # What will it cost to serve this model? Scalability planning
#
# This notebook decides **what budget serving an ML model needs**, today and as it grows, for
# the people who pay for running it. It answers four questions:
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
from typing import Optional  # a parameter that may be None is Optional[...]: papermill reads it

# Parameters: edit them here, or pass them with `bizml new scalability_planning OUT.ipynb -p NAME VALUE`.
# Every default is an ILLUSTRATION, not a measurement.
model_name: str = "ranking network"  # what is being planned; the decision names it
params: float = 100e6  # parameters of the model served today (100e6 is 100 million)
dtype: str = "fp16"  # number format of the served weights: fp32, fp16, bf16, int8 or int4
latency_ms: float = 40.0  # time to serve one batch, measured on the hardware below
batch_size: int = 1  # requests served together in one batch
rps: float = 50.0  # requests per second at peak today
traffic_growth: float = 0.5  # traffic growth per year (0.5: +50% a year)
years: int = 3  # planning horizon in years
model_growth: float = 10.0  # the next model's size as a multiple of today's (10: ten times the parameters)
hardware: str = "any"  # instances to choose from: "cpu", "gpu" or "any" (the latency must hold on them)
runtime_gb: float = 1.0  # memory per model copy for framework, server and kernels, in GB (illustration)
activation_mb_per_item: float = 0.0  # MB of activations per request in a batch (0: not counted; measure yours)
replicas_per_host: int = 1  # most copies of the model placed on one instance
headroom: float = 0.2  # share of an instance's memory kept free (0.2: 20%)
target_utilisation: float = 0.7  # share of the time a replica is busy (0.7: 70%)
currency: str = "USD"  # currency of the instance prices (the default table is in USD)
annual_benefit: Optional[float] = None  # the model's yearly business value, to set the cloud bill against (None: not compared)
# fmt: on

# %% [markdown]
# ## The decision: the serving budget
#
# The card gives what serving costs today and at the end of the horizon, what the next,
# larger model would cost, how much of the memory the weights explain, and, when the yearly
# benefit is given, the bill as a share of it. Its yearly cost is the `cloud_per_year` input
# of the `roi_analysis` template. The cell first checks the parameters, as `bizml new` and
# `bizml run` do.

# %% tags=["decision-summary"]
from bizml_nb.present.analyses import capacity

parameters = capacity.parameters_from(globals())
capacity.check_parameters(parameters)
analysis = capacity.analyse(parameters)
analysis.decision

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
# Today's plan, with every assumption it used:

# %%
analysis.today_card()

# %% [markdown]
# ## Where the memory goes
#
# The weights are often the smaller part. The chart splits the memory of one machine into its
# parts; the table shows what a smaller number format would change (the latency is held fixed,
# a cautious assumption: smaller formats are often faster).

# %%
analysis.memory_chart()

# %%
analysis.formats_table()

# %% [markdown]
# ## As traffic and the model grow
#
# Year by year at `traffic_growth` a year, for today's model and for a model `model_growth`
# times larger (its batches take that many times longer). The charts show the yearly cost over
# a grid of traffic levels and model sizes; a gap means no machine in the table holds the model.

# %%
analysis.growth_table()

# %%
analysis.cost_chart()

# %% [markdown]
# ## The next model
#
# The same plan for the model `model_growth` times larger, at today's traffic. If no machine in
# the table holds it, the card says how much it needs and what the largest machine has.

# %%
analysis.next_model()
