"""monitor/decision.py: retrain, investigate or no action, from the figures of a check."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from bizml_nb.interfaces.datasets import classifier_drift
from bizml_nb.monitor import MonitorResult, Reference
from bizml_nb.monitor.constants import MonitorError
from bizml_nb.monitor.decision import (
    INVESTIGATE,
    NO_ACTION,
    RETRAIN,
    Decision,
    choose,
    decide,
)

PRICING = {"value_matrix": [[0.0, -20.0], [-100.0, 60.0]], "cases_per_year": 1e6}


def _decision(**changes: object) -> Decision:
    """A decision with no drift and no change; ``changes`` set the figures a test is about."""
    base = Decision(
        action=NO_ACTION,
        reason="",
        chunks=tuple(f"c{i}" for i in range(8)),
        recent=2,
        sustained_at=2,
        alerts_per_column={"x0": 0, "x1": 0},
        alerted_chunks=(),
        estimated_change=0.0,
        estimated_change_se=1_000.0,
        estimated_accuracy=0.8,
        estimated_accuracy_se=0.01,
        reference_accuracy=0.8,
        reference_per_year=5e6,
        realised_accuracy=None,
        realised_change=None,
        labels_used=False,
        currency="USD",
        cases_per_year=1e6,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_loss_beyond_three_standard_errors_means_retrain() -> None:
    """-3,001 with an SE of 1,000 is a loss (below -3 SE); -2,999 is within the error."""
    assert choose(_decision(estimated_change=-3_001.0)) == (
        RETRAIN,
        "the label-free estimate shows a loss of value",
    )
    assert choose(_decision(estimated_change=-2_999.0))[0] == NO_ACTION


def test_labels_given_with_the_data_decide_but_held_back_ones_do_not() -> None:
    shown = _decision(realised_change=-10.0, realised_accuracy=0.7, labels_used=True)
    assert choose(shown) == (RETRAIN, "the labels show a loss of value")
    held_back = replace(shown, labels_used=False)
    assert choose(held_back)[0] == NO_ACTION
    assert held_back.missed is False  # -10 is above 0 - 3 x 1,000: within the error
    assert replace(held_back, realised_change=-3_001.0).missed is True
    assert _decision().missed is None  # no labels: not known


def test_recurring_alerts_mean_investigate_and_isolated_ones_do_not() -> None:
    recurring = _decision(alerts_per_column={"x0": 2, "x1": 1})
    assert recurring.sustained == ("x0",)
    assert recurring.isolated == ("x1",)
    assert choose(recurring) == (
        INVESTIGATE,
        "inputs or predictions drift, but no loss of value is estimated",
    )
    assert choose(_decision(alerts_per_column={"x0": 1, "x1": 1})) == (
        NO_ACTION,
        "no sustained drift and no estimated loss of value",
    )


@pytest.fixture(scope="module")
def covariate() -> tuple[MonitorResult, MonitorResult]:
    data = classifier_drift(5_000, 10_000, drift="covariate", seed=2)
    features = ["x0", "x1", "x2", "x3", "x4", "x5", "segment"]
    reference = Reference.fit(
        data.reference, features=features, proba="proba", target="target", prediction="prediction"
    )
    blind = reference.check(data.analysis.drop(columns=["target"]), chunk_size=1_000, value=PRICING)
    truth = reference.check(data.analysis, chunk_size=1_000, value=PRICING)
    return blind, truth


def test_the_figures_are_the_latest_quarter_of_the_chunks(
    covariate: tuple[MonitorResult, MonitorResult],
) -> None:
    """10 chunks: the latest 2 (10 // 4); sustained from ceil(0.15 x 10) = 2 chunks."""
    blind, truth = covariate
    d = decide(blind, truth)
    assert d.recent == 2
    assert d.sustained_at == 2
    value = blind.value
    assert value is not None
    per_prediction = value.per_prediction[-2:].mean() - value.reference_per_prediction
    assert d.estimated_change == pytest.approx(per_prediction * 1e6)
    errors = value.sampling_error[-2:]
    assert d.estimated_change_se == pytest.approx(math.sqrt((errors**2).sum()) / 2 * 1e6)
    accuracy = blind.performance["accuracy"]
    assert d.estimated_accuracy == pytest.approx(accuracy.estimate[-2:].mean())
    assert d.reference_per_year == pytest.approx(value.reference_per_prediction * 1e6)
    assert d.realised_accuracy == pytest.approx(
        np.nanmean(truth.performance["accuracy"].realised[-2:])
    )
    alerts = blind.drift["jensen_shannon"].alerts
    assert d.alerts_per_column == {
        c: int(n) for c, n in zip(blind.columns, alerts.sum(axis=0), strict=True)
    }
    assert d.alerted_chunks == tuple(
        c for c, hit in zip(blind.chunks, alerts.any(axis=1), strict=True) if hit
    )
    assert {"x0", "x1"} <= set(d.sustained)
    assert d.action == INVESTIGATE
    assert d.missed is False


def test_a_check_without_values_cannot_decide() -> None:
    data = classifier_drift(2_000, 2_000, n_features=2, seed=1)
    reference = Reference.fit(data.reference, features=["x0", "x1"], proba="proba", target="target")
    with pytest.raises(MonitorError, match="a decision needs the value of each outcome"):
        decide(reference.check(data.analysis, chunk_size=500))


def test_a_chunk_without_an_estimate_is_left_out_of_the_mean_and_its_error() -> None:
    """Two chunks with estimates 0.8 (SE 0.03) and 0.6 (SE 0.04), one with none: the mean
    is 0.7 and its SE sqrt(0.03^2 + 0.04^2) / 2 = 0.025, not / 3; an unknown SE among the
    chunks averaged makes the SE unknown, not smaller."""
    import math

    import numpy as np

    from bizml_nb.monitor.decision import _mean_and_se

    mean, se = _mean_and_se(np.array([0.8, np.nan, 0.6]), np.array([0.03, np.nan, 0.04]))
    assert mean == pytest.approx(0.7)
    assert se == pytest.approx(0.025)
    mean, se = _mean_and_se(np.array([0.8, 0.6]), np.array([0.03, np.nan]))
    assert mean == pytest.approx(0.7)
    assert math.isnan(se)
    assert all(math.isnan(v) for v in _mean_and_se(np.array([np.nan]), None))
