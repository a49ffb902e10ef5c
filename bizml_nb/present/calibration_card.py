"""The calibration card: per KPI, the predicted ranges' coverage and the haircut, with a chart.

Coverage is how often realised changes fell inside their predicted range; the haircut
is what launches realised per unit predicted.

A :class:`~bizml_nb.core.card.CardMixin` card (``application/vnd.bizml.calibration+json``)
over :func:`bizml_nb.projects.realised_value.calibration_of`, which decides every number.
The chart (predicted against realised change, the diagonal marking a prediction that held)
is a PNG drawn with :mod:`bizml_nb.core.figures` and embedded in the HTML; ``text/plain``
says the same in words and is deterministic.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core._records import portable
from bizml_nb.core.card import CardMixin, Row
from bizml_nb.core.run import unique_prefixes
from bizml_nb.present.realised_cards import NOT_KEPT, OBSERVE_HINT, named
from bizml_nb.projects.realised_value import KpiCalibration, calibration_of

if TYPE_CHECKING:
    from bizml_nb.projects.project import Project

CALIBRATION_MIME = "application/vnd.bizml.calibration+json"


@dataclass(frozen=True, repr=False)
class CalibrationCard(CardMixin):
    """Per KPI: how often realised changes fell in their predicted range, and the haircut."""

    kpis: tuple[KpiCalibration, ...]
    chart: bytes | None = None  # PNG: predicted against realised, with the diagonal

    mime_type: ClassVar[str | None] = CALIBRATION_MIME
    css_class: ClassVar[str] = "bizml-calibration"

    def title(self) -> str:
        return "Calibration: predicted vs realised"

    def empty_text(self) -> str:
        return (
            "no observed run yet; record what a launched model did with "
            f"{OBSERVE_HINT}, then calibration compares it with its prediction"
        )

    def rows(self) -> list[Row]:
        rows: list[Row] = []
        ids = unique_prefixes(
            run.id
            for item in self.kpis
            for run in (*(point.run for point in item.points), *item.unpredicted)
        )
        for item in self.kpis:
            kpi = item.kpi
            rows.append(
                (
                    "KPI",
                    f"{kpi.name}: {item.n} run{'' if item.n == 1 else 's'} with a prediction and an observation",
                )
            )
            if item.unpredicted:
                rows.append(
                    (
                        "Excluded",
                        f"{len(item.unpredicted)} observed without a prediction: "
                        + ", ".join(named(run, ids) for run in item.unpredicted),
                    )
                )
            now = sum(not point.frozen for point in item.points)
            if now:
                rows.append(("", _not_kept(now, item.n)))
            cal = item.calibration
            if cal is None:
                rows.append(("Calibration", f"not computed: {item.why_not}"))
                continue
            rows.append(
                (
                    "Coverage",
                    f"{cal.inside} of {cal.n} inside their predicted "
                    f"{units.level_text(cal.range_level)} range: {units.percent(cal.coverage)} "
                    f"[{units.percent(cal.coverage_low)}, {units.percent(cal.coverage_high)}] "
                    f"({units.level_text(cal.level)}); it should be near "
                    f"{units.level_text(cal.range_level)}",
                )
            )
            rows.append(("", _coverage_sentence(item)))
            rows.append(
                (
                    "Haircut",
                    f"{cal.haircut:.2f} [{cal.haircut_low:.2f}, {cal.haircut_high:.2f}] "
                    f"({units.level_text(cal.level)}), realised per unit predicted",
                )
            )
            rows.append(("", _haircut_sentence(item)))
        return rows

    def notes(self) -> list[str]:
        methods = [(item.kpi.name, item.calibration) for item in self.kpis if item.calibration]
        if len(methods) == 1:
            return [f"Method: {methods[0][1].method}."]
        return [f"Method ({name}): {cal.method}." for name, cal in methods]

    def html(self) -> str:
        page = super().html()
        if self.chart is None:
            return page
        data = base64.b64encode(self.chart).decode("ascii")
        image = (
            '<div class="bizml-chart"><img alt="predicted against realised KPI change" '
            f'style="max-width:100%" src="data:image/png;base64,{data}"></div>'
        )
        return page[: -len("</div>")] + image + "</div>"

    def record(self) -> dict[str, Any] | None:
        """The figures as JSON, floats to 10 significant digits (alike on every machine)."""
        return portable(self._figures())  # type: ignore[no-any-return]

    def _figures(self) -> dict[str, Any]:
        return {
            "kpis": [
                {
                    "kpi": item.kpi.name,
                    "unit": item.kpi.unit,
                    "n": item.n,
                    "points": [
                        {
                            "run_id": point.run.id,
                            "predicted": point.predicted.to_list(),
                            "realised": point.observation.kpi_delta,
                            "realised_interval": [point.observation.low, point.observation.high],
                            "inside": point.inside,
                            "frozen": point.frozen,
                        }
                        for point in item.points
                    ],
                    "excluded": [run.id for run in item.unpredicted],
                    "calibration": None
                    if item.calibration is None
                    else {
                        key: getattr(item.calibration, key)
                        for key in (
                            "n",
                            "inside",
                            "coverage",
                            "coverage_low",
                            "coverage_high",
                            "range_level",
                            "haircut",
                            "haircut_se",
                            "haircut_low",
                            "haircut_high",
                            "level",
                            "method",
                        )
                    },
                    "why_not": item.why_not,
                }
                for item in self.kpis
            ]
        }


def _not_kept(now: int, n: int) -> str:
    """The line saying how many points are judged against a prediction made now."""
    if n == 1:
        return NOT_KEPT
    return (
        f"{now} of the {n} predictions against the current baseline: their observations "
        "were recorded before predictions were kept with them"
    )


def _coverage_sentence(item: KpiCalibration) -> str:
    cal = item.calibration
    assert cal is not None
    should = units.level_text(cal.range_level)
    if cal.coverage_high < cal.range_level:
        return (
            f"Fewer realised changes fall inside the predicted ranges than the {should} they "
            "claim: the ranges are too narrow or off centre."
        )
    if cal.coverage_low > cal.range_level:
        return f"More than {should} fall inside: the predicted ranges are wider than needed."
    return f"Consistent with {should}: the predicted ranges hold about as often as they claim."


def _haircut_sentence(item: KpiCalibration) -> str:
    cal = item.calibration
    assert cal is not None
    share = units.percent(cal.haircut)
    if cal.haircut_high < 1:
        return (
            f"Launches realised about {share} of what was predicted: predictions of "
            f"{item.kpi.name} are too optimistic; multiply new ones by {cal.haircut:.2f}."
        )
    if cal.haircut_low > 1:
        return (
            f"Launches realised about {share} of what was predicted: predictions of "
            f"{item.kpi.name} are too cautious."
        )
    return (
        f"Launches realised about {share} of what was predicted, but 1 lies inside the "
        "interval: the data do not show the predictions to be off."
    )


def calibration_chart(kpis: tuple[KpiCalibration, ...]) -> bytes | None:
    """Predicted (x) against realised (y) change, one panel per KPI with points, the
    diagonal y = x (a prediction that held) and each predicted range as a bar; PNG."""
    shown = [item for item in kpis if item.points]
    if not shown:
        return None
    from matplotlib.figure import Figure

    from bizml_nb.core.figures import figure_png, literal

    # a Figure of its own, not pyplot's: nothing shows twice in a notebook, nothing to close
    figure = Figure(figsize=(4.5 * len(shown), 4))
    axes = figure.subplots(1, len(shown), squeeze=False)
    for ax, item in zip(axes[0], shown, strict=True):
        scale = 100.0 if item.kpi.unit in units.RATIO_UNITS else 1.0
        unit = "pp" if scale == 100.0 or item.kpi.unit in units.PERCENT_UNITS else item.kpi.unit
        for point in item.points:
            p, obs = point.predicted, point.observation
            ax.errorbar(
                p.mid * scale,
                obs.kpi_delta * scale,
                xerr=[[(p.mid - p.low) * scale], [(p.high - p.mid) * scale]],
                yerr=[
                    [(obs.kpi_delta - obs.low) * scale],
                    [(obs.high - obs.kpi_delta) * scale],
                ],
                fmt="o",
                color="#0969da" if point.inside else "#cf222e",
                ecolor="#8c959f",
                elinewidth=1,
                capsize=2,
            )
        ends = [
            v * scale
            for point in item.points
            for v in (
                point.predicted.low,
                point.predicted.high,
                point.observation.low,
                point.observation.high,
            )
        ]
        low, high = min(0.0, *ends), max(0.0, *ends)
        ax.plot(
            [low, high],
            [low, high],
            color="#57606a",
            linestyle="--",
            linewidth=1,
            label="realised = predicted",
        )
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        ax.axhline(0, color="#d0d7de", linewidth=0.8)
        ax.set_xlabel(literal(f"predicted change of {item.kpi.name} ({unit})"))
        ax.set_ylabel(literal(f"realised change ({unit})"))
        ax.set_title(literal(f"{item.kpi.name}: n = {item.n}"))
    figure.tight_layout()
    return figure_png(figure)


def calibration_card(
    project: Project, target: str | None = None, *, chart: bool = True
) -> CalibrationCard:
    """The calibration card of the project's observed runs (of KPI ``target`` if given)."""
    kpis = tuple(calibration_of(project, target))
    return CalibrationCard(kpis, calibration_chart(kpis) if chart else None)


__all__ = ["CALIBRATION_MIME", "CalibrationCard", "calibration_card", "calibration_chart"]
