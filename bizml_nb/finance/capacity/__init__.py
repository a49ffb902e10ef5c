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

Sizes are decimal: 1 GB = 10^9 bytes, 1 MB = 10^6 bytes (100M x 4 bytes = 0.4 GB).

>>> round(inference_memory(100e6, "fp32", MemoryAssumptions(runtime_gb=0, headroom=0)).total_gb, 6)
0.48
>>> replicas_needed(rps=100, latency_ms=200, batch_size=8)  # 20 in flight / (8 x 0.7)
4

:func:`seed_example` works through the seed's "logistic regression in 1 GB vs a
100M-parameter network that needs 16 GB" and shows where the 16 GB goes.
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.core._records import portable
from bizml_nb.core.errors import BizmlError, did_you_mean
from bizml_nb.present.cards import text_html

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import pandas as pd
    from matplotlib.figure import Figure

    from bizml_nb.finance.roi import Investment, Value

CAPACITY_MIME = "application/vnd.bizml.capacity+json"
GB = 1e9  # bytes: decimal, as in "16 GB" and "100M x 4 bytes = 0.4 GB"
MB = 1e6
HOURS_PER_YEAR = 8_760.0  # 365 x 24, the convention of cloud price calculators (730 h a month)

BYTES_PER_PARAM: dict[str, float] = {
    "fp32": 4.0,
    "fp16": 2.0,
    "bf16": 2.0,
    "int8": 1.0,
    "int4": 0.5,
}
"""Bytes a parameter takes in each dtype (Hugging Face, "Model training anatomy")."""

DTYPE_ALIASES = {"float32": "fp32", "float16": "fp16", "half": "fp16", "bfloat16": "bf16"}

OPTIMIZER_BYTES: dict[str, float] = {
    "adamw": 8.0,  # two fp32 states (momentum, variance): Hugging Face
    "adam": 8.0,  # the same two states as AdamW
    "adamw-8bit": 2.0,  # bitsandbytes 8-bit AdamW: Hugging Face
    "sgd-momentum": 4.0,  # one fp32 state: Hugging Face
    "sgd": 0.0,  # plain SGD keeps no state
}
"""Bytes of optimizer state per parameter (Hugging Face, "Model training anatomy")."""

HARDWARE = ("cpu", "gpu")


class CapacityError(BizmlError):
    """A capacity input is not valid, or nothing in the instance table fits."""


# checks used while the module loads (DEFAULT_INSTANCES validates itself)


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise CapacityError(f"{name} must be a number (got {type(value).__name__} {value!r})")
    if not math.isfinite(float(value)):
        raise CapacityError(f"{name} must be finite (got {value!r})")
    return float(value)


def _positive(name: str, value: object) -> float:
    number = _number(name, value)
    if number <= 0:
        raise CapacityError(f"{name} must be above 0 (got {number:g})")
    return number


def _non_negative(name: str, value: object) -> float:
    number = _number(name, value)
    if number < 0:
        raise CapacityError(f"{name} must not be negative (got {number:g})")
    return number


