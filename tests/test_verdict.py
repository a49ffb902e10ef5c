"""The typed verdict: each label from impact.for_run with numbers worked by hand.

One linear link, NDCG -> take-rate, elasticity 0.35 with the 90% interval [0.20, 0.50],
and take-rate worth $2.5e9 a year per unit (one link and no chain: the range is exact).
A run with NDCG +0.01 over its baseline run moves take-rate by
0.01 x [0.20, 0.35, 0.50] = [0.002, 0.0035, 0.005], worth [$5M, $8.75M, $12.5M] a year.
"""

from __future__ import annotations

import json
import math

import pytest
from scipy import stats

from bizml_nb.core.ledger import Run
from bizml_nb.core.registry import BusinessMetric, Link, Registry
from bizml_nb.impact import (
    Impact,
    Verdict,
    VerdictLabel,
    VerdictReason,
    for_run,
)

NDCG = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.20, 0.50)})
PRICED = BusinessMetric("take_rate", "ratio", "higher", baseline=0.112, value_per_unit=2.5e9)
UNPRICED = BusinessMetric("take_rate", "ratio", "higher", baseline=0.112)
BASE = Run("base", "base", "take_rate", "2026-01-01T00:00:00.000Z", is_baseline=True,
           metrics={"ndcg@10": 0.40})  # fmt: skip


def run(ndcg: float, name: str = "candidate") -> Run:
    return Run("cand", name, "take_rate", "2026-01-02T00:00:00.000Z", metrics={"ndcg@10": ndcg})


def impact_of(
    ndcg: float,
    *,
    kpi: BusinessMetric = PRICED,
    link: Link = NDCG,
    bar: float = 1e6,
) -> Impact:
    registry = Registry(metrics={kpi.name: kpi}, links=(link,), min_annual_value=bar)
    impact = for_run(run(ndcg), registry, BASE)
    assert impact is not None
    return impact


@pytest.mark.parametrize(
    ("ndcg", "bar", "label", "reason"),
    [
        # [$5M, $8.75M, $12.5M]: the low end is above 0 and the mid clears $1M
        (0.41, 1e6, VerdictLabel.MATERIAL, VerdictReason.CLEARS_BAR),
        # the same range with no bar set
        (0.41, 0.0, VerdictLabel.MATERIAL, VerdictReason.GAIN_WITHOUT_BAR),
        # the high end, $12.5M, is below a $20M bar
        (0.41, 20e6, VerdictLabel.NOT_MATERIAL, VerdictReason.BELOW_BAR),
        # a gain throughout, but a $10M bar lies inside [$5M, $12.5M] above the mid
        (0.41, 10e6, VerdictLabel.UNCERTAIN, VerdictReason.SPANS_BAR),
        # NDCG -0.01: [-$12.5M, -$8.75M, -$5M], even the high end loses money
        (0.39, 1e6, VerdictLabel.HARMFUL, VerdictReason.LOSES_MONEY),
    ],
)
def test_each_label_from_a_priced_run(
    ndcg: float, bar: float, label: VerdictLabel, reason: VerdictReason
) -> None:
    impact = impact_of(ndcg, bar=bar)
    value = impact.value_per_year
    assert value is not None
    sign = 1 if ndcg > 0.40 else -1
    expected = sorted(sign * v for v in (5e6, 8.75e6, 12.5e6))
    assert sorted(value.to_list()) == pytest.approx(expected)
    assert impact.verdict is not None
    assert impact.verdict.label is label
    assert impact.verdict.reason is reason
    assert impact.label is label
    assert impact.verdict.text.startswith(f"{label.value}: ")


def test_a_range_straddling_zero_is_uncertain() -> None:
    """Elasticity 0.1 with the interval [-0.2, 0.4]: NDCG +0.01 gives
    0.01 x [-0.2, 0.1, 0.4] x 2.5e9 = [-$5M, +$2.5M, +$10M]: neither harmful (high > 0)
    nor below the $1M bar (high $10M), and its low end is not above zero."""
    wide = Link("ndcg@10", "take_rate", params={"elasticity": 0.1, "interval": (-0.2, 0.4)})
    impact = impact_of(0.41, link=wide)
    assert impact.value_per_year is not None
    assert impact.value_per_year.to_list() == pytest.approx([-5e6, 2.5e6, 10e6])
    assert impact.label is VerdictLabel.UNCERTAIN
    assert impact.verdict is not None
    assert impact.verdict.reason is VerdictReason.SPANS_ZERO


