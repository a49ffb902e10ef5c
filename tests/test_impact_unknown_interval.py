"""A link whose 90% interval is unknown never gives a zero-width range or a firm verdict.

The audit's case: a link fitted from two past A/B results (ndcg@10 -> take_rate, slope
0.103, grade none) stored no interval, fell back to the point elasticity, and a run with
NDCG +0.01 was called ``material`` at +$5.15M/yr [+$5.15M, +$5.15M]
(0.01 x 0.103 = 0.00103 of take-rate, x $5e9 a unit = $5.15M a year).

Now an unknown interval (none declared, or a fit from too few points) is read as a
stand-in from no effect to twice the estimate, [0, 2e]: the same run is worth
[$0, $5.15M, $10.3M], its verdict is ``uncertain`` with
``VerdictReason.INTERVAL_UNKNOWN`` and words that name the link, and ``roi(run=...)``
refuses its value as a benefit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from scipy import stats

from bizml_nb.core.errors import BizmlError
from bizml_nb.core.ledger import Run
from bizml_nb.core.registry import BusinessMetric, Link, Registry
from bizml_nb.impact import Impact, VerdictLabel, VerdictReason, for_run
from bizml_nb.impact.engine import estimate, links_with_unknown_interval
from bizml_nb.impact.links import elasticity_interval, interval_unknown

if TYPE_CHECKING:
    from pathlib import Path

PRICED = BusinessMetric("take_rate", "ratio", "higher", baseline=0.112, value_per_unit=5e9)
UNPRICED = BusinessMetric("take_rate", "ratio", "higher", baseline=0.112)
FITTED_FROM_TWO = Link(
    "ndcg@10", "take_rate", kind="fitted", params={"elasticity": 0.103, "n": 2, "grade": "none"}
)
LINEAR_WITHOUT_INTERVAL = Link("ndcg@10", "take_rate", params={"elasticity": 0.103})
DECLARED = Link("ndcg@10", "take_rate", params={"elasticity": 0.103, "interval": (0.08, 0.13)})
BASE = Run("base", "base", "take_rate", "2026-01-01T00:00:00.000Z", is_baseline=True,
           metrics={"ndcg@10": 0.40})  # fmt: skip


def impact_of(link: Link, ndcg: float = 0.41, *, kpi: BusinessMetric = PRICED) -> Impact:
    registry = Registry(metrics={kpi.name: kpi}, links=(link,), min_annual_value=1e6)
    run = Run("cand", "cand", "take_rate", "2026-01-02T00:00:00.000Z", metrics={"ndcg@10": ndcg})
    impact = for_run(run, registry, BASE)
    assert impact is not None
    return impact


@pytest.mark.parametrize(
    "link", [FITTED_FROM_TWO, LINEAR_WITHOUT_INTERVAL], ids=["fitted", "linear"]
)
def test_the_audits_run_is_uncertain_with_a_range_not_a_point(link: Link) -> None:
    """Old: material, +$5.15M/yr [+$5.15M, +$5.15M]. Now: uncertain, [$0, $5.15M, $10.3M]."""
    impact = impact_of(link)
    assert impact.business_delta is not None
    assert impact.business_delta.to_list() == pytest.approx([0.0, 0.00103, 0.00206])
    assert impact.value_per_year is not None
    assert impact.value_per_year.to_list() == pytest.approx([0.0, 5.15e6, 10.3e6])
    assert impact.verdict is not None
    assert impact.verdict.label is VerdictLabel.UNCERTAIN
    assert impact.verdict.reason is VerdictReason.INTERVAL_UNKNOWN
    text = impact.verdict.text
    assert text.startswith("uncertain: ")
    assert "the 90% interval of ndcg@10 -> take_rate is unknown" in text
    assert "stand-in" in text
    assert "+$5.15M, +$5.15M" not in text


def test_a_declared_interval_still_decides_as_before() -> None:
    """0.01 x [0.08, 0.103, 0.13] x $5e9 = [$4M, $5.15M, $6.5M]: all gain, mid over $1M."""
    impact = impact_of(DECLARED)
    assert impact.value_per_year is not None
    assert impact.value_per_year.to_list() == pytest.approx([4e6, 5.15e6, 6.5e6])
    assert impact.verdict is not None
    assert impact.verdict.label is VerdictLabel.MATERIAL
    assert links_with_unknown_interval(Registry(metrics={"take_rate": PRICED}), impact) == ()


def test_a_loss_on_an_unknown_interval_is_uncertain_too() -> None:
    """NDCG -0.01: [-$10.3M, -$5.15M, $0]. Old: harmful on a point; the loss is not known."""
    impact = impact_of(LINEAR_WITHOUT_INTERVAL, 0.39)
    assert impact.value_per_year is not None
    assert impact.value_per_year.to_list() == pytest.approx([-10.3e6, -5.15e6, 0.0])
    assert impact.verdict is not None
    assert impact.verdict.label is VerdictLabel.UNCERTAIN
    assert impact.verdict.reason is VerdictReason.INTERVAL_UNKNOWN


def test_unpriced_kpi_says_the_interval_is_unknown() -> None:
    impact = impact_of(FITTED_FROM_TWO, kpi=UNPRICED)
    assert impact.verdict is not None
    assert impact.verdict.label is VerdictLabel.UNCERTAIN
    assert impact.verdict.reason is VerdictReason.INTERVAL_UNKNOWN
    assert "ndcg@10 -> take_rate is unknown" in impact.verdict.text


def test_an_unmoved_ml_metric_does_not_rest_on_the_interval() -> None:
    """NDCG unchanged: the change is exactly 0 whatever the elasticity; below the $1M bar."""
    impact = impact_of(LINEAR_WITHOUT_INTERVAL, 0.40)
    assert impact.verdict is not None
    assert impact.verdict.reason is VerdictReason.BELOW_BAR


def test_which_links_have_an_unknown_interval() -> None:
    assert interval_unknown(FITTED_FROM_TWO)
    assert interval_unknown(LINEAR_WITHOUT_INTERVAL)
    assert not interval_unknown(DECLARED)
    explicit_point = Link("a", "k", params={"elasticity": 2.0, "interval": (2.0, 2.0)})
    assert not interval_unknown(explicit_point)  # declared exact on purpose
    assert elasticity_interval(LINEAR_WITHOUT_INTERVAL) == pytest.approx((0.0, 0.206))
    assert elasticity_interval(Link("a", "k", params={"elasticity": -3.0})) == (-6.0, 0.0)
    assert elasticity_interval(DECLARED) == (0.08, 0.13)


def chain_registry(below: Link, *, money_at: str) -> Registry:
    metrics = {
        "A": BusinessMetric(
            "A", "count", "higher", value_per_unit=10.0 if money_at == "A" else None
        ),
        "B": BusinessMetric(
            "B", "count", "higher", value_per_unit=10.0 if money_at == "B" else None
        ),
    }
    top = Link("x", "A", params={"elasticity": 1.0, "interval": (0.8, 1.2)})
    return Registry(metrics=metrics, links=(top, below))


def test_a_chain_link_with_an_unknown_interval_makes_the_priced_value_uncertain() -> None:
    """x -> A 1.0 [0.8, 1.2], A -> B 2.0 with no interval, money at B ($10 a unit).

    x +1: B +2, $20 mid. The A -> B draws are a two-piece normal with 5% below 0 and 5%
    above 4 (the stand-in), so B's range is wide and not a point; the verdict names A -> B.
    """
    below = Link("A", "B", params={"elasticity": 2.0})
    registry = chain_registry(below, money_at="B")
    impact = estimate(registry, {"x": 1.0}, {"x": 0.0}, target="A")
    (step,) = impact.chain
    assert step.delta.mid == pytest.approx(2.0)
    assert step.delta.high - step.delta.low > 3.0  # about [0.05, 4.0]: far from a point
    assert impact.verdict is not None
    assert impact.verdict.reason is VerdictReason.INTERVAL_UNKNOWN
    assert "A -> B" in impact.verdict.text
    assert links_with_unknown_interval(registry, impact) == (below,)


def test_an_unknown_link_below_the_money_does_not_touch_the_verdict() -> None:
    """Money at A: A -> B (unknown) moves only an unpriced KPI below; x -> A is known.

    x +1: A +1 [0.8, 1.2] worth $10 [$8, $12]: all gain, over a bar of 0: material.
    """
    registry = chain_registry(Link("A", "B", params={"elasticity": 2.0}), money_at="A")
    impact = estimate(registry, {"x": 1.0}, {"x": 0.0}, target="A")
    assert impact.verdict is not None
    assert impact.verdict.label is VerdictLabel.MATERIAL


def test_the_stand_in_draws_have_their_ends_at_0_and_2e() -> None:
    """Sampled ranges (several links) use the stand-in too: a second, declared link with a
    zero ML change adds 0, so the total is the unknown link's 20,000 draws x 0.01.
    Their 5th and 95th percentiles are 0 and 0.00206 (scipy: norm.ppf(0.05) = -1.645)."""
    other = Link("auc", "take_rate", params={"elasticity": 1.0, "interval": (0.5, 1.5)})
    registry = Registry(metrics={"take_rate": PRICED}, links=(LINEAR_WITHOUT_INTERVAL, other))
    impact = estimate(
        registry, {"ndcg@10": 0.41, "auc": 0.9}, {"ndcg@10": 0.40, "auc": 0.9}, target="take_rate"
    )
    assert impact.business_delta is not None
    sd = 0.00103 / stats.norm.ppf(0.95)
    assert impact.business_delta.low == pytest.approx(0.0, abs=0.05 * sd)
    assert impact.business_delta.high == pytest.approx(0.00206, abs=0.05 * sd)
    assert np.isfinite(impact.business_delta.to_list()).all()


@pytest.fixture
def shop(project_dir: Path) -> Path:
    """A project with a fitted link stored without an interval, as two rows once made it."""
    import bizml_nb

    bizml_nb.init("shop")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", value_per_unit=5e9)
    with (project_dir / "bizml.toml").open("a") as toml:
        toml.write(
            '\n[[links]]\nml_metric = "ndcg@10"\nbusiness_metric = "take_rate"\n'
            'kind = "fitted"\nelasticity = 0.103\nn = 2\ngrade = "none"\n'
        )
    with bizml_nb.experiment("base", target="take_rate", baseline=True) as base:
        base.log({"ndcg@10": 0.40})
    with bizml_nb.experiment("better", target="take_rate") as better:
        better.log({"ndcg@10": 0.41})
    return project_dir


def test_roi_refuses_a_value_whose_interval_is_unknown(shop: Path) -> None:
    """Old: a triangular benefit of zero width, i.e. a certain +$5.15M a year."""
    import bizml_nb
    from bizml_nb.present.roi_card import roi

    with pytest.raises(BizmlError) as info:
        roi(bizml_nb.project(), run="better", draws=1_000)
    message = str(info.value)
    assert "the 90% interval of ndcg@10 -> take_rate is unknown" in message
    assert "--annual-benefit" in message


def test_roi_magic_refuses_it_as_one_message(shop: Path, ip: object) -> None:
    from IPython.core.error import UsageError

    with pytest.raises(UsageError) as info:
        ip.run_line_magic("bizml", "roi --run better")  # type: ignore[attr-defined]
    assert "ndcg@10 -> take_rate is unknown" in str(info.value)


def test_the_registry_the_tree_and_the_audit_never_show_an_unknown_interval_as_a_point(
    shop: Path,
) -> None:
    """The audit once printed `90% interval [0.103, 0.103]` for this link."""
    import bizml_nb
    from bizml_nb.present.cards import RegistryView
    from bizml_nb.present.charts import audit
    from bizml_nb.present.views import tree

    project = bizml_nb.project()
    listed = RegistryView(project.registry).text()
    assert "fitted: elasticity 0.103 (interval unknown) take_rate per +1 ndcg@10" in listed
    assert "[0.103, 0.103]" not in listed
    assert "fitted 0.103 (interval unknown)" in tree(project)
    evidence = audit(project, "ndcg@10", "take_rate").text()
    assert "elasticity 0.103, 90% interval unknown, n=2" in evidence
    assert "[0.103, 0.103]" not in evidence


def test_a_hand_declared_elasticity_without_interval_says_so_in_the_audit(
    project_dir: Path,
) -> None:
    import bizml_nb
    from bizml_nb.present.charts import audit

    bizml_nb.init("hand")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", value_per_unit=5e9)
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.3)
    evidence = audit(bizml_nb.project(), "ndcg@10", "take_rate").text()
    assert "declared by hand with no interval" in evidence
    assert "--interval LOW HIGH" in evidence
