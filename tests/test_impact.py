"""The linear impact estimate, checked against numbers worked by hand."""

from __future__ import annotations

import pytest

from bizml_nb.core.registry import BusinessMetric, Link, Registry
from bizml_nb.impact import Range, estimate

TAKE_RATE = BusinessMetric(
    "take_rate", "ratio", "higher", baseline=0.112, target=0.120, value_per_unit=2.5e9
)
NDCG = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.20, 0.50)})
LATENCY = Link(
    "latency_ms", "take_rate", params={"elasticity": -1e-4, "interval": (-1.5e-4, -0.5e-4)}
)


def registry(*links: Link, metric: BusinessMetric = TAKE_RATE) -> Registry:
    return Registry(metrics={metric.name: metric}, links=links)


def test_linear_link_scales_the_ml_delta() -> None:
    """+0.0125 NDCG x 0.35 [0.20, 0.50] = +0.004375 [0.0025, 0.00625] take-rate."""
    impact = estimate(registry(NDCG), {"ndcg@10": 0.4125}, {"ndcg@10": 0.4}, target="take_rate")
    delta = impact.business_delta
    assert delta is not None
    assert (delta.low, delta.mid, delta.high) == pytest.approx((0.0025, 0.004375, 0.00625))


def test_value_per_year_is_delta_times_value_per_unit() -> None:
    """0.004375 x $2.5e9 = $10,937,500 a year, [$6.25M, $15.625M]."""
    impact = estimate(registry(NDCG), {"ndcg@10": 0.4125}, {"ndcg@10": 0.4}, target="take_rate")
    value = impact.value_per_year
    assert value is not None
    assert value.to_list() == pytest.approx([6_250_000, 10_937_500, 15_625_000])


def test_relative_change_and_progress_to_target() -> None:
    """0.004375 / 0.112 = 3.90625% relative; 0.004375 / (0.120 - 0.112) = 54.6875% of the gap."""
    impact = estimate(registry(NDCG), {"ndcg@10": 0.4125}, {"ndcg@10": 0.4}, target="take_rate")
    assert impact.relative_delta is not None
    assert impact.relative_delta.mid == pytest.approx(0.0390625)
    assert impact.progress == pytest.approx(0.546875)


def test_negative_ml_delta_swaps_the_interval_ends() -> None:
    """-0.01 NDCG gives -0.0035 with the range [-0.005, -0.002] (low stays below high)."""
    impact = estimate(registry(NDCG), {"ndcg@10": 0.39}, {"ndcg@10": 0.40}, target="take_rate")
    delta = impact.business_delta
    assert delta is not None
    assert delta.to_list() == pytest.approx([-0.005, -0.0035, -0.002])
    assert delta.low <= delta.mid <= delta.high


def test_several_links_add_with_each_contribution_kept() -> None:
    """NDCG +0.0125 and latency +26 ms: mid 0.004375 - 0.0026 = 0.001775; ranges combine.

    Both intervals are symmetric, so each contribution is normal with sd = half-width / z90:
    0.15 * 0.0125 / 1.6449 = 0.0011399 and 0.5e-4 * 26 / 1.6449 = 0.00079031. Independent
    normals add in quadrature: sd 0.0013871, so the 90% range is 0.001775 -+ 0.0022816.
    """
    impact = estimate(
        registry(NDCG, LATENCY),
        {"ndcg@10": 0.4125, "latency_ms": 38.0},
        {"ndcg@10": 0.4, "latency_ms": 12.0},
        target="take_rate",
    )
    assert [c.link.ml_metric for c in impact.contributions] == ["ndcg@10", "latency_ms"]
    latency = impact.contributions[1].business_delta
    assert latency.to_list() == pytest.approx([-0.0039, -0.0026, -0.0013])
    total = impact.business_delta
    assert total is not None
    assert total.mid == pytest.approx(0.001775)
    assert total.low == pytest.approx(0.001775 - 0.0022816, abs=4e-5)
    assert total.high == pytest.approx(0.001775 + 0.0022816, abs=4e-5)
    # narrower than adding the ends, which assumes both links err the same way at once
    assert total.low > -0.0014
    assert total.high < 0.00495


