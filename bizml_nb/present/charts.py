"""Charts: ML change against business change, and the evidence behind a link.

matplotlib is imported inside each function, so nothing here slows ``%load_ext``.
Run and metric names are shown literally (a ``$`` in a name is not mathtext).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core.card import CardMixin, Row, one_line
from bizml_nb.core.errors import RegistryError
from bizml_nb.core.figures import figure_png, literal, money_axis
from bizml_nb.impact import for_run, value_per_unit
from bizml_nb.impact.links import interval_unknown

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from bizml_nb.core.registry import Link
    from bizml_nb.impact.evidence import Fit
    from bizml_nb.projects.link_evidence import ObservedPoints
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
    #: the KPI's observed runs as points of the link (None for a link that has none)
    observed: ObservedPoints | None = None

    css_class: ClassVar[str] = "bizml-audit"

    def title(self) -> str:
        return self.lines[0] if self.lines else self.link.label

    def rows(self) -> list[Row]:
        return []

    def notes(self) -> tuple[str, ...]:
        return self.lines[1:]

    def figure(self) -> Figure | None:
        """Scatter of the history with the fitted line and its 90% band, and the observed
        runs as green diamonds with their intervals (None with neither history nor
        observed runs)."""
        points = self.observed.points if self.observed is not None else ()
        if not points and (self.fit is None or self.history is None):
            return None
        import matplotlib.pyplot as plt
        import numpy as np

        figure, axes = plt.subplots(figsize=(6, 4))
        xs: list[float] = []
        if self.history is not None:
            x = self.history["ml_delta"].to_numpy(dtype=float)
            y = self.history["business_delta"].to_numpy(dtype=float)
            axes.scatter(x, y, color="tab:blue", label="past experiments")
            xs += [float(v) for v in x]
        if points:
            ox = [p.ml_delta for p in points]
            oy = [p.kpi_delta for p in points]
            below = [p.kpi_delta - p.observation.low for p in points]
            above = [p.observation.high - p.kpi_delta for p in points]
            axes.errorbar(
                ox,
                oy,
                yerr=[below, above],
                fmt="D",
                color="tab:green",
                ecolor="tab:green",
                elinewidth=1,
                capsize=3,
                label="observed runs",
            )
            xs += ox
        grid = np.linspace(min(*xs, 0), max(*xs, 0), 50)
        if self.fit is None:
            _declared_lines(axes, grid, self.link, self.observed)
            _finish(axes, figure, self.link, f"{self.link.label}: observed runs")
            return figure
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
        _finish(axes, figure, self.link, f"{self.link.label}: {fit.grade} evidence")
        return figure


def _declared_lines(axes: Any, grid: Any, link: Link, observed: ObservedPoints | None) -> None:
    """The link's elasticity (dashed) and the observed mean (dotted), through the origin."""
    if link.kind in ("linear", "fitted"):
        axes.plot(grid, link.elasticity * grid, "--", color="tab:orange", label="declared")
    mean = observed.mean() if observed is not None else None
    if mean is not None:
        axes.plot(grid, mean.mean * grid, ":", color="tab:green", label="observed mean")


def _finish(axes: Any, figure: Any, link: Link, title: str) -> None:
    """Axis labels, title and legend; the figure closed so that it shows once."""
    import matplotlib.pyplot as plt

    axes.axhline(0, color="0.5", linewidth=0.8)
    axes.set_xlabel(f"offline {literal(link.ml_metric)} change")
    axes.set_ylabel(f"measured {literal(link.business_metric)} change")
    axes.set_title(literal(title))
    axes.legend(fontsize=8)
    figure.tight_layout()
    plt.close(figure)


def audit(project: Project, ml_metric: str, kpi: str) -> Audit:
    """The evidence behind the link from ``ml_metric`` to ``kpi``."""
    from bizml_nb.projects.link_evidence import observed_points

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
    observed = (
        observed_points(project, ml_metric, kpi) if link.kind in ("linear", "fitted") else None
    )
    if link.kind == "fitted":
        fit, history = _fitted(project, link, observed, lines)
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
    if observed is not None and (observed.points or observed.left_out):
        lines.extend(observed_lines(project, link, observed))
    else:
        observed = None
    return Audit(link, fit, history, tuple(lines), observed)


