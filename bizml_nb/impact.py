"""From ML metric changes to business changes: a pure function of registry, run and baseline.

For a ``linear`` link with elasticity e and interval [e_low, e_high], an ML
delta d (the run's value minus the reference value) moves the KPI by e * d,
with the range [e_low * d, e_high * d] (sorted, since d may be negative). The
reference is the ML metric of the KPI's baseline run, else the link's
``ml_baseline``. Several links to one KPI add; their ranges are added end to
end, which is conservative (it assumes the errors of the links move together).
The KPI change times the KPI's ``value_per_unit`` is its value per year.

>>> from bizml_nb.registry import BusinessMetric, Link, Registry
>>> kpi = BusinessMetric("take_rate", unit="ratio", direction="higher", value_per_unit=2.5e9)
>>> link = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.2, 0.5)})
>>> reg = Registry(metrics={"take_rate": kpi}, links=(link,))
>>> impact = estimate(reg, {"ndcg@10": 0.41}, {"ndcg@10": 0.40}, target="take_rate")
>>> round(impact.value_per_year.mid)
8750000
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bizml_nb.registry import BusinessMetric, Link, Registry


@dataclass(frozen=True)
class Range:
    """A central estimate with a low and a high end (low <= mid <= high)."""

    low: float
    mid: float
    high: float

    def __add__(self, other: Range) -> Range:
        return Range(self.low + other.low, self.mid + other.mid, self.high + other.high)

    def scaled(self, factor: float) -> Range:
        """Every end times ``factor``; the ends swap when ``factor`` is negative."""
        low, high = sorted((self.low * factor, self.high * factor))
        return Range(low, self.mid * factor, high)

    def to_list(self) -> list[float]:
        return [self.low, self.mid, self.high]


@dataclass(frozen=True)
class Contribution:
    """What one link says about a run: the ML change and the business change it implies."""

    link: Link
    ml_value: float
    reference: float
    reference_from: str  # "baseline run" or "ml_baseline"
    business_delta: Range

    @property
    def ml_delta(self) -> float:
        return self.ml_value - self.reference

    def to_record(self) -> dict[str, Any]:
        return {
            "ml_metric": self.link.ml_metric,
            "kind": self.link.kind,
            "ml_value": self.ml_value,
            "reference": self.reference,
            "reference_from": self.reference_from,
            "ml_delta": self.ml_delta,
            "business_delta": self.business_delta.to_list(),
            "source": self.link.source,
        }


@dataclass(frozen=True)
class Impact:
    """The predicted business effect of one run on its target KPI."""

    kpi: BusinessMetric
    currency: str
    contributions: tuple[Contribution, ...] = ()
    notes: tuple[str, ...] = ()
    is_baseline: bool = False

    @property
    def business_delta(self) -> Range | None:
        """The total change of the KPI in its own units, or None when no link applied."""
        if not self.contributions:
            return None
        total = self.contributions[0].business_delta
        for contribution in self.contributions[1:]:
            total = total + contribution.business_delta
        return total

    @property
    def relative_delta(self) -> Range | None:
        """The change relative to the KPI's declared baseline (0.05 = 5 %)."""
        delta = self.business_delta
        if delta is None or not self.kpi.baseline:
            return None
        return delta.scaled(1 / abs(self.kpi.baseline))

    @property
    def value_per_year(self) -> Range | None:
        """The change in money per year, or None without a link or a value_per_unit."""
        delta = self.business_delta
        if delta is None or self.kpi.value_per_unit is None:
            return None
        return delta.scaled(self.kpi.value_per_unit)

    @property
    def progress(self) -> float | None:
        """The share of the baseline-to-target gap the mid estimate closes (1.0 = reached)."""
        delta = self.business_delta
        kpi = self.kpi
        if delta is None or kpi.baseline is None or kpi.target is None:
            return None
        gap = kpi.target - kpi.baseline
        return None if gap == 0 else delta.mid / gap

    def to_record(self) -> dict[str, Any]:
        """The JSON-able summary stored beside the run in notebook outputs."""
        delta, value, relative = self.business_delta, self.value_per_year, self.relative_delta
        return {
            "kpi": self.kpi.name,
            "unit": self.kpi.unit,
            "currency": self.currency,
            "is_baseline": self.is_baseline,
            "contributions": [c.to_record() for c in self.contributions],
            "business_delta": delta.to_list() if delta else None,
            "relative_delta": relative.to_list() if relative else None,
            "value_per_year": value.to_list() if value else None,
            "progress": self.progress,
            "notes": list(self.notes),
        }


def estimate(
    registry: Registry,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    *,
    target: str,
    is_baseline: bool = False,
) -> Impact:
    """The impact of a run with ``metrics`` on KPI ``target``, against ``baseline`` metrics.

    ``baseline`` holds the ML metrics of the KPI's baseline run (None when it
    has none). A link whose ML metric was not logged, or that has no reference
    value, contributes nothing and leaves a note saying why.
    """
    kpi = registry.metric(target)
    if is_baseline:
        return Impact(kpi, registry.currency, is_baseline=True)
    contributions: list[Contribution] = []
    notes: list[str] = []
    for link in registry.links_to(target):
        if link.kind != "linear":
            notes.append(f"{link.label}: {link.kind} links are not estimated yet")
            continue
        if link.ml_metric not in metrics:
            notes.append(f"{link.label}: {link.ml_metric} was not logged")
            continue
        if baseline is not None and link.ml_metric in baseline:
            reference, reference_from = baseline[link.ml_metric], "baseline run"
        elif "ml_baseline" in link.params:
            reference, reference_from = float(link.params["ml_baseline"]), "ml_baseline"
        else:
            why = (
                f"the baseline run did not log {link.ml_metric}"
                if baseline is not None
                else f"{target} has no baseline run"
            )
            notes.append(
                f"{link.label}: no reference value ({why}); mark a run with --baseline or "
                f"declare the link's --ml-baseline"
            )
            continue
        delta = metrics[link.ml_metric] - reference
        low, high = link.interval
        business = Range(low, link.elasticity, high).scaled(delta)
        contributions.append(
            Contribution(link, metrics[link.ml_metric], reference, reference_from, business)
        )
    if not registry.links_to(target):
        notes.append(
            f"no link points at {target}; declare one with "
            f"`%bizml link ML_METRIC {target} --elasticity E --interval LOW HIGH`"
        )
    return Impact(kpi, registry.currency, tuple(contributions), tuple(notes))