def _whole(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise CapacityError(f"{name} must be a whole number of at least 1 (got {value!r})")
    return int(value)


# --------------------------------------------------------------------------- assumptions


@dataclass(frozen=True)
class MemoryAssumptions:
    """Every factor of the serving-memory estimate; override any of them.

    >>> MemoryAssumptions(runtime_gb=0.3).runtime_gb
    0.3
    """

    bytes_per_param: float | None = None
    """Bytes per weight; None: from the dtype (fp32 4, fp16/bf16 2, int8 1, int4 0.5;
    Hugging Face "Model training anatomy"). Set it for other formats (e.g. 0.56 for
    4-bit weights with their scales)."""

    inference_overhead: float = 1.2
    """One forward pass takes about this times the weights (buffers, temporaries): the
    rule of thumb "inference ~ 1.2 x the weights" (REFERENCE.md, "Scalability: memory
    and cost"). Activations of a batch are counted separately, below."""

    activation_mb_per_item: float = 0.0
    """MB of activations held per item (one request's input) while a batch is served.
    0: not counted beyond the forward-pass factor. It depends on the architecture and
    input size (for a sequence: tokens x bytes per token); measure the peak memory at
    your batch size and put it here."""

    runtime_gb: float = 1.0
    """GB per model copy for the process around the weights: interpreter, framework,
    server, kernels. ILLUSTRATION: Hugging Face measured 1.3 GB for the CUDA kernels
    alone (1-2 GB); a CPU process with NumPy is a few hundred MB."""

    replicas_per_host: int = 1
    """Most copies of the model (worker processes) placed on one instance. 1 is the
    cautious default: the latency was measured with the machine to itself."""

    headroom: float = 0.2
    """Share of an instance's memory kept free (operating system, page cache, spikes).
    ILLUSTRATION: 20%."""

    def __post_init__(self) -> None:
        if self.bytes_per_param is not None:
            _positive("bytes_per_param", self.bytes_per_param)
        _number("inference_overhead", self.inference_overhead)
        if self.inference_overhead < 1:
            raise CapacityError(
                f"inference_overhead multiplies the weights and must be at least 1 "
                f"(got {self.inference_overhead:g}); 1.2 means 20% over the weights"
            )
        _non_negative("activation_mb_per_item", self.activation_mb_per_item)
        _non_negative("runtime_gb", self.runtime_gb)
        _whole("replicas_per_host", self.replicas_per_host)
        _number("headroom", self.headroom)
        if not 0 <= self.headroom < 1:
            raise CapacityError(
                f"headroom is the share of memory kept free, from 0 to below 1 "
                f"(got {self.headroom:g}); 0.2 means 20%"
            )


@dataclass(frozen=True)
class ServingAssumptions:
    """How requests reach the model: batching, concurrency, how busy a replica may be."""

    batch_size: int = 1
    """Requests served together in one forward pass; ``latency_ms`` is the time of one
    batch. Waiting for a batch to fill is not counted."""

    concurrency_per_replica: int = 1
    """Batches one replica serves at the same time (threads, streams)."""

    target_utilisation: float = 0.7
    """Share of the time a replica is busy. ILLUSTRATION: 70%; queues (and latency)
    grow quickly as it nears 100%."""

    hours_per_year: float = HOURS_PER_YEAR
    """Hours an instance is paid for in a year: 8,760 = 365 x 24 (always on)."""

    def __post_init__(self) -> None:
        _whole("batch_size", self.batch_size)
        _whole("concurrency_per_replica", self.concurrency_per_replica)
        _number("target_utilisation", self.target_utilisation)
        if not 0 < self.target_utilisation <= 1:
            raise CapacityError(
                f"target_utilisation is a share of the time, above 0 and at most 1 "
                f"(got {self.target_utilisation:g}); 0.7 means busy 70% of the time"
            )
        _positive("hours_per_year", self.hours_per_year)


@dataclass(frozen=True)
class TrainingAssumptions:
    """The factors of the training-memory estimate (Hugging Face, "Model training anatomy")."""

    master_weight_bytes: float = 4.0
    """Mixed precision keeps an fp32 master copy of the weights beside the 16-bit one."""

    gradient_bytes: float = 4.0
    """Gradients are kept in fp32, in fp32 and in mixed-precision training alike."""

    optimizer_bytes: float | None = None
    """Optimizer state per parameter; None: from the optimizer (AdamW 8, 8-bit AdamW 2,
    SGD with momentum 4)."""

    activation_mb_per_item: float = 0.0
    """MB of forward activations saved for the backward pass, per item of a batch.
    0: not counted. They depend on sequence length, hidden size and batch size: measure."""

    runtime_gb: float = 1.0
    """GB for the framework and kernels. ILLUSTRATION: Hugging Face measured 1.3 GB for
    the CUDA kernels alone."""

    def __post_init__(self) -> None:
        _positive("master_weight_bytes", self.master_weight_bytes)
        _positive("gradient_bytes", self.gradient_bytes)
        if self.optimizer_bytes is not None:
            _non_negative("optimizer_bytes", self.optimizer_bytes)
        _non_negative("activation_mb_per_item", self.activation_mb_per_item)
        _non_negative("runtime_gb", self.runtime_gb)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Part:
    """One named share of a memory total, with the arithmetic that produced it."""

    key: str  # stable name: weights, forward_pass, activations, runtime, headroom, ...
    label: str  # the same in words
    gb: float
    how: str  # e.g. "100,000,000 params x 4 bytes (fp32)"


@dataclass(frozen=True)
class Breakdown:
    """A memory total as named parts that add up to it."""

    title: str
    parts: tuple[Part, ...]
    copies: int = 1  # copies of the model the parts cover (serving: on one host)

    @property
    def total_gb(self) -> float:
        return sum(p.gb for p in self.parts)

    @property
    def per_copy_gb(self) -> float:
        """Memory of one copy, headroom left out."""
        return sum(p.gb for p in self.parts if p.key != "headroom") / self.copies

    def part(self, key: str) -> Part:
        for p in self.parts:
            if p.key == key:
                return p
        raise CapacityError(
            f"no part {key!r} in this breakdown{did_you_mean(key, [p.key for p in self.parts])}"
        )

    def lines(self) -> list[str]:
        """One line a part, then the total: ``label  size  arithmetic``."""
        width = max(len(p.label) for p in [*self.parts, Part("", "total", 0, "")])
        sizes = [size(p.gb) for p in self.parts]
        size_width = max(len(s) for s in [*sizes, size(self.total_gb)])
        out = [
            f"{p.label:<{width}}  {s:>{size_width}}  {p.how}"
            for p, s in zip(self.parts, sizes, strict=True)
        ]
        out.append(f"{'total':<{width}}  {size(self.total_gb):>{size_width}}")
        return out

    def text(self) -> str:
        return "\n".join([self.title, *("  " + line for line in self.lines())])

    def record(self) -> dict[str, Any]:
        """The breakdown as JSON-ready data, floats to 10 significant digits."""
        return portable(  # type: ignore[no-any-return]
            {
                "title": self.title,
                "copies": self.copies,
                "total_gb": self.total_gb,
                "parts": [asdict(p) for p in self.parts],
            }
        )

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True)
class Instance:
    """A machine one can rent: its name, the memory a model is served from, its price.

    ``memory_gb`` is host RAM for a CPU instance and GPU memory for a GPU instance.
    """

    name: str
    memory_gb: float
    cost_per_hour: float
    kind: str = "cpu"  # "cpu" or "gpu"
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise CapacityError(f"an instance needs a name (got {self.name!r})")
        _positive(f"memory_gb of instance {self.name!r}", self.memory_gb)
        _non_negative(f"cost_per_hour of instance {self.name!r}", self.cost_per_hour)
        if self.kind not in HARDWARE:
            raise CapacityError(
                f"instance {self.name!r}: kind must be 'cpu' or 'gpu' (got {self.kind!r})"
            )


DEFAULT_INSTANCES: tuple[Instance, ...] = (
    Instance("cpu-1gb", 1, 0.01, "cpu", "small burstable VM"),
    Instance("cpu-2gb", 2, 0.02, "cpu", "small burstable VM"),
    Instance("cpu-4gb", 4, 0.04, "cpu", "general-purpose VM"),
    Instance("cpu-8gb", 8, 0.08, "cpu", "general-purpose VM"),
    Instance("cpu-16gb", 16, 0.17, "cpu", "general-purpose VM"),
    Instance("cpu-32gb", 32, 0.34, "cpu", "general-purpose VM"),
    Instance("cpu-64gb", 64, 0.68, "cpu", "memory-optimised VM"),
    Instance("gpu-16gb", 16, 0.55, "gpu", "one 16 GB GPU (T4 class)"),
    Instance("gpu-24gb", 24, 1.05, "gpu", "one 24 GB GPU (A10 class)"),
    Instance("gpu-80gb", 80, 4.00, "gpu", "one 80 GB GPU (A100/H100 class)"),
)
"""ILLUSTRATIVE instance table: round USD prices per hour of the order of public
on-demand list prices, NOT quotes. Replace it with your provider's table:
``plan(..., instances=[Instance("m5.xlarge", 16, 0.192), ...])``."""


@dataclass(frozen=True)
class Fit:
    """Replicas placed on instances of one type: how many instances, what they cost."""

    instance: Instance
    hosts: int  # instances rented
    replicas_per_host: int  # copies on the fullest instance
    replicas: int
    host_memory_gb: float  # memory the fullest instance needs, headroom included
    hours_per_year: float = HOURS_PER_YEAR

    @property
    def cost_per_hour(self) -> float:
        return self.hosts * self.instance.cost_per_hour

    @property
    def yearly_cost(self) -> float:
        """Hours in a year x cost per hour x instances."""
        return self.hours_per_year * self.instance.cost_per_hour * self.hosts


