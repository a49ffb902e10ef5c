"""The scalability_planning template's analysis: its checks, its decision card and record,
the tables and charts below it, and the template built on it.

Worked by hand for the defaults (100M parameters in fp16, 50 requests/s, 40 ms a batch of 1,
70% busy, 1 GB runtime, 20% headroom, the illustrative price table): one copy is 0.2 GB of
weights + 0.04 GB of forward-pass buffers + 1 GB runtime = 1.24 GB (weights 16%); 50 x 0.04 =
2 requests in flight, ceil(2 / 0.7) = 3 copies on 3 x cpu-2gb at $0.02/h: 3 x 0.02 x 8,760 =
$525.6 a year. In 3 years at +50%: 168.75 requests/s, ceil(6.75 / 0.7) = 10 x cpu-2gb =
$1,752. The 10x model (1B, 400 ms): ceil(20 / 0.7) = 29 copies of 3.4 GB (4.25 GB with the
headroom) on cpu-8gb at $0.08/h = $20,323.2 a year; in 3 years ceil(67.5 / 0.7) = 97 of them,
$67,977.6.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bizml_nb.core.errors import InvalidArguments
from bizml_nb.finance.capacity import CAPACITY_MIME
from bizml_nb.interfaces import templates
from bizml_nb.present.analyses import capacity

#: The keys of the template's record before its decision became a card: every one is kept.
RECORD_KEYS = {
    "format",
    "version",
    "inputs",
    "assumptions",
    "memory",
    "memory_per_replica_gb",
    "in_flight",
    "replicas",
    "instance",
    "hosts",
    "replicas_per_host",
    "cost_per_hour",
    "yearly_cost",
    "currency",
    "prices",
    "template",
    "model_name",
    "growth",
    "next_model",
    "annual_benefit",
    "parameters",
    "summary",
}


def values(**changes: Any) -> dict[str, Any]:
    return {**capacity.DEFAULTS, **changes}


def test_the_parameters_are_the_templates_in_its_order_with_its_defaults() -> None:
    template = templates.get_template("scalability_planning")
    assert [p.name for p in template.parameters] == list(capacity.PARAMETERS)
    assert {p.name: p.default for p in template.parameters} == capacity.DEFAULTS


# --------------------------------------------------------------------------- check_parameters


def test_the_defaults_pass_and_so_do_a_benefit_and_a_dtype_alias() -> None:
    capacity.check_parameters(values())
    capacity.check_parameters(values(annual_benefit=5, dtype="float16", hardware="gpu"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"params": 0.0},
            "params is the number of parameters of the model served today: a number above 0, "
            "such as 100e6 (got 0.0)",
        ),
        (
            {"params": "big"},
            "params is the number of parameters of the model served today: a number above 0, "
            "such as 100e6 (got 'big')",
        ),
        (
            {"dtype": "fp8"},
            "dtype is the number format of the served weights: fp32, fp16, bf16, int8, int4 "
            "(got 'fp8')",
        ),
        (
            {"latency_ms": float("nan")},
            "latency_ms is the time to serve one batch in milliseconds: a number above 0 (got nan)",
        ),
        (
            {"batch_size": 2.5},
            "batch_size is the number of requests served together in one batch: a whole "
            "number, 1 or more (got 2.5)",
        ),
        (
            {"traffic_growth": -1.0},
            "traffic_growth is the traffic growth per year as a share: a number above -1 (-1 "
            "is -100% a year), such as 0.5 for +50% (got -1.0)",
        ),
        (
            {"years": 51},
            "years is the planning horizon in years: a whole number from 1 to 50 (got 51)",
        ),
        (
            {"years": True},
            "years is the planning horizon in years: a whole number from 1 to 50 (got True)",
        ),
        (
            {"hardware": "tpu"},
            "hardware is the kind of instance to choose from: 'any', 'cpu' or 'gpu' (got "
            "'tpu') (did you mean 'gpu'?)",
        ),
        (
            {"headroom": 1.0},
            "headroom is the share of an instance's memory kept free: a number from 0 to below "
            "1, such as 0.2 for 20% (got 1.0)",
        ),
        (
            {"target_utilisation": 0.0},
            "target_utilisation is the share of the time a replica is busy: a number above 0 "
            "and at most 1, such as 0.7 for 70% (got 0.0)",
        ),
        (
            {"annual_benefit": -5.0},
            "annual_benefit is the model's yearly business value: a number, 0 or more, or None "
            "to leave the comparison out (got -5.0)",
        ),
        (
            {"model_name": "{x}"},
            None,  # braces in a value are text, not a keyword: accepted
        ),
        (
            {"currency": "EUR"},
            "currency is 'EUR', but the template prices machines from its default table, in "
            "USD: set it to 'USD', or plan in another currency with "
            "bizml_nb.finance.capacity.plan and instances priced in it",
        ),
    ],
    ids=lambda x: "-".join(map(str, x)) if isinstance(x, dict) else "",
)
def test_check_parameters_names_the_parameter_in_one_message(
    changes: dict[str, Any], message: str | None
) -> None:
    if message is None:
        capacity.check_parameters(values(**changes))
        return
    (keyword,) = changes
    with pytest.raises(InvalidArguments) as caught:
        capacity.check_parameters(values(**changes))
    assert str(caught.value) == message
    assert caught.value.keywords == (keyword,)
    assert caught.value.worded(lambda name: f"-p {name}") == message.replace(
        keyword, f"-p {keyword}", 1
    )


def test_a_model_no_instance_holds_is_refused_naming_what_to_change() -> None:
    """200B parameters in fp16 on CPUs: 400 GB of weights + 80 GB of buffers + 1 GB = 481 GB
    a copy, 601.25 GB with 20% kept free; the largest CPU instance has 64 GB."""
    with pytest.raises(InvalidArguments) as caught:
        capacity.check_parameters(values(params=2e11, hardware="cpu"))
    assert caught.value.worded(lambda name: f"-p {name}") == (
        "today's model (-p params 200000000000.0 in -p dtype 'fp16') fits on no instance of "
        "the price table: one replica needs 481 GB (601.2 GB with 20% of the instance kept "
        "free), more than the largest instance, cpu-64gb with 64 GB; lower -p params or "
        "choose a smaller -p dtype (int8 weights take half the memory of fp16 weights), or "
        "set -p hardware to 'any'"
    )


def test_growth_past_any_number_is_refused() -> None:
    with pytest.raises(InvalidArguments) as caught:
        capacity.check_parameters(values(traffic_growth=1e200, years=50))
    assert str(caught.value) == (
        "traffic_growth (1e+200 a year) over years (50) grows the traffic past any number: "
        "lower one of them"
    )
    assert caught.value.keywords == ("traffic_growth", "years")


def test_a_missing_parameter_is_named() -> None:
    given = values()
    del given["rps"]
    with pytest.raises(InvalidArguments) as caught:
        capacity.check_parameters(given)
    assert str(caught.value) == (
        "no value for rps: the capacity analysis needs every parameter of the "
        "scalability_planning template"
    )


# --------------------------------------------------------------------------- the decision card


def test_the_decision_card_of_the_defaults() -> None:
    card = capacity.analyse(values()).decision
    assert card.text() == (
        "ranking network: serving costs about $526 a year today, $1.75k a year in 3 years\n"
        "  Today          100M parameters in fp16 at 50 requests/s need 3 copies of the model "
        "on 3 x cpu-2gb: about $526 a year\n"
        "  Memory         one copy needs 1.24 GB, of which the weights are 0.2 GB (16%); the "
        "rest is the runtime, the working memory and the requests in flight\n"
        "  In 3 years     $1.75k a year at +50% traffic a year (168.8 requests/s)\n"
        "  Larger model   10x (1B parameters): $20.3k a year today, $68k a year in 3 years\n"
        "  Prices         the illustrative default table (round prices, not quotes): replace "
        "them with your provider's\n"
        "  To change it   the latency measured on the machines chosen, real prices, and the "
        "activations at your batch size"
    )
    bundle = card._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", CAPACITY_MIME}
    assert "vnd.bizml" not in bundle["text/plain"] + bundle["text/html"]
    assert 'class="bizml-card bizml-capacity bizml-decision"' in bundle["text/html"]


def test_one_year_a_benefit_and_a_model_nothing_holds() -> None:
    """7B in fp16 on GPUs, batches of 4 in 400 ms, 5 requests/s: 2 in flight, ceil(2 / 2.8)
    = 1 copy of 14 + 2.8 + 1 = 17.8 GB (22.25 GB with the headroom) on gpu-24gb at $1.05/h =
    $9,198 a year, 9.198% of $100k. A year later, 7.5 x 0.4 = 3 in flight need ceil(3 / 2.8)
    = 2 copies: $18,396. The 70B model needs 169 GB: no GPU holds it."""
    analysis = capacity.analyse(
        values(
            params=7e9,
            hardware="gpu",
            latency_ms=400.0,
            batch_size=4,
            rps=5.0,
            years=1,
            annual_benefit=100_000.0,
            model_name="assistant <beta>",
        )
    )
    rows = dict(analysis.decision.rows())
    assert analysis.decision.title() == (
        "assistant <beta>: serving costs about $9.2k a year today, $18.4k a year in 1 year"
    )
    assert rows["In 1 year"] == "$18.4k a year at +50% traffic a year (7.5 requests/s)"
    assert rows["Larger model"] == "10x (70B parameters): no machine in the table holds it"
    assert rows["Benefit"] == "today's bill is 9.198% of the benefit of $100k a year"
    assert "&lt;beta&gt;" in analysis.decision.html()
    assert "<beta>" not in analysis.decision.html()
    shown = analysis.next_model().text().splitlines()
    assert shown[0] == "The next model (70B parameters): no machine in the table holds it"
    assert shown[1].startswith("One replica needs 169 GB")


def test_the_record_keeps_every_key_and_says_what_the_card_says() -> None:
    analysis = capacity.analyse(values())
    record = analysis.decision.record()
    assert set(record) == RECORD_KEYS
    assert record["summary"] == analysis.decision.text()
    assert record["template"] == "scalability_planning"
    assert record["yearly_cost"] == pytest.approx(525.6)
    assert [g["rps"] for g in record["growth"]] == [50.0, 75.0, 112.5, 168.8]
    assert [g["yearly_cost"] for g in record["growth"]] == pytest.approx([525.6, 876, 1226.4, 1752])
    assert record["growth"][-1]["next_model_yearly_cost"] == pytest.approx(67_977.6)
    assert record["next_model"] == {
        "params": 1e9,
        "latency_ms": 400.0,
        "yearly_cost": pytest.approx(20_323.2),
        "problem": None,
    }
    assert record["parameters"] == capacity.DEFAULTS
    json.dumps(record, allow_nan=False)


# --------------------------------------------------------------------------- supporting cells


def test_only_the_decision_carries_a_record() -> None:
    analysis = capacity.analyse(values())
    for shown in (analysis.today_card(), analysis.next_model(), analysis.growth_table()):
        bundle = shown._repr_mimebundle_()
        assert set(bundle) == {"text/plain", "text/html"}


def test_the_growth_table_year_by_year() -> None:
    assert capacity.analyse(values()).growth_table().text() == (
        "Year by year at +50% traffic a year\n"
        "  year  requests/s  today's model  yearly cost  10x model     yearly cost\n"
        "     0          50  3 x cpu-2gb           $526  29 x cpu-8gb       $20.3k\n"
        "     1          75  5 x cpu-2gb           $876  43 x cpu-8gb       $30.1k\n"
        "     2       112.5  7 x cpu-2gb         $1.23k  65 x cpu-8gb       $45.6k\n"
        "     3       168.8  10 x cpu-2gb        $1.75k  97 x cpu-8gb         $68k"
    )


def test_the_number_formats_table() -> None:
    """Weights 100M x 4, 2, 1 and 0.5 bytes; a copy adds 20% of them and 1 GB of runtime."""
    lines = capacity.analyse(values()).formats_table().text().splitlines()
    assert lines[2].split() == ["fp32", "0.4", "GB", "1.48", "GB", "3", "x", "cpu-2gb", "$526"]
    assert lines[5].split() == ["int4", "0.05", "GB", "1.06", "GB", "3", "x", "cpu-2gb", "$526"]


def test_the_charts_say_what_they_show() -> None:
    analysis = capacity.analyse(values())
    memory = analysis.memory_chart()._repr_mimebundle_()
    assert set(memory) == {"image/png", "text/plain"}
    assert memory["text/plain"] == (
        "Chart: the memory of one cpu-2gb, 1.55 GB, part by part: weights 0.2 GB, forward-pass "
        "buffers 0.04 GB, batch activations 0 GB, runtime 1 GB, headroom 0.31 GB."
    )
    assert analysis.cost_chart().png.startswith(b"\x89PNG")


# --------------------------------------------------------------------------- the template


@pytest.mark.slow
def test_the_template_leads_with_the_decision_and_shows_no_internal_label(tmp_path: Any) -> None:
    done = templates.run("scalability_planning", {}, tmp_path / "s.ipynb", progress=False)
    nb = json.loads(done.notebook.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"]["tags"]
    first = code[1]
    assert first["metadata"]["tags"] == ["decision-summary"]
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error" or o.get("name") == "stderr"]
    records = [o for o in outputs if CAPACITY_MIME in o.get("data", {})]
    assert records == [first["outputs"][0]]
    for output in outputs:
        text = output.get("data", {}).get("text/plain", "")
        text = ("".join(text) if isinstance(text, list) else text) + "".join(output.get("text", ""))
        assert "vnd.bizml" not in text
        assert "decision record" not in text
    assert all(len(c["source"]) <= 6 for c in code[1:])
    assert done.record is not None
    assert done.summary == done.record["summary"]
