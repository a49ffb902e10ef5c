"""Capacity: memory, replicas (Little's law), instances and yearly cost against hand-worked numbers.

Every expected number is worked out in the test (a comment or the docstring), never by
calling the code under test. Sizes are decimal: 1 GB = 10^9 bytes, 1 MB = 10^6 bytes.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bizml_nb.core.errors import BizmlError
from bizml_nb.finance.capacity import (
    CAPACITY_MIME,
    DEFAULT_INSTANCES,
    HOURS_PER_YEAR,
    CapacityError,
    Instance,
    MemoryAssumptions,
    ServingAssumptions,
    TrainingAssumptions,
    capacity,
    cheapest_fit,
    cost_chart,
    cost_curve,
    inference_memory,
    plan,
    replicas_needed,
    seed_example,
    training_memory,
)
from bizml_nb.finance.roi import evaluate
from bizml_nb.interfaces import templates

BARE = MemoryAssumptions(runtime_gb=0, headroom=0)  # weights and the 1.2 factor only
TABLE = [Instance("a", 4, 0.10), Instance("b", 16, 0.30), Instance("c", 64, 1.50)]


def gb(breakdown: object, key: str) -> float:
    return breakdown.part(key).gb  # type: ignore[attr-defined, no-any-return]


# --------------------------------------------------------------------------- inference memory


@pytest.mark.parametrize(
    ("dtype", "expected_gb"),
    [("fp32", 0.4), ("fp16", 0.2), ("bf16", 0.2), ("int8", 0.1), ("int4", 0.05)],
)
def test_weights_are_params_times_bytes_of_the_dtype(dtype: str, expected_gb: float) -> None:
    """100M parameters x 4 / 2 / 2 / 1 / 0.5 bytes = 0.4 / 0.2 / 0.2 / 0.1 / 0.05 GB."""
    assert gb(inference_memory(100e6, dtype, BARE), "weights") == pytest.approx(expected_gb)


def test_inference_is_the_weights_times_1_2() -> None:
    """100M x 4 bytes = 0.4 GB; x 1.2 = 0.48 GB, of which 0.08 GB forward-pass buffers."""
    b = inference_memory(100e6, "fp32", BARE)
    assert gb(b, "forward_pass") == pytest.approx(0.08)
    assert b.total_gb == pytest.approx(0.48)


def test_runtime_activations_and_headroom_add_up_to_the_total() -> None:
    """100M fp16, 4 a batch x 2 at once x 10 MB, runtime 1 GB, 20% headroom.

    weights 0.2 + buffers 0.04 + activations 8 x 10 MB = 0.08 + runtime 1.0 = 1.32 GB;
    headroom 1.32 x 0.2 / 0.8 = 0.33 GB, which is 20% of the total 1.65 GB.
    """
    a = MemoryAssumptions(activation_mb_per_item=10, runtime_gb=1.0, headroom=0.2)
    b = inference_memory(100e6, "fp16", a, batch_size=4, concurrency_per_replica=2)
    assert [p.key for p in b.parts] == [
        "weights",
        "forward_pass",
        "activations",
        "runtime",
        "headroom",
    ]
    expected = [0.2, 0.04, 0.08, 1.0, 0.33]
    assert [p.gb for p in b.parts] == pytest.approx(expected)
    assert b.total_gb == pytest.approx(1.65)
    assert b.per_copy_gb == pytest.approx(1.32)
    assert "8 items (4 a batch x 2 at once) x 10 MB" in b.part("activations").how


def test_copies_on_one_instance_multiply_each_part() -> None:
    """3 copies of 100M fp32 with 1 GB runtime, no headroom: 3 x (0.4 + 0.08 + 1) = 4.44 GB."""
    b = inference_memory(100e6, "fp32", MemoryAssumptions(runtime_gb=1, headroom=0), copies=3)
    assert gb(b, "weights") == pytest.approx(1.2)
    assert gb(b, "runtime") == pytest.approx(3.0)
    assert b.total_gb == pytest.approx(4.44)
    assert b.per_copy_gb == pytest.approx(1.48)
    assert b.part("weights").how == "3 copies x 100M params x 4 bytes (fp32) = 3 x 0.4 GB"


def test_copies_default_to_replicas_per_host() -> None:
    """replicas_per_host 2, no runtime or headroom: 2 x 0.48 = 0.96 GB."""
    b = inference_memory(
        100e6, "fp32", MemoryAssumptions(runtime_gb=0, headroom=0, replicas_per_host=2)
    )
    assert b.copies == 2
    assert b.total_gb == pytest.approx(0.96)


def test_bytes_per_param_overrides_the_dtype() -> None:
    """4-bit weights with scales at 0.5625 bytes: 100M x 0.5625 = 0.05625 GB."""
    b = inference_memory(100e6, "int4", MemoryAssumptions(bytes_per_param=0.5625))
    assert gb(b, "weights") == pytest.approx(0.05625)
    assert "(given)" in b.part("weights").how


@pytest.mark.parametrize(("alias", "bytes_"), [("FP16", 2), ("bfloat16", 2), ("float32", 4)])
def test_dtype_names_are_case_blind_and_take_torch_spellings(alias: str, bytes_: int) -> None:
    """1e9 params x 2 or 4 bytes = 2 or 4 GB."""
    assert gb(inference_memory(1e9, alias, BARE), "weights") == pytest.approx(bytes_)


ASSUMPTIONS = st.builds(
    MemoryAssumptions,
    inference_overhead=st.floats(1, 3),
    activation_mb_per_item=st.floats(0, 1_000),
    runtime_gb=st.floats(0, 10),
    headroom=st.floats(0, 0.9),
)


@given(
    params=st.floats(1, 1e12),
    dtype=st.sampled_from(["fp32", "fp16", "bf16", "int8", "int4"]),
    a=ASSUMPTIONS,
    shape=st.tuples(st.integers(1, 16), st.integers(1, 256)),
)
def test_parts_always_sum_to_the_total_and_headroom_is_its_share(
    params: float, dtype: str, a: MemoryAssumptions, shape: tuple[int, int]
) -> None:
    """Whatever the inputs: parts add up, headroom is that share of the total, none negative."""
    copies, batch = shape
    b = inference_memory(params, dtype, a, batch_size=batch, copies=copies)
    assert math.fsum(p.gb for p in b.parts) == pytest.approx(b.total_gb)
    assert gb(b, "headroom") == pytest.approx(a.headroom * b.total_gb, rel=1e-9, abs=1e-12)
    assert all(p.gb >= 0 for p in b.parts)
    assert b.per_copy_gb * copies == pytest.approx(b.total_gb - gb(b, "headroom"))


# --------------------------------------------------------------------------- training memory


def test_adamw_in_mixed_precision_is_18_bytes_per_parameter() -> None:
    """100M x (4 master + 2 fp16 + 4 gradients + 8 AdamW) = 1.8 GB; + 8 x 50 MB = 2.2 GB."""
    plain = training_memory(100e6, "fp16", assumptions=TrainingAssumptions(runtime_gb=0))
    assert [p.gb for p in plain.parts] == pytest.approx([0.6, 0.4, 0.8, 0.0, 0.0])
    assert plain.total_gb == pytest.approx(1.8)
    assert "18 bytes per parameter" in plain.title
    with_acts = training_memory(
        100e6, "bf16", 8, assumptions=TrainingAssumptions(activation_mb_per_item=50, runtime_gb=0)
    )
    assert gb(with_acts, "activations") == pytest.approx(0.4)
    assert with_acts.total_gb == pytest.approx(2.2)


def test_fp32_training_is_16_bytes_per_parameter() -> None:
    """100M x (4 weights + 4 gradients + 8 AdamW) = 1.6 GB; + 1 GB runtime = 2.6 GB."""
    b = training_memory(100e6, "fp32", mixed_precision=False)
    assert b.total_gb - gb(b, "runtime") == pytest.approx(1.6)
    assert b.total_gb == pytest.approx(2.6)


@pytest.mark.parametrize(
    ("optimizer", "total_gb"),
    [("sgd-momentum", 1.4), ("adamw-8bit", 1.2), ("sgd", 1.0), ("adam", 1.8), ("AdamW", 1.8)],
)
def test_optimizer_states(optimizer: str, total_gb: float) -> None:
    """Mixed precision: 10 bytes (weights 6 + gradients 4) + the states: 4, 2, 0 or 8."""
    b = training_memory(
        100e6, "fp16", optimizer=optimizer, assumptions=TrainingAssumptions(runtime_gb=0)
    )
    assert b.total_gb == pytest.approx(total_gb)


def test_optimizer_bytes_can_be_given() -> None:
    """12 bytes of state: 100M x (6 + 4 + 12) = 2.2 GB."""
    a = TrainingAssumptions(optimizer_bytes=12, runtime_gb=0)
    assert training_memory(100e6, "fp16", assumptions=a).total_gb == pytest.approx(2.2)


# --------------------------------------------------------------------------- replicas


@pytest.mark.parametrize(
    ("traffic", "expected"),
    [
        ((100, 200, 8, 1, 0.7), 4),  # 20 in flight / (8 x 0.7 = 5.6) = 3.57
        ((50, 40, 1, 1, 0.7), 3),  # 2 / 0.7 = 2.86
        ((100, 200, 8, 2, 0.7), 2),  # 20 / 11.2 = 1.79
        ((100, 200, 8, 1, 1.0), 3),  # 20 / 8 = 2.5
        ((56, 100, 8, 1, 0.7), 1),  # 5.6 / 5.6 = 1 exactly, not 2 from rounding
        ((7, 100, 1, 1, 0.7), 1),  # 0.7 / 0.7 = 1
        ((0.001, 1, 1, 1, 0.7), 1),  # almost idle: still one replica
        ((1_000, 50, 1, 1, 0.5), 100),  # 50 / 0.5 = 100
    ],
)
def test_replicas_follow_littles_law(
    traffic: tuple[float, float, int, int, float], expected: int
) -> None:
    """(rps, latency_ms, batch, concurrency, utilisation) -> ceil(rps x latency_s / (batch x
    concurrency x utilisation)), at least 1."""
    assert replicas_needed(*traffic) == expected


# --------------------------------------------------------------------------- instances and cost


def test_cheapest_fit_with_a_custom_table() -> None:
    """3 GB a replica, 5 replicas, 25% headroom, up to 8 a host.

    a (4 GB): usable 3 -> 1 a host -> 5 x 0.10 = 0.50/h
    b (16 GB): usable 12 -> 4 a host -> 2 x 0.30 = 0.60/h
    c (64 GB): usable 48 -> all 5 -> 1 x 1.50 = 1.50/h
    a wins: 0.50/h x 8,760 h = 4,380 a year.
    """
    fit = cheapest_fit(3, 5, TABLE, replicas_per_host=8, headroom=0.25)
    assert (fit.instance.name, fit.hosts, fit.replicas_per_host) == ("a", 5, 1)
    assert fit.cost_per_hour == pytest.approx(0.5)
    assert fit.yearly_cost == pytest.approx(4_380)
    assert fit.host_memory_gb == pytest.approx(4.0)  # 3 / 0.75


def test_cheapest_fit_packs_replicas_when_that_is_cheaper() -> None:
    """b at 0.15/h: 2 x 0.15 = 0.30/h beats a's 0.50/h; 5 over 2 hosts: 3 on the fullest.

    Memory of the fullest: 3 x 3 GB / 0.75 = 12 GB; yearly 0.30 x 8,760 = 2,628.
    """
    table = [Instance("a", 4, 0.10), Instance("b", 16, 0.15), Instance("c", 64, 1.50)]
    fit = cheapest_fit(3, 5, table, replicas_per_host=8, headroom=0.25)
    assert (fit.instance.name, fit.hosts, fit.replicas_per_host) == ("b", 2, 3)
    assert fit.host_memory_gb == pytest.approx(12)
    assert fit.yearly_cost == pytest.approx(2_628)


def test_one_replica_per_host_by_default() -> None:
    """replicas_per_host 1: a 5 x 0.10, b 5 x 0.15, c 5 x 1.50: a at 0.50/h."""
    table = [Instance("a", 4, 0.10), Instance("b", 16, 0.15), Instance("c", 64, 1.50)]
    fit = cheapest_fit(3, 5, table, headroom=0.25)
    assert (fit.instance.name, fit.hosts) == ("a", 5)


def test_a_tie_goes_to_fewer_instances_then_less_memory() -> None:
    """3 x small (0.10/h) = 1 x big (0.30/h): the single big instance wins."""
    table = [Instance("small", 2, 0.1), Instance("big", 8, 0.3), Instance("bigger", 16, 0.3)]
    fit = cheapest_fit(1.5, 3, table, replicas_per_host=4, headroom=0)
    assert (fit.instance.name, fit.hosts) == ("big", 1)


def test_yearly_cost_is_hours_times_price_times_instances() -> None:
    """100M fp16 at 50 req/s, 40 ms: replicas ceil(2 / 0.7) = 3.

    One copy: 0.2 + 0.04 + runtime 1.0 = 1.24 GB; / 0.8 = 1.55 GB: over cpu-1gb, in cpu-2gb.
    3 x 0.02/h x 8,760 h = 525.6 a year.
    """
    p = plan(100e6, "fp16", 50, 40)
    assert p.replicas == 3
    assert p.in_flight == pytest.approx(2)
    assert (p.fit.instance.name, p.fit.hosts) == ("cpu-2gb", 3)
    assert p.breakdown.total_gb == pytest.approx(1.55)
    assert p.yearly_cost == pytest.approx(3 * 0.02 * 8_760)
    assert HOURS_PER_YEAR == 365 * 24
    business_hours = plan(100e6, "fp16", 50, 40, serving=ServingAssumptions(hours_per_year=2_000))
    assert business_hours.yearly_cost == pytest.approx(3 * 0.02 * 2_000)  # 120


def test_hardware_restricts_the_table() -> None:
    """7B fp16 on GPU: 14 + 2.8 + 1 = 17.8 GB; / 0.8 = 22.25 GB -> gpu-24gb, 1.05 x 8,760 = 9,198."""
    p = plan(7e9, "fp16", 5, 400, serving=ServingAssumptions(batch_size=4), hardware="gpu")
    assert p.replicas == 1  # 2 in flight / (4 x 0.7)
    assert p.fit.instance.name == "gpu-24gb"
    assert p.breakdown.total_gb == pytest.approx(22.25)
    assert p.yearly_cost == pytest.approx(9_198)


def test_the_yearly_cost_feeds_the_roi_model() -> None:
    """cloud_per_year = 525.6; benefit 12,000 a year, live at once, one year, no discount.

    Months 1-12: benefit 1,000, cloud 43.8; no other cost: NPV = 12 x 956.2 = 11,474.4.
    """
    p = plan(100e6, "fp16", 50, 40)
    investment = p.investment(
        12_000,
        eng_months=0,
        data_cost=0,
        infra_setup=0,
        deploy_days=0,
        ramp_months=0,
        years=1,
        discount=0,
    )
    assert investment.cloud_per_year == pytest.approx(525.6)
    assert evaluate(investment).npv == pytest.approx(11_474.4)
    with pytest.raises(CapacityError, match="comes from the plan"):
        p.investment(12_000, cloud_per_year=1.0)


def test_the_default_table_is_labelled_illustrative() -> None:
    """The card, the record and the module say the default prices are illustrations."""
    import bizml_nb.finance.capacity as module

    assert "is an ILLUSTRATION with round prices, not a quote" in (module.__doc__ or "")
    card = capacity(100e6, "fp16", rps=50, latency_ms=40)
    assert "illustrations, not quotes" in card.text()
    assert card.record()["prices"] == "illustrative default table, not quotes"
    assert plan(100e6, "fp16", 50, 40, instances=TABLE).record()["prices"] == "given"
    assert {i.kind for i in DEFAULT_INSTANCES} == {"cpu", "gpu"}


# --------------------------------------------------------------------------- cost curves


def test_cost_curve_grows_latency_with_the_model() -> None:
    """Latency 40 ms at 100M; at 200M it is 80 ms (exponent 1): 50 req/s x 0.08 s = 4 in flight.

    200M fp16: 0.4 + 0.08 + 1 = 1.48 GB; / 0.8 = 1.85 GB -> cpu-2gb; ceil(4 / 0.7) = 6 replicas.
    """
    curve = cost_curve([100e6, 200e6], [50, 100], "fp16", latency_ms=40)
    assert len(curve) == 4
    row = curve[(curve["params"] == 200e6) & (curve["rps"] == 50)].iloc[0]
    assert row["latency_ms"] == pytest.approx(80)
    assert row["replicas"] == 6
    assert row["instance"] == "cpu-2gb"
    assert row["yearly_cost"] == pytest.approx(6 * 0.02 * 8_760)
    fixed = cost_curve([100e6, 200e6], [50], "fp16", latency_ms=40, latency_exponent=0)
    assert list(fixed["latency_ms"]) == [40, 40]


def test_cost_curve_leaves_a_gap_where_nothing_fits() -> None:
    """In a table of one 4 GB instance, 10B fp16 (20 GB of weights) fits nowhere: NaN cost.

    1M fp16: 0.002 GB weights + 0.0004 buffers + 1 runtime = 1.0024 GB; / 0.8 = 1.253 GB,
    one replica (10 req/s x 0.005 s = 0.05 in flight; ceil(0.05 / 0.7) = 1) on one "x"
    at $1/h: 8,760 a year. 10B: latency 5 ms x 10^4 = 50 s; 10 x 50 = 500 in flight,
    ceil(500 / 0.7) = 715 replicas, each over 20 GB: no instance, no cost. The chart
    leaves that point out of its lines (NaN, not 0) and says why.
    """
    curve = cost_curve([1e6, 10e9], [10], "fp16", latency_ms=5, instances=[Instance("x", 4, 1)])
    fits, gap = curve.iloc[0], curve.iloc[1]
    assert (fits["instance"], fits["hosts"], fits["replicas"]) == ("x", 1, 1)
    assert fits["memory_gb"] == pytest.approx(1.253)
    assert fits["yearly_cost"] == pytest.approx(8_760)
    assert (gap["instance"], gap["hosts"], gap["replicas"]) == ("", 0, 715)
    assert gap["latency_ms"] == pytest.approx(50_000)
    for column in ("memory_gb", "cost_per_hour", "yearly_cost"):
        assert math.isnan(gap[column]), column

    figure = cost_chart(curve)
    by_traffic, by_size = figure.axes
    lines = {line.get_label(): line for line in by_traffic.get_lines()}
    assert list(lines) == ["1M params", "10B params (nothing fits)"]
    assert list(lines["1M params"].get_ydata()) == pytest.approx([8_760])
    assert math.isnan(lines["10B params (nothing fits)"].get_ydata()[0])
    (by_model,) = by_size.get_lines()
    assert list(by_model.get_xdata()) == [1e6, 10e9]  # the 10B point is kept, as a gap
    cost_fits, cost_gap = by_model.get_ydata()
    assert cost_fits == pytest.approx(8_760)
    assert math.isnan(cost_gap)
    assert [text.get_text() for text in figure.texts] == ["gaps: no instance in the table fits"]


# --------------------------------------------------------------------------- the seed


def test_the_seed_example_arithmetic() -> None:
    """Network, 4 copies: 1.6 + 0.32 + 1.28 + 6.0 = 9.2 GB; / 0.8 = 11.5 GB -> 16 GB instance.

    Copies: 100 req/s x 0.2 s = 20 in flight; 8 a batch x 70% = 5.6 a copy; ceil(3.57) = 4.
    Per copy: weights 0.4, buffers 0.08, activations 8 x 40 MB = 0.32, runtime 1.5 = 2.3 GB.
    Logistic regression: 1,001 x 4 bytes = 4,004 bytes; (0.3 GB + 4,804.8 bytes) / 0.8
    = 0.375006 GB -> the 1 GB instance.
    """
    ex = seed_example()
    net = ex.network
    assert ex.network_replicas == 4
    assert ex.network_in_flight == pytest.approx(20)
    assert [p.gb for p in net.parts] == pytest.approx([1.6, 0.32, 1.28, 6.0, 2.3])
    assert net.total_gb == pytest.approx(11.5)
    assert net.per_copy_gb == pytest.approx(2.3)
    assert ex.network_instance.memory_gb == 16
    assert ex.logistic.part("weights").gb == pytest.approx(4_004 / 1e9)
    assert ex.logistic.total_gb == pytest.approx((0.3e9 + 4_804.8) / 0.8 / 1e9)
    assert ex.logistic_instance.memory_gb == 1
    assert ex.logistic_replicas == 1


def test_the_seed_example_explains_where_16_gb_goes() -> None:
    """The text names the 0.4 GB of weights and every assumption that makes 16 GB."""
    text = seed_example().text()
    for expected in [
        "The weights alone are 0.4 GB in fp32 (100M x 4 bytes), 2.5% of 16 GB.",
        "100 requests/s x 0.2 s a batch = 20 requests in flight (Little's law)",
        "ceil(20 / 5.6) = 4 copies",
        "Each copy is 2.3 GB: 0.4 GB of weights, 0.08 GB of forward-pass buffers, "
        "0.32 GB of batch activations and 1.5 GB of runtime",
        "20% of the instance is kept free: 2.3 GB.",
        "11.5 GB is more than cpu-8gb (8 GB), so the next size, 16 GB (4.5 GB spare).",
        "-> fits cpu-1gb (1 GB); 1 replica",
        "- fp16 weights: 10.3 GB -> cpu-16gb (16 GB)",
        "- one copy (a quarter of the traffic, or a 4x faster model): 2.875 GB -> cpu-4gb (4 GB)",
    ]:
        assert expected in text
    bundle = seed_example()._repr_mimebundle_()
    assert bundle["text/plain"] == text
    assert set(bundle) == {"text/plain", "text/html"}  # no record: a worked example
    assert text.splitlines()[:2] == [
        "Where the seed's 16 GB goes",
        "The seed: last year a logistic regression fit into a 1 GB instance; this year a "
        "100-million-parameter network needs 16 GB of RAM to generate predictions.",
    ]
    assert 'class="bizml-card bizml-capacity-seed"' in bundle["text/html"]


def test_the_seed_card_html_escapes_instance_names() -> None:
    """A table entry named like markup shows as text in the seed's card."""
    html = seed_example([Instance("<i>big</i>", 64, 1.0)])._repr_mimebundle_()["text/html"]
    assert "<i>big</i>" not in html
    assert "&lt;i&gt;big&lt;/i&gt; (64 GB)" in html