@dataclass(frozen=True)
class CapacityPlan:
    """A model served at a given traffic: its memory, replicas, instances and yearly cost."""

    params: float
    dtype: str
    rps: float
    latency_ms: float
    memory: MemoryAssumptions
    serving: ServingAssumptions
    in_flight: float  # Little's law: rps x latency in seconds
    replicas: int
    breakdown: Breakdown  # memory of one (the fullest) instance
    fit: Fit
    hardware: str | None
    default_table: bool  # True: priced from the illustrative DEFAULT_INSTANCES
    currency: str = "USD"

    @property
    def yearly_cost(self) -> float:
        return self.fit.yearly_cost

    @property
    def cost_per_hour(self) -> float:
        return self.fit.cost_per_hour

    @property
    def bytes_per_param(self) -> float:
        return _bytes_per_param(self.dtype, self.memory)

    def investment(self, annual_benefit: Value, **inputs: Value) -> Investment:
        """An ROI :class:`~bizml_nb.finance.roi.Investment` whose cloud cost is this plan's yearly cost."""
        from bizml_nb.finance.roi import Investment

        if "cloud_per_year" in inputs:
            raise CapacityError("cloud_per_year comes from the plan; leave it out")
        return Investment(annual_benefit=annual_benefit, cloud_per_year=self.yearly_cost, **inputs)  # type: ignore[arg-type]

    def card(self) -> CapacityCard:
        return CapacityCard(self)

    def record(self) -> dict[str, Any]:
        """The plan as JSON-ready data (``application/vnd.bizml.capacity+json``), floats to
        10 significant digits."""
        fit = self.fit
        record: dict[str, Any] = {
            "format": "bizml.capacity",
            "version": 1,
            "inputs": {
                "params": self.params,
                "dtype": self.dtype,
                "rps": self.rps,
                "latency_ms": self.latency_ms,
                "hardware": self.hardware,
            },
            "assumptions": {
                "memory": asdict(self.memory),
                "serving": asdict(self.serving),
                "bytes_per_param": self.bytes_per_param,
            },
            "memory": self.breakdown.record(),
            "memory_per_replica_gb": self.breakdown.per_copy_gb,
            "in_flight": self.in_flight,
            "replicas": self.replicas,
            "instance": asdict(fit.instance),
            "hosts": fit.hosts,
            "replicas_per_host": fit.replicas_per_host,
            "cost_per_hour": fit.cost_per_hour,
            "yearly_cost": fit.yearly_cost,
            "currency": self.currency,
            "prices": "illustrative default table, not quotes" if self.default_table else "given",
        }
        return portable(record)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- public functions


def inference_memory(
    params: float,
    dtype: str = "fp32",
    assumptions: MemoryAssumptions | None = None,
    *,
    batch_size: int = 1,
    concurrency_per_replica: int = 1,
    copies: int | None = None,
) -> Breakdown:
    """Memory of one instance serving ``copies`` copies of a model, as named parts.

    Per copy: weights (params x bytes per param), forward-pass buffers (weights x
    (inference_overhead - 1)), activations (batch_size x concurrency x MB per item)
    and the runtime; times the copies; plus the headroom kept free (the parts so far
    x headroom / (1 - headroom), so that headroom is that share of the total).
    ``copies`` defaults to ``assumptions.replicas_per_host``.

    >>> b = inference_memory(100e6, "fp32", MemoryAssumptions(runtime_gb=0, headroom=0))
    >>> [f"{p.key} {p.gb:.6g}" for p in b.parts]
    ['weights 0.4', 'forward_pass 0.08', 'activations 0', 'runtime 0', 'headroom 0']
    """
    params = _params(params)
    a = assumptions if assumptions is not None else MemoryAssumptions()
    dtype = _dtype(dtype)
    _whole("batch_size", batch_size)
    _whole("concurrency_per_replica", concurrency_per_replica)
    n = a.replicas_per_host if copies is None else copies
    _whole("copies", n)
    bpp = _bytes_per_param(dtype, a)
    weights = params * bpp / GB
    items = batch_size * concurrency_per_replica
    times = f"{n} copies x " if n > 1 else ""
    source = f"({dtype})" if a.bytes_per_param is None else "(given)"
    weight_how = f"{times}{count(params)} params x {bpp:g} bytes {source}"
    if n > 1:
        weight_how += f" = {n} x {size(weights)}"
    parts = [
        Part("weights", "weights", n * weights, weight_how),
        Part(
            "forward_pass",
            "forward-pass buffers",
            n * weights * (a.inference_overhead - 1),
            f"{times}{_pct(a.inference_overhead - 1)} of the weights "
            f"(inference_overhead {a.inference_overhead:g})",
        ),
        Part(
            "activations",
            "batch activations",
            n * items * a.activation_mb_per_item * MB / GB,
            f"{times}{_items(batch_size, concurrency_per_replica)} x "
            f"{a.activation_mb_per_item:g} MB (activation_mb_per_item)"
            + (" - not counted: measure yours" if a.activation_mb_per_item == 0 else ""),
        ),
        Part("runtime", "runtime", n * a.runtime_gb, f"{times}{a.runtime_gb:g} GB (runtime_gb)"),
    ]
    used = sum(p.gb for p in parts)
    parts.append(
        Part(
            "headroom",
            "headroom",
            used * a.headroom / (1 - a.headroom),
            f"{_pct(a.headroom)} of the instance kept free (headroom {a.headroom:g})",
        )
    )
    model = f"{count(params)} parameters in {dtype}"
    title = f"Inference memory: {model}" + (f", {n} copies on one instance" if n > 1 else "")
    return Breakdown(title, tuple(parts), n)


