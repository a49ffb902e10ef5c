"""Placement: replicas by Little's law, and the instances that hold them at the least cost.

An :class:`Instance` is a machine one can rent; :data:`DEFAULT_INSTANCES` is an
ILLUSTRATIVE table with round prices, not quotes. :func:`replicas_needed` counts the
copies a traffic needs, :func:`cheapest_fit` places them on the cheapest instances and
:func:`smallest_instance` finds the least memory that holds a breakdown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bizml_nb.core.errors import did_you_mean
from bizml_nb.finance.capacity.assumptions import (
    HARDWARE,
    HOURS_PER_YEAR,
    CapacityError,
    ServingAssumptions,
    _non_negative,
    _number,
    _positive,
    _whole,
)
from bizml_nb.finance.capacity.words import _pct, size

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.finance.capacity.memory import Breakdown


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


def _replicas(in_flight: float, serving: ServingAssumptions) -> int:
    per_replica = serving.batch_size * serving.concurrency_per_replica * serving.target_utilisation
    # rounded first so 5.6 / 5.6 computed as 1.0000000000000002 is 1, not 2
    return max(1, math.ceil(round(in_flight / per_replica, 9)))


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


__all__ = [
    "DEFAULT_INSTANCES",
    "Fit",
    "Instance",
    "cheapest_fit",
    "replicas_needed",
    "smallest_instance",
]
