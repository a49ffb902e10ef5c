"""The impact engine checked against independent numbers.

Every expected value is worked out inside the test: by hand (the arithmetic is in the
docstring), with statsmodels or scipy, or with the test's own seeded NumPy draws. The code
under test never computes its own expected value.

Sections: fitted links (evidence), confusion links, formula links, KPI chains, verdicts,
minimum detectable effects, and a property test that every range is ordered.
"""

from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from bizml_nb.core.errors import ExperimentError, RegistryError
from bizml_nb.core.formula import Formula
from bizml_nb.core.ledger import Run
from bizml_nb.core.registry import BusinessMetric, Link, Registry
from bizml_nb.impact import Range, estimate, verdict
from bizml_nb.impact.abtest import mde_mean, mde_proportion, z_total
from bizml_nb.impact.evidence import fit_history, fit_params
from bizml_nb.present.cards import Card
from bizml_nb.projects.experiments import clean_metrics

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

# The 95th percentile of the standard normal, from scipy (not from bizml_nb.impact.Z90).
Z95 = float(stats.norm.ppf(0.95))

TAKE_RATE = BusinessMetric(
    "take_rate", "ratio", "higher", baseline=0.112, target=0.120, value_per_unit=2.5e9
)
NDCG = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.20, 0.50)})
RUN = {"ndcg@10": 0.4125}
BASE = {"ndcg@10": 0.40}


def registry(
    *links: Link, metrics: tuple[BusinessMetric, ...] = (TAKE_RATE,), **kw: Any
) -> Registry:
    return Registry(metrics={m.name: m for m in metrics}, links=links, **kw)


def ordered(r: Range | None) -> bool:
    return r is not None and r.low <= r.mid <= r.high


# =========================================================================== fitted links


