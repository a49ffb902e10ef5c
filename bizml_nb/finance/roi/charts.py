"""ROI charts: the tornado of NPV swings, the monthly cash flows and the NPV's spread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bizml_nb.core import units
from bizml_nb.core.figures import money_axis
from bizml_nb.finance.roi.simulation import TORNADO_PERCENTILES

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from bizml_nb.finance.roi.cashflows import Result
    from bizml_nb.finance.roi.simulation import Simulation


def tornado_chart(table: pd.DataFrame, currency: str = "USD") -> Figure:
    """A horizontal bar chart of :func:`tornado`'s table around the base NPV.

    Each bar runs from the NPV at the input's P10 to the NPV at its P90 (the others at
    their central value); the axis label says so.
    """
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 0.5 * max(len(table), 2) + 1.2))
    if table.empty:
        axes.text(0.5, 0.5, "no uncertain inputs", ha="center", transform=axes.transAxes)
    else:
        base = float(table["base_npv"].iloc[0])
        rows = table.iloc[::-1]
        for position, (_, row) in enumerate(rows.iterrows()):
            low, high = sorted((row["npv_at_low"], row["npv_at_high"]))
            axes.barh(position, high - low, left=low, color="tab:blue")
        axes.set_yticks(range(len(rows)), [str(n) for n in rows["input"]])
        axes.axvline(
            base, color="0.3", linestyle="--", label=f"base NPV {units.money(base, currency)}"
        )
        axes.legend(fontsize=8)
    money_axis(axes.xaxis, currency)
    low_p, high_p = TORNADO_PERCENTILES
    axes.set_xlabel(
        f"NPV ({currency}) with each input from its P{low_p} to its P{high_p}, the others central"
    )
    axes.set_title("What moves the NPV most")
    figure.tight_layout()
    plt.close(figure)
    return figure


def cashflow_chart(result: Result, currency: str = "USD") -> Figure:
    """Monthly net flows as bars and the cumulative position as a line."""
    import matplotlib.pyplot as plt

    frame = result.cashflows
    figure, axes = plt.subplots(figsize=(7, 3.5))
    colors = ["tab:green" if v >= 0 else "tab:red" for v in frame["net"]]
    axes.bar(frame["month"], frame["net"], color=colors, label="net flow in the month")
    axes.plot(frame["month"], frame["cumulative"], color="tab:blue", label="cumulative")
    axes.axhline(0, color="0.5", linewidth=0.8)
    if result.payback_month is not None:
        axes.axvline(result.payback_month, color="tab:blue", linestyle=":", label="payback")
    axes.set_xlabel("month")
    money_axis(axes.yaxis, currency)
    axes.set_ylabel(currency)
    axes.legend(fontsize=8)
    figure.tight_layout()
    plt.close(figure)
    return figure


def npv_histogram(simulation: Simulation, currency: str = "USD") -> Figure:
    """How often each NPV came up over the simulated futures; left of the line, a loss."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 3))
    axes.hist(simulation.npv, bins=60, color="tab:blue")
    money_axis(axes.xaxis, currency)
    axes.axvline(0, color="tab:red", linestyle="--", label="NPV = 0")
    axes.set_xlabel(f"NPV ({currency})")
    axes.set_ylabel("futures")
    axes.set_title(f"NPV over {simulation.draws:,} simulated futures")
    axes.legend(fontsize=8)
    figure.tight_layout()
    plt.close(figure)
    return figure


__all__ = ["cashflow_chart", "npv_histogram", "tornado_chart"]
