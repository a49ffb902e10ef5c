"""impact.for_run: the one way from a ledger run to its Impact, and Project.impact.

Numbers by hand: NDCG -> take-rate at elasticity 0.35 [0.20, 0.50], $2.5e9 a year per
unit of take-rate. NDCG 0.4125 against a baseline run at 0.40 is +0.0125, so take-rate
moves 0.0125 x [0.20, 0.35, 0.50] = [0.0025, 0.004375, 0.00625], worth
[$6.25M, $10.9375M, $15.625M] a year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import bizml_nb
from bizml_nb.core.ledger import Run
from bizml_nb.core.registry import BusinessMetric, Link, Registry
from bizml_nb.impact import Impact, VerdictLabel, for_run

if TYPE_CHECKING:
    from pathlib import Path

TAKE_RATE = BusinessMetric("take_rate", "ratio", "higher", baseline=0.112, value_per_unit=2.5e9)
NDCG = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.20, 0.50)})
REGISTRY = Registry(
    metrics={"take_rate": TAKE_RATE},
    links=(NDCG,),
    min_annual_value=1e6,
    compute_cost_per_hour=3.0,
    eng_cost_per_hour=100.0,
)
STARTED = "2026-01-01T00:00:00.000Z"
BASE = Run("base", "base", "take_rate", STARTED, is_baseline=True, metrics={"ndcg@10": 0.40})
CANDIDATE = Run(
    "cand",
    "candidate",
    "take_rate",
    STARTED,
    metrics={"ndcg@10": 0.4125},
    duration_s=1800.0,
    eng_hours=4.0,
)


def test_a_run_against_its_baseline_run() -> None:
    impact = for_run(CANDIDATE, REGISTRY, BASE)
    assert isinstance(impact, Impact)
    assert not impact.is_baseline
    assert impact.business_delta is not None
    assert impact.business_delta.to_list() == pytest.approx([0.0025, 0.004375, 0.00625])
    assert impact.value_per_year is not None
    assert impact.value_per_year.to_list() == pytest.approx([6.25e6, 10.9375e6, 15.625e6])
    assert impact.label is VerdictLabel.MATERIAL  # low $6.25M > 0, mid > the $1M bar


def test_the_cost_comes_from_the_runs_duration_and_engineering_hours() -> None:
    """1,800 s at $3/h = $1.50 of compute; 4 h at $100/h = $400 of engineering."""
    impact = for_run(CANDIDATE, REGISTRY, BASE)
    assert impact is not None
    assert impact.cost is not None
    assert impact.cost.compute == pytest.approx(1.5)
    assert impact.cost.engineering == pytest.approx(400.0)
    assert impact.cost.total == pytest.approx(401.5)


def test_the_baseline_run_itself_is_the_baseline() -> None:
    impact = for_run(BASE, REGISTRY, BASE)
    assert impact is not None
    assert impact.is_baseline
    assert impact.business_delta is None
    assert impact.verdict is None


def test_a_run_recorded_as_baseline_is_one_only_while_its_kpi_has_no_baseline_run() -> None:
    flagged = Run("old", "old base", "take_rate", STARTED, is_baseline=True,
                  metrics={"ndcg@10": 0.41})  # fmt: skip
    alone = for_run(flagged, REGISTRY, None)
    assert alone is not None
    assert alone.is_baseline
    against = for_run(flagged, REGISTRY, BASE)  # another run is now the baseline
    assert against is not None
    assert not against.is_baseline
    assert against.business_delta is not None
    assert against.business_delta.mid == pytest.approx(0.01 * 0.35)


def test_without_a_baseline_run_a_link_with_no_reference_leaves_a_note() -> None:
    impact = for_run(CANDIDATE, REGISTRY, None)
    assert impact is not None
    assert impact.business_delta is None
    assert impact.verdict is None
    assert impact.notes == (
        "ndcg@10 -> take_rate: no reference value (take_rate has no baseline run); mark a run "
        "with --baseline or declare the link's --ml-baseline",
    )


def test_a_failed_run_or_an_undeclared_kpi_has_no_impact() -> None:
    failed = Run("f", "f", "take_rate", STARTED, status="failed", metrics={"ndcg@10": 0.5})
    assert for_run(failed, REGISTRY, BASE) is None
    gone = Run("g", "g", "retention", STARTED, metrics={"ndcg@10": 0.5})
    assert for_run(gone, REGISTRY, BASE) is None


def test_project_impact_uses_the_ledgers_baseline(project_dir: Path) -> None:
    """Project.impact(run) is for_run against the KPI's current baseline run."""
    bizml_nb.init("p", currency="USD")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", value_per_unit=2.5e9)
    bizml_nb.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5))
    with bizml_nb.experiment("base", target="take_rate", baseline=True) as base:
        base.log({"ndcg@10": 0.40})
    with bizml_nb.experiment("cand", target="take_rate") as cand:
        cand.log({"ndcg@10": 0.4125})
    project = bizml_nb.project()
    impact = project.impact("cand")
    assert impact is not None
    assert impact.value_per_year is not None
    assert impact.value_per_year.mid == pytest.approx(10.9375e6)
    assert cand.record is not None
    assert project.impact(cand.record) == impact
    baseline = project.impact("base")
    assert baseline is not None
    assert baseline.is_baseline