def generated_history(
    seed: int, *, slope: float = 0.3, n: int = 20, noise: float = 0.003
) -> pd.DataFrame:
    """Past experiments: ML deltas ~ N(0, 0.01), business = 0.001 + slope * ml + N(0, noise).

    With slope 0.3 the signal variance (0.3 * 0.01)^2 equals the noise variance 0.003^2,
    so the expected R^2 is about 0.5 and the slope's standard error about 0.07: a real fit.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.01, n)
    y = 0.001 + slope * x + rng.normal(0.0, noise, n)
    return pd.DataFrame({"ml_delta": x, "business_delta": y})


def test_fit_equals_statsmodels_ols_unweighted() -> None:
    """Slope, intercept, R^2 and the 90% interval of the slope are those of statsmodels OLS."""
    frame = generated_history(7)
    x, y = frame["ml_delta"].to_numpy(), frame["business_delta"].to_numpy()
    ref = sm.OLS(y, sm.add_constant(x)).fit()
    low, high = ref.conf_int(alpha=0.10)[1]

    fit = fit_history(frame)

    assert fit.n == 20
    assert fit.slope == pytest.approx(ref.params[1], rel=1e-9)
    assert fit.intercept == pytest.approx(ref.params[0], rel=1e-9)
    assert fit.r2 == pytest.approx(ref.rsquared, rel=1e-9)
    assert fit.interval == pytest.approx((low, high), rel=1e-9)


def test_fit_equals_statsmodels_wls_weighted() -> None:
    """With a weight column the fit is statsmodels WLS (slope, intercept, R^2, 90% interval)."""
    frame = generated_history(11, n=15)
    rng = np.random.default_rng(99)
    frame["weight"] = rng.uniform(0.2, 5.0, len(frame))
    x, y, w = (frame[c].to_numpy() for c in ("ml_delta", "business_delta", "weight"))
    ref = sm.WLS(y, sm.add_constant(x), weights=w).fit()
    low, high = ref.conf_int(alpha=0.10)[1]

    fit = fit_history(frame)

    assert fit.slope == pytest.approx(ref.params[1], rel=1e-9)
    assert fit.intercept == pytest.approx(ref.params[0], rel=1e-9)
    assert fit.r2 == pytest.approx(ref.rsquared, rel=1e-9)
    assert fit.interval == pytest.approx((low, high), rel=1e-9)
    # the weights matter: the unweighted fit of the same points is different
    unweighted = sm.OLS(y, sm.add_constant(x)).fit()
    assert abs(unweighted.params[1] - fit.slope) > 1e-6


def test_fit_small_hand_example() -> None:
    """x = 1, 2, 3, 4; y = 2, 4, 5, 8 (worked by hand).

    xbar 2.5, ybar 4.75, Sxx 5, Sxy = (-1.5)(-2.75) + (-0.5)(-0.75) + (0.5)(0.25) + (1.5)(3.25)
    = 9.5, so slope 1.9 and intercept 4.75 - 1.9 * 2.5 = 0.0. Residuals 0.1, 0.2, -0.7, 0.4:
    SSR 0.7, SST 18.75, R^2 = 1 - 0.7 / 18.75 = 0.962667. se = sqrt(0.35 / 5) = 0.264575;
    t(0.95, 2 dof) = 2.919986, so the interval is 1.9 -+ 0.772555. n = 4 < 8: weak.
    """
    frame = pd.DataFrame({"ml_delta": [1.0, 2, 3, 4], "business_delta": [2.0, 4, 5, 8]})
    fit = fit_history(frame)
    assert fit.slope == pytest.approx(1.9)
    assert fit.intercept == pytest.approx(0.0, abs=1e-12)
    assert fit.r2 == pytest.approx(0.962667, abs=1e-6)
    assert fit.interval == pytest.approx((1.9 - 0.772555, 1.9 + 0.772555), abs=1e-6)
    assert fit.grade == "weak"


def test_fitted_interval_covers_true_slope_about_90_percent_of_the_time() -> None:
    """200 seeded datasets (n = 20, true slope 0.3): the 90% interval covers 0.3 in 83%-96%.

    If the interval is a correct 90% interval, the number of covering datasets is
    Binomial(200, 0.9): mean 180, sd sqrt(200 * 0.9 * 0.1) = 4.24. The band 166..192
    (83%..96%) is -3.3 sd to +2.8 sd around it; a correct interval falls outside it with
    probability about 0.13% (scipy: binom.cdf(165) + binom.sf(192)). An interval that is
    much too narrow (e.g. a 75% interval, mean 150) or a point estimate fails it. (A 95%
    interval would pass here; the statsmodels equality tests rule that out.)
    """
    covered, slopes = 0, []
    for seed in range(200):
        fit = fit_history(generated_history(1000 + seed))
        low, high = fit.interval
        covered += low <= 0.3 <= high
        slopes.append(fit.slope)
    assert 166 <= covered <= 192, covered
    # unbiased: the mean of 200 slopes (each with se ~0.07) is 0.3 within ~3 x 0.005
    assert np.mean(slopes) == pytest.approx(0.3, abs=0.015)


def test_grade_is_none_on_unrelated_data_in_most_draws() -> None:
    """y independent of x: the 90% interval contains 0, grade none, in ~90% of 200 draws.

    Under no relation the count of 'none' is Binomial(200, 0.9) (mean 180, sd 4.24); at
    least 160 (80%) fails with probability about 1e-5 for a correct test.
    """
    grades = []
    for seed in range(200):
        rng = np.random.default_rng(5000 + seed)
        frame = pd.DataFrame(
            {"ml_delta": rng.normal(0, 0.01, 20), "business_delta": rng.normal(0, 0.003, 20)}
        )
        grades.append(fit_history(frame).grade)
    assert grades.count("none") >= 160, grades.count("none")
    # strong needs R^2 >= 0.5 at n = 20, i.e. p ~ 0.0005 under no relation
    assert grades.count("strong") <= 3


@pytest.mark.parametrize("n", [0, 1, 2])
def test_grade_is_none_with_fewer_than_three_points(n: int) -> None:
    """Fewer than 3 points: grade none and an unbounded interval, even when y = 0.3 x exactly."""
    x = [0.01, 0.02][:n]
    frame = pd.DataFrame({"ml_delta": x, "business_delta": [0.3 * v for v in x]})
    fit = fit_history(frame)
    assert fit.grade == "none"
    assert fit.n == n
    assert fit.interval == (-math.inf, math.inf)
    # an unbounded interval is not stored on the link
    assert "interval" not in fit_params(fit, None)


def test_grade_strong_with_eight_points_and_high_r2() -> None:
    """n = 8, y = 0.3 x plus a small wiggle: R^2 > 0.9 (statsmodels), interval excludes 0."""
    x = np.arange(1, 9) / 100
    y = 0.3 * x + np.array([1, -1, 1, -1, 1, -1, 1, -1]) * 1e-4
    ref = sm.OLS(y, sm.add_constant(x)).fit()
    assert ref.rsquared > 0.9
    assert ref.conf_int(alpha=0.10)[1][0] > 0
    fit = fit_history(pd.DataFrame({"ml_delta": x, "business_delta": y}))
    assert fit.grade == "strong"
    # the same quality of fit with only 7 points is weak (n >= 8 is required)
    fit7 = fit_history(pd.DataFrame({"ml_delta": x[:7], "business_delta": y[:7]}))
    assert fit7.grade == "weak"


def test_grade_weak_when_significant_but_r2_below_half() -> None:
    """Many noisy points: the interval excludes 0 but R^2 < 0.5 (checked with statsmodels)."""
    frame = generated_history(3, n=300, noise=0.01)
    x, y = frame["ml_delta"].to_numpy(), frame["business_delta"].to_numpy()
    ref = sm.OLS(y, sm.add_constant(x)).fit()
    assert ref.rsquared < 0.5
    low, high = ref.conf_int(alpha=0.10)[1]
    assert low > 0 or high < 0
    assert fit_history(frame).grade == "weak"


def test_negative_significant_slope_is_graded_too() -> None:
    """An interval entirely below 0 also excludes 0 (weak or strong, not none)."""
    frame = generated_history(4, slope=-0.5, n=30)
    fit = fit_history(frame)
    assert fit.interval[1] < 0
    assert fit.grade == "strong"  # R^2 ~ 0.25 / (0.25 + 0.09) = 0.74


def test_perfect_fit_does_not_crash() -> None:
    """Zero residuals: the interval collapses to the slope, grade strong, no warnings."""
    x = np.arange(1, 9) / 100
    fit = fit_history(pd.DataFrame({"ml_delta": x, "business_delta": 0.25 * x + 0.001}))
    assert fit.slope == pytest.approx(0.25)
    assert fit.interval == pytest.approx((0.25, 0.25))
    assert fit.grade == "strong"


def test_csv_and_dataframe_give_the_same_fit(tmp_path: Path) -> None:
    """A history read from CSV fits exactly like the same table as a DataFrame."""
    frame = generated_history(21, n=12)
    frame["weight"] = np.linspace(1, 3, 12)
    frame["label"] = [f"exp-{i}" for i in range(12)]
    path = tmp_path / "history.csv"
    frame.to_csv(path, index=False)
    from_csv, from_frame = fit_history(path), fit_history(frame)
    from_str = fit_history(str(path))
    for fit in (from_csv, from_str):
        assert fit.slope == pytest.approx(from_frame.slope, rel=1e-12)
        assert fit.intercept == pytest.approx(from_frame.intercept, rel=1e-9, abs=1e-15)
        assert fit.interval == pytest.approx(from_frame.interval, rel=1e-12)
        assert fit.r2 == pytest.approx(from_frame.r2, rel=1e-12)
        assert (fit.n, fit.grade) == (from_frame.n, from_frame.grade)
    assert {label for label, _ in from_csv.influence} <= set(frame["label"])


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (pd.DataFrame({"ml_delta": [0.1, 0.2, 0.3]}), ["business_delta", "missing"]),
        (pd.DataFrame({"x": [1.0], "y": [2.0]}), ["ml_delta", "business_delta"]),
        (
            pd.DataFrame({"ml_delta": [0.1, 0.2, np.nan], "business_delta": [1.0, 2, 3]}),
            ["ml_delta", "row 3"],
        ),
        (
            pd.DataFrame({"ml_delta": [0.1, 0.2, 0.3], "business_delta": [1.0, np.inf, 3]}),
            ["business_delta", "row 2"],
        ),
        (
            pd.DataFrame({"ml_delta": [0.1, "abc", 0.3], "business_delta": [1.0, 2, 3]}),
            ["ml_delta", "row 2", "'abc'"],
        ),
        (
            pd.DataFrame(
                {"ml_delta": [0.1, 0.2, 0.3], "business_delta": [1.0, 2, 3], "weight": [1, 0, 1]}
            ),
            ["weight", "row 2", "positive"],
        ),
        (
            pd.DataFrame(
                {"ml_delta": [0.1, 0.2, 0.3], "business_delta": [1.0, 2, 3], "weight": [1, 1, -2]}
            ),
            ["weight", "row 3", "positive"],
        ),
        (
            pd.DataFrame(
                {"ml_delta": [0.1, 0.2, 0.3], "business_delta": [1.0, 2, 3], "weight": [1, "x", 1]}
            ),
            ["weight", "row 2"],
        ),
        (
            pd.DataFrame({"ml_delta": [0.2, 0.2, 0.2, 0.2], "business_delta": [1.0, 2, 3, 4]}),
            ["ml_delta", "same"],
        ),
    ],
)
def test_bad_history_names_what_is_wrong(frame: pd.DataFrame, expected: list[str]) -> None:
    """Missing columns, NaN / inf / text, bad weights, constant ml_delta: RegistryError."""
    with pytest.raises(RegistryError) as info:
        fit_history(frame)
    for part in expected:
        assert part in str(info.value)


def test_bad_history_files_name_the_file(tmp_path: Path) -> None:
    """A missing file, and a bad value in a CSV, name the file (and the row)."""
    missing = tmp_path / "nope.csv"
    with pytest.raises(RegistryError, match=r"nope\.csv"):
        fit_history(missing)
    bad = tmp_path / "bad.csv"
    bad.write_text("ml_delta,business_delta\n0.1,1\n0.2,oops\n0.3,3\n", encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        fit_history(bad)
    assert "bad.csv" in str(info.value)
    assert "business_delta in row 2" in str(info.value)
    with pytest.raises(RegistryError, match="DataFrame or a CSV path"):
        fit_history([[0.1, 1.0]])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- fitted in use


UNRELATED = pd.DataFrame(
    {
        "ml_delta": [-0.02, -0.01, 0.0, 0.01, 0.02, -0.015, 0.015, 0.005],
        "business_delta": [0.002, -0.003, 0.001, 0.002, -0.002, -0.001, 0.0, 0.003],
    }
)


def fitted_link(history: pd.DataFrame) -> Link:
    return Link("ndcg@10", "take_rate", "fitted", fit_params(fit_history(history), None))


def run(run_id: str, metrics: dict[str, float], *, baseline: bool = False) -> Run:
    return Run(
        id=run_id,
        name="baseline" if baseline else "candidate",
        target="take_rate",
        started_at="2026-01-01T00:00:00+00:00",
        is_baseline=baseline,
        metrics=metrics,
    )


def test_fitted_link_with_no_evidence_says_so_in_the_estimate_and_the_card() -> None:
    """A fitted link graded none still gives a number, flagged and explained in words."""
    ref = sm.OLS(
        UNRELATED["business_delta"].to_numpy(), sm.add_constant(UNRELATED["ml_delta"].to_numpy())
    ).fit()
    low, high = ref.conf_int(alpha=0.10)[1]
    assert low < 0 < high  # precondition: the table really shows no relation
    link = fitted_link(UNRELATED)
    assert link.params["grade"] == "none"
    reg = registry(link)

    impact = estimate(reg, RUN, BASE, target="take_rate")
    (contribution,) = impact.contributions
    assert contribution.no_evidence is True
    assert contribution.evidence is not None
    assert (
        "past experiments show no reliable relation between ndcg@10 and take_rate"
        in contribution.evidence
    )
    assert contribution.business_delta.mid == pytest.approx(ref.params[1] * 0.0125, rel=1e-9)
    assert contribution.business_delta.low == pytest.approx(low * 0.0125, rel=1e-9)
    assert contribution.business_delta.high == pytest.approx(high * 0.0125, rel=1e-9)

    text = Card.build(run("r2", RUN), reg, run("r1", BASE, baseline=True)).text()
    assert "past experiments show no reliable relation between ndcg@10 and take_rate" in text


def test_fitted_link_with_evidence_is_not_flagged() -> None:
    """A strong fit is not flagged as no evidence, and the card does not say it is."""
    link = fitted_link(generated_history(4, slope=0.5, n=30))
    assert link.params["grade"] == "strong"
    reg = registry(link)
    impact = estimate(reg, RUN, BASE, target="take_rate")
    (contribution,) = impact.contributions
    assert contribution.no_evidence is False
    assert contribution.evidence is not None
    assert contribution.evidence.startswith("strong evidence")
    text = Card.build(run("r2", RUN), reg, run("r1", BASE, baseline=True)).text()
    assert "no reliable relation" not in text


# =========================================================================== confusion links

FRAUD = BusinessMetric("fraud_value", "USD", "higher", value_per_unit=1.0)
FRAUD_WITH_BASELINE = BusinessMetric(
    "fraud_value", "USD", "higher", baseline=-13_000.0, value_per_unit=1.0
)
VALUE_MATRIX = ((0.0, -1.0), (-5.0, 0.0))  # [[TN, FP], [FN, TP]]: an FP costs 1, an FN 5
CONFUSION = Link(
    "fraud_model",
    "fraud_value",
    "confusion",
    {"value_matrix": VALUE_MATRIX, "cases_per_year": 100_000.0},
)
BASE_COUNTS = {"tn": 9000.0, "fp": 300.0, "fn": 200.0, "tp": 500.0}
RUN_COUNTS = {"tn": 8700.0, "fp": 600.0, "fn": 100.0, "tp": 600.0}


def dirichlet_moments(counts: dict[str, float]) -> tuple[float, float]:
    """Mean and variance of v . p for p ~ Dirichlet(counts + 1), v the value matrix (by hand).

    For Dirichlet(a) with a0 = sum(a): E[v.p] = v.a / a0 and
    Var[v.p] = (sum(a v^2) / a0 - E^2) / (a0 + 1).
    """
    a = np.array([counts[k] for k in ("tn", "fp", "fn", "tp")]) + 1.0
    v = np.array([0.0, -1.0, -5.0, 0.0])
    a0 = a.sum()
    mean = float(a @ v / a0)
    return mean, float((a @ v**2 / a0 - mean**2) / (a0 + 1))


def simulated_range(
    run_counts: dict[str, float], base_counts: dict[str, float] | None, shift: float
) -> tuple[float, float]:
    """Our own 90% range: 200,000 Dirichlet(counts + 1) draws (own seed) x 100,000 cases."""
    rng = np.random.default_rng(8675309)
    v = np.array([0.0, -1.0, -5.0, 0.0])

    def per_case(counts: dict[str, float]) -> Any:
        alpha = np.array([counts[k] for k in ("tn", "fp", "fn", "tp")]) + 1.0
        return rng.dirichlet(alpha, size=200_000) @ v

    yearly = per_case(run_counts) * 100_000 + shift
    if base_counts is not None:
        yearly -= per_case(base_counts) * 100_000
    low, high = np.percentile(yearly, [5, 95])
    return float(low), float(high)


def test_confusion_against_baseline_run_worked_by_hand() -> None:
    """Value per case: baseline (-300 - 5 * 200) / 10,000 = -0.13; run (-600 - 500) / 10,000
    = -0.11; the change +0.02 a case x 100,000 cases a year = +$2,000 a year.

    The 90% range, by a normal approximation to the two Dirichlet(counts + 1) draws:
    mean (-1306 + 1106) / 10,004 per case difference -> +1,999.2; sd per case
    sqrt(0.5131.../10,005 + 0.2979.../10,005) -> about $900 a year; so about
    1,999 -+ 1.645 * 900. Monte Carlo error of a 5% quantile with 20,000 draws is about
    $14, so $60 is a generous tolerance.
    """
    impact = estimate(
        registry(CONFUSION, metrics=(FRAUD,)), RUN_COUNTS, BASE_COUNTS, target="fraud_value"
    )
    (contribution,) = impact.contributions
    assert contribution.ml_value == pytest.approx(-0.11)
    assert contribution.reference == pytest.approx(-0.13)
    assert contribution.reference_from == "baseline run"
    delta = impact.business_delta
    assert delta is not None
    assert delta.mid == pytest.approx(2000.0)
    assert impact.value_per_year is not None
    assert impact.value_per_year.mid == pytest.approx(2000.0)

    run_mean, run_var = dirichlet_moments(RUN_COUNTS)
    base_mean, base_var = dirichlet_moments(BASE_COUNTS)
    centre = (run_mean - base_mean) * 100_000
    half = Z95 * math.sqrt(run_var + base_var) * 100_000
    assert 850 < half / Z95 < 950  # the hand figure of about $900 a year
    assert delta.low == pytest.approx(centre - half, abs=60)
    assert delta.high == pytest.approx(centre + half, abs=60)
    assert delta.low < delta.mid < delta.high
    # and, without the normal approximation, against our own simulation of the same model
    # (quantile standard error about $14 for the engine's 20,000 draws, $4 for ours)
    low, high = simulated_range(RUN_COUNTS, BASE_COUNTS, 0.0)
    assert delta.low == pytest.approx(low, abs=50)
    assert delta.high == pytest.approx(high, abs=50)


def test_confusion_against_declared_kpi_baseline() -> None:
    """Without a baseline run the KPI's declared baseline is the reference.

    KPI baseline -$13,000 a year = -0.13 a case x 100,000; the run gives -0.11 x 100,000 =
    -$11,000, so +$2,000. Only the run's counts are uncertain now: Dirichlet mean
    -1106 / 10,004 a case -> centre -11,055.6 + 13,000 = 1,944.4; sd sqrt(0.2979 / 10,005)
    x 100,000 = about $546. The value per case is a little left-skewed (the FN share is a
    Beta(101, 9903), skew ~0.2), which moves both 5% and 95% points about $20 down from the
    normal approximation; our own Dirichlet simulation checks them closely.
    """
    reg = registry(CONFUSION, metrics=(FRAUD_WITH_BASELINE,))
    impact = estimate(reg, RUN_COUNTS, None, target="fraud_value")
    (contribution,) = impact.contributions
    assert contribution.reference_from == "KPI baseline"
    assert contribution.reference == pytest.approx(-0.13)
    delta = impact.business_delta
    assert delta is not None
    assert delta.mid == pytest.approx(2000.0)
    run_mean, run_var = dirichlet_moments(RUN_COUNTS)
    centre = run_mean * 100_000 + 13_000
    half = Z95 * math.sqrt(run_var) * 100_000
    assert 530 < half / Z95 < 560  # the hand figure of about $546 a year
    assert delta.low == pytest.approx(centre - half, abs=50)
    assert delta.high == pytest.approx(centre + half, abs=50)
    low, high = simulated_range(RUN_COUNTS, None, 13_000.0)
    assert delta.low == pytest.approx(low, abs=35)
    assert delta.high == pytest.approx(high, abs=35)
    assert delta.low <= delta.mid <= delta.high


def test_confusion_baseline_run_without_counts_falls_back_to_kpi_baseline() -> None:
    """A baseline run that logged no counts is not usable; the KPI baseline is."""
    reg = registry(CONFUSION, metrics=(FRAUD_WITH_BASELINE,))
    impact = estimate(reg, RUN_COUNTS, {"auc": 0.9}, target="fraud_value")
    assert impact.contributions[0].reference_from == "KPI baseline"
    assert impact.business_delta is not None
    assert impact.business_delta.mid == pytest.approx(2000.0)


def test_confusion_range_narrows_with_100_times_the_counts() -> None:
    """Counts x 100: same mid, range about 10x narrower (sd ~ 1 / sqrt(n))."""
    reg = registry(CONFUSION, metrics=(FRAUD,))
    small = estimate(reg, RUN_COUNTS, BASE_COUNTS, target="fraud_value").business_delta
    big_run = {k: v * 100 for k, v in RUN_COUNTS.items()}
    big_base = {k: v * 100 for k, v in BASE_COUNTS.items()}
    big = estimate(reg, big_run, big_base, target="fraud_value").business_delta
    assert small is not None
    assert big is not None
    assert big.mid == pytest.approx(small.mid)
    assert big.low <= big.mid <= big.high
    ratio = (small.high - small.low) / (big.high - big.low)
    assert 8 < ratio < 12, ratio


def test_confusion_missing_counts_leave_a_note() -> None:
    """A run without fn and tp contributes nothing; the note names what is missing."""
    reg = registry(CONFUSION, metrics=(FRAUD_WITH_BASELINE,))
    impact = estimate(reg, {"tn": 9000.0, "fp": 300.0}, BASE_COUNTS, target="fraud_value")
    assert impact.business_delta is None
    assert impact.contributions == ()
    (note,) = impact.notes
    assert "fn, tp" in note
    assert "the run" in note


def test_confusion_without_any_reference_leaves_a_note() -> None:
    """No baseline run and no KPI baseline: no number, a note saying there is no reference."""
    impact = estimate(registry(CONFUSION, metrics=(FRAUD,)), RUN_COUNTS, None, target="fraud_value")
    assert impact.business_delta is None
    assert "no reference" in impact.notes[0]


def test_confusion_break_even_at_elkan_threshold() -> None:
    """Elkan (2001): with FP cost 1 and FN cost 5 the break-even probability is
    p* = c_FP / (c_FP + c_FN) = 1 / 6.

    So flipping a group of 600 cases of which exactly 1/6 (100) are positive from
    'predict negative' (100 FN: -500) to 'predict positive' (500 FP: -500) changes nothing;
    flipping a group at 2/6 positive gains. A transposed value matrix (FN in the top row)
    would price the first flip at 100 x -1 vs 500 x -5 and fail this test.
    """
    reg = registry(CONFUSION, metrics=(FRAUD,))
    base = {"tn": 9500.0, "fp": 0.0, "fn": 100.0, "tp": 400.0}
    flipped = {"tn": 9000.0, "fp": 500.0, "fn": 0.0, "tp": 500.0}
    delta = estimate(reg, flipped, base, target="fraud_value").business_delta
    assert delta is not None
    assert delta.mid == pytest.approx(0.0, abs=1e-9)
    # 600 cases with 200 positives: -1000 (FN) becomes -400 (FP): +600 / 10,000 x 100,000
    base2 = {"tn": 9400.0, "fp": 0.0, "fn": 200.0, "tp": 400.0}
    flipped2 = {"tn": 9000.0, "fp": 400.0, "fn": 0.0, "tp": 600.0}
    delta2 = estimate(reg, flipped2, base2, target="fraud_value").business_delta
    assert delta2 is not None
    assert delta2.mid == pytest.approx(6000.0)


def test_confusion_matrix_logging_expands_to_counts() -> None:
    """log(confusion_matrix=[[TN, FP], [FN, TP]]) stores tn, fp, fn, tp as floats."""
    logged = clean_metrics(None, {"confusion_matrix": np.array([[9000, 300], [200, 500]])})
    assert logged == {"tn": 9000.0, "fp": 300.0, "fn": 200.0, "tp": 500.0}
    assert all(type(v) is float for v in logged.values())
    logged = clean_metrics({"auc": 0.9}, {"confusion_matrix": [[1, 2], [3, 4]]})
    assert logged == {"auc": 0.9, "tn": 1.0, "fp": 2.0, "fn": 3.0, "tp": 4.0}


@pytest.mark.parametrize(
    "matrix",
    [
        [[1, 2, 3], [4, 5, 6]],
        [[1, 2], [3]],
        [[1, 2], [3, 4], [5, 6]],
        [1, 2, 3, 4],
        np.zeros((3, 3)),
        "[[1, 2], [3, 4]]",
        [[1, -2], [3, 4]],
        [[1, 2], [3, float("nan")]],
    ],
)
def test_bad_confusion_matrix_is_refused(matrix: Any) -> None:
    """A confusion_matrix that is not 2x2 of non-negative finite counts: ExperimentError."""
    with pytest.raises(ExperimentError):
        clean_metrics(None, {"confusion_matrix": matrix})


# =========================================================================== formula links


def test_formula_evaluates_a_ratio() -> None:
    """118 quality plays out of 1,000 recommendations is 0.118."""
    formula = Formula.parse("quality_plays / recommendations_shown")
    assert formula.names == ("quality_plays", "recommendations_shown")
    assert formula.evaluate({"quality_plays": 118, "recommendations_shown": 1000}) == 0.118


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("min(a, b)", {"a": 3, "b": -2}, -2.0),
        ("max(a, b, 7)", {"a": 3, "b": -2}, 7.0),
        ("log(x)", {"x": math.e**2}, 2.0),
        ("log(8, 2)", {}, 3.0),
        ("exp(x)", {"x": 0.0}, 1.0),
        ("sqrt(x)", {"x": 2.25}, 1.5),
        ("abs(x)", {"x": -4.5}, 4.5),
        ("-x", {"x": 2}, -2.0),
        ("+x", {"x": 2}, 2.0),
        ("-x ** 2", {"x": 3}, -9.0),  # ** binds tighter than unary minus
        ("(-x) ** 2", {"x": 3}, 9.0),
        ("2 ** 3 ** 2", {}, 512.0),  # right-associative
        ("a - b - c", {"a": 10, "b": 3, "c": 2}, 5.0),
        ("a / b * c", {"a": 12, "b": 3, "c": 2}, 8.0),
        ("1 + 2 * 3", {}, 7.0),
        ("1.5e3 / x", {"x": 3}, 500.0),
        ("sqrt(abs(min(a, -9)))", {"a": 0}, 3.0),
    ],
)
def test_formula_arithmetic_worked_by_hand(
    text: str, values: dict[str, float], expected: float
) -> None:
    assert Formula.parse(text).evaluate(values) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "text",
    [
        '__import__("os")',
        "x.__class__",
        "x.real",
        'open("f")',
        "lambda: 1",
        "[x for x in y]",
        "{x: 1 for x in y}",
        "{x for x in y}",
        "(x for x in y)",
        "x[0]",
        "x if y else z",
        "a < b",
        "a == b",
        "a and b",
        "not a",
        '"text"',
        "b'bytes'",
        "True",
        "None",
        "f(x=1)",
        "max(x=1)",
        "max(*xs)",
        "max()",
        "a // b",
        "a % b",
        "a @ b",
        "a & b",
        "~a",
        "__builtins__",
        "__x",
        "1j",
        "(a := 1)",
        "[1, 2]",
        "(1, 2)",
        "f'{x}'",
        "print(x)",
        "x(1)",
        "log(x)(2)",
        "a; b",
        "import os",
        "",
        "   ",
        "x" * 501,
        "min + 1",
        "exp",
        "max(x)",
        "sqrt(a, b)",
        "log(a, b, c)",
    ],
)
def test_formula_refuses_anything_but_arithmetic(text: str) -> None:
    """Attributes, calls other than the whitelist (or with a wrong number of arguments),
    lambdas, comprehensions, subscripts, comparisons, strings, booleans, dunders and
    bare function names are all RegistryError at parse time."""
    with pytest.raises(RegistryError):
        Formula.parse(text)


def test_formula_names_a_missing_quantity() -> None:
    formula = Formula.parse("quality_plays / recommendations_shown")
    with pytest.raises(RegistryError, match="recommendations_shown") as info:
        formula.evaluate({"quality_plays": 1.0})
    assert "quality_plays," not in str(info.value)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("a / b", {"a": 1.0, "b": 0.0}),
        ("a / (b - b)", {"a": 1.0, "b": 3.0}),
        ("b ** -1", {"b": 0.0}),
        ("log(x)", {"x": 0.0}),
        ("log(x)", {"x": -1.0}),
        ("log(8, 1)", {}),
        ("sqrt(x)", {"x": -1.0}),
        ("exp(x)", {"x": 1000.0}),
        ("x ** 2000", {"x": 1.0}),
        ("x ** 400", {"x": 10.0}),
        ("x * 1e308", {"x": 10.0}),
        ("x ** 0.5", {"x": -4.0}),  # a complex number in Python
        ("(-8) ** (1 / 3)", {}),
    ],
)
def test_formula_math_errors_are_registry_errors(text: str, values: dict[str, float]) -> None:
    """Division by zero, domain errors, overflow and complex results: RegistryError only."""
    formula = Formula.parse(text)
    with pytest.raises(RegistryError):
        formula.evaluate(values)


REPLAY = Link("replay", "take_rate", "formula", {"expr": "quality_plays / recommendations_shown"})


def test_formula_link_exact_delta_vs_baseline_run() -> None:
    """0.118 - 0.112 = +0.006 take rate, a point estimate; x $2.5e9 = $15M a year."""
    impact = estimate(
        registry(REPLAY),
        {"quality_plays": 118.0, "recommendations_shown": 1000.0},
        {"quality_plays": 224.0, "recommendations_shown": 2000.0},
        target="take_rate",
    )
    (contribution,) = impact.contributions
    assert contribution.reference_from == "baseline run"
    assert contribution.ml_value == pytest.approx(0.118)
    assert contribution.reference == pytest.approx(0.112)
    assert impact.business_delta is not None
    assert impact.business_delta.to_list() == pytest.approx([0.006] * 3)
    assert impact.value_per_year is not None
    assert impact.value_per_year.to_list() == pytest.approx([15_000_000.0] * 3)


def test_formula_link_exact_delta_vs_kpi_baseline() -> None:
    """No baseline run: the KPI's declared baseline 0.112 is the reference; 0.1 - 0.112."""
    impact = estimate(
        registry(REPLAY),
        {"quality_plays": 100.0, "recommendations_shown": 1000.0},
        None,
        target="take_rate",
    )
    (contribution,) = impact.contributions
    assert contribution.reference_from == "KPI baseline"
    assert impact.business_delta is not None
    assert impact.business_delta.to_list() == pytest.approx([-0.012] * 3)
    assert impact.verdict is not None
    assert impact.verdict.label == "harmful"


