"""What each link says about a run, and how a change flows down the metric tree.

- ``linear`` and ``fitted``: the ML delta d (run value minus reference) times the
  elasticity e, with the range [e_low * d, e_high * d]. Declared intervals are read
  as 90% intervals: for sampling, the elasticity is a two-piece normal with its
  5th and 95th percentiles at the interval's ends. A link with no interval (none
  declared, or a fit from too few points) has an *unknown* one: its ranges use a
  stand-in from no effect to twice the estimate (:func:`elasticity_interval`), never a
  zero-width range, and the verdict on a run that rests on it is ``uncertain``.
- ``confusion``: value per case = sum(value_matrix * confusion matrix / n), rows =
  true class ([[TN, FP], [FN, TP]]); the KPI change is (value per case of the run
  minus that of the reference) times cases per year. Its 90% range comes from the
  sampling uncertainty of the counts: Dirichlet(counts + 1) draws of both matrices.
- ``formula``: the formula over the run's logged quantities minus the same over the
  reference (an offline replay; a point estimate).

Each function gives a :class:`~bizml_nb.impact.model.Contribution` (exact mid and
range) and a sampler of its draws, which :func:`propagate` carries down the tree.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from bizml_nb.core.errors import RegistryError
from bizml_nb.impact.model import ChainStep, Contribution, Range

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import numpy as np
    import numpy.typing as npt

    from bizml_nb.core.registry import BusinessMetric, Link, Registry

    Samples = npt.NDArray[np.float64]

DRAWS = 20_000
SEED = 20_261_128
Z90 = 1.6448536269514722  # the 95th percentile of the standard normal: 90% two-sided
CONFUSION_KEYS = ("tn", "fp", "fn", "tp")


class Skip(Exception):
    """A link that cannot be applied to this run; the message says why."""


def contribution(
    link: Link,
    kpi: BusinessMetric,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    rng: LazyRng,
) -> tuple[Contribution, Callable[[], Samples]]:
    """What ``link`` says about a run with ``metrics``, and a sampler of its draws.

    Raises :class:`Skip` (its message says why) when the link cannot be applied.
    """
    if link.kind in ("linear", "fitted"):
        return _elastic(link, metrics, baseline, rng)
    if link.kind == "confusion":
        return _confusion(link, kpi, metrics, baseline, rng)
    if link.kind == "formula":
        return _formula(link, kpi, metrics, baseline)
    raise Skip(f"{link.kind} links are not estimated")


def _elastic(
    link: Link,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    rng: LazyRng,
) -> tuple[Contribution, Callable[[], Samples]]:
    name = link.ml_metric
    if name not in metrics:
        raise Skip(f"{name} was not logged")
    if baseline is not None and name in baseline:
        reference, reference_from = baseline[name], "baseline run"
    elif "ml_baseline" in link.params:
        reference, reference_from = float(link.params["ml_baseline"]), "ml_baseline"
    else:
        why = (
            f"the baseline run did not log {name}"
            if baseline is not None
            else f"{link.business_metric} has no baseline run"
        )
        raise Skip(
            f"no reference value ({why}); mark a run with --baseline or declare the "
            "link's --ml-baseline"
        )
    d = metrics[name] - reference
    low, high = elasticity_interval(link)
    business = Range(low, link.elasticity, high).scaled(d)
    evidence = None
    if link.kind == "fitted":
        evidence = _fitted_sentence(link)
    contribution = Contribution(link, metrics[name], reference, reference_from, business, evidence)
    return contribution, lambda: elasticity_draws(link, rng.get()) * d


def _confusion(
    link: Link,
    kpi: BusinessMetric,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    lazy: LazyRng,
) -> tuple[Contribution, Callable[[], Samples]]:
    import numpy as np

    if any(isinstance(v, str) for row in link.params["value_matrix"] for v in row):
        raise Skip("its value matrix prices by amount: log the run's predictions with an amount")
    rng = lazy.get()
    value = np.array(link.params["value_matrix"], dtype=float).ravel()  # TN FP FN TP
    cases = float(link.params["cases_per_year"])
    counts = _counts(metrics, "the run")
    per_case = float(value @ counts / counts.sum())
    run_draws = rng.dirichlet(counts + 1, size=DRAWS) @ value
    if baseline is not None and all(k in baseline for k in CONFUSION_KEYS):
        base_counts = _counts(baseline, "the baseline run")
        reference = float(value @ base_counts / base_counts.sum())
        base_draws = rng.dirichlet(base_counts + 1, size=DRAWS) @ value
        draws = (run_draws - base_draws) * cases
        mid = (per_case - reference) * cases
        reference_from = "baseline run"
    elif kpi.baseline is not None:
        reference = kpi.baseline / cases
        draws = run_draws * cases - kpi.baseline
        mid = per_case * cases - kpi.baseline
        reference_from = "KPI baseline"
    else:
        raise Skip(
            "no reference (no baseline run with tn, fp, fn, tp and no declared KPI baseline)"
        )
    business = sampled_range(mid, draws)
    how = "independent samples" if reference_from == "baseline run" else None
    contribution = Contribution(link, per_case, reference, reference_from, business, how)
    return contribution, lambda: draws


def _formula(
    link: Link,
    kpi: BusinessMetric,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
) -> tuple[Contribution, Callable[[], Samples]]:
    import numpy as np

    from bizml_nb.core.formula import Formula

    formula = Formula.parse(str(link.params["expr"]))
    missing = [n for n in formula.names if n not in metrics]
    if missing:
        raise Skip(f"the run did not log {', '.join(missing)}")
    try:
        value = formula.evaluate(metrics)
        if baseline is not None and all(n in baseline for n in formula.names):
            reference, reference_from = formula.evaluate(baseline), "baseline run"
        elif kpi.baseline is not None:
            reference, reference_from = kpi.baseline, "KPI baseline"
        else:
            raise Skip("no reference (no baseline run with those quantities, no KPI baseline)")
    except RegistryError as exc:
        raise Skip(str(exc)) from None
    d = value - reference
    contribution = Contribution(link, value, reference, reference_from, Range(d, d, d))
    return contribution, lambda: np.full(DRAWS, d)


def _counts(metrics: Mapping[str, float], whose: str) -> Samples:
    import numpy as np

    missing = [k for k in CONFUSION_KEYS if k not in metrics]
    if missing:
        raise Skip(f"{whose} did not log {', '.join(missing)} (log tn, fp, fn, tp)")
    counts = np.array([metrics[k] for k in CONFUSION_KEYS], dtype=float)
    if (counts < 0).any() or counts.sum() <= 0:
        raise Skip(f"the confusion counts of {whose} must be non-negative and not all zero")
    return counts


def elasticity_draws(link: Link, rng: np.random.Generator, size: int = DRAWS) -> Samples:
    """Draws of a link's elasticity: a two-piece normal with its 90% interval at the ends."""
    z = rng.standard_normal(size)
    e = link.elasticity
    low, high = elasticity_interval(link)
    sd_low, sd_high = (e - low) / Z90, (high - e) / Z90
    return e + z * (z < 0) * sd_low + z * (z >= 0) * sd_high


