"""Do the 90% ranges cover the truth 85-95% of the time? Measured by seeded simulation.

Two kinds of range, two definitions of the truth:

- A **fitted link**: the truth is a fixed slope b. Past A/B histories are simulated from
  ``business_delta = a + b * ml_delta + noise`` (normal noise; with weights, noise
  variance proportional to 1 / weight, the case weighted least squares is right for);
  each is fitted, and the link's stored 90% interval must contain b in 85-95% of the
  histories. The run's range through that link (exact for one link) must contain the true
  change b * d just as often. Over 1,000 histories a correct 90% interval gives a count
  ~ Binomial(1000, 0.9): mean 900, sd 9.5, so 850..950 is more than 5 sd either side.
- A **KPI chain** (links in series, sampled by Monte Carlo): the truth is not fixed but
  uncertain as declared. Each declared elasticity interval is a 90% interval, i.e. the
  elasticity is a two-piece normal with mode at the declared elasticity and its 5th and
  95th percentiles at the interval's ends (the engine's documented reading). The true
  change of a KPI down the chain is the product of elasticities drawn independently
  from those distributions, times the ML change; its true yearly value is that times the
  KPI's value per unit. The run's one 90% range must contain 85-95% of 20,000 such
  truths (drawn here with scipy's normal quantile from a generator of the test's own,
  not with the engine's sampler).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bizml_nb.core.registry import BusinessMetric, Link, Registry
from bizml_nb.impact.engine import estimate
from bizml_nb.impact.evidence import fit_params, fit_points

HISTORIES = 1000
TRUE_SLOPE = 0.3


def simulated_history(
    rng: np.random.Generator, n: int, *, weighted: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """ML deltas ~ N(0, 0.01); business = 0.001 + 0.3 x + N(0, 0.003 / sqrt(w))."""
    x = rng.normal(0.0, 0.01, n)
    w = rng.uniform(0.25, 4.0, n) if weighted else None
    sd = 0.003 / np.sqrt(w) if w is not None else 0.003
    y = 0.001 + TRUE_SLOPE * x + rng.normal(0.0, 1.0, n) * sd
    return x, y, w


@pytest.mark.parametrize(
    ("n", "weighted"), [(5, False), (12, False), (40, False), (12, True)], ids=str
)
def test_a_fitted_links_interval_covers_the_true_slope_85_to_95_percent(
    n: int, weighted: bool
) -> None:
    rng = np.random.default_rng(4200 + n + 1000 * weighted)
    covered = 0
    for _ in range(HISTORIES):
        x, y, w = simulated_history(rng, n, weighted=weighted)
        link = Link(
            "ndcg@10", "take_rate", kind="fitted", params=fit_params(fit_points(x, y, w), None)
        )
        low, high = link.interval
        covered += low <= TRUE_SLOPE <= high
    assert 0.85 <= covered / HISTORIES <= 0.95, covered


def test_a_runs_range_through_a_fitted_link_covers_the_true_change() -> None:
    """200 histories (n = 10), each a fitted link; a run with NDCG +0.02 over its baseline
    has the true take-rate change 0.3 x 0.02 = 0.006. Binomial(200, 0.9): mean 180, sd 4.2;
    170..190 (85%-95%) is 2.4 sd either side."""
    rng = np.random.default_rng(77)
    kpi = BusinessMetric("take_rate", "ratio", "higher", value_per_unit=1e9)
    covered = valued = 0
    for _ in range(200):
        x, y, _w = simulated_history(rng, 10, weighted=False)
        link = Link(
            "ndcg@10", "take_rate", kind="fitted", params=fit_params(fit_points(x, y), None)
        )
        registry = Registry(metrics={"take_rate": kpi}, links=(link,))
        impact = estimate(registry, {"ndcg@10": 0.42}, {"ndcg@10": 0.40}, target="take_rate")
        assert impact.business_delta is not None
        assert impact.value_per_year is not None
        change = impact.business_delta
        covered += change.low <= TRUE_SLOPE * 0.02 <= change.high
        value = impact.value_per_year
        valued += value.low <= 1e9 * TRUE_SLOPE * 0.02 <= value.high
    assert 170 <= covered <= 190, covered
    assert valued == covered  # the value is the change times $1e9: the same ranges


# --------------------------------------------------------------------------- chains

Z95 = stats.norm.ppf(0.95)  # 1.6449: the 95th percentile of the standard normal
TRUTHS = 20_000


def declared_truths(
    rng: np.random.Generator, elasticity: float, low: float, high: float
) -> np.ndarray:
    """Draws of an elasticity as declared: a two-piece normal, mode ``elasticity``, with
    5% below ``low`` and 5% above ``high`` (inverse transform of uniforms)."""
    z = stats.norm.ppf(rng.uniform(size=TRUTHS))
    below, above = (elasticity - low) / Z95, (high - elasticity) / Z95
    return elasticity + np.where(z < 0, z * below, z * above)


CHAINS = {
    # ndcg -> take_rate -> cancellations, as in the recsys example (symmetric intervals)
    "symmetric": ((0.35, 0.20, 0.50), (-0.3, -0.5, -0.1)),
    # skewed intervals: the product is skewed too
    "skewed": ((0.2, 0.1, 0.5), (2.0, 1.5, 4.0)),
    # the first interval straddles zero
    "straddling": ((0.1, -0.1, 0.3), (1.0, 0.8, 1.6)),
}


@pytest.mark.parametrize("case", list(CHAINS))
def test_a_chains_range_covers_85_to_95_percent_of_the_declared_truths(case: str) -> None:
    """x -> A -> B, money at B ($1e6 a unit, higher is better); the run moves x by +0.0125.

    Truths: e1 and e2 drawn independently as declared; A changes by e1 x 0.0125 and B by
    e1 x e2 x 0.0125, worth 1e6 times that. Each of the run's 90% ranges (A's change, B's
    change, the yearly value) must hold 85-95% of them.
    """
    (e1, l1, h1), (e2, l2, h2) = CHAINS[case]
    metrics = {
        "A": BusinessMetric("A", "count", "higher"),
        "B": BusinessMetric("B", "count", "higher", value_per_unit=1e6),
    }
    links = (
        Link("x", "A", params={"elasticity": e1, "interval": (l1, h1)}),
        Link("A", "B", params={"elasticity": e2, "interval": (l2, h2)}),
    )
    d = 0.0125
    impact = estimate(Registry(metrics=metrics, links=links), {"x": d}, {"x": 0.0}, target="A")
    rng = np.random.default_rng(31 + list(CHAINS).index(case))
    true_e1 = declared_truths(rng, e1, l1, h1)
    true_e2 = declared_truths(rng, e2, l2, h2)
    true_a = true_e1 * d
    true_b = true_e1 * true_e2 * d
    (step,) = impact.chain
    assert impact.business_delta is not None
    assert impact.value_per_year is not None
    for rng_range, truth in (
        (impact.business_delta, true_a),
        (step.delta, true_b),
        (impact.value_per_year, 1e6 * true_b),
    ):
        share = float(np.mean((rng_range.low <= truth) & (truth <= rng_range.high)))
        assert 0.85 <= share <= 0.95, (case, share, rng_range)
    # and the mids are the exact point estimates
    assert step.delta.mid == pytest.approx(e1 * e2 * d)


def test_two_links_into_a_kpi_then_a_chain_cover_the_declared_truths() -> None:
    """ndcg -> A 0.35 [0.2, 0.5] (+0.01) and latency -> A -5e-5 [-9e-5, -1e-5] (-20 ms),
    then A -> B -0.3 [-0.5, -0.1]. Truth for B: (e_ndcg x 0.01 + e_lat x -20) x e_AB."""
    metrics = {
        "A": BusinessMetric("A", "ratio", "higher"),
        "B": BusinessMetric("B", "ratio", "lower", value_per_unit=-1e8),
    }
    links = (
        Link("ndcg", "A", params={"elasticity": 0.35, "interval": (0.2, 0.5)}),
        Link("latency", "A", params={"elasticity": -5e-5, "interval": (-9e-5, -1e-5)}),
        Link("A", "B", params={"elasticity": -0.3, "interval": (-0.5, -0.1)}),
    )
    impact = estimate(
        Registry(metrics=metrics, links=links),
        {"ndcg": 0.41, "latency": 80.0},
        {"ndcg": 0.40, "latency": 100.0},
        target="A",
    )
    rng = np.random.default_rng(2026)
    true_a = declared_truths(rng, 0.35, 0.2, 0.5) * 0.01 + declared_truths(
        rng, -5e-5, -9e-5, -1e-5
    ) * (-20.0)
    true_b = true_a * declared_truths(rng, -0.3, -0.5, -0.1)
    (step,) = impact.chain
    assert impact.business_delta is not None
    assert impact.value_per_year is not None
    for got, truth in (
        (impact.business_delta, true_a),
        (step.delta, true_b),
        (impact.value_per_year, -1e8 * true_b),
    ):
        share = float(np.mean((got.low <= truth) & (truth <= got.high)))
        assert 0.85 <= share <= 0.95, (share, got)