# --------------------------------------------------------------------------- the card

CARD_TEXT = """\
Capacity: 100M parameters in fp16, 50 requests/s at 40 ms a batch of 1
  Memory       1.55 GB on each instance (1 copy of the model, 1.24 GB each, with 20% kept free)
      weights                0.2 GB  100M params x 2 bytes (fp16)
      forward-pass buffers  0.04 GB  20% of the weights (inference_overhead 1.2)
      batch activations        0 GB  1 item x 0 MB (activation_mb_per_item) - not counted: measure yours
      runtime                  1 GB  1 GB (runtime_gb)
      headroom              0.31 GB  20% of the instance kept free (headroom 0.2)
      total                 1.55 GB
  Replicas     3, by Little's law: 50 req/s x 0.04 s = 2 requests in flight; one replica serves 1 a batch x 1 at once x 70% busy = 0.7; ceil(2 / 0.7) = 3
  Instances    3 x cpu-2gb (cpu, 2 GB, $0.02/h, small burstable VM), cheapest fit in the illustrative default table: prices are round illustrations, not quotes
  Yearly cost  $526 = 3 x $0.02/h x 8,760 h; feeds the ROI model as cloud_per_year
  Assumptions  bytes_per_param 2 (fp16); inference_overhead 1.2; activation_mb_per_item 0; runtime_gb 1; replicas_per_host 1; headroom 0.2; batch_size 1; concurrency_per_replica 1; target_utilisation 0.7; hours_per_year 8760; hardware any (latency taken to hold on the instance chosen)"""