def training_memory(
    params: float,
    dtype: str = "bf16",
    batch_size: int = 1,
    *,
    optimizer: str = "adamw",
    mixed_precision: bool = True,
    assumptions: TrainingAssumptions | None = None,
) -> Breakdown:
    """Memory to train a model on one device, as named parts (Hugging Face's anatomy).

    Weights: with ``mixed_precision``, an fp32 master copy (4 bytes) plus a copy in
    ``dtype`` (fp16/bf16: 2 bytes); without, the weights in ``dtype``. Gradients: 4
    bytes (fp32). Optimizer states: AdamW 8 bytes. AdamW in mixed precision: 4 + 2 + 4
    + 8 = 18 bytes per parameter; in fp32: 4 + 4 + 8 = 16. Then activations (batch_size
    x MB per item) and the runtime.

    >>> b = training_memory(100e6, "fp16", assumptions=TrainingAssumptions(runtime_gb=0))
    >>> round(b.total_gb, 6)  # 100M x 18 bytes
    1.8
    """
    params = _params(params)
    a = assumptions if assumptions is not None else TrainingAssumptions()
    dtype = _dtype(dtype)
    _whole("batch_size", batch_size)
    if not isinstance(mixed_precision, bool):
        raise CapacityError(f"mixed_precision must be True or False (got {mixed_precision!r})")
    if dtype in ("int8", "int4"):
        raise CapacityError(
            f"training in {dtype} is not modelled: train in fp32, or in mixed precision with "
            "fp16 or bf16, and quantise the trained weights for serving"
        )
    if mixed_precision and dtype == "fp32":
        raise CapacityError(
            "mixed precision computes in fp16 or bf16: pass dtype='bf16' or 'fp16', "
            "or mixed_precision=False for fp32 training"
        )
    if not isinstance(optimizer, str) or optimizer.lower() not in OPTIMIZER_BYTES:
        raise CapacityError(
            f"unknown optimizer {optimizer!r}{did_you_mean(str(optimizer).lower(), OPTIMIZER_BYTES)}; "
            f"known: {', '.join(OPTIMIZER_BYTES)} (or set TrainingAssumptions(optimizer_bytes=...))"
        )
    optimizer = optimizer.lower()
    half = BYTES_PER_PARAM[dtype]
    if mixed_precision:
        weight_bytes = a.master_weight_bytes + half
        weight_how = (
            f"{count(params)} params x ({a.master_weight_bytes:g} bytes fp32 master + "
            f"{half:g} bytes {dtype} copy)"
        )
    else:
        weight_bytes = half
        weight_how = f"{count(params)} params x {half:g} bytes ({dtype})"
    state = OPTIMIZER_BYTES[optimizer] if a.optimizer_bytes is None else a.optimizer_bytes
    state_source = optimizer if a.optimizer_bytes is None else "optimizer_bytes, given"
    parts = (
        Part("weights", "weights", params * weight_bytes / GB, weight_how),
        Part(
            "gradients",
            "gradients",
            params * a.gradient_bytes / GB,
            f"{count(params)} params x {a.gradient_bytes:g} bytes (fp32)",
        ),
        Part(
            "optimizer",
            "optimizer states",
            params * state / GB,
            f"{count(params)} params x {state:g} bytes ({state_source})",
        ),
        Part(
            "activations",
            "activations",
            batch_size * a.activation_mb_per_item * MB / GB,
            f"{_items(batch_size, 1)} x {a.activation_mb_per_item:g} MB (activation_mb_per_item)"
            + (" - not counted: measure yours" if a.activation_mb_per_item == 0 else ""),
        ),
        Part("runtime", "runtime", a.runtime_gb, f"{a.runtime_gb:g} GB (runtime_gb)"),
    )
    per_param = weight_bytes + a.gradient_bytes + state
    how = "mixed precision" if mixed_precision else dtype
    title = (
        f"Training memory: {count(params)} parameters, {optimizer}, {how} "
        f"({per_param:g} bytes per parameter + activations + runtime)"
    )
    return Breakdown(title, parts, 1)


def replicas_needed(
    rps: float,
    latency_ms: float,
    batch_size: int = 1,
    concurrency_per_replica: int = 1,
    target_utilisation: float = 0.7,
) -> int:
    """Model replicas to serve ``rps`` requests a second, by Little's law.

    Little's law: the average number of requests in the system is the arrival rate
    times the time each spends there, L = lambda x W. Here W is ``latency_ms`` (the
    time to serve one batch; queueing and waiting for a batch to fill are not
    counted), so L = rps x latency_ms / 1000 requests are being served at any moment.
    One replica holds ``batch_size x concurrency_per_replica`` of them at once, and
    is kept busy only ``target_utilisation`` of the time so queues stay short:

        replicas = ceil(rps x latency_s / (batch_size x concurrency x target_utilisation))

    and at least 1.

    >>> replicas_needed(50, 40)  # 2 in flight / 0.7 = 2.86
    3
    """
    rps = _positive("rps (requests per second)", rps)
    latency_ms = _positive("latency_ms", latency_ms)
    serving = ServingAssumptions(batch_size, concurrency_per_replica, target_utilisation)
    return _replicas(rps * latency_ms / 1000, serving)


def cheapest_fit(
    replica_gb: float,
    replicas: int,
    instances: Sequence[Instance] | None = None,
    *,
    replicas_per_host: int = 1,
    headroom: float = 0.2,
    hours_per_year: float = HOURS_PER_YEAR,
) -> Fit:
    """The cheapest way to place ``replicas`` copies needing ``replica_gb`` each.

    For each instance type: as many copies per instance as fit in its memory less the
    headroom (at most ``replicas_per_host``), then as many instances as the replicas
    need. The cheapest per year wins; ties go to fewer instances, then less memory,
    then the table's order. Nothing fitting raises :class:`CapacityError` naming the
    largest instance.

    >>> table = [Instance("small", 2, 0.1), Instance("big", 8, 0.3)]
    >>> fit = cheapest_fit(1.5, 3, table, replicas_per_host=4, headroom=0)
    >>> fit.instance.name, fit.hosts  # small: 3 x 0.1/h; big holds all 3: 0.3/h; a tie: fewer
    ('big', 1)
    """
    replica_gb = _positive("replica_gb (memory of one replica)", replica_gb)
    _whole("replicas", replicas)
    _whole("replicas_per_host", replicas_per_host)
    _number("headroom", headroom)
    if not 0 <= headroom < 1:
        raise CapacityError(f"headroom is a share from 0 to below 1 (got {headroom:g})")
    table = _table(instances)
    best: tuple[tuple[float, int, float, int], Fit] | None = None
    for order, instance in enumerate(table):
        usable = instance.memory_gb * (1 - headroom)
        per_host = min(replicas_per_host, replicas, math.floor(usable / replica_gb + 1e-9))
        if per_host < 1:
            continue
        hosts = math.ceil(replicas / per_host)
        fullest = math.ceil(replicas / hosts)  # spread evenly over the instances rented
        fit = Fit(
            instance,
            hosts,
            fullest,
            replicas,
            fullest * replica_gb / (1 - headroom),
            hours_per_year,
        )
        key = (round(fit.yearly_cost, 6), hosts, instance.memory_gb, order)
        if best is None or key < best[0]:
            best = (key, fit)
    if best is None:
        largest = max(table, key=lambda i: i.memory_gb)
        need = replica_gb / (1 - headroom)
        raise CapacityError(
            f"nothing fits: one replica needs {size(replica_gb)} ({size(need)} with "
            f"{_pct(headroom)} of the instance kept free), more than the largest instance, "
            f"{largest.name} with {largest.memory_gb:g} GB; use a smaller dtype (fp16 halves "
            "the weights), split the model across devices, or add a larger instance to the table"
        )
    return best[1]


