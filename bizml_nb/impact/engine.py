"""From ML metric changes to business value: a pure function of registry, run and baseline.

What each link says about a run (its *contribution* to the target KPI, in KPI units):

- ``linear`` and ``fitted``: the ML delta d (run value minus reference) times the
  elasticity e, with the range [e_low * d, e_high * d]. Declared intervals are read
  as 90% intervals: for sampling, the elasticity is a two-piece normal with its
  5th and 95th percentiles at the interval's ends.
- ``confusion``: value per case = sum(value_matrix * confusion matrix / n), rows =
  true class ([[TN, FP], [FN, TP]]); the KPI change is (value per case of the run
  minus that of the reference) times cases per year. Its 90% range comes from the
  sampling uncertainty of the counts: Dirichlet(counts + 1) draws of both matrices.
- ``formula``: the formula over the run's logged quantities minus the same over the
  reference (an offline replay; a point estimate).

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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from bizml_nb.core import units
from bizml_nb.core.errors import RegistryError

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
Label = Literal["material", "not material", "uncertain", "harmful"]


# --------------------------------------------------------------------------- results


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
    """What one link says about a run: the change it implies for its KPI."""

    link: Link
    ml_value: float
    reference: float
    reference_from: str  # "baseline run", "ml_baseline" or "KPI baseline"
    business_delta: Range
    evidence: str | None = None  # fitted links: the evidence in words

    @property
    def ml_delta(self) -> float:
        return self.ml_value - self.reference

    @property
    def no_evidence(self) -> bool:
        """A fitted link whose history shows no reliable relation."""
        return self.link.params.get("grade") == "none"

    def to_record(self) -> dict[str, Any]:
        return {
            "ml_metric": self.link.ml_metric,
            "kind": self.link.kind,
            "ml_value": self.ml_value,
            "reference": self.reference,
            "reference_from": self.reference_from,
            "ml_delta": self.ml_delta,
            "business_delta": self.business_delta.to_list(),
            "grade": self.link.params.get("grade"),
            "source": self.link.source,
        }


@dataclass(frozen=True)
class ChainStep:
    """A KPI further down the metric tree, and how much the run moves it."""

    kpi: BusinessMetric
    path: tuple[str, ...]  # e.g. ("take_rate", "cancellation_rate")
    delta: Range

    def to_record(self) -> dict[str, Any]:
        return {"kpi": self.kpi.name, "path": list(self.path), "delta": self.delta.to_list()}


@dataclass(frozen=True)
class Cost:
    """What a run cost: compute time and engineering time, in the project currency."""

    compute: float | None
    engineering: float | None

    @property
    def total(self) -> float:
        return (self.compute or 0.0) + (self.engineering or 0.0)


@dataclass(frozen=True)
class Verdict:
    """A plain verdict on a run's value, with whether an A/B test could see it."""

    label: Label
    text: str
    measurable: bool | None = None  # None when the KPI declares no traffic
    mde: float | None = None  # in KPI units

    @property
    def title(self) -> str:
        """``material``, or ``not material, not measurable`` and so on."""
        return self.label + (", not measurable" if self.measurable is False else "")