def _fitted(
    project: Project, link: Link, observed: ObservedPoints | None, lines: list[str]
) -> tuple[Fit | None, Any]:
    """A fitted link's lines (added to ``lines``), and its fit and history recomputed
    from its history file and, for a link fitted from observed runs, those runs now."""
    from bizml_nb.impact.evidence import MIN_FIT_POINTS, _read, fit_history

    ml_metric, kpi = link.ml_metric, link.business_metric
    fit = history = None
    path = link.params.get("history")
    if path:
        file = Path(path) if Path(path).is_absolute() else project.root / path
        if file.is_file():
            history = _read(file)
            fit = fit_history(history)
        else:
            lines.append(f"the history file {path} is no longer there; showing the stored fit")
    # a history given as a table, not a file, is not kept: its rows cannot be refitted
    table_rows = path is None and int(link.params.get("n", 0)) > int(link.params.get("observed", 0))
    if table_rows and "observed" in link.params:
        lines.append(
            "the fit's history rows were given as a table, not a file, so they are not kept: "
            "showing the stored fit"
        )
    elif (
        "observed" in link.params and observed is not None and (path is None or history is not None)
    ):
        from bizml_nb.projects.links import observed_fit

        if observed.n + (0 if history is None else len(history)) >= MIN_FIT_POINTS:
            fit = observed_fit(history, observed)
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
    return fit, history


def observed_lines(project: Project, link: Link, observed: ObservedPoints) -> list[str]:
    """The audit's lines on the KPI's observed runs: each point, those left out, the
    observed mean elasticity, and whether it agrees with the link's."""
    from bizml_nb.impact.evidence import MIN_OBSERVED

    unit = project.registry.metric(link.business_metric).unit
    ml, kpi = link.ml_metric, link.business_metric
    lines: list[str] = []
    fitted_from = link.params.get("observed")
    if fitted_from is not None and fitted_from != observed.n:
        lines.append(
            f"fitted from {fitted_from} observed run(s); {observed.n} can be used now: "
            f"refit with {_refit(link)}"
        )
    if observed.points:
        lines.append(
            f"observed runs ({ml} change against the baseline run, realised {kpi} change, "
            "implied elasticity = realised / ML change):"
        )
    for p in observed.points:
        obs = p.observation
        lines.append(
            f"  {one_line(p.run.name)}: {ml} {units.number(p.ml_delta, signed=True)}, {kpi} "
            f"{units.kpi_delta(obs.kpi_delta, unit)} "
            f"{units.kpi_interval(obs.low, obs.high, unit, level=obs.level)}, "
            f"implied {units.number(p.implied)}"
        )
    left = observed.left_out_text()
    if left:
        lines.append(left)
    mean = observed.mean()
    if mean is None:
        return lines
    stated = (
        f"observed mean {units.number(mean.mean)} (90% [{units.number(mean.interval[0])}, "
        f"{units.number(mean.interval[1])}]) over {observed.n} observed run"
        + ("" if observed.n == 1 else "s")
    )
    lines.append(
        f"{stated}: the inverse-variance weighted mean of realised / ML change (the weighted "
        "slope through the origin), its interval widened when runs scatter more than "
        "their intervals say"
    )
    if observed.n < MIN_OBSERVED:
        lines.append(
            f"too few observed runs to judge the elasticity ({observed.n}; needs {MIN_OBSERVED})"
        )
        return lines
    declared = "fitted" if link.kind == "fitted" else "declared"
    point = interval_unknown(link)
    interval = (link.elasticity, link.elasticity) if point else link.interval
    if mean.disagrees_with(link.elasticity, interval):
        lines.append(
            f"the {declared} elasticity {units.number(link.elasticity)} disagrees with what was "
            f"observed: {stated}; refit with {_refit(link)}"
        )
    elif point:
        lines.append(
            f"the {declared} elasticity {units.number(link.elasticity)} lies inside the observed "
            "mean's 90% interval"
        )
    else:
        lines.append(
            f"the observed mean lies inside the {declared} elasticity's 90% interval "
            f"[{units.number(interval[0])}, {units.number(interval[1])}]"
        )
    return lines


def _refit(link: Link) -> str:
    """The command that fits the link again from its KPI's observed runs (and its history)."""
    history = link.params.get("history")
    fit = f"--fit {shlex.quote(str(history))}" if history else "--fit"
    return f"`%bizml link {link.ml_metric} {link.business_metric} {fit} --from-observed`"


__all__ = ["Audit", "audit", "figure_png", "impact_plot", "literal", "money_axis"]