def test_card_text_is_exact_and_deterministic() -> None:
    """The card states the breakdown, replicas, instance, yearly cost and every assumption."""
    first = capacity(100e6, "fp16", rps=50, latency_ms=40)
    assert first.text() == CARD_TEXT
    assert capacity(1e8, "fp16", rps=50.0, latency_ms=40.0).text() == CARD_TEXT
    assert repr(first) == CARD_TEXT


def test_card_bundle_has_text_html_and_the_json_record() -> None:
    """Three representations; the record is JSON and carries the figures and assumptions."""
    bundle = capacity(100e6, "fp16", rps=50, latency_ms=40)._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", CAPACITY_MIME}
    record = json.loads(json.dumps(bundle[CAPACITY_MIME]))
    assert record["format"] == "bizml.capacity"
    assert record["replicas"] == 3
    assert record["hosts"] == 3
    assert record["instance"]["name"] == "cpu-2gb"
    assert record["yearly_cost"] == pytest.approx(525.6)
    assert record["memory"]["total_gb"] == pytest.approx(1.55)
    assert record["assumptions"]["memory"]["inference_overhead"] == 1.2
    assert record["assumptions"]["serving"]["target_utilisation"] == 0.7
    assert record["assumptions"]["bytes_per_param"] == 2
    assert '<div class="bizml-card bizml-capacity"' in bundle["text/html"]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_card_html_escapes_every_user_string() -> None:
    """An instance named like markup shows as text; amounts with $ stay inside <code>."""
    table = [Instance("<script>x&y</script>", 8, 0.5, "cpu", note="<b>bold</b>")]
    html = capacity(100e6, "fp16", rps=5, latency_ms=40, instances=table).html()
    assert "<script>" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;x&amp;y&lt;/script&gt;" in html
    parser = _Text()
    parser.feed(html)
    assert "script" not in parser.tags
    assert any("$4.38k" in chunk for chunk in parser.text)  # 0.5 x 8,760
    # the memory row carries the breakdown as a table: 0.2 GB of fp16 weights
    assert '<table class="bizml-capacity-breakdown">' in html
    assert "100M params x 2 bytes (fp16)" in html