def test_formula_link_that_cannot_be_computed_leaves_a_note() -> None:
    """A zero denominator or an unlogged quantity is a note, not a crash."""
    reg = registry(REPLAY)
    impact = estimate(
        reg, {"quality_plays": 1.0, "recommendations_shown": 0.0}, None, target="take_rate"
    )
    assert impact.business_delta is None
    assert "cannot be computed" in impact.notes[0]
    impact = estimate(reg, {"quality_plays": 1.0}, None, target="take_rate")
    assert "recommendations_shown" in impact.notes[0]


# -- property: the formula evaluator agrees with Python's arithmetic

_ERROR = object()  # Python raises, or gives a complex or non-finite number
ENV = {"a": 2.5, "b": -0.75, "n": 1000.0}


def _apply(function: Callable[..., Any], *args: Any) -> Any:
    if any(arg is _ERROR for arg in args):
        return _ERROR
    try:
        result = function(*args)
    except (ArithmeticError, ValueError):
        return _ERROR
    return _ERROR if isinstance(result, complex) else result


LEAVES = st.one_of(
    st.floats(min_value=0.0, max_value=1e6, allow_nan=False).map(lambda x: (repr(x), x)),
    st.integers(0, 50).map(lambda i: (f"{i}.0", float(i))),
    st.sampled_from(sorted(ENV)).map(lambda k: (k, ENV[k])),
)
EXPONENTS = st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
BINARY = [("+", operator.add), ("-", operator.sub), ("*", operator.mul), ("/", operator.truediv)]
UNARY = [
    ("-", operator.neg),
    ("+", operator.pos),
    ("abs", abs),
    ("sqrt", math.sqrt),
    ("log", math.log),
    ("exp", math.exp),
]