def test_lower_is_better_kpi_earns_money_when_it_falls() -> None:
    """Churn -0.002 at -$5e8 per unit is worth +$1M a year."""
    churn = BusinessMetric("churn", "ratio", "lower", baseline=0.05, value_per_unit=-5e8)
    link = Link("recall", "churn", params={"elasticity": -0.2})
    impact = estimate(
        registry(link, metric=churn), {"recall": 0.81}, {"recall": 0.80}, target="churn"
    )
    assert impact.business_delta is not None
    assert impact.business_delta.mid == pytest.approx(-0.002)
    assert impact.value_per_year is not None
    assert impact.value_per_year.mid == pytest.approx(1_000_000)


def test_ml_baseline_is_the_reference_without_a_baseline_run() -> None:
    """With no baseline run, the link's declared ml_baseline is the reference."""
    link = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "ml_baseline": 0.38})
    impact = estimate(registry(link), {"ndcg@10": 0.40}, None, target="take_rate")
    (contribution,) = impact.contributions
    assert contribution.reference_from == "ml_baseline"
    assert contribution.ml_delta == pytest.approx(0.02)
    assert impact.business_delta is not None
    assert impact.business_delta.mid == pytest.approx(0.007)


def test_no_reference_leaves_a_note_instead_of_a_number() -> None:
    """With neither a baseline run nor ml_baseline, no number is invented; a note says why."""
    impact = estimate(registry(NDCG), {"ndcg@10": 0.40}, None, target="take_rate")
    assert impact.business_delta is None
    assert impact.value_per_year is None
    assert "take_rate has no baseline run" in impact.notes[0]


def test_unlogged_ml_metric_is_noted() -> None:
    """A link whose ML metric the run did not log contributes nothing and says so."""
    impact = estimate(
        registry(NDCG, LATENCY), {"ndcg@10": 0.41}, {"ndcg@10": 0.4}, target="take_rate"
    )
    assert len(impact.contributions) == 1
    assert impact.notes == ("latency_ms -> take_rate: latency_ms was not logged",)


def test_no_link_at_all_says_how_to_declare_one() -> None:
    """A KPI with no link gives a note with the command that declares one."""
    impact = estimate(registry(), {"auc": 0.9}, None, target="take_rate")
    assert "%bizml link ML_METRIC take_rate" in impact.notes[0]


def test_unpriced_kpi_has_a_change_but_no_money() -> None:
    """Without value_per_unit the KPI change is known and the yearly value is not."""
    kpi = BusinessMetric("take_rate", "ratio", "higher", baseline=0.112)
    impact = estimate(
        registry(NDCG, metric=kpi), {"ndcg@10": 0.41}, {"ndcg@10": 0.4}, target="take_rate"
    )
    assert impact.business_delta is not None
    assert impact.value_per_year is None


def test_zero_kpi_baseline_has_no_relative_change() -> None:
    """A KPI whose baseline is 0 has no relative change (no division by zero)."""
    kpi = BusinessMetric("incidents", "count", "lower", baseline=0.0, value_per_unit=-1000)
    link = Link("recall", "incidents", params={"elasticity": -10})
    impact = estimate(
        registry(link, metric=kpi), {"recall": 0.9}, {"recall": 0.8}, target="incidents"
    )
    assert impact.relative_delta is None
    assert impact.value_per_year is not None
    assert impact.value_per_year.mid == pytest.approx(1000.0)


def test_range_scaled_by_negative_factor_stays_ordered() -> None:
    """Scaling a range by a negative number keeps low <= mid <= high."""
    scaled = Range(1.0, 2.0, 4.0).scaled(-2)
    assert scaled.to_list() == [-8.0, -4.0, -2.0]
