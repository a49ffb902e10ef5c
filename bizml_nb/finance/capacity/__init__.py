"""Capacity: the memory a model needs, the replicas its traffic needs, what serving it costs.

Three steps, each a pure function over named, overridable assumptions:

1. **Memory** (:func:`inference_memory`, :func:`training_memory`): parameters x bytes
   per parameter for the dtype (fp32 4, fp16/bf16 2, int8 1, int4 0.5), then every
   other part named: forward-pass buffers (inference: about 1.2 x the weights),
   activations of the items in flight, the runtime, the copies on one host and the
   headroom kept free; for training, gradients and optimizer states (AdamW in mixed
   precision: 18 bytes per parameter, 16 in fp32). The parts add up to the total.
2. **Replicas** (:func:`replicas_needed`), by Little's law: requests in flight =
   arrival rate x time in service (``L = lambda W``). One replica serves
   ``batch_size x concurrency_per_replica`` requests at once and is kept busy at most
   ``target_utilisation`` of the time, so replicas = ceil(rps x latency / (batch x
   concurrency x utilisation)).
3. **Cost** (:func:`cheapest_fit`, :func:`plan`): the cheapest way to place those
   replicas on instances of a table (name, memory, cost per hour). The default table,
   :data:`DEFAULT_INSTANCES`, is an ILLUSTRATION with round prices, not a quote:
   pass your provider's prices. The yearly cost (hours in a year x cost per hour x
   instances) can feed the ROI model: ``Investment(..., cloud_per_year=plan.yearly_cost)``
   or :meth:`CapacityPlan.investment`.

The package, by responsibility: :mod:`~bizml_nb.finance.capacity.assumptions` (units,
dtypes and the named assumptions), :mod:`~bizml_nb.finance.capacity.memory` (the
breakdowns), :mod:`~bizml_nb.finance.capacity.placement` (instances, replicas, the
cheapest fit), :mod:`~bizml_nb.finance.capacity.planning` (:func:`plan`,
:func:`capacity`), :mod:`~bizml_nb.finance.capacity.card` (the card),
:mod:`~bizml_nb.finance.capacity.curve` and :mod:`~bizml_nb.finance.capacity.charts`
(cost as traffic and the model grow), :mod:`~bizml_nb.finance.capacity.seed` (the seed's
worked example) and :mod:`~bizml_nb.finance.capacity.words` (sizes and counts in words).

Sizes are decimal: 1 GB = 10^9 bytes, 1 MB = 10^6 bytes (100M x 4 bytes = 0.4 GB).

>>> round(inference_memory(100e6, "fp32", MemoryAssumptions(runtime_gb=0, headroom=0)).total_gb, 6)
0.48
>>> replicas_needed(rps=100, latency_ms=200, batch_size=8)  # 20 in flight / (8 x 0.7)
4

:func:`seed_example` works through the seed's "logistic regression in 1 GB vs a
100M-parameter network that needs 16 GB" and shows where the 16 GB goes.
"""

from __future__ import annotations

from bizml_nb.finance.capacity.assumptions import (
    BYTES_PER_PARAM,
    DTYPE_ALIASES,
    GB,
    HARDWARE,
    HOURS_PER_YEAR,
    MB,
    OPTIMIZER_BYTES,
    CapacityError,
    MemoryAssumptions,
    ServingAssumptions,
    TrainingAssumptions,
)
from bizml_nb.finance.capacity.card import CAPACITY_MIME, CapacityCard
from bizml_nb.finance.capacity.charts import cost_chart
from bizml_nb.finance.capacity.curve import cost_curve
from bizml_nb.finance.capacity.memory import (
    Breakdown,
    Part,
    inference_memory,
    training_memory,
)
from bizml_nb.finance.capacity.placement import (
    DEFAULT_INSTANCES,
    Fit,
    Instance,
    cheapest_fit,
    replicas_needed,
    smallest_instance,
)
from bizml_nb.finance.capacity.planning import CapacityPlan, capacity, plan
from bizml_nb.finance.capacity.seed import (
    SEED_LOGISTIC,
    SEED_NETWORK,
    SEED_RPS,
    SeedExample,
    SeedModel,
    seed_example,
)
from bizml_nb.finance.capacity.words import count, size

__all__ = [
    "BYTES_PER_PARAM",
    "CAPACITY_MIME",
    "DEFAULT_INSTANCES",
    "DTYPE_ALIASES",
    "GB",
    "HARDWARE",
    "HOURS_PER_YEAR",
    "MB",
    "OPTIMIZER_BYTES",
    "SEED_LOGISTIC",
    "SEED_NETWORK",
    "SEED_RPS",
    "Breakdown",
    "CapacityCard",
    "CapacityError",
    "CapacityPlan",
    "Fit",
    "Instance",
    "MemoryAssumptions",
    "Part",
    "SeedExample",
    "SeedModel",
    "ServingAssumptions",
    "TrainingAssumptions",
    "capacity",
    "cheapest_fit",
    "cost_chart",
    "cost_curve",
    "count",
    "inference_memory",
    "plan",
    "replicas_needed",
    "seed_example",
    "size",
    "smallest_instance",
    "training_memory",
]
