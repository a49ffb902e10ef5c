"""What the uncertain inputs do to the NPV: a seeded Monte Carlo, and a tornado of swings.

:func:`simulate` draws every uncertain input at once (vectorised, seeded) through the
same monthly cash flows as :func:`~bizml_nb.finance.roi.evaluate`; :func:`tornado`
moves one input at a time to its 10th and its 90th percentile (the same percentiles for
every input, whatever its distribution).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from bizml_nb.finance.roi.cashflows import (
    Investment,
    _finite_flows,
    _flows,
    _payback,
    evaluate,
)
from bizml_nb.finance.roi.distributions import ROIError, percentile

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    Array = npt.NDArray[np.float64]

DRAWS = 100_000
SEED = 20_261_128
TORNADO_PERCENTILES = (10, 90)  # every input swings from its P10 to its P90


@dataclass(frozen=True)
class Simulation:
    """A Monte Carlo evaluation: NPV and payback across draws of the uncertain inputs."""

    project: Investment
    draws: int
    npv: Array
    payback: Array  # months; nan where not within the horizon
    seed: int = SEED
    uncertain: tuple[str, ...] = field(default=())

    @property
    def p_positive(self) -> float:
        """P(NPV > 0)."""
        return float((self.npv > 0).mean())

    def npv_percentiles(self) -> tuple[float, float, float]:
        """P10, P50 and P90 of the NPV."""
        import numpy as np

        p10, p50, p90 = np.percentile(self.npv, [10, 50, 90])
        return float(p10), float(p50), float(p90)

    def payback_percentiles(self) -> tuple[float | None, float | None, float | None]:
        """P10, P50 and P90 of the payback month (None where that share never pays back)."""
        import numpy as np

        filled = np.where(np.isnan(self.payback), np.inf, self.payback)
        values = np.percentile(filled, [10, 50, 90], method="higher")  # no inf - inf
        return tuple(None if not np.isfinite(v) else float(v) for v in values)  # type: ignore[return-value]


def simulate(project: Investment, *, draws: int = DRAWS, seed: int = SEED) -> Simulation:
    """Monte Carlo over the uncertain inputs: ``draws`` joint draws, seeded, vectorised."""
    import numpy as np

    if draws <= 0:
        raise ROIError("draws must be positive")
    rng = np.random.default_rng(seed)
    inputs: dict[str, Array] = {}
    for item in fields(project):
        if item.name == "years":
            continue
        value = getattr(project, item.name)
        if isinstance(value, int | float):
            inputs[item.name] = np.full(draws, float(value))
        else:
            inputs[item.name] = value.sample(rng, draws)
    _, _, net, factor = _flows(inputs, project.years)
    npv = (net * factor).sum(axis=1)
    _finite_flows(project, npv)
    payback = _payback(np.cumsum(net, axis=1))
    return Simulation(project, draws, npv, payback, seed, tuple(project.uncertain()))


def tornado(project: Investment) -> pd.DataFrame:
    """NPV with each uncertain input at its P10 and at its P90, the others at ``mode()``.

    Every input swings over the same percentiles (:data:`TORNADO_PERCENTILES`), so the
    bars compare like with like: a triangular's absolute ends would stretch its bar
    over futures it almost never reaches. Columns: ``low`` and ``high`` are the input's
    P10 and P90, ``npv_at_low`` and ``npv_at_high`` the NPV there, ``swing`` the
    distance between them and ``base_npv`` the NPV with every input at ``mode()``.
    Sorted by swing (largest first): the inputs that matter most for the decision.
    """
    import pandas as pd

    base = project.at_mode()
    base_npv = evaluate(base).npv
    low_q, high_q = (p / 100 for p in TORNADO_PERCENTILES)
    rows = []
    for name in project.uncertain():
        value = getattr(project, name)
        low, high = percentile(value, low_q), percentile(value, high_q)
        low_npv = evaluate(_with(base, name, low)).npv
        high_npv = evaluate(_with(base, name, high)).npv
        rows.append(
            {
                "input": name,
                "low": low,
                "high": high,
                "npv_at_low": low_npv,
                "npv_at_high": high_npv,
                "swing": abs(high_npv - low_npv),
                "base_npv": base_npv,
            }
        )
    frame = pd.DataFrame(
        rows, columns=["input", "low", "high", "npv_at_low", "npv_at_high", "swing", "base_npv"]
    )
    return frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def _with(investment: Investment, name: str, value: float) -> Investment:
    changes: dict[str, Any] = {name: value}
    return replace(investment, **changes)


__all__ = ["DRAWS", "SEED", "TORNADO_PERCENTILES", "Simulation", "simulate", "tornado"]