def test_a_table_in_another_currency() -> None:
    """A EUR table (b at 0.30/h): 1 replica x 0.30 x 8,760 = 2,628 EUR, shown as €2.63k."""
    card = capacity(1e8, "fp16", rps=1, latency_ms=10, instances=TABLE[1:2], currency="EUR")
    assert card.plan.yearly_cost == pytest.approx(0.3 * 8_760)
    assert "Yearly cost  €2.63k = 1 x €0.3/h x 8,760 h" in card.text()


def test_assumptions_are_overridable_by_name() -> None:
    """runtime 0.2 GB, 4 a batch: one copy 0.2 + 0.04 + 0.2 = 0.44 GB; / 0.8 = 0.55 GB -> cpu-1gb.

    ceil(50 x 0.04 / (4 x 0.7)) = ceil(0.71) = 1 replica.
    """
    card = capacity(100e6, "fp16", rps=50, latency_ms=40, runtime_gb=0.2, batch_size=4)
    assert card.plan.breakdown.total_gb == pytest.approx(0.55)
    assert card.plan.fit.instance.name == "cpu-1gb"
    assert card.plan.replicas == 1
    assert "runtime_gb 0.2" in card.text()


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("params", [0, -5, -1e8, math.nan, math.inf])
def test_params_must_be_positive(params: float) -> None:
    with pytest.raises(CapacityError, match=r"^params must be a positive number of parameters"):
        inference_memory(params)


