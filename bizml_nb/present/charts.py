"""Charts: ML change against business change, and the evidence behind a link.

matplotlib is imported inside each function, so nothing here slows ``%load_ext``.
Run and metric names are shown literally (a ``$`` in a name is not mathtext).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core.card import CardMixin, Row
from bizml_nb.core.errors import RegistryError
from bizml_nb.core.figures import figure_png, literal, money_axis
from bizml_nb.impact import for_run, value_per_unit
from bizml_nb.impact.links import interval_unknown

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from bizml_nb.core.registry import Link
    from bizml_nb.impact.evidence import Fit
    from bizml_nb.projects.project import Project


def impact_plot(project: Project, target: str | None = None, ml: str | None = None) -> Figure:
    """ML delta (x) against the predicted KPI change (y) with 90% bars, per run.

    The shaded band is where a change is worth less than the project's
    ``min_annual_value``; the dashed line is the KPI's gap to its target.
    """
    import matplotlib.pyplot as plt

    registry = project.registry
    kpi_name = target or next(iter(registry.metrics), None)
    if kpi_name is None:
        raise RegistryError("no business metrics yet; declare one with `%bizml metric NAME ...`")
    kpi = registry.metric(kpi_name)
    links = [link for link in registry.ml_links_to(kpi_name) if link.kind in ("linear", "fitted")]
    ml_name = ml or (links[0].ml_metric if links else None)
    if ml_name is None:
        raise RegistryError(
            f"{kpi_name} has no linear or fitted link from an ML metric to plot against; "
            "name one with --ml"
        )
    baseline = project.ledger.baseline(kpi_name)
    scale = 100.0 if kpi.is_ratio else 1.0
    unit = "pp" if kpi.is_ratio else kpi.unit
    xs, ys, lows, highs, names = [], [], [], [], []
    for run in project.ledger.runs(kpi_name):
        if run.status != "ok" or baseline is None or run.id == baseline.id:
            continue
        if ml_name not in run.metrics or ml_name not in baseline.metrics:
            continue
        impact = for_run(run, registry, baseline)
        delta = impact.business_delta if impact else None
        if delta is None:
            continue
        xs.append(run.metrics[ml_name] - baseline.metrics[ml_name])
        ys.append(delta.mid * scale)
        lows.append((delta.mid - delta.low) * scale)
        highs.append((delta.high - delta.mid) * scale)
        names.append(run.name)
    figure, axes = plt.subplots(figsize=(7, 4.2))
    worth = value_per_unit(registry, kpi_name)
    if worth and registry.min_annual_value > 0:
        band = registry.min_annual_value / abs(worth) * scale
        axes.axhspan(-band, band, color="0.9", label="below the materiality bar")
    if kpi.baseline is not None and kpi.target is not None:
        axes.axhline(
            (kpi.target - kpi.baseline) * scale, color="tab:green", linestyle="--", label="target"
        )
    axes.axhline(0, color="0.5", linewidth=0.8)
    if xs and baseline is not None:  # the origin: every run is measured from it
        axes.plot(
            [0],
            [0],
            marker="s",
            linestyle="none",
            color="0.3",
            label=literal(f"baseline run: {short_label(baseline.name, lines=1)}"),
        )
    axes.errorbar(
        xs, ys, yerr=[lows, highs], fmt="o", capsize=4, color="tab:blue", label="runs (90%)"
    )
    _label_runs(axes, xs, ys, names)
    axes.set_xlabel(f"{literal(ml_name)} change vs the baseline run")
    axes.set_ylabel(f"predicted {literal(kpi_name)} change ({literal(unit)})")
    axes.set_title(literal(f"{ml_name} vs {kpi_name}"))
    if not xs:
        axes.text(
            0.5,
            0.5,
            "no runs to compare with a baseline run yet",
            ha="center",
            transform=axes.transAxes,
        )
    axes.legend(loc="best", fontsize=8)
    figure.tight_layout()
    plt.close(figure)
    return figure


#: The longest line of a run's name on a chart, and how many lines it may take: a longer
#: name is wrapped, then cut with an ellipsis, so that it stays inside the figure.
LABEL_CHARS = 24
LABEL_LINES = 2


def short_label(name: str, *, width: int = LABEL_CHARS, lines: int = LABEL_LINES) -> str:
    """A run's name as a chart shows it: on at most ``lines`` lines of ``width`` characters.

    >>> short_label("SVD rank 6")
    'SVD rank 6'
    >>> print(short_label("a two-tower model with hard negatives, distilled to a small ranker"))
    a two-tower model with
    hard negatives, distill…
    """
    import textwrap

    from bizml_nb.core.card import one_line

    text = one_line(name)
    wrapped = textwrap.wrap(text, width, break_long_words=True) or [""]
    if len(wrapped) > lines:
        last = " ".join(wrapped[lines - 1 :])
        wrapped = [*wrapped[: lines - 1], last[: width - 1] + "…"]
    return "\n".join(wrapped)


def _label_runs(axes: Any, xs: list[float], ys: list[float], names: list[str]) -> None:
    """Each point's run name, shortened, on the side of the point with more room."""
    if xs:  # the limits first, so that each label can be put on the side with room
        axes.set_xlim(*_padded(xs))
    middle = sum(axes.get_xlim()) / 2
    for x, y, name in zip(xs, ys, names, strict=True):
        right = x <= middle
        axes.annotate(
            "\n".join(literal(line) for line in short_label(name).splitlines()),
            (x, y),
            textcoords="offset points",
            xytext=(5 if right else -5, 5),
            ha="left" if right else "right",
            fontsize=8,
        )