def _expressions(
    children: st.SearchStrategy[tuple[str, Any]],
) -> st.SearchStrategy[tuple[str, Any]]:
    def binary(pair: tuple[tuple[str, Any], tuple[str, Any]], op: tuple[str, Any]) -> Any:
        (lt, lv), (rt, rv) = pair
        return f"({lt}) {op[0]} ({rt})", _apply(op[1], lv, rv)

    def unary(child: tuple[str, Any], op: tuple[str, Any]) -> Any:
        text, value = child  # -(x), +(x), abs(x), sqrt(x), log(x), exp(x)
        return f"{op[0]}({text})", _apply(op[1], value)

    def power(child: tuple[str, Any], exponent: float) -> Any:
        text, value = child
        return f"({text}) ** ({exponent!r})", _apply(operator.pow, value, exponent)

    def minmax(pair: tuple[tuple[str, Any], tuple[str, Any]], name: str) -> Any:
        (lt, lv), (rt, rv) = pair
        return f"{name}({lt}, {rt})", _apply(min if name == "min" else max, lv, rv)

    pairs = st.tuples(children, children)
    return st.one_of(
        st.builds(binary, pairs, st.sampled_from(BINARY)),
        st.builds(unary, children, st.sampled_from(UNARY)),
        st.builds(power, children, EXPONENTS),
        st.builds(minmax, pairs, st.sampled_from(["min", "max"])),
    )