@pytest.mark.parametrize("params", ["1e8", True, None])
def test_params_must_be_a_number(params: object) -> None:
    with pytest.raises(CapacityError, match=r"^params must be a number of parameters"):
        plan(params, "fp16", 10, 10)  # type: ignore[arg-type]


def test_unknown_dtype_suggests_the_closest() -> None:
    with pytest.raises(CapacityError) as info:
        inference_memory(1e8, "fp23")
    assert str(info.value) == (
        "unknown dtype 'fp23' (did you mean 'fp32'?); known: fp32, fp16, bf16, int8, int4"
    )


@pytest.mark.parametrize(
    ("rps", "latency_ms", "message"),
    [
        (0, 10, r"^rps \(requests per second\) must be above 0 \(got 0\)$"),
        (-3, 10, r"^rps \(requests per second\) must be above 0 \(got -3\)$"),
        (10, 0, r"^latency_ms must be above 0 \(got 0\)$"),
        (10, -1, r"^latency_ms must be above 0 \(got -1\)$"),
        (math.nan, 10, r"^rps \(requests per second\) must be finite"),
    ],
)
def test_traffic_must_be_positive(rps: float, latency_ms: float, message: str) -> None:
    with pytest.raises(CapacityError, match=message):
        replicas_needed(rps, latency_ms)
    with pytest.raises(CapacityError, match=message):
        plan(1e8, "fp16", rps, latency_ms)