def _padded(xs: list[float]) -> tuple[float, float]:
    """The x range of the points and the origin, with a margin on each side."""
    low, high = min([*xs, 0.0]), max([*xs, 0.0])
    margin = (high - low) * 0.08 or max(abs(high), 1e-3) * 0.5
    return low - margin, high + margin


@dataclass(frozen=True, repr=False)
class Audit(CardMixin):
    """The evidence behind one link: what it says, how sure, and which points drive it.

    A card (:class:`~bizml_nb.core.card.CardMixin`) whose title is the link and its kind,
    and whose free-form lines (the fit, its grade, the influential points) follow as the
    card's notes; ``text()`` is the audit as ``%bizml audit`` prints it.
    """

    link: Link
    fit: Fit | None
    history: Any  # the history DataFrame, when there is one
    lines: tuple[str, ...]

    css_class: ClassVar[str] = "bizml-audit"

    def title(self) -> str:
        return self.lines[0] if self.lines else self.link.label

    def rows(self) -> list[Row]:
        return []

    def notes(self) -> tuple[str, ...]:
        return self.lines[1:]

    def figure(self) -> Figure | None:
        """Scatter of the history with the fitted line and its 90% band (None without history)."""
        if self.fit is None or self.history is None:
            return None
        import matplotlib.pyplot as plt
        import numpy as np

        x = self.history["ml_delta"].to_numpy(dtype=float)
        y = self.history["business_delta"].to_numpy(dtype=float)
        figure, axes = plt.subplots(figsize=(6, 4))
        axes.scatter(x, y, color="tab:blue", label="past experiments")
        grid = np.linspace(min(x.min(), 0), max(x.max(), 0), 50)
        fit = self.fit
        axes.plot(grid, fit.intercept + fit.slope * grid, color="tab:orange", label="fit")
        low, high = fit.interval
        if np.isfinite(low) and np.isfinite(high):
            axes.fill_between(
                grid,
                fit.intercept + low * grid,
                fit.intercept + high * grid,
                color="tab:orange",
                alpha=0.2,
                label="90% interval of the slope",
            )
        axes.axhline(0, color="0.5", linewidth=0.8)
        axes.set_xlabel(f"offline {literal(self.link.ml_metric)} change")
        axes.set_ylabel(f"measured {literal(self.link.business_metric)} change")
        axes.set_title(literal(f"{self.link.label}: {fit.grade} evidence"))
        axes.legend(fontsize=8)
        figure.tight_layout()
        plt.close(figure)
        return figure


