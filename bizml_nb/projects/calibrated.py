"""A run's impact with the haircut learned from its KPI's observed runs, when the project asks.

With ``calibrate = true`` in bizml.toml's [project] (``%bizml init --calibrate on``),
the experiment card of a run applies its KPI's haircut: the mean ratio realised /
predicted over the KPI's observed runs, the least-squares slope through the origin
of :func:`bizml_nb.projects.realised_value.calibration_of`, with its 90% interval.
It is applied only from :data:`MIN_OBSERVED_RUNS` observed runs with a prediction on;
with fewer, the card says calibration is on and why it is not applied.

Applied, the run's predicted KPI change, its changes further down the metric tree and
its money per year are each multiplied by the haircut (their ranges too: the haircut
corrects the predictions' bias; its own interval is shown beside, not added to the
ranges), and the verdict is computed again on those figures. The links' own rows
(what each link predicts) are left as they are. This module imports both
:mod:`bizml_nb.projects.project` (through the project it is given) and
:mod:`bizml_nb.projects.realised_value`, so that the project itself needs neither.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bizml_nb.core._records import figure
from bizml_nb.core.units import RANGE_LEVEL

if TYPE_CHECKING:
    from bizml_nb.core.run import Run
    from bizml_nb.impact.model import Impact, Range
    from bizml_nb.projects.project import Project

#: Observed runs (with a prediction) a KPI needs before its haircut is applied to cards.
MIN_OBSERVED_RUNS = 5


@dataclass(frozen=True)
class Haircut:
    """What calibration did to one run's impact.

    ``applied`` is False when the KPI has too few observed runs (``n`` of
    ``needed``) or no haircut could be computed (``why_not``); ``uncalibrated`` is the
    impact before the haircut (None when not applied).
    """

    kpi: str
    n: int
    applied: bool
    haircut: float | None = None
    low: float | None = None
    high: float | None = None
    level: float = RANGE_LEVEL
    needed: int = MIN_OBSERVED_RUNS
    why_not: str | None = None
    uncalibrated: Impact | None = None

    def to_record(self) -> dict[str, Any]:
        """The calibration as a run record keeps it (figures to 10 significant digits)."""

        def extent(value: Range | None) -> list[float] | None:
            return None if value is None else [figure(v) for v in value.to_list()]

        before = self.uncalibrated
        return {
            "applied": self.applied,
            "haircut": None if self.haircut is None else figure(self.haircut),
            "interval": (
                None
                if self.low is None or self.high is None
                else [figure(self.low), figure(self.high)]
            ),
            "level": self.level,
            "n": self.n,
            "min_runs": self.needed,
            "kpi": self.kpi,
            "uncalibrated_business_delta": extent(before.business_delta) if before else None,
            "uncalibrated_value_per_year": extent(before.value_per_year) if before else None,
        }


def calibrated(
    project: Project, run: Run, impact: Impact | None
) -> tuple[Impact | None, Haircut | None]:
    """``impact`` (the run's, against its KPI's baseline run) with its KPI's haircut applied.

    ``(impact, None)`` when the project's calibration is off, or the impact has no KPI
    change to calibrate (a baseline run, a failed run, no link applied). Otherwise the
    :class:`Haircut` says what was applied, or why nothing was.
    """
    if not project.registry.calibrate or impact is None or impact.business_delta is None:
        return impact, None
    from bizml_nb.projects.realised_value import calibration_of

    kpi = impact.kpi.name
    found = [c for c in calibration_of(project, kpi) if c.kpi.name == kpi]
    if not found:
        return impact, Haircut(kpi, 0, applied=False)
    of_kpi = found[0]
    if of_kpi.n < MIN_OBSERVED_RUNS:
        return impact, Haircut(kpi, of_kpi.n, applied=False)
    fitted = of_kpi.calibration
    if fitted is None:
        return impact, Haircut(kpi, of_kpi.n, applied=False, why_not=of_kpi.why_not)
    factor = fitted.haircut
    scaled = _scaled(project, impact, factor)
    return scaled, Haircut(
        kpi,
        of_kpi.n,
        applied=True,
        haircut=factor,
        low=fitted.haircut_low,
        high=fitted.haircut_high,
        level=fitted.level,
        uncalibrated=impact,
    )


def _scaled(project: Project, impact: Impact, factor: float) -> Impact:
    """The impact's KPI change, chain and money times ``factor``, with its verdict again."""
    from bizml_nb.impact.engine import links_with_unknown_interval
    from bizml_nb.impact.verdict import with_verdict

    delta = impact.business_delta
    assert delta is not None
    value = impact.value_per_year
    scaled = replace(
        impact,
        business_delta=delta.scaled(factor),
        chain=tuple(replace(step, delta=step.delta.scaled(factor)) for step in impact.chain),
        value_per_year=None if value is None else value.scaled(factor),
        verdict=None,
    )
    unknown = tuple(link.label for link in links_with_unknown_interval(project.registry, scaled))
    return with_verdict(scaled, unknown)