EXPRESSIONS = st.recursive(LEAVES, _expressions, max_leaves=10)

# Formulas are at most 500 characters. a = 2.5, and adding 1.0 to it 83 times is exact:
# 85.5. "a" and 82 " + 1.0" make 1 + 82 x 6 = 493 characters; " + 1.00" makes 500,
# " + 1.000" 501 (the same value, refused for its length).
_AT_LIMIT = "a" + " + 1.0" * 82 + " + 1.00"
_OVER_LIMIT = "a" + " + 1.0" * 82 + " + 1.000"


@settings(max_examples=300, deadline=None)
@given(expression=EXPRESSIONS)
@example(expression=(_AT_LIMIT, 85.5))
@example(expression=(_OVER_LIMIT, 85.5))
def test_formula_agrees_with_python_arithmetic(expression: tuple[str, Any]) -> None:
    """Random expression trees over whitelisted operators: the value is Python's float value.

    The expected number is built alongside the text (each node applies the same Python
    operator or math function to its children's values), never by eval. Where Python raises,
    or gives a complex or non-finite number, the formula must raise RegistryError. A text
    over 500 characters is refused for its length, whatever its value.
    """
    text, expected = expression
    if len(text) > 500:
        with pytest.raises(RegistryError, match="longer than 500 characters"):
            Formula.parse(text)
        return
    formula = Formula.parse(text)
    if expected is _ERROR or not math.isfinite(expected):
        with pytest.raises(RegistryError):
            formula.evaluate(ENV)
    else:
        assert formula.evaluate(ENV) == expected


# =========================================================================== KPI chains

TAKE_UNPRICED = BusinessMetric("take_rate", "ratio", "higher", baseline=0.112, target=0.120)
CANCELLATION = BusinessMetric(
    "cancellation_rate", "ratio", "lower", baseline=0.03, value_per_unit=-2e9
)
TAKE_TO_CANCEL = Link(
    "take_rate", "cancellation_rate", params={"elasticity": -0.4, "interval": (-0.6, -0.2)}
)


def chain_registry() -> Registry:
    return registry(NDCG, TAKE_TO_CANCEL, metrics=(TAKE_UNPRICED, CANCELLATION))