def test_nothing_fits_names_the_largest_instance() -> None:
    """100B fp16: 200 GB of weights; the largest default instance is gpu-80gb."""
    with pytest.raises(CapacityError) as info:
        plan(100e9, "fp16", 1, 1_000)
    message = str(info.value)
    assert message.startswith("nothing fits: one replica needs 241 GB (301.2 GB with 20%")
    assert "the largest instance, gpu-80gb with 80 GB" in message
    with pytest.raises(CapacityError, match="the largest instance, c with 64 GB"):
        cheapest_fit(60, 1, TABLE, headroom=0.25)  # 60 / 0.75 = 80 GB > 64


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: MemoryAssumptions(inference_overhead=0.9), "inference_overhead multiplies"),
        (lambda: MemoryAssumptions(headroom=1), "headroom is the share of memory kept free"),
        (lambda: MemoryAssumptions(runtime_gb=-1), "runtime_gb must not be negative"),
        (lambda: MemoryAssumptions(replicas_per_host=0), "replicas_per_host must be a whole"),
        (lambda: MemoryAssumptions(bytes_per_param=0), "bytes_per_param must be above 0"),
        (lambda: ServingAssumptions(batch_size=0), "batch_size must be a whole number"),
        (lambda: ServingAssumptions(batch_size=1.5), "batch_size must be a whole number"),  # type: ignore[arg-type]
        (lambda: ServingAssumptions(target_utilisation=0), "target_utilisation is a share"),
        (lambda: ServingAssumptions(target_utilisation=1.5), "target_utilisation is a share"),
        (lambda: Instance("x", -4, 0.1), "memory_gb of instance 'x' must be above 0"),
        (lambda: Instance("x", 4, -0.1), "cost_per_hour of instance 'x' must not be negative"),
        (lambda: Instance("", 4, 0.1), "an instance needs a name"),
        (lambda: Instance("x", 4, 0.1, "tpu"), "kind must be 'cpu' or 'gpu'"),
        (lambda: plan(1e8, "fp16", 1, 1, instances=[]), "the instance table is empty"),
        (
            lambda: plan(1e8, "fp16", 1, 1, currency="EUR"),
            "the default instance table is priced in USD",
        ),
        (lambda: plan(1e8, "fp16", 1, 1, hardware="gpus"), r"did you mean 'gpu'\?"),
        (lambda: plan(1e8, "fp16", 1, 1, instances=TABLE, hardware="gpu"), "no gpu instance"),
        (
            lambda: capacity(1e8, rps=1, latency_ms=1, runtime_gbs=1),
            r"unknown assumption 'runtime_gbs' \(did you mean 'runtime_gb'\?\)",
        ),
        (lambda: training_memory(1e8, "int8"), "training in int8 is not modelled"),
        (lambda: training_memory(1e8, "fp32"), "mixed precision computes in fp16 or bf16"),
        (
            lambda: training_memory(1e8, "bf16", optimizer="adamw8bit"),
            r"unknown optimizer 'adamw8bit' \(did you mean 'adamw-8bit'\?\)",
        ),
        (lambda: training_memory(1e8, "bf16", 0), "batch_size must be a whole number"),
        (lambda: seed_example().network.part("weight"), r"did you mean 'weights'\?"),
    ],
)
def test_bad_input_raises_one_clear_error(build: object, message: str) -> None:
    with pytest.raises(CapacityError, match=message) as info:
        build()  # type: ignore[operator]
    assert isinstance(info.value, BizmlError)
    assert info.value.__cause__ is None
    assert "\n" not in str(info.value)


