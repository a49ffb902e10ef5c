"""The seed's worked example: a logistic regression in 1 GB against a network in 16 GB.

The seed text says last year's logistic regression fitted into a 1 GB instance and this
year's 100-million-parameter network needs 16 GB. :func:`seed_example` sizes both with
stated, illustrative assumptions (:data:`SEED_LOGISTIC`, :data:`SEED_NETWORK`) and
:class:`SeedExample` shows, as a card, where the 16 GB goes and what would change it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar

from bizml_nb.core import units
from bizml_nb.core.card import CardMixin, Row
from bizml_nb.finance.capacity.assumptions import (
    GB,
    CapacityError,
    MemoryAssumptions,
    ServingAssumptions,
    _bytes_per_param,
)
from bizml_nb.finance.capacity.memory import Breakdown, inference_memory
from bizml_nb.finance.capacity.placement import (
    DEFAULT_INSTANCES,
    Instance,
    _replicas,
    _table,
    smallest_instance,
)
from bizml_nb.finance.capacity.words import _pct, _share, count, size

if TYPE_CHECKING:
    from collections.abc import Sequence


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


@dataclass(frozen=True, repr=False)
class SeedExample(CardMixin):
    """The seed's two models side by side, with the arithmetic of the network's 16 GB.

    A card with no rows: its title, then the worked example as :meth:`notes`.
    """

    css_class: ClassVar[str] = "bizml-capacity-seed"

    logistic: Breakdown
    logistic_instance: Instance
    logistic_replicas: int
    network: Breakdown
    network_instance: Instance
    network_replicas: int
    network_in_flight: float
    instances: tuple[Instance, ...] = field(default=DEFAULT_INSTANCES)

    def title(self) -> str:
        return "Where the seed's 16 GB goes"

    def rows(self) -> Sequence[Row]:
        return ()

    def notes(self) -> list[str]:
        """The two models' breakdowns, why the network needs 16 GB, and what would change it."""
        net, seed = self.network, SEED_NETWORK
        n = self.network_replicas
        host = self.network_instance
        weights_one = seed.params * _bytes_per_param(seed.dtype, seed.memory) / GB
        s = seed.serving
        per_replica = s.batch_size * s.concurrency_per_replica * s.target_utilisation
        runtime = net.part("runtime").gb
        return [
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


def _below(host: Instance, table: Sequence[Instance]) -> str:
    smaller = [i for i in table if i.kind == host.kind and i.memory_gb < host.memory_gb]
    if not smaller:
        return "nothing smaller in the table"
    below = max(smaller, key=lambda i: i.memory_gb)
    return f"{below.name} ({below.memory_gb:g} GB)"


__all__ = [
    "SEED_LOGISTIC",
    "SEED_NETWORK",
    "SEED_RPS",
    "SeedExample",
    "SeedModel",
    "seed_example",
]