def test_chain_mid_is_the_product_of_mids_and_money_is_counted_downstream() -> None:
    """+0.0125 NDCG x 0.35 = +0.004375 take rate; x -0.4 = -0.00175 cancellation rate;
    x -$2e9 per unit = +$3.5M a year, counted only at cancellation_rate."""
    impact = estimate(chain_registry(), RUN, BASE, target="take_rate")
    assert impact.business_delta is not None
    assert impact.business_delta.mid == pytest.approx(0.004375)
    (step,) = impact.chain
    assert step.kpi.name == "cancellation_rate"
    assert step.path == ("take_rate", "cancellation_rate")
    assert step.delta.mid == pytest.approx(-0.00175)
    assert step.delta.low <= step.delta.mid <= step.delta.high
    value = impact.value_per_year
    assert value is not None
    assert value.mid == pytest.approx(3_500_000.0)
    assert value.low <= value.mid <= value.high
    # the money range is the cancellation range times -$2e9 (the ends swap)
    assert value.low == pytest.approx(step.delta.high * -2e9)
    assert value.high == pytest.approx(step.delta.low * -2e9)


def test_chain_range_matches_an_independent_simulation() -> None:
    """Both intervals are symmetric, so the elasticities are normal with sd = half-width / z95:
    0.35 + 0.15/1.645 Z1 and -0.4 + 0.2/1.645 Z2. The cancellation change is
    0.0125 x e1 x e2; its 5th and 95th percentiles from 200,000 independent draws of our own
    (a different seed) must match the engine's 20,000-draw range within Monte Carlo error
    (about 0.5% of the width for the engine; 3% of the width is allowed).
    """
    rng = np.random.default_rng(424242)
    z1, z2 = rng.standard_normal((2, 200_000))
    take = 0.0125 * (0.35 + 0.15 / Z95 * z1)
    cancel = take * (-0.4 + 0.2 / Z95 * z2)
    low, high = np.percentile(cancel, [5, 95])
    take_low, take_high = np.percentile(take, [5, 95])

    impact = estimate(chain_registry(), RUN, BASE, target="take_rate")
    (step,) = impact.chain
    tolerance = 0.03 * (high - low)
    assert step.delta.low == pytest.approx(low, abs=tolerance)
    assert step.delta.high == pytest.approx(high, abs=tolerance)
    # the take-rate range itself is still the declared one: [0.0025, 0.00625]
    assert impact.business_delta is not None
    assert take_low == pytest.approx(0.0025, abs=2e-5)
    assert impact.business_delta.low == pytest.approx(0.0025, abs=0.03 * (take_high - take_low))
    assert impact.business_delta.high == pytest.approx(0.00625, abs=0.03 * (take_high - take_low))


def exact(elasticity: float) -> dict[str, object]:
    """A linear link's parameters with a declared zero-width interval: known exactly.

    (Without an interval a link's interval is unknown, and its ranges use a stand-in.)
    """
    return {"elasticity": elasticity, "interval": (elasticity, elasticity)}


def test_chain_reaches_a_kpi_through_every_path() -> None:
    """A diamond: x -> A (1), A -> B (2), A -> C (3), C -> B (5). For +1 of x:
    A +1, C +3, and B gets 2 x 1 directly plus 5 x 3 through C: +17.
    """
    metrics = tuple(BusinessMetric(k, "count", "higher") for k in "ABC")
    links = (
        Link("x", "A", params=exact(1.0)),
        Link("A", "B", params=exact(2.0)),
        Link("A", "C", params=exact(3.0)),
        Link("C", "B", params=exact(5.0)),
    )
    impact = estimate(registry(*links, metrics=metrics), {"x": 1.0}, {"x": 0.0}, target="A")
    deltas = {step.kpi.name: step.delta for step in impact.chain}
    assert deltas["C"].to_list() == pytest.approx([3.0, 3.0, 3.0])
    assert deltas["B"].to_list() == pytest.approx([17.0, 17.0, 17.0])


def test_chain_two_steps_multiplies_through() -> None:
    """x -> A (2), A -> B (-0.5), B -> C (4): +0.1 of x gives A +0.2, B -0.1, C -0.4;
    C is priced at $10 a unit (higher is better), so -$4 a year."""
    metrics = (
        BusinessMetric("A", "count", "higher"),
        BusinessMetric("B", "count", "higher"),
        BusinessMetric("C", "count", "higher", value_per_unit=10.0),
    )
    links = (
        Link("x", "A", params=exact(2.0)),
        Link("A", "B", params=exact(-0.5)),
        Link("B", "C", params=exact(4.0)),
    )
    impact = estimate(registry(*links, metrics=metrics), {"x": 0.1}, {"x": 0.0}, target="A")
    assert [s.path for s in impact.chain] == [("A", "B"), ("A", "B", "C")]
    assert [s.delta.mid for s in impact.chain] == pytest.approx([-0.1, -0.4])
    assert impact.value_per_year is not None
    assert impact.value_per_year.to_list() == pytest.approx([-4.0, -4.0, -4.0])
    assert impact.verdict is not None
    assert impact.verdict.label == "harmful"


def test_money_counted_twice_along_a_chain_is_refused() -> None:
    """value_per_unit on take_rate and on cancellation_rate below it: RegistryError."""
    with pytest.raises(RegistryError, match="counted twice"):
        registry(NDCG, TAKE_TO_CANCEL, metrics=(TAKE_RATE, CANCELLATION))
    # also two steps apart
    metrics = (
        BusinessMetric("A", "count", "higher", value_per_unit=1.0),
        BusinessMetric("B", "count", "higher"),
        BusinessMetric("C", "count", "higher", value_per_unit=1.0),
    )
    links = (Link("A", "B", params={"elasticity": 1.0}), Link("B", "C", params={"elasticity": 1.0}))
    with pytest.raises(RegistryError, match="counted twice"):
        registry(*links, metrics=metrics)


def test_cycle_between_kpis_is_refused() -> None:
    metrics = tuple(BusinessMetric(k, "count", "higher") for k in "ABC")
    links = (
        Link("A", "B", params={"elasticity": 1.0}),
        Link("B", "C", params={"elasticity": 1.0}),
        Link("C", "A", params={"elasticity": 1.0}),
    )
    with pytest.raises(RegistryError, match="cycle"):
        registry(*links, metrics=metrics)
    with pytest.raises(RegistryError, match="cycle"):
        registry(Link("A", "A", params={"elasticity": 1.0}), metrics=metrics)


def test_cycle_in_a_registry_file_is_refused() -> None:
    text = """
[metrics.a]
unit = "count"
direction = "higher"
[metrics.b]
unit = "count"
direction = "higher"
[[links]]
ml_metric = "a"
business_metric = "b"
elasticity = 1.0
[[links]]
ml_metric = "b"
business_metric = "a"
elasticity = 1.0
"""
    with pytest.raises(RegistryError, match="cycle"):
        Registry.from_text(text)


def test_estimates_are_deterministic() -> None:
    """The Monte Carlo is seeded: the same inputs give identical ranges."""
    first = estimate(chain_registry(), RUN, BASE, target="take_rate")
    second = estimate(chain_registry(), RUN, BASE, target="take_rate")
    assert first.to_record() == second.to_record()
    assert first.chain[0].delta == second.chain[0].delta
    reg = registry(CONFUSION, metrics=(FRAUD,))
    assert (
        estimate(reg, RUN_COUNTS, BASE_COUNTS, target="fraud_value").business_delta
        == estimate(reg, RUN_COUNTS, BASE_COUNTS, target="fraud_value").business_delta
    )


# =========================================================================== verdicts

BAR = 1_000_000.0
PRICED = BusinessMetric("take_rate", "ratio", "higher", baseline=0.112, value_per_unit=2.5e9)
DELTA = Range(0.001, 0.002, 0.003)  # shown in the text only; the value decides


def judge(low: float, mid: float, high: float, *, bar: float = BAR) -> Any:
    return verdict(Range(low, mid, high), DELTA, PRICED, currency="USD", bar=bar)


