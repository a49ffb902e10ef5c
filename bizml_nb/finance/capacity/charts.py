"""Capacity charts: yearly cost against traffic and against model size (matplotlib inside)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bizml_nb.core.figures import money_axis
from bizml_nb.finance.capacity.words import count

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def cost_chart(curve: pd.DataFrame, currency: str = "USD") -> Figure:
    """Yearly cost against traffic (one line per model size) and against model size."""
    import matplotlib.pyplot as plt

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


__all__ = ["cost_chart"]
