"""How cost grows as traffic and the model grow: the plan over a grid of both."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from bizml_nb.finance.capacity.assumptions import (
    CapacityError,
    MemoryAssumptions,
    ServingAssumptions,
    _dtype,
    _non_negative,
    _params,
    _positive,
)
from bizml_nb.finance.capacity.placement import _replicas, _table
from bizml_nb.finance.capacity.planning import plan

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import pandas as pd

    from bizml_nb.finance.capacity.placement import Instance


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


__all__ = ["cost_curve"]