@pytest.mark.parametrize(
    ("value", "bar", "label", "reason"),
    [
        ((1.0, 1e6, 2e6), BAR, "material", "clears"),  # mid exactly at the bar
        ((1.0, 999_999.0, 2e6), BAR, "uncertain", "spans the $1M/yr bar"),
        ((2e5, 5e5, 1e6), BAR, "uncertain", "spans the $1M/yr bar"),  # high exactly at bar
        ((2e5, 5e5, 999_999.0), BAR, "not material", "below the"),
        ((-3e6, -2e6, -1.0), BAR, "harmful", "loses money"),
        ((-3e6, -2e6, 0.0), BAR, "not material", "below the"),  # high 0 is not harmful
        ((0.0, 2e6, 3e6), BAR, "uncertain", "spans zero"),  # low 0 is not a sure gain
        ((0.0, 5e5, 9e5), BAR, "not material", "below the"),
        ((-1e6, 5e5, 3e6), BAR, "uncertain", "spans zero"),
        ((-5e5, -1e5, 2e6), BAR, "uncertain", "spans zero"),  # negative mid, high above bar
        ((-5e5, -1e5, 5e5), BAR, "not material", "below the"),
        ((1.0, 2.0, 3.0), 0.0, "material", "no materiality bar set"),
        ((0.0, 1.0, 2.0), 0.0, "uncertain", "spans zero"),
        ((-2.0, -1.0, 0.0), 0.0, "uncertain", "spans zero"),
        ((-2.0, -1.0, -1e-9), 0.0, "harmful", "loses money"),
    ],
)
def test_verdict_boundaries(
    value: tuple[float, float, float], bar: float, label: str, reason: str
) -> None:
    """harmful: high < 0; material: low > 0 and mid >= bar; not material: high < bar;
    uncertain: the rest. Each comparison is tested exactly at its boundary."""
    result = judge(*value, bar=bar)
    assert result.label == label
    assert reason in result.text
    assert result.text.startswith(label + ":")
    assert result.measurable is None  # no traffic declared
    assert result.mde is None


@pytest.mark.parametrize(
    ("direction", "delta", "label"),
    [
        ("higher", (-0.003, -0.002, -0.001), "harmful"),
        ("higher", (-0.002, -0.001, 0.0), "uncertain"),  # high end exactly 0: not sure harm
        ("higher", (-0.001, 0.001, 0.002), "uncertain"),
        ("higher", (0.001, 0.002, 0.003), "uncertain"),
        ("lower", (0.001, 0.002, 0.003), "harmful"),
        ("lower", (0.0, 0.001, 0.002), "uncertain"),
        ("lower", (-0.003, -0.002, -0.001), "uncertain"),
    ],
)
def test_unpriced_verdict(direction: str, delta: tuple[float, float, float], label: str) -> None:
    """Without value_per_unit: harmful when even the best end moves the KPI the wrong way,
    otherwise uncertain, saying it is not priced."""
    kpi = BusinessMetric("kpi", "ratio", direction)  # type: ignore[arg-type]
    result = verdict(None, Range(*delta), kpi, currency="USD", bar=BAR)
    assert result.label == label
    if label == "harmful":
        assert "wrong way" in result.text
    else:
        assert "not priced" in result.text


def test_verdict_in_estimate_uses_the_project_bar() -> None:
    """$10.9M [$6.25M, $15.6M] clears a $1M bar; it does not clear a $20M bar (high < bar)."""
    run_metrics, base = {"ndcg@10": 0.4125}, {"ndcg@10": 0.40}
    low_bar = estimate(registry(NDCG, min_annual_value=1e6), run_metrics, base, target="take_rate")
    assert low_bar.verdict is not None
    assert low_bar.verdict.label == "material"
    high_bar = estimate(registry(NDCG, min_annual_value=2e7), run_metrics, base, target="take_rate")
    assert high_bar.verdict is not None
    assert high_bar.verdict.label == "not material"
    mid_bar = estimate(
        registry(NDCG, min_annual_value=1.2e7), run_metrics, base, target="take_rate"
    )
    assert mid_bar.verdict is not None
    assert mid_bar.verdict.label == "uncertain"


def test_zero_kpi_baseline_gives_no_relative_change_and_no_crash() -> None:
    """A ratio KPI at baseline 0 with traffic: no relative change, no MDE, still a verdict."""
    kpi = BusinessMetric("errors", "ratio", "lower", baseline=0.0, traffic_per_week=1e5)
    link = Link("recall", "errors", params={"elasticity": -0.1, "interval": (-0.2, -0.05)})
    impact = estimate(
        registry(link, metrics=(kpi,)), {"recall": 0.9}, {"recall": 0.8}, target="errors"
    )
    assert impact.relative_delta is None
    assert impact.progress is None
    assert impact.business_delta is not None
    assert impact.business_delta.mid == pytest.approx(-0.01)
    assert impact.verdict is not None
    assert impact.verdict.label == "uncertain"
    assert impact.verdict.measurable is None
    assert impact.to_record()["relative_delta"] is None


# =========================================================================== MDE


def z_sum(alpha: float = 0.05, power: float = 0.8) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


@pytest.mark.parametrize(
    ("p", "n", "alpha", "power"),
    [
        (0.112, 500_000, 0.05, 0.8),
        (0.5, 10_000, 0.05, 0.8),
        (0.02, 2_000_000, 0.01, 0.9),
        (0.9, 1_234, 0.10, 0.5),
    ],
)
def test_mde_proportion_solves_the_sample_size_formula(
    p: float, n: float, alpha: float, power: float
) -> None:
    """n = (z_{1-a/2} + z_{1-b})^2 * 2 p (1 - p) / delta^2, solved for delta with scipy."""
    expected = z_sum(alpha, power) * math.sqrt(2 * p * (1 - p) / n)
    assert mde_proportion(p, n_per_arm=n, alpha=alpha, power=power) == pytest.approx(
        expected, rel=1e-9
    )


def test_mde_proportion_worked_number() -> None:
    """p = 0.112, 500,000 a arm: 2.801585 x sqrt(2 x 0.112 x 0.888 / 500,000) = 0.0017670."""
    assert z_total() == pytest.approx(2.801585, abs=1e-6)
    assert mde_proportion(0.112, n_per_arm=500_000) == pytest.approx(0.0017670, abs=2e-7)


def test_mde_proportion_agrees_with_statsmodels_power() -> None:
    """statsmodels solves for Cohen's h = 2 asin(sqrt(p2)) - 2 asin(sqrt(p1)); back to an
    absolute difference: p2 = sin(asin(sqrt(p1)) + h / 2)^2, delta = p2 - p1.

    h-based and variance-at-baseline approximations differ slightly (second order in delta,
    plus the far tail statsmodels includes), so 1% is allowed.
    """
    p, n = 0.112, 500_000
    h = NormalIndPower().solve_power(
        effect_size=None, nobs1=n, alpha=0.05, power=0.8, ratio=1, alternative="two-sided"
    )
    delta = math.sin(math.asin(math.sqrt(p)) + h / 2) ** 2 - p
    assert mde_proportion(p, n_per_arm=n) == pytest.approx(delta, rel=0.01)