def plan(
    params: float,
    dtype: str,
    rps: float,
    latency_ms: float,
    *,
    memory: MemoryAssumptions | None = None,
    serving: ServingAssumptions | None = None,
    instances: Sequence[Instance] | None = None,
    hardware: str | None = None,
    currency: str = "USD",
) -> CapacityPlan:
    """Memory, replicas (Little's law), the cheapest instances and the yearly cost.

    ``latency_ms`` is the time to serve one batch, taken to hold on whichever instance
    is chosen: pass ``hardware="gpu"`` (or ``"cpu"``) to choose only among the
    instances it was measured on. ``currency`` is that of the instance prices (the
    default table is in USD).

    >>> p = plan(100e6, "fp16", rps=50, latency_ms=40)
    >>> p.replicas, p.fit.instance.name, p.fit.hosts
    (3, 'cpu-2gb', 3)
    """
    params = _params(params)
    dtype = _dtype(dtype)
    rps = _positive("rps (requests per second)", rps)
    latency_ms = _positive("latency_ms", latency_ms)
    m = memory if memory is not None else MemoryAssumptions()
    s = serving if serving is not None else ServingAssumptions()
    if not isinstance(currency, str) or not currency.strip():
        raise CapacityError(f"currency must be a code such as 'USD' (got {currency!r})")
    if instances is None and currency != "USD":
        raise CapacityError(
            f"the default instance table is priced in USD, not {currency}: give your own "
            f"instances priced in {currency} (instances=[Instance(name, memory_gb, cost_per_hour)])"
        )
    table = _table(instances, hardware)
    in_flight = rps * latency_ms / 1000
    replicas = _replicas(in_flight, s)
    one = inference_memory(
        params,
        dtype,
        m,
        batch_size=s.batch_size,
        concurrency_per_replica=s.concurrency_per_replica,
        copies=1,
    )
    fit = cheapest_fit(
        one.per_copy_gb,
        replicas,
        table,
        replicas_per_host=m.replicas_per_host,
        headroom=m.headroom,
        hours_per_year=s.hours_per_year,
    )
    breakdown = inference_memory(
        params,
        dtype,
        m,
        batch_size=s.batch_size,
        concurrency_per_replica=s.concurrency_per_replica,
        copies=fit.replicas_per_host,
    )
    return CapacityPlan(
        params=params,
        dtype=dtype,
        rps=rps,
        latency_ms=latency_ms,
        memory=m,
        serving=s,
        in_flight=in_flight,
        replicas=replicas,
        breakdown=breakdown,
        fit=fit,
        hardware=hardware,
        default_table=instances is None,
        currency=currency,
    )


def capacity(
    params: float,
    dtype: str = "fp32",
    *,
    rps: float,
    latency_ms: float,
    instances: Sequence[Instance] | None = None,
    hardware: str | None = None,
    currency: str = "USD",
    **assumptions: Any,
) -> CapacityCard:
    """The capacity card (what ``%bizml capacity`` shows); assumptions by name.

    Any field of :class:`MemoryAssumptions` or :class:`ServingAssumptions` may be
    given as a keyword (``batch_size=8, runtime_gb=1.5, replicas_per_host=4``); an
    unknown name is refused with the closest known one.

    >>> print(capacity(100e6, "fp16", rps=50, latency_ms=40).text().splitlines()[0])
    Capacity: 100M parameters in fp16, 50 requests/s at 40 ms a batch of 1
    """
    memory_names = {f.name for f in fields(MemoryAssumptions)}
    serving_names = {f.name for f in fields(ServingAssumptions)}
    unknown = [n for n in assumptions if n not in memory_names | serving_names]
    if unknown:
        known = sorted(memory_names | serving_names)
        raise CapacityError(
            f"unknown assumption {unknown[0]!r}{did_you_mean(unknown[0], known)}; "
            f"known: {', '.join(known)}"
        )
    memory = MemoryAssumptions(**{k: v for k, v in assumptions.items() if k in memory_names})
    serving = ServingAssumptions(**{k: v for k, v in assumptions.items() if k in serving_names})
    result = plan(
        params,
        dtype,
        rps,
        latency_ms,
        memory=memory,
        serving=serving,
        instances=instances,
        hardware=hardware,
        currency=currency,
    )
    return CapacityCard(result)


def cost_curve(
    params_grid: Iterable[float],
    rps_grid: Iterable[float],
    dtype: str = "fp32",
    latency_ms: float = 50.0,
    *,
    latency_params: float | None = None,
    latency_exponent: float = 1.0,
    memory: MemoryAssumptions | None = None,
    serving: ServingAssumptions | None = None,
    instances: Sequence[Instance] | None = None,
    hardware: str | None = None,
) -> pd.DataFrame:
    """The plan at every (parameters, traffic) pair: how cost grows with both.

    Latency grows with the model: at ``P`` parameters it is ``latency_ms x (P /
    latency_params) ** latency_exponent``, where ``latency_params`` is the size the
    latency was measured at (default: the smallest in ``params_grid``). The default
    exponent 1 says compute grows in proportion to the parameters (a dense network
    does about 2 operations per parameter per item); 0 keeps the latency fixed.

    One row per pair: params, rps, latency_ms, replicas, instance, hosts,
    memory_gb (of the fullest instance), cost_per_hour, yearly_cost. Where nothing
    fits, instance is "" and the costs are NaN.
    """
    import pandas as pd

    sizes = [_params(p) for p in params_grid]
    traffic = [_positive("rps (requests per second)", r) for r in rps_grid]
    if not sizes or not traffic:
        raise CapacityError("cost_curve needs at least one parameter count and one traffic level")
    latency_ms = _positive("latency_ms", latency_ms)
    reference = min(sizes) if latency_params is None else _params(latency_params)
    exponent = _non_negative("latency_exponent", latency_exponent)
    dtype = _dtype(dtype)
    _table(instances, hardware)  # refuse an empty table or unknown hardware up front
    rows: list[dict[str, Any]] = []
    for p in sizes:
        latency = latency_ms * (p / reference) ** exponent
        for r in traffic:
            row: dict[str, Any] = {"params": p, "rps": r, "latency_ms": latency, "dtype": dtype}
            try:
                result = plan(
                    p,
                    dtype,
                    r,
                    latency,
                    memory=memory,
                    serving=serving,
                    instances=instances,
                    hardware=hardware,
                )
            except CapacityError as exc:
                if not str(exc).startswith("nothing fits"):
                    raise
                s = serving if serving is not None else ServingAssumptions()
                row.update(
                    replicas=_replicas(r * latency / 1000, s),
                    instance="",
                    hosts=0,
                    memory_gb=math.nan,
                    cost_per_hour=math.nan,
                    yearly_cost=math.nan,
                )
            else:
                row.update(
                    replicas=result.replicas,
                    instance=result.fit.instance.name,
                    hosts=result.fit.hosts,
                    memory_gb=result.breakdown.total_gb,
                    cost_per_hour=result.cost_per_hour,
                    yearly_cost=result.yearly_cost,
                )
            rows.append(row)
    columns = [
        "params",
        "rps",
        "dtype",
        "latency_ms",
        "replicas",
        "instance",
        "hosts",
        "memory_gb",
        "cost_per_hour",
        "yearly_cost",
    ]
    return pd.DataFrame(rows, columns=columns)