def audit(project: Project, ml_metric: str, kpi: str) -> Audit:
    """The evidence behind the link from ``ml_metric`` to ``kpi``."""
    from bizml_nb.impact.evidence import _read, fit_history

    registry = project.registry
    registry.metric(kpi)
    matches = [x for x in registry.links_to(kpi) if x.ml_metric == ml_metric]
    if not matches:
        known = ", ".join(x.ml_metric for x in registry.links_to(kpi)) or "none"
        raise RegistryError(f"no link {ml_metric} -> {kpi}; links into {kpi}: {known}")
    link = matches[0]
    lines = [
        f"{link.label}: {link.kind} link" + (f" (source: {link.source})" if link.source else "")
    ]
    fit = history = None
    if link.kind == "fitted":
        path = link.params.get("history")
        if path:
            file = Path(path) if Path(path).is_absolute() else project.root / path
            if file.is_file():
                history = _read(file)
                fit = fit_history(history)
            else:
                lines.append(f"the history file {path} is no longer there; showing the stored fit")
        grade = link.params.get("grade")
        low, high = link.interval
        interval = (
            "90% interval unknown"
            if interval_unknown(link)
            else f"90% interval [{units.number(low)}, {units.number(high)}]"
        )
        lines.append(
            f"elasticity {units.number(link.elasticity)}, {interval}, n={link.params.get('n')}, "
            f"R^2 {float(link.params.get('r2', 0)):.2f}; evidence: {grade}"
        )
        if grade == "none":
            lines.append(
                f"past experiments show no reliable relation between {ml_metric} and {kpi}; "
                "the offline gain may not move the business"
            )
        if fit is not None:
            lines.append(f"intercept {units.number(fit.intercept)} (not used for predictions)")
            lines.append("points that most influence the fit (Cook's distance):")
            lines.extend(f"  {label}: {distance:.2f}" for label, distance in fit.influence)
            if fit.influence and fit.influence[0][1] > 1:
                lines.append(
                    f"  {fit.influence[0][0]} alone moves the fit (Cook's distance above 1); "
                    "check it before trusting the slope"
                )
    elif link.kind == "linear" and interval_unknown(link):
        lines.append(
            f"elasticity {units.number(link.elasticity)}, declared by hand with no interval: "
            "ranges use a stand-in from no effect to twice the estimate and verdicts stay "
            f"uncertain. Declare one with `%bizml link {ml_metric} {kpi} --elasticity E "
            "--interval LOW HIGH`, or fit it from past A/B tests with "
            f"`%bizml link {ml_metric} {kpi} --fit history.csv`."
        )
    elif link.kind == "linear":
        low, high = link.interval
        lines.append(
            f"elasticity {units.number(link.elasticity)} [{units.number(low)}, {units.number(high)}] (90%), "
            "declared by hand: no history to check it against. Fit it from past A/B tests with "
            f"`%bizml link {ml_metric} {kpi} --fit history.csv` to grade the evidence."
        )
    elif link.kind == "confusion":
        (tn, fp), (fn, tp) = link.params["value_matrix"]
        lines.append(
            f"value per case TN {tn:g}, FP {fp:g}, FN {fn:g}, TP {tp:g} at "
            f"{units.number(float(link.params['cases_per_year']))} cases/yr; the uncertainty comes "
            "from the counts each run logs"
        )
    else:
        lines.append(f"formula {link.params['expr']}: computed exactly from logged quantities")
    return Audit(link, fit, history, tuple(lines))


__all__ = ["Audit", "audit", "figure_png", "impact_plot", "literal", "money_axis"]