def interval_unknown(link: Link) -> bool:
    """Whether a linear or fitted link's 90% interval is unknown.

    It is unknown when none is declared (``Link.interval`` then falls back to the point
    elasticity) or when it is not finite (a fit from fewer than 3 points): reading it as
    the point would make the estimate look exact.
    """
    if link.kind not in ("linear", "fitted"):
        return False
    interval = link.params.get("interval")
    return interval is None or not all(math.isfinite(float(v)) for v in interval)


def elasticity_interval(link: Link) -> tuple[float, float]:
    """The 90% interval of a link's elasticity that ranges and draws use.

    The declared interval when it is known; for an unknown one (:func:`interval_unknown`)
    a stand-in from no effect to twice the estimate, [0, 2e] (or [2e, 0]). The stand-in
    is not a measurement: it only keeps the range from looking exact. The verdict on a
    run that rests on such a link is ``uncertain`` whatever the range says, and its value
    is refused as an ROI benefit.
    """
    if not interval_unknown(link):
        return link.interval
    doubled = 2 * link.elasticity
    return (min(0.0, doubled), max(0.0, doubled))


def propagate(
    registry: Registry,
    target: str,
    mids: dict[str, float],
    draws: dict[str, Samples],
    rng: np.random.Generator,
) -> list[ChainStep]:
    """Carry the target's change down the KPI tree, in order; fill ``mids`` and ``draws``."""
    steps: list[ChainStep] = []
    paths: dict[str, tuple[str, ...]] = {target: (target,)}
    for kpi_name in _in_flow_order(registry, target):
        mid, total = 0.0, None
        for link in registry.links_to(kpi_name):
            source = link.ml_metric
            if source not in draws:
                continue
            mid += link.elasticity * mids[source]
            term = elasticity_draws(link, rng) * draws[source]
            total = term if total is None else total + term
            paths.setdefault(kpi_name, (*paths[source], kpi_name))
        if total is None:
            continue
        mids[kpi_name], draws[kpi_name] = mid, total
        steps.append(
            ChainStep(registry.metrics[kpi_name], paths[kpi_name], sampled_range(mid, total))
        )
    return steps