def cost_chart(curve: pd.DataFrame, currency: str = "USD") -> Figure:
    """Yearly cost against traffic (one line per model size) and against model size."""
    import matplotlib.pyplot as plt

    from bizml_nb.core.figures import money_axis

    figure, (by_traffic, by_size) = plt.subplots(1, 2, figsize=(10, 3.8))
    for p in sorted(float(v) for v in curve["params"].unique()):
        group = curve[curve["params"] == p].sort_values("rps")
        label = f"{count(p)} params" + (
            " (nothing fits)" if group["yearly_cost"].isna().all() else ""
        )
        by_traffic.plot(group["rps"], group["yearly_cost"], marker="o", label=label)
    for r in sorted(float(v) for v in curve["rps"].unique()):
        group = curve[curve["rps"] == r].sort_values("params")
        by_size.plot(group["params"], group["yearly_cost"], marker="o", label=f"{r:g} req/s")
    for axes, xlabel in ((by_traffic, "requests per second"), (by_size, "parameters")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel(xlabel)
        money_axis(axes.yaxis, currency)
        axes.set_ylabel(f"yearly cost ({currency})")
        axes.grid(True, which="major", alpha=0.3)
        axes.legend(fontsize=8)
    by_traffic.set_title("Cost as traffic grows")
    by_size.set_title("Cost as the model grows")
    if curve["yearly_cost"].isna().any():
        figure.text(
            0.5, 0.01, "gaps: no instance in the table fits", ha="center", fontsize=8, color="0.4"
        )
    figure.tight_layout()
    plt.close(figure)
    return figure


def seed_example(instances: Sequence[Instance] | None = None) -> SeedExample:
    """The seed's logistic regression (1 GB) against its 100M-parameter network (16 GB).

    Both serve the same 100 requests a second. Every figure other than the seed's
    is an assumption, stated in :data:`SEED_LOGISTIC` and :data:`SEED_NETWORK`.

    >>> ex = seed_example()
    >>> round(ex.network.total_gb, 6), ex.network_instance.memory_gb
    (11.5, 16)
    """
    table = _table(instances)
    models = []
    for seed in (SEED_LOGISTIC, SEED_NETWORK):
        in_flight = SEED_RPS * seed.latency_ms / 1000
        replicas = _replicas(in_flight, seed.serving)
        memory = replace(seed.memory, replicas_per_host=replicas)
        breakdown = inference_memory(
            seed.params,
            seed.dtype,
            memory,
            batch_size=seed.serving.batch_size,
            copies=replicas,
        )
        models.append((seed, in_flight, replicas, breakdown, smallest_instance(breakdown, table)))
    (_, _, lr_replicas, lr, lr_host), (_, in_flight, replicas, net, net_host) = models
    return SeedExample(lr, lr_host, lr_replicas, net, net_host, replicas, in_flight, tuple(table))


def smallest_instance(breakdown: Breakdown, instances: Sequence[Instance]) -> Instance:
    """The instance with the least memory that holds ``breakdown``'s total (then the cheapest)."""
    table = _table(instances)
    holding = [i for i in table if i.memory_gb >= breakdown.total_gb - 1e-9]
    if not holding:
        largest = max(table, key=lambda i: i.memory_gb)
        raise CapacityError(
            f"nothing fits: {breakdown.title.lower()} needs {size(breakdown.total_gb)}, more "
            f"than the largest instance, {largest.name} with {largest.memory_gb:g} GB"
        )
    return min(holding, key=lambda i: (i.memory_gb, i.cost_per_hour))


# --------------------------------------------------------------------------- the seed


@dataclass(frozen=True)
class SeedModel:
    """One of the seed's two models with the assumptions that size it."""

    name: str
    params: float
    dtype: str
    latency_ms: float  # per batch
    memory: MemoryAssumptions
    serving: ServingAssumptions
    why: str


SEED_RPS = 100.0  # ILLUSTRATION: the same traffic for both models
SEED_LOGISTIC = SeedModel(
    name="logistic regression",
    params=1_001,  # 1,000 features + an intercept
    dtype="fp32",
    latency_ms=1.0,
    memory=MemoryAssumptions(runtime_gb=0.3),
    serving=ServingAssumptions(batch_size=1),
    why="1,000 features + intercept; a Python process with NumPy and scikit-learn (0.3 GB)",
)
SEED_NETWORK = SeedModel(
    name="100M-parameter network",
    params=100_000_000,
    dtype="fp32",
    latency_ms=200.0,
    memory=MemoryAssumptions(activation_mb_per_item=40.0, runtime_gb=1.5),
    serving=ServingAssumptions(batch_size=8),
    why=(
        "batches of 8 in 200 ms on CPU; 40 MB of activations per item; a deep-learning "
        "framework and server per copy (1.5 GB)"
    ),
)


@dataclass(frozen=True)
class SeedExample:
    """The seed's two models side by side, with the arithmetic of the network's 16 GB."""

    logistic: Breakdown
    logistic_instance: Instance
    logistic_replicas: int
    network: Breakdown
    network_instance: Instance
    network_replicas: int
    network_in_flight: float
    instances: tuple[Instance, ...] = field(default=DEFAULT_INSTANCES)

    def text(self) -> str:
        net, seed = self.network, SEED_NETWORK
        n = self.network_replicas
        host = self.network_instance
        weights_one = seed.params * _bytes_per_param(seed.dtype, seed.memory) / GB
        s = seed.serving
        per_replica = s.batch_size * s.concurrency_per_replica * s.target_utilisation
        runtime = net.part("runtime").gb
        lines = [
            "Where the seed's 16 GB goes",
            "The seed: last year a logistic regression fit into a 1 GB instance; this year a "
            "100-million-parameter network needs 16 GB of RAM to generate predictions.",
            f"Both serve {SEED_RPS:g} requests a second. Every figure not in the seed is an "
            "illustration (SEED_LOGISTIC, SEED_NETWORK): change them and re-run.",
            "",
            f"Logistic regression: {SEED_LOGISTIC.why}",
            *("  " + line for line in self.logistic.lines()),
            f"  -> fits {self.logistic_instance.name} ({self.logistic_instance.memory_gb:g} GB); "
            f"{self.logistic_replicas} replica",
            "",
            f"100M-parameter network, {n} copies on one instance: {seed.why}",
            *("  " + line for line in net.lines()),
            f"  -> the smallest instance that holds it: {host.name} ({host.memory_gb:g} GB)",
            "",
            "Why 16 GB:",
            f"- The weights alone are {size(weights_one)} in {seed.dtype} "
            f"({count(seed.params)} x {_bytes_per_param(seed.dtype, seed.memory):g} bytes), "
            f"{_share(weights_one, host.memory_gb)} of {host.memory_gb:g} GB.",
            f"- {n} copies: {SEED_RPS:g} requests/s x {seed.latency_ms / 1000:g} s a batch = "
            f"{units.number(self.network_in_flight)} requests in flight (Little's law); one copy "
            f"serves {s.batch_size} at once, busy {_pct(s.target_utilisation)} of the time, so "
            f"{units.number(per_replica)} -> ceil({units.number(self.network_in_flight)} / "
            f"{units.number(per_replica)}) = {n} copies.",
            f"- Each copy is {size(net.per_copy_gb)}: {size(weights_one)} of weights, "
            f"{size(net.part('forward_pass').gb / n)} of forward-pass buffers, "
            f"{size(net.part('activations').gb / n)} of batch activations and "
            f"{size(runtime / n)} of runtime; the runtime alone is {size(runtime)} of the "
            f"{size(net.total_gb)}.",
            f"- {_pct(seed.memory.headroom)} of the instance is kept free: "
            f"{size(net.part('headroom').gb)}.",
            f"- Instances come in sizes: {size(net.total_gb)} is more than "
            f"{_below(host, self.instances)}, so the next size, {host.memory_gb:g} GB "
            f"({size(host.memory_gb - net.total_gb)} spare).",
            "What would change it:",
            *(f"- {line}" for line in self._what_ifs()),
        ]
        return "\n".join(lines)

    def _what_ifs(self) -> list[str]:
        seed, n = SEED_NETWORK, self.network_replicas
        out = []
        cases: list[tuple[str, str, MemoryAssumptions, int]] = [
            ("fp16 weights", "fp16", seed.memory, n),
            ("int8 weights", "int8", seed.memory, n),
            (
                "one copy (a quarter of the traffic, or a 4x faster model)",
                seed.dtype,
                seed.memory,
                1,
            ),
            (
                "a lean runtime of 0.5 GB per copy",
                seed.dtype,
                replace(seed.memory, runtime_gb=0.5),
                n,
            ),
        ]
        for label, dtype, memory, copies in cases:
            b = inference_memory(
                seed.params, dtype, memory, batch_size=seed.serving.batch_size, copies=copies
            )
            try:
                fits = smallest_instance(b, self.instances)
                where = f"{fits.name} ({fits.memory_gb:g} GB)"
            except CapacityError:
                where = "no instance in the table"
            out.append(f"{label}: {size(b.total_gb)} -> {where}")
        return out

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        body = "<br>".join(text_html(line) for line in self.text().splitlines())
        return {
            "text/plain": self.text(),
            "text/html": f'<div class="bizml-card bizml-capacity-seed" style="{_STYLE}">{body}</div>',
        }

    def __repr__(self) -> str:
        return self.text()


# --------------------------------------------------------------------------- the card


_STYLE = (
    "border:1px solid var(--jp-border-color1,#d0d7de);border-radius:6px;padding:8px 12px;"
    "max-width:960px"
)


@dataclass(frozen=True)
class CapacityCard:
    """A capacity plan shown as a card: memory, replicas, instances, yearly cost, assumptions."""

    plan: CapacityPlan

    def title(self) -> str:
        p = self.plan
        return (
            f"Capacity: {count(p.params)} parameters in {p.dtype}, {units.number(p.rps)} "
            f"requests/s at {units.number(p.latency_ms)} ms a batch of {p.serving.batch_size}"
        )

    def rows(self) -> list[tuple[str, str]]:
        p, fit, cur = self.plan, self.plan.fit, self.plan.currency
        s = p.serving
        capacity_each = s.batch_size * s.concurrency_per_replica * s.target_utilisation
        copies = "copy" if fit.replicas_per_host == 1 else "copies"
        instance = fit.instance
        table = (
            "illustrative default table: prices are round illustrations, not quotes"
            if p.default_table
            else "the table given"
        )
        return [
            (
                "Memory",
                f"{size(p.breakdown.total_gb)} on each instance ({fit.replicas_per_host} "
                f"{copies} of the model, {size(p.breakdown.per_copy_gb)} each, with "
                f"{_pct(p.memory.headroom)} kept free)",
            ),
            (
                "Replicas",
                f"{p.replicas}, by Little's law: {units.number(p.rps)} req/s x "
                f"{units.number(p.latency_ms / 1000)} s = {units.number(p.in_flight)} requests "
                f"in flight; one replica serves {s.batch_size} a batch x "
                f"{s.concurrency_per_replica} at once x {_pct(s.target_utilisation)} busy = "
                f"{units.number(capacity_each)}; ceil({units.number(p.in_flight)} / "
                f"{units.number(capacity_each)}) = {p.replicas}",
            ),
            (
                "Instances",
                f"{fit.hosts} x {instance.name} ({instance.kind}, {instance.memory_gb:g} GB, "
                f"{units.money(instance.cost_per_hour, cur)}/h"
                + (f", {instance.note}" if instance.note else "")
                + f"), cheapest fit in the {table}",
            ),
            (
                "Yearly cost",
                f"{units.money(fit.yearly_cost, cur)} = {fit.hosts} x "
                f"{units.money(instance.cost_per_hour, cur)}/h x "
                f"{units.number(s.hours_per_year)} h; feeds the ROI model as cloud_per_year",
            ),
            ("Assumptions", self.assumptions()),
        ]

    def assumptions(self) -> str:
        p = self.plan
        bpp = (
            f"bytes_per_param {p.bytes_per_param:g} ({p.dtype})"
            if p.memory.bytes_per_param is None
            else f"bytes_per_param {p.bytes_per_param:g} (given)"
        )
        memory = [
            f"{f.name} {getattr(p.memory, f.name):g}"
            for f in fields(p.memory)
            if f.name != "bytes_per_param"
        ]
        serving = [f"{f.name} {getattr(p.serving, f.name):g}" for f in fields(p.serving)]
        hardware = f"hardware {p.hardware or 'any'} (latency taken to hold on the instance chosen)"
        return "; ".join([bpp, *memory, *serving, hardware])

    def text(self) -> str:
        lines = [self.title()]
        for label, text in self.rows():
            lines.append(f"  {label:<12} {text}")
            if label == "Memory":
                lines.extend("      " + line for line in self.plan.breakdown.lines())
        return "\n".join(lines)

    def html(self) -> str:
        e = html.escape
        th = 'style="text-align:left;padding-right:12px;vertical-align:top"'
        parts = "".join(
            f"<tr><td>{text_html(part.label)}</td>"
            f'<td style="text-align:right;padding:0 12px">{text_html(size(part.gb))}</td>'
            f"<td>{text_html(part.how)}</td></tr>"
            for part in self.plan.breakdown.parts
        )
        parts += (
            f"<tr><td>{text_html('total')}</td>"
            f'<td style="text-align:right;padding:0 12px">'
            f"{text_html(size(self.plan.breakdown.total_gb))}</td><td></td></tr>"
        )
        body = ""
        for label, text in self.rows():
            cell = text_html(text)
            if label == "Memory":
                cell += f"<table>{parts}</table>"
            body += f"<tr><th {th}>{e(label)}</th><td>{cell}</td></tr>"
        return (
            f'<div class="bizml-card bizml-capacity" style="{_STYLE}">'
            f"<b>{e(self.title())}</b><table>{body}</table></div>"
        )

    def record(self) -> dict[str, Any]:
        return self.plan.record()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self.html(), CAPACITY_MIME: self.record()}

    def __repr__(self) -> str:
        return self.text()


