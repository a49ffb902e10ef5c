"""The monitoring result as a figure: estimates with their band, value per year, drift.

matplotlib is imported inside the functions; names from the data are drawn as
plain text (:func:`~bizml_nb.core.figures.literal`), money through
:func:`~bizml_nb.core.figures.money_axis`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import did_you_mean
from bizml_nb.core.figures import literal, money_axis
from bizml_nb.monitor.constants import METRIC_WORDS, METRICS, MonitorError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure

    from bizml_nb.monitor.cbpe import Estimate
    from bizml_nb.monitor.constants import FloatArray, IntArray
    from bizml_nb.monitor.drift import Drift
    from bizml_nb.monitor.pricing import Value
    from bizml_nb.monitor.result import MonitorResult


def plot_result(result: MonitorResult, metrics: Sequence[str]) -> Figure:
    """One panel per metric, one for the value per year (when priced), one for drift."""
    import matplotlib.pyplot as plt
    import numpy as np

    unknown = [m for m in metrics if m not in result.performance]
    if unknown:
        raise MonitorError(
            f"no metric {unknown[0]!r}{did_you_mean(unknown[0], METRICS)}; "
            f"known: {', '.join(METRICS)}"
        )
    panels = len(metrics) + (1 if result.value is not None else 0) + (1 if result.drift else 0)
    fig, axes = plt.subplots(panels, 1, figsize=(9, 2.3 * panels), sharex=True, squeeze=False)
    x = np.arange(len(result.chunks))
    axis_list = list(axes[:, 0])
    for ax, name in zip(axis_list, metrics, strict=False):
        plot_metric(ax, x, result.performance[name])
    used = len(metrics)
    if result.value is not None:
        plot_value(axis_list[used], x, result.value)
        used += 1
    if result.drift:
        method = next(iter(result.drift))
        plot_drift(axis_list[used], x, result.drift[method], result.columns)
    last = axis_list[-1]
    last.set_xticks(x)
    last.set_xticklabels([literal(key) for key in result.chunks], rotation=90, fontsize=7)
    last.set_xlabel("chunk")
    fig.tight_layout()
    return fig


def plot_metric(ax: Any, x: IntArray, est: Estimate) -> None:
    low, high = est.band
    ax.fill_between(x, low, high, color="#8ab4f8", alpha=0.35, label="estimate +- 3 SE")
    ax.plot(x, est.estimate, color="#1a73e8", marker="o", ms=3, label="estimated")
    if not _all_nan(est.realised):
        ax.plot(x, est.realised, color="#202124", marker="s", ms=3, lw=1, label="realised")
    ax.plot(x, est.lower, color="#c5221f", ls="--", lw=0.8, label="alert range")
    ax.plot(x, est.upper, color="#c5221f", ls="--", lw=0.8)
    if est.alerts.any():
        ax.scatter(
            x[est.alerts],
            est.estimate[est.alerts],
            color="#c5221f",
            marker="x",
            s=40,
            zorder=5,
            label="alert",
        )
    ax.set_ylabel(METRIC_WORDS[est.metric])
    ax.legend(loc="best", fontsize=7)


def plot_value(ax: Any, x: IntArray, v: Value) -> None:
    cases = v.pricing.cases_per_year
    low, high = v.year_range()  # money ranges are 90%, as on the card
    ax.fill_between(x, low, high, color="#81c995", alpha=0.35, label="90% range")
    ax.plot(x, v.per_year, color="#188038", marker="o", ms=3, label="estimated")
    if not _all_nan(v.realised_per_prediction):
        realised = v.realised_per_prediction * cases
        ax.plot(x, realised, color="#202124", marker="s", ms=3, lw=1, label="realised")
    reference = v.reference_per_prediction * cases
    ax.axhline(reference, color="#5f6368", ls=":", lw=1, label="reference")
    money_axis(ax.yaxis, v.pricing.currency)
    ax.set_ylabel(literal(f"value/yr ({v.pricing.currency})"))
    ax.legend(loc="best", fontsize=7)


def plot_drift(ax: Any, x: IntArray, d: Drift, columns: Sequence[str]) -> None:
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore"):
        # chi2: above 1 when p is below its threshold
        ratio = d.thresholds / d.p_values if d.p_values is not None else d.values / d.thresholds
    alerted = np.asarray(d.alerts.any(axis=0), dtype=bool)
    for j, name in enumerate(columns):
        if _all_nan(ratio[:, j]):
            continue
        if alerted[j]:
            ax.plot(x, ratio[:, j], marker="o", ms=3, label=literal(name))
        else:
            ax.plot(x, ratio[:, j], color="#bdc1c6", lw=0.8)
    ax.axhline(1.0, color="#c5221f", ls="--", lw=0.8)
    ax.set_ylabel(f"{d.method}\n/ threshold")
    if alerted.any():
        ax.legend(loc="best", fontsize=7, ncol=3)


def _all_nan(values: FloatArray) -> bool:
    import numpy as np

    return bool(np.isnan(values).all())
