"""Every range names its level; money ranges are 90% everywhere unless chosen otherwise.

The figures are worked out here by hand (z values from ``statistics.NormalDist``), not
read back from the code under test.
"""

from __future__ import annotations

import math
import re
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np
import pytest

from bizml_nb.core import units
from bizml_nb.core.ledger import Run
from bizml_nb.core.registry import BusinessMetric, Link, Registry
from bizml_nb.impact import for_run
from bizml_nb.interfaces.datasets import classifier_drift
from bizml_nb.monitor import MonitorResult, Reference
from bizml_nb.present.cards import Card
from bizml_nb.present.views import runs_table

if TYPE_CHECKING:
    from pathlib import Path

Z90 = NormalDist().inv_cdf(0.95)  # 1.6449: mid +- Z90 SE is a 90% range
STARTED = "2026-01-01T00:00:00.000Z"
TAKE_RATE = BusinessMetric(
    "take_rate",
    "ratio",
    "higher",
    baseline=0.112,
    value_per_unit=2.5e9,
    traffic_per_week=2e6,
)
NDCG = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.20, 0.50)})
REGISTRY = Registry(name="r", metrics={"take_rate": TAKE_RATE}, links=(NDCG,), min_annual_value=1e6)
BASE = Run("base", "base", "take_rate", STARTED, is_baseline=True, metrics={"ndcg@10": 0.40})
BETTER = Run("b", "better", "take_rate", STARTED, metrics={"ndcg@10": 0.41})


# --------------------------------------------------------------------------- wording


def test_a_money_range_names_its_level_and_a_chosen_level_is_said() -> None:
    assert units.money_range(5e6, 8.75e6, 12.5e6, "USD", per="/yr") == (
        "+$8.75M/yr [+$5M, +$12.5M] (90%)"
    )
    assert units.money_range(-1e3, 2e3, 4e3, "EUR", level=0.997) == "+€2k [-€1k, +€4k] (99.7%)"
    assert units.money_range(1, 2, 3, "USD", level=None) == "+$2 [+$1, +$3]"
    assert units.kpi_interval(0.0025, 0.0062, "ratio") == "[+0.25, +0.62] (90%)"
    assert units.kpi_interval(-3.0, -1.0, "ms", level=0.8) == "[-3.00, -1.00] (80%)"


@pytest.mark.parametrize("level", [0.0, 1.0, -0.1, 90.0, float("nan")])
def test_a_level_outside_zero_and_one_is_refused(level: float) -> None:
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        units.money_range(1, 2, 3, "USD", level=level)


def test_the_z_of_a_90_percent_range() -> None:
    assert pytest.approx(Z90, abs=1e-15) == units.Z90
    assert units.RANGE_LEVEL == 0.90


def test_every_range_on_an_experiment_card_names_its_level() -> None:
    """No bracketed range without ``(90%)`` after it, or a row that names it once for all."""
    text = Card.build(BETTER, REGISTRY, BASE).text()
    for line in text.splitlines()[1:]:  # the title's [ok] is a badge, not a range
        ranges = re.findall(r"\[[^\]]*\][^\[]*", line)
        if not ranges:
            continue
        assert "(90% ranges;" in line or all(" (90%)" in r[:40] for r in ranges), line
    # +0.01 NDCG x [0.2, 0.5] x $2.5e9: $5M to $12.5M a year, the 90% range
    assert "Value       about +$8.75M/yr [+$5M, +$12.5M] (90%)" in text


def test_the_card_says_what_test_the_mde_assumes() -> None:
    """traffic_per_week is over both arms: 2M a week is 2 arms x 1M a week."""
    impact = for_run(BETTER, REGISTRY, BASE)
    assert impact is not None
    assert impact.verdict is not None
    n_per_arm = 2e6 * 2 / 2  # two weeks of 2M a week, half to each arm
    z = NormalDist().inv_cdf(0.975) + NormalDist().inv_cdf(0.8)
    mde = z * math.sqrt(2 * 0.112 * 0.888 / n_per_arm)
    assert impact.verdict.mde == pytest.approx(mde, rel=1e-12)
    assert f"the {mde * 100:.2f} pp an A/B test can detect (2 arms x 1M/week, 2 weeks)" in (
        impact.verdict.text
    )