def _in_flow_order(registry: Registry, target: str) -> list[str]:
    """The KPIs downstream of ``target``, each after every KPI that flows into it.

    Nearest first where that allows: a KPI reached both directly and through another
    KPI (a diamond) comes after that other KPI, so both paths are counted.
    """
    pending = registry.downstream(target)
    reached = {target, *pending}
    done, order = {target}, []
    while pending:
        for name in pending:
            sources = {link.ml_metric for link in registry.links_to(name)} & reached
            if sources <= done:
                break
        else:  # a cycle: Registry refuses those, so this is only a safeguard
            name = pending[0]
        pending.remove(name)
        done.add(name)
        order.append(name)
    return order


def value_per_unit(registry: Registry, kpi: str) -> float | None:
    """Money per year for +1 unit of ``kpi``: its own value_per_unit, or what it is worth
    through the KPIs downstream (mid elasticities along each path). None if unpriced."""
    own = registry.metrics[kpi].value_per_unit
    if own is not None:
        return own
    total, priced = 0.0, False
    for link in registry.links_from_kpi(kpi):
        below = value_per_unit(registry, link.business_metric)
        if below is not None:
            total += link.elasticity * below
            priced = True
    return total if priced else None


def sampled_range(mid: float, draws: Samples) -> Range:
    """The exact ``mid`` with the 5th and 95th percentiles of ``draws`` (widened to hold it)."""
    import numpy as np

    low, high = (float(v) for v in np.percentile(draws, [5, 95]))
    return Range(min(low, mid), mid, max(high, mid))


class LazyRng:
    """The seeded generator, created on first use (the exact path never needs it)."""

    def __init__(self) -> None:
        self._rng: np.random.Generator | None = None

    def get(self) -> np.random.Generator:
        if self._rng is None:
            import numpy as np

            self._rng = np.random.default_rng(SEED)
        return self._rng


def _fitted_sentence(link: Link) -> str:
    params = link.params
    grade = params.get("grade", "none")
    stats = f"n={params.get('n', 0)}"
    if "r2" in params:
        stats += f", R^2 {float(params['r2']):.2f}"
    if grade == "none":
        return (
            f"past experiments show no reliable relation between {link.ml_metric} and "
            f"{link.business_metric} ({stats}); the offline gain may not move the business"
        )
    return f"{grade} evidence from past experiments ({stats})"


__all__ = [
    "CONFUSION_KEYS",
    "DRAWS",
    "SEED",
    "Z90",
    "LazyRng",
    "Skip",
    "contribution",
    "elasticity_draws",
    "elasticity_interval",
    "interval_unknown",
    "propagate",
    "sampled_range",
    "value_per_unit",
]