def test_an_unpriced_kpi_is_harmful_only_when_even_its_high_end_goes_the_wrong_way() -> None:
    """Without value_per_unit: NDCG -0.01 moves take-rate by [-0.005, -0.0035, -0.002], all
    down for a higher-is-better KPI (harmful); +0.01 is [+0.002, +0.005], not priced."""
    down = impact_of(0.39, kpi=UNPRICED)
    assert down.value_per_year is None
    assert down.label is VerdictLabel.HARMFUL
    assert down.verdict is not None
    assert down.verdict.reason is VerdictReason.WRONG_WAY
    up = impact_of(0.41, kpi=UNPRICED)
    assert up.label is VerdictLabel.UNCERTAIN
    assert up.verdict is not None
    assert up.verdict.reason is VerdictReason.NOT_PRICED


def test_measurability_is_its_own_field_beside_the_label() -> None:
    """Take-rate at 0.5 with 1,000,000 users a week: a 2-week test has 1e6 per arm and
    detects (z_0.975 + z_0.8) x sqrt(2 x 0.25 / 1e6) = 2.8016 x 7.0711e-4 = 0.0019810.
    NDCG +0.01 moves take-rate 0.0035 (measurable); +0.004 moves it 0.0014 (not)."""
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    mde = z * math.sqrt(2 * 0.5 * 0.5 / 1e6)
    assert mde == pytest.approx(0.0019810, rel=1e-4)
    busy = BusinessMetric(
        "take_rate", "ratio", "higher", baseline=0.5, value_per_unit=2.5e9, traffic_per_week=1e6
    )
    big, small = impact_of(0.41, kpi=busy), impact_of(0.404, kpi=busy)
    assert big.verdict is not None
    assert small.verdict is not None
    assert (big.verdict.measurable, small.verdict.measurable) == (True, False)
    assert big.verdict.mde == pytest.approx(mde, rel=1e-9)
    # 0.004 x 0.35 x 2.5e9 = $3.5M mid with [$2M, $5M]: material and not measurable
    assert small.label is VerdictLabel.MATERIAL
    assert small.verdict.title == "material, not measurable"


def test_the_record_keeps_the_label_as_plain_text() -> None:
    """The label goes into the record as the same JSON string as before the enum."""
    impact = impact_of(0.41, bar=20e6)
    record = impact.to_record()
    assert json.dumps(record["verdict"]["label"]) == '"not material"'
    assert type(record["verdict"]["label"]) is str
    assert list(record["verdict"]) == ["label", "measurable", "mde", "text"]


def test_a_label_is_read_back_from_the_record_field_not_its_text() -> None:
    """VerdictLabel.from_record reads the label field: a text saying "material" does not
    make a "not material" record material."""
    record = impact_of(0.41, bar=20e6).to_record()
    assert VerdictLabel.from_record(record) is VerdictLabel.NOT_MATERIAL
    record["verdict"]["text"] = "material: this text says so"
    assert VerdictLabel.from_record(record) is VerdictLabel.NOT_MATERIAL
    assert VerdictLabel.from_record({**record, "verdict": None}) is None
    assert VerdictLabel.from_record(None) is None
    with pytest.raises(ValueError, match="unknown verdict label 'materially'"):
        VerdictLabel.from_record({"verdict": {"label": "materially"}})
    with pytest.raises(ValueError, match="unknown verdict label None"):
        VerdictLabel.from_record({"verdict": {}})


def test_a_verdict_round_trips_through_its_record() -> None:
    verdict = impact_of(0.404).verdict
    assert verdict is not None
    again = Verdict.from_record(json.loads(json.dumps(verdict.to_record())))
    assert (again.label, again.text, again.measurable, again.mde) == (
        verdict.label,
        verdict.text,
        verdict.measurable,
        verdict.mde,
    )
    assert again.reason is None  # a record keeps the words, not the rule


def test_every_label_is_one_of_the_four_words_the_records_hold() -> None:
    assert [label.value for label in VerdictLabel] == [
        "material",
        "not material",
        "uncertain",
        "harmful",
    ]