# --------------------------------------------------------------------------- text helpers


def size(gb: float) -> str:
    """A memory size for people: GB from 0.01 GB, else MB, kB or bytes.

    >>> size(0.4), size(11.5), size(4.004e-6)
    ('0.4 GB', '11.5 GB', '4.004 kB')
    """
    if gb == 0:
        return "0 GB"
    for scale, unit in ((1.0, "GB"), (1e-3, "MB"), (1e-6, "kB")):
        threshold = 0.01 if unit == "GB" else 1.0
        if gb / scale >= threshold - 1e-12:
            return f"{units.number(gb / scale)} {unit}"
    return f"{gb * GB:.3g} bytes"


def count(n: float) -> str:
    """A parameter count: ``100M``, ``1.5B``, ``1,001``.

    >>> count(100e6), count(1_001), count(1.5e9)
    ('100M', '1,001', '1.5B')
    """
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if n >= scale:
            return f"{n / scale:.4g}{suffix}"
    return f"{n:,.0f}"


# --------------------------------------------------------------------------- internals


def _replicas(in_flight: float, serving: ServingAssumptions) -> int:
    per_replica = serving.batch_size * serving.concurrency_per_replica * serving.target_utilisation
    # rounded first so 5.6 / 5.6 computed as 1.0000000000000002 is 1, not 2
    return max(1, math.ceil(round(in_flight / per_replica, 9)))


