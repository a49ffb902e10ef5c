"""The paired value of two runs scored on the same examples: a hand-worked case, the
exact bootstrap distribution it should match, and the coverage of its 90% ranges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bizml_nb.core.predictions import build
from bizml_nb.core.registry import BusinessMetric, Link
from bizml_nb.impact import paired
from bizml_nb.impact.links import Skip

KPI = BusinessMetric("fraud_value", "USD", "higher", value_per_unit=1.0)
FLAT = Link(
    "confusion",
    "fraud_value",
    "confusion",
    {"value_matrix": ((0.0, -20.0), (-100.0, 0.0)), "cases_per_year": 1000.0},
)
BY_AMOUNT = Link(
    "confusion",
    "fraud_value",
    "confusion",
    {"value_matrix": ((0.0, -5.0), ("-amount", 0.0)), "cases_per_year": 1.0},
)

# 30 transactions, 5 of them fraud (ids 100..129). The baseline flags nothing; the new
# model catches frauds 100-103, misses 104 and raises 3 false alarms (105-107).
Y = np.array([1] * 5 + [0] * 25)
BASE = np.zeros(30, dtype=int)
NEW = np.array([1, 1, 1, 1, 0] + [1, 1, 1] + [0] * 22)
IDS = np.arange(100, 130)


def test_the_hand_worked_paired_value() -> None:
    # Per example, new minus baseline: 4 caught frauds +100 each, 3 false alarms -20
    # each, 23 unchanged: mean 340 / 30 per case, times 1,000 cases a year.
    run = build(Y, NEW, ids=IDS)
    base = build(Y[::-1], BASE[::-1], ids=IDS[::-1])  # the same ids in another order
    part, sample = paired.contribution(FLAT, KPI, run, base, None)
    assert part.business_delta.mid == pytest.approx(340 / 30 * 1000, abs=1e-9)
    assert part.ml_value == pytest.approx((4 * 0 - 100 - 3 * 20) / 30)  # -160/30 per case
    assert part.reference == pytest.approx(-500 / 30)
    assert part.evidence == "paired over 30 examples"
    # The exact bootstrap distribution of the mean difference: (a, b) counts of +100 and
    # -20 among 30 draws, multinomial with probabilities 4/30 and 3/30.
    atoms, probs = _exact_bootstrap({100.0: 4 / 30, -20.0: 3 / 30, 0.0: 23 / 30}, 30)
    cdf = np.cumsum(probs)
    low, high = part.business_delta.low / 1000, part.business_delta.high / 1000
    # 2,000 resamples put each end between the exact 4th and 6th (94th, 96th) percentiles
    assert _quantile(atoms, cdf, 0.04) <= low <= _quantile(atoms, cdf, 0.06)
    assert _quantile(atoms, cdf, 0.94) <= high <= _quantile(atoms, cdf, 0.96)
    assert len(sample()) == 20_000


def test_paired_is_narrower_than_independent_on_the_same_rows() -> None:
    run = build(Y, NEW, ids=IDS)
    same = paired.contribution(FLAT, KPI, run, build(Y, BASE, ids=IDS), None)[0]
    other = paired.contribution(FLAT, KPI, run, build(Y, BASE, ids=IDS + 1000), None)[0]
    assert other.evidence == "independent samples"
    assert other.business_delta.mid == pytest.approx(same.business_delta.mid)
    width = same.business_delta.high - same.business_delta.low
    assert width < other.business_delta.high - other.business_delta.low


def test_an_amount_prices_each_missed_fraud() -> None:
    amount = np.where(Y == 1, [250.0, 40.0, 10.0, 1000.0, 75.0] + [0.0] * 25, 0.0)
    amount[5:] = 12.5  # legit amounts: a false alarm costs 5 whatever the amount
    run = build(Y, NEW, amount=amount, ids=IDS)
    base = build(Y, BASE, amount=amount, ids=IDS)
    values = paired.example_values(BY_AMOUNT, run)
    assert values[:5].tolist() == [0.0, 0.0, 0.0, 0.0, -75.0]
    assert values[5:8].tolist() == [-5.0, -5.0, -5.0]
    part = paired.contribution(BY_AMOUNT, KPI, run, base, None)[0]
    # caught 250 + 40 + 10 + 1000 = 1300, minus 3 alarms at 5: 1285 over 30 examples
    assert part.business_delta.mid == pytest.approx(1285 / 30)


def test_an_amount_link_without_the_column_is_one_message() -> None:
    run = build(Y, NEW, ids=IDS)
    with pytest.raises(ValueError, match="no amount column 'amount'"):
        paired.contribution(BY_AMOUNT, KPI, run, None, None)


def test_without_a_baseline_the_kpi_baseline_is_the_reference() -> None:
    kpi = BusinessMetric("fraud_value", "USD", "higher", baseline=-10_000.0, value_per_unit=1.0)
    part = paired.contribution(FLAT, kpi, build(Y, NEW, ids=IDS), None, None)[0]
    assert part.business_delta.mid == pytest.approx(-160 / 30 * 1000 + 10_000)
    assert part.reference_from == "KPI baseline"
    with pytest.raises(Skip, match="no reference"):
        paired.contribution(FLAT, KPI, build(Y, NEW, ids=IDS), None, None)


def test_a_baseline_with_counts_only_uses_the_counts_model() -> None:
    counts = {"tn": 25.0, "fp": 0.0, "fn": 5.0, "tp": 0.0}
    with pytest.raises(paired.UseCounts):
        paired.contribution(FLAT, KPI, build(Y, NEW, ids=IDS), None, counts)


def test_the_90_percent_ranges_cover_the_true_value_85_to_95_percent_of_the_time() -> None:
    # 10% fraud with lognormal(4, 0.5) amounts (mean e^4.125); the baseline flags half
    # the frauds and 2% of the rest, the new model everything it flags plus 60% of the
    # frauds and 3/98 of the legit ones it does not. A false alarm costs 5, a missed
    # fraud its amount. True value per case of new minus baseline:
    # 0.1 * (0.8 - 0.5) * e^4.125 - 0.9 * (0.05 - 0.02) * 5.
    # (With heavier tails, lognormal(4, 1), and 400 examples the percentile bootstrap
    # covers about 82%: a few large amounts decide the sum.)
    truth = 0.1 * 0.3 * math.exp(4.125) - 0.9 * 0.03 * 5
    rng = np.random.default_rng(2026)
    n, trials, covered = 1000, 300, 0
    for _ in range(trials):
        y = rng.random(n) < 0.1
        amount = rng.lognormal(4.0, 0.5, n)
        u, v = rng.random(n), rng.random(n)
        base = np.where(y, u < 0.5, u < 0.02)
        new = base | np.where(y, v < 0.6, v < 0.03 / 0.98)
        run = build(y.astype(int), new.astype(int), amount=amount)
        ref = build(y.astype(int), base.astype(int), amount=amount)
        delta = paired.contribution(BY_AMOUNT, KPI, run, ref, None)[0].business_delta
        covered += delta.low <= truth <= delta.high
    assert 0.85 <= covered / trials <= 0.95


def _exact_bootstrap(levels: dict[float, float], n: int) -> tuple[np.ndarray, np.ndarray]:
    """The exact distribution of the mean of n draws from a discrete distribution."""
    (x1, p1), (x2, p2), (x3, p3) = levels.items()
    atoms, probs = [], []
    for a in range(n + 1):
        for b in range(n + 1 - a):
            c = n - a - b
            ways = math.factorial(n) // (math.factorial(a) * math.factorial(b) * math.factorial(c))
            probs.append(ways * p1**a * p2**b * p3**c)
            atoms.append((a * x1 + b * x2 + c * x3) / n)
    order = np.argsort(atoms)
    return np.array(atoms)[order], np.array(probs)[order]


def _quantile(atoms: np.ndarray, cdf: np.ndarray, q: float) -> float:
    return float(atoms[np.searchsorted(cdf, q)])
