"""Memory: what a model needs to serve or to train, as named parts that add up to the total.

Serving (:func:`inference_memory`): weights (parameters x bytes per parameter),
forward-pass buffers, the activations of the items in flight, the runtime, the copies
on one host and the headroom kept free. Training (:func:`training_memory`): weights,
gradients, optimizer states, activations and the runtime (Hugging Face, "Model
training anatomy").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bizml_nb.core._records import portable
from bizml_nb.core.errors import did_you_mean
from bizml_nb.finance.capacity.assumptions import (
    BYTES_PER_PARAM,
    GB,
    MB,
    OPTIMIZER_BYTES,
    CapacityError,
    MemoryAssumptions,
    TrainingAssumptions,
    _bytes_per_param,
    _dtype,
    _params,
    _whole,
)
from bizml_nb.finance.capacity.words import _pct, count, size


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


def _items(batch_size: int, concurrency: int) -> str:
    items = batch_size * concurrency
    word = "item" if items == 1 else "items"
    if concurrency == 1:
        return f"{items} {word}"
    return f"{items} {word} ({batch_size} a batch x {concurrency} at once)"


__all__ = ["Breakdown", "Part", "inference_memory", "training_memory"]