def test_mde_mean_matches_van_belle_rule_of_thumb() -> None:
    """van Belle: n = 16 sd^2 / delta^2 a arm (alpha 0.05, power 0.8), so delta = 4 sd / sqrt(n).
    The exact constant is 2 x 2.8016^2 = 15.70, so the two agree within 1%."""
    sd, n = 12.5, 40_000
    assert mde_mean(sd, n_per_arm=n) == pytest.approx(4 * sd / math.sqrt(n), rel=0.01)
    assert mde_mean(sd, n_per_arm=n) == pytest.approx(z_sum() * sd * math.sqrt(2 / n), rel=1e-9)


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        (mde_proportion, {"p": 0.0, "n_per_arm": 100}),
        (mde_proportion, {"p": 1.0, "n_per_arm": 100}),
        (mde_proportion, {"p": -0.1, "n_per_arm": 100}),
        (mde_proportion, {"p": 1.5, "n_per_arm": 100}),
        (mde_proportion, {"p": math.nan, "n_per_arm": 100}),
        (mde_proportion, {"p": 0.1, "n_per_arm": 0}),
        (mde_proportion, {"p": 0.1, "n_per_arm": -5}),
        (mde_proportion, {"p": 0.1, "n_per_arm": math.nan}),
        (mde_proportion, {"p": 0.1, "n_per_arm": 100, "alpha": 0.0}),
        (mde_proportion, {"p": 0.1, "n_per_arm": 100, "alpha": 1.0}),
        (mde_proportion, {"p": 0.1, "n_per_arm": 100, "power": 0.0}),
        (mde_proportion, {"p": 0.1, "n_per_arm": 100, "power": 1.0}),
        (mde_mean, {"sd": 0.0, "n_per_arm": 100}),
        (mde_mean, {"sd": -1.0, "n_per_arm": 100}),
        (mde_mean, {"sd": math.nan, "n_per_arm": 100}),
        (mde_mean, {"sd": 1.0, "n_per_arm": 0}),
        (mde_mean, {"sd": 1.0, "n_per_arm": math.nan}),
        (mde_mean, {"sd": 1.0, "n_per_arm": 100, "alpha": 1.5}),
    ],
)
def test_mde_invalid_inputs_raise_value_error(
    call: Callable[..., float], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValueError, match=r"must lie strictly|must be positive"):
        call(**kwargs)


def test_measurable_depends_on_the_mde() -> None:
    """traffic 1M a week over 2 weeks: 1M a arm; MDE = 2.801585 x sqrt(2 x 0.112 x 0.888 / 1e6)
    = 0.0012495. +0.004375 is above it (measurable); +0.00035 (NDCG +0.001) is below."""
    kpi = BusinessMetric(
        "take_rate", "ratio", "higher", baseline=0.112, value_per_unit=2.5e9, traffic_per_week=1e6
    )
    mde = z_sum() * math.sqrt(2 * 0.112 * 0.888 / 1e6)
    assert mde == pytest.approx(0.0012495, abs=1e-7)
    reg = registry(NDCG, metrics=(kpi,))
    big = estimate(reg, {"ndcg@10": 0.4125}, BASE, target="take_rate")
    assert big.verdict is not None
    assert big.verdict.mde == pytest.approx(mde, rel=1e-9)
    assert big.verdict.measurable is True
    assert "not measurable" not in big.verdict.title
    small = estimate(reg, {"ndcg@10": 0.401}, BASE, target="take_rate")
    assert small.verdict is not None
    assert small.verdict.measurable is False
    assert small.verdict.title.endswith(", not measurable")
    # test_weeks 8: 4M a arm halves the MDE
    kpi8 = BusinessMetric(
        "take_rate", "ratio", "higher", baseline=0.112, traffic_per_week=1e6, test_weeks=8
    )
    reg8 = registry(NDCG, metrics=(kpi8,))
    eight = estimate(reg8, {"ndcg@10": 0.401}, BASE, target="take_rate")
    assert eight.verdict is not None
    assert eight.verdict.mde == pytest.approx(mde / 2, rel=1e-9)


def test_a_percent_kpi_gets_the_mde_of_its_proportion_in_points() -> None:
    """unit percent, baseline 11.2, 2M a week over 2 weeks: 2M a arm; the proportion 0.112
    gives MDE = 2.801585 x sqrt(2 x 0.112 x 0.888 / 2e6) = 0.00088353, i.e. 0.088353 pp.
    Elasticity 35 (pp of take-rate per NDCG point): +0.0125 NDCG is +0.4375 pp, measurable;
    +0.001 is +0.035 pp, not measurable. Before, a percent KPI got no MDE at all."""
    kpi = BusinessMetric(
        "take_rate", "percent", "higher", baseline=11.2, value_per_unit=2.5e7, traffic_per_week=2e6
    )
    link = Link("ndcg@10", "take_rate", params={"elasticity": 35.0})
    reg = registry(link, metrics=(kpi,))
    mde = 100 * z_sum() * math.sqrt(2 * 0.112 * 0.888 / 2e6)
    assert mde == pytest.approx(0.088353, abs=1e-6)
    big = estimate(reg, {"ndcg@10": 0.4125}, BASE, target="take_rate")
    small = estimate(reg, {"ndcg@10": 0.401}, BASE, target="take_rate")
    assert big.verdict is not None
    assert small.verdict is not None
    assert big.verdict.mde == pytest.approx(mde, rel=1e-9)
    assert (big.verdict.measurable, small.verdict.measurable) == (True, False)
    assert small.verdict.title.endswith(", not measurable")
    assert "the 0.09 pp an A/B test can detect (2 arms x 1M/week, 2 weeks)" in small.verdict.text


def test_measurable_uses_std_for_a_continuous_kpi() -> None:
    """Revenue per user, sd $20, 50,000 users a week over 2 weeks: 50,000 a arm;
    MDE = 2.801585 x 20 x sqrt(2 / 50,000) = $0.35437. +$0.5 is measurable, +$0.2 is not."""
    kpi = BusinessMetric("rpu", "USD", "higher", std=20.0, traffic_per_week=50_000)
    link = Link("auc", "rpu", params={"elasticity": 10.0})
    reg = registry(link, metrics=(kpi,))
    mde = z_sum() * 20 * math.sqrt(2 / 50_000)
    assert mde == pytest.approx(0.35437, abs=1e-5)
    above = estimate(reg, {"auc": 0.85}, {"auc": 0.80}, target="rpu")
    below = estimate(reg, {"auc": 0.82}, {"auc": 0.80}, target="rpu")
    assert above.verdict is not None
    assert below.verdict is not None
    assert above.verdict.mde == pytest.approx(mde, rel=1e-9)
    assert (above.verdict.measurable, below.verdict.measurable) == (True, False)


# =========================================================================== property: ranges


@st.composite
def linear_setups(draw: st.DrawFn) -> tuple[Registry, dict[str, float], dict[str, float]]:
    """1-3 linear links to a KPI with random elasticities, intervals and ML deltas, an
    optional chained KPI, and value_per_unit at the end of the chain (or nowhere)."""
    finite = {"allow_nan": False, "allow_infinity": False}
    n = draw(st.integers(1, 3))
    links, run_metrics, base = [], {}, {}
    for i in range(n):
        e = draw(st.floats(-10, 10, **finite))
        below, above = draw(st.floats(0, 5, **finite)), draw(st.floats(0, 5, **finite))
        links.append(
            Link(f"m{i}", "kpi", params={"elasticity": e, "interval": (e - below, e + above)})
        )
        base[f"m{i}"] = draw(st.floats(-1, 1, **finite))
        run_metrics[f"m{i}"] = base[f"m{i}"] + draw(st.floats(-1, 1, **finite))
    priced = draw(st.booleans())
    chained = draw(st.booleans())
    metrics = [
        BusinessMetric(
            "kpi", "count", "higher", value_per_unit=5.0 if priced and not chained else None
        )
    ]
    if chained:
        e = draw(st.floats(-3, 3, **finite))
        spread = draw(st.floats(0, 2, **finite))
        links.append(
            Link("kpi", "down", params={"elasticity": e, "interval": (e - spread, e + spread)})
        )
        metrics.append(
            BusinessMetric(
                "down", "count", "higher", baseline=2.0, value_per_unit=3.0 if priced else None
            )
        )
    return registry(*links, metrics=tuple(metrics)), run_metrics, base


@settings(max_examples=60, deadline=None)
@given(setup=linear_setups())
def test_every_range_is_ordered(setup: tuple[Registry, dict[str, float], dict[str, float]]) -> None:
    """Every Range estimate() produces has low <= mid <= high."""
    reg, run_metrics, base = setup
    impact = estimate(reg, run_metrics, base, target="kpi")
    ranges = [impact.business_delta, impact.value_per_year, impact.relative_delta]
    ranges += [c.business_delta for c in impact.contributions]
    ranges += [s.delta for s in impact.chain]
    assert impact.business_delta is not None
    for r in ranges:
        assert r is None or ordered(r), r
    assert sum(c.business_delta.mid for c in impact.contributions) == pytest.approx(
        impact.business_delta.mid
    )