def test_importing_the_module_loads_nothing_heavy() -> None:
    """pandas, numpy and matplotlib load only inside the functions that need them."""
    code = (
        "import sys, bizml_nb.finance.capacity; "
        "print(sorted(m for m in ('pandas', 'numpy', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- the template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_RUNS: dict[str, dict[str, object]] = {
    "defaults": {},
    # 70B (the next model) in fp16 is 140 GB of weights: no GPU in the table holds it
    "gpu": {
        "params": 7e9,
        "dtype": "fp16",
        "hardware": "gpu",
        "latency_ms": 400.0,
        "batch_size": 4,
        "rps": 5.0,
        "annual_benefit": 100_000.0,
        "model_name": "assistant <beta>",
    },
}


def _build_script() -> Any:
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", ROOT / "tools" / "build_notebooks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_template_is_saved_without_outputs_and_matches_its_build_script() -> None:
    """templates/scalability_planning.ipynb is what tools/build_notebooks.py writes."""
    import nbformat

    build = _build_script()
    saved = nbformat.read(ROOT / "templates" / "scalability_planning.ipynb", as_version=4)
    expected = build.expected("scalability_planning")
    assert [c.source for c in saved.cells] == [c.source for c in expected.cells], (
        "templates/scalability_planning.ipynb is out of date: "
        "run python tools/build_notebooks.py scalability_planning"
    )
    for cell in saved.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None
    code = [c.metadata.get("tags", []) for c in saved.cells if c.cell_type == "code"]
    assert code.count(["parameters"]) == 1
    assert code.index(["decision-summary"]) == code.index(["parameters"]) + 1  # the decision leads


