"""A capacity plan: memory, replicas, the cheapest instances and the yearly cost, together.

:func:`plan` chains the three steps (memory, replicas by Little's law, placement) for a
model at a traffic; :func:`capacity` does the same from assumptions given by name and
returns the card ``%bizml capacity`` shows. The yearly cost feeds the ROI model
(:meth:`CapacityPlan.investment`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from bizml_nb.core._records import portable
from bizml_nb.core.errors import did_you_mean
from bizml_nb.finance.capacity.assumptions import (
    CapacityError,
    MemoryAssumptions,
    ServingAssumptions,
    _bytes_per_param,
    _dtype,
    _params,
    _positive,
)
from bizml_nb.finance.capacity.card import CapacityCard
from bizml_nb.finance.capacity.memory import Breakdown, inference_memory
from bizml_nb.finance.capacity.placement import Fit, _replicas, _table, cheapest_fit
from bizml_nb.finance.roi import Investment

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.finance.capacity.placement import Instance
    from bizml_nb.finance.roi import Value


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


__all__ = ["CapacityPlan", "capacity", "plan"]
