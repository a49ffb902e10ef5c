"""From ML metric changes to business value: a pure function of registry, run and baseline.

:func:`estimate` combines what each link says about a run (its *contribution* to the
target KPI, in KPI units: :mod:`bizml_nb.impact.links`), carries the change down the
metric tree, prices it where ``value_per_unit`` is declared and gives the verdict
(:mod:`bizml_nb.impact.verdict`). :func:`for_run` is the one way from a ledger run to
its :class:`~bizml_nb.impact.model.Impact`: every card, table, chart, report and ROI
benefit starts from it.

The reference is the KPI's baseline run; without one, the link's ``ml_baseline``
(linear, fitted) or the KPI's declared ``baseline`` (confusion, formula).

Several links to one KPI add. A change of the target flows on through links whose
source is a KPI (a metric tree), and money is counted where ``value_per_unit`` is
declared. Whenever more than one uncertain quantity is involved, the ranges come
from a seeded Monte Carlo (``DRAWS`` draws, links independent); the mid values are
the exact point estimates. With a single link and no chain the range is exact.

>>> from bizml_nb.core.registry import BusinessMetric, Link, Registry
>>> kpi = BusinessMetric("take_rate", unit="ratio", direction="higher", value_per_unit=2.5e9)
>>> link = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.2, 0.5)})
>>> reg = Registry(metrics={"take_rate": kpi}, links=(link,))
>>> impact = estimate(reg, {"ndcg@10": 0.41}, {"ndcg@10": 0.40}, target="take_rate")
>>> round(impact.value_per_year.mid)
8750000
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from bizml_nb.impact.links import (
    LazyRng,
    Skip,
    interval_unknown,
    propagate,
    sampled_range,
)
from bizml_nb.impact.model import ChainStep, Contribution, Cost, Impact, Range, all_finite
from bizml_nb.impact.paired import examples_for, link_contribution
from bizml_nb.impact.verdict import with_verdict

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from bizml_nb.core.ledger import Run
    from bizml_nb.core.predictions import Predictions
    from bizml_nb.core.registry import BusinessMetric, Link, Registry
    from bizml_nb.impact.links import Samples


def for_run(run: Run, registry: Registry, baseline: Run | None) -> Impact | None:
    """The impact of a recorded ``run`` against its KPI's ``baseline`` run (None: none yet).

    This is the one place that decides how a ledger run is estimated: only a run
    with status ``ok`` whose KPI is still declared has an impact (None otherwise: a
    failed run, or a KPI removed from bizml.toml). The run is the baseline when it
    is ``baseline`` itself, or when it was recorded as a baseline and its KPI has
    no baseline run. Its cost comes from its measured duration and its
    ``eng_hours``. A pure function of its inputs.
    """
    if run.status != "ok" or run.target not in registry.metrics:
        return None
    is_baseline = baseline is not None and baseline.id == run.id
    return estimate(
        registry,
        run.metrics,
        baseline.metrics if baseline is not None else None,
        target=run.target,
        is_baseline=is_baseline or (run.is_baseline and baseline is None),
        duration_s=run.duration_s,
        eng_hours=run.eng_hours,
        examples=examples_for(run, registry, baseline),
    )


def estimate(
    registry: Registry,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    *,
    target: str,
    is_baseline: bool = False,
    duration_s: float | None = None,
    eng_hours: float | None = None,
    examples: tuple[Predictions | None, Predictions | None] | None = None,
) -> Impact:
    """The impact of a run with ``metrics`` on KPI ``target``, against ``baseline`` metrics.

    ``baseline`` holds the ML metrics of the KPI's baseline run (None when it
    has none). A link that cannot be applied (its ML metric was not logged, or
    there is no reference value) contributes nothing and leaves a note saying why.
    ``examples`` holds the per-example predictions of the run and of its baseline run
    (:func:`bizml_nb.impact.paired.examples_for`): a confusion link then prices each
    example, paired with the baseline's on the same ids.
    """
    kpi = registry.metric(target)
    cost = _cost(registry, duration_s, eng_hours)
    if is_baseline:
        return Impact(
            kpi,
            registry.currency,
            is_baseline=True,
            cost=cost,
            min_annual_value=registry.min_annual_value,
        )
    rng = LazyRng()
    contributions: list[Contribution] = []
    samplers: list[Callable[[], Samples]] = []
    notes: list[str] = []
    ml_links = registry.ml_links_to(target)
    for link in ml_links:
        try:
            result = link_contribution(link, kpi, metrics, baseline, rng, examples=examples)
        except Skip as skip:
            notes.append(f"{link.label}: {skip}")
            continue
        contributions.append(result[0])
        samplers.append(result[1])
    if not ml_links:
        notes.append(
            f"no link points at {target}; declare one with "
            f"`%bizml link ML_METRIC {target} --elasticity E --interval LOW HIGH`"
        )
    if not contributions:
        return Impact(
            kpi,
            registry.currency,
            notes=tuple(notes),
            cost=cost,
            min_annual_value=registry.min_annual_value,
        )
    if len(contributions) == 1 and not registry.downstream(target):
        # one link, no chain: the range is exact and no sampling is needed
        delta = contributions[0].business_delta
        price = kpi.value_per_unit
        value = delta.scaled(price) if price is not None else None
        chain: list[ChainStep] = []
    else:
        import numpy as np

        # An overflow makes an inf or a nan, which the guard below turns into a note.
        with np.errstate(over="ignore", invalid="ignore"):
            mids = {target: sum(c.business_delta.mid for c in contributions)}
            draws = {target: sum((sample() for sample in samplers[1:]), samplers[0]())}
            chain = propagate(registry, target, mids, draws, rng.get())
            delta = sampled_range(mids[target], draws[target])
            value = _value(registry, kpi, mids, draws, exact=False, delta=delta)
    impact = Impact(
        kpi,
        registry.currency,
        tuple(contributions),
        tuple(notes),
        business_delta=delta,
        chain=tuple(chain),
        value_per_year=value,
        cost=cost,
        min_annual_value=registry.min_annual_value,
    )
    if not all_finite(_figures(impact)):
        # A last guard: no infinity or NaN reaches a card, a table, a ranking or a verdict.
        return Impact(
            kpi,
            registry.currency,
            notes=(*notes, OVERFLOW_NOTE),
            cost=cost,
            min_annual_value=registry.min_annual_value,
        )
    unknown = tuple(link.label for link in links_with_unknown_interval(registry, impact))
    return with_verdict(impact, unknown)


def links_with_unknown_interval(registry: Registry, impact: Impact) -> tuple[Link, ...]:
    """The links with an unknown 90% interval that ``impact``'s verdict rests on.

    A link to the target that moved (its ML change is not zero) always counts; with a
    yearly value, so does a link further down the tree when money is counted at its KPI
    or below it. Such a run's verdict is ``uncertain`` (``VerdictReason.INTERVAL_UNKNOWN``)
    and its value is no ROI benefit: its range is a stand-in
    (:func:`~bizml_nb.impact.links.elasticity_interval`), not a measurement.
    """
    found = [c.link for c in impact.contributions if c.ml_delta != 0 and interval_unknown(c.link)]
    if impact.value_per_year is not None:
        reached = {impact.kpi.name} | {step.kpi.name for step in impact.chain}
        for step in impact.chain:
            for link in registry.links_to(step.kpi.name):
                below = [step.kpi.name, *registry.downstream(step.kpi.name)]
                priced = any(
                    registry.metrics[name].value_per_unit is not None
                    for name in below
                    if name in reached
                )
                if (
                    link.ml_metric in reached
                    and priced
                    and interval_unknown(link)
                    and link not in found
                ):
                    found.append(link)
    return tuple(found)


OVERFLOW_NOTE = (
    "no estimate: the arithmetic overflowed (a number beyond 1.8e308); check this run's "
    "metrics, its baseline run's and the links and values in bizml.toml"
)


def _figures(impact: Impact) -> list[float]:
    """Every number of an impact that a card, table or verdict shows."""
    figures: list[float] = []
    for part in impact.contributions:
        figures += [part.ml_value, part.reference, part.ml_delta]
        figures += part.business_delta.to_list()
    for step in impact.chain:
        figures += step.delta.to_list()
    for extent in (impact.business_delta, impact.value_per_year):
        figures += extent.to_list() if extent is not None else []
    return figures


def _value(
    registry: Registry,
    kpi: BusinessMetric,
    mids: dict[str, float],
    draws: dict[str, Samples],
    *,
    exact: bool,
    delta: Range,
) -> Range | None:
    priced = [name for name in mids if registry.metrics[name].value_per_unit is not None]
    if not priced:
        return None
    if exact and kpi.value_per_unit is not None:
        return delta.scaled(kpi.value_per_unit)
    mid = 0.0
    total = draws[priced[0]] * 0.0
    for name in priced:
        price = float(registry.metrics[name].value_per_unit or 0)
        mid += mids[name] * price
        total = total + draws[name] * price
    return sampled_range(mid, total)


def _cost(registry: Registry, duration_s: float | None, eng_hours: float | None) -> Cost | None:
    compute = None
    if duration_s is not None and registry.compute_cost_per_hour is not None:
        compute = duration_s / 3600 * registry.compute_cost_per_hour
    engineering = None
    if eng_hours is not None and registry.eng_cost_per_hour is not None:
        engineering = eng_hours * registry.eng_cost_per_hour
    compute = compute if compute is None or math.isfinite(compute) else None
    engineering = engineering if engineering is None or math.isfinite(engineering) else None
    if compute is None and engineering is None:
        return None
    return Cost(compute, engineering)


__all__ = ["OVERFLOW_NOTE", "estimate", "for_run", "links_with_unknown_interval"]