def test_template_parameters_are_typed_and_commented() -> None:
    """Each parameter: a type, one comment, a default of that type (papermill's convention)."""
    template = templates.get_template("scalability_planning")
    names = [p.name for p in template.parameters]
    assert names[:8] == [
        "model_name",
        "params",
        "dtype",
        "latency_ms",
        "batch_size",
        "rps",
        "traffic_growth",
        "years",
    ]
    for p in template.parameters:
        assert p.type, p.name
        assert p.comment, p.name
        assert p.convert(p.default) == p.default


@pytest.fixture(scope="module")
def template_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, templates.Execution]:
    """The template run by papermill with each parameter set, in parallel."""
    folder = tmp_path_factory.mktemp("scalability")

    def execute(item: tuple[str, dict[str, object]]) -> templates.Execution:
        label, values = item
        return templates.run(
            "scalability_planning", values, folder / f"{label}.ipynb", progress=False, cwd=folder
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(execute, TEMPLATE_RUNS.items()))
    return dict(zip(TEMPLATE_RUNS, done, strict=True))


@pytest.mark.slow
def test_template_defaults(template_runs: dict[str, templates.Execution]) -> None:
    """100M fp16, 50 req/s, 40 ms: 3 x cpu-2gb = 525.6 a year (as in the card test).

    Year 3 at +50% a year: 50 x 1.5^3 = 168.75 req/s; ceil(168.75 x 0.04 / 0.7) = ceil(9.64)
    = 10 x 0.02 x 8,760 = 1,752. The 1B model: 400 ms, ceil(20 / 0.7) = 29 replicas; one copy
    2 + 0.4 + 1 = 3.4 GB / 0.8 = 4.25 GB -> cpu-8gb: 29 x 0.08 x 8,760 = 20,323.2.
    """
    run = template_runs["defaults"]
    record = run.record
    assert record is not None
    assert record["template"] == "scalability_planning"
    assert record["yearly_cost"] == pytest.approx(525.6)
    assert record["replicas"] == 3
    assert [g["rps"] for g in record["growth"]] == pytest.approx([50, 75, 112.5, 168.8])
    assert record["growth"][-1]["yearly_cost"] == pytest.approx(1_752)
    assert record["next_model"]["yearly_cost"] == pytest.approx(20_323.2)
    assert record["parameters"]["params"] == 100e6
    assert run.summary == record["summary"]
    assert run.summary.startswith(
        "ranking network: serving costs about $526 a year today, $1.75k a year in 3 years\n"
    )
    assert "  In 3 years     $1.75k a year at +50% traffic a year (168.8 requests/s)" in run.summary
    assert "  Larger model   10x (1B parameters): $20.3k a year today" in run.summary
    assert "illustrative default table" in run.summary


@pytest.mark.slow
def test_template_names_what_does_not_fit(template_runs: dict[str, templates.Execution]) -> None:
    """7B fp16 on GPU: 22.25 GB -> gpu-24gb, 1 replica, 9,198 a year, 9.2% of 100,000.

    The next model, 70B: 140 + 28 + 1 = 169 GB a copy; no GPU in the table holds it.
    """
    run = template_runs["gpu"]
    record = run.record
    assert record is not None
    assert record["instance"]["name"] == "gpu-24gb"
    assert record["yearly_cost"] == pytest.approx(9_198)
    assert record["next_model"]["yearly_cost"] is None
    assert "the largest instance, gpu-80gb with 80 GB" in record["next_model"]["problem"]
    assert record["growth"][0]["next_model_yearly_cost"] is None
    assert "today's bill is 9.198% of the benefit of $100k a year" in run.summary
    assert "  Larger model   10x (70B parameters): no machine in the table holds it" in run.summary
    assert run.summary.startswith("assistant <beta>: serving costs about $9.2k a year today")


def test_the_docstring_examples_hold() -> None:
    """The package's doctests (worked numbers in the docstrings), every module's, run here."""
    import doctest
    import importlib
    import pkgutil

    import bizml_nb.finance.capacity as package

    names = [package.__name__] + [
        f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)
    ]
    attempted = 0
    for name in names:
        result = doctest.testmod(
            importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE
        )
        assert result.failed == 0, name
        attempted += result.attempted
    assert attempted >= 15