def _bytes_per_param(dtype: str, assumptions: MemoryAssumptions) -> float:
    if assumptions.bytes_per_param is not None:
        return assumptions.bytes_per_param
    return BYTES_PER_PARAM[dtype]


def _dtype(dtype: object) -> str:
    name = dtype.strip().lower() if isinstance(dtype, str) else ""
    name = DTYPE_ALIASES.get(name, name)
    if name not in BYTES_PER_PARAM:
        raise CapacityError(
            f"unknown dtype {dtype!r}{did_you_mean(name, BYTES_PER_PARAM)}; "
            f"known: {', '.join(BYTES_PER_PARAM)}"
        )
    return name


def _params(params: object) -> float:
    if isinstance(params, bool) or not isinstance(params, numbers.Real):
        raise CapacityError(
            f"params must be a number of parameters such as 100e6 (got {type(params).__name__} "
            f"{params!r})"
        )
    value = float(params)
    if not math.isfinite(value) or value <= 0:
        raise CapacityError(f"params must be a positive number of parameters (got {params!r})")
    return value


def _table(instances: Sequence[Instance] | None, hardware: str | None = None) -> list[Instance]:
    table = list(DEFAULT_INSTANCES if instances is None else instances)
    bad = [i for i in table if not isinstance(i, Instance)]
    if bad:
        raise CapacityError(
            f"instances must be Instance(name, memory_gb, cost_per_hour) (got {bad[0]!r})"
        )
    if not table:
        raise CapacityError("the instance table is empty; give at least one Instance")
    if hardware is not None:
        if hardware not in HARDWARE:
            raise CapacityError(
                f"hardware must be 'cpu', 'gpu' or None for any (got {hardware!r})"
                f"{did_you_mean(str(hardware), HARDWARE)}"
            )
        table = [i for i in table if i.kind == hardware]
        if not table:
            raise CapacityError(f"the instance table has no {hardware} instance")
    return table


def _pct(share: float) -> str:
    return f"{units.number(share * 100)}%"


def _share(part: float, whole: float) -> str:
    return f"{units.number(100 * part / whole)}%"


def _items(batch_size: int, concurrency: int) -> str:
    items = batch_size * concurrency
    word = "item" if items == 1 else "items"
    if concurrency == 1:
        return f"{items} {word}"
    return f"{items} {word} ({batch_size} a batch x {concurrency} at once)"


def _below(host: Instance, table: Sequence[Instance]) -> str:
    smaller = [i for i in table if i.kind == host.kind and i.memory_gb < host.memory_gb]
    if not smaller:
        return "nothing smaller in the table"
    below = max(smaller, key=lambda i: i.memory_gb)
    return f"{below.name} ({below.memory_gb:g} GB)"


__all__ = [
    "BYTES_PER_PARAM",
    "CAPACITY_MIME",
    "DEFAULT_INSTANCES",
    "HOURS_PER_YEAR",
    "OPTIMIZER_BYTES",
    "SEED_LOGISTIC",
    "SEED_NETWORK",
    "Breakdown",
    "CapacityCard",
    "CapacityError",
    "CapacityPlan",
    "Fit",
    "Instance",
    "MemoryAssumptions",
    "Part",
    "SeedExample",
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
