"""JSON records keep 10 significant digits, so a saved record reproduces on any machine.

The digits after those depend on numpy's SIMD kernels and the BLAS (an IRR of
20.86192281500994 with AVX-512 is 20.861922815009894 without), and nbval compares
the records notebooks display exactly.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from bizml_nb.core._records import figure, portable
from bizml_nb.finance.capacity import CAPACITY_MIME, plan
from bizml_nb.finance.roi import Triangular
from bizml_nb.present.roi_card import ROI_MIME, roi


def floats(value: Any) -> list[float]:
    """Every float in a JSON-ready value, at any depth."""
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [x for item in value.values() for x in floats(item)]
    if isinstance(value, list | tuple):
        return [x for item in value for x in floats(item)]
    return []


def at_ten_digits(record: dict[str, Any]) -> list[float]:
    """The floats of ``record`` that carry more than 10 significant digits."""
    return [x for x in floats(record) if math.isfinite(x) and float(f"{x:.10g}") != x]


def test_figure_keeps_ten_significant_digits_whatever_the_scale() -> None:
    assert figure(20.86192281500994) == figure(20.861922815009894) == 20.86192282
    assert figure(4706683.787934158) == figure(4706683.78793416) == 4706683.788
    assert figure(0.039999999999999994) == 0.04
    assert figure(-1.234567890123e-9) == -1.23456789e-9
    assert figure(876.0000000000001) == 876.0
    assert math.isnan(figure(math.nan))
    assert figure(-math.inf) == -math.inf


def test_portable_rounds_floats_at_any_depth_and_keeps_everything_else() -> None:
    value = {
        "a": [0.1 + 0.2, {"b": (1 / 3, True, None)}],
        "n": 7,
        "flag": False,
        "text": "0.30000000000000004",
    }
    assert portable(value) == {
        "a": [0.3, {"b": [0.3333333333, True, None]}],
        "n": 7,
        "flag": False,
        "text": "0.30000000000000004",
    }
    assert isinstance(portable(value)["n"], int)
    assert portable(True) is True


def test_the_roi_cards_record_holds_its_figures_to_ten_digits() -> None:
    card = roi(
        annual_benefit=Triangular.from_interval(1.22e6, 3.95e6, 7.07e6),
        eng_months=18.0,
        monthly_rate=20_000.0,
        cloud_per_year=400_000.0,
        years=3,
        draws=2_000,
    )
    record = json.loads(json.dumps(card._repr_mimebundle_()[ROI_MIME], allow_nan=False))
    assert at_ten_digits(record) == []
    assert card.result.irr is not None
    assert record["irr"] == figure(card.result.irr)
    assert record["npv"] == figure(card.result.npv)
    assert record["npv"] == pytest.approx(card.result.npv, rel=1e-9)
    assert record["npv_p10_p50_p90"] == [figure(x) for x in card.simulation.npv_percentiles()]
    assert record["draws"] == 2_000
    assert isinstance(record["draws"], int)


def test_the_capacity_record_holds_its_figures_to_ten_digits() -> None:
    """0.2 x 0.2 GB of overhead is 0.04 GB in the record, not 0.039999999999999994."""
    capacity = plan(100e6, "fp16", 50, 40)
    record = capacity.card()._repr_mimebundle_()[CAPACITY_MIME]
    assert at_ten_digits(record) == []
    parts = {part["key"]: part["gb"] for part in record["memory"]["parts"]}
    assert parts == {p.key: figure(p.gb) for p in capacity.breakdown.parts}
    assert record["yearly_cost"] == figure(capacity.yearly_cost)
    assert record["replicas"] == capacity.replicas
    assert isinstance(record["replicas"], int)