def test_runs_carry_the_ends_of_the_value_range_beside_the_mid(tmp_path: Path) -> None:
    from bizml_nb.projects.project import Project

    project = Project.at(tmp_path)
    project.init("levels", currency="USD", min_annual_value=1e6)
    project.metric("take_rate", unit="ratio", direction="higher", value_per_unit=2.5e9)
    project.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5))
    project.ledger.record(BASE)
    project.ledger.record(BETTER)
    table = runs_table(project).set_index("name")  # %bizml runs, bizml ledger list
    columns = list(table.columns)
    assert columns[-3:] == ["value_per_year", "value_low", "value_high"]
    assert table.loc["better", "value_per_year"] == pytest.approx(8.75e6)
    assert table.loc["better", "value_low"] == pytest.approx(5e6)
    assert table.loc["better", "value_high"] == pytest.approx(12.5e6)
    assert math.isnan(table.loc["base", "value_low"])


# --------------------------------------------------------------------------- the monitor

VALUE_MATRIX = ((0.0, -5.0), (-100.0, 40.0))
CASES = 1_000_000.0


@pytest.fixture(scope="module")
def result() -> MonitorResult:
    data = classifier_drift(4_000, 6_000, n_features=3, drift="covariate", seed=5)
    reference = Reference.fit(
        data.reference,
        features=["x0", "x1", "x2"],
        prediction="prediction",
        proba="proba",
        target="target",
    )
    value = {"value_matrix": VALUE_MATRIX, "cases_per_year": CASES}
    return reference.check(data.analysis, chunks=3, value=value)


def test_the_monitor_money_range_is_90_percent_on_the_card(result: MonitorResult) -> None:
    v = result.value
    assert v is not None
    last = len(result.chunks) - 1
    half = Z90 * v.sampling_error[last] * CASES  # not 3 SE: that is the alert band
    change = v.change_per_year[last]
    expected = units.money_range(change - half, change, change + half, "USD", per="/yr")
    assert expected.endswith("] (90%)")
    value_row = next(text for label, text in result.card().rows() if label == "Value")
    assert f"{expected} vs the reference" in value_row
    estimated = next(text for label, text in result.card().rows() if label == "Estimated")
    assert estimated.endswith("(bands +-3 SE, about 99.7%)")


def test_the_monitor_frame_has_the_90_percent_ends_of_every_money_column(
    result: MonitorResult,
) -> None:
    v = result.value
    assert v is not None
    frame = result.to_frame("value")
    for name, mid, half in (
        ("value_per_prediction", v.per_prediction, Z90 * v.sampling_error),
        ("value_per_year", v.per_year, Z90 * v.sampling_error * CASES),
        ("value_change_per_year", v.change_per_year, Z90 * v.sampling_error * CASES),
    ):
        rows = frame[frame.column == name]
        np.testing.assert_allclose(rows["range_low"], mid - half, rtol=1e-12)
        np.testing.assert_allclose(rows["range_high"], mid + half, rtol=1e-12)
        # the alert band stays +-3 SE, a different thing
        np.testing.assert_allclose(rows["band_high"] - rows["value"], half / Z90 * 3, rtol=1e-12)
    assert result.to_frame("performance")["range_low"].isna().all()


def test_the_monitor_record_gains_the_range_and_keeps_every_field(result: MonitorResult) -> None:
    v = result.value
    assert v is not None
    record = result.record()["value"]
    kept = {"label", "currency", "value_matrix", "cases_per_year", "per_prediction"}
    kept |= {"sampling_error", "per_year", "change_per_year", "reference_per_prediction"}
    assert kept | {"realised_per_prediction"} <= set(record)
    assert record["range_level"] == 0.9
    half = Z90 * v.sampling_error * CASES
    np.testing.assert_allclose(record["change_per_year_low"], v.change_per_year - half, rtol=1e-9)
    np.testing.assert_allclose(record["per_year_high"], v.per_year + half, rtol=1e-9)


def test_a_chosen_level_changes_the_monitor_range() -> None:
    """Value.half_width at another level uses that level's z (99%: 2.5758)."""
    from bizml_nb.monitor.pricing import Pricing, Value

    value = Value(
        pricing=Pricing(VALUE_MATRIX, CASES),
        per_prediction=np.array([1.0]),
        sampling_error=np.array([0.01]),
        reference_per_prediction=0.5,
        realised_per_prediction=np.array([math.nan]),
    )
    assert value.half_width()[0] == pytest.approx(Z90 * 0.01 * CASES)
    z99 = NormalDist().inv_cdf(0.995)
    assert value.half_width(0.99)[0] == pytest.approx(z99 * 0.01 * CASES)
    low, high = value.change_range(0.99)
    assert (low[0], high[0]) == pytest.approx((5e5 - z99 * 1e4, 5e5 + z99 * 1e4))