@dataclass(frozen=True)
class Impact:
    """The predicted business effect of one run: on its KPI, down the tree, in money."""

    kpi: BusinessMetric
    currency: str
    contributions: tuple[Contribution, ...] = ()
    notes: tuple[str, ...] = ()
    is_baseline: bool = False
    business_delta: Range | None = None
    chain: tuple[ChainStep, ...] = ()
    value_per_year: Range | None = None
    cost: Cost | None = None
    verdict: Verdict | None = None
    min_annual_value: float = 0.0

    @property
    def relative_delta(self) -> Range | None:
        """The change relative to the KPI's declared baseline (0.05 = 5 %)."""
        delta = self.business_delta
        if delta is None or not self.kpi.baseline:
            return None
        relative = delta.scaled(1 / abs(self.kpi.baseline))
        return relative if _all_finite(relative.to_list()) else None

    @property
    def progress(self) -> float | None:
        """The share of the baseline-to-target gap the mid estimate closes (1.0 = reached)."""
        delta, kpi = self.business_delta, self.kpi
        if delta is None or kpi.baseline is None or kpi.target is None:
            return None
        gap = kpi.target - kpi.baseline
        if gap == 0:
            return None
        share = delta.mid / gap
        return share if math.isfinite(share) else None

    def to_record(self) -> dict[str, Any]:
        """The JSON-able summary stored beside the run in notebook outputs."""
        delta, value, relative = self.business_delta, self.value_per_year, self.relative_delta
        verdict = self.verdict
        return {
            "kpi": self.kpi.name,
            "unit": self.kpi.unit,
            "currency": self.currency,
            "is_baseline": self.is_baseline,
            "contributions": [c.to_record() for c in self.contributions],
            "business_delta": delta.to_list() if delta else None,
            "relative_delta": relative.to_list() if relative else None,
            "chain": [step.to_record() for step in self.chain],
            "value_per_year": value.to_list() if value else None,
            "progress": self.progress,
            "cost": None
            if self.cost is None
            else {"compute": self.cost.compute, "engineering": self.cost.engineering},
            "verdict": None
            if verdict is None
            else {
                "label": verdict.label,
                "measurable": verdict.measurable,
                "mde": verdict.mde,
                "text": verdict.text,
            },
            "min_annual_value": self.min_annual_value,
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------- estimate


def estimate(
    registry: Registry,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    *,
    target: str,
    is_baseline: bool = False,
    duration_s: float | None = None,
    eng_hours: float | None = None,
) -> Impact:
    """The impact of a run with ``metrics`` on KPI ``target``, against ``baseline`` metrics.

    ``baseline`` holds the ML metrics of the KPI's baseline run (None when it
    has none). A link that cannot be applied (its ML metric was not logged, or
    there is no reference value) contributes nothing and leaves a note saying why.
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
    rng = _LazyRng()
    contributions: list[Contribution] = []
    samplers: list[Callable[[], Samples]] = []
    notes: list[str] = []
    ml_links = registry.ml_links_to(target)
    for link in ml_links:
        try:
            result = _contribution(link, kpi, metrics, baseline, rng)
        except _Skip as skip:
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
            chain = _propagate(registry, target, mids, draws, rng.get())
            delta = _range(mids[target], draws[target])
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
    if not _all_finite(_figures(impact)):
        # A last guard: no infinity or NaN reaches a card, a table, a ranking or a verdict.
        return Impact(
            kpi,
            registry.currency,
            notes=(*notes, OVERFLOW_NOTE),
            cost=cost,
            min_annual_value=registry.min_annual_value,
        )
    return _with_verdict(impact)


OVERFLOW_NOTE = (
    "no estimate: the arithmetic overflowed (a number beyond 1.8e308); check this run's "
    "metrics, its baseline run's and the links and values in bizml.toml"
)


def _figures(impact: Impact) -> list[float]:
    """Every number of an impact that a card, table or verdict shows."""
    figures: list[float] = []
    for contribution in impact.contributions:
        figures += [contribution.ml_value, contribution.reference, contribution.ml_delta]
        figures += contribution.business_delta.to_list()
    for step in impact.chain:
        figures += step.delta.to_list()
    for extent in (impact.business_delta, impact.value_per_year):
        figures += extent.to_list() if extent is not None else []
    return figures


def _all_finite(values: list[float]) -> bool:
    return all(math.isfinite(v) for v in values)


class _Skip(Exception):
    """A link that cannot be applied to this run; the message says why."""


def _contribution(
    link: Link,
    kpi: BusinessMetric,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    rng: _LazyRng,
) -> tuple[Contribution, Callable[[], Samples]]:
    if link.kind in ("linear", "fitted"):
        return _elastic(link, metrics, baseline, rng)
    if link.kind == "confusion":
        return _confusion(link, kpi, metrics, baseline, rng)
    if link.kind == "formula":
        return _formula(link, kpi, metrics, baseline)
    raise _Skip(f"{link.kind} links are not estimated")


def _elastic(
    link: Link,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    rng: _LazyRng,
) -> tuple[Contribution, Callable[[], Samples]]:
    name = link.ml_metric
    if name not in metrics:
        raise _Skip(f"{name} was not logged")
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
        raise _Skip(
            f"no reference value ({why}); mark a run with --baseline or declare the "
            "link's --ml-baseline"
        )
    d = metrics[name] - reference
    low, high = link.interval
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
    lazy: _LazyRng,
) -> tuple[Contribution, Callable[[], Samples]]:
    import numpy as np

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
        raise _Skip(
            "no reference (no baseline run with tn, fp, fn, tp and no declared KPI baseline)"
        )
    business = _range(mid, draws)
    contribution = Contribution(link, per_case, reference, reference_from, business)
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
        raise _Skip(f"the run did not log {', '.join(missing)}")
    try:
        value = formula.evaluate(metrics)
        if baseline is not None and all(n in baseline for n in formula.names):
            reference, reference_from = formula.evaluate(baseline), "baseline run"
        elif kpi.baseline is not None:
            reference, reference_from = kpi.baseline, "KPI baseline"
        else:
            raise _Skip("no reference (no baseline run with those quantities, no KPI baseline)")
    except RegistryError as exc:
        raise _Skip(str(exc)) from None
    d = value - reference
    contribution = Contribution(link, value, reference, reference_from, Range(d, d, d))
    return contribution, lambda: np.full(DRAWS, d)


def _counts(metrics: Mapping[str, float], whose: str) -> Samples:
    import numpy as np

    missing = [k for k in CONFUSION_KEYS if k not in metrics]
    if missing:
        raise _Skip(f"{whose} did not log {', '.join(missing)} (log tn, fp, fn, tp)")
    counts = np.array([metrics[k] for k in CONFUSION_KEYS], dtype=float)
    if (counts < 0).any() or counts.sum() <= 0:
        raise _Skip(f"the confusion counts of {whose} must be non-negative and not all zero")
    return counts


def elasticity_draws(link: Link, rng: np.random.Generator, size: int = DRAWS) -> Samples:
    """Draws of a link's elasticity: a two-piece normal with its 90% interval at the ends."""
    z = rng.standard_normal(size)
    e = link.elasticity
    low, high = link.interval
    sd_low, sd_high = (e - low) / Z90, (high - e) / Z90
    return e + z * (z < 0) * sd_low + z * (z >= 0) * sd_high


def _propagate(
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
        steps.append(ChainStep(registry.metrics[kpi_name], paths[kpi_name], _range(mid, total)))
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
    return _range(mid, total)


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


def _range(mid: float, draws: Samples) -> Range:
    import numpy as np

    low, high = (float(v) for v in np.percentile(draws, [5, 95]))
    return Range(min(low, mid), mid, max(high, mid))


class _LazyRng:
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


# --------------------------------------------------------------------------- verdict


def verdict(
    value: Range | None,
    delta: Range,
    kpi: BusinessMetric,
    *,
    currency: str,
    bar: float,
) -> Verdict:
    """The verdict on a run from its yearly value (or, unpriced, its KPI change).

    - ``harmful``: the high end of the value is below zero;
    - ``material``: the low end is above zero and the mid is at least the bar;
    - ``not material``: the high end is below the bar;
    - ``uncertain``: everything else.

    ``not measurable`` is added when the KPI declares ``traffic_per_week`` and the
    mid change is smaller than what a two-arm A/B test over ``test_weeks`` (default
    2) detects at alpha 0.05 and power 0.8.
    """
    change = f"{units.kpi_delta(delta.mid, kpi.unit)} {kpi.name} {units.kpi_interval(delta.low, delta.high, kpi.unit)}"
    mde, weeks = minimum_detectable(kpi)
    measurable = None if mde is None else abs(delta.mid) >= mde
    bar_text = f"the {units.money(bar, currency)}/yr bar"
    label: Label
    if value is None:
        gain = delta.scaled(kpi.better)
        if gain.high < 0:
            label, reason = "harmful", f"even the high end moves {kpi.name} the wrong way"
        else:
            label = "uncertain"
            reason = f"not priced: declare {kpi.name}'s value_per_unit to judge materiality"
        text = f"{label}: {change}; {reason}"
    else:
        money = (
            f"about {units.money(value.mid, currency, signed=True)}/yr "
            f"[{units.money(value.low, currency, signed=True)}, "
            f"{units.money(value.high, currency, signed=True)}]"
        )
        if value.high < 0:
            label, reason = "harmful", "even the high end loses money"
        elif value.low > 0 and value.mid >= bar:
            label = "material"
            reason = "the whole range is a gain" + (
                f" and the mid clears {bar_text}"
                if bar > 0
                else " (no materiality bar set: `%bizml init --min-annual-value X`)"
            )
        elif value.high < bar:
            label, reason = "not material", f"below {bar_text}"
        else:
            label = "uncertain"
            reason = "the range spans zero" if value.low <= 0 else f"the range spans {bar_text}"
        text = f"{label}: {change}, {money}; {reason}"
    if mde is not None:
        seen = f"the {units.kpi_delta(mde, kpi.unit).lstrip('+')} an A/B test over {weeks:g} weeks can detect"
        text += f" and below {seen}" if measurable is False else f"; above {seen}"
    return Verdict(label, text + ".", measurable, mde)


def minimum_detectable(kpi: BusinessMetric) -> tuple[float | None, float]:
    """The MDE of the KPI in its units for a test of ``test_weeks`` (None without traffic)."""
    from bizml_nb.impact.abtest import mde_mean, mde_proportion

    weeks = kpi.test_weeks or 2.0
    if kpi.traffic_per_week is None:
        return None, weeks
    n_per_arm = kpi.traffic_per_week * weeks / 2
    if kpi.std is not None:
        return mde_mean(kpi.std, n_per_arm=n_per_arm), weeks
    if kpi.is_ratio and kpi.baseline is not None and 0 < kpi.baseline < 1:
        return mde_proportion(kpi.baseline, n_per_arm=n_per_arm), weeks
    if kpi.unit in units.PERCENT_UNITS and kpi.baseline is not None and 0 < kpi.baseline < 100:
        # a percent is a proportion times 100: the same test, in percentage points
        return 100 * mde_proportion(kpi.baseline / 100, n_per_arm=n_per_arm), weeks
    return None, weeks


def _with_verdict(impact: Impact) -> Impact:
    delta = impact.business_delta
    if delta is None:
        return impact
    result = verdict(
        impact.value_per_year,
        delta,
        impact.kpi,
        currency=impact.currency,
        bar=impact.min_annual_value,
    )
    return Impact(**{**impact.__dict__, "verdict": result})


__all__ = [
    "ChainStep",
    "Contribution",
    "Cost",
    "Impact",
    "Range",
    "Verdict",
    "elasticity_draws",
    "estimate",
    "minimum_detectable",
    "value_per_unit",
    "verdict",
]
