"""Capacity inputs: units, bytes per parameter, and the named assumptions of every estimate.

:class:`MemoryAssumptions`, :class:`ServingAssumptions` and :class:`TrainingAssumptions`
hold every factor the estimates use, each overridable and checked when it is made; the
checks here (:class:`CapacityError` with one clear message) serve the whole package.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from bizml_nb.core.errors import BizmlError, did_you_mean

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


# checks of the inputs, shared by the package (Instance and DEFAULT_INSTANCES use them too)


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


def _dtype(dtype: object) -> str:
    name = dtype.strip().lower() if isinstance(dtype, str) else ""
    name = DTYPE_ALIASES.get(name, name)
    if name not in BYTES_PER_PARAM:
        raise CapacityError(
            f"unknown dtype {dtype!r}{did_you_mean(name, BYTES_PER_PARAM)}; "
            f"known: {', '.join(BYTES_PER_PARAM)}"
        )
    return name


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


def _bytes_per_param(dtype: str, assumptions: MemoryAssumptions) -> float:
    if assumptions.bytes_per_param is not None:
        return assumptions.bytes_per_param
    return BYTES_PER_PARAM[dtype]


__all__ = [
    "BYTES_PER_PARAM",
    "DTYPE_ALIASES",
    "GB",
    "HARDWARE",
    "HOURS_PER_YEAR",
    "MB",
    "OPTIMIZER_BYTES",
    "CapacityError",
    "MemoryAssumptions",
    "ServingAssumptions",
    "TrainingAssumptions",
]
